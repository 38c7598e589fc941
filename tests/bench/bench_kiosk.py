#!/usr/bin/python3
"""bench_kiosk - how fast the kiosk (mynaterm-kiosk) starts, answers a card
and logs in, and how much memory it takes, next to mynaterm(1) doing the
same login without GTK (docs/performance.md, "The kiosk: start, card,
login").

    tests/harness/with-xvfb --a11y -- /usr/bin/python3 tests/bench/bench_kiosk.py \\
        --build DIR [--runs N] [--paths vcard,pcscd] [--json FILE]

It runs inside with-xvfb --a11y (a private X server, D-Bus session and
accessibility bus), starts portal-sim on loopback and, for the pcscd path, a
private pcscd with the software card in a vsmartcard-vpcd reader
(tests/harness/pcscenv.py: needs root). Every run starts fresh kiosk
processes with MYNA_KIOSK_TIMING=1 and drives them through AT-SPI as a
resident's finger would (tests/harness/kioskenv.py), one per card path:

- vcard: the software card in-process ([card] source=vcard, --demo); the
  card goes in with the demo bar's "Insert the demo card" toggle;
- pcscd: [card] source=pcsc, the software card in the private pcscd's
  reader; the card goes in with VirtualCard.insert() (SIGUSR2 to
  mynacard-vcard, which pcscd notices at its next presence poll).

In each: start -> attract screen painted -> card in -> PIN pad painted ->
PIN 1234 on the pad, "Log in" -> home painted -> "Search and apply", a
keyword search, the procedure opened -> "End" -> attract again -> VmHWM
(and the resident set by mapping) read from /proc -> the process is
stopped.

Measured, from the kiosk's own "kiosk-timing: <mark> <ms>" lines (ms since
the process started, from /proc/<pid>/stat: clock-tick resolution):
- cold start: process start -> painted:attract (and first-frame);
- card: card-inserted -> painted:pin; for pcscd also the bench's SIGUSR2
  (the moment the card is "put in") -> painted:pin, which includes
  pcscd's presence poll;
- login: pin-entered -> painted:home (and -> login-done: card + portal);
- peak RSS: VmHWM of the kiosk just before it is stopped, after the
  login, the search and the end of the session.
The reference, in the same run: `mynaterm --pin-stdin --json login` with
the same software card (--vcard, or --reader in the same pcscd) against the
same portal-sim: wall time of the whole process and its peak RSS (ru_maxrss
from os.wait4, the process started by a small sh so that none of Python's
resident set is counted).

Every run must reach each screen (bounded waits) and the reference must
log in (exit 0, {"logged_in": true}); any failure ends the benchmark with
exit status 1. It asserts no time: the goals are reported, never asserted.

Debian's /usr/bin/python3 with python3-pyatspi (kioskenv.py).
"""

import argparse
import collections
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "harness"))
sys.path.insert(0, HERE)

PROFILE = "adult"
AUTH_PIN = "1234"
PROCEDURE = "児童手当の認定請求, 群馬県 前橋市"   # the search result opened
KEYWORD = "児童手当"
PATHS = ("vcard", "pcscd")
RENDERER_DEFAULT = "cairo"     # as the kiosk tests (tests/kiosk/CMakeLists.txt)

# The goals of the issue (ms, or MiB for memory).
GOAL_START_MS = 1000
GOAL_CARD_MS = 150
GOAL_LOGIN_MS = 500
GOAL_RSS_MIB = 150


class BenchError(Exception):
    pass


SANITIZER_RE = re.compile(r"runtime error:|ERROR: \w+Sanitizer|WARNING: \w+Sanitizer")


def check_sanitizers(what, text):
    """A sanitizer build reports into standard error and may go on: any
    report fails the benchmark."""
    for line in text.splitlines():
        if SANITIZER_RE.search(line):
            raise BenchError("%s: a sanitizer reported: %s" % (what, line))


# -- clocks -------------------------------------------------------------------

def process_start_monotonic(pid):
    """The start of process pid on time.monotonic()'s clock, computed as the
    kiosk computes its own (kiosk-timing.c): /proc/<pid>/stat's starttime
    (clock ticks since boot), moved from CLOCK_BOOTTIME to CLOCK_MONOTONIC.
    Both sides round the start the same way, so a moment taken here and a
    kiosk mark compare exactly."""
    with open("/proc/%d/stat" % pid) as f:
        stat = f.read()
    fields = stat[stat.rindex(")") + 2:].split()
    ticks = int(fields[22 - 3])
    boot = time.clock_gettime(time.CLOCK_BOOTTIME)
    mono = time.monotonic()
    return ticks / os.sysconf("SC_CLK_TCK") - (boot - mono)


SMAPS_HEAD = re.compile(r"^[0-9a-f]+-[0-9a-f]+ \S{4} ")


def rss_by_mapping(pid):
    """Resident KiB per mapped file (and [heap], [anon] ...) of process pid,
    from /proc/<pid>/smaps: where the resident set is, at that moment."""
    out = collections.Counter()
    name = None
    with open("/proc/%d/smaps" % pid) as f:
        for line in f:
            if SMAPS_HEAD.match(line):
                parts = line.split(None, 5)
                name = parts[5].strip() if len(parts) > 5 else "[anon]"
            elif line.startswith("Rss:") and name is not None:
                out[name] += int(line.split()[1])
    return out


def proc_status(pid):
    """/proc/<pid>/status's memory lines, in KiB."""
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmHWM", "VmRSS", "RssAnon", "RssFile", "RssShmem"):
                out[key] = int(rest.split()[0])
    return out


# -- one kiosk session --------------------------------------------------------

class KioskRun:
    """One fresh kiosk process through a whole session; returns its
    numbers."""

    def __init__(self, bench, path, workdir):
        self.bench = bench
        self.path = path
        self.dir = workdir

    def mark_after(self, k, name, since):
        with k.cond:
            for n, t in k.marks[since:]:
                if n == name:
                    return t
        raise BenchError("%s: no %s mark after mark %d:\n%s"
                         % (self.path, name, since, "\n".join(k.lines[-30:])))

    def run(self):
        from kioskenv import Kiosk, write_config
        from pcscenv import private_profile
        b = self.bench
        outbox = os.path.join(self.dir, "outbox")
        conf = os.path.join(self.dir, "kiosk.conf")
        args = []
        if self.path == "vcard":
            card = private_profile(PROFILE, self.dir, "kiosk")
            write_config(conf, b.portal, source="vcard", vcard_profile=card, outbox=outbox)
            args.append("--demo")
        else:
            write_config(conf, b.portal, reader=b.card.reader, source="pcsc", outbox=outbox)
        k = Kiosk(conf, args=args, language="en", workdir=self.dir)
        r = {}
        t_spawn = time.monotonic()
        k.start()
        try:
            start_mono = process_start_monotonic(k.proc.pid)
            k.wait_screen("attract")
            r["seen_attract_ms"] = (time.monotonic() - t_spawn) * 1000
            r["start_ms"] = self.mark_after(k, "painted:attract", 0)
            r["first_frame_ms"] = self.mark_after(k, "first-frame", 0)
            # The card monitor is up (the guide asks for the card) before
            # the card goes in: untimed.
            k.find("Please place your My Number Card")

            n = k.mark_count()
            if self.path == "vcard":
                k.click("Insert the demo card")
            else:
                t_sig = time.monotonic()
                b.insert_card(wait=False)
                r["sig_ms"] = (t_sig - start_mono) * 1000
            k.wait_screen("pin", since=n)
            inserted = self.mark_after(k, "card-inserted", n)
            pin = self.mark_after(k, "painted:pin", n)
            r["card_ms"] = pin - inserted
            if "sig_ms" in r:
                r["sig_to_pin_ms"] = pin - r["sig_ms"]
                r["sig_to_inserted_ms"] = inserted - r["sig_ms"]
            k.find("3 tries left")

            for d in AUTH_PIN:
                k.click(d, cached=True)
            n = k.mark_count()
            k.click("Log in", cached=True)
            k.wait_screen("home", since=n)
            entered = self.mark_after(k, "pin-entered", n)
            done = self.mark_after(k, "login-done", n)
            home = self.mark_after(k, "painted:home", n)
            r["login_ms"] = home - entered
            r["login_done_ms"] = done - entered
            r["home_after_login_ms"] = home - done
            k.find("Notices")

            self.search(k)

            n = k.mark_count()
            k.click("End")
            k.wait_screen("attract", since=n)
            self.mark_after(k, "session-ended", n)

            # Just before the process is stopped: the high-water mark of
            # the whole session, and where the resident set is now.
            r["memory"] = proc_status(k.proc.pid)
            r["rss_kib"] = r["memory"]["VmHWM"]
            maps = rss_by_mapping(k.proc.pid)
            r["mappings"] = dict(maps.most_common(12))
            r["gl_drivers"] = sorted(os.path.basename(m) for m in maps if "/dri/" in m)
        finally:
            k.stop()
            check_sanitizers("mynaterm-kiosk (%s)" % self.path, k.log())
        return r

    def search(self, k):
        """Home -> "Search and apply" -> a keyword (as the on-screen keyboard
        types it) -> the results of that keyword -> the procedure."""
        count_re = re.compile(r"^(\d+) procedures? found$")

        def count():
            for t in k.texts():
                m = count_re.match(t)
                if m:
                    return int(m.group(1)), t
            return None

        n = k.mark_count()
        k.click("Search and apply")
        k.wait_screen("search", since=n)
        before = self.wait_value(k, count, "the first list of results")
        k.set_text("Keyword", KEYWORD, role="text")

        def changed():
            c = count()
            return c if c and c != before else None

        after = self.wait_value(k, changed, "the results for %r" % KEYWORD)
        results = [node.name
                   for node in k.find_all(role="push button", contains=", 群馬県 前橋市")]
        if not results or any(KEYWORD not in nm for nm in results):
            raise BenchError("%s: the keyword search shows %r (%s before, %s after)"
                             % (self.path, results, before[1], after[1]))
        n = k.mark_count()
        k.click(PROCEDURE, role="push button")
        k.wait_screen("procedure", since=n)
        k.find("Apply with My Number Card")

    @staticmethod
    def wait_value(k, fn, what, timeout=20.0):
        deadline = time.monotonic() + timeout
        while True:
            v = fn()
            if v:
                return v
            if time.monotonic() > deadline:
                raise BenchError("timed out waiting for %s; screen %s" % (what, k.screen()))
            time.sleep(0.05)   # the accessible tree gives no event for a label's text here


# -- the reference: mynaterm login --------------------------------------------

def reference_login(bench, path, workdir):
    from bench_client import run_measured
    from mynatermenv import MYNATERM, Terminal
    t = Terminal(bench.portal, workdir, profile=PROFILE, name="terminal")
    if path == "vcard":
        argv = t.argv("login")
    else:
        argv = [MYNATERM, "--config", t.config, "--reader", bench.card.reader,
                "--pin-stdin", "--json", "login"]
        bench.insert_card(wait=True)
    out, err = os.path.join(workdir, "stdout"), os.path.join(workdir, "stderr")
    rc, wall, rss, _ = run_measured(argv, t.pin_lines((t.auth_pin,)), out, err)
    with open(out, "rb") as f:
        text = f.read().decode("utf-8", "replace")
    with open(err, "rb") as f:
        errors = f.read().decode("utf-8", "replace")
    if rc != 0:
        raise BenchError("mynaterm login (%s) exited with %d:\n%s" % (path, rc, errors))
    check_sanitizers("mynaterm login (%s)" % path, errors)
    try:
        answer = json.loads(text)
    except ValueError:
        answer = None
    if not isinstance(answer, dict) or answer.get("logged_in") is not True:
        raise BenchError("mynaterm login (%s) did not log in: %r" % (path, text))
    return {"ms": wall * 1000, "rss_kib": rss}


def kiosk_version_run(bench, workdir):
    """`mynaterm-kiosk --version`: the program started, its ~100 libraries
    loaded and its options read, with no display, window or card: the part
    of the cold start that is not GTK's start-up and the first frame."""
    from bench_client import run_measured
    from kioskenv import kiosk_exe
    out, err = os.path.join(workdir, "stdout"), os.path.join(workdir, "stderr")
    rc, wall, rss, _ = run_measured([kiosk_exe(), "--version"], b"", out, err)
    with open(out, "rb") as f:
        text = f.read().decode("utf-8", "replace")
    with open(err, "rb") as f:
        check_sanitizers("mynaterm-kiosk --version", f.read().decode("utf-8", "replace"))
    if rc != 0 or not text.startswith("mynaterm-kiosk "):
        raise BenchError("mynaterm-kiosk --version: exit %d, %r" % (rc, text))
    return {"ms": wall * 1000, "rss_kib": rss}


# -- the bench ----------------------------------------------------------------

class Bench:

    def __init__(self, portal, pcsc, card, work, paths, runs):
        self.portal = portal
        self.pcsc = pcsc
        self.card = card
        self.work = work
        self.paths = paths
        self.runs = runs
        self.seq = 0
        self.kiosk = {p: [] for p in paths}
        self.ref = {p: [] for p in paths}
        self.version = []
        self.card_in = False       # the pcscd card (started, then taken out)

    def insert_card(self, wait):
        """Put the card into the pcscd reader (when it is not in)."""
        if not self.card_in:
            self.card.insert(wait=wait)
            self.card_in = True

    def remove_card(self):
        if self.card_in:
            self.card.remove()
            self.card_in = False

    def fresh_dir(self, what):
        self.seq += 1
        d = os.path.join(self.work, "%03d-%s" % (self.seq, what))
        os.mkdir(d)
        return d

    def run(self, progress):
        for i in range(self.runs):
            for p in self.paths:
                d = self.fresh_dir("kiosk-" + p)
                self.kiosk[p].append(KioskRun(self, p, d).run())
                shutil.rmtree(d, ignore_errors=True)
                d = self.fresh_dir("ref-" + p)
                self.ref[p].append(reference_login(self, p, d))
                shutil.rmtree(d, ignore_errors=True)
                if p == "pcscd":
                    self.remove_card()
            d = self.fresh_dir("version")
            self.version.append(kiosk_version_run(self, d))
            shutil.rmtree(d, ignore_errors=True)
            progress("run %d of %d done" % (i + 1, self.runs))


# -- the report ---------------------------------------------------------------

def med(xs):
    return statistics.median(xs)


def fmt_ms(v):
    return "%.0f" % v


def fmt_mib(kib):
    return "%.1f" % (kib / 1024)


def table(heads, rows):
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(heads)]
    lines = ["| " + " | ".join(h.ljust(widths[i]) if i == 0 else h.rjust(widths[i])
                               for i, h in enumerate(heads)) + " |",
             "|" + "|".join((":" + "-" * (w + 1)) if i == 0 else ("-" * (w + 1) + ":")
                            for i, w in enumerate(widths)) + "|"]
    for r in rows:
        lines.append("| " + " | ".join(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i])
                                       for i, c in enumerate(r)) + " |")
    return lines


def summary(b):
    """The table's rows ([metric, goal, median, max, reference]) and, for
    each metric with a goal, (metric, goal, met in every run, met at the
    median)."""
    rows = []
    goals = []
    for p in b.paths:
        ks, rs = b.kiosk[p], b.ref[p]
        ref_ms = [x["ms"] for x in rs]
        ref_rss = [x["rss_kib"] for x in rs]
        tag = "vcard" if p == "vcard" else "pcscd"

        def row(metric, goal, values, fmt, reference="-", goal_value=None):
            rows.append([metric, goal, fmt(med(values)), fmt(max(values)), reference])
            if goal_value is not None:
                goals.append((metric, goal, max(values) < goal_value, med(values) < goal_value))

        row("(%s) cold start: process start -> attract painted" % tag, "< 1000 ms",
            [x["start_ms"] for x in ks], fmt_ms, goal_value=GOAL_START_MS)
        row("(%s)   of which: process start -> first frame" % tag, "",
            [x["first_frame_ms"] for x in ks], fmt_ms)
        row("(%s)   seen by the bench: spawn -> attract line read" % tag, "",
            [x["seen_attract_ms"] for x in ks], fmt_ms)
        row("(%s) card inserted -> PIN pad painted" % tag, "< 150 ms",
            [x["card_ms"] for x in ks], fmt_ms, goal_value=GOAL_CARD_MS)
        if p == "pcscd":
            row("(pcscd)   card put in (SIGUSR2) -> PIN pad painted", "",
                [x["sig_to_pin_ms"] for x in ks], fmt_ms)
            row("(pcscd)   card put in (SIGUSR2) -> card-inserted", "",
                [x["sig_to_inserted_ms"] for x in ks], fmt_ms)
        row("(%s) PIN entered -> logged-in home painted" % tag, "< 500 ms",
            [x["login_ms"] for x in ks], fmt_ms,
            reference="%s ms (whole process)" % fmt_ms(med(ref_ms)), goal_value=GOAL_LOGIN_MS)
        row("(%s)   of which: PIN entered -> login done (card + portal)" % tag, "",
            [x["login_done_ms"] for x in ks], fmt_ms)
        row("(%s)   of which: login done -> home painted" % tag, "",
            [x["home_after_login_ms"] for x in ks], fmt_ms)
        row("(%s) card work: card -> PIN pad + PIN -> home" % tag, "",
            [x["card_ms"] + x["login_ms"] for x in ks], fmt_ms,
            reference="%s ms (max %s)" % (fmt_ms(med(ref_ms)), fmt_ms(max(ref_ms))))
        row("(%s) peak RSS (VmHWM) after login + search, MiB" % tag, "< 150 MiB",
            [x["rss_kib"] for x in ks], fmt_mib,
            reference="%s MiB (max %s)" % (fmt_mib(med(ref_rss)), fmt_mib(max(ref_rss))),
            goal_value=GOAL_RSS_MIB * 1024)
    return rows, goals


def report(b, info):
    lines = ["- %s: %s" % kv for kv in info] + [""]
    rows, goals = summary(b)
    lines += table(["metric", "goal", "ours median", "ours max", "reference: mynaterm login"],
                   rows)
    v = b.version
    lines.append("")
    lines += table(["start without a display", "", "median", "max", "peak RSS MiB"],
                   [["mynaterm-kiosk --version: exec, libraries, options", "",
                     fmt_ms(med(x["ms"] for x in v)), fmt_ms(max(x["ms"] for x in v)),
                     fmt_mib(med(x["rss_kib"] for x in v))]])
    lines.append("")
    for metric, goal, max_met, med_met in goals:
        lines.append("- goal %s for %s: %s" % (
            goal, metric.strip(),
            "met in every run" if max_met else
            ("met at the median, NOT in every run" if med_met else "NOT met")))
    runs = [x for p in b.paths for x in b.kiosk[p]]
    mem = [x["memory"] for x in runs]
    names = collections.Counter()
    for x in runs:
        names.update(x["mappings"].keys())
    common = [n for n, c in names.items() if c == len(runs)]
    biggest = sorted(common, key=lambda n: -med(x["mappings"][n] for x in runs))[:8]
    gl = sorted({d for x in runs for d in x["gl_drivers"]})
    lines += [
        "",
        "- times in ms from the kiosk's own marks (kiosk-timing), since the process start "
        "as /proc/<pid>/stat gives it (clock ticks of %d ms: a start may read up to one "
        "tick early, so the cold start up to that much long)."
        % (1000 // os.sysconf("SC_CLK_TCK")),
    ]
    if "pcscd" in b.paths:
        lines.append(
            "- pcscd: pcscd notices a card at its next presence poll, so the time from the "
            "card going in (the bench's SIGUSR2 to mynacard-vcard) to the PIN pad includes "
            "that poll and vpcd; card inserted -> PIN pad starts when the kiosk hears of it.")
    lines += [
        "- reference: `mynaterm --pin-stdin --json login`, the same card (--vcard, or "
        "--reader in the same pcscd) and portal-sim, no GTK: the whole process (start, "
        "read the card, PIN, challenge, sign, log in, log out), wall time from the "
        "spawn; peak RSS = ru_maxrss (os.wait4).",
        "- kiosk memory at the VmHWM reading, after the session ended (median): VmRSS %s "
        "MiB, RssAnon %s MiB, RssFile %s MiB, RssShmem %s MiB." % (
            fmt_mib(med(m["VmRSS"] for m in mem)), fmt_mib(med(m["RssAnon"] for m in mem)),
            fmt_mib(med(m["RssFile"] for m in mem)), fmt_mib(med(m["RssShmem"] for m in mem))),
        "- its largest parts then (median MiB resident, /proc/<pid>/smaps): " + "; ".join(
            "%s %s" % (os.path.basename(n) if n.startswith("/") else n,
                       fmt_mib(med(x["mappings"][n] for x in runs))) for n in biggest) + ".",
        "- GL: %s." % (
            "no GL driver was mapped in the kiosk" if not gl else
            "the kiosk had a GL driver mapped (%s): GDK sets up GL on the display even "
            "though GSK_RENDERER=cairo draws without it" % ", ".join(gl)
            if os.environ["GSK_RENDERER"] == "cairo" else
            "the kiosk had a GL driver mapped (%s), which GSK_RENDERER=%s draws with"
            % (", ".join(gl), os.environ["GSK_RENDERER"])),
    ]
    return lines


def header(args, load):
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    cache = {}
    try:
        with open(os.path.join(args.build, "CMakeCache.txt")) as f:
            for line in f:
                key, sep, value = line.partition("=")
                if sep and not line.startswith(("#", "//")):
                    cache[key.split(":", 1)[0]] = value.strip()
    except OSError:
        pass
    compiler = os.path.basename(os.path.realpath(cache.get("CMAKE_C_COMPILER", "?")))
    build = "%s build, %s" % (cache.get("CMAKE_BUILD_TYPE") or "?", compiler)
    if cache.get("MYNA_SANITIZE", "OFF").upper() in ("ON", "1", "TRUE", "YES"):
        build += ", ASan+UBSan (times and memory are the sanitizers', not the kiosk's)"
    try:
        gtk = subprocess.run(["pkg-config", "--modversion", "gtk4"], capture_output=True,
                             text=True).stdout.strip() or "?"
    except OSError:
        gtk = "?"
    return [
        ("kiosk", "%s (%s)" % (os.path.join(args.build, "kiosk-ui", "app", "mynaterm-kiosk"),
                               build)),
        ("GTK", "%s on Xvfb (%s), GSK_RENDERER=%s%s" % (
            gtk, os.environ.get("DISPLAY", "?"), os.environ["GSK_RENDERER"],
            ", GDK_DEBUG=" + os.environ["GDK_DEBUG"] if os.environ.get("GDK_DEBUG") else "")),
        ("CPU", "%s, %d cores" % (cpu, os.cpu_count() or 0)),
        ("runs", "%d, each a fresh kiosk process per path (%s), then mynaterm login"
         % (args.runs, ", ".join(args.paths))),
        ("load average", "%.2f %.2f %.2f at start, %.2f %.2f %.2f at end"
         % (load + os.getloadavg())),
    ]


def as_json(b, info):
    return {"info": dict(info),
            "kiosk": b.kiosk, "reference": b.ref, "kiosk_version": b.version,
            "goals": {"start_ms": GOAL_START_MS, "card_ms": GOAL_CARD_MS,
                      "login_ms": GOAL_LOGIN_MS, "rss_mib": GOAL_RSS_MIB}}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.environ.get("MYNA_BUILD"),
                    help="the build tree (default $MYNA_BUILD)")
    ap.add_argument("--runs", type=int, default=5, help="runs (default 5)")
    ap.add_argument("--paths", default=",".join(PATHS),
                    help="card paths, of vcard,pcscd (default both; pcscd needs root)")
    ap.add_argument("--json", metavar="FILE", help="also write every sample as JSON")
    args = ap.parse_args(argv)
    if not args.build:
        ap.error("--build DIR (or MYNA_BUILD) is needed")
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    args.paths = [p for p in args.paths.split(",") if p]
    if not args.paths or any(p not in PATHS for p in args.paths):
        ap.error("--paths: a list of vcard, pcscd")
    args.build = os.path.abspath(args.build)
    os.environ["MYNA_BUILD"] = args.build
    os.environ.setdefault("MYNA_TEST_PKI", os.path.join(args.build, "pki"))
    os.environ.setdefault("GSK_RENDERER", RENDERER_DEFAULT)
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    if not os.environ.get("DISPLAY") or not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        print("bench_kiosk: run it inside tests/harness/with-xvfb --a11y -- /usr/bin/python3 "
              "tests/bench/bench_kiosk.py ...", file=sys.stderr)
        return 2
    for exe in (("kiosk-ui", "app", "mynaterm-kiosk"), ("kiosk-ui", "cli", "mynaterm"),
                ("portal-sim", "server", "portal-sim"), ("drivers", "vcard", "mynacard-vcard")):
        if not os.access(os.path.join(args.build, *exe), os.X_OK):
            print("bench_kiosk: %s is not built" % os.path.join(args.build, *exe),
                  file=sys.stderr)
            return 1
    if "pcscd" in args.paths and os.geteuid() != 0:
        print("bench_kiosk: the pcscd path needs root (a private pcscd in a mount "
              "namespace); --paths vcard runs without it", file=sys.stderr)
        return 1

    from bench_client import become_subreaper
    from pcscenv import PcscEnv
    from portalenv import PortalEnv

    def progress(msg):
        print("bench_kiosk: " + msg, file=sys.stderr, flush=True)

    load = os.getloadavg()
    pcsc = None
    try:
        become_subreaper()
        with PortalEnv() as portal:
            card = None
            try:
                if "pcscd" in args.paths:
                    pcsc = PcscEnv("Myna Kiosk")
                    pcsc.start_pcscd()
                    card = pcsc.start_card(PROFILE)
                    card.remove()
                work = tempfile.mkdtemp(prefix="bench-kiosk-", dir=portal.dir)
                b = Bench(portal, pcsc, card, work, args.paths, args.runs)
                b.run(progress)
            finally:
                if pcsc is not None:
                    pcsc.close()
    except (BenchError, AssertionError, OSError, subprocess.SubprocessError) as e:
        # AssertionError: the harnesses' errors (a screen never came, a
        # component did not start).
        print("bench_kiosk: FAILED: %s" % e, file=sys.stderr)
        return 1
    info = header(args, load)
    for line in report(b, info):
        print(line)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(as_json(b, info), f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
