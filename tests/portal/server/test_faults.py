"""Fault injection (--dev only), each fault seen by curl as a client sees
it: the upload dropped mid-body (the handler never runs and nothing is
stored), the answer dropped or cut after the request was committed (the
retry with the same Idempotency-Key replays it), a stalled answer (curl's
time-out fires), 503 with Retry-After, rules that wear out after N uses,
DELETE clearing them, rule validation, and the --fault flag."""

import os
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "harness"))
from portalenv import PortalEnv  # noqa: E402

# curl's exit codes for what each fault does to a transfer.
CURL_PARTIAL_FILE = 18
CURL_TIMEOUT = 28
CURL_EMPTY_REPLY = 52
CURL_SEND_ERROR = 55
CURL_RECV_ERROR = 56


class Faults(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.env = PortalEnv(dev=True).__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.env.__exit__(None, None, None)

    def setUp(self):
        r = self.env.request("DELETE", "/_dev/faults")
        self.assertEqual(r.status, 200, r)

    def rule(self, **rule):
        r = self.env.post("/_dev/faults", {"rules": [rule]}, idem=None)
        self.assertEqual(r.status, 200, r)
        return r.json()["results"]

    def stored_keys(self):
        r = self.env.request("GET", "/_dev/echo")
        self.assertEqual(r.status, 200, r)
        return [e["key"] for e in r.json()["results"]]

    def test_drop_request_after_n_bytes_stores_nothing(self):
        body = os.urandom(400 * 1024)
        key = str(uuid.uuid4())
        self.rule(method="POST", path_prefix="/_dev/echo", drop_request_after=64 * 1024)
        r = self.env.request("POST", "/_dev/echo", body=body, idem=key)
        self.assertEqual(r.status, 0, r)
        self.assertIn(r.curl_rc, (CURL_EMPTY_REPLY, CURL_SEND_ERROR, CURL_RECV_ERROR), r.stderr)
        self.assertNotIn(key, self.stored_keys())
        self.env.wait_log("POST /_dev/echo 0 ")
        # The rule is used up; the retry is a first arrival, not a replay.
        r = self.env.request("POST", "/_dev/echo", body=body, idem=key)
        self.assertEqual(r.status, 201, r)
        self.assertNotIn("idempotent-replayed", r.headers)
        self.assertEqual(self.stored_keys().count(key), 1)

    def test_drop_response_after_0_means_no_answer_but_committed(self):
        key = str(uuid.uuid4())
        self.rule(method="POST", path_prefix="/_dev/echo", drop_response_after=0)
        r = self.env.request("POST", "/_dev/echo", body=b"committed", idem=key)
        self.assertEqual(r.curl_rc, CURL_EMPTY_REPLY, r.stderr)
        self.assertEqual(r.status, 0)
        self.assertEqual(self.stored_keys().count(key), 1)
        r = self.env.request("POST", "/_dev/echo", body=b"committed", idem=key)
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.headers.get("idempotent-replayed"), "true")
        self.assertEqual(self.stored_keys().count(key), 1)

    def test_drop_response_after_n_bytes_of_the_body(self):
        key = str(uuid.uuid4())
        self.rule(method="POST", path_prefix="/_dev/echo", drop_response_after=20)
        r = self.env.request("POST", "/_dev/echo", body=b"cut short", idem=key)
        self.assertEqual(r.curl_rc, CURL_PARTIAL_FILE, r.stderr)
        self.assertEqual(r.status, 201)
        self.assertEqual(len(r.body), 20)
        self.assertEqual(self.stored_keys().count(key), 1)

    def test_truncate_body(self):
        self.rule(method="GET", path_prefix="/_dev/faults", truncate_body=True)
        r = self.env.request("GET", "/_dev/faults")
        self.assertEqual(r.curl_rc, CURL_PARTIAL_FILE, r.stderr)
        self.assertEqual(r.status, 200)
        self.assertGreater(int(r.headers["content-length"]), len(r.body))
        self.assertGreater(len(r.body), 0)
        # Used once: the next answer is whole.
        r = self.env.request("GET", "/_dev/faults")
        self.assertEqual(r.curl_rc, 0, r.stderr)
        self.assertEqual(int(r.headers["content-length"]), len(r.body))

    def test_stall_makes_the_client_time_out_and_the_retry_replays(self):
        key = str(uuid.uuid4())
        self.rule(method="POST", path_prefix="/_dev/echo", stall_ms=3000)
        t0 = time.monotonic()
        r = self.env.request("POST", "/_dev/echo", body=b"slow", idem=key,
                             extra=["--max-time", "1"])
        self.assertEqual(r.curl_rc, CURL_TIMEOUT, r.stderr)
        self.assertLess(time.monotonic() - t0, 2.5)
        # The handler ran before the stall: the retry gets the stored answer
        # at once, while the first one is still held.
        r = self.env.request("POST", "/_dev/echo", body=b"slow", idem=key)
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.headers.get("idempotent-replayed"), "true")

    def test_stall_then_the_answer_arrives(self):
        self.rule(method="GET", path_prefix="/_dev/faults", stall_ms=400)
        t0 = time.monotonic()
        r = self.env.request("GET", "/_dev/faults")
        self.assertEqual(r.status, 200, r)
        self.assertGreaterEqual(time.monotonic() - t0, 0.4)

    def test_status_503_with_retry_after(self):
        key = str(uuid.uuid4())
        self.rule(method="POST", path_prefix="/_dev/echo", status_503=True, retry_after=7)
        r = self.env.request("POST", "/_dev/echo", body=b"refused", idem=key)
        self.assertEqual(r.status, 503, r)
        self.assertEqual(r.headers["retry-after"], "7")
        e = r.json()
        self.assertTrue(e["report_list"])
        self.assertNotIn(key, self.stored_keys())

    def test_rules_apply_n_times_and_match_method_and_prefix(self):
        self.rule(method="GET", path_prefix="/_dev/ec", status_503=True, times=2)
        self.assertEqual(self.env.request("GET", "/_dev/faults").status, 200)
        self.assertEqual(self.env.request("POST", "/_dev/echo", body=b"x",
                                          idem=str(uuid.uuid4())).status, 201)
        self.assertEqual(self.env.request("GET", "/_dev/echo").status, 503)
        self.assertEqual(self.env.request("GET", "/_dev/echo").status, 503)
        self.assertEqual(self.env.request("GET", "/_dev/echo").status, 200)

    def test_rules_are_listed_and_cleared(self):
        rules = self.rule(path_prefix="/records", stall_ms=10, times=5)
        self.assertEqual(rules, [{"method": "*", "path_prefix": "/records", "times_left": 5,
                                  "stall_ms": 10}])
        r = self.env.request("DELETE", "/_dev/faults")
        self.assertEqual(r.json()["results"], [])
        self.assertEqual(self.env.request("GET", "/_dev/faults").json()["results"], [])

    def test_bad_rules_are_refused_naming_the_rule(self):
        for rules in ([{"stall_ms": 5, "truncate_body": True}],
                      [{"path_prefix": "/", "explode": 1}],
                      [{"drop_request_after": -1}],
                      [{"status_503": True, "retry_after": "soon"}],
                      [{"stall_ms": 5, "times": 0}],
                      [{"method": "BREW", "stall_ms": 5}],
                      [{"stall_ms": 5}, {"path_prefix": "no-slash", "stall_ms": 5}]):
            r = self.env.post("/_dev/faults", {"rules": rules}, idem=None)
            self.assertEqual(r.status, 422, (rules, r))
            items = [it["item"] for it in r.json()["report_list"]]
            self.assertEqual(len(items), 1, r.json())
            self.assertTrue(items[0].startswith("rules["), items)
        # None of them was added, not even the valid first of the last list.
        self.assertEqual(self.env.request("GET", "/_dev/faults").json()["results"], [])


class FaultFlag(unittest.TestCase):
    def test_fault_flag_is_a_one_shot_rule(self):
        with PortalEnv(dev=True, args=["--fault", "GET /_dev/echo status_503 retry_after=3",
                                       "--fault", "POST /_dev/echo drop_response_after=0"]) as env:
            r = env.request("GET", "/_dev/echo")
            self.assertEqual(r.status, 503)
            self.assertEqual(r.headers["retry-after"], "3")
            self.assertEqual(env.request("GET", "/_dev/echo").status, 200)
            key = str(uuid.uuid4())
            r = env.request("POST", "/_dev/echo", body=b"x", idem=key)
            self.assertEqual(r.curl_rc, CURL_EMPTY_REPLY)
            r = env.request("POST", "/_dev/echo", body=b"x", idem=key)
            self.assertEqual(r.headers.get("idempotent-replayed"), "true")


if __name__ == "__main__":
    unittest.main(verbosity=2)
