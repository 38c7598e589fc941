"""portal-sim start-up and shut-down: the data directory it makes from the
test PKI (files, modes, residents.json agreeing with the PKI's manifest, a
fresh TLS CA), an existing one left untouched, every start-up error as one
line on stderr with exit status 2, and SIGTERM letting the request under way
finish before exit 0."""

import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "harness"))
from portalenv import PortalEnv, openssl, pki_dir, portal_sim_exe, profiles  # noqa: E402

EXPECTED_FILES = [
    "tls/ca.pem", "tls/ca.key", "tls/server.pem", "tls/server.key",
    "trust/auth-ca.pem", "trust/sign-ca.pem", "trust/auth-ca.key", "trust/sign-ca.key",
    "trust/auth-ca.crl.pem", "trust/sign-ca.crl.pem", "trust/terminal-ca.pem",
    "residents.json", "municipal-users.json",
]


def run_sim(*args, timeout=30):
    """portal-sim that is expected to stop by itself (a start-up error)."""
    return subprocess.run([portal_sim_exe()] + list(args), capture_output=True,
                          timeout=timeout)


class NewDataDirectory(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.env = PortalEnv().__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.env.__exit__(None, None, None)

    def test_every_file_is_there_private_to_its_user(self):
        d = self.env.data
        self.assertEqual(stat.S_IMODE(os.stat(d).st_mode), 0o700)
        for sub in ("tls", "trust", "catalog"):
            self.assertEqual(stat.S_IMODE(os.stat(os.path.join(d, sub)).st_mode), 0o700, sub)
        for f in EXPECTED_FILES + ["portal.db"]:
            path = os.path.join(d, f)
            self.assertTrue(os.path.isfile(path), f)
            self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600, f)

    def test_no_temporary_directory_is_left_beside_it(self):
        parent = os.path.dirname(self.env.data)
        self.assertEqual(sorted(n for n in os.listdir(parent) if n.startswith(".")), [])

    def test_trust_files_are_the_test_pki_ones(self):
        for name in ("auth-ca.pem", "sign-ca.pem", "auth-ca.crl.pem", "sign-ca.crl.pem"):
            with open(os.path.join(pki_dir(), "ca", name), "rb") as a, \
                 open(os.path.join(self.env.data, "trust", name), "rb") as b:
                self.assertEqual(a.read(), b.read(), name)
        # The terminals' CA (TLS client certificates), not the foreign one.
        with open(os.path.join(pki_dir(), "terminals", "ca.pem"), "rb") as a, \
             open(os.path.join(self.env.data, "trust", "terminal-ca.pem"), "rb") as b:
            self.assertEqual(a.read(), b.read())

    def test_residents_json_matches_the_pki_manifest(self):
        with open(os.path.join(self.env.data, "residents.json")) as f:
            doc = json.load(f)
        self.assertEqual(doc["format"], 1)
        by_profile = {r["profile"]: r for r in doc["residents"]}
        profs = profiles()
        self.assertEqual(set(by_profile), set(profs))
        ids = [r["id"] for r in doc["residents"]]
        self.assertEqual(len(ids), len(set(ids)))
        cities = {"102016": "前橋市", "152048": "三条市", "452025": "都城市", "042021": "石巻市"}
        for name, p in profs.items():
            r = by_profile[name]
            self.assertEqual(r["auth_cert"]["issuer"], p["auth_cert_issuer"])
            self.assertEqual(r["auth_cert"]["serial"], p["auth_cert_serial"])
            # The sign certificate is linked when the card has one.
            if p["sign_cert_serial"]:
                self.assertEqual(r["sign_cert"], {"issuer": p["sign_cert_issuer"],
                                                  "serial": p["sign_cert_serial"]})
            else:
                self.assertNotIn("sign_cert", r)
            self.assertEqual(r["name"], p["holder_name"])
            self.assertEqual(r["city_code"], p["city_code"])
            self.assertIn(cities[r["city_code"]], r["address"])
            self.assertTrue(r["id"].startswith("R"))
            # Notices never hold the holder's name or address (portal-api.md).
            for n in r["notices"]:
                for text in (n["title"], n["body"]):
                    self.assertNotIn(r["name"], text)
                    self.assertNotIn(r["name"].replace("\u3000", ""), text)
                    self.assertNotIn(r["address"], text)
        # expired and revoked are registered, so that a login with them
        # meets the certificate check and not unknown_user.
        self.assertIn("expired", by_profile)
        self.assertIn("revoked", by_profile)
        self.assertTrue(by_profile["adult"]["selfinfo"])
        self.assertTrue(by_profile["adult"]["records"])

    def test_municipal_users_cover_the_four_cities(self):
        with open(os.path.join(self.env.data, "municipal-users.json")) as f:
            doc = json.load(f)
        self.assertEqual({u["city_code"] for u in doc["users"]},
                         {"102016", "152048", "452025", "042021"})
        for u in doc["users"]:
            self.assertRegex(u["password_sha256"], "^[0-9a-f]{64}$")

    def test_tls_identity_is_a_fresh_ca_and_a_localhost_certificate(self):
        tls = os.path.join(self.env.data, "tls")
        r = openssl("verify", "-CAfile", os.path.join(tls, "ca.pem"),
                    os.path.join(tls, "server.pem"))
        self.assertEqual(r.returncode, 0, r.stderr)
        r = openssl("x509", "-in", os.path.join(tls, "server.pem"), "-noout", "-ext",
                    "subjectAltName,extendedKeyUsage,basicConstraints")
        out = r.stdout.decode()
        self.assertIn("DNS:localhost", out)
        self.assertIn("IP Address:127.0.0.1", out)
        self.assertIn("IP Address:0:0:0:0:0:0:0:1", out)
        self.assertIn("TLS Web Server Authentication", out)
        self.assertIn("CA:FALSE", out)
        # The key belongs to the certificate.
        a = openssl("pkey", "-in", os.path.join(tls, "server.key"), "-pubout").stdout
        b = openssl("x509", "-in", os.path.join(tls, "server.pem"), "-noout", "-pubkey").stdout
        self.assertEqual(a, b)
        self.assertTrue(a)
        # Not a copy of the test PKI's CA: a new key for every data directory.
        c = openssl("x509", "-in", os.path.join(tls, "ca.pem"), "-noout", "-ext",
                    "basicConstraints,keyUsage").stdout.decode()
        self.assertIn("CA:TRUE", c)
        self.assertIn("Certificate Sign", c)


class ExistingDataDirectory(unittest.TestCase):
    def test_an_existing_directory_is_never_rewritten(self):
        with PortalEnv() as env:
            res = os.path.join(env.data, "residents.json")
            ca = os.path.join(env.data, "tls", "ca.pem")
            before = {p: open(p, "rb").read() for p in (res, ca)}
            env.restart()
            self.assertIn("made a new data directory", env.log())
            self.assertEqual(env.log().count("made a new data directory"), 1)
            for p, data in before.items():
                self.assertEqual(open(p, "rb").read(), data, p)
            r = env.request("GET", "/records/v1")
            self.assertEqual(r.status, 401)

    def test_an_empty_directory_is_filled(self):
        with PortalEnv() as env:
            env.stop()
            empty = os.path.join(env.dir, "empty")
            os.mkdir(empty)
            other = PortalEnv(data_dir=empty)
            with other:
                self.assertTrue(os.path.isfile(os.path.join(empty, "residents.json")))
                self.assertEqual(other.request("GET", "/nope").status, 404)


class StartupErrors(unittest.TestCase):
    def setUp(self):
        # One good data directory to break in various ways.
        self.env = PortalEnv().__enter__()
        self.addCleanup(self.env.__exit__, None, None, None)
        self.assertEqual(self.env.stop(), 0)

    def expect_exit2(self, args, *fragments):
        r = run_sim(*args)
        err = r.stderr.decode()
        self.assertEqual(r.returncode, 2, err)
        self.assertEqual(r.stdout, b"")
        lines = err.strip().splitlines()
        self.assertEqual(len(lines), 1, err)
        for f in fragments:
            self.assertIn(f, lines[0])
        return lines[0]

    def data_args(self, *more):
        return ["--data", self.env.data, "--listen", "127.0.0.1:0"] + list(more)

    def test_corrupt_residents_json(self):
        path = os.path.join(self.env.data, "residents.json")
        with open(path, "w") as f:
            f.write('{"format": 1, "residents": [ {"id": "R1", ')
        self.expect_exit2(self.data_args(), path, "not valid JSON")

    def test_residents_json_with_a_broken_entry_names_it(self):
        path = os.path.join(self.env.data, "residents.json")
        with open(path) as f:
            doc = json.load(f)
        doc["residents"][2]["auth_cert"]["serial"] = "XYZ"
        with open(path, "w") as f:
            json.dump(doc, f)
        line = self.expect_exit2(self.data_args(), path, "residents[2]", "auth_cert.serial")
        self.assertIn(doc["residents"][2]["id"], line)

    def test_a_notice_with_the_residents_name_is_refused(self):
        path = os.path.join(self.env.data, "residents.json")
        with open(path) as f:
            doc = json.load(f)
        adult = [r for r in doc["residents"] if r["profile"] == "adult"][0]
        adult["notices"][0]["body"] = "高橋健太 様へのお知らせです。"
        with open(path, "w") as f:
            json.dump(doc, f, ensure_ascii=False)
        self.expect_exit2(self.data_args(), path, "name or address")

    def test_unknown_selfinfo_category_is_refused(self):
        path = os.path.join(self.env.data, "residents.json")
        with open(path) as f:
            doc = json.load(f)
        doc["residents"][0]["selfinfo"]["horoscope"] = {"title": "x", "items": []}
        with open(path, "w") as f:
            json.dump(doc, f, ensure_ascii=False)
        self.expect_exit2(self.data_args(), path, "horoscope")

    def test_corrupt_municipal_users_json(self):
        path = os.path.join(self.env.data, "municipal-users.json")
        with open(path, "w") as f:
            f.write("not json")
        self.expect_exit2(self.data_args(), path, "not valid JSON")

    def test_missing_residents_json(self):
        path = os.path.join(self.env.data, "residents.json")
        os.unlink(path)
        self.expect_exit2(self.data_args(), path, "missing")

    def test_data_is_a_file(self):
        path = os.path.join(self.env.dir, "a-file")
        open(path, "w").close()
        self.expect_exit2(["--data", path], path, "not a directory")

    def test_no_test_pki_for_a_new_directory(self):
        fresh = os.path.join(self.env.dir, "fresh")
        nopki = os.path.join(self.env.dir, "no-pki")
        self.expect_exit2(["--data", fresh, "--pki", nopki, "--listen", "127.0.0.1:0"],
                          "profiles.json", "--pki")
        # Nothing half-made stays behind.
        self.assertFalse(os.path.exists(fresh))
        self.assertEqual([n for n in os.listdir(self.env.dir) if n.startswith(".fresh")], [])

    def test_bad_flags(self):
        self.expect_exit2([], "--data")
        self.expect_exit2(self.data_args("--threads", "0"), "--threads")
        self.expect_exit2(self.data_args("--bogus"), "--bogus")
        self.expect_exit2(["--data", self.env.data, "--listen", "localhost"], "--listen")
        self.expect_exit2(["--data", self.env.data, "--listen", "127.0.0.1:99999"], "--listen")
        self.expect_exit2(self.data_args("--fault", "GET / stall_ms=10"), "--fault needs --dev")
        self.expect_exit2(self.data_args("--dev", "--fault", "GET / explode"), "--fault")

    def test_port_in_use(self):
        with PortalEnv() as other:
            self.expect_exit2(["--data", self.env.data, "--listen",
                               "127.0.0.1:%d" % other.port], "--listen")


class Shutdown(unittest.TestCase):
    def test_sigterm_finishes_the_request_under_way_then_exits_0(self):
        with PortalEnv(dev=True) as env:
            r = env.post("/_dev/faults", {"rules": [
                {"method": "POST", "path_prefix": "/_dev/echo", "stall_ms": 60000}]}, idem=None)
            self.assertEqual(r.status, 200, r.text)
            result = {}

            def slow():
                result["r"] = env.request("POST", "/_dev/echo", body=b"in flight",
                                          idem="stopping-1")

            t = threading.Thread(target=slow)
            t.start()
            # The handler has run once its row is listed (the reply is then
            # held by the stall): poll the server's own view of it.
            deadline = time.monotonic() + 20
            while not any(e["key"] == "stopping-1"
                          for e in env.request("GET", "/_dev/echo").json()["results"]):
                self.assertLess(time.monotonic(), deadline, "the request never arrived")
                time.sleep(0.02)
            self.assertEqual(env.stop(signal.SIGTERM), 0)
            t.join(30)
            self.assertEqual(result["r"].status, 201, result["r"])
            self.assertEqual(result["r"].json()["results"]["key"], "stopping-1")
            self.assertIn("SIGTERM: stopping", env.log())
            # A clean close leaves no WAL behind.
            self.assertFalse(os.path.exists(os.path.join(env.data, "portal.db-wal")))


if __name__ == "__main__":
    unittest.main(verbosity=2)
