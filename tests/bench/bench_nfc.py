#!/usr/bin/python3
"""bench_nfc - "read auth cert + verify + sign" over NFC: APDUs and wall time.

The real libnfc 1.8 drives the emulated PN532 (`mynacard-vcard pn532`) with
the software card behind it; docs/performance.md explains the rows.

  cold  one `mynacard --nfc C --pin-stdin sign auth --cms` process: find the
        card, read the certificate, VERIFY, sign; the CMS is checked by
        `openssl cms -verify` outside the timed region
  warm  one session (tests/integration/card_session.c) that has already read
        the certificate: ask for it again (served by the session), VERIFY,
        sign; every answer must be "ok"

    MYNA_BUILD=build tests/bench/bench_nfc.py [--runs N] [--markdown]

Exits non-zero if any run fails, so no row ever times a failing path. A
benchmark, not a test: it asserts no time.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "harness"))
from nfcenv import NfcEnv  # noqa: E402
from pcscenv import build_dir, pki_dir  # noqa: E402

PIN = "1234"


def p90(values):
    v = sorted(values)
    return v[min(len(v) - 1, int(0.9 * len(v) + 0.5) - 1)] if v else 0.0


def fail(msg):
    print("bench_nfc: FAILED: %s" % msg, file=sys.stderr)
    sys.exit(1)


def cold_runs(env, card, runs):
    apdus, times = [], []
    data = os.path.join(env.dir, "data")
    for i in range(runs + 1):  # the first one is an untimed warm-up
        with open(data, "w") as f:
            f.write("nfc bench %d\n" % i)
        out = os.path.join(env.dir, "sig.p7s")
        mark = len(card.apdus())
        t0 = time.monotonic()
        r = env.mynacard("--nfc", card.connstring, "--pin-stdin", "sign", "auth", "--cms",
                         "--in", data, "-o", out, input=(PIN + "\n").encode())
        dt = (time.monotonic() - t0) * 1000
        if r.returncode:
            fail("cold run %d: exit %d: %s" % (i, r.returncode, r.stderr.decode()))
        v = subprocess.run(["openssl", "cms", "-verify", "-binary", "-inform", "DER",
                            "-in", out, "-content", data, "-CAfile",
                            os.path.join(pki_dir(), "ca", "auth-ca.pem"), "-out", "/dev/null"],
                           capture_output=True)
        if v.returncode:
            fail("cold run %d: the CMS does not verify: %s" % (i, v.stderr.decode()))
        if i:
            apdus.append(len(card.apdus()) - mark)
            times.append(dt)
    return apdus, times


def warm_runs(env, card, runs):
    exe = os.path.join(build_dir(), "tests", "integration", "card_session")
    s = subprocess.Popen([exe, "--nfc", card.connstring], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, env=env.environ())

    def say(line):
        s.stdin.write(line.encode() + b"\n")
        s.stdin.flush()
        answer = s.stdout.readline().decode().strip()
        if not answer.startswith("ok"):
            fail("warm session: %r answered %r" % (line, answer))
        return answer

    apdus, times = [], []
    try:
        say("open")
        say("cert")  # the session reads the certificate once
        for i in range(runs + 1):
            mark = len(card.apdus())
            t0 = time.monotonic()
            say("cert")
            say("verify " + PIN)
            say("sign")
            dt = (time.monotonic() - t0) * 1000
            if i:
                apdus.append(len(card.apdus()) - mark)
                times.append(dt)
        say("close")
    finally:
        s.stdin.close()
        s.wait(timeout=30)
        s.stdout.close()
    return apdus, times


def span(v):
    return str(v[0]) if min(v) == max(v) else "%d-%d" % (min(v), max(v))


def main(argv=None):
    ap = argparse.ArgumentParser(description="read auth cert + verify + sign over NFC")
    ap.add_argument("--runs", type=int, default=25)
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args(argv)
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    with NfcEnv() as env:
        card = env.start_card("adult")
        rows = [("cold: one mynacard process (find card, read cert, verify, sign)",
                 *cold_runs(env, card, args.runs)),
                ("warm: in a session that has read the cert (cert, verify, sign)",
                 *warm_runs(env, card, args.runs))]
        libnfc = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "libnfc6"],
                                capture_output=True).stdout.decode() or "?"
    print("libnfc %s, emulated PN532 on a pseudo-terminal (mynacard-vcard pn532), "
          "%d runs per row after 1 untimed warm-up" % (libnfc, args.runs))
    head = ("row", "APDUs", "median ms", "p90 ms")
    table = [(name, span(a), "%.1f" % statistics.median(t), "%.1f" % p90(t))
             for name, a, t in rows]
    if args.markdown:
        print("| " + " | ".join(head) + " |")
        print("|---|--:|--:|--:|")
        for r in table:
            print("| " + " | ".join(r) + " |")
    else:
        w = [max(len(str(x[i])) for x in table + [head]) for i in range(len(head))]
        for r in [head] + table:
            print("  ".join(str(c).ljust(w[i]) if i == 0 else str(c).rjust(w[i])
                            for i, c in enumerate(r)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
