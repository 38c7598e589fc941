"""Every mynacard command over NFC: the real libnfc 1.8 drives an emulated
PN532 on a pseudo-terminal (`mynacard-vcard pn532`), behind which the
software card is an ISO 14443-4 Type B target. Signatures are checked by
OpenSSL, never by our own code."""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "harness"))
from nfcenv import NfcEnv  # noqa: E402
from pcscenv import pki_dir, openssl  # noqa: E402


class MynacardOverNfc(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.env = NfcEnv().__enter__()
        cls.addClassCleanup(cls.env.__exit__, None, None, None)
        cls.card = cls.env.start_card("adult")
        cls.doc = os.path.join(cls.env.dir, "doc.txt")
        with open(cls.doc, "w") as f:
            f.write("document to sign over NFC\n")
        cls.ca = os.path.join(pki_dir(), "ca")

    def mc(self, *args, pin=None, want=0):
        r = self.env.mynacard("--nfc", self.card.connstring, *args,
                              input=pin.encode() if pin is not None else None)
        self.assertEqual(r.returncode, want,
                         "mynacard %s: exit %d\n%s" % (" ".join(args), r.returncode,
                                                       r.stderr.decode()))
        return r

    def path(self, name):
        return os.path.join(self.env.dir, name)

    def test_nfc_list_sees_a_type_b_target(self):
        # libnfc's own tool, not ours.
        e = self.env.environ()
        e["LIBNFC_DEVICE"] = self.card.connstring
        r = self.env.run(["nfc-list"], env=e)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"ISO/IEC 14443-4B", r.stdout)
        self.assertIn(b"PUPI:", r.stdout)

    def test_readers_lists_the_device_libnfc_is_told_of(self):
        e = self.env.environ()
        e["LIBNFC_DEVICE"] = self.card.connstring
        e["PCSCLITE_CSOCK_NAME"] = self.path("no-pcscd")
        exe = os.path.join(os.environ["MYNA_BUILD"], "card", "cli", "mynacard")
        r = self.env.run([exe, "--json", "readers"], env=e)
        self.assertEqual(r.returncode, 0, r.stderr)
        nfc = [x for x in json.loads(r.stdout)["readers"] if x["transport"] == "nfc"]
        self.assertEqual([x["connstring"] for x in nfc], [self.card.connstring])

    def test_info_and_pin_status(self):
        out = json.loads(self.mc("--json", "info").stdout)
        self.assertEqual(out["token_label"], "JPKIAPICCTOKEN2")
        st = json.loads(self.mc("--json", "pin-status").stdout)
        self.assertEqual((st["auth"]["tries_left"], st["sign"]["tries_left"],
                          st["text"]["tries_left"]), (3, 5, 3))

    def test_certificates_chain_to_the_cas(self):
        self.mc("cert", "auth", "-o", self.path("auth.pem"))
        r = openssl("verify", "-CAfile", os.path.join(self.ca, "auth-ca.pem"),
                    self.path("auth.pem"))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.mc("--pin-stdin", "cert", "sign", "-o", self.path("sign.pem"), pin="SIGN2026\n")
        r = openssl("verify", "-CAfile", os.path.join(self.ca, "sign-ca.pem"),
                    self.path("sign.pem"))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        for which in ("auth-ca", "sign-ca"):
            self.mc("cert", which, "--der", "-o", self.path(which + ".der"))
            with open(self.path(which + ".der"), "rb") as a, \
                    open(os.path.join(self.ca, which + ".der"), "rb") as b:
                self.assertEqual(a.read(), b.read())

    def test_signatures_verify_with_openssl(self):
        self.mc("cert", "auth", "-o", self.path("a.pem"))
        self.mc("--pin-stdin", "cert", "sign", "-o", self.path("s.pem"), pin="SIGN2026\n")
        for key, pin, cert in (("auth", "1234", "a.pem"), ("sign", "SIGN2026", "s.pem")):
            pub = self.path(key + ".pub")
            with open(pub, "wb") as f:
                f.write(openssl("x509", "-in", self.path(cert), "-pubkey", "-noout").stdout)
            sig = self.path("sig-" + key)
            self.mc("--pin-stdin", "sign", key, "--in", self.doc, "-o", sig, pin=pin + "\n")
            r = openssl("dgst", "-sha256", "-verify", pub, "-signature", sig, self.doc)
            self.assertEqual(r.returncode, 0, (key, r.stdout, r.stderr))
        p7 = self.path("doc.p7s")
        self.mc("--pin-stdin", "sign", "sign", "--cms", "--in", self.doc, "-o", p7,
                pin="SIGN2026\n")
        r = openssl("cms", "-verify", "-binary", "-inform", "DER", "-in", p7,
                    "-content", self.doc, "-CAfile",
                    os.path.join(self.ca, "sign-ca.pem"), "-out", "/dev/null")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_text_ap_and_face(self):
        out = json.loads(self.mc("--json", "--pin-stdin", "basic-info", pin="1234\n").stdout)
        self.assertEqual(out["birth_date"], "1980-02-17")
        self.assertIn("403782176940", self.mc("--pin-stdin", "my-number",
                                              pin="1234\n").stdout.decode())
        png = self.path("face.png")
        self.mc("--pin-stdin", "face", "-o", png, "--birth", "1980-02-17",
                "--expiry-year", "2035", pin="2285\n")
        with open(png, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")

    def test_wrong_pin_spends_one_try_and_change_pin(self):
        r = self.mc("--pin-stdin", "sign", "auth", "--in", self.doc, "-o",
                    self.path("x"), pin="9999\n", want=3)
        self.assertIn(b"2 tries left", r.stderr)
        st = json.loads(self.mc("--json", "pin-status").stdout)
        self.assertEqual(st["auth"]["tries_left"], 2)
        self.mc("--pin-stdin", "change-pin", "text", pin="1234\n4321\n4321\n")
        self.mc("--pin-stdin", "my-number", pin="4321\n")
        self.mc("--pin-stdin", "change-pin", "text", pin="4321\n1234\n1234\n")
        self.mc("--pin-stdin", "sign", "auth", "--in", self.doc, "-o", self.path("x"),
                pin="1234\n")
        st = json.loads(self.mc("--json", "pin-status").stdout)
        self.assertEqual(st["auth"]["tries_left"], 3)

    def test_only_short_apdus_and_256_byte_reads(self):
        before = len(self.card.apdus())
        self.mc("cert", "auth", "-o", self.path("c.pem"))
        sent = self.card.apdus()[before:]
        reads = [a for a in sent if a[2] == "B0"]
        # the certificate is read in 256-byte pieces; no extended READ is tried
        self.assertGreaterEqual(len(reads), 4)
        self.assertNotIn("lc=0", [a[5] for a in reads if a[6] == "sw=6700"])
        self.assertFalse([a for a in sent if a[6] == "sw=6700"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
