"""Faults over NFC, through the real libnfc and the emulated PN532: the card
leaving the field after each APDU of "verify + sign", a frame with a bad
checksum, a card that stops answering, the device gone, no card. Each time:
no crash, a clear error, never a PIN try the user did not ask for, and the
next tap works."""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "harness"))
from nfcenv import NfcEnv  # noqa: E402


def verifies_with_pin(apdus):
    return [a for a in apdus if a[2] == "20" and a[5] != "lc=0"]


class NfcFaults(unittest.TestCase):
    def setUp(self):
        self.env = NfcEnv().__enter__()
        self.addCleanup(self.env.__exit__, None, None, None)
        self.doc = os.path.join(self.env.dir, "doc.txt")
        with open(self.doc, "w") as f:
            f.write("tapped\n")

    def sign(self, card, pin="1234"):
        return self.env.mynacard("--nfc", card.connstring, "--pin-stdin", "sign", "auth",
                                 "--in", self.doc, "-o", os.path.join(self.env.dir, "sig"),
                                 input=(pin + "\n").encode())

    def tries(self, card):
        r = self.env.mynacard("--nfc", card.connstring, "--json", "pin-status")
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)["auth"]["tries_left"]

    def test_card_leaves_after_each_apdu_of_verify_and_sign(self):
        card = self.env.start_card("adult")
        r = self.sign(card)
        self.assertEqual(r.returncode, 0, r.stderr)
        total = len(card.apdus())
        card.stop()
        for n in range(1, total):
            with self.subTest(left_after=n):
                card = self.env.start_card("adult", remove_after=n)
                r = self.sign(card)
                self.assertEqual(r.returncode, 6, r.stderr)
                self.assertIn(b"The card was removed", r.stderr)
                self.assertEqual(len(card.apdus()), n)
                self.assertLessEqual(len(verifies_with_pin(card.apdus())), 1)
                card.insert()
                self.assertEqual(self.tries(card), 3)
                r = self.sign(card)
                self.assertEqual(r.returncode, 0, r.stderr)
                card.stop()

    def test_wrong_pin_then_card_leaves_spends_one_try(self):
        # SELECT AP, SELECT EF, VERIFY (tries), VERIFY (PIN): gone after it.
        card = self.env.start_card("adult", remove_after=4)
        r = self.sign(card, "9999")
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn(b"2 tries left", r.stderr)
        card.insert()
        self.assertEqual(self.tries(card), 2)
        self.assertEqual(len(verifies_with_pin(card.apdus())), 1)

    def test_bad_checksum_is_an_io_error_and_the_next_tap_works(self):
        card = self.env.start_card("adult", bad_checksum_after=2)
        r = self.env.mynacard("--nfc", card.connstring, "info")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(r.returncode, (6, 8))
        self.assertNotIn(b"Internal error", r.stderr)
        r = self.env.mynacard("--nfc", card.connstring, "--json", "info")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_card_that_stops_answering_times_out(self):
        card = self.env.start_card("adult", stall_after=3)
        r = self.sign(card)
        self.assertIn(r.returncode, (6, 8), r.stderr)
        self.assertLessEqual(len(verifies_with_pin(card.apdus())), 1)
        r = self.env.mynacard("--nfc", card.connstring, "--json", "pin-status")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_no_card_in_the_field(self):
        card = self.env.start_card("adult")
        card.remove()
        r = self.env.mynacard("--nfc", card.connstring, "info")
        self.assertEqual(r.returncode, 5)
        self.assertIn(b"No card found", r.stderr)
        card.insert()
        self.assertEqual(self.env.mynacard("--nfc", card.connstring, "info").returncode, 0)

    def test_polling_for_a_card_can_be_cancelled(self):
        # The kiosk's "place your card" screen, abandoned: another thread
        # cancels the poll, which ends long before its 60 s.
        card = self.env.start_card("adult")
        card.remove()
        exe = os.path.join(os.environ["MYNA_BUILD"], "tests", "integration", "nfc_cancel")
        r = self.env.run([exe, card.connstring])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertTrue(r.stdout.startswith(b"cancelled after"), r.stdout)
        print(r.stdout.decode().strip())

    def test_default_device_from_libnfc_configuration(self):
        card = self.env.start_card("adult")
        e = self.env.environ()
        e["LIBNFC_DEVICE"] = card.connstring
        exe = os.path.join(os.environ["MYNA_BUILD"], "card", "cli", "mynacard")
        r = self.env.run([exe, "--nfc", "default", "--json", "info"], env=e)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_device_gone(self):
        card = self.env.start_card("adult")
        link = card.link
        card.stop()
        r = self.env.mynacard("--nfc", "pn532_uart:" + link, "info")
        self.assertEqual(r.returncode, 10)
        self.assertIn(b"No card reader found", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
