"""pkitest - what the black-box tests of portal-sim's pki/ module share: the
login steps one at a time (so that each can be spoiled on purpose),
certificates the test PKI does not have (made here with the openssl command
line tool), and OCSP through `openssl ocsp`.

Signatures are made the way the card makes them: the card receives
DigestInfo(SHA-256(nonce)) and applies the auth key (RSA PKCS#1 v1.5); here
`openssl pkeyutl -sign -pkeyopt digest:sha256` does the same with the
profile's auth.key.pem, given SHA-256(nonce).
"""

import base64
import hashlib
import os
import secrets
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "harness"))
from portalenv import PortalEnv, HarnessError, pki_dir, profiles, openssl  # noqa: E402,F401

TERMINAL = "kiosk-pki-01"


def run(*cmd, input=None):
    r = subprocess.run(list(cmd), capture_output=True, input=input)
    if r.returncode != 0:
        raise AssertionError("%s: exit %d\n%s" % (" ".join(cmd), r.returncode,
                                                 r.stderr.decode("utf-8", "replace")))
    return r.stdout


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def profile_file(profile, name):
    return os.path.join(pki_dir(), "profiles", profile, name)


def ca_file(name):
    return os.path.join(pki_dir(), "ca", name)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def sign_nonce(key_path, nonce):
    """The card's signature: PKCS#1 v1.5 over DigestInfo(SHA-256(nonce))."""
    digest = hashlib.sha256(nonce).digest()
    return run("openssl", "pkeyutl", "-sign", "-inkey", key_path,
               "-pkeyopt", "digest:sha256", input=digest)


def challenge(env, terminal=TERMINAL):
    r = env.post("/auth/v1/challenge", {"terminal_id": terminal}, terminal=terminal)
    if r.status != 200:
        raise AssertionError("challenge: %r" % r)
    return r.json()


def jpki_login(env, ch, cert_der, signature, terminal=TERMINAL, idem=True, raw=None):
    """POST /auth/v1/jpki-login; raw replaces the body's auth_cert and
    signature texts (for malformed ones)."""
    body = {
        "challenge_id": ch["challenge_id"],
        "auth_cert": base64.b64encode(cert_der).decode(),
        "signature": base64.b64encode(signature).decode(),
    }
    body.update(raw or {})
    return env.post("/auth/v1/jpki-login", body, idem=idem, terminal=terminal)


def login_profile(env, profile, terminal=TERMINAL):
    """A whole login with a test PKI profile's card: the response."""
    ch = challenge(env, terminal)
    sig = sign_nonce(profile_file(profile, "auth.key.pem"), b64url_decode(ch["nonce"]))
    return jpki_login(env, ch, read(profile_file(profile, "auth.der")), sig, terminal)


def login_cert(env, cert_der, key_path, terminal=TERMINAL):
    ch = challenge(env, terminal)
    sig = sign_nonce(key_path, b64url_decode(ch["nonce"]))
    return jpki_login(env, ch, cert_der, sig, terminal)


class ExtraCerts:
    """Certificates made for a test in folder d:
    - foreign: an auth-like certificate from a CA with the JPKI auth CA's
      very name but another key (chain_invalid);
    - unregistered: a valid certificate from the test auth CA that no
      resident is registered with (unknown_user).
    Each comes with its key (PEM) and certificate (DER and PEM)."""

    AUTH_CA_SUBJECT = ("/C=JP/O=JPKI/OU=JPKI for user authentication"
                       "/OU=Japan Agency for Local Authority Information Systems")

    def __init__(self, d):
        self.d = d
        ext = os.path.join(d, "leaf.cnf")
        with open(ext, "w") as f:
            f.write("[ext]\nkeyUsage = critical, digitalSignature\n"
                    "authorityKeyIdentifier = keyid:always\n")
        self.foreign_ca_key = os.path.join(d, "foreign-ca.key")
        self.foreign_ca = os.path.join(d, "foreign-ca.pem")
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
            "-keyout", self.foreign_ca_key, "-out", self.foreign_ca,
            "-subj", self.AUTH_CA_SUBJECT, "-days", "30",
            "-addext", "basicConstraints=critical,CA:true",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        self.foreign_key, self.foreign_pem = self._leaf(
            "foreign", self.foreign_ca, self.foreign_ca_key, ext)
        self.unregistered_key, self.unregistered_pem = self._leaf(
            "unregistered", ca_file("auth-ca.pem"), ca_file("auth-ca.key"), ext)
        self.foreign_der = self._der(self.foreign_pem)
        self.unregistered_der = self._der(self.unregistered_pem)

    def _leaf(self, name, ca, ca_key, ext):
        key = os.path.join(self.d, name + ".key")
        csr = os.path.join(self.d, name + ".csr")
        pem = os.path.join(self.d, name + ".pem")
        run("openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
            "-subj", "/CN=" + name.upper() + secrets.token_hex(6).upper(), "-out", csr)
        # -set_serial: -CAcreateserial would write a file beside the CA.
        run("openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key,
            "-set_serial", "0x" + secrets.token_hex(8), "-days", "10",
            "-extfile", ext, "-extensions", "ext", "-out", pem)
        return key, pem

    def _der(self, pem):
        der = os.path.join(self.d, os.path.basename(pem)[:-4] + ".der")
        run("openssl", "x509", "-in", pem, "-outform", "DER", "-out", der)
        return read(der)


def ocsp(env, issuer_pem, *cert_files, ca_file_=None):
    """`openssl ocsp` against portal-sim's /ocsp with a nonce, verifying the
    answer with ca_file_ (default: the issuer). Returns (exit status,
    stdout + stderr). The answer is trusted for its signature, as RFC 6960
    intends; TLS here is only the transport."""
    args = ["ocsp", "-issuer", issuer_pem]
    for c in cert_files:
        args += ["-cert", c]
    args += ["-url", env.url + "/ocsp", "-CAfile", ca_file_ or issuer_pem]
    r = openssl(*args)
    return r.returncode, (r.stdout + r.stderr).decode("utf-8", "replace")


def serial_of(pem_or_der):
    """Serial as `openssl x509 -serial` prints it."""
    fmt = "DER" if pem_or_der.endswith(".der") else "PEM"
    out = run("openssl", "x509", "-inform", fmt, "-in", pem_or_der, "-noout", "-serial")
    return out.decode().strip().split("=", 1)[1]
