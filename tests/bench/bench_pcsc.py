#!/usr/bin/python3
"""bench_pcsc - our `mynacard` and OpenSC's `pkcs11-tool`, side by side, on the
same software card served through a real private pcscd (docs/performance.md,
"Through pcscd: ours vs OpenSC").

    tests/bench/bench_pcsc.py [--build DIR] [--runs N] [--markdown]
                              [--modes extended[,short-only,t0]]

Rows (each a fresh process, as a kiosk application would start one):
  (1) read the auth certificate;
  (2) verify the auth PIN and sign with the auth key (SHA-256, PKCS#1 v1.5);
  (1)+(2) as two processes: the sum of (1) and (2) of the same iteration;
  (3) (1)+(2) in one process.
For each row and side: APDUs per run (the software card's APDU log, every
APDU line), median and p90 wall time of the whole process over N runs.

Every run is checked outside the timed region and the bench exits non-zero
on the first failure: the exit status of every command, the certificate read
byte for byte against the profile's, every signature with `openssl dgst
-sha256 -verify`, every CMS with `openssl cms -verify -CAfile auth-ca.pem`.
A row therefore never times a failing path. Ours and OpenSC's runs
alternate (ours first in even iterations, OpenSC first in odd ones) so that
drift of the machine hits both. One untimed warm-up iteration (checked like
the others) comes first.

OpenSC cannot sign on a T=0 card (see tests/integration/test_opensc_interop.py):
in mode t0 its signing rows are not run.

Needs root (the harness runs pcscd in a mount namespace of its own).
Debian's /usr/bin/python3 standard library only."""

import argparse
import json
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "harness"))
from pcscenv import PcscEnv, pki_dir, profile_path  # noqa: E402
from opensc import MODULE, parse_objects  # noqa: E402

PIN = "1234"
AUTH_TOKEN = "JPKI (User Authentication PIN)"
MODES = {"extended": None, "short-only": "short-only", "t0": "t0"}
MODE_TEXT = {"extended": "extended", "short-only": "short-only", "t0": "T=0"}
ROWS = [("1", "(1) read auth cert"),
        ("2", "(2) verify PIN + sign"),
        ("12", "(1)+(2), two processes"),
        ("3", "(3) (1)+(2), one process"),
        ("4", "(4) pkcs11-tool -L -O"),
        ("5", "(5) pkcs11-tool login + sign")]
# Rows (4) and (5) run the same pkcs11-tool on both sides: with our PKCS#11
# module ("ours") and with OpenSC's.


class BenchError(Exception):
    pass


def sh(args, input=None):
    return subprocess.run(args, input=input, capture_output=True)


def first_line(args):
    try:
        r = sh(args)
    except OSError:
        return "?"
    text = (r.stdout or r.stderr).decode(errors="replace").strip()
    return text.splitlines()[0] if text else "?"


def openssl(*args):
    return sh(["openssl"] + list(args))


def read(path):
    with open(path, "rb") as f:
        return f.read()


def nearest_rank(values, q):
    s = sorted(values)
    return s[max(0, math.ceil(q * len(s)) - 1)]


def span(values):
    lo, hi = min(values), max(values)
    return str(lo) if lo == hi else "%d-%d" % (lo, hi)


# -- the environment and what OpenSC sees -------------------------------------

def header(args):
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    m = re.search(r"version (\d+(?:\.\d+)*)", first_line(["pcscd", "--version"]))
    vpcd = sh(["dpkg-query", "-W", "-f", "${Version}", "vsmartcard-vpcd"])
    build_type = "?"
    try:
        with open(os.path.join(args.build, "CMakeCache.txt")) as f:
            for line in f:
                if line.startswith("CMAKE_BUILD_TYPE:"):
                    build_type = line.split("=", 1)[1].strip() or "(none)"
    except OSError:
        pass
    mynacard = os.path.join(args.build, "card", "cli", "mynacard")
    return [
        ("mynacard", "%s (%s build, %s)" % (first_line([mynacard, "--version"]),
                                             build_type, args.build)),
        ("OpenSC", "%s, %s" % (first_line(["opensc-tool", "--info"]), MODULE)),
        ("pcsc-lite", m.group(1) if m else "?"),
        ("vsmartcard-vpcd", vpcd.stdout.decode().strip() or "?"),
        ("OpenSSL", first_line(["openssl", "version"])),
        ("CPU", "%s, %d cores" % (cpu, os.cpu_count() or 0)),
        ("load average", "%.2f %.2f %.2f at start" % os.getloadavg()),  # [6]
        ("runs", "%d per row and side, interleaved, after 1 untimed warm-up"
         % args.runs),
    ]


class Bench:
    def __init__(self, env, card, mode, tmp, runs):
        self.env = env
        self.card = card
        self.mode = mode
        self.tmp = tmp
        self.runs = runs
        self.penv = env.environ()
        self.mynacard = os.path.join(os.environ["MYNA_BUILD"], "card", "cli", "mynacard")
        self.our_module = os.path.join(os.environ["MYNA_BUILD"], "card", "pkcs11",
                                       "libmynacard-pkcs11.so")
        prof = os.path.dirname(profile_path("adult"))
        self.auth_der = read(os.path.join(prof, "auth.der"))
        self.ca_pem = os.path.join(pki_dir(), "ca", "auth-ca.pem")
        self.pub = os.path.join(tmp, "auth.pub.pem")
        r = openssl("x509", "-inform", "DER", "-in", os.path.join(prof, "auth.der"),
                    "-pubkey", "-noout", "-out", self.pub)
        self.check(r.returncode == 0, "openssl x509 -pubkey: %s" % r.stderr)
        self.auth_pem = openssl("x509", "-inform", "DER", "-in",
                                os.path.join(prof, "auth.der")).stdout
        r = openssl("x509", "-inform", "DER", "-in", os.path.join(prof, "auth.der"),
                    "-noout", "-serial")
        self.serial = r.stdout.decode().strip().split("=", 1)[-1].upper()
        r = openssl("rsa", "-pubin", "-in", self.pub, "-noout", "-text")
        m = re.search(r"\((\d+) bit\)", r.stdout.decode())
        self.check(m is not None, "RSA key size of the auth certificate")
        self.sig_len = int(m.group(1)) // 8
        self.opensc_signs = mode != "t0"
        self.samples = {}   # (row, side) -> [(apdus, ns)]
        self.probes = {}    # row -> APDUs OpenSC sent before the JPKI AP answered

    @staticmethod
    def check(ok, what):
        if not ok:
            raise BenchError(what)

    # -- discovery (untimed): which ids OpenSC gives the auth cert and key --

    def p11(self, *args):
        argv = ["pkcs11-tool", "--module", MODULE] + list(args)
        r = subprocess.run(argv, capture_output=True, env=self.penv, timeout=60,
                           stdin=subprocess.DEVNULL)
        self.check(r.returncode == 0, "%s: exit %d\n%s" % (
            " ".join(argv), r.returncode, r.stderr.decode(errors="replace")))
        return r.stdout.decode(errors="replace")

    def discover(self):
        # pkcs11-tool without --slot/--token-label uses the first slot holding
        # a token: it must be the auth token of our reader.
        first = None
        for line in self.p11("-L").splitlines():
            m = re.match(r"\s+token label\s*: (.*)$", line)
            if m:
                first = m.group(1).strip()
                break
        self.check(first == AUTH_TOKEN,
                   "pkcs11-tool's first token is %r, not %r" % (first, AUTH_TOKEN))
        certs = [o for o in parse_objects(self.p11("-O"))
                 if o["kind"] == "Certificate Object"
                 and o.get("serial", "").upper().lstrip("0") == self.serial.lstrip("0")]
        self.check(len(certs) == 1, "OpenSC shows no certificate with the auth "
                   "certificate's serial %s" % self.serial)
        self.cert_id, self.cert_label = certs[0]["ID"], certs[0].get("label", "?")
        keys = [o for o in parse_objects(self.p11("--login", "--pin", PIN, "-O"))
                if o["kind"] == "Private Key Object" and o.get("ID") == self.cert_id]
        self.check(len(keys) == 1, "OpenSC shows no private key with ID %s after "
                   "login" % self.cert_id)
        self.key_id, self.key_label = keys[0]["ID"], keys[0].get("label", "?")

    # -- what each row runs --

    def commands(self, row, side, f):
        """argv, standard input and the check of one run; f: this run's files."""
        me = self.mynacard
        ossl = ["pkcs11-tool", "--module", MODULE]
        if (row, side) == ("1", "ours"):
            return ([me, "--reader", self.card.reader, "cert", "auth", "--der",
                     "-o", f["out"]], None, self.check_cert)
        if (row, side) == ("1", "opensc"):
            return (ossl + ["--read-object", "--type", "cert", "--id", self.cert_id,
                            "-o", f["out"]], None, self.check_cert)
        if (row, side) == ("2", "ours"):
            return ([me, "--reader", self.card.reader, "--pin-stdin", "sign", "auth",
                     "--in", f["data"], "-o", f["out"]], (PIN + "\n").encode(),
                    self.check_sig)
        if (row, side) == ("2", "opensc"):
            return (ossl + ["--login", "--pin", PIN, "--sign", "-m", "SHA256-RSA-PKCS",
                            "--id", self.key_id, "-i", f["data"], "-o", f["out"]],
                    None, self.check_sig)
        if (row, side) == ("3", "ours"):
            return ([me, "--reader", self.card.reader, "--pin-stdin", "sign", "auth",
                     "--cms", "--in", f["data"], "-o", f["out"]],
                    (PIN + "\n").encode(), self.check_cms)
        if (row, side) == ("3", "opensc"):
            # One pkcs11-tool process, two actions: it signs first, then reads
            # the certificate; with no -o both go to standard output.
            return (ossl + ["--login", "--pin", PIN, "--sign", "-m", "SHA256-RSA-PKCS",
                            "--id", self.key_id, "-i", f["data"], "--read-object",
                            "--type", "cert", "--id", self.cert_id], None,
                    self.check_sig_and_cert)
        if row in ("4", "5"):
            tool = ["pkcs11-tool", "--module",
                    self.our_module if side == "ours" else MODULE]
            if row == "4":
                return tool + ["-L", "-O"], None, self.check_listing
            # Our module gives the auth key ID 01 as OpenSC does (checked by
            # the signature, which must verify against the auth certificate).
            return (tool + ["--login", "--pin", PIN, "--sign", "-m", "SHA256-RSA-PKCS",
                            "--id", self.key_id, "-i", f["data"], "-o", f["out"]],
                    None, self.check_sig)
        raise AssertionError((row, side))

    def check_listing(self, f, proc):
        out = proc.stdout.decode(errors="replace")
        self.check("Certificate Object" in out and "token label" in out,
                   "pkcs11-tool -L -O lists no token or no certificate")

    def check_cert(self, f, proc):
        self.check(os.path.exists(f["out"]) and read(f["out"]) == self.auth_der,
                   "the certificate read differs from the profile's auth.der")

    def verify_sig(self, sig, data):
        r = openssl("dgst", "-sha256", "-verify", self.pub, "-signature", sig, data)
        self.check(r.returncode == 0, "openssl dgst -verify: %s%s" % (
            r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")))

    def check_sig(self, f, proc):
        self.check(os.path.exists(f["out"]), "no signature written")
        self.verify_sig(f["out"], f["data"])

    def check_cms(self, f, proc):
        signer = f["out"] + ".signer.pem"
        r = openssl("cms", "-verify", "-binary", "-inform", "DER", "-in", f["out"],
                    "-content", f["data"], "-CAfile", self.ca_pem, "-signer", signer,
                    "-out", os.devnull)
        self.check(r.returncode == 0, "openssl cms -verify: %s" %
                   r.stderr.decode(errors="replace"))
        self.check(read(signer) == self.auth_pem,
                   "the CMS signer is not the profile's auth certificate")

    def check_sig_and_cert(self, f, proc):
        out = proc.stdout
        self.check(len(out) == self.sig_len + len(self.auth_der)
                   and out[self.sig_len:] == self.auth_der,
                   "pkcs11-tool --sign --read-object: %d bytes, not a %d-byte "
                   "signature followed by the auth certificate" % (len(out),
                                                                 self.sig_len))
        sig = f["out"] + ".sig"
        with open(sig, "wb") as fh:
            fh.write(out[:self.sig_len])
        self.verify_sig(sig, f["data"])

    # -- running --

    def one(self, it, row, side):
        f = {"data": os.path.join(self.tmp, "data-%s-%s-%d" % (row, side, it)),
             "out": os.path.join(self.tmp, "out-%s-%s-%d" % (row, side, it))}
        with open(f["data"], "w") as fh:
            # a different SHA-256 every run
            fh.write("mynaterm bench_pcsc %s row %s %s run %d %s\n"
                     % (self.mode, row, side, it, os.urandom(8).hex()))
        argv, stdin, check = self.commands(row, side, f)
        mark = self.card.mark()
        t0 = time.perf_counter_ns()
        extra = {} if stdin is not None else {"stdin": subprocess.DEVNULL}
        proc = subprocess.run(argv, input=stdin, capture_output=True, env=self.penv,
                              timeout=60, **extra)
        t1 = time.perf_counter_ns()
        apdus = self.card.since(mark)
        self.check(proc.returncode == 0, "[%s] %s: exit %d\n%s" % (
            self.mode, " ".join(argv), proc.returncode,
            proc.stderr.decode(errors="replace")))
        check(f, proc)
        if side == "opensc":
            # APDUs before the first SELECT by AID that succeeds: other
            # card drivers of OpenSC probing the card
            at = next((i for i, a in enumerate(apdus)
                       if a[2:4] == ["A4", "04"] and a[-1] == "sw=9000"), len(apdus))
            self.probes.setdefault(row, set()).add(at)
        for p in f.values():
            for q in (p, p + ".sig", p + ".signer.pem"):
                if os.path.exists(q):
                    os.unlink(q)
        return len(apdus), t1 - t0

    def run(self):
        self.discover()
        rows = ["1", "2", "3", "4", "5"]
        for it in range(self.runs + 1):  # iteration 0: warm-up, not recorded
            for row in rows:
                sides = ["ours", "opensc"] if it % 2 == 0 else ["opensc", "ours"]
                for side in sides:
                    if side == "opensc" and row in ("2", "3", "5") and not self.opensc_signs:
                        continue
                    res = self.one(it, row, side)
                    if it > 0:
                        self.samples.setdefault((row, side), []).append(res)
        for side in ("ours", "opensc"):
            a, b = self.samples.get(("1", side)), self.samples.get(("2", side))
            if a and b:
                self.samples[("12", side)] = [(x[0] + y[0], x[1] + y[1])
                                              for x, y in zip(a, b)]
        # the run spent no PIN try: the auth PIN still has all of them
        r = subprocess.run([self.mynacard, "--reader", self.card.reader, "--json",
                            "pin-status"], capture_output=True, env=self.penv, timeout=60)
        try:
            tries = json.loads(r.stdout)["auth"]["tries_left"]
        except (ValueError, KeyError, TypeError):
            tries = None
        self.check(r.returncode == 0 and tries == 3,
                   "auth PIN tries after the run: %s%s" % (
                       r.stdout.decode(errors="replace"),
                       r.stderr.decode(errors="replace")))

    def table_rows(self):
        out = []
        for row, label in ROWS:
            ours = self.samples[(row, "ours")]
            theirs = self.samples.get((row, "opensc"))
            oa = [a for a, _ in ours]
            oms = [t / 1e6 for _, t in ours]
            cells = [label, MODE_TEXT[self.mode], span(oa)]
            if theirs:
                ta = [a for a, _ in theirs]
                tms = [t / 1e6 for _, t in theirs]
                cells += [span(ta), "%.1fx" % (statistics.median(ta) /
                                                statistics.median(oa))]
            else:
                cells += ["cannot sign", "-"]
            cells += ["%.1f" % statistics.median(oms), "%.1f" % nearest_rank(oms, 0.9)]
            if theirs:
                cells += ["%.1f" % statistics.median(tms),
                          "%.1f" % nearest_rank(tms, 0.9),
                          "%.1fx" % (statistics.median(tms) / statistics.median(oms))]
            else:
                cells += ["-", "-", "-"]
            cells.append(str(len(ours)))
            out.append(cells)
        return out


COLUMNS = [("row", "l"), ("mode", "l"), ("ours APDUs", "r"), ("OpenSC APDUs", "r"),
           ("APDUs OpenSC/ours", "r"), ("ours median ms", "r"), ("ours p90 ms", "r"),
           ("OpenSC median ms", "r"), ("OpenSC p90 ms", "r"),
           ("time OpenSC/ours", "r"), ("n", "r")]


def render(rows, markdown):
    heads = [c for c, _ in COLUMNS]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(heads)]

    def cell(text, i):
        return text.ljust(widths[i]) if COLUMNS[i][1] == "l" else text.rjust(widths[i])

    lines = []
    if markdown:
        lines.append("| " + " | ".join(cell(h, i) for i, h in enumerate(heads)) + " |")
        lines.append("|" + "|".join(
            (":" + "-" * (widths[i] + 1)) if a == "l" else ("-" * (widths[i] + 1) + ":")
            for i, (_, a) in enumerate(COLUMNS)) + "|")
        for r in rows:
            lines.append("| " + " | ".join(cell(t, i) for i, t in enumerate(r)) + " |")
    else:
        lines.append("  ".join(cell(h, i) for i, h in enumerate(heads)))
        lines.append("  ".join("-" * w for w in widths))
        for r in rows:
            lines.append("  ".join(cell(t, i) for i, t in enumerate(r)))
    return lines


def legend(bench, markdown):
    b = bench
    bullet = "- " if markdown else "  "
    code = (lambda s: "`%s`" % s) if markdown else (lambda s: s)
    p11 = "pkcs11-tool --module %s" % MODULE
    lines = [
        "What each side runs (one process per run; R = the reader, DATA = a new "
        "file per run):"] + ([""] if markdown else []) + [
        bullet + "(1) ours:   " + code("mynacard --reader R cert auth --der -o FILE"),
        bullet + "(1) OpenSC: " + code("%s --read-object --type cert --id %s -o FILE"
                                       % (p11, b.cert_id)),
        bullet + "(2) ours:   " + code("mynacard --reader R --pin-stdin sign auth "
                                       "--in DATA -o SIG") + " (PIN 1234 on stdin)",
        bullet + "(2) OpenSC: " + code("%s --login --pin 1234 --sign -m SHA256-RSA-PKCS "
                                       "--id %s -i DATA -o SIG" % (p11, b.key_id)),
        bullet + "(1)+(2), two processes: per iteration, the sum of that iteration's "
        "(1) and (2) runs (APDUs and time)",
        bullet + "(3) ours:   " + code("mynacard --reader R --pin-stdin sign auth --cms "
                                       "--in DATA -o SIG.p7s")
        + " (reads the certificate, verifies the PIN, signs, writes CMS)",
        bullet + "(3) OpenSC: " + code("%s --login --pin 1234 --sign -m SHA256-RSA-PKCS "
                                       "--id %s -i DATA --read-object --type cert --id %s"
                                       % (p11, b.key_id, b.cert_id))
        + " (one process: signature, then the certificate, on stdout; no CMS)",
        bullet + "(4), (5): the same " + code("pkcs11-tool") + " on both sides, ours "
        "with " + code("--module libmynacard-pkcs11.so") + ", OpenSC with its module: "
        + code("-L -O") + "; " + code("--login --pin 1234 --sign -m SHA256-RSA-PKCS "
                                      "--id %s -i DATA -o SIG" % b.key_id),
    ] + ([""] if markdown else ["Notes:"]) + [
        bullet + "OpenSC ids: certificate %s %r, key %s %r (from pkcs11-tool -O; "
        "the first token, which pkcs11-tool uses, is %r)."
        % (b.cert_id, b.cert_label, b.key_id, b.key_label, AUTH_TOKEN),
    ]
    lines.append(bullet + "Ours (2) and (3) include 1 APDU to read the auth PIN's "
                 "tries left before VERIFY (shown to the user; never spends a try "
                 "on a blocked PIN).")
    return lines


def mode_notes(b, markdown):
    bullet = "- " if markdown else "  "
    lines = []
    if b.probes:
        parts = ["(%s) %s" % (r, span(sorted(v))) for r, v in sorted(b.probes.items())]
        lines.append(bullet + "%s: of OpenSC's APDUs, sent before the JPKI AP is "
                     "selected (other drivers probing the card): %s."
                     % (MODE_TEXT[b.mode], ", ".join(parts)))
    if not b.opensc_signs:
        lines.append(bullet + "%s: OpenSC's signing rows are not run (OpenSC 0.23 "
                     "cannot sign on a T=0 card)." % MODE_TEXT[b.mode])
    return lines


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.environ.get("MYNA_BUILD", "build"),
                    help="build tree (default: $MYNA_BUILD, else ./build)")
    ap.add_argument("--runs", type=int, default=25,
                    help="timed runs per row and side (default 25)")
    ap.add_argument("--markdown", action="store_true", help="Markdown table")
    ap.add_argument("--modes", default="extended",
                    help="comma-separated: extended, short-only, t0 (default extended)")
    args = ap.parse_args(argv)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    bad = [m for m in modes if m not in MODES]
    if bad or not modes:
        ap.error("unknown mode(s): %s (known: %s)" % (", ".join(bad), ", ".join(MODES)))
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    args.build = os.path.abspath(args.build)
    os.environ["MYNA_BUILD"] = args.build
    os.environ.setdefault("MYNA_TEST_PKI", os.path.join(args.build, "pki"))
    for tool in ("pkcs11-tool", "opensc-tool", "openssl", "pcscd"):
        if subprocess.run(["sh", "-c", "command -v %s" % tool],
                          capture_output=True).returncode != 0:
            print("bench_pcsc: %s not found" % tool, file=sys.stderr)
            return 1
    ours = os.path.join(args.build, "card", "pkcs11", "libmynacard-pkcs11.so")
    if not os.path.exists(ours):
        print("bench_pcsc: %s not built" % ours, file=sys.stderr)
        return 1
    if not os.path.exists(MODULE):
        print("bench_pcsc: %s not found (apt-get install opensc-pkcs11)" % MODULE,
              file=sys.stderr)
        return 1

    info = header(args)
    rows = []
    benches = []
    try:
        for mode in modes:
            with PcscEnv("Myna Bench") as env:
                card = env.start_card("adult", quirks=MODES[mode])
                tmp = tempfile.mkdtemp(prefix="bench-", dir=env.dir)
                b = Bench(env, card, mode, tmp, args.runs)
                b.run()
                rows += b.table_rows()
                benches.append(b)
    except (BenchError, AssertionError, OSError, subprocess.TimeoutExpired) as e:
        # AssertionError: the harness's HarnessError (a wait ran out)
        print("bench_pcsc: FAILED: %s" % e, file=sys.stderr)
        return 1
    info[6] = (info[6][0], info[6][1] + ", %.2f %.2f %.2f at end" % os.getloadavg())

    for k, v in info:
        print(("- %s: %s" if args.markdown else "%s: %s") % (k, v))
    print()
    for line in render(rows, args.markdown):
        print(line)
    print()
    for line in legend(benches[0], args.markdown):
        print(line)
    for b in benches:
        for line in mode_notes(b, args.markdown):
            print(line)
    if args.runs < 20:
        print("\n(%d runs: a smoke run; measure with --runs 20 or more)" % args.runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
