#!/usr/bin/python3
"""bench_portal - portal-sim under load on this machine, over loopback HTTPS:
JPKI logins per second and applications per second (packages of about 1 MB),
with p50/p99 latency (docs/performance.md, "portal-sim").

Starts portal-sim (tests/harness/portalenv.py), makes the packages with
tests/portal/mkpackage.py (signed by xmlsec1 with the `minimal` profile's
sign key: 452025-kodomo-iryouhi with a 1 MB PDF attachment, each one
different so that de-duplication never answers), then runs the C load
generator bench_portal (libcurl, one connection per thread, TLS verified)
and prints its table.

    MYNA_BUILD=build MYNA_TEST_PKI=build/pki tests/bench/bench_portal.py \\
        [--logins N] [--applies N] [--threads N] [--markdown]

Exits non-zero if any request fails. A benchmark, not a test: it asserts no
time.
"""

import argparse
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "harness"))
from portalenv import PortalEnv, build_dir, pki_dir  # noqa: E402

MKPACKAGE = os.path.join(HERE, "..", "portal", "mkpackage.py")
PROC = "452025-kodomo-iryouhi"
FORM = """<?xml version="1.0" encoding="UTF-8"?>
<form xmlns="urn:mynaterm:portal-sim:form:1" proc_id="452025-kodomo-iryouhi">
  <item id="guardian_name">加藤　大輔</item>
  <item id="guardian_kana">カトウ　ダイスケ</item>
  <item id="guardian_birth_date">1989-01-08</item>
  <item id="guardian_my_number">840281753965</item>
  <item id="guardian_postal_code">885-0029</item>
  <item id="guardian_address">宮崎県都城市姫城町７街区１０号</item>
  <item id="guardian_phone">090-1234-5678</item>
  <item id="insurance_kind">shaho</item>
  <group id="children"><entry>
    <item id="child_name">加藤　蓮</item>
    <item id="child_kana">カトウ　レン</item>
    <item id="child_birth_date">2018-04-10</item>
    <item id="child_insurer">全国健康保険協会 宮崎支部</item>
  </entry></group>
  <item id="account_method">koukin</item>
  <item id="pledge">true</item>
</form>
"""


def make_packages(d, n, size):
    form = os.path.join(os.path.dirname(d), "form.xml")
    with open(form, "w") as f:
        f.write(FORM)
    profile = os.path.join(pki_dir(), "profiles", "minimal")
    procs = []
    for i in range(n):
        # The attachments live outside the packages folder, which must hold
        # only the ZIPs.
        pdf = os.path.join(os.path.dirname(d), "hoken-%d.pdf" % i)
        with open(pdf, "wb") as f:
            f.write(b"%PDF-1.4\n" + os.urandom(size) + b"\n%%EOF\n")
        out = os.path.join(d, "pkg-%03d.zip" % i)
        procs.append((pdf, subprocess.Popen(
            [sys.executable, MKPACKAGE, "--profile", profile, "--proc-id", PROC,
             "--form", form, "--attach", "kodomo_hoken", pdf, "--store", "--out", out],
            stderr=subprocess.PIPE)))
        if len(procs) >= 4 or i == n - 1:
            for path, p in procs:
                _, err = p.communicate()
                if p.returncode:
                    sys.exit("bench_portal: mkpackage failed: %s" % err.decode())
                os.unlink(path)
            procs = []


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--logins", type=int, default=400)
    ap.add_argument("--applies", type=int, default=60)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--size", type=int, default=1024 * 1024, help="attachment bytes")
    ap.add_argument("--markdown", action="store_true")
    a = ap.parse_args()
    with PortalEnv() as env:
        work = tempfile.mkdtemp(prefix="bench-", dir=env.dir)
        pkgs = os.path.join(work, "packages")
        os.mkdir(pkgs)
        make_packages(pkgs, a.applies, a.size)
        prof = os.path.join(pki_dir(), "profiles", "minimal")
        cmd = [os.path.join(build_dir(), "tests", "bench", "bench_portal"),
               "--url", env.url, "--cacert", env.ca,
               "--key", os.path.join(prof, "auth.key.pem"),
               "--cert", os.path.join(prof, "auth.der"),
               "--threads", str(a.threads), "--logins", str(a.logins),
               "--packages", pkgs, "--proc-id", PROC]
        if a.markdown:
            cmd.append("--markdown")
        r = subprocess.run(cmd)
        if r.returncode:
            sys.exit("bench_portal: the load generator failed (exit %d)" % r.returncode)
        size = os.path.getsize(os.path.join(pkgs, sorted(os.listdir(pkgs))[0]))
        print("packages: %d of %d bytes each; portal-sim %s; %d cores"
              % (a.applies, size, env.url, os.cpu_count()))


if __name__ == "__main__":
    main()
