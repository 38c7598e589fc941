"""Our PKCS#11 module over NFC: the real libnfc 1.8 drives the emulated PN532
(`mynacard-vcard pn532`), with no pcscd at all. Clients we did not write
(OpenSC's pkcs11-tool) and a ctypes client; signatures are checked by
OpenSSL.

Asserted: the libnfc device is a reader with the two JPKI tokens, its slots
say "NFC"; objects and the auth certificate byte for byte; login + sign with
each key; a card taken out of the field ends the sessions
(CKR_DEVICE_REMOVED), empties the slots, and one put back opens new
sessions; C_WaitForSlotEvent reports both (the module polls the field);
MYNACARD_PKCS11_NFC=off leaves the device out. APDU counts are printed."""

import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "harness"))
from nfcenv import NfcEnv  # noqa: E402
from opensc import parse_objects, parse_slots  # noqa: E402
import p11client  # noqa: E402
from pcscenv import build_dir, openssl, profile_path, read  # noqa: E402

AUTH_TOKEN = "JPKI User Authentication"
SIGN_TOKEN = "JPKI Digital Signature"
CKR_OK, CKR_NO_EVENT, CKR_DEVICE_REMOVED, CKR_TOKEN_NOT_PRESENT = 0, 0x8, 0x32, 0xE0

# One module instance across a removal and a re-insertion: "name value"
# lines and "ready", then a line on stdin before the next step.
HELPER = r"""
import ctypes, sys
from ctypes import byref, c_ubyte, c_ulong as UL
m = ctypes.CDLL(sys.argv[1])
assert m.C_Initialize(None) == 0
def ready():
    print("ready", flush=True)
    sys.stdin.readline()
def present():
    arr, n = (UL * 16)(), UL(16)
    assert m.C_GetSlotList(c_ubyte(1), arr, byref(n)) == 0
    return n.value
def wait(name):
    s = UL(99)
    rv = m.C_WaitForSlotEvent(UL(0), byref(s), None)
    print(name, rv, s.value, flush=True)
info = (c_ubyte * 256)()
h = UL()
print("slots", present(), 0)
print("open", m.C_OpenSession(UL(0), UL(4), None, None, byref(h)), 0)
print("nb_idle", m.C_WaitForSlotEvent(UL(1), byref(UL()), None), 0)
ready()
wait("removed")                     # blocks until the card leaves the field
wait("removed2")
print("info", m.C_GetSessionInfo(h, info), 0)
print("slots", present(), 0)
print("token", m.C_GetTokenInfo(UL(0), info), 0)
ready()
wait("inserted")
wait("inserted2")
h2 = UL()
print("open", m.C_OpenSession(UL(0), UL(4), None, None, byref(h2)), 0)
print("token", m.C_GetTokenInfo(UL(0), info), 0)
print("old", m.C_GetSessionInfo(h, info), 0)
print("slots", present(), 0)
assert m.C_Finalize(None) == 0
ready()
"""


def module():
    return os.path.join(build_dir(), "card", "pkcs11", "libmynacard-pkcs11.so")


class Pkcs11OverNfc(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.env = NfcEnv().__enter__()
        cls.addClassCleanup(cls.env.__exit__, None, None, None)
        cls.card = cls.env.start_card("adult")
        cls.doc = os.path.join(cls.env.dir, "doc.txt")
        with open(cls.doc, "w") as f:
            f.write("document signed over NFC through libmynacard-pkcs11\n")
        cls.profile_dir = os.path.dirname(profile_path("adult"))

    def path(self, name):
        return os.path.join(self.env.dir, name)

    def environ(self, **extra):
        e = self.env.environ()
        e["LIBNFC_DEVICE"] = self.card.connstring
        # No pcscd: the NFC device is the only reader.
        e["PCSCLITE_CSOCK_NAME"] = self.path("no-pcscd")
        e.update(extra)
        return e

    def p11(self, what, *args, want=0, env=None):
        cmd = ["pkcs11-tool", "--module", module()] + list(args)
        before = len(self.card.apdus())
        r = self.env.run(cmd, env=env or self.environ())
        print("pkcs11 [NFC] %s: %d APDUs" % (what, len(self.card.apdus()) - before))
        self.assertEqual(r.returncode, want, "%s: exit %d\n%s%s" % (
            " ".join(cmd), r.returncode, r.stdout.decode(errors="replace"),
            r.stderr.decode(errors="replace")))
        return r

    def test_the_device_is_a_reader_with_two_tokens(self):
        r = self.p11("-L", "-L")
        slots = parse_slots(r.stdout.decode())
        self.assertEqual(len(slots), 2, r.stdout.decode())
        for s in slots:
            # The description is cut at 64 characters.
            self.assertIn("(NFC pn532_uart:", s["reader"])
        self.assertEqual(sorted(s["token label"] for s in slots),
                         sorted([AUTH_TOKEN, SIGN_TOKEN]))
        serials = {s["serial num"] for s in slots}
        self.assertEqual(len(serials), 1)
        import hashlib
        der = read(os.path.join(self.profile_dir, "auth.der"))
        self.assertEqual(serials.pop(), hashlib.sha256(der).hexdigest()[:16].upper())

    def test_objects_and_auth_certificate(self):
        r = self.p11("-O", "--token-label", AUTH_TOKEN, "-O")
        ids = sorted((o["kind"], o.get("ID")) for o in parse_objects(r.stdout.decode()))
        self.assertIn(("Certificate Object", "01"), ids)
        self.assertIn(("Certificate Object", "03"), ids)
        self.assertIn(("Public Key Object", "01"), ids)
        out = self.path("auth.der")
        self.p11("read auth cert", "--token-label", AUTH_TOKEN, "--read-object",
                 "--type", "cert", "--id", "01", "-o", out)
        self.assertEqual(read(out), read(os.path.join(self.profile_dir, "auth.der")))

    def sign_and_verify(self, token, pin, key_id, cert):
        sig = self.path("sig-" + key_id)
        self.p11("login + sign " + key_id, "--token-label", token, "--login",
                 "--pin", pin, "--sign", "-m", "SHA256-RSA-PKCS", "--id", key_id,
                 "-i", self.doc, "-o", sig)
        pub = self.path("pub-%s.pem" % key_id)
        r = openssl("x509", "-inform", "DER", "-in", os.path.join(self.profile_dir, cert),
                    "-pubkey", "-noout", "-out", pub)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = openssl("dgst", "-sha256", "-verify", pub, "-signature", sig, self.doc)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_login_and_sign_with_each_key(self):
        self.sign_and_verify(AUTH_TOKEN, "1234", "01", "auth.der")
        self.sign_and_verify(SIGN_TOKEN, "SIGN2026", "02", "sign.der")

    def test_nfc_off_leaves_the_device_out(self):
        r = self.p11("-L off", "-L", want=1, env=self.environ(MYNACARD_PKCS11_NFC="off"))
        self.assertIn(b"No slots", r.stdout + r.stderr)

    def test_removal_and_reinsertion_with_slot_events(self):
        p, step, go = p11client.start(self, HELPER, module(), self.environ(),
                                      lambda k, v, slot: (int(v), int(slot)))

        first = step()
        self.assertEqual(first, {"slots": (2, 0), "open": (CKR_OK, 0),
                                 "nb_idle": (CKR_NO_EVENT, 0)})
        try:
            go()
            self.card.remove()
            gone = step()
        finally:
            self.card.insert()
        self.assertEqual(gone["removed"], (CKR_OK, 0), gone)
        self.assertEqual(gone["removed2"], (CKR_OK, 1), gone)
        self.assertEqual(gone["info"], (CKR_DEVICE_REMOVED, 0), gone)
        self.assertEqual(gone["slots"], (0, 0), gone)
        self.assertEqual(gone["token"], (CKR_TOKEN_NOT_PRESENT, 0), gone)
        go()
        back = step()
        self.assertEqual(back["inserted"], (CKR_OK, 0), back)
        self.assertEqual(back["inserted2"], (CKR_OK, 1), back)
        self.assertEqual(back["open"], (CKR_OK, 0), back)
        self.assertEqual(back["token"], (CKR_OK, 0), back)
        self.assertEqual(back["old"], (CKR_DEVICE_REMOVED, 0), back)
        self.assertEqual(back["slots"], (2, 0), back)
        go()
        self.assertEqual(p.wait(timeout=30), 0, p.stderr.read())


if __name__ == "__main__":
    unittest.main(verbosity=2)
