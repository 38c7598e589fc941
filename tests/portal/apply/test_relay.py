"""Terminals with TLS client certificates, and the signed applications they
relay without a resident token (docs/portal-sim-apply.md "Relay by a
registered terminal"), black-box: curl over verified HTTPS presenting the
test PKI's terminal certificates (terminals/<id>.pem, docs/test-pki.md),
packages signed by xmlsec1 through tests/portal/mkpackage.py.

A kiosk keeps every signed application in a durable outbox and may deliver
it after the resident's session is gone: then only its certificate and the
package's own signature stand behind the request. The form and the resident
(`minimal`, 都城市) are those of test_apply.py."""

import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import unittest
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "harness"))
sys.path.insert(0, HERE)
from portalenv import HarnessError, PortalEnv, pki_dir  # noqa: E402
import test_apply as base  # noqa: E402  (its form and procedure; no tests run from it)

APPLY = "/shinsei/v2/apply"
AMEND = "/shinsei/v2/apply/amend"
KIOSK = "kiosk-test-01"
CURL_EMPTY_REPLY = 52
# The resident whose sign certificate the tests unregister (the `one-try`
# profile), to sign a package nobody is linked to.
UNLINKED = "one-try"


def code(r):
    """The machine-readable code at the end of an error's type URI."""
    return r.json()["type"].rsplit(":", 1)[1]


def items(r):
    return [x["item"] for x in r.json().get("report_list", [])]


class Packages:
    """Signed packages of test_apply.py's form, each one different (the
    postal code varies, so that de-duplication never merges two tests)."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.n = 0

    def make(self, signer="minimal"):
        self.n += 1
        form = os.path.join(self.tmp, "form-%d.xml" % self.n)
        with open(form, "w") as f:
            f.write(base.FORM.format(postal="885-%04d" % (100 + self.n),
                                     consent=base.CONSENT))
        out = os.path.join(self.tmp, "pkg-%d.zip" % self.n)
        r = subprocess.run([sys.executable, base.MKPACKAGE, "--profile",
                            os.path.join(pki_dir(), "profiles", signer),
                            "--proc-id", base.PROC, "--form", form, "--out", out],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise HarnessError("mkpackage: " + r.stderr)
        with open(out, "rb") as f:
            return f.read()


def body(zip_bytes, **extra):
    b = {"proc_id": base.PROC, "send_file": {
        "file_name": "shinsei.zip", "file_data": base64.b64encode(zip_bytes).decode()}}
    b.update(extra)
    return b


class Relay(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.env = PortalEnv(dev=True).__enter__()
        cls.addClassCleanup(cls.env.__exit__, None, None, None)
        # The data directory made from the test PKI links every sign
        # certificate to its resident; unlink one, as a registration made
        # before J-LIS linked the two certificates would be.
        cls.env.stop()
        path = os.path.join(cls.env.data, "residents.json")
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        entry = next(r for r in doc["residents"] if r["profile"] == UNLINKED)
        assert "sign_cert" in entry, entry
        del entry["sign_cert"]
        with open(path, "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=False)
        cls.env.start()
        cls.pkgs = Packages(tempfile.mkdtemp(prefix="relay-", dir=cls.env.dir))
        cls.token = cls.env.login("minimal", terminal=KIOSK)

    def setUp(self):
        r = self.env.request("DELETE", "/_dev/faults")
        self.assertEqual(r.status, 200, r)

    def relay(self, zip_bytes, cert=KIOSK, path=APPLY, **kw):
        """The outbox's delivery: the terminal's certificate, no token."""
        return self.env.post(path, kw.pop("json_body", None) or body(zip_bytes),
                             cert=cert, **kw)

    def my_applications(self):
        lst = self.env.request("GET", "/shinsei/v2/apply/lists?limit=50", token=self.token,
                               terminal=KIOSK)
        self.assertEqual(lst.status, 200, lst.text)
        return [a["arrive_id"] for a in lst.json()["results"]]

    # -- the relay itself --

    def test_relay_without_token_is_the_signers_application(self):
        r = self.relay(self.pkgs.make())
        self.assertEqual(r.status, 201, r.text)
        arrive = r.json()["results"]["arrive_id"]
        self.assertRegex(arrive, r"^[1-9][0-9]{15}$")
        # The signer's resident sees it, after a login of their own.
        token = self.env.login("minimal", terminal=KIOSK)
        lst = self.env.request("GET", "/shinsei/v2/apply/lists?limit=50", token=token)
        self.assertEqual(lst.status, 200, lst.text)
        self.assertEqual([a["arrive_id"] for a in lst.json()["results"]].count(arrive), 1)
        st = self.env.request("GET", "/shinsei/v2/apply/" + arrive, token=token)
        self.assertEqual(st.status, 200, st.text)
        self.assertEqual(st.json()["results"]["status"], "到達")
        # Nobody else does.
        other = self.env.login("adult", terminal=KIOSK)
        self.assertEqual(self.env.request("GET", "/shinsei/v2/apply/" + arrive,
                                          token=other).status, 404)
        # X-Terminal-Id equal to the certificate's CN is fine too.
        r = self.relay(self.pkgs.make(), terminal=KIOSK)
        self.assertEqual(r.status, 201, r.text)
        self.env.wait_log("POST /shinsei/v2/apply 201")
        self.assertRegex(self.env.log(),
                         r"POST /shinsei/v2/apply 201 [0-9.]+ ms terminal=kiosk-test-01 "
                         r"cert=verified relay")

    def test_unlinked_signer_is_unknown_signer(self):
        r = self.relay(self.pkgs.make(signer=UNLINKED))
        self.assertEqual(r.status, 422, r.text)
        self.assertEqual(code(r), "unknown_signer")
        self.assertEqual(items(r), ["sign_cert"])
        # Every other check is the one a token request meets: a revoked or
        # expired signer is refused on its certificate, a broken form on
        # the form.
        for prof in ("revoked", "expired"):
            r = self.relay(self.pkgs.make(signer=prof))
            self.assertEqual(r.status, 422, r.text)
            self.assertEqual(code(r), "sign_cert_invalid", r.text)
        zip_ = self.pkgs.make()
        r = self.relay(zip_, json_body=body(zip_, proc_id="452025-jidouteate-nintei"))
        self.assertIn(r.status, (404, 422), r.text)

    def test_foreign_expired_and_misused_certificates_are_refused_before_anything(self):
        zip_ = self.pkgs.make()
        before = self.my_applications()
        for cert in ("kiosk-foreign", "kiosk-expired", "kiosk-no-clientauth"):
            # Relayed, with a valid token, and on a public route: 403 alike.
            for token in (None, self.token):
                r = self.relay(zip_, cert=cert, token=token)
                self.assertEqual(r.status, 403, "%s: %s" % (cert, r.text))
                self.assertEqual(code(r), "terminal_cert_invalid")
                self.assertEqual(items(r), ["client_certificate"])
            r = self.env.request("GET", "/shinsei/v2/procedures?limit=1", cert=cert)
            self.assertEqual(r.status, 403, "%s: %s" % (cert, r.text))
        self.assertEqual(self.my_applications(), before)
        # Nothing of the package was stored: its first delivery by a good
        # terminal is a new application (201), not a duplicate (200).
        r = self.relay(zip_)
        self.assertEqual(r.status, 201, r.text)
        self.assertNotIn("duplicate", r.json()["results"])
        for verdict in ("untrusted", "expired", "wrong-usage"):
            self.env.wait_log("403")
            self.env.wait_log("cert=" + verdict)

    def test_cn_other_than_x_terminal_id_is_refused(self):
        r = self.relay(self.pkgs.make(), terminal="kiosk-test-02")
        self.assertEqual(r.status, 403, r.text)
        self.assertEqual(code(r), "terminal_mismatch")
        self.assertEqual(items(r), ["X-Terminal-Id"])
        # On every route, with TLS 1.2 and 1.3 alike (the certificate is
        # asked for in both handshakes).
        for tls in (["--tlsv1.2", "--tls-max", "1.2"], ["--tlsv1.3"]):
            r = self.env.request("GET", "/shinsei/v2/procedures?limit=1", cert=KIOSK,
                                 terminal="kiosk-test-02", extra=tls)
            self.assertEqual(r.status, 403, r.text)
            self.assertEqual(code(r), "terminal_mismatch")
            r = self.env.request("GET", "/shinsei/v2/procedures?limit=1", cert=KIOSK,
                                 terminal=KIOSK, extra=tls)
            self.assertEqual(r.status, 200, r.text)

    def test_token_wins_over_the_certificate(self):
        zip_ = self.pkgs.make()
        # A bad token is 401 even with a good certificate.
        r = self.relay(zip_, token="not-a-token")
        self.assertEqual(r.status, 401, r.text)
        self.assertEqual(code(r), "invalid_token")
        # With another resident's token the logged-in resident must be the
        # signer, as always; the certificate does not make it a relay.
        other = self.env.login("adult", terminal=KIOSK)
        r = self.relay(zip_, token=other)
        self.assertEqual(r.status, 422, r.text)
        self.assertEqual(code(r), "signer_mismatch")
        # An Authorization header of another scheme is no relay either.
        r = self.relay(zip_, headers={"Authorization": "Basic a2lvc2s6eA=="})
        self.assertEqual(r.status, 401, r.text)
        self.assertEqual(code(r), "token_required")

    def test_relay_only_on_apply_and_amend(self):
        zip_ = self.pkgs.make()
        for method, path, b in (("GET", "/shinsei/v2/apply/lists", None),
                                ("POST", "/shinsei/v2/apply/check", body(zip_)),
                                ("POST", "/shinsei/v2/apply/withdraw",
                                 {"arrive_id": "1" * 16}),
                                ("GET", "/records/v1", None)):
            r = self.env.request(method, path, json_body=b, cert=KIOSK,
                                 idem=str(uuid.uuid4()) if b else None)
            self.assertEqual(r.status, 401, "%s %s: %s" % (method, path, r.text))
            self.assertEqual(code(r), "token_required")

    def test_without_certificate_as_before(self):
        r = self.env.request("GET", "/shinsei/v2/procedures?limit=1", terminal="kiosk-plain")
        self.assertEqual(r.status, 200, r.text)
        r = self.env.post(APPLY, body(self.pkgs.make()), terminal="kiosk-plain")
        self.assertEqual(r.status, 401, r.text)
        self.assertEqual(code(r), "token_required")
        r = self.env.post(APPLY, body(self.pkgs.make()), terminal="kiosk-plain",
                          token=self.token)
        self.assertEqual(r.status, 201, r.text)

    # -- idempotency across the two kinds of authentication --

    def lose_next_answer(self):
        r = self.env.post("/_dev/faults", {"rules": [
            {"method": "POST", "path_prefix": APPLY, "drop_response_after": 0}]}, idem=None)
        self.assertEqual(r.status, 200, r.text)

    def test_token_try_lost_then_certificate_only_retry_replays(self):
        zip_ = self.pkgs.make()
        key = str(uuid.uuid4())
        before = self.my_applications()
        self.lose_next_answer()
        # The first try still had the session: token, certificate, id.
        r = self.env.post(APPLY, body(zip_), idem=key, token=self.token, cert=KIOSK,
                          terminal=KIOSK)
        self.assertEqual((r.status, r.curl_rc), (0, CURL_EMPTY_REPLY), r.stderr)
        # After the crash the outbox retries with the certificate only.
        r = self.relay(zip_, idem=key)
        self.assertEqual(r.status, 201, r.text)
        self.assertEqual(r.headers.get("idempotent-replayed"), "true")
        arrive = r.json()["results"]["arrive_id"]
        after = self.my_applications()
        self.assertEqual(sorted(set(after) - set(before)), [arrive])
        self.assertEqual(after.count(arrive), 1)
        # The same key from the same terminal, by token and X-Terminal-Id
        # alone, is the same request again too.
        r = self.env.post(APPLY, body(zip_), idem=key, token=self.token, terminal=KIOSK)
        self.assertEqual(r.status, 201, r.text)
        self.assertEqual(r.json()["results"]["arrive_id"], arrive)
        # Another terminal's key space is its own: a new request, which
        # de-duplication answers with the first receipt.
        r = self.relay(zip_, idem=key, cert="kiosk-test-02")
        self.assertEqual(r.status, 200, r.text)
        self.assertNotEqual(r.headers.get("idempotent-replayed"), "true")
        self.assertTrue(r.json()["results"]["duplicate"])
        self.assertEqual(r.json()["results"]["arrive_id"], arrive)
        self.assertEqual(self.my_applications().count(arrive), 1)

    def test_relay_try_lost_then_token_retry_replays(self):
        zip_ = self.pkgs.make()
        key = str(uuid.uuid4())
        before = self.my_applications()
        self.lose_next_answer()
        r = self.relay(zip_, idem=key)
        self.assertEqual((r.status, r.curl_rc), (0, CURL_EMPTY_REPLY), r.stderr)
        r = self.env.post(APPLY, body(zip_), idem=key, token=self.token, cert=KIOSK)
        self.assertEqual(r.status, 201, r.text)
        self.assertEqual(r.headers.get("idempotent-replayed"), "true")
        arrive = r.json()["results"]["arrive_id"]
        self.assertEqual(sorted(set(self.my_applications()) - set(before)), [arrive])

    # -- amend --

    def test_relay_amend_only_for_the_signers_application(self):
        r = self.relay(self.pkgs.make())
        self.assertEqual(r.status, 201, r.text)
        arrive = r.json()["results"]["arrive_id"]
        pw = hashlib.sha256(b"Miyakonojo-Test-2026").hexdigest()
        lg = self.env.request("POST", "/receive/ws/login",
                              json_body={"id": "miyakonojo-shimin", "password": pw})
        self.assertEqual(lg.status, 200, lg.text)
        up = self.env.request("POST", "/receive/ws/statusUpdate", json_body={
            "receipt_no": arrive, "status": "補正依頼",
            "comment": "郵便番号をご確認ください。"},
            token=lg.json()["token"], idem=str(uuid.uuid4()))
        self.assertEqual(up.status, 200, up.text)
        # A package signed by another registered resident: not theirs.
        other = self.pkgs.make(signer="adult")
        r = self.relay(other, path=AMEND, json_body=body(other, arrive_id=arrive))
        self.assertEqual(r.status, 404, r.text)
        self.assertEqual(code(r), "unknown_application")
        fixed = self.pkgs.make()
        r = self.relay(fixed, path=AMEND, json_body=body(fixed, arrive_id=arrive))
        self.assertEqual(r.status, 200, r.text)
        self.assertEqual(r.json()["results"]["status"], "審査中")
        st = self.env.request("GET", "/shinsei/v2/apply/" + arrive, token=self.token)
        self.assertEqual([h["status"] for h in st.json()["results"]["history"]],
                         ["到達", "補正待ち", "審査中"])


class TerminalIdentity(unittest.TestCase):
    """The certificate's CN is the terminal for the rate limit; a data
    directory without trust/terminal-ca.pem asks for no certificate; a
    terminal-ca.pem that is not a CA stops the start."""

    def test_rate_limit_counts_the_certificates_cn(self):
        with PortalEnv(args=["--rate", "0.001", "--burst", "1"]) as env:
            r = env.request("GET", "/shinsei/v2/procedures?limit=1", cert=KIOSK)
            self.assertEqual(r.status, 200, r.text)
            # Same terminal by its header only: the same, empty, bucket.
            r = env.request("GET", "/shinsei/v2/procedures?limit=1", terminal=KIOSK)
            self.assertEqual(r.status, 429, r.text)
            # Another terminal's certificate has its own.
            r = env.request("GET", "/shinsei/v2/procedures?limit=1", cert="kiosk-test-02")
            self.assertEqual(r.status, 200, r.text)

    def test_without_terminal_ca_no_certificate_is_asked_for(self):
        env = PortalEnv()
        with env:
            trust = os.path.join(env.data, "trust", "terminal-ca.pem")
            with open(os.path.join(pki_dir(), "terminals", "ca.pem"), "rb") as a, \
                 open(trust, "rb") as b:
                self.assertEqual(a.read(), b.read())
            env.stop()
            os.unlink(trust)
            env.start()
            # curl has a certificate but is not asked for it: the header is
            # the terminal, and a relay is no relay.
            r = env.request("GET", "/shinsei/v2/procedures?limit=1", cert=KIOSK,
                            terminal="kiosk-test-02")
            self.assertEqual(r.status, 200, r.text)
            r = env.request("GET", "/shinsei/v2/procedures?limit=1", cert="kiosk-foreign")
            self.assertEqual(r.status, 200, r.text)
            r = env.post(APPLY, {"proc_id": base.PROC}, cert=KIOSK)
            self.assertEqual(r.status, 401, r.text)
            env.stop()
            # A terminal's own certificate is not a CA: the start stops and
            # says which file.
            with open(os.path.join(pki_dir(), "terminals", KIOSK + ".pem"), "rb") as f, \
                 open(trust, "wb") as out:
                out.write(f.read())
            with self.assertRaises(HarnessError) as cm:
                env.start()
            self.assertIn("terminal-ca.pem", str(cm.exception))
            self.assertIn("not a CA certificate", str(cm.exception))
            with open(trust, "wb") as out:
                out.write(b"not a certificate\n")
            with self.assertRaises(HarnessError) as cm:
                env.start()
            self.assertIn("not a list of PEM certificates", str(cm.exception))
            os.unlink(trust)
            env.start()


if __name__ == "__main__":
    unittest.main(verbosity=2)
