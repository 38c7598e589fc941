#!/usr/bin/python3
"""portalenv - a running portal-sim for black-box tests.

    with PortalEnv(dev=True) as env:
        r = env.request("GET", "/records/v1", token=env.login("adult"))
        assert r.status == 200, r.text
        env.curl("-X", "POST", env.url + "/_dev/echo", ...)

- portal-sim listens on 127.0.0.1, port 0 (the kernel picks a free port),
  with a data directory in a temporary directory made from the build's test
  PKI (MYNA_TEST_PKI), or one the test gives.
- Start-up is waited on as an event: the "portal-sim: listening on URL" line
  on its standard output, or the process ending (a failed start). Every wait
  has a time-out that fails the test.
- stop() sends SIGTERM and waits on the PID; kill() sends SIGKILL (the crash
  of a durability test). Only the process this module started is signalled.
- HTTP goes through curl with --cacert (the data directory's tls/ca.pem),
  never -k: every request also checks the server's certificate.
- request(..., cert="kiosk-test-01") presents that terminal's TLS client
  certificate from the test PKI (terminals/<id>.pem and .key.pem,
  docs/test-pki.md).

Uses Debian's /usr/bin/python3 standard library, curl and openssl.
"""

import base64
import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid

from pcscenv import build_dir, openssl, pki_dir  # noqa: F401 (re-exported)

WAIT_S = 20.0   # bound on start-up; a healthy start takes well under 1 s
LISTEN_RE = re.compile(rb"^portal-sim: listening on (https://\S+)$")


class HarnessError(AssertionError):
    """A wait ran out or portal-sim did not start: the test fails."""


def portal_sim_exe():
    return os.path.join(build_dir(), "portal-sim", "server", "portal-sim")


def terminal_cert(terminal_id):
    """(certificate, key) files of a test terminal's TLS client certificate."""
    d = os.path.join(pki_dir(), "terminals")
    cert = os.path.join(d, terminal_id + ".pem")
    key = os.path.join(d, terminal_id + ".key.pem")
    if not (os.path.isfile(cert) and os.path.isfile(key)):
        raise HarnessError("no terminal certificate %r in %s (docs/test-pki.md lists them)"
                           % (terminal_id, d))
    return cert, key


def profiles():
    """The test PKI's manifest, profile name -> entry."""
    with open(os.path.join(pki_dir(), "profiles.json")) as f:
        return {p["name"]: p for p in json.load(f)["profiles"]}


class Response:
    """One HTTP exchange as curl saw it."""

    def __init__(self, status, headers, body, curl_rc, stderr):
        self.status = status
        self.headers = headers          # lower-case name -> last value
        self.body = body
        self.curl_rc = curl_rc
        self.stderr = stderr

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return "<Response %s %r>" % (self.status, self.body[:300])


def parse_headers(raw):
    """Headers of the last response in curl's -D dump (skips 100 Continue)."""
    blocks = [b for b in raw.split(b"\r\n\r\n") if b.strip()]
    headers, status = {}, 0
    if blocks:
        lines = blocks[-1].split(b"\r\n")
        m = re.match(rb"HTTP/\S+ (\d+)", lines[0])
        status = int(m.group(1)) if m else 0
        for line in lines[1:]:
            if b":" in line:
                k, v = line.split(b":", 1)
                headers[k.decode().strip().lower()] = v.decode("utf-8", "replace").strip()
    return status, headers


class PortalEnv:
    """One portal-sim process (started again by restart())."""

    def __init__(self, dev=False, args=(), data_dir=None, keep=False):
        self.dir = tempfile.mkdtemp(prefix="myna-portal-")
        self.keep = keep or os.environ.get("MYNA_KEEP_TEST_DIR") == "1"
        self.data = data_dir or os.path.join(self.dir, "data")
        self.dev = dev
        self.args = list(args)
        self.proc = None
        self.url = None
        self.log_path = os.path.join(self.dir, "portal-sim.log")
        self._pump = None
        self._count = itertools.count()   # next() is atomic: threads may share

    @property
    def ca(self):
        return os.path.join(self.data, "tls", "ca.pem")

    @property
    def port(self):
        return int(self.url.rsplit(":", 1)[1])

    # -- lifetime --

    def command(self):
        cmd = [portal_sim_exe(), "--data", self.data, "--listen", "127.0.0.1:0",
               "--pki", pki_dir()]
        if self.dev:
            cmd.append("--dev")
        return cmd + self.args

    def start(self):
        """Start portal-sim and return once it says it is listening."""
        assert self.proc is None
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.command(), stdout=subprocess.PIPE,
                                     stderr=log)
        log.close()
        found = {}
        ready = threading.Event()

        def pump(out):
            for line in out:
                m = LISTEN_RE.match(line.rstrip(b"\n"))
                if m and not ready.is_set():
                    found["url"] = m.group(1).decode()
                    ready.set()
            out.close()

        self._pump = threading.Thread(target=pump, args=(self.proc.stdout,), daemon=True)
        self._pump.start()
        deadline = time.monotonic() + WAIT_S
        while not ready.wait(0.05):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                code = self.proc.poll()
                self.kill()
                raise HarnessError("portal-sim did not start (exit %s): %s"
                                   % (code, self.log()[-2000:]))
        self.url = found["url"]
        return self

    def _reap(self):
        if self._pump is not None:
            self._pump.join(timeout=WAIT_S)
            self._pump = None
        self.proc = None

    def stop(self, sig=signal.SIGTERM):
        """Signal portal-sim and wait for it; returns its exit status."""
        if self.proc is None:
            return None
        proc = self.proc
        if proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(timeout=WAIT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                self._reap()
                raise HarnessError("portal-sim did not stop on signal %d" % sig)
        self._reap()
        return proc.returncode

    def kill(self):
        """SIGKILL: a crash, for durability tests."""
        return self.stop(signal.SIGKILL)

    def restart(self, sig=signal.SIGTERM):
        self.stop(sig)
        return self.start()

    def close(self):
        if self.proc is not None:
            try:
                self.stop()
            except HarnessError:
                pass
        if not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        if exc[0] is not None:
            self.keep = True
            print("portalenv: test directory kept: %s" % self.dir)
            self.close()
            return False
        # A clean stop is part of every test: exit status 0 after SIGTERM
        # (a sanitizer's finding or a leak at exit makes it something else).
        code = self.stop()
        if code not in (None, 0):
            self.keep = True
            log = self.log()
            self.close()
            raise HarnessError("portal-sim exited with %s after SIGTERM; log kept in %s:\n%s"
                               % (code, self.dir, log[-3000:]))
        self.close()
        return False

    def wait_log(self, text, timeout=WAIT_S):
        """Wait until portal-sim's standard error holds text (a request's
        line is written once the connection is done with it, which may be
        after the client has the answer)."""
        deadline = time.monotonic() + timeout
        while text not in self.log():
            if time.monotonic() > deadline:
                raise HarnessError("%r never appeared in the log:\n%s"
                                   % (text, self.log()[-2000:]))
            time.sleep(0.02)

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    # -- clients --

    def curl(self, *args, input=None, timeout=60):
        """curl with the data directory's CA (never -k)."""
        cmd = ["curl", "-sS", "--cacert", self.ca] + list(args)
        return subprocess.run(cmd, input=input, capture_output=True, timeout=timeout)

    def request(self, method, path, body=None, headers=None, token=None,
                idem=None, terminal=None, json_body=None, extra=(), timeout=60,
                cert=None):
        """One request through curl; returns a Response (status 0 when curl
        got none, see curl_rc). cert: a test terminal id whose TLS client
        certificate curl presents."""
        n = next(self._count)
        hfile = os.path.join(self.dir, "h-%d" % n)
        bfile = os.path.join(self.dir, "b-%d" % n)
        args = ["-X", method, "-D", hfile, "-o", bfile]
        hdrs = dict(headers or {})
        if json_body is not None:
            body = json.dumps(json_body, ensure_ascii=False).encode()
            hdrs.setdefault("Content-Type", "application/json")
        if token:
            hdrs["Authorization"] = "Bearer " + token
        if idem:
            hdrs["Idempotency-Key"] = idem
        if terminal:
            hdrs["X-Terminal-Id"] = terminal
        for k, v in hdrs.items():
            args += ["-H", "%s: %s" % (k, v)]
        if body is not None:
            args += ["--data-binary", "@-"]
        if cert:
            cert_file, key_file = terminal_cert(cert)
            args += ["--cert", cert_file, "--key", key_file]
        args += list(extra) + [self.url + path]
        r = self.curl(*args, input=body if body is not None else b"", timeout=timeout)
        raw, data = b"", b""
        if os.path.exists(hfile):
            with open(hfile, "rb") as f:
                raw = f.read()
            os.unlink(hfile)
        if os.path.exists(bfile):
            with open(bfile, "rb") as f:
                data = f.read()
            os.unlink(bfile)
        status, headers_ = parse_headers(raw)
        return Response(status, headers_, data, r.returncode, r.stderr.decode("utf-8", "replace"))

    def post(self, path, json_body, idem=True, **kw):
        """POST JSON with a fresh Idempotency-Key (or the one given)."""
        key = str(uuid.uuid4()) if idem is True else idem
        return self.request("POST", path, json_body=json_body, idem=key, **kw)

    def login(self, profile="adult", terminal="kiosk-test-01", cert=None):
        """A resident access token through /auth/v1, the way a kiosk gets
        one: challenge, the card's signature over DigestInfo(SHA-256(nonce))
        (here openssl with the profile's auth key), jpki-login. cert: as in
        request()."""
        prof_dir = os.path.join(pki_dir(), "profiles", profile)
        r = self.post("/auth/v1/challenge", {"terminal_id": terminal}, terminal=terminal,
                      cert=cert)
        if r.status != 200:
            raise HarnessError("challenge: %r" % r)
        ch = r.json()
        nonce_b64 = ch["nonce"] + "=" * (-len(ch["nonce"]) % 4)
        nonce = base64.urlsafe_b64decode(nonce_b64)
        sig = openssl("dgst", "-sha256", "-sign",
                      os.path.join(prof_dir, "auth.key.pem"), input=nonce)
        if sig.returncode != 0:
            raise HarnessError("openssl dgst -sign: %s" % sig.stderr.decode())
        with open(os.path.join(prof_dir, "auth.der"), "rb") as f:
            auth_der = f.read()
        r = self.post("/auth/v1/jpki-login", {
            "challenge_id": ch["challenge_id"],
            "auth_cert": base64.b64encode(auth_der).decode(),
            "signature": base64.b64encode(sig.stdout).decode(),
        }, terminal=terminal, cert=cert)
        if r.status != 200:
            raise HarnessError("jpki-login as %s: %r" % (profile, r))
        return r.json()["access_token"]


def main(argv=None):
    """Run one command against a running portal-sim:

        tests/harness/portalenv.py --build build [--dev] [--data DIR] -- CMD ARGS

    CMD runs with PORTAL_URL, PORTAL_CA (the CA file to verify it with),
    PORTAL_DATA, PORTAL_PKI (the test PKI) and PORTAL_TERMINAL_CERT /
    PORTAL_TERMINAL_KEY (kiosk-test-01's TLS client certificate and key) set;
    portal-sim is stopped after, and its exit status is CMD's."""
    import argparse
    ap = argparse.ArgumentParser(description=main.__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.environ.get("MYNA_BUILD", "build"))
    ap.add_argument("--dev", action="store_true")
    ap.add_argument("--data", help="data directory (default: a fresh temporary one)")
    ap.add_argument("--arg", action="append", default=[],
                    help="one more portal-sim argument (repeatable)")
    ap.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args(argv)
    cmd = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not cmd:
        ap.error("give a command after --")
    os.environ["MYNA_BUILD"] = os.path.abspath(args.build)
    os.environ.setdefault("MYNA_TEST_PKI", os.path.join(os.environ["MYNA_BUILD"], "pki"))
    with PortalEnv(dev=args.dev, args=args.arg, data_dir=args.data) as env:
        e = dict(os.environ)
        e["PORTAL_URL"] = env.url
        e["PORTAL_CA"] = env.ca
        e["PORTAL_DATA"] = env.data
        e["PORTAL_PKI"] = pki_dir()
        e["PORTAL_TERMINAL_CERT"], e["PORTAL_TERMINAL_KEY"] = terminal_cert("kiosk-test-01")
        return subprocess.run(cmd, env=e).returncode


if __name__ == "__main__":
    raise SystemExit(main())
