"""The staff-assisted My Number Card application (server/kofu.c) against a
running portal-sim, black-box with curl: start with the 23-digit 申請書ID,
upload the photo (photo-spec.md's hard rules), submit after the resident's
own confirmation, look the status up. Photos are written by mkjpeg (libjpeg)
at test time."""

import os
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "harness"))
from portalenv import PortalEnv  # noqa: E402

TERMINAL = "kiosk-kofu-01"
FORM_ID = "12345678901234567890123"


def jst(t):
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t + 9 * 3600))


class Kofu(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.env = PortalEnv().__enter__()
        cls.addClassCleanup(cls.env.__exit__, None, None, None)
        cls.tmp = tempfile.mkdtemp(prefix="kofu-", dir=cls.env.dir)

    def jpeg(self, name, w, h, space="rgb", quality="90"):
        out = os.path.join(self.tmp, name)
        r = subprocess.run([os.environ["PS_MKJPEG"], out, str(w), str(h), space, quality],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(out, "rb") as f:
            return f.read()

    def start(self, form_id=FORM_ID):
        r = self.env.post("/kofu/v1/applications", {
            "application_form_id": form_id, "contact_name": "鈴木　和子",
            "email": "kazuko@example.jp"}, terminal=TERMINAL)
        self.assertEqual(r.status, 201, r.text)
        return r.json()["results"]["token"]

    def photo(self, token, data, ctype="image/jpeg"):
        return self.env.request("PUT", "/kofu/v1/applications/%s/photo" % token,
                                body=data, headers={"Content-Type": ctype},
                                terminal=TERMINAL)

    def submit(self, token, **over):
        body = {"birth_date": "1950-11-03", "want_e_certificates": True,
                "braille_name": False,
                "assisted": {"terminal_id": TERMINAL, "staff_id": "staff-017"},
                "resident_confirmed_at": jst(time.time())}
        body.update(over)
        return self.env.post("/kofu/v1/applications/%s/submit" % token, body,
                             terminal=TERMINAL)

    def items(self, r):
        return sorted(x["item"] for x in r.json().get("report_list", []))

    def test_whole_application(self):
        form_id = "98765432109876543210987"
        st = self.env.request("GET", "/kofu/v1/applications/%s/status" % form_id)
        self.assertEqual(st.json()["results"]["status"], "未申請", st.text)
        token = self.start(form_id)
        # Submitting before the photo names what is missing.
        r = self.submit(token)
        self.assertEqual(r.status, 422, r.text)
        self.assertEqual(self.items(r), ["photo"])
        r = self.photo(token, self.jpeg("good.jpg", 700, 900))
        self.assertEqual(r.status, 200, r.text)
        self.assertEqual((r.json()["results"]["width"], r.json()["results"]["height"]),
                         (700, 900))
        r = self.submit(token)
        self.assertEqual(r.status, 201, r.text)
        receipt = r.json()["results"]["receipt_no"]
        self.assertRegex(receipt, r"^[1-9][0-9]{15}$")
        st = self.env.request("GET", "/kofu/v1/applications/%s/status" % form_id)
        self.assertEqual(st.status, 200, st.text)
        self.assertEqual((st.json()["results"]["status"], st.json()["results"]["receipt_no"]),
                         ("受付済み", receipt))
        self.assertNotIn("contact_name", st.json()["results"])
        # Once submitted: no new photo, no second submission, no second start.
        self.assertEqual(self.photo(token, self.jpeg("good2.jpg", 700, 900)).status, 409)
        self.assertEqual(self.submit(token).status, 409)
        r = self.env.post("/kofu/v1/applications", {
            "application_form_id": form_id, "contact_name": "鈴木　和子",
            "email": "kazuko@example.jp"}, terminal=TERMINAL)
        self.assertEqual(r.status, 409, r.text)

    def test_photo_hard_rules(self):
        token = self.start()
        cases = [
            (self.jpeg("cmyk.jpg", 700, 900, "cmyk"), "image/jpeg", "photo.color_space"),
            (self.jpeg("square.jpg", 900, 900), "image/jpeg", "photo.aspect_ratio"),
            (self.jpeg("small.jpg", 350, 450), "image/jpeg", "photo.width"),
            (b"\x89PNG\r\n\x1a\n" + os.urandom(30000), "image/png", "photo.format"),
            (self.jpeg("trunc.jpg", 700, 900)[:25000], "image/jpeg", "photo.format"),
        ]
        for data, ctype, item in cases:
            r = self.photo(token, data, ctype)
            self.assertEqual(r.status, 422, r.text)
            self.assertIn(item, self.items(r), r.text)
        # A too-small file (greyscale is tolerated, size is not).
        r = self.photo(token, self.jpeg("tiny.jpg", 490, 630, "gray", "5"))
        self.assertEqual(r.status, 422, r.text)
        self.assertIn("photo.file_size", self.items(r))

    def test_refusals(self):
        for bad in ("1234", "1234567890123456789012a", ""):
            r = self.env.post("/kofu/v1/applications", {
                "application_form_id": bad, "contact_name": "鈴木", "email": "a@b.jp"},
                terminal=TERMINAL)
            self.assertEqual(r.status, 400, r.text)
            self.assertIn("application_form_id", self.items(r))
        r = self.env.post("/kofu/v1/applications", {
            "application_form_id": FORM_ID, "contact_name": "", "email": "not-mail"},
            terminal=TERMINAL)
        self.assertEqual(self.items(r), ["contact_name", "email"], r.text)
        token = self.start()
        self.assertEqual(self.photo(token, self.jpeg("ok.jpg", 700, 900)).status, 200)
        # Only the resident's own tap: no confirmation, one in the future, one
        # from before the photo are refused; so is another terminal's id.
        r = self.submit(token, resident_confirmed_at=None)
        self.assertIn("resident_confirmed_at", self.items(r))
        r = self.submit(token, resident_confirmed_at=jst(time.time() + 3600))
        self.assertIn("resident_confirmed_at", self.items(r))
        r = self.submit(token, resident_confirmed_at=jst(time.time() - 3600))
        self.assertIn("resident_confirmed_at", self.items(r))
        r = self.submit(token, assisted={"terminal_id": "other", "staff_id": "s"},
                        birth_date="2999-01-01")
        self.assertEqual(self.items(r), ["assisted.terminal_id", "birth_date"], r.text)
        self.assertEqual(self.photo("no-such-token", self.jpeg("x.jpg", 700, 900)).status, 404)


if __name__ == "__main__":
    unittest.main(verbosity=2)
