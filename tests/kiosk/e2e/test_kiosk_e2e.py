#!/usr/bin/python3
"""The kiosk end to end: mynaterm-kiosk on a private X server, driven through
AT-SPI as a resident's finger would, with the software card in a reader of a
private pcscd (vsmartcard-vpcd) and a real portal-sim over HTTPS.

Runs inside tests/harness/with-xvfb --a11y. Screens are waited on as events
(the kiosk's "painted:<screen>" lines), widgets are found by accessible name,
and what the portal received is checked from the municipality's side.
Screenshots of every screen go to $MYNA_KIOSK_SHOTS when it is set.
"""

import gettext
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "harness"))
from pcscenv import PcscEnv  # noqa: E402
from portalenv import PortalEnv  # noqa: E402
from kioskenv import Kiosk, KioskError, process_memory_contains, write_config  # noqa: E402
from mynatermenv import PROC, Municipality, form_for  # noqa: E402

CATALOG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
                       "portal-sim", "catalog", "data")

AUTH_PIN = "1234"
JA_PLACE_CARD = "マイナンバーカードをセットしてください"
SIGN_PASSWORD = "SIGN2026"
WAIT_S = 30.0


def wait_for(pred, what, timeout=WAIT_S):
    """Wait for a condition on the portal's own state, bounded."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.1)


class KioskE2E(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.portal = PortalEnv(dev=True).start()
        cls.pcsc = PcscEnv("Myna Kiosk")
        cls.pcsc.start_pcscd()
        # One card for the class, as at a counter: every test leaves its
        # counters full (a wrong PIN is followed by the right one).
        cls.card = cls.pcsc.start_card("adult")

    @classmethod
    def tearDownClass(cls):
        cls.pcsc.close()
        cls.portal.close()

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="kiosk-e2e-")
        self.portal.request("DELETE", "/_dev/faults")
        self.muni = Municipality(self.portal)
        self.before = {a["receipt_no"] for a in self.muni.all_applications()}
        # The resident "places" the card once the kiosk is up.
        self.card.remove()
        self.kiosk = None

    def tearDown(self):
        if self.kiosk:
            self.kiosk.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def start_kiosk(self, language="en", **cfg):
        conf = write_config(os.path.join(self.tmp, "kiosk.conf"), self.portal,
                            reader=self.card.reader, outbox=os.path.join(self.tmp, "outbox"),
                            **cfg)
        args = []
        shots = os.environ.get("MYNA_KIOSK_SHOTS")
        if shots:
            d = os.path.join(shots, self.id().rsplit(".", 1)[-1])
            os.makedirs(d, exist_ok=True)
            args += ["--screenshots", d]
        self.kiosk = Kiosk(conf, args=args, language=language, workdir=self.tmp)
        if shots:
            # What the screen showed when a wait or a search failed.
            self.kiosk.failure_shot = os.path.join(shots, "FAILED-%s.png" % self.id().rsplit(".", 1)[-1])
        self.kiosk.start()
        self.kiosk.wait_screen("attract")
        return self.kiosk

    def place_card_and_log_in(self, pin=AUTH_PIN):
        k = self.kiosk
        n = k.mark_count()
        self.card.insert()
        k.wait_screen("pin", since=n)
        k.find("3 tries left")
        for d in pin:
            k.click(d)
        k.click("Log in")

    # -- login --

    def test_login_through_pcscd_then_end(self):
        k = self.start_kiosk()
        self.place_card_and_log_in()
        k.wait_screen("home")
        k.find("Notices")
        n = k.mark_count()
        k.click("End")
        k.wait_screen("attract", since=n)
        k.find(contains="Everything you entered has been cleared")
        # The card stays in the reader: the guide asks to take it out.
        k.find("Please take out the card")

    def test_wrong_pin_shows_tries_left_and_spends_one(self):
        k = self.start_kiosk()
        self.place_card_and_log_in(pin="9999")
        k.wait_mark("pin-entered")
        k.find("2 tries left")
        k.find("The PIN is not correct")
        self.assertEqual(k.screen(), "pin")
        # The right PIN still works.
        for d in AUTH_PIN:
            k.click(d)
        k.click("Log in")
        k.wait_screen("home")

    def test_last_try_is_warned(self):
        k = self.start_kiosk()
        self.place_card_and_log_in(pin="9999")
        k.find("2 tries left")
        for d in "9999":
            k.click(d)
        k.click("Log in")
        k.find("1 try left")
        k.find(contains="This is the last try")
        # Put the counter back for the next tests: the right PIN resets it.
        for d in AUTH_PIN:
            k.click(d)
        k.click("Log in")
        k.wait_screen("home")

    # -- applying --

    def open_form(self):
        k = self.kiosk
        k.click("Search and apply")
        k.wait_screen("search")
        k.click("児童手当の認定請求, 群馬県 前橋市", role="push button")
        k.wait_screen("procedure")
        k.click("Apply with My Number Card")
        k.wait_screen("form")
        with open(os.path.join(CATALOG, PROC + ".json"), encoding="utf-8") as f:
            return json.load(f)

    def attach(self, definition, attachment_id, file_name):
        k = self.kiosk
        title = [a["title"] for a in definition["attachments"] if a["id"] == attachment_id][0]
        k.click("Choose a file for “%s”" % title)
        k.click(file_name)
        k.find(contains="Remove %s" % file_name)

    def sign_and_send(self, password=SIGN_PASSWORD):
        k = self.kiosk
        k.click("Next")
        k.wait_screen("review")
        self.assert_controls_named()
        k.click("Sign and send")
        k.wait_screen("password")
        k.find("5 tries left")
        self.assert_controls_named()
        for ch in password:
            k.click(ch)
        n = k.mark_count()
        k.click("Sign and send")
        return n

    def docs_dir(self):
        docs = os.path.join(self.tmp, "docs")
        os.makedirs(docs, exist_ok=True)
        # Unique per test: portal-sim answers the same package sent again
        # within 24 h with the first receipt (a duplicate, nothing stored).
        with open(os.path.join(docs, "hoken.pdf"), "wb") as f:
            f.write(b"%PDF-1.4\n% a copy of the health insurance card\n% " +
                    ("%s %f" % (self.id(), time.time())).encode() + b"\n%%EOF\n")
        return docs

    def assert_controls_named(self):
        """Every control on the screen has an accessible name of its own
        (not GTK's fallback, the widget's type name)."""
        controls = ("push button", "toggle button", "check box", "radio button", "text",
                    "entry", "spin button", "combo box", "slider")
        bad = [(r, nm) for _, r, nm in self.kiosk._index(True)
               if r in controls and (not nm.strip() or nm.startswith("Gtk") or nm.startswith("Kiosk"))]
        self.assertEqual(bad, [], "controls without a name on screen %s" % self.kiosk.screen())

    def test_apply_end_to_end(self):
        k = self.start_kiosk(attachment_dirs=[self.docs_dir()])
        self.assert_controls_named()
        self.place_card_and_log_in()
        k.wait_screen("home")
        self.assert_controls_named()
        definition = self.open_form()
        self.assert_controls_named()
        k.fill_form(definition, form_for("adult"))
        self.attach(definition, "kenkou_hoken", "hoken.pdf")
        n = self.sign_and_send()
        k.wait_screen("receipt", since=n)
        self.assert_controls_named()
        new = wait_for(lambda: [a for a in self.muni.all_applications()
                                if a["receipt_no"] not in self.before], "the application")
        self.assertEqual(len(new), 1)
        arrive_id = new[0]["arrive_id"] if "arrive_id" in new[0] else new[0]["receipt_no"]
        k.find(contains=arrive_id)
        # Nothing of the package is left on the terminal: the outbox keeps
        # only the receipt.
        packages = os.path.join(self.tmp, "outbox", "packages")
        self.assertEqual([f for f in os.listdir(packages)] if os.path.isdir(packages) else [], [])
        n = k.mark_count()
        k.click("End")
        k.wait_screen("attract", since=n)

    def test_network_failure_at_submit_then_delivered_from_outbox(self):
        k = self.start_kiosk(attachment_dirs=[self.docs_dir()], delivery_interval=5)
        self.place_card_and_log_in()
        k.wait_screen("home")
        definition = self.open_form()
        k.fill_form(definition, form_for("adult"))
        self.attach(definition, "kenkou_hoken", "hoken.pdf")
        # Every upload to the portal is cut after 4 KiB from now on.
        r = self.portal.post("/_dev/faults", {"rules": [
            {"method": "POST", "path_prefix": "/shinsei/v2/apply",
             "drop_request_after": 4096, "times": 100000}]}, idem=False)
        self.assertEqual(r.status, 200, r)
        n = self.sign_and_send()
        k.wait_screen("receipt", since=n, timeout=60)
        # Signed and kept: the receipt says it will be sent, with no
        # arrival number yet.
        k.find(contains="will be sent as soon as the portal can be reached")
        self.assertEqual([a for a in self.muni.all_applications() if a["receipt_no"] not in self.before], [])
        n = k.mark_count()
        k.click("Finish")
        k.wait_screen("attract", since=n)
        # The portal is reachable again: the idle kiosk delivers it, once.
        self.portal.request("DELETE", "/_dev/faults")
        try:
            new = wait_for(lambda: [a for a in self.muni.all_applications()
                                    if a["receipt_no"] not in self.before], "the delivery",
                           timeout=120)
        except AssertionError:
            raise AssertionError("no delivery; the kiosk said:\n" + k.log()[-3000:])
        self.assertEqual(len(new), 1)
        wait_for(lambda: "outbox delivery: 1 delivered" in k.log(), "the kiosk noting it")

    def test_card_pulled_in_the_middle_of_a_form_leaves_nothing(self):
        k = self.start_kiosk()
        self.place_card_and_log_in()
        k.wait_screen("home")
        definition = self.open_form()
        marker_name = "残置確認　七三九一"
        marker_phone = "090-7391-4826"
        marker_my_number = "739148260017"
        k.set_text("請求者の氏名", marker_name, role="text")
        k.set_text("日中に連絡の取れる電話番号", marker_phone, role="text")
        pad = k.find("Keypad for “請求者の個人番号”")
        for digit in marker_my_number:
            k.press(k.find_in(pad, digit, role="push button"))
        # The scan finds what the form holds while it is open (so that its
        # silence below means something).
        held = process_memory_contains(k.proc.pid, [marker_name.encode(), marker_phone.encode()])
        self.assertEqual(held, {marker_name.encode(), marker_phone.encode()})
        n = k.mark_count()
        self.card.remove()
        k.wait_screen("attract", since=n)
        k.find(contains="The card was taken out")
        # Nothing of it on the screen ...
        names = [nm for _, _, nm in k._index(True)]
        for marker in (marker_name, marker_phone):
            self.assertFalse([nm for nm in names if marker in nm], marker)
        # ... nor in the kiosk's memory (freed memory is overwritten, the
        # My Number lived only in a wiped secret), nor on its disk.
        left = process_memory_contains(k.proc.pid, [marker_name.encode(), marker_phone.encode(),
                                                    marker_my_number.encode()])
        self.assertEqual(left, set())
        for root, _, files in os.walk(self.tmp):
            for f in files:
                if f.endswith(".log"):
                    continue
                with open(os.path.join(root, f), "rb") as fh:
                    data = fh.read()
                for marker in (marker_name.encode(), marker_phone.encode(), marker_my_number.encode()):
                    self.assertNotIn(marker, data, os.path.join(root, f))

    # -- session end --

    def test_card_pulled_on_home_ends_session(self):
        k = self.start_kiosk()
        self.place_card_and_log_in()
        k.wait_screen("home")
        n = k.mark_count()
        self.card.remove()
        k.wait_screen("attract", since=n)
        k.find(contains="The card was taken out")
        k.find("Please place your My Number Card")

    def test_idle_timeout_warns_then_ends(self):
        k = self.start_kiosk(idle_timeout=10, idle_warning=5)
        self.place_card_and_log_in()
        k.wait_screen("home")
        n = k.mark_count()
        k.find(contains="The session will end in", timeout=15)
        k.wait_screen("attract", since=n, timeout=15)
        k.find(contains="not touched for a while")

    def test_idle_warning_continue_keeps_session(self):
        k = self.start_kiosk(idle_timeout=10, idle_warning=5)
        self.place_card_and_log_in()
        k.wait_screen("home")
        k.find(contains="The session will end in", timeout=15)
        k.click("Continue")
        k.wait_gone(contains="The session will end in")
        self.assertEqual(k.screen(), "home")

    # -- search without a card --

    def test_search_without_card(self):
        k = self.start_kiosk()
        k.click("Search services")
        k.wait_screen("search")
        k.click("児童手当の認定請求, 群馬県 前橋市", role="push button")
        k.wait_screen("procedure")
        n = k.mark_count()
        k.click("Apply with My Number Card")
        k.wait_screen("card-wait", since=n)
        n = k.mark_count()
        self.card.insert()
        k.wait_screen("pin", since=n)
        for d in AUTH_PIN:
            k.click(d)
        k.click("Log in")
        k.wait_screen("form")

    # -- language --

    def test_language_switch_and_back_after_session(self):
        k = self.start_kiosk(language=None)
        # Japanese by default: the card prompt of these terminals.
        k.find(JA_PLACE_CARD)
        n = k.mark_count()
        k.click("Português")
        k.wait_screen("attract", since=n)
        k.wait_gone(JA_PLACE_CARD)
        self.assertNotIn("Please place your My Number Card", k.texts())
        self.place_card_and_log_in_in_any_language("pt_BR")
        k.wait_screen("home")
        n = k.mark_count()
        self.card.remove()
        k.wait_screen("attract", since=n)
        # The next resident starts in Japanese again.
        k.find(JA_PLACE_CARD)

    def place_card_and_log_in_in_any_language(self, language):
        """Log in on a screen in language: the keys are named in the
        kiosk's own catalogue for it."""
        k = self.kiosk
        tr = translation(language)
        n = k.mark_count()
        self.card.insert()
        k.wait_screen("pin", since=n)
        for d in AUTH_PIN:
            k.click(d)
        k.click(tr.gettext("Log in"))


def translation(language):
    """The kiosk's catalogue for language, as built."""
    return gettext.translation("mynaterm-kiosk",
                               localedir=os.path.join(os.environ["MYNA_BUILD"], "locale"),
                               languages=[language], fallback=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
