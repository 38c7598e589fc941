"""portal-sim's HTTP layer over real HTTPS with curl: routes (404, 405 with
Allow), the error envelope, body caps (413 from Content-Length before the
body is read, and while reading a chunked body), Idempotency-Key (missing,
replayed byte for byte, reused with another body, per terminal), malformed
JSON, the per-terminal rate limit (429 + Retry-After), --dev routes being
absent without --dev, and a request log that holds no body, token or query
value."""

import json
import os
import sys
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "harness"))
from portalenv import PortalEnv  # noqa: E402

JSON_CAP = 256 * 1024


class Envelope:
    def assert_error(self, r, status, item=None):
        self.assertEqual(r.status, status, r)
        self.assertTrue(r.headers.get("content-type", "").startswith("application/"), r.headers)
        e = r.json()
        for k in ("title", "detail", "type", "instance", "report_list"):
            self.assertIn(k, e)
        self.assertTrue(e["type"].startswith("urn:mynaterm:portal-sim:error:"))
        self.assertTrue(e["report_list"], e)
        for it in e["report_list"]:
            self.assertTrue(it["item"].isascii(), it)
            # A person reads it: Japanese text.
            self.assertTrue(any(ord(c) > 0x3000 for c in it["content"]), it)
        if item:
            self.assertIn(item, [it["item"] for it in e["report_list"]])
        return e


class Routing(Envelope, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.env = PortalEnv(dev=True).__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.env.__exit__(None, None, None)

    def test_unknown_path_is_404(self):
        self.assert_error(self.env.request("GET", "/no/such/api"), 404, "path")
        self.assert_error(self.env.request("GET", "/records/v1/"), 404)

    def test_wrong_method_is_405_with_allow(self):
        r = self.env.request("DELETE", "/records/v1")
        self.assert_error(r, 405, "method")
        self.assertEqual(r.headers["allow"], "GET")
        r = self.env.request("PUT", "/_dev/faults", body=b"{}")
        self.assert_error(r, 405)
        self.assertEqual(r.headers["allow"], "POST, GET, DELETE")

    def test_connection_stays_open_after_an_answer_from_the_headers(self):
        # 404 and 401 are decided before the (empty) body: the connection
        # is still reused for the next request.
        r = self.env.curl("-v", self.env.url + "/no/such", "-o", "/dev/null",
                          self.env.url + "/records/v1", "-o", "/dev/null")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"Re-using existing connection", r.stderr)

    def test_resident_route_without_token_is_401(self):
        r = self.env.request("GET", "/selfinfo/v1/categories")
        self.assert_error(r, 401, "Authorization")
        self.assertTrue(r.headers["www-authenticate"].startswith("Bearer"))
        r = self.env.request("GET", "/selfinfo/v1/categories", token="not-a-token")
        e = self.assert_error(r, 401, "Authorization")
        self.assertIn("invalid_token", r.headers["www-authenticate"])
        self.assertTrue(e["type"].endswith(":invalid_token"))

    def test_bad_terminal_id_is_400(self):
        r = self.env.request("GET", "/_dev/echo", terminal="x" * 65)
        self.assert_error(r, 400, "X-Terminal-Id")

    def test_success_envelope_and_headers(self):
        r = self.env.request("GET", "/_dev/faults")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.headers["cache-control"], "no-store")
        self.assertEqual(r.headers["x-content-type-options"], "nosniff")
        b = r.json()
        self.assertIn("metadata", b)
        self.assertRegex(b["metadata"]["access_date"], r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
        self.assertEqual(b["results"], [])

    def test_malformed_json_is_400(self):
        r = self.env.request("POST", "/receive/ws/login", body=b'{"id": "x",',
                             headers={"Content-Type": "application/json"})
        e = self.assert_error(r, 400, "body")
        self.assertEqual(e["result"]["errors"], ["EE100"])
        r = self.env.request("POST", "/_dev/faults", body=b"[1, 2]")
        self.assert_error(r, 400, "body")
        r = self.env.request("POST", "/_dev/faults", body=b"\xff\xfe{}")
        self.assert_error(r, 400, "body")


class BodyCaps(Envelope, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.env = PortalEnv(dev=True).__enter__()
        cls.big = os.path.join(cls.env.dir, "big.json")
        with open(cls.big, "wb") as f:
            f.write(b'{"id":"' + b"a" * (JSON_CAP + 10) + b'"}')

    @classmethod
    def tearDownClass(cls):
        cls.env.__exit__(None, None, None)

    def test_413_from_content_length(self):
        # The body is read to its end and thrown away, then the answer: a
        # client still uploading is never cut off before it can read it.
        r = self.env.request("POST", "/receive/ws/login", body=open(self.big, "rb").read(),
                             headers={"Content-Type": "application/json"})
        e = self.assert_error(r, 413, "body")
        self.assertIn(str(JSON_CAP), e["report_list"][0]["content"])

    def test_413_from_content_length_before_the_body_is_sent(self):
        # With Expect: 100-continue the client waits for the go-ahead; the
        # answer comes from the headers alone, no 100 Continue first.
        r = self.env.request("POST", "/receive/ws/login", body=open(self.big, "rb").read(),
                             headers={"Expect": "100-continue",
                                      "Content-Type": "application/json"},
                             extra=["-v"])
        self.assert_error(r, 413)
        self.assertNotIn("100 Continue", r.stderr)

    def test_413_without_content_length(self):
        r = self.env.request("POST", "/receive/ws/login", body=open(self.big, "rb").read(),
                             headers={"Transfer-Encoding": "chunked",
                                      "Content-Type": "application/json"})
        self.assert_error(r, 413, "body")

    def test_large_body_routes_take_more(self):
        body = os.urandom(3 * JSON_CAP)
        r = self.env.request("POST", "/_dev/echo", body=body, idem=str(uuid.uuid4()))
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json()["results"]["size"], len(body))
        r = self.env.request("POST", "/_dev/echo", body=body, idem=str(uuid.uuid4()),
                             headers={"Transfer-Encoding": "chunked"})
        self.assertEqual(r.status, 201, r)

    def test_package_cap_from_content_length(self):
        # Over 64 MiB: with Expect: 100-continue the 413 comes before any
        # body; far over it (past the 16 MiB the server reads and discards)
        # it comes at once, the body never read.
        for length, expect in ((64 * 1024 * 1024 + 1, "Expect: 100-continue"),
                               (200 * 1024 * 1024, "Expect:")):
            r = self.env.curl("-X", "POST", "-H", "Idempotency-Key: huge-%d" % length,
                              "-H", "Content-Length: %d" % length, "-H", expect,
                              "--max-time", "20", "-d", "", "-o", "-", "-w",
                              "\n%{http_code}", self.env.url + "/_dev/echo")
            self.assertTrue(r.stdout.endswith(b"\n413"), r)
            self.assertIn(b"body_too_large", r.stdout)


class Idempotency(Envelope, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.env = PortalEnv(dev=True).__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.env.__exit__(None, None, None)

    def echo(self, body, key=None, terminal=None):
        return self.env.request("POST", "/_dev/echo", body=body, idem=key, terminal=terminal)

    def stored(self):
        return self.env.request("GET", "/_dev/echo").json()["results"]

    def test_missing_key_is_400_and_stores_nothing(self):
        before = len(self.stored())
        self.assert_error(self.echo(b"no key"), 400, "Idempotency-Key")
        self.assertEqual(len(self.stored()), before)

    def test_bad_key_is_400(self):
        self.assert_error(self.echo(b"x", key="has space"), 400, "Idempotency-Key")
        self.assert_error(self.echo(b"x", key="k" * 256), 400, "Idempotency-Key")

    def test_same_key_same_body_replays_byte_for_byte(self):
        key = str(uuid.uuid4())
        first = self.echo(b"same body", key)
        self.assertEqual(first.status, 201, first)
        self.assertNotIn("idempotent-replayed", first.headers)
        again = self.echo(b"same body", key)
        self.assertEqual(again.status, 201)
        self.assertEqual(again.headers.get("idempotent-replayed"), "true")
        self.assertEqual(again.body, first.body)
        self.assertEqual(again.headers["content-type"], first.headers["content-type"])
        self.assertEqual([e["key"] for e in self.stored()].count(key), 1)

    def test_same_key_other_body_is_409(self):
        key = str(uuid.uuid4())
        self.assertEqual(self.echo(b"one", key).status, 201)
        self.assert_error(self.echo(b"two", key), 409, "Idempotency-Key")
        self.assertEqual([e["key"] for e in self.stored()].count(key), 1)

    def test_same_key_other_route_is_409(self):
        key = str(uuid.uuid4())
        r = self.env.post("/_dev/applications", {"resident_id": "nobody", "proc_id": "x"},
                          idem=key)
        self.assertEqual(r.status, 400, r)
        self.assert_error(self.echo(b'{"resident_id": "nobody", "proc_id": "x"}', key), 409)

    def test_a_4xx_answer_is_replayed_too(self):
        key = str(uuid.uuid4())
        first = self.env.post("/_dev/applications", {"resident_id": "nobody"}, idem=key)
        self.assert_error(first, 400, "resident_id")
        again = self.env.post("/_dev/applications", {"resident_id": "nobody"}, idem=key)
        self.assertEqual(again.headers.get("idempotent-replayed"), "true")
        self.assertEqual(again.body, first.body)

    def test_keys_are_per_terminal(self):
        key = str(uuid.uuid4())
        a = self.echo(b"terminal a", key, terminal="kiosk-a")
        b = self.echo(b"terminal b", key, terminal="kiosk-b")
        self.assertEqual(a.status, 201)
        self.assertEqual(b.status, 201, b)
        self.assertNotIn("idempotent-replayed", b.headers)
        self.assertNotEqual(a.json()["results"]["id"], b.json()["results"]["id"])


class RateLimit(Envelope, unittest.TestCase):
    def test_429_with_retry_after_per_terminal(self):
        with PortalEnv(args=["--rate", "0.2", "--burst", "3"]) as env:
            for _ in range(3):
                self.assertEqual(env.request("GET", "/x", terminal="kiosk-1").status, 404)
            r = env.request("GET", "/x", terminal="kiosk-1")
            self.assert_error(r, 429, "X-Terminal-Id")
            self.assertGreaterEqual(int(r.headers["retry-after"]), 1)
            # Another terminal has its own bucket.
            self.assertEqual(env.request("GET", "/x", terminal="kiosk-2").status, 404)
            # Without X-Terminal-Id the client address is the key.
            for _ in range(3):
                env.request("GET", "/x")
            r = env.request("GET", "/x")
            self.assert_error(r, 429, "client")

    def test_default_does_not_throttle_a_burst(self):
        with PortalEnv() as env:
            urls = []
            for _ in range(300):
                urls += [env.url + "/x", "-o", "/dev/null"]
            args = ["-w", "%{http_code}\n", "-H", "X-Terminal-Id: burst"]
            r = env.curl(*args, "--parallel", "--parallel-max", "20", *urls)
            codes = r.stdout.decode().split()
            self.assertEqual(len(codes), 300, r.stderr)
            self.assertEqual(set(codes), {"404"})


class DevRoutes(unittest.TestCase):
    def test_dev_routes_do_not_exist_without_dev(self):
        with PortalEnv() as env:
            for method, path in (("GET", "/_dev/faults"), ("POST", "/_dev/echo"),
                                 ("POST", "/_dev/applications"), ("DELETE", "/_dev/faults")):
                r = env.request(method, path, body=b"{}", idem=str(uuid.uuid4()))
                self.assertEqual(r.status, 404, (method, path, r))


class RequestLog(unittest.TestCase):
    def test_log_has_method_route_status_time_and_nothing_personal(self):
        with PortalEnv(dev=True) as env:
            secret_query = "date_from=2026-01-01&keyword=%E9%AB%98%E6%A9%8B"
            env.request("GET", "/records/v1?" + secret_query, token="SECRET-TOKEN-123")
            env.request("POST", "/_dev/echo", body=b"SECRET-BODY-456", idem="key-789",
                        terminal="kiosk-log")
            env.request("GET", "/shinsei/v2/notice/1020162026100001/01", token="SECRET-TOKEN-123")
            # A request's line is written once the connection is done with
            # it, which can be after the client has the answer: the whole
            # log is there once portal-sim has stopped.
            self.assertEqual(env.stop(), 0)
            log = env.log()
            for secret in ("SECRET-TOKEN-123", "SECRET-BODY-456", "2026-01-01", "keyword",
                           "1020162026100001", "key-789"):
                self.assertNotIn(secret, log)
            self.assertRegex(log, r"portal-sim: GET /records/v1 401 \d+\.\d ms")
            self.assertRegex(log, r"portal-sim: POST /_dev/echo 201 \d+\.\d ms terminal=kiosk-log")
            self.assertRegex(log, r"portal-sim: GET /shinsei/v2/notice/\{\}/\{\} 401")


if __name__ == "__main__":
    unittest.main(verbosity=2)
