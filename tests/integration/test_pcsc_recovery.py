"""One long-lived program (tests/integration/card_session.c) keeps a single
PC/SC context while pcscd, the reader and the card fail under it: each fault
gives a precise error, and the next operation of the same process works once
the fault is gone. Events come from `mynacard watch` in the same run."""

import json
import os
import signal
import subprocess
import sys
import threading
import queue
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "harness"))
from pcscenv import PcscEnv, build_dir, WAIT_S  # noqa: E402


class Session:
    """card_session driven line by line."""

    def __init__(self, env):
        exe = os.path.join(build_dir(), "tests", "integration", "card_session")
        self.proc = subprocess.Popen([exe], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, env=env.environ())

    def __call__(self, line):
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().decode().strip()

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=WAIT_S)
        self.proc.stdout.close()


class Watch:
    """`mynacard --json watch`: events as they come, in a queue."""

    def __init__(self, env):
        self.proc = subprocess.Popen(
            [os.path.join(build_dir(), "card", "cli", "mynacard"), "--json", "watch"],
            stdout=subprocess.PIPE, env=env.environ())
        self.events = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for line in self.proc.stdout:
            self.events.put(json.loads(line))

    def expect(self, *wanted):
        """Wait for each (event, reader) in order; others may come between."""
        for event, reader in wanted:
            while True:
                try:
                    ev = self.events.get(timeout=WAIT_S)
                except queue.Empty:
                    raise AssertionError("no %s event for %r" % (event, reader))
                if ev["event"] == event and (reader is None or ev.get("reader") == reader):
                    break

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=WAIT_S)
        self.proc.stdout.close()
        return code


class RecoveryInOneProcess(unittest.TestCase):
    def setUp(self):
        self.env = PcscEnv("Myna Desk").__enter__()
        self.addCleanup(self.env.__exit__, None, None, None)
        self.card = self.env.start_card("adult")
        self.s = Session(self.env)
        self.addCleanup(self.s.close)

    def test_card_removed_then_back(self):
        s = self.s
        self.assertEqual(s("open"), "ok")
        self.assertEqual(s("tries"), "ok 3")
        self.card.remove()
        self.assertEqual(s("tries"), "err card-removed")
        self.assertEqual(s("open"), "err no-card")
        self.card.insert()
        self.assertEqual(s("open"), "ok")
        self.assertEqual(s("tries"), "ok 3")
        self.assertEqual(s("cert"), s("cert"))

    def test_card_reset_by_another_program(self):
        s = self.s
        self.assertEqual(s("open"), "ok")
        self.assertEqual(s("verify 1234"), "ok")
        self.assertEqual(s("reset-other"), "ok")
        # The verified PIN is gone with the reset: the signature is refused
        # with a precise error, and nothing is re-sent on its own.
        self.assertEqual(s("sign"), "err card-reset")
        self.assertEqual(s("tries"), "ok 3")
        self.assertEqual(s("sign"), "err security-status")
        self.assertEqual(s("verify 1234"), "ok")
        self.assertEqual(s("sign"), "ok")
        vs = [a for a in self.card.apdus() if a[2] == "20" and a[5] != "lc=0"]
        self.assertEqual(len(vs), 2, "exactly the two VERIFYs asked for")

    def test_pcscd_killed_and_restarted(self):
        s = self.s
        watch = Watch(self.env)
        try:
            watch.expect(("card-inserted", self.card.reader))
            self.assertEqual(s("open"), "ok")
            self.assertEqual(s("tries"), "ok 3")
            self.env.stop_pcscd(signal.SIGKILL)
            watch.expect(("service-lost", None), ("reader-removed", self.card.reader))
            self.assertEqual(s("tries"), "err no-service")
            self.assertEqual(s("list"), "err no-service")
            self.assertEqual(s("open"), "err no-service")
            self.env.start_pcscd()
            watch.expect(("service-back", None), ("reader-added", self.card.reader),
                         ("card-inserted", self.card.reader))
            self.env.wait_card(self.card.reader)
            self.assertEqual(s("list"), "ok 2 Myna Desk 00 00|present Myna Desk 00 01|empty")
            self.assertEqual(s("open"), "ok")
            self.assertEqual(s("tries"), "ok 3")
        finally:
            self.assertEqual(watch.stop(), 0)

    def test_reader_disappears_and_comes_back(self):
        # A reader unplugged while pcscd runs cannot be made with vpcd:
        # Debian's pcscd takes serial readers only from its configuration at
        # start (SIGUSR1 re-reads nothing). The reader's going is pcscd
        # starting again without it.
        s = self.s
        watch = Watch(self.env)
        try:
            watch.expect(("card-inserted", self.card.reader))
            self.assertEqual(s("open"), "ok")
            self.env.restart_pcscd(with_reader=False)
            watch.expect(("reader-removed", self.card.reader), ("service-back", None))
            self.assertIn(s("tries"), ("err no-service", "err reader-removed"))
            self.assertEqual(s("open"), "err no-reader")
            self.assertEqual(s("list"), "ok 0")
            self.env.restart_pcscd()
            watch.expect(("reader-added", self.card.reader),
                         ("card-inserted", self.card.reader))
            self.assertEqual(s("open"), "ok")
            self.assertEqual(s("tries"), "ok 3")
        finally:
            self.assertEqual(watch.stop(), 0)

    def test_watch_reports_cards_coming_and_going(self):
        watch = Watch(self.env)
        try:
            watch.expect(("reader-added", self.card.reader),
                         ("card-inserted", self.card.reader))
            self.card.remove(wait=False)
            watch.expect(("card-removed", self.card.reader))
            self.card.insert(wait=False)
            watch.expect(("card-inserted", self.card.reader))
        finally:
            self.assertEqual(watch.stop(), 0)
        # --count ends the command by itself: the two readers and the card.
        r = self.env.mynacard("watch", "--count", "3", timeout=WAIT_S)
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.decode().splitlines()
        self.assertEqual(sorted(l.split("\t")[0] for l in lines),
                         ["card-inserted", "reader-added", "reader-added"])
        self.assertIn("card-inserted\t%s\t3B E0 00 FF 81 31 FE 45 14" % self.card.reader,
                      lines)

    def test_session_ends_with_a_reset(self):
        s = self.s
        self.assertEqual(s("open"), "ok")
        self.assertEqual(s("verify 1234"), "ok")
        self.assertEqual(s("close"), "ok")
        # A new session finds nothing verified: the card was reset.
        self.assertEqual(s("open"), "ok")
        self.assertEqual(s("sign"), "err security-status")
        with open(self.card.apdu_log) as f:
            self.assertIn("# reset", f.read())


if __name__ == "__main__":
    unittest.main(verbosity=2)
