"""Every mynacard command through a real pcscd, on the software card served by
`mynacard-vcard vpcd`. MYNA_PCSC_MODE picks the reader path: "extended" (T=1,
extended APDUs carried), "short-only" (the card refuses extended APDUs) or
"t0" (the card negotiates T=0: 61xx/6Cxx handling, no extended APDUs).
Signatures are checked by OpenSSL, never by our own code."""

import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "harness"))
from pcscenv import PcscEnv, pki_dir, openssl  # noqa: E402

MODE = os.environ.get("MYNA_PCSC_MODE", "extended")
QUIRKS = {"extended": None, "short-only": "short-only", "t0": "t0"}[MODE]


class MynacardThroughPcscd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.env = PcscEnv("Myna Counter").__enter__()
        cls.addClassCleanup(cls.env.__exit__, None, None, None)
        cls.card = cls.env.start_card("adult", quirks=QUIRKS)
        cls.reader = cls.card.reader
        cls.tmp = tempfile.mkdtemp(prefix="myna-cli-", dir=cls.env.dir)
        cls.doc = os.path.join(cls.tmp, "doc.txt")
        with open(cls.doc, "w") as f:
            f.write("document to sign\n")
        cls.ca = os.path.join(pki_dir(), "ca")

    def mc(self, *args, pin=None, want=0):
        r = self.env.mynacard("--reader", self.reader, *args,
                              input=pin.encode() if pin is not None else None)
        self.assertEqual(r.returncode, want,
                         "mynacard %s: exit %d\n%s" % (" ".join(args), r.returncode,
                                                       r.stderr.decode()))
        return r

    def path(self, name):
        return os.path.join(self.tmp, name)

    def test_readers_lists_the_reader_and_the_card(self):
        r = self.env.mynacard("--json", "readers")
        self.assertEqual(r.returncode, 0, r.stderr)
        readers = {x["name"]: x for x in json.loads(r.stdout)["readers"]}
        self.assertIn(self.reader, readers)
        mine = readers[self.reader]
        self.assertTrue(mine["card_present"])
        self.assertFalse(mine["contactless"])
        self.assertEqual(mine["atr"], "3B 60 00 FF" if MODE == "t0"
                         else "3B E0 00 FF 81 31 FE 45 14")
        # the second slot of the vpcd entry has no card
        other = self.env.reader(1)
        self.assertFalse(readers[other]["card_present"])
        text = self.env.mynacard("readers").stdout.decode()
        self.assertIn("%s\tcard present" % self.reader, text)
        self.assertIn("%s\tno card" % other, text)

    def test_contactless_reader_is_recognised_and_works(self):
        # The ATR a PC/SC contactless reader builds (part 3); the card is
        # still found by its JPKI AID.
        second = self.env.start_card("adult", slot=1, quirks="contactless")
        try:
            readers = {x["name"]: x for x in
                       json.loads(self.env.mynacard("--json", "readers").stdout)["readers"]}
            self.assertTrue(readers[second.reader]["contactless"])
            self.assertTrue(readers[second.reader]["atr"].startswith("3B 88 80 01"))
            self.assertFalse(readers[self.reader]["contactless"])
            r = self.env.mynacard("--reader", second.reader, "cert", "auth",
                                  "-o", self.path("cl.pem"))
            self.assertEqual(r.returncode, 0, r.stderr)
            r = openssl("verify", "-CAfile", os.path.join(self.ca, "auth-ca.pem"),
                        self.path("cl.pem"))
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        finally:
            second.stop()
            self.env.wait_card(second.reader, present=False)

    def test_default_reader_is_the_one_holding_a_card(self):
        r = self.env.mynacard("--json", "info")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["token_label"], "JPKIAPICCTOKEN2")

    def test_reader_not_found_and_ambiguous(self):
        r = self.env.mynacard("--reader", "no such reader", "info")
        self.assertEqual(r.returncode, 10)
        self.assertIn(b"No card reader found", r.stderr)
        # Of two matching readers, the one holding a card is meant...
        r = self.env.mynacard("--reader", "myna counter 00", "--json", "info")
        self.assertEqual(r.returncode, 0, r.stderr)
        # ...but with a card in each, the name must say which.
        second = self.env.start_card("minimal", slot=1)
        try:
            r = self.env.mynacard("--reader", "myna counter 00", "info")
            self.assertEqual(r.returncode, 2)
            self.assertIn(b"More than one card reader", r.stderr)
            r = self.env.mynacard("--reader", "Counter 00 01", "--json", "info")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIsNone(json.loads(r.stdout)["token_label"])
        finally:
            second.stop()
            self.env.wait_card(second.reader, present=False)
        r = self.env.mynacard("--reader", self.env.reader(1), "info")
        self.assertEqual(r.returncode, 5)
        self.assertIn(b"No card found", r.stderr)

    def test_info_and_pin_status(self):
        out = json.loads(self.mc("--json", "info").stdout)
        self.assertEqual(out["token_label"], "JPKIAPICCTOKEN2")
        self.assertTrue(out["sign_certificate"])
        st = json.loads(self.mc("--json", "pin-status").stdout)
        self.assertEqual((st["auth"]["tries_left"], st["sign"]["tries_left"],
                          st["text"]["tries_left"]), (3, 5, 3))

    def test_certificates_chain_to_the_cas(self):
        self.mc("cert", "auth", "-o", self.path("auth.pem"))
        r = openssl("verify", "-CAfile", os.path.join(self.ca, "auth-ca.pem"),
                    self.path("auth.pem"))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.mc("cert", "auth-ca", "--der", "-o", self.path("auth-ca.der"))
        with open(self.path("auth-ca.der"), "rb") as a, \
                open(os.path.join(self.ca, "auth-ca.der"), "rb") as b:
            self.assertEqual(a.read(), b.read())
        self.mc("--pin-stdin", "cert", "sign", "-o", self.path("sign.pem"),
                pin="SIGN2026\n")
        r = openssl("verify", "-CAfile", os.path.join(self.ca, "sign-ca.pem"),
                    self.path("sign.pem"))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.mc("cert", "sign-ca", "-o", self.path("sign-ca.pem"))

    def test_signatures_verify_with_openssl(self):
        self.mc("cert", "auth", "-o", self.path("a.pem"))
        self.mc("--pin-stdin", "cert", "sign", "-o", self.path("s.pem"), pin="SIGN2026\n")
        for key, pin, cert in (("auth", "1234", "a.pem"), ("sign", "SIGN2026", "s.pem")):
            pub = self.path(key + ".pub")
            with open(pub, "wb") as f:
                f.write(openssl("x509", "-in", self.path(cert), "-pubkey", "-noout").stdout)
            for h in ("sha256", "sha512"):
                sig = self.path("sig-%s-%s" % (key, h))
                self.mc("--pin-stdin", "sign", key, "--in", self.doc, "--hash", h,
                        "-o", sig, pin=pin + "\n")
                r = openssl("dgst", "-" + h, "-verify", pub, "-signature", sig, self.doc)
                self.assertEqual(r.returncode, 0, (key, h, r.stdout, r.stderr))

    def test_cms_signature_verifies_with_openssl_cms(self):
        p7 = self.path("doc.p7s")
        self.mc("--pin-stdin", "sign", "sign", "--cms", "--in", self.doc, "-o", p7,
                pin="SIGN2026\n")
        r = openssl("cms", "-verify", "-binary", "-inform", "DER", "-in", p7,
                    "-content", self.doc, "-CAfile",
                    os.path.join(self.ca, "sign-ca.pem"), "-out", "/dev/null")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_text_ap(self):
        out = json.loads(self.mc("--json", "--pin-stdin", "basic-info", pin="1234\n").stdout)
        self.assertEqual(out["birth_date"], "1980-02-17")
        self.assertIn("前橋市", out["address"])
        out = self.mc("--pin-stdin", "my-number", pin="1234\n").stdout.decode()
        self.assertIn("403782176940", out)

    def test_face(self):
        png = self.path("face.png")
        self.mc("--pin-stdin", "face", "-o", png, "--birth", "1980-02-17",
                "--expiry-year", "2035", pin="2285\n")
        with open(png, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")

    def test_wrong_pin_spends_exactly_one_try(self):
        r = self.mc("--pin-stdin", "sign", "auth", "--in", self.doc, "-o",
                    self.path("x"), pin="9999\n", want=3)
        self.assertIn(b"2 tries left", r.stderr)
        st = json.loads(self.mc("--json", "pin-status").stdout)
        self.assertEqual(st["auth"]["tries_left"], 2)
        # the right PIN restores the counter
        self.mc("--pin-stdin", "sign", "auth", "--in", self.doc, "-o", self.path("x"),
                pin="1234\n")
        st = json.loads(self.mc("--json", "pin-status").stdout)
        self.assertEqual(st["auth"]["tries_left"], 3)

    def test_change_pin_and_back(self):
        self.mc("--pin-stdin", "change-pin", "text", pin="1234\n4321\n4321\n")
        self.mc("--pin-stdin", "my-number", pin="4321\n")
        self.mc("--pin-stdin", "change-pin", "text", pin="4321\n1234\n1234\n")
        self.mc("--pin-stdin", "my-number", pin="1234\n")

    def test_exclusive_keeps_others_off(self):
        # While one program holds the card exclusively, another is told so.
        holder = subprocess.Popen(
            [os.path.join(os.environ["MYNA_BUILD"], "tests", "integration", "card_session")],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=self.env.environ())
        try:
            holder.stdin.write(b"open exclusive\n")
            holder.stdin.flush()
            self.assertEqual(holder.stdout.readline().strip(), b"ok")
            r = self.env.mynacard("--reader", self.reader, "info")
            self.assertEqual(r.returncode, 10)
            self.assertIn(b"Another program is using the card", r.stderr)
            holder.stdin.write(b"close\n")
            holder.stdin.flush()
            self.assertEqual(holder.stdout.readline().strip(), b"ok")
            self.mc("info")
        finally:
            holder.stdin.close()
            holder.wait(timeout=30)
            holder.stdout.close()

    def test_reads_use_the_fewest_apdus_the_path_allows(self):
        mark = self.card.mark()
        self.mc("cert", "auth", "-o", self.path("c.pem"))
        ins = [a[2] for a in self.card.since(mark)]
        reads = ins.count("B0")
        if MODE == "extended":
            # SELECT AP, SELECT EF, one extended READ BINARY
            self.assertEqual(ins, ["A4", "A4", "B0"])
        else:
            # 256-byte reads; short-only pays one refused extended READ
            self.assertGreaterEqual(reads, 5)
            self.assertNotIn("20", ins)


if __name__ == "__main__":
    unittest.main(verbosity=2)
