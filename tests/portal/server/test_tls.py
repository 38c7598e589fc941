"""portal-sim's HTTPS, checked with openssl s_client and curl: the chain
verifies against the data directory's tls/ca.pem for localhost and
127.0.0.1, TLS 1.2 and 1.3 are spoken, TLS 1.1 and 1.0 are refused by the
server (the client is told to offer them), and a client without the CA
refuses the server."""

import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "harness"))
from portalenv import PortalEnv  # noqa: E402


def s_client(env, *args):
    cmd = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % env.port] + list(args)
    return subprocess.run(cmd, input=b"", capture_output=True, timeout=30)


class Tls(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.env = PortalEnv().__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.env.__exit__(None, None, None)

    def test_chain_verifies_for_localhost_tls12(self):
        r = s_client(self.env, "-tls1_2", "-CAfile", self.env.ca, "-verify_return_error",
                     "-verify_hostname", "localhost", "-servername", "localhost")
        out = r.stdout.decode()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Verify return code: 0 (ok)", out)
        self.assertIn("Protocol  : TLSv1.2", out)

    def test_chain_verifies_for_the_ip_address_tls13(self):
        r = s_client(self.env, "-tls1_3", "-CAfile", self.env.ca, "-verify_return_error",
                     "-verify_ip", "127.0.0.1")
        out = r.stdout.decode()
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("Verify return code: 0 (ok)", out)
        self.assertIn("TLSv1.3", out)

    def test_another_name_does_not_verify(self):
        r = s_client(self.env, "-tls1_2", "-CAfile", self.env.ca, "-verify_return_error",
                     "-verify_hostname", "portal.example.jp")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("hostname mismatch", r.stdout.decode() + r.stderr.decode())

    def refused(self, flag):
        # SECLEVEL=0 lets OpenSSL 3 offer the old protocol at all: the
        # refusal seen is the server's, not the client's own policy.
        r = s_client(self.env, flag, "-cipher", "DEFAULT@SECLEVEL=0")
        out = r.stdout.decode() + r.stderr.decode()
        self.assertNotEqual(r.returncode, 0, out)
        self.assertIn("CONNECTED", out)
        self.assertNotIn("no protocols available", out)
        self.assertIn("no peer certificate available", out)
        # The same client settings with TLS 1.2 get through.
        ok = s_client(self.env, "-tls1_2", "-cipher", "DEFAULT@SECLEVEL=0")
        self.assertEqual(ok.returncode, 0, ok.stderr)

    def test_tls11_is_refused(self):
        self.refused("-tls1_1")

    def test_tls10_is_refused(self):
        self.refused("-tls1")

    def test_curl_with_the_ca_file(self):
        r = self.env.curl("-o", "/dev/null", "-w", "%{http_code}", self.env.url + "/nothing")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, b"404")

    def test_curl_without_the_ca_file_refuses_the_server(self):
        r = subprocess.run(["curl", "-sS", "--capath", "/nonexistent", "--cacert",
                            "/etc/ssl/certs/ca-certificates.crt", self.env.url + "/"],
                           capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 60, r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
