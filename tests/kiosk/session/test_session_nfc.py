"""KioskCardMonitor and KioskSession on libnfc: the software card behind the
emulated PN532 (tests/harness/nfcenv.py), driven through
kiosk_session_probe. The monitor's own thread finds the card and checks its
presence; the session borrows the card's transport, the presence checks go
on under the same lock (a card that leaves mid-session is announced and its
operation fails with card-removed), and the end resets the card (field off)
before the monitor takes it back. No root needed."""

import os
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "harness"))
sys.path.insert(0, HERE)
from nfcenv import NfcEnv  # noqa: E402
from portalenv import PortalEnv  # noqa: E402
from probe import Probe  # noqa: E402

CONTACTLESS = 2


class NfcMonitor(unittest.TestCase):
    def setUp(self):
        self.env = NfcEnv().__enter__()
        self.addCleanup(self.env.__exit__, None, None, None)

    def probe(self, device, portal=None):
        env = self.env.environ()
        extra = []
        if portal:
            env["PORTAL_URL"] = portal.url
            env["PORTAL_CA"] = portal.ca
            tmp = tempfile.mkdtemp(prefix="kiosk-probe-")
            self.addCleanup(shutil.rmtree, tmp, True)
            extra = ["--outbox", os.path.join(tmp, "outbox")]
        p = Probe(["--source", "nfc", "--nfc-device", device] + extra, env)
        self.addCleanup(lambda: self.assertEqual(p.close(), 0))
        return p

    @staticmethod
    def field_offs(card):
        with open(card.apdu_log) as f:
            return sum(1 for line in f if line.startswith("# field-off"))

    def test_card_comes_and_goes(self):
        card = self.env.start_card("adult")
        p = self.probe(card.connstring)
        p.expect("notify service-available=1")
        p.expect("card-inserted")
        s = p.state()
        self.assertEqual((s["present"], s["service"], s["kind"]), (1, 1, CONTACTLESS))
        self.assertTrue(s["reader"])
        card.remove()
        p.expect("card-removed")
        self.assertEqual(p.state()["present"], 0)
        card.insert()
        p.expect("card-inserted")
        # Presence checks send no APDU to the card's application.
        self.assertEqual(card.apdus(), [])

    def test_device_that_comes_later(self):
        # The PN532 is not there yet: no service, tried again quietly.
        link = os.path.join(self.env.dir, "pn532-0")   # where start_card links it
        p = self.probe("pn532_uart:" + link)
        s = p.state()
        self.assertEqual((s["present"], s["service"], s["kind"]), (0, 0, 0))
        self.env.start_card("adult")
        p.expect("notify service-available=1")
        p.expect("card-inserted")
        s = p.state()
        self.assertEqual((s["present"], s["service"], s["kind"]), (1, 1, CONTACTLESS))

    def test_session_on_the_lent_card(self):
        portal = PortalEnv(dev=True).__enter__()
        self.addCleanup(portal.__exit__, None, None, None)
        card = self.env.start_card("adult")
        p = self.probe(card.connstring, portal)
        p.expect("card-inserted")
        self.assertEqual(p.ask("begin"), "begin ok 3")
        self.assertEqual(p.ask("login 1234"), "login ok")
        self.assertEqual(p.ask("sign-tries"), "sign-tries 5")
        offs = self.field_offs(card)
        p.send("end")
        p.expect("ended")
        self.assertEqual(p.ask("logged-in"), "logged-in 0")
        # The verified PIN went with the power: the field was switched off
        # once, at the end.
        self.assertEqual(self.field_offs(card), offs + 1)
        # The card stays in the field: the monitor keeps it for the next
        # resident, without announcing anything.
        self.assertEqual(p.ask("begin"), "begin ok 3")
        self.assertEqual(p.ask("sign-tries"), "sign-tries 5")
        p.send("end")
        p.expect("ended")
        self.assertNotIn("card-removed", p.skipped)

    def test_card_leaves_during_a_session(self):
        portal = PortalEnv(dev=True).__enter__()
        self.addCleanup(portal.__exit__, None, None, None)
        card = self.env.start_card("adult")
        p = self.probe(card.connstring, portal)
        p.expect("card-inserted")
        self.assertEqual(p.ask("begin"), "begin ok 3")
        card.remove()
        # Seen by the presence checks while the session holds the card.
        p.expect("card-removed")
        self.assertEqual(p.ask("login 1234"), "login error card:card-removed tries=-1")
        p.send("end")
        p.expect("ended")
        card.insert()
        p.expect("card-inserted")
        self.assertEqual(p.ask("begin"), "begin ok 3")
        self.assertEqual(p.ask("login 1234"), "login ok")


if __name__ == "__main__":
    unittest.main(verbosity=2)
