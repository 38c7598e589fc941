"""Our PKCS#11 module, libmynacard-pkcs11.so, driven by a client we did not
write: OpenSC's `pkcs11-tool --module <ours>`, against the software card
through a private pcscd (the adult profile).

Asserted: two tokens per reader ("JPKI User Authentication", PIN 4..4, and
"JPKI Digital Signature", password 6..16) with a serial number taken from the
card; the objects with their ids (01 auth certificate and keys, 03 auth CA,
04 signature CA, 02 signature certificate and keys after login); the auth
certificate byte for byte; signatures (SHA256-RSA-PKCS, and RSA-PKCS over a
caller's DigestInfo) that OpenSSL verifies; a wrong PIN costs exactly one try
and is then shown as "user PIN count low"; a PIN of the wrong length is
refused without any VERIFY reaching the card.

APDU counts for -L, -O and login + sign are printed, not asserted (OpenSC's
own module: 62 for -O, 70 for login + sign)."""

import json
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "harness"))
from pcscenv import PcscEnv, build_dir, pki_dir, profile_path  # noqa: E402
from opensc import parse_objects, parse_slots  # noqa: E402

AUTH_TOKEN = "JPKI User Authentication"
SIGN_TOKEN = "JPKI Digital Signature"
AUTH_PIN = "1234"
SIGN_PASSWORD = "SIGN2026"
ID_AUTH, ID_SIGN, ID_AUTH_CA, ID_SIGN_CA = "01", "02", "03", "04"
# DER DigestInfo prefix for SHA-256 (RFC 8017, 9.2 note 1).
SHA256_PREFIX = bytes.fromhex("3031300d060960864801650304020105000420")


CKR_OK, CKR_DEVICE_REMOVED, CKR_TOKEN_NOT_PRESENT = 0, 0x32, 0xE0

# Drives the module through ctypes (C_* are exported): prints "name rv" lines
# and "ready", then waits for a line on stdin before the next step.
REMOVAL_HELPER = r"""
import ctypes, sys
from ctypes import byref, c_ubyte, c_ulong as UL
m = ctypes.CDLL(sys.argv[1])
class InitArgs(ctypes.Structure):
    _fields_ = [("create", ctypes.c_void_p), ("destroy", ctypes.c_void_p),
                ("lock", ctypes.c_void_p), ("unlock", ctypes.c_void_p),
                ("flags", UL), ("reserved", ctypes.c_void_p)]
args = InitArgs(flags=2)  # CKF_OS_LOCKING_OK
assert m.C_Initialize(byref(args)) == 0
assert m.C_Initialize(None) == 0x191  # CKR_CRYPTOKI_ALREADY_INITIALIZED
buf = (c_ubyte * 1024)()
def slots():
    arr, n = (UL * 16)(), UL(16)
    rv = m.C_GetSlotList(c_ubyte(1), arr, byref(n))
    assert rv == 0, rv
    print("slots", n.value)
def wait():
    print("ready", flush=True)
    sys.stdin.readline()
h = UL()
slots()
print("open", m.C_OpenSession(UL(0), UL(4), None, None, byref(h)))
print("info", m.C_GetSessionInfo(h, buf))
wait()
print("info", m.C_GetSessionInfo(h, buf))
slots()
print("token", m.C_GetTokenInfo(UL(0), buf))
h2 = UL()
print("open", m.C_OpenSession(UL(0), UL(4), None, None, byref(h2)))
wait()
slots()
print("open", m.C_OpenSession(UL(0), UL(4), None, None, byref(h2)))
print("info", m.C_GetSessionInfo(h2, buf))
print("token", m.C_GetTokenInfo(UL(0), buf))
print("old", m.C_GetSessionInfo(h, buf))
print("close_old", m.C_CloseSession(h))
wait()
assert m.C_Finalize(None) == 0
"""


def module():
    return os.path.join(build_dir(), "card", "pkcs11", "libmynacard-pkcs11.so")


def openssl(*args, input=None):
    return subprocess.run(["openssl"] + list(args), capture_output=True, input=input)


def read(path):
    with open(path, "rb") as f:
        return f.read()


class Pkcs11Base(unittest.TestCase):
    QUIRKS = None
    NAME = "Myna P11"

    @classmethod
    def setUpClass(cls):
        cls.env = PcscEnv(cls.NAME).__enter__()
        cls.addClassCleanup(cls.env.__exit__, None, None, None)
        cls.card = cls.env.start_card("adult", quirks=cls.QUIRKS)
        cls.reader = cls.card.reader
        cls.tmp = tempfile.mkdtemp(prefix="myna-p11-", dir=cls.env.dir)
        cls.doc = os.path.join(cls.tmp, "doc.txt")
        with open(cls.doc, "w") as f:
            f.write("document signed through libmynacard-pkcs11\n")
        cls.profile_dir = os.path.dirname(profile_path("adult"))
        cls.ca = os.path.join(pki_dir(), "ca")

    def path(self, name):
        return os.path.join(self.tmp, name)

    def p11(self, what, *args, want=0):
        """pkcs11-tool with our module; print the APDUs it cost; check the exit."""
        cmd = ["pkcs11-tool", "--module", module()] + list(args)
        mark = self.card.mark()
        r = self.env.run(cmd)
        print("pkcs11 [%s] %s: %d APDUs" % (self.QUIRKS or "T=1", what,
                                           len(self.card.since(mark))))
        if want is not None:
            self.assertEqual(r.returncode, want, "%s: exit %d\n%s%s" % (
                " ".join(cmd), r.returncode, r.stdout.decode(errors="replace"),
                r.stderr.decode(errors="replace")))
        return r

    def pubkey(self, der_name):
        pub = self.path(der_name + ".pub.pem")
        r = openssl("x509", "-inform", "DER", "-in",
                    os.path.join(self.profile_dir, der_name), "-pubkey", "-noout",
                    "-out", pub)
        self.assertEqual(r.returncode, 0, r.stderr)
        return pub

    def tries(self):
        r = self.env.mynacard("--reader", self.reader, "--json", "pin-status")
        self.assertEqual(r.returncode, 0, r.stderr)
        st = json.loads(r.stdout)
        return st["auth"]["tries_left"], st["sign"]["tries_left"]

    def tokens(self):
        r = self.p11("-L", "-L")
        slots = [s for s in parse_slots(r.stdout.decode())
                 if self.reader in s["reader"] and "token label" in s]
        return {s["token label"]: s for s in slots}, r

    # -- the tests, shared by the quirk classes --

    def test_two_tokens_with_card_serial_and_pin_ranges(self):
        by_label, r = self.tokens()
        self.assertEqual(sorted(by_label), sorted([AUTH_TOKEN, SIGN_TOKEN]),
                         r.stdout.decode())
        self.assertEqual(by_label[AUTH_TOKEN]["pin min/max"], "4/4")
        self.assertEqual(by_label[SIGN_TOKEN]["pin min/max"], "6/16")
        # The serial comes from the card: the first 8 bytes of the SHA-256
        # of the authentication certificate.
        import hashlib
        want = hashlib.sha256(read(os.path.join(self.profile_dir, "auth.der"))
                              ).hexdigest()[:16].upper()
        for s in by_label.values():
            self.assertEqual(s["token manufacturer"], "JPKI")
            self.assertEqual(s["token model"], "My Number Card")
            self.assertEqual(s["serial num"], want)
            self.assertIn("login required", s["token flags"])
            self.assertIn("PIN initialized", s["token flags"])
            self.assertNotIn("count low", s["token flags"])

    def test_objects_listed(self):
        r = self.p11("-O", "--token-label", AUTH_TOKEN, "-O")
        objs = {(o["kind"], o.get("ID")): o.get("label")
                for o in parse_objects(r.stdout.decode())}
        self.assertEqual(objs, {
            ("Certificate Object", ID_AUTH): "User Authentication Certificate",
            ("Certificate Object", ID_AUTH_CA): "User Authentication Certificate CA",
            ("Public Key Object", ID_AUTH): "User Authentication Public Key"},
            r.stdout.decode())
        r = self.p11("-O sign token", "--token-label", SIGN_TOKEN, "-O")
        objs = {(o["kind"], o.get("ID")): o.get("label")
                for o in parse_objects(r.stdout.decode())}
        self.assertEqual(objs, {
            ("Certificate Object", ID_SIGN_CA): "Digital Signature Certificate CA"},
            r.stdout.decode())
        r = self.p11("login -O auth token", "--token-label", AUTH_TOKEN, "--login",
                     "--pin", AUTH_PIN, "-O")
        objs = {(o["kind"], o.get("ID")): o for o in parse_objects(r.stdout.decode())}
        key = objs[("Private Key Object", ID_AUTH)]
        self.assertEqual(key["label"], "User Authentication Key")
        self.assertIn("sign", key["Usage"])
        self.assertIn("never extractable", key["Access"])
        r = self.p11("login -O sign token", "--token-label", SIGN_TOKEN, "--login",
                     "--pin", SIGN_PASSWORD, "-O")
        objs = {(o["kind"], o.get("ID")): o for o in parse_objects(r.stdout.decode())}
        self.assertEqual(objs[("Certificate Object", ID_SIGN)]["label"],
                         "Digital Signature Certificate")
        self.assertEqual(objs[("Public Key Object", ID_SIGN)]["label"],
                         "Digital Signature Public Key")
        key = objs[("Private Key Object", ID_SIGN)]
        self.assertEqual(key["label"], "Digital Signature Key")
        self.assertIn("always authenticate", key["Access"])

    def test_certificates_read_byte_for_byte(self):
        for token, cert_id, want, login in (
                (AUTH_TOKEN, ID_AUTH, os.path.join(self.profile_dir, "auth.der"), None),
                (AUTH_TOKEN, ID_AUTH_CA, os.path.join(self.ca, "auth-ca.der"), None),
                (SIGN_TOKEN, ID_SIGN_CA, os.path.join(self.ca, "sign-ca.der"), None),
                (SIGN_TOKEN, ID_SIGN, os.path.join(self.profile_dir, "sign.der"),
                 SIGN_PASSWORD)):
            out = self.path("cert-%s.der" % cert_id)
            args = ["--token-label", token]
            if login:
                args += ["--login", "--pin", login]
            self.p11("read cert %s" % cert_id, *args, "--read-object", "--type",
                     "cert", "--id", cert_id, "-o", out)
            self.assertEqual(read(out), read(want), cert_id)

    def test_sha256_signatures_verify_with_openssl(self):
        """Both keys; the signature key is "always authenticate": pkcs11-tool
        presents the password again (CKU_CONTEXT_SPECIFIC)."""
        for token, pin, key_id, der in (
                (AUTH_TOKEN, AUTH_PIN, ID_AUTH, "auth.der"),
                (SIGN_TOKEN, SIGN_PASSWORD, ID_SIGN, "sign.der")):
            sig = self.path("sig-%s" % key_id)
            self.p11("login+sign %s" % key_id, "--token-label", token, "--login",
                     "--pin", pin, "--sign", "-m", "SHA256-RSA-PKCS", "--id", key_id,
                     "-i", self.doc, "-o", sig)
            r = openssl("dgst", "-sha256", "-verify", self.pubkey(der),
                        "-signature", sig, self.doc)
            self.assertEqual(r.returncode, 0, (key_id, r.stdout, r.stderr))
        self.assertEqual(self.tries(), (3, 5))

    def test_other_hashes_verify_with_openssl(self):
        for mech, dgst in (("SHA1-RSA-PKCS", "-sha1"), ("SHA384-RSA-PKCS", "-sha384"),
                           ("SHA512-RSA-PKCS", "-sha512")):
            sig = self.path("sig-%s" % mech)
            self.p11("login+sign %s" % mech, "--token-label", AUTH_TOKEN, "--login",
                     "--pin", AUTH_PIN, "--sign", "-m", mech, "--id", ID_AUTH,
                     "-i", self.doc, "-o", sig)
            r = openssl("dgst", dgst, "-verify", self.pubkey("auth.der"),
                        "-signature", sig, self.doc)
            self.assertEqual(r.returncode, 0, (mech, r.stdout, r.stderr))

    def test_rsa_pkcs_signs_the_callers_digestinfo(self):
        import hashlib
        di = self.path("digestinfo")
        with open(di, "wb") as f:
            f.write(SHA256_PREFIX + hashlib.sha256(read(self.doc)).digest())
        sig = self.path("sig-rsa-pkcs")
        self.p11("login+sign RSA-PKCS", "--token-label", AUTH_TOKEN, "--login",
                 "--pin", AUTH_PIN, "--sign", "-m", "RSA-PKCS", "--id", ID_AUTH,
                 "-i", di, "-o", sig)
        r = openssl("dgst", "-sha256", "-verify", self.pubkey("auth.der"),
                    "-signature", sig, self.doc)
        self.assertEqual(r.returncode, 0, (r.stdout, r.stderr))

    def test_mechanisms(self):
        r = self.p11("-M", "--token-label", AUTH_TOKEN, "-M")
        out = r.stdout.decode()
        for m in ("RSA-PKCS", "SHA1-RSA-PKCS", "SHA256-RSA-PKCS", "SHA384-RSA-PKCS",
                  "SHA512-RSA-PKCS"):
            self.assertIn("\n  %s, keySize={2048,2048}, hw, sign" % m, "\n" + out, out)

    def test_wrong_pin_costs_exactly_one_try_and_shows_count_low(self):
        auth, sign = self.tries()
        self.assertEqual(auth, 3)
        r = self.p11("wrong PIN", "--token-label", AUTH_TOKEN, "--login", "--pin",
                     "9999", "-O", want=1)
        self.assertIn(b"CKR_PIN_INCORRECT", r.stderr)
        self.assertEqual(self.tries(), (auth - 1, sign))
        by_label, r = self.tokens()
        self.assertIn("user PIN count low", by_label[AUTH_TOKEN]["token flags"])
        self.assertNotIn("final try", by_label[AUTH_TOKEN]["token flags"])
        self.assertNotIn("count low", by_label[SIGN_TOKEN]["token flags"])
        r = self.p11("wrong PIN again", "--token-label", AUTH_TOKEN, "--login",
                     "--pin", "9999", "-O", want=1)
        self.assertIn(b"CKR_PIN_INCORRECT", r.stderr)
        by_label, r = self.tokens()
        self.assertIn("final user PIN try", by_label[AUTH_TOKEN]["token flags"])
        self.p11("right PIN", "--token-label", AUTH_TOKEN, "--login", "--pin",
                 AUTH_PIN, "-O")
        self.assertEqual(self.tries(), (3, sign))
        by_label, r = self.tokens()
        self.assertNotIn("count low", by_label[AUTH_TOKEN]["token flags"])

    def test_pin_of_wrong_length_is_refused_without_a_try(self):
        before = self.tries()
        for token, pin in ((AUTH_TOKEN, "12345"), (AUTH_TOKEN, "123"),
                           (SIGN_TOKEN, "ABC12")):
            mark = self.card.mark()
            r = self.p11("short/long PIN", "--token-label", token, "--login",
                         "--pin", pin, "-O", want=1)
            self.assertIn(b"CKR_PIN_LEN_RANGE", r.stderr)
            verifies = [a for a in self.card.since(mark)
                        if a[2] == "20" and a[5] != "lc=0"]
            self.assertEqual(verifies, [])
        # The right length, a character the PIN cannot have: refused locally.
        mark = self.card.mark()
        r = self.p11("non-digit PIN", "--token-label", AUTH_TOKEN, "--login",
                     "--pin", "12a4", "-O", want=1)
        self.assertIn(b"CKR_PIN_INVALID", r.stderr)
        self.assertEqual([a for a in self.card.since(mark)
                          if a[2] == "20" and a[5] != "lc=0"], [])
        self.assertEqual(self.tries(), before)

    def test_card_removal_ends_sessions_and_reinsertion_works(self):
        """One process (the module through ctypes) across a removal and a
        re-insertion: the old session answers CKR_DEVICE_REMOVED, the token
        is gone from the present slots, and after re-insertion a new session
        opens on the same slot. C_Initialize takes CKF_OS_LOCKING_OK."""
        p = subprocess.Popen([sys.executable, "-c", REMOVAL_HELPER, module()],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True,
                             env=self.env.environ())

        def reap():
            if p.poll() is None:
                p.kill()
            p.wait()
            for f in (p.stdin, p.stdout, p.stderr):
                f.close()
        self.addCleanup(reap)

        def step():
            out = {}
            while True:
                line = p.stdout.readline()
                self.assertTrue(line, p.stderr.read() if p.poll() is not None else "")
                if line.strip() == "ready":
                    return out
                k, v = line.split()
                out[k] = int(v, 0)

        def go():
            p.stdin.write("\n")
            p.stdin.flush()

        first = step()
        self.assertEqual(first, {"slots": 2, "open": CKR_OK, "info": CKR_OK})
        self.card.remove()
        go()
        gone = step()
        self.assertEqual(gone["info"], CKR_DEVICE_REMOVED)
        self.assertEqual(gone["slots"], 0)
        self.assertEqual(gone["token"], CKR_TOKEN_NOT_PRESENT)
        self.assertEqual(gone["open"], CKR_TOKEN_NOT_PRESENT)
        self.card.insert()
        go()
        back = step()
        self.assertEqual(back, {"slots": 2, "open": CKR_OK, "info": CKR_OK,
                                "token": CKR_OK, "old": CKR_DEVICE_REMOVED,
                                "close_old": CKR_OK})
        go()
        self.assertEqual(p.wait(timeout=30), 0, p.stderr.read())

    def test_apdu_counts(self):
        """Printed for the benchmark, not asserted."""
        self.p11("count -L -O", "-L", "-O")
        self.p11("count login+sign", "--token-label", AUTH_TOKEN, "--login",
                 "--pin", AUTH_PIN, "--sign", "-m", "SHA256-RSA-PKCS", "--id",
                 ID_AUTH, "-i", self.doc, "-o", self.path("sig-count"))


class Pkcs11OnT1(Pkcs11Base):
    """The default card: T=1, extended APDUs, as a real My Number Card."""


class Pkcs11OnT0(Pkcs11Base):
    """The card negotiating T=0: short APDUs, 61xx and GET RESPONSE."""
    QUIRKS = "t0"
    NAME = "Myna P11 T0"


del Pkcs11Base  # the shared tests run in the classes above, not on their own


if __name__ == "__main__":
    unittest.main(verbosity=2)
