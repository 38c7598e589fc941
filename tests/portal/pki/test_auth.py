"""Resident login /auth/v1, black-box over HTTPS (portal-api.md §1,
docs/portal-sim-auth.md): the test PKI's profiles sign the challenge's nonce
with their auth keys (openssl pkeyutl, as the card would), and every refusal
the contract names is provoked: bad signature, revoked, expired, foreign CA,
a sign certificate, replayed and expired nonces, an unregistered
certificate, malformed input; then tokens: a resident endpoint, refresh
rotation (and reuse detection), logout, expiry of access tokens."""

import hashlib
import os
import sqlite3
import tempfile
import time
import unittest
import uuid

from pkitest import (PortalEnv, ExtraCerts, TERMINAL, b64url_decode, challenge,
                     jpki_login, login_cert, login_profile, profile_file, read,
                     sign_nonce)

RESIDENT_PATH = "/selfinfo/v1/categories"


def oauth_error(test, r, status, error, item=None):
    """r is the OAuth-shaped refusal; returns its body."""
    test.assertEqual(r.status, status, r)
    body = r.json()
    test.assertEqual(body["error"], error, body)
    test.assertTrue(body["error_description"], body)
    test.assertEqual(r.headers.get("cache-control"), "no-store")
    if item is not None:
        test.assertIn(item, [e["item"] for e in body["report_list"]], body)
    return body


class Login(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.env = PortalEnv().__enter__()
        cls.addClassCleanup(cls.env.__exit__, None, None, None)
        cls.tmp = tempfile.mkdtemp(prefix="auth-", dir=cls.env.dir)
        cls.extra = ExtraCerts(cls.tmp)

    def resident_get(self, token):
        return self.env.request("GET", RESIDENT_PATH, token=token)

    # -- the good path --

    def test_adult_logs_in_and_reads_its_data(self):
        ch = challenge(self.env)
        self.assertEqual(len(b64url_decode(ch["nonce"])), 32)
        self.assertNotIn("=", ch["nonce"])
        self.assertRegex(ch["expires_at"], r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
        sig = sign_nonce(profile_file("adult", "auth.key.pem"), b64url_decode(ch["nonce"]))
        self.assertEqual(len(sig), 256)
        r = jpki_login(self.env, ch, read(profile_file("adult", "auth.der")), sig)
        self.assertEqual(r.status, 200, r)
        tok = r.json()
        self.assertEqual(tok["token_type"], "Bearer")
        self.assertEqual(tok["expires_in"], 900)
        self.assertEqual(tok["refresh_expires_in"], 28800)
        self.assertEqual(tok["scope"], "resident")
        self.assertNotEqual(tok["access_token"], tok["refresh_token"])
        self.assertEqual(r.headers.get("cache-control"), "no-store")
        self.assertEqual(self.resident_get(tok["access_token"]).status, 200)
        # A refresh token is no access token, and no token is no access.
        self.assertEqual(self.resident_get(tok["refresh_token"]).status, 401)
        self.assertEqual(self.env.request("GET", RESIDENT_PATH).status, 401)

    def test_harness_login_agrees(self):
        # portalenv's own login (openssl dgst -sign) is an independent client.
        token = self.env.login("taisho", terminal=TERMINAL)
        self.assertEqual(self.resident_get(token).status, 200)

    def test_replayed_request_returns_the_original_answer(self):
        ch = challenge(self.env)
        sig = sign_nonce(profile_file("adult", "auth.key.pem"), b64url_decode(ch["nonce"]))
        key = str(uuid.uuid4())
        cert = read(profile_file("adult", "auth.der"))
        r1 = jpki_login(self.env, ch, cert, sig, idem=key)
        r2 = jpki_login(self.env, ch, cert, sig, idem=key)
        self.assertEqual(r1.status, 200, r1)
        self.assertEqual(r2.status, 200, r2)
        self.assertEqual(r1.json()["access_token"], r2.json()["access_token"])
        # With a new key it is a new attempt, and the nonce is spent.
        r3 = jpki_login(self.env, ch, cert, sig)
        oauth_error(self, r3, 400, "nonce_reused", "challenge_id")

    # -- refusals --

    def test_bad_signature_is_401(self):
        ch = challenge(self.env)
        # The right key over another nonce.
        sig = sign_nonce(profile_file("adult", "auth.key.pem"), os.urandom(32))
        r = jpki_login(self.env, ch, read(profile_file("adult", "auth.der")), sig)
        oauth_error(self, r, 401, "invalid_grant", "signature")
        self.assertIn("www-authenticate", r.headers)

    def test_signature_by_another_card_is_401(self):
        ch = challenge(self.env)
        sig = sign_nonce(profile_file("taisho", "auth.key.pem"), b64url_decode(ch["nonce"]))
        r = jpki_login(self.env, ch, read(profile_file("adult", "auth.der")), sig)
        oauth_error(self, r, 401, "invalid_grant", "signature")

    def test_nonce_is_spent_by_a_failed_login(self):
        ch = challenge(self.env)
        cert = read(profile_file("adult", "auth.der"))
        bad = sign_nonce(profile_file("adult", "auth.key.pem"), os.urandom(32))
        oauth_error(self, jpki_login(self.env, ch, cert, bad), 401, "invalid_grant")
        good = sign_nonce(profile_file("adult", "auth.key.pem"), b64url_decode(ch["nonce"]))
        oauth_error(self, jpki_login(self.env, ch, cert, good), 400, "nonce_reused")

    def test_replayed_nonce(self):
        ch = challenge(self.env)
        sig = sign_nonce(profile_file("adult", "auth.key.pem"), b64url_decode(ch["nonce"]))
        cert = read(profile_file("adult", "auth.der"))
        self.assertEqual(jpki_login(self.env, ch, cert, sig).status, 200)
        oauth_error(self, jpki_login(self.env, ch, cert, sig), 400, "nonce_reused",
                    "challenge_id")

    def test_revoked_certificate(self):
        body = oauth_error(self, login_profile(self.env, "revoked"), 400, "cert_revoked",
                           "auth_cert")
        self.assertIn("失効", body["error_description"])

    def test_expired_certificate(self):
        body = oauth_error(self, login_profile(self.env, "expired"), 400, "cert_expired",
                           "auth_cert")
        self.assertIn("有効期限", body["error_description"])

    def test_foreign_ca(self):
        r = login_cert(self.env, self.extra.foreign_der, self.extra.foreign_key)
        oauth_error(self, r, 400, "chain_invalid", "auth_cert")

    def test_sign_certificate_is_not_an_auth_certificate(self):
        ch = challenge(self.env)
        sig = sign_nonce(profile_file("adult", "sign.key.pem"), b64url_decode(ch["nonce"]))
        r = jpki_login(self.env, ch, read(profile_file("adult", "sign.der")), sig)
        body = oauth_error(self, r, 400, "chain_invalid", "auth_cert")
        self.assertIn("署名用電子証明書", body["error_description"])

    def test_unregistered_certificate(self):
        r = login_cert(self.env, self.extra.unregistered_der, self.extra.unregistered_key)
        oauth_error(self, r, 400, "unknown_user", "auth_cert")

    def test_unknown_challenge(self):
        ch = {"challenge_id": str(uuid.uuid4()), "nonce": "AAAA"}
        r = jpki_login(self.env, ch, read(profile_file("adult", "auth.der")), b"\0" * 256)
        oauth_error(self, r, 400, "invalid_grant", "challenge_id")

    def test_malformed_base64(self):
        cert = read(profile_file("adult", "auth.der"))
        for field, text in (("auth_cert", "MIIC!!!"), ("auth_cert", "MIIC\nAAAA"),
                            ("signature", "AAA"), ("signature", "AA-_")):
            with self.subTest(field=field, text=text):
                ch = challenge(self.env)
                r = jpki_login(self.env, ch, cert, b"\0" * 256, raw={field: text})
                oauth_error(self, r, 400, "invalid_request", field)
                # The attempt spent the nonce all the same.
                sig = sign_nonce(profile_file("adult", "auth.key.pem"),
                                 b64url_decode(ch["nonce"]))
                oauth_error(self, jpki_login(self.env, ch, cert, sig), 400, "nonce_reused")

    def test_not_a_certificate_and_short_signature(self):
        ch = challenge(self.env)
        r = jpki_login(self.env, ch, b"\x30\x03\x02\x01\x01", b"\0" * 256)
        oauth_error(self, r, 400, "invalid_request", "auth_cert")
        ch = challenge(self.env)
        sig = sign_nonce(profile_file("adult", "auth.key.pem"), b64url_decode(ch["nonce"]))
        r = jpki_login(self.env, ch, read(profile_file("adult", "auth.der")), sig[:-1])
        oauth_error(self, r, 400, "invalid_request", "signature")

    def test_missing_fields_and_bad_json(self):
        r = self.env.post("/auth/v1/jpki-login", {"auth_cert": "AAAA"}, terminal=TERMINAL)
        oauth_error(self, r, 400, "invalid_request", "challenge_id")
        r = self.env.request("POST", "/auth/v1/challenge", body=b"{not json",
                             idem=str(uuid.uuid4()), terminal=TERMINAL,
                             headers={"Content-Type": "application/json"})
        oauth_error(self, r, 400, "invalid_request", "body")
        r = self.env.post("/auth/v1/challenge", {"terminal_id": 7}, terminal=TERMINAL)
        oauth_error(self, r, 400, "invalid_request", "terminal_id")

    def test_challenge_belongs_to_its_terminal(self):
        r = self.env.post("/auth/v1/challenge", {"terminal_id": "kiosk-a"}, terminal="kiosk-b")
        oauth_error(self, r, 400, "invalid_request", "terminal_id")
        ch = challenge(self.env, terminal="kiosk-a")
        sig = sign_nonce(profile_file("adult", "auth.key.pem"), b64url_decode(ch["nonce"]))
        r = jpki_login(self.env, ch, read(profile_file("adult", "auth.der")), sig,
                       terminal="kiosk-b")
        oauth_error(self, r, 400, "invalid_grant", "challenge_id")

    # -- tokens --

    def login_tokens(self, profile="adult"):
        r = login_profile(self.env, profile)
        self.assertEqual(r.status, 200, r)
        return r.json()

    def refresh(self, refresh_token):
        return self.env.post("/auth/v1/token", {"grant_type": "refresh_token",
                                                "refresh_token": refresh_token},
                             terminal=TERMINAL)

    def test_refresh_rotates_the_refresh_token(self):
        t1 = self.login_tokens()
        r = self.refresh(t1["refresh_token"])
        self.assertEqual(r.status, 200, r)
        t2 = r.json()
        self.assertNotEqual(t2["refresh_token"], t1["refresh_token"])
        self.assertNotEqual(t2["access_token"], t1["access_token"])
        self.assertLessEqual(t2["refresh_expires_in"], t1["refresh_expires_in"])
        self.assertEqual(self.resident_get(t2["access_token"]).status, 200)
        # The old refresh token is dead ...
        oauth_error(self, self.refresh(t1["refresh_token"]), 400, "invalid_grant",
                    "refresh_token")
        # ... and its coming back ended the session: the new tokens too.
        oauth_error(self, self.refresh(t2["refresh_token"]), 400, "invalid_grant")
        self.assertEqual(self.resident_get(t2["access_token"]).status, 401)
        self.assertEqual(self.resident_get(t1["access_token"]).status, 401)

    def test_refresh_refusals(self):
        r = self.env.post("/auth/v1/token", {"grant_type": "password",
                                             "refresh_token": "x"}, terminal=TERMINAL)
        oauth_error(self, r, 400, "unsupported_grant_type", "grant_type")
        oauth_error(self, self.refresh("no-such-token"), 400, "invalid_grant")
        r = self.env.post("/auth/v1/token", {"grant_type": "refresh_token"}, terminal=TERMINAL)
        oauth_error(self, r, 400, "invalid_request", "refresh_token")
        # An access token is not a refresh token.
        t = self.login_tokens()
        oauth_error(self, self.refresh(t["access_token"]), 400, "invalid_grant")
        # Another terminal cannot use this terminal's session.
        r = self.env.post("/auth/v1/token", {"grant_type": "refresh_token",
                                             "refresh_token": t["refresh_token"]},
                          terminal="kiosk-elsewhere")
        oauth_error(self, r, 400, "invalid_grant", "refresh_token")
        self.assertEqual(self.refresh(t["refresh_token"]).status, 200)

    def test_logout_ends_access_and_refresh(self):
        t = self.login_tokens()
        other = self.login_tokens()
        r = self.env.post("/auth/v1/logout", {}, token=t["access_token"], terminal=TERMINAL)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["revoked_tokens"], 2)
        self.assertEqual(self.resident_get(t["access_token"]).status, 401)
        oauth_error(self, self.refresh(t["refresh_token"]), 400, "invalid_grant")
        # Another login of the same resident is another session.
        self.assertEqual(self.resident_get(other["access_token"]).status, 200)
        # By refresh token alone, no Authorization header.
        r = self.env.post("/auth/v1/logout", {"refresh_token": other["refresh_token"]},
                          terminal=TERMINAL)
        self.assertEqual(r.json()["revoked_tokens"], 2)
        self.assertEqual(self.resident_get(other["access_token"]).status, 401)
        # Again: nothing left to end, not an error (RFC 7009).
        r = self.env.post("/auth/v1/logout", {"refresh_token": other["refresh_token"]},
                          terminal=TERMINAL)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["revoked_tokens"], 0)
        r = self.env.post("/auth/v1/logout", {}, terminal=TERMINAL)
        oauth_error(self, r, 400, "invalid_request")

    def test_tokens_are_stored_hashed(self):
        # The token table holds SHA-256 of each token, never the token. (The
        # server's idempotency store keeps the whole login answer for its
        # replay window: docs/portal-sim-auth.md.)
        t = self.login_tokens()
        db = sqlite3.connect("file:%s?mode=ro" % os.path.join(self.env.data, "portal.db"),
                             uri=True)
        try:
            rows = db.execute("SELECT token_sha256, kind FROM auth_tokens").fetchall()
        finally:
            db.close()
        stored = dict(rows)
        for name, kind in (("access_token", "access"), ("refresh_token", "refresh")):
            digest = hashlib.sha256(t[name].encode()).hexdigest()
            self.assertEqual(stored.get(digest), kind)
            self.assertNotIn(t[name], stored)


def wait_until(deadline):
    """Waits for the wall clock to pass deadline (an expiry under test)."""
    while time.time() < deadline:
        time.sleep(min(0.05, max(0.0, deadline - time.time())))


class ShortLifetimes(unittest.TestCase):
    """Lifetimes shortened through the environment (PORTALSIM_AUTH_*_S), so
    that expiry is tested without waiting two minutes."""

    LIFETIMES = {"PORTALSIM_AUTH_CHALLENGE_S": "2", "PORTALSIM_AUTH_ACCESS_S": "1",
                 "PORTALSIM_AUTH_REFRESH_S": "4"}

    @classmethod
    def setUpClass(cls):
        saved = {k: os.environ.get(k) for k in cls.LIFETIMES}
        os.environ.update(cls.LIFETIMES)
        try:
            cls.env = PortalEnv().__enter__()
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        cls.addClassCleanup(cls.env.__exit__, None, None, None)

    def test_expired_nonce(self):
        ch = challenge(self.env)
        t1 = time.time()
        self.assertEqual(ch["expires_in"], 2)
        sig = sign_nonce(profile_file("adult", "auth.key.pem"), b64url_decode(ch["nonce"]))
        # Good through its whole last second: one second more is past it.
        wait_until(t1 + ch["expires_in"] + 1.0)
        r = jpki_login(self.env, ch, read(profile_file("adult", "auth.der")), sig)
        oauth_error(self, r, 400, "nonce_expired", "challenge_id")
        # Spent, too: a second try says so.
        r = jpki_login(self.env, ch, read(profile_file("adult", "auth.der")), sig)
        oauth_error(self, r, 400, "nonce_reused")

    def test_access_token_expires_and_refresh_renews_it(self):
        r = login_profile(self.env, "adult")
        t1 = time.time()
        self.assertEqual(r.status, 200, r)
        tok = r.json()
        self.assertEqual(tok["expires_in"], 1)
        wait_until(t1 + tok["expires_in"] + 1.0)
        self.assertEqual(self.env.request("GET", RESIDENT_PATH,
                                          token=tok["access_token"]).status, 401)
        r = self.env.post("/auth/v1/token", {"grant_type": "refresh_token",
                                             "refresh_token": tok["refresh_token"]},
                          terminal=TERMINAL)
        self.assertEqual(r.status, 200, r)
        new = r.json()
        self.assertEqual(self.env.request("GET", RESIDENT_PATH,
                                          token=new["access_token"]).status, 200)
        # The session ends with the login's refresh lifetime, refresh or not.
        wait_until(t1 + tok["refresh_expires_in"] + 1.0)
        r = self.env.post("/auth/v1/token", {"grant_type": "refresh_token",
                                             "refresh_token": new["refresh_token"]},
                          terminal=TERMINAL)
        oauth_error(self, r, 400, "invalid_grant", "refresh_token")


if __name__ == "__main__":
    unittest.main(verbosity=2)
