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
refused without any VERIFY reaching the card. Second step: multi-part signing
(pkcs11-tool on a large input, and a ctypes client), C_SetPIN (pkcs11-tool
--change-pin and a ctypes client), C_WaitForSlotEvent (ctypes), and two more
clients: GnuTLS (p11tool, certtool) and OpenSSL's libp11 engine (openssl cms).

APDU counts for -L, -O and login + sign are printed, not asserted (OpenSC's
own module: 62 for -O, 70 for login + sign)."""

import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "harness"))
from pcscenv import (WAIT_S, PcscEnv, build_dir, openssl, pki_dir,  # noqa: E402
                     profile_path, read)
from opensc import parse_objects, parse_slots  # noqa: E402
import p11client  # noqa: E402

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

# Multi-part signing through ctypes: login (and CKU_CONTEXT_SPECIFIC on the
# signature token), C_SignInit, C_SignUpdate in chunks, C_SignFinal asked for
# its size, then with a short buffer, then for real; prints a JSON summary.
# On the auth token it then overflows a multi-part CKM_RSA_PKCS.
SIGN_HELPER = r"""
import ctypes, json, sys
from ctypes import byref, c_ubyte, c_ulong as UL, c_void_p
m = ctypes.CDLL(sys.argv[1])
slot, pin, mech = int(sys.argv[2]), sys.argv[3].encode(), int(sys.argv[4], 0)
data, chunk, out_path = open(sys.argv[5], "rb").read(), int(sys.argv[6]), sys.argv[7]
class Mech(ctypes.Structure):
    _fields_ = [("mechanism", UL), ("param", c_void_p), ("len", UL)]
class Attr(ctypes.Structure):
    _fields_ = [("type", UL), ("value", c_void_p), ("len", UL)]
res = {}
assert m.C_Initialize(None) == 0
h = UL()
res["open"] = m.C_OpenSession(UL(slot), UL(4), None, None, byref(h))
res["login"] = m.C_Login(h, UL(1), pin, UL(len(pin)))
cls = UL(3)  # CKO_PRIVATE_KEY
a = Attr(0, ctypes.cast(byref(cls), c_void_p), ctypes.sizeof(cls))
key, n = UL(), UL()
m.C_FindObjectsInit(h, byref(a), UL(1))
m.C_FindObjects(h, byref(key), UL(1), byref(n))
m.C_FindObjectsFinal(h)
res["keys"] = n.value
def init(mt):
    mk = Mech(mt, None, 0)
    rv = m.C_SignInit(h, byref(mk), key)
    if slot % 2:  # CKA_ALWAYS_AUTHENTICATE
        rv = rv or m.C_Login(h, UL(2), pin, UL(len(pin)))
    return rv
res["init"] = init(mech)
res["update"] = sorted(set(m.C_SignUpdate(h, data[i:i + chunk], UL(len(data[i:i + chunk])))
                           for i in range(0, len(data), chunk)))
sl = UL(0)
res["size"] = [m.C_SignFinal(h, None, byref(sl)), sl.value]
buf = (c_ubyte * 512)()
sl = UL(10)
res["short"] = [m.C_SignFinal(h, buf, byref(sl)), sl.value]
sl = UL(512)
res["final"] = [m.C_SignFinal(h, buf, byref(sl)), sl.value]
open(out_path, "wb").write(bytes(buf[:sl.value]))
res["again"] = m.C_SignFinal(h, buf, byref(sl))
if slot % 2 == 0:
    res["rsa_init"] = init(1)  # CKM_RSA_PKCS
    res["rsa_up1"] = m.C_SignUpdate(h, bytes(200), UL(200))
    res["rsa_up2"] = m.C_SignUpdate(h, bytes(100), UL(100))
    res["rsa_final"] = m.C_SignFinal(h, buf, byref(sl))
assert m.C_Finalize(None) == 0
print(json.dumps(res))
"""

# Threads sharing one module instance (CKF_OS_LOCKING_OK): after one login,
# 4 threads each sign argv[2] 5 times on sessions of their own while a fifth
# asks for slot and token information; prints the return values seen and
# the distinct signatures (hex) as JSON.
THREADS_HELPER = r"""
import ctypes, json, sys, threading
from ctypes import byref, c_ubyte, c_ulong as UL, c_void_p
m = ctypes.CDLL(sys.argv[1])
data = open(sys.argv[2], "rb").read()
class InitArgs(ctypes.Structure):
    _fields_ = [("create", c_void_p), ("destroy", c_void_p), ("lock", c_void_p),
                ("unlock", c_void_p), ("flags", UL), ("reserved", c_void_p)]
class Mech(ctypes.Structure):
    _fields_ = [("mechanism", UL), ("param", c_void_p), ("len", UL)]
class Attr(ctypes.Structure):
    _fields_ = [("type", UL), ("value", c_void_p), ("len", UL)]
assert m.C_Initialize(byref(InitArgs(flags=2))) == 0
h0 = UL()
assert m.C_OpenSession(UL(0), UL(4), None, None, byref(h0)) == 0
assert m.C_Login(h0, UL(1), b"1234", UL(4)) == 0
rvs, sigs, lock = set(), set(), threading.Lock()
def signer():
    h, key, n = UL(), UL(), UL()
    got = [m.C_OpenSession(UL(0), UL(4), None, None, byref(h))]
    cls = UL(3)  # CKO_PRIVATE_KEY
    a = Attr(0, ctypes.cast(byref(cls), c_void_p), ctypes.sizeof(cls))
    got += [m.C_FindObjectsInit(h, byref(a), UL(1)),
            m.C_FindObjects(h, byref(key), UL(1), byref(n)), m.C_FindObjectsFinal(h)]
    mine = set()
    for _ in range(5):
        buf, sl = (c_ubyte * 256)(), UL(256)
        got.append(m.C_SignInit(h, byref(Mech(0x40, None, 0)), key))  # SHA256_RSA_PKCS
        got.append(m.C_Sign(h, data, UL(len(data)), buf, byref(sl)))
        mine.add(bytes(buf[:sl.value]).hex())
    got.append(m.C_CloseSession(h))
    with lock:
        rvs.update(got)
        sigs.update(mine)
def asker():
    info, n = (c_ubyte * 512)(), UL(0)
    got = []
    for _ in range(50):
        got += [m.C_GetSlotList(c_ubyte(1), None, byref(n)), m.C_GetTokenInfo(UL(0), info),
                m.C_GetSlotInfo(UL(1), info)]
    with lock:
        rvs.update(got)
ts = [threading.Thread(target=signer) for _ in range(4)] + [threading.Thread(target=asker)]
for t in ts:
    t.start()
for t in ts:
    t.join()
assert m.C_Finalize(None) == 0
print(json.dumps({"rvs": sorted(rvs), "sigs": sorted(sigs)}))
"""

# C_SetPIN through ctypes on a session that is not logged in: argv module,
# slot, "ro"/"rw", then OLD:NEW pairs; prints the return values as JSON.
SETPIN_HELPER = r"""
import ctypes, json, sys
from ctypes import byref, c_ulong as UL
m = ctypes.CDLL(sys.argv[1])
assert m.C_Initialize(None) == 0
h = UL()
flags = 4 if sys.argv[3] == "ro" else 6
assert m.C_OpenSession(UL(int(sys.argv[2])), UL(flags), None, None, byref(h)) == 0
out = []
for pair in sys.argv[4:]:
    old, new = (x.encode() for x in pair.split(":"))
    out.append(m.C_SetPIN(h, old, UL(len(old)), new, UL(len(new))))
assert m.C_Finalize(None) == 0
print(json.dumps(out))
"""

# C_WaitForSlotEvent through ctypes: "name rv [slot]" lines and "ready", then
# a line on stdin before the next step (as REMOVAL_HELPER). The last step
# blocks in a second thread and calls C_Finalize from the first.
WAIT_HELPER = r"""
import ctypes, sys, threading, time
from ctypes import byref, c_ulong as UL
m = ctypes.CDLL(sys.argv[1])
assert m.C_Initialize(None) == 0
def wait(name, flags):
    s = UL(99)
    rv = m.C_WaitForSlotEvent(UL(flags), byref(s), None)
    print(name, rv, s.value, flush=True)
def ready():
    print("ready", flush=True)
    sys.stdin.readline()
wait("nb_idle", 1)                  # CKF_DONT_BLOCK
ready()
wait("removed", 0)                  # blocks until the card goes
wait("nb_second", 1)                # the other slot of the reader
wait("nb_after", 1)
ready()
wait("nb_inserted", 1)              # the card came back meanwhile
wait("nb_inserted2", 1)
wait("nb_quiet", 1)
out = {}
def blocked():
    s = UL(99)
    t0 = time.monotonic()
    out["rv"] = m.C_WaitForSlotEvent(UL(0), byref(s), None)
    out["t"] = time.monotonic() - t0
t = threading.Thread(target=blocked)
t.start()
time.sleep(0.5)
t0 = time.monotonic()
print("finalize", m.C_Finalize(None), 0, flush=True)
t.join(10)
print("finalize_s", int((time.monotonic() - t0) * 1000), 0)
print("blocked", out.get("rv", -1), int(out.get("t", 0) * 1000))
ready()
"""


def module():
    return os.path.join(build_dir(), "card", "pkcs11", "libmynacard-pkcs11.so")


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

    def helper(self, script, parse):
        """A ctypes client of the module (p11client.start)."""
        return p11client.start(self, script, module(), self.env.environ(), parse)

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
        p, step, go = self.helper(REMOVAL_HELPER, lambda k, v: int(v, 0))

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

    # -- multi-part signing --

    def sign_helper(self, slot, pin, mech, data, chunk, out):
        mark = self.card.mark()
        r = subprocess.run([sys.executable, "-c", SIGN_HELPER, module(), str(slot),
                            pin, hex(mech), data, str(chunk), out],
                           capture_output=True, text=True, env=self.env.environ(),
                           timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout), self.card.since(mark)

    def test_threads_share_the_module(self):
        """Five threads on one module instance (CKF_OS_LOCKING_OK): 20
        signatures from four threads on their own sessions after one login,
        all succeeding and all the same PKCS#1 v1.5 signature, which OpenSSL
        verifies, while a fifth thread lists slots and tokens."""
        mark = self.card.mark()
        r = subprocess.run([sys.executable, "-c", THREADS_HELPER, module(), self.doc],
                           capture_output=True, text=True, env=self.env.environ(),
                           timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = json.loads(r.stdout)
        apdus = self.card.since(mark)
        self.assertEqual(out["rvs"], [CKR_OK], apdus)
        self.assertEqual(len(out["sigs"]), 1, out)
        self.assertEqual(len([a for a in apdus if a[2] == "2A"]), 20, apdus)
        sig = self.path("sig-threads")
        with open(sig, "wb") as f:
            f.write(bytes.fromhex(out["sigs"][0]))
        r = openssl("dgst", "-sha256", "-verify", self.pubkey("auth.der"),
                    "-signature", sig, self.doc)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def big_doc(self):
        big = self.path("big.bin")
        with open(big, "wb") as f:
            f.write(bytes(range(256)) * 40 + b"tail")  # 10244 bytes
        return big

    def test_multipart_signing_through_ctypes(self):
        """C_SignUpdate in chunks of 1000 bytes, C_SignFinal asked for its size
        and with a short buffer first: one signature APDU only, verified by
        OpenSSL; the operation ends with the signature."""
        big = self.big_doc()
        for slot, pin, mech, dgst, der in (
                (0, AUTH_PIN, 0x40, "-sha256", "auth.der"),   # CKM_SHA256_RSA_PKCS
                (0, AUTH_PIN, 0x06, "-sha1", "auth.der"),     # CKM_SHA1_RSA_PKCS
                (0, AUTH_PIN, 0x42, "-sha512", "auth.der"),   # CKM_SHA512_RSA_PKCS
                (1, SIGN_PASSWORD, 0x41, "-sha384", "sign.der")):  # CKM_SHA384_RSA_PKCS
            sig = self.path("sig-multi-%d-%x" % (slot, mech))
            res, apdus = self.sign_helper(slot, pin, mech, big, 1000, sig)
            self.assertEqual(res["open"], CKR_OK, res)
            self.assertEqual(res["login"], CKR_OK, res)
            self.assertEqual(res["keys"], 1, res)
            self.assertEqual(res["init"], CKR_OK, res)
            self.assertEqual(res["update"], [CKR_OK], res)
            self.assertEqual(res["size"], [CKR_OK, 256], res)
            self.assertEqual(res["short"], [0x150, 256], res)  # CKR_BUFFER_TOO_SMALL
            self.assertEqual(res["final"], [CKR_OK, 256], res)
            self.assertEqual(res["again"], 0x91, res)  # CKR_OPERATION_NOT_INITIALIZED
            self.assertEqual(len([a for a in apdus if a[2] == "2A"]), 1, apdus)
            r = openssl("dgst", dgst, "-verify", self.pubkey(der), "-signature",
                        sig, big)
            self.assertEqual(r.returncode, 0, (slot, mech, r.stdout, r.stderr))
            if slot == 0:
                # CKM_RSA_PKCS accumulates up to 245 bytes; more ends the
                # operation with CKR_DATA_LEN_RANGE and signs nothing.
                self.assertEqual(res["rsa_init"], CKR_OK, res)
                self.assertEqual(res["rsa_up1"], CKR_OK, res)
                self.assertEqual(res["rsa_up2"], 0x21, res)
                self.assertEqual(res["rsa_final"], 0x91, res)

    def test_multipart_rsa_pkcs_digestinfo_in_parts(self):
        import hashlib
        di = self.path("digestinfo-parts")
        with open(di, "wb") as f:
            f.write(SHA256_PREFIX + hashlib.sha256(read(self.doc)).digest())
        sig = self.path("sig-multi-rsa")
        res, apdus = self.sign_helper(0, AUTH_PIN, 0x01, di, 7, sig)
        self.assertEqual(res["final"], [CKR_OK, 256], res)
        self.assertEqual(len([a for a in apdus if a[2] == "2A"]), 1, apdus)
        r = openssl("dgst", "-sha256", "-verify", self.pubkey("auth.der"),
                    "-signature", sig, self.doc)
        self.assertEqual(r.returncode, 0, (r.stdout, r.stderr))

    def test_pkcs11_tool_signs_large_input_multipart(self):
        """pkcs11-tool reads its input in 1025-byte blocks and uses
        C_SignUpdate/C_SignFinal when the first block is full."""
        big = self.big_doc()
        for token, pin, key_id, der in (
                (AUTH_TOKEN, AUTH_PIN, ID_AUTH, "auth.der"),
                (SIGN_TOKEN, SIGN_PASSWORD, ID_SIGN, "sign.der")):
            sig = self.path("sig-big-%s" % key_id)
            self.p11("login+sign big %s" % key_id, "--token-label", token, "--login",
                     "--pin", pin, "--sign", "-m", "SHA256-RSA-PKCS", "--id", key_id,
                     "-i", big, "-o", sig)
            r = openssl("dgst", "-sha256", "-verify", self.pubkey(der),
                        "-signature", sig, big)
            self.assertEqual(r.returncode, 0, (key_id, r.stdout, r.stderr))

    # -- PIN change --

    def verifies(self, apdus):
        return [a for a in apdus if a[2] == "20" and a[5] != "lc=0"]

    def test_change_pin_and_password(self):
        """pkcs11-tool --change-pin logs in with the old PIN, then C_SetPIN
        presents the old PIN again (a logged-in session must not let anyone
        change the PIN without knowing it): two VERIFYs, both with the PIN
        the caller gave, one CHANGE REFERENCE DATA; the new PIN logs in, the
        old one no longer; changed back."""
        for token, old, new in ((AUTH_TOKEN, AUTH_PIN, "5678"),
                                (SIGN_TOKEN, SIGN_PASSWORD, "NEWPASS99")):
            mark = self.card.mark()
            self.p11("change PIN", "--token-label", token, "--change-pin",
                     "--pin", old, "--new-pin", new)
            try:
                apdus = self.card.since(mark)
                self.assertEqual(len(self.verifies(apdus)), 2, apdus)
                self.assertEqual(len([a for a in apdus if a[2] == "24"]), 1, apdus)
                self.p11("login new PIN", "--token-label", token, "--login", "--pin",
                         new, "-O")
                r = self.p11("login old PIN", "--token-label", token, "--login",
                             "--pin", old, "-O", want=1)
                self.assertIn(b"CKR_PIN_INCORRECT", r.stderr)
            except BaseException:
                # Leave the card as the other tests expect it.
                self.p11("restore PIN", "--token-label", token, "--change-pin",
                         "--pin", new, "--new-pin", old, want=None)
                raise
            self.p11("change back", "--token-label", token, "--change-pin",
                     "--pin", new, "--new-pin", old)
            self.p11("login old PIN again", "--token-label", token, "--login",
                     "--pin", old, "-O")
        self.assertEqual(self.tries(), (3, 5))

    def test_change_pin_new_pin_of_bad_form_is_refused_before_change(self):
        before = self.tries()
        for token, old, new, err in (
                (AUTH_TOKEN, AUTH_PIN, "12345", b"CKR_PIN_LEN_RANGE"),
                (AUTH_TOKEN, AUTH_PIN, "12a4", b"CKR_PIN_INVALID"),
                (SIGN_TOKEN, SIGN_PASSWORD, "ABC12", b"CKR_PIN_LEN_RANGE"),
                (SIGN_TOKEN, SIGN_PASSWORD, "ABC-12345", b"CKR_PIN_INVALID")):
            mark = self.card.mark()
            r = self.p11("change PIN bad form", "--token-label", token,
                         "--change-pin", "--pin", old, "--new-pin", new, want=1)
            self.assertIn(err, r.stderr)
            apdus = self.card.since(mark)
            self.assertEqual([a for a in apdus if a[2] == "24"], [], apdus)
            self.assertLessEqual(len(self.verifies(apdus)), 1, apdus)  # the login
        self.assertEqual(self.tries(), before)

    def test_set_pin_without_login_through_ctypes(self):
        """C_SetPIN on a session that is not logged in: the old PIN is
        verified first. A wrong one costs one try and nothing more; PINs of
        a bad form are refused before any APDU; a read-only session is
        refused; a right one changes the PIN."""
        def run(slot, *pairs, ro=False):
            mark = self.card.mark()
            r = subprocess.run([sys.executable, "-c", SETPIN_HELPER, module(),
                                str(slot), "ro" if ro else "rw"] + list(pairs),
                               capture_output=True, text=True,
                               env=self.env.environ(), timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            return json.loads(r.stdout), self.card.since(mark)
        before = self.tries()
        rvs, apdus = run(0, "9999:5678")
        self.assertEqual(rvs, [0xA0], apdus)  # CKR_PIN_INCORRECT
        self.assertEqual(len(self.verifies(apdus)), 1, apdus)
        self.assertEqual([a for a in apdus if a[2] == "24"], [], apdus)
        self.assertEqual(self.tries(), (before[0] - 1, before[1]))
        rvs, apdus = run(0, "1234:123", "1234:12a4", "12b4:5678", "123:5678")
        self.assertEqual(rvs, [0xA2, 0xA1, 0xA1, 0xA2], apdus)
        self.assertEqual([a for a in apdus if a[2] in ("20", "24")
                          and a[5] != "lc=0"], [], apdus)
        rvs, apdus = run(0, "1234:5678", ro=True)
        self.assertEqual(rvs, [0xB5], apdus)  # CKR_SESSION_READ_ONLY
        self.assertEqual(self.verifies(apdus), [], apdus)
        rvs, apdus = run(0, "1234:5678", "5678:1234")
        self.assertEqual(rvs, [CKR_OK, CKR_OK], apdus)
        self.assertEqual(len(self.verifies(apdus)), 2, apdus)
        self.assertEqual(len([a for a in apdus if a[2] == "24"]), 2, apdus)
        self.assertEqual(self.tries(), (3, before[1]))

    # -- slot events --

    def test_wait_for_slot_event(self):
        """CKF_DONT_BLOCK answers CKR_NO_EVENT when nothing happened; a
        blocking call returns the slot when the card is removed (then the
        reader's other slot); an insertion between calls is reported; a
        blocked call returns CKR_CRYPTOKI_NOT_INITIALIZED when another thread
        calls C_Finalize (SCardCancel), at once."""
        p, step, go = self.helper(WAIT_HELPER,
                                  lambda k, rv, slot: (int(rv), int(slot)))

        CKR_NO_EVENT, CKR_NOT_INIT = 0x8, 0x190
        self.assertEqual(step()["nb_idle"][0], CKR_NO_EVENT)
        try:
            go()
            self.card.remove(wait=False)
            gone = step()
        finally:
            self.card.insert()  # leave the card in for the other tests
        self.assertEqual(gone["removed"], (CKR_OK, 0), gone)
        self.assertEqual(gone["nb_second"], (CKR_OK, 1), gone)
        self.assertEqual(gone["nb_after"][0], CKR_NO_EVENT, gone)
        go()
        back = step()
        self.assertEqual(back["nb_inserted"], (CKR_OK, 0), back)
        self.assertEqual(back["nb_inserted2"], (CKR_OK, 1), back)
        self.assertEqual(back["nb_quiet"][0], CKR_NO_EVENT, back)
        self.assertEqual(back["finalize"][0], CKR_OK, back)
        self.assertEqual(back["blocked"][0], CKR_NOT_INIT, back)
        self.assertLess(back["finalize_s"][0], 1500, back)
        go()
        self.assertEqual(p.wait(timeout=30), 0, p.stderr.read())

    # -- other clients: GnuTLS and OpenSSL's libp11 engine --

    def pem(self, der):
        out = self.path(os.path.basename(der) + ".pem")
        r = openssl("x509", "-inform", "DER", "-in", der, "-out", out)
        self.assertEqual(r.returncode, 0, r.stderr)
        return out

    def tool(self, what, cmd, env=None, want=0, input=None):
        e = self.env.environ()
        e.update(env or {})
        mark = self.card.mark()
        r = subprocess.run(cmd, capture_output=True, env=e, timeout=60, input=input,
                           start_new_session=True)
        print("%s [%s] %s: %d APDUs" % (cmd[0], self.QUIRKS or "T=1", what,
                                        len(self.card.since(mark))))
        self.assertEqual(r.returncode, want, "%s: exit %d\n%s%s" % (
            " ".join(cmd), r.returncode, r.stdout.decode(errors="replace"),
            r.stderr.decode(errors="replace")))
        return r

    def test_gnutls_p11tool_lists_certs_and_signs(self):
        """GnuTLS: p11tool lists the certificates; p11tool --test-sign signs
        and verifies the signature itself, against the private key's
        modulus and exponent and against the token's public key object
        (its own check); certtool makes a PKCS#10 request with the card's
        key, whose signature OpenSSL verifies and whose public key is the
        auth certificate's."""
        url = "pkcs11:token=JPKI%20User%20Authentication"
        r = self.tool("--list-all-certs", ["p11tool", "--provider", module(),
                                           "--list-all-certs", url])
        out = r.stdout.decode()
        self.assertIn(";id=%01;object=User%20Authentication%20Certificate;type=cert",
                      out)
        self.assertIn(";id=%03;object=User%20Authentication%20Certificate%20CA;"
                      "type=cert", out)
        key = url + ";id=%01;type=private"
        r = self.tool("--test-sign", ["p11tool", "--provider", module(), "--login",
                                      "--test-sign", key], {"GNUTLS_PIN": AUTH_PIN})
        out = r.stdout.decode() + r.stderr.decode()
        self.assertIn("Verifying against private key parameters... ok", out)
        self.assertIn("Verifying against public key in the token... ok", out)
        tmpl, req = self.path("req.tmpl"), self.path("req.pem")
        with open(tmpl, "w") as f:
            f.write('cn = "mynaterm test"\n')
        self.tool("certtool request", ["certtool", "--provider", module(),
                                       "--generate-request", "--load-privkey", key,
                                       "--template", tmpl, "--outfile", req],
                  {"GNUTLS_PIN": AUTH_PIN})
        r = openssl("req", "-in", req, "-noout", "-verify")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = openssl("req", "-in", req, "-noout", "-pubkey")
        self.assertEqual(r.stdout, read(self.pubkey("auth.der")))
        self.assertEqual(self.tries(), (3, 5))

    def test_openssl_cms_through_libp11_engine(self):
        """OpenSSL 3 with libp11's engine (PKCS11_MODULE_PATH = our module,
        the test PIN in the URI): a CMS signature with each key, verified by
        openssl cms -verify against its CA."""
        data = self.path("cms-doc.txt")
        with open(data, "w") as f:
            f.write("signed through libp11\n")
        for token, pin, key_id, der, ca in (
                ("JPKI%20User%20Authentication", AUTH_PIN, "%01", "auth.der",
                 "auth-ca.der"),
                ("JPKI%20Digital%20Signature", SIGN_PASSWORD, "%02", "sign.der",
                 "sign-ca.der")):
            p7s = self.path("doc-%s.p7s" % key_id[1:])
            key = "pkcs11:token=%s;id=%s;type=private;pin-value=%s" % (token, key_id,
                                                                       pin)
            self.tool("cms -sign %s" % key_id, [
                "openssl", "cms", "-sign", "-engine", "pkcs11", "-keyform", "engine",
                "-inkey", key, "-signer", self.pem(os.path.join(self.profile_dir, der)),
                "-binary", "-in", data, "-outform", "DER", "-out", p7s],
                {"PKCS11_MODULE_PATH": module()},
                # The signature key is "always authenticate": libp11 asks
                # for the password again through OpenSSL's UI (stdin here).
                input=(pin + "\n").encode())
            r = openssl("cms", "-verify", "-binary", "-inform", "DER", "-in", p7s,
                        "-content", data, "-CAfile",
                        self.pem(os.path.join(self.ca, ca)), "-purpose", "any",
                        "-out", os.devnull)
            self.assertEqual(r.returncode, 0, (key_id, r.stdout, r.stderr))
        self.assertEqual(self.tries(), (3, 5))

    def test_apdu_counts(self):
        """Printed for the benchmark, not asserted."""
        self.p11("count -L -O", "-L", "-O")
        self.p11("count login+sign", "--token-label", AUTH_TOKEN, "--login",
                 "--pin", AUTH_PIN, "--sign", "-m", "SHA256-RSA-PKCS", "--id",
                 ID_AUTH, "-i", self.doc, "-o", self.path("sig-count"))


# C_WaitForSlotEvent while no reader exists: "slots N" before, then one line
# per event ("event rv slot"), then "slots N" again.
NEW_READER_HELPER = r"""
import ctypes, sys
from ctypes import byref, c_ubyte, c_ulong as UL
m = ctypes.CDLL(sys.argv[1])
assert m.C_Initialize(None) == 0
def count():
    n = UL(0)
    assert m.C_GetSlotList(c_ubyte(0), None, byref(n)) == 0
    print("slots", n.value, flush=True)
count()
print("ready", flush=True)
for _ in range(2):
    s = UL(99)
    print("event", m.C_WaitForSlotEvent(UL(0), byref(s), None), s.value, flush=True)
count()
assert m.C_Finalize(None) == 0
"""


class Pkcs11OnT1(Pkcs11Base):
    """The default card: T=1, extended APDUs, as a real My Number Card."""

    def test_card_that_refuses_pin_change(self):
        """A card that answers CHANGE REFERENCE DATA with 6D00 (the second
        reader of the vpcd entry, for this test only): C_SetPIN is
        CKR_FUNCTION_NOT_SUPPORTED after the old PIN verified, no try is
        lost, and the PIN is still the old one."""
        card = self.env.start_card("adult", slot=1, quirks="no-pin-change")
        self.addCleanup(card.stop)
        mark = card.mark()
        r = subprocess.run([sys.executable, "-c", SETPIN_HELPER, module(), "2", "rw",
                            "1234:5678"], capture_output=True, text=True,
                           env=self.env.environ(), timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        apdus = card.since(mark)
        self.assertEqual(json.loads(r.stdout), [0x54], apdus)  # CKR_FUNCTION_NOT_SUPPORTED
        self.assertEqual(len(self.verifies(apdus)), 1, apdus)
        self.assertEqual([(a[2], a[-1]) for a in apdus if a[2] == "24"],
                         [("24", "sw=6D00")], apdus)
        r = self.env.mynacard("--reader", card.reader, "--json", "pin-status")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["auth"]["tries_left"], 3)
        # The old PIN still opens the token.
        self.p11("login old PIN", "--slot", "2", "--login", "--pin", AUTH_PIN, "-O")

    def test_reader_appearing_is_a_slot_event(self):
        """A blocked C_WaitForSlotEvent reports both slots of a reader that
        appears while it waits (pcscd starting again with the reader, as a
        reader being plugged in: vpcd cannot add one to a running pcscd)."""
        self.env.restart_pcscd(with_reader=False)
        # The reader comes back empty: the event is the reader's, not a card's.
        self.card.remove(wait=False)
        try:
            p, step, go = self.helper(NEW_READER_HELPER,
                                      lambda k, *v: tuple(int(x) for x in v))
            self.assertEqual(step(), {"slots": (0,)})
            self.env.restart_pcscd()
            # The lines come from a thread, so that a module that misses the
            # event fails the test instead of blocking it.
            lines = queue.Queue()
            threading.Thread(target=lambda: [lines.put(x) for x in p.stdout],
                             daemon=True).start()
            out = {}
            for _ in range(3):
                try:
                    line = lines.get(timeout=WAIT_S).split()
                except queue.Empty:
                    self.fail("no slot event within %d s" % WAIT_S)
                out.setdefault(line[0], []).append(tuple(int(x) for x in line[1:]))
            self.assertEqual(out["event"], [(CKR_OK, 0), (CKR_OK, 1)], out)
            self.assertEqual(out["slots"], [(4,)], out)  # both vpcd readers
            self.assertEqual(p.wait(timeout=30), 0, p.stderr.read())
        finally:
            if self.env.pcscd is None:
                self.env.start_pcscd()
            self.card.insert()


class Pkcs11OnT0(Pkcs11Base):
    """The card negotiating T=0: short APDUs, 61xx and GET RESPONSE."""
    QUIRKS = "t0"
    NAME = "Myna P11 T0"


del Pkcs11Base  # the shared tests run in the classes above, not on their own


if __name__ == "__main__":
    unittest.main(verbosity=2)
