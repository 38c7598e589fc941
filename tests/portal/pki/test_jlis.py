"""jlis-sim, black-box: portal-sim's CA certificates, CRLs and OCSP responder
(portal-api.md §5) over HTTPS, checked with curl and the openssl command
line tool only: `openssl crl` verifies the CRLs with the CA certificate and
lists the revoked serials, `openssl ocsp` asks about a good, a revoked and a
foreign certificate and verifies the signed answers. Also: revocations
recorded through the --dev route, across a restart, and a data directory
without the CA keys (the CRL file served as given, OCSP not
authoritative)."""

import os
import shutil
import subprocess
import tempfile
import unittest
import uuid

from pkitest import (PortalEnv, HarnessError, ExtraCerts, ca_file, profile_file,
                     profiles, read, ocsp, serial_of, login_profile, run)


def crl_text(env, path, ca_pem):
    """The CRL at path, verified with ca_pem: (raw DER, `openssl crl` text)."""
    r = env.request("GET", path)
    assert r.status == 200, r
    assert r.headers.get("content-type") == "application/pkix-crl", r.headers
    f = os.path.join(env.dir, "crl-%s.der" % uuid.uuid4().hex)
    with open(f, "wb") as out:
        out.write(r.body)
    res = run("openssl", "crl", "-inform", "DER", "-in", f, "-CAfile", ca_pem,
              "-noout", "-text")
    return r.body, res.decode()


def run_status(*cmd):
    return subprocess.run(list(cmd), capture_output=True).returncode


def revoke(env, ca, serial, **extra):
    body = {"ca": ca, "serial": serial}
    body.update(extra)
    return env.post("/_dev/jlis/revoke", body)


class JlisWithCaKeys(unittest.TestCase):
    """The usual data directory: portal-sim has the CA keys."""

    @classmethod
    def setUpClass(cls):
        cls.env = PortalEnv(dev=True).__enter__()
        cls.addClassCleanup(cls.env.__exit__, None, None, None)
        cls.profiles = profiles()
        cls.tmp = tempfile.mkdtemp(prefix="jlis-", dir=cls.env.dir)
        cls.extra = ExtraCerts(cls.tmp)

    def test_ca_certificates_are_served_as_der(self):
        for ca in ("auth", "sign"):
            r = self.env.request("GET", "/ca/%s.der" % ca)
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.headers.get("content-type"), "application/pkix-cert")
            self.assertEqual(r.body, read(ca_file("%s-ca.der" % ca)))

    def test_crls_verify_with_the_ca_and_list_the_revoked_profile(self):
        revoked = self.profiles["revoked"]
        adult = self.profiles["adult"]
        for ca, serial_key in (("auth", "auth_cert_serial"), ("sign", "sign_cert_serial")):
            with self.subTest(ca=ca):
                # run() fails unless openssl says "verify OK" with exit 0.
                _, text = crl_text(self.env, "/crl/%s.crl" % ca, ca_file("%s-ca.pem" % ca))
                self.assertIn("Serial Number: %s" % revoked[serial_key], text)
                self.assertNotIn(adult[serial_key], text)
                self.assertIn("Key Compromise", text)
                self.assertIn("X509v3 CRL Number", text)
                self.assertIn("Next Update", text)
        # The sign CA does not vouch for the auth CA's CRL.
        r = self.env.request("GET", "/crl/auth.crl")
        f = os.path.join(self.tmp, "auth.crl")
        with open(f, "wb") as out:
            out.write(r.body)
        res = run_status("openssl", "crl", "-inform", "DER", "-in", f,
                         "-CAfile", ca_file("sign-ca.pem"), "-noout")
        self.assertNotEqual(res, 0)

    def test_ocsp_good_certificate(self):
        rc, out = ocsp(self.env, ca_file("auth-ca.pem"), profile_file("adult", "auth.der"))
        self.assertEqual(rc, 0, out)
        self.assertIn("Response verify OK", out)
        self.assertIn("auth.der: good", out)

    def test_ocsp_revoked_certificate(self):
        rc, out = ocsp(self.env, ca_file("sign-ca.pem"), profile_file("revoked", "sign.der"),
                       profile_file("adult", "sign.der"))
        self.assertEqual(rc, 0, out)
        self.assertIn("Response verify OK", out)
        self.assertIn("revoked/sign.der: revoked", out)
        self.assertIn("Reason: keyCompromise", out)
        self.assertIn("adult/sign.der: good", out)

    def test_ocsp_foreign_certificate_is_unauthorized(self):
        rc, out = ocsp(self.env, self.extra.foreign_ca, self.extra.foreign_pem)
        self.assertNotEqual(rc, 0, out)
        self.assertIn("Responder Error: unauthorized (6)", out)

    def test_ocsp_answer_does_not_verify_with_the_other_ca(self):
        rc, out = ocsp(self.env, ca_file("auth-ca.pem"), profile_file("adult", "auth.der"),
                       ca_file_=ca_file("sign-ca.pem"))
        self.assertNotEqual(rc, 0, out)
        self.assertIn("Response Verify Failure", out)

    def test_ocsp_wants_an_ocsp_request(self):
        r = self.env.request("POST", "/ocsp", body=b"\x30\x00",
                             headers={"Content-Type": "application/json"})
        self.assertEqual(r.status, 415, r)
        self.assertEqual(r.json()["report_list"][0]["item"], "Content-Type")
        r = self.env.request("POST", "/ocsp", body=b"not DER at all",
                             headers={"Content-Type": "application/ocsp-request"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.headers.get("content-type"), "application/ocsp-response")
        f = os.path.join(self.tmp, "malformed.resp")
        with open(f, "wb") as out:
            out.write(r.body)
        res = subprocess.run(["openssl", "ocsp", "-respin", f, "-noverify"],
                             capture_output=True)
        self.assertIn(b"Responder Error: malformedrequest (1)", res.stdout + res.stderr)

    def test_ocsp_takes_no_idempotency_key(self):
        # The same request twice, without Idempotency-Key: two answers,
        # each with its own nonce check passing (openssl checks it).
        for _ in range(2):
            rc, out = ocsp(self.env, ca_file("auth-ca.pem"), profile_file("taisho", "auth.der"))
            self.assertEqual(rc, 0, out)
            self.assertNotIn("WARNING", out)

    def test_dev_revoke_refuses_what_it_cannot_read(self):
        r = revoke(self.env, "both", "zz")
        self.assertEqual(r.status, 400, r)
        items = {e["item"] for e in r.json()["report_list"]}
        self.assertEqual(items, {"ca", "serial"})
        r = revoke(self.env, "auth", "01", reason="lost")
        self.assertEqual(r.status, 400, r)
        self.assertEqual(r.json()["report_list"][0]["item"], "reason")


class JlisRevocationsRecordedLater(unittest.TestCase):
    """POST /_dev/jlis/revoke: the CRL and OCSP show it at once, a login
    with the certificate is refused, and all that survives a restart."""

    def test_revoke_then_restart(self):
        prof = profiles()["minimal"]
        with PortalEnv(dev=True) as env:
            r = login_profile(env, "minimal")
            self.assertEqual(r.status, 200, r)
            r = revoke(env, "auth", prof["auth_cert_serial"], reason="keyCompromise")
            self.assertEqual(r.status, 200, r)
            self.assertTrue(r.json()["results"]["newly_revoked"])
            r = revoke(env, "auth", prof["auth_cert_serial"])
            self.assertEqual(r.status, 200, r)
            self.assertFalse(r.json()["results"]["newly_revoked"])

            def all_say_revoked():
                rc, out = ocsp(env, ca_file("auth-ca.pem"), profile_file("minimal", "auth.der"))
                self.assertEqual(rc, 0, out)
                self.assertIn("minimal/auth.der: revoked", out)
                _, text = crl_text(env, "/crl/auth.crl", ca_file("auth-ca.pem"))
                self.assertIn("Serial Number: %s" % prof["auth_cert_serial"], text)
                r = login_profile(env, "minimal")
                self.assertEqual(r.status, 400, r)
                self.assertEqual(r.json()["error"], "cert_revoked")
                # Its sign certificate is another matter.
                rc, out = ocsp(env, ca_file("sign-ca.pem"), profile_file("minimal", "sign.der"))
                self.assertIn("minimal/sign.der: good", out)

            all_say_revoked()
            env.restart()
            all_say_revoked()

            # Without the key the recorded revocation could not be
            # published: portal-sim refuses to start and says why.
            env.stop()
            os.unlink(os.path.join(env.data, "trust", "auth-ca.key"))
            with self.assertRaises(HarnessError) as cm:
                env.start()
            self.assertIn("auth-ca.key", str(cm.exception))


class JlisWithoutCaKeys(unittest.TestCase):
    """A data directory without trust/*.key: the CRL files are served as
    they are, the OCSP responder is not authoritative, revocation rests on
    the CRLs, and nothing can be revoked."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="jlis-nokey-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        data = os.path.join(cls.tmp, "data")
        # First start makes the data directory; the keys are then removed.
        with PortalEnv(data_dir=data):
            pass
        for ca in ("auth", "sign"):
            os.unlink(os.path.join(data, "trust", "%s-ca.key" % ca))
        cls.env = PortalEnv(dev=True, data_dir=data).__enter__()
        cls.addClassCleanup(cls.env.__exit__, None, None, None)

    def test_crl_is_served_as_given(self):
        body, text = crl_text(self.env, "/crl/auth.crl", ca_file("auth-ca.pem"))
        self.assertEqual(body, read(ca_file("auth-ca.crl.der")))
        self.assertIn(profiles()["revoked"]["auth_cert_serial"], text)

    def test_ocsp_is_not_authoritative(self):
        rc, out = ocsp(self.env, ca_file("auth-ca.pem"), profile_file("adult", "auth.der"))
        self.assertNotEqual(rc, 0, out)
        self.assertIn("Responder Error: unauthorized (6)", out)

    def test_logins_rest_on_the_crl(self):
        r = login_profile(self.env, "adult")
        self.assertEqual(r.status, 200, r)
        r = login_profile(self.env, "revoked")
        self.assertEqual(r.status, 400, r)
        self.assertEqual(r.json()["error"], "cert_revoked")

    def test_revoke_needs_the_key(self):
        r = revoke(self.env, "auth", profiles()["adult"]["auth_cert_serial"])
        self.assertEqual(r.status, 409, r)
        self.assertIn("auth-ca.key", r.json()["report_list"][0]["content"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
