"""Durability: portal-sim is killed with SIGKILL in the middle of a burst of
idempotent POSTs from several terminals at once, and started again on the
same data directory. Every request that got a 2xx answer is there (a 201
goes out only after its COMMIT, with synchronous=FULL), none is there twice,
and a retry of every request that got no answer, with its own key and body,
ends with exactly one stored copy."""

import os
import sys
import threading
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "harness"))
from portalenv import PortalEnv  # noqa: E402

WORKERS = 4
ACKED_BEFORE_KILL = 40


class Durability(unittest.TestCase):
    def test_every_acknowledged_request_survives_sigkill(self):
        with PortalEnv(dev=True) as env:
            cond = threading.Condition()
            acked, unanswered = {}, {}

            def worker(n):
                i = 0
                while True:
                    key = "kiosk-%d-%05d" % (n, i)
                    body = ("申請 %s " % key).encode() * 50
                    i += 1
                    r = env.request("POST", "/_dev/echo", body=body, idem=key,
                                    terminal="kiosk-%d" % n, timeout=30)
                    with cond:
                        if 200 <= r.status < 300:
                            acked[key] = (n, body)
                            cond.notify_all()
                        else:
                            # Killed under it: the server is gone.
                            unanswered[key] = (n, body)
                            return

            threads = [threading.Thread(target=worker, args=(n,)) for n in range(WORKERS)]
            for t in threads:
                t.start()
            with cond:
                self.assertTrue(cond.wait_for(lambda: len(acked) >= ACKED_BEFORE_KILL, 120),
                                "the burst did not get going")
            # Requests are in flight on every worker at this moment.
            self.assertEqual(env.kill(), -9)
            for t in threads:
                t.join(60)
                self.assertFalse(t.is_alive())
            self.assertEqual(len(unanswered), WORKERS)

            env.start()
            stored = env.request("GET", "/_dev/echo").json()["results"]
            keys = [e["key"] for e in stored]
            self.assertEqual(len(keys), len(set(keys)), "a request stored twice")
            for key in acked:
                self.assertIn(key, keys, "acknowledged, then lost")
            # What got no answer may or may not have been committed: the
            # client retries with the same key and body and ends up with one.
            for key, (n, body) in unanswered.items():
                r = env.request("POST", "/_dev/echo", body=body, idem=key,
                                terminal="kiosk-%d" % n)
                self.assertEqual(r.status, 201, r)
            keys = [e["key"] for e in env.request("GET", "/_dev/echo").json()["results"]]
            for key in list(acked) + list(unanswered):
                self.assertEqual(keys.count(key), 1, key)


if __name__ == "__main__":
    unittest.main(verbosity=2)
