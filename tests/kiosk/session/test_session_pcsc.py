"""KioskCardMonitor and KioskSession through a real pcscd (a private one,
tests/harness/pcscenv.py) with the software card in a vpcd reader, driven
through kiosk_session_probe: card events as mynacard-vcard comes and goes
(SIGUSR1/SIGUSR2), the reader kind from the ATR, the configured reader, a
session's begin and login through pcscd holding the card exclusively and
ending with a reset, a card pulled in the middle of a session, and pcscd
killed and started again. Needs root (pcscenv)."""

import json
import os
import shutil
import signal
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "harness"))
sys.path.insert(0, HERE)
from pcscenv import PcscEnv  # noqa: E402
from portalenv import PortalEnv  # noqa: E402
from probe import Probe  # noqa: E402

CONTACT, CONTACTLESS = 1, 2
NAME = "Myna Kiosk"


class PcscMonitor(unittest.TestCase):
    def setUp(self):
        self.env = PcscEnv(NAME).__enter__()
        self.addCleanup(self.env.__exit__, None, None, None)

    def probe(self, *args, portal=None):
        env = self.env.environ()
        extra = []
        if portal:
            env["PORTAL_URL"] = portal.url
            env["PORTAL_CA"] = portal.ca
            tmp = tempfile.mkdtemp(prefix="kiosk-probe-")
            self.addCleanup(shutil.rmtree, tmp, True)
            extra = ["--outbox", os.path.join(tmp, "outbox")]
        p = Probe(["--source", "pcsc"] + list(args) + extra, env)
        self.addCleanup(lambda: self.assertEqual(p.close(), 0))
        return p

    def portal(self):
        portal = PortalEnv(dev=True).__enter__()
        self.addCleanup(portal.__exit__, None, None, None)
        return portal

    @staticmethod
    def resets(card):
        with open(card.apdu_log) as f:
            return sum(1 for line in f if line.startswith("# reset"))

    def test_card_events_follow_the_card(self):
        p = self.probe()
        # The two readers of the vpcd entry, then no card.
        p.expect("readers-changed")
        p.expect("readers-changed")
        s = p.state()
        self.assertEqual((s["present"], s["service"], s["kind"]), (0, 1, CONTACT))
        self.assertEqual(s["reader"], self.env.reader(0))
        card = self.env.start_card("adult")
        p.expect("notify card-present=1")
        p.expect("card-inserted")
        s = p.state()
        self.assertEqual((s["present"], s["kind"], s["reader"]), (1, CONTACT, card.reader))
        card.remove()
        p.expect("card-removed")
        self.assertEqual(p.state()["present"], 0)
        card.insert()
        p.expect("card-inserted")
        self.assertEqual(p.state()["present"], 1)
        line = p.ask("readers")
        self.assertEqual(line, "readers 2")
        r0 = p.expect("reader %s|" % self.env.reader(0))
        self.assertEqual(r0, "reader %s|present=1|contactless=0" % self.env.reader(0))

    def test_contactless_card_in_the_configured_reader(self):
        # A card in slot 0 is not the kiosk's: it watches slot 1 (a part of
        # the name), where a contactless card is then laid.
        other = self.env.start_card("adult", slot=0)
        p = self.probe("--reader", "kiosk 00 01")
        for _ in range(3):  # two readers, the card in slot 0
            p.expect("readers-changed")
        s = p.state()
        self.assertEqual((s["present"], s["reader"]), (0, self.env.reader(1)))
        other.remove()
        p.expect("readers-changed")
        card = self.env.start_card("adult", slot=1, quirks="contactless")
        p.expect("card-inserted")
        s = p.state()
        self.assertEqual((s["present"], s["kind"], s["reader"]),
                         (1, CONTACTLESS, self.env.reader(1)))
        self.assertNotIn("card-inserted", p.skipped)
        card.remove()
        p.expect("card-removed")

    def test_session_through_pcscd(self):
        portal = self.portal()
        card = self.env.start_card("adult")
        p = self.probe(portal=portal)
        p.expect("card-inserted")
        self.assertEqual(p.ask("begin"), "begin ok 3")
        # Held exclusively: another program sees the card in use.
        r = self.env.mynacard("--json", "readers")
        self.assertEqual(r.returncode, 0, r.stderr)
        readers = {x["name"]: x for x in json.loads(r.stdout)["readers"]}
        self.assertTrue(readers[card.reader]["in_use"])
        self.assertEqual(p.ask("login 9999"), "login error card:wrong-pin tries=2")
        self.assertEqual(p.ask("login 12a4"), "login error card:pin-format tries=-1")
        self.assertEqual(p.ask("login 1234"), "login ok")
        self.assertEqual(p.ask("logged-in"), "logged-in 1")
        self.assertEqual(p.ask("sign-tries"), "sign-tries 5")
        mark = card.mark()
        resets = self.resets(card)
        p.send("end")
        p.expect("ended")
        self.assertEqual(p.ask("logged-in"), "logged-in 0")
        # Released with a reset (no verified PIN survives) and no APDU; the
        # card is free for others.
        self.assertGreater(self.resets(card), resets)
        self.assertEqual(card.since(mark), [])
        r = self.env.mynacard("--json", "readers")
        readers = {x["name"]: x for x in json.loads(r.stdout)["readers"]}
        self.assertFalse(readers[card.reader]["in_use"])
        # Exactly the VERIFYs asked for: the wrong PIN and the right one
        # (12a4 never reached the card).
        verifies = [a for a in card.apdus() if a[2] == "20" and a[5] != "lc=0"]
        self.assertEqual(len(verifies), 2)
        # The next resident's begin reads what the wrong PIN left.
        self.assertEqual(p.ask("begin"), "begin ok 3")

    def test_card_pulled_in_the_middle_of_a_session(self):
        portal = self.portal()
        card = self.env.start_card("adult")
        p = self.probe(portal=portal)
        p.expect("card-inserted")
        self.assertEqual(p.ask("begin"), "begin ok 3")
        card.remove()
        p.expect("card-removed")
        self.assertEqual(p.ask("login 1234"), "login error card:card-removed tries=-1")
        self.assertEqual(p.ask("logged-in"), "logged-in 0")
        p.send("end")
        p.expect("ended")
        card.insert()
        p.expect("card-inserted")
        self.assertEqual(p.ask("begin"), "begin ok 3")

    def test_pcscd_killed_then_back(self):
        card = self.env.start_card("adult")
        p = self.probe()
        p.expect("card-inserted")
        self.assertEqual(p.state()["service"], 1)
        self.env.stop_pcscd(signal.SIGKILL)
        p.expect("notify service-available=0")
        p.expect("card-removed")
        s = p.state()
        self.assertEqual((s["present"], s["service"], s["kind"]), (0, 0, 0))
        self.env.start_pcscd()
        p.expect("notify service-available=1")
        p.expect("card-inserted")
        self.env.wait_card(card.reader)
        s = p.state()
        self.assertEqual((s["present"], s["service"], s["kind"], s["reader"]),
                         (1, 1, CONTACT, card.reader))


if __name__ == "__main__":
    unittest.main(verbosity=2)
