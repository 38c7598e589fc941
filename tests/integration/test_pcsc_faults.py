"""Faults under `mynacard` through a real pcscd: the card pulled after each
APDU of "verify + sign" (every position, on a T=1 path with extended APDUs and
on a T=0 path), pcscd killed and restarted between operations, the reader
gone. Each time: no crash, a clear error, never a PIN try the user did not
ask for, and the next operation succeeds once the card is back."""

import json
import os
import signal
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "harness"))
from pcscenv import PcscEnv  # noqa: E402


def verifies_with_pin(apdus):
    """VERIFY commands that carried a PIN (lc > 0); lc=0 only reads tries."""
    return [a for a in apdus if a[2] == "20" and a[5] != "lc=0"]


class CardPulledAtEveryPosition(unittest.TestCase):
    def setUp(self):
        self.env = PcscEnv("Myna Pull").__enter__()
        self.addCleanup(self.env.__exit__, None, None, None)
        self.doc = os.path.join(self.env.dir, "doc.txt")
        with open(self.doc, "w") as f:
            f.write("pulled\n")

    def sign(self, pin="1234"):
        return self.env.mynacard("--pin-stdin", "sign", "auth", "--in", self.doc,
                                 "-o", os.path.join(self.env.dir, "sig"),
                                 input=(pin + "\n").encode())

    def tries(self):
        r = self.env.mynacard("--json", "pin-status")
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)["auth"]["tries_left"]

    def pull_everywhere(self, quirks):
        # How many APDUs a whole "verify + sign" takes on this path.
        card = self.env.start_card("adult", quirks=quirks)
        r = self.sign()
        self.assertEqual(r.returncode, 0, r.stderr)
        total = len(card.apdus())
        self.assertEqual(len(verifies_with_pin(card.apdus())), 1)
        card.stop()
        self.env.wait_card(card.reader, present=False)
        self.assertGreaterEqual(total, 6)
        for n in range(1, total):
            with self.subTest(quirks=quirks, pulled_after=n):
                card = self.env.start_card("adult", quirks=quirks, remove_after=n)
                self.addCleanup(card.stop)
                r = self.sign()
                self.assertEqual(r.returncode, 6, r.stderr)
                self.assertIn(b"The card was removed", r.stderr)
                self.assertNotIn(b"Internal error", r.stderr)
                self.assertEqual(len(card.apdus()), n)
                self.assertLessEqual(len(verifies_with_pin(card.apdus())), 1,
                                     "a PIN sent twice")
                self.env.wait_card(card.reader, present=False)
                # Back on the reader: nothing was spent, and it works.
                card.insert()
                self.assertEqual(self.tries(), 3)
                r = self.sign()
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertLessEqual(len(verifies_with_pin(card.apdus())), 2)
                card.stop()
                self.env.wait_card(card.reader, present=False)

    def test_pulled_after_each_apdu_extended_path(self):
        self.pull_everywhere(None)

    def test_pulled_after_each_apdu_t0_path(self):
        self.pull_everywhere("t0")

    def test_wrong_pin_then_pulled_spends_one_try_only(self):
        # SELECT AP, SELECT EF, VERIFY (tries), VERIFY (PIN): pulled after it.
        card = self.env.start_card("adult", remove_after=4)
        r = self.sign("9999")
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn(b"2 tries left", r.stderr)
        self.env.wait_card(card.reader, present=False)
        card.insert()
        self.assertEqual(self.tries(), 2)
        self.assertEqual(len(verifies_with_pin(card.apdus())), 1)


class ServiceAndReaderFaults(unittest.TestCase):
    def setUp(self):
        self.env = PcscEnv("Myna Front").__enter__()
        self.addCleanup(self.env.__exit__, None, None, None)
        self.card = self.env.start_card("adult")

    def info(self, *extra):
        return self.env.mynacard(*extra, "--json", "info")

    def test_pcscd_killed_and_restarted_between_operations(self):
        self.assertEqual(self.info().returncode, 0)
        self.env.stop_pcscd(signal.SIGKILL)
        r = self.info()
        self.assertEqual(r.returncode, 10)
        self.assertIn(b"smart card service (pcscd) is not running", r.stderr)
        r = self.env.mynacard("readers")
        self.assertEqual(r.returncode, 10)
        self.env.start_pcscd()
        self.env.wait_card(self.card.reader)
        r = self.info()
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_reader_gone(self):
        self.env.restart_pcscd(with_reader=False)
        r = self.info("--reader", self.card.reader)
        self.assertEqual(r.returncode, 10)
        self.assertIn(b"No card reader found", r.stderr)
        r = self.info()
        self.assertEqual(r.returncode, 10)
        self.assertIn(b"No card reader found", r.stderr)
        self.env.restart_pcscd()
        self.env.wait_card(self.card.reader)
        self.assertEqual(self.info("--reader", self.card.reader).returncode, 0)

    def test_no_card_in_the_reader(self):
        self.card.remove()
        r = self.info("--reader", self.card.reader)
        self.assertEqual(r.returncode, 5)
        self.assertIn(b"Place the My Number Card on the reader", r.stderr)
        self.card.insert()
        self.assertEqual(self.info("--reader", self.card.reader).returncode, 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
