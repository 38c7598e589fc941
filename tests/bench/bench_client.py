#!/usr/bin/python3
"""bench_client - mynaterm apply with a large application (two attachments
of 10 MB each by default), against portal-sim over loopback HTTPS: wall
time to sign and deliver, and the client's peak resident memory, next to a
reference made of common tools, in the same run (docs/performance.md,
"The portal client: a 20 MB application").

    MYNA_BUILD=build MYNA_TEST_PKI=build/pki tests/bench/bench_client.py \\
        [--runs N] [--size BYTES] [--smoke]

The application: 102016-jidouteate-nintei (児童手当の認定請求) of the `adult`
test resident, 厚生年金 and payment to a named bank account, so that both
of its attachments are required: kenkou_hoken (健康保険証.pdf) and tsuchou
(通帳.pdf), each --size bytes of random data between a `%PDF-1.4` header
and `%%EOF`. Every run gets new attachments (portal-sim de-duplicates an
identical package, and a replayed answer is not a delivery).

Rows, each run a fresh process (or chain of processes):
- ours: `mynaterm --vcard COPY --pin-stdin --json apply ...` with a fresh
  copy of the card profile and a fresh outbox; once with the portal's dry
  run (apply/check, the default) and once with --no-check;
- reference: log in (PortalEnv.login: curl + openssl), build the same
  package with tests/portal/mkpackage.py (Python, xmlsec1 --sign with the
  profile's software sign key), write the apply JSON with coreutils base64,
  and upload it with curl (--upload-file: curl streams the file).
Runs of the rows alternate, so that drift of the machine hits all of them.

Measured per run: wall time from before the process is spawned to its exit,
and peak RSS from os.wait4 (ru_maxrss of the process and of any children it
waited for). For ours, where the time goes, from inotify events on the
outbox (kernel events read as they come, no polling): the signed package
appearing in outbox/staging (log in, sign, write the ZIP), and entering
outbox/packages (after the dry run: the package is durably queued). Bytes
uploaded are counted by a TCP relay in front of portal-sim in one extra,
untimed run per row, which also warms the caches: everything the client
sent to the portal (TLS records: HTTP headers and bodies, handshakes).

Every run must deliver: exit status 0, a receipt whose arrive_id has 16
digits, all receipts different, and at the end the municipality's side of
portal-sim (/receive/ws) lists every one of them. Any failure ends the
benchmark with a non-zero exit status. It asserts no time; whether the peak
RSS of ours stays under the 64 MiB goal is reported, not asserted.

Debian's /usr/bin/python3 standard library, curl, openssl, xmlsec1 and
coreutils' base64.
"""

import argparse
import copy
import ctypes
import json
import os
import re
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from xml.sax.saxutils import escape, quoteattr

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "harness"))
from portalenv import PortalEnv, build_dir, pki_dir, terminal_cert  # noqa: E402
from mynatermenv import (MYNATERM, PROC, TERMINAL_ID, Municipality, Terminal,  # noqa: E402
                         form_for)

MKPACKAGE = os.path.join(HERE, "..", "portal", "mkpackage.py")
PROFILE = "adult"
GOAL_MIB = 64
MIB = 1024 * 1024
PROCESS_TIMEOUT_S = 300    # a hung run is killed and fails the benchmark
FORM_NS = "urn:mynaterm:portal-sim:form:1"
ATTACHMENTS = (("kenkou_hoken", "健康保険証.pdf"), ("tsuchou", "通帳.pdf"))
ARRIVE_ID = re.compile(r"^\d{16}$")

ROW_CHECK = "ours, with apply/check"
ROW_NOCHECK = "ours, --no-check"
ROW_REF = "reference, all steps"


class BenchError(Exception):
    pass


def bench_form():
    """The adult's 児童手当 form, paid to a named account: with 厚生年金
    (pension_type kousei) kenkou_hoken is required, with account_method
    shitei tsuchou is (the catalogue's required_when rules)."""
    form = form_for(PROFILE)
    form["items"].update({
        "account_method": "shitei",
        "bank_name": "群馬銀行",
        "bank_code": "0128",
        "branch_name": "本店営業部",
        "branch_code": "001",
        "account_type": "futsuu",
        "account_number": "1234567",
        "account_holder_kana": form["items"]["applicant_kana"],
    })
    return form


def form_xml(form):
    """The form as the catalogue's XML, the way mynaterm writes it from the
    JSON (items, then the groups' entries)."""
    def text(v):
        return "true" if v is True else "false" if v is False else str(v)

    def items(obj, indent):
        return ["%s<item id=%s>%s</item>" % (indent, quoteattr(k), escape(text(v)))
                for k, v in obj.items()]

    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<form xmlns="%s" proc_id="%s">' % (FORM_NS, PROC)]
    lines += items(form["items"], "  ")
    for gid, entries in form.get("groups", {}).items():
        lines.append("  <group id=%s>" % quoteattr(gid))
        for e in entries:
            lines.append("    <entry>")
            lines += items(e, "      ")
            lines.append("    </entry>")
        lines.append("  </group>")
    lines.append("</form>")
    return "\n".join(lines) + "\n"


def write_pdf(path, size):
    """size bytes: a PDF header, random bytes, %%EOF. Flushed to disk, so
    that write-back does not run during the timed part."""
    head, tail = b"%PDF-1.4\n", b"\n%%EOF\n"
    left = size - len(head) - len(tail)
    if left < 0:
        raise BenchError("--size must be at least %d bytes" % (len(head) + len(tail)))
    with open(path, "wb") as f:
        f.write(head)
        while left:
            n = min(left, MIB)
            f.write(os.urandom(n))
            left -= n
        f.write(tail)
        f.flush()
        os.fsync(f.fileno())


# -- measuring one process ----------------------------------------------------

PR_SET_CHILD_SUBREAPER = 36
LIBC = ctypes.CDLL(None, use_errno=True)

# Starts "$@" in the background with the launcher's standard input (an
# asynchronous command would otherwise get /dev/null), prints its PID, exits.
LAUNCHER = 'out=$1 err=$2; shift 2; exec 3<&0; "$@" <&3 >"$out" 2>"$err" 3<&- & echo $!'


def become_subreaper():
    """Orphaned descendants become this process's children, so that it can
    os.wait4 a process that sh started (run_measured)."""
    if LIBC.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise BenchError("prctl(PR_SET_CHILD_SUBREAPER): %s"
                         % os.strerror(ctypes.get_errno()))


def run_measured(argv, stdin=b"", stdout=None, stderr=None):
    """Run argv to its end; returns (exit code, wall seconds, peak RSS KiB,
    monotonic start). The wall time starts before the spawn. The RSS is
    os.wait4's ru_maxrss, which covers the process and the children it
    waited for. argv is started by a small sh, not forked from this Python:
    Linux counts the resident set a process had before its exec in its
    ru_maxrss, and a fork of this process holds all of Python's."""
    t0 = time.monotonic()
    launcher = subprocess.Popen(["sh", "-c", LAUNCHER, "sh", stdout or os.devnull,
                                 stderr or os.devnull] + list(argv),
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    line = launcher.stdout.readline()
    launcher.stdout.close()
    if launcher.wait() != 0 or not line.strip().isdigit():
        launcher.stdin.close()
        raise BenchError("could not start %s" % argv[0])
    pid = int(line)
    timer = threading.Timer(PROCESS_TIMEOUT_S, os.kill, (pid, signal.SIGKILL))
    timer.start()
    try:
        try:
            if stdin:
                launcher.stdin.write(stdin)
            launcher.stdin.close()
        except BrokenPipeError:
            pass        # it exited without reading: its status says why
        # The launcher has exited: pid is this process's child now.
        _, status, ru = os.wait4(pid, 0)
    finally:
        timer.cancel()
    t1 = time.monotonic()
    return os.waitstatus_to_exitcode(status), t1 - t0, ru.ru_maxrss, t0


def read_text(path):
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "replace")


# -- inotify, for where mynaterm's time goes ----------------------------------

IN_MOVED_TO = 0x00000080
IN_CLOEXEC = os.O_CLOEXEC
EVENT_HEAD = 16   # struct inotify_event: int wd; uint32 mask, cookie, len


class DirWatch:
    """Files renamed into watched folders, with the monotonic time at which
    the kernel's event was read (a thread blocks in select on the inotify
    descriptor: events, not polling)."""

    def __init__(self):
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.fd = self.libc.inotify_init1(IN_CLOEXEC)
        if self.fd < 0:
            raise BenchError("inotify_init1: %s" % os.strerror(ctypes.get_errno()))
        self.names = {}
        self.events = []          # (monotonic s, folder, file name)
        self.stop_r, self.stop_w = os.pipe()
        self.thread = None

    def add(self, path):
        wd = self.libc.inotify_add_watch(self.fd, os.fsencode(path), IN_MOVED_TO)
        if wd < 0:
            raise BenchError("inotify_add_watch %s: %s"
                             % (path, os.strerror(ctypes.get_errno())))
        self.names[wd] = os.path.basename(path)

    def start(self):
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        while True:
            ready, _, _ = select.select([self.fd, self.stop_r], [], [])
            if self.fd in ready:
                now = time.monotonic()
                self._parse(os.read(self.fd, 65536), now)
            elif self.stop_r in ready:
                return

    def _parse(self, buf, now):
        pos = 0
        while pos + EVENT_HEAD <= len(buf):
            wd, mask, _cookie, n = (int.from_bytes(buf[pos + i:pos + i + 4], sys.byteorder)
                                    for i in (0, 4, 8, 12))
            name = buf[pos + EVENT_HEAD:pos + EVENT_HEAD + n].split(b"\0", 1)[0]
            if mask & IN_MOVED_TO and wd in self.names:
                self.events.append((now, self.names[wd], os.fsdecode(name)))
            pos += EVENT_HEAD + n

    def close(self):
        """Stop the reader. Events already queued are read first: the reader
        looks at the stop pipe only when the inotify descriptor has none."""
        if self.thread:
            os.write(self.stop_w, b"x")
            self.thread.join()
        for fd in (self.fd, self.stop_r, self.stop_w):
            os.close(fd)

    def first(self, folder):
        """Time of the first package (not a hidden temporary file) renamed
        into folder, or None."""
        for t, f, name in self.events:
            if f == folder and not name.startswith("."):
                return t
        return None


# -- counting what a client sends ---------------------------------------------

class CountingRelay:
    """A TCP relay on 127.0.0.1 in front of portal-sim that counts the bytes
    clients send through it (TLS stays end to end: the server's certificate
    names 127.0.0.1, whatever the port)."""

    def __init__(self, target_port):
        self.target = ("127.0.0.1", target_port)
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = "https://127.0.0.1:%d" % self.sock.getsockname()[1]
        self.lock = threading.Condition()
        self.up = 0
        self.active = 0
        self.closing = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                if self.closing:
                    c.close()
                    return
                self.active += 1
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _pipe(self, src, dst, count):
        try:
            while True:
                data = src.recv(1 << 18)
                if not data:
                    break
                if count:
                    with self.lock:
                        self.up += len(data)
                dst.sendall(data)
        except OSError:
            pass
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def _serve(self, c):
        try:
            s = socket.create_connection(self.target)
        except OSError:
            c.close()
            with self.lock:
                self.active -= 1
                self.lock.notify_all()
            return
        down = threading.Thread(target=self._pipe, args=(s, c, False), daemon=True)
        down.start()
        self._pipe(c, s, True)
        down.join()
        c.close()
        s.close()
        with self.lock:
            self.active -= 1
            self.lock.notify_all()

    def take(self, timeout=60):
        """Bytes sent by clients since the last take(), once every
        connection through the relay has ended (the client has exited, so
        everything it sent is on its way)."""
        with self.lock:
            if not self.lock.wait_for(lambda: self.active == 0, timeout):
                raise BenchError("a connection through the byte-counting relay never ended")
            n, self.up = self.up, 0
            return n

    def close(self):
        with self.lock:
            self.closing = True
        self.sock.close()


# -- the runs -----------------------------------------------------------------

class Bench:

    def __init__(self, env, work, runs, size):
        self.env = env
        self.work = work
        self.runs = runs
        self.size = size
        self.form = bench_form()
        self.form_xml = os.path.join(work, "form.xml")
        with open(self.form_xml, "w") as f:
            f.write(form_xml(self.form))
        self.seq = 0
        self.receipts = []
        self.samples = {ROW_CHECK: [], ROW_NOCHECK: [], ROW_REF: []}
        self.steps = {"login": [], "build": [], "body": [], "upload": []}
        self.bytes = {}
        self.package_sizes = []

    def fresh_dir(self, what):
        self.seq += 1
        d = os.path.join(self.work, "%03d-%s" % (self.seq, what))
        os.mkdir(d)
        return d

    def attachments(self, d):
        out = []
        for att_id, name in ATTACHMENTS:
            path = os.path.join(d, att_id + ".pdf")
            write_pdf(path, self.size)
            out.append((att_id, path, name))
        return out

    def receipt(self, arrive_id, what):
        if not isinstance(arrive_id, str) or not ARRIVE_ID.match(arrive_id):
            raise BenchError("%s: no 16-digit arrive_id in the receipt: %r" % (what, arrive_id))
        if arrive_id in self.receipts:
            raise BenchError("%s: arrive_id %s was already given to another run "
                             "(a replay, not a delivery)" % (what, arrive_id))
        self.receipts.append(arrive_id)

    # -- ours --

    def ours(self, check, url=None):
        d = self.fresh_dir("ours")
        t = Terminal(self.env, d, profile=PROFILE, name="terminal", url=url)
        t.write_form(self.form)
        t.attachments = self.attachments(d)
        # The outbox's folders exist before the run, so that they can be
        # watched (mynaterm makes them 0700 when missing, and takes them as
        # they are when they are).
        watch = DirWatch()
        os.mkdir(t.outbox, 0o700)
        for sub in ("staging", "packages"):
            os.mkdir(os.path.join(t.outbox, sub), 0o700)
            watch.add(os.path.join(t.outbox, sub))
        watch.start()
        out, err = os.path.join(d, "stdout"), os.path.join(d, "stderr")
        try:
            rc, wall, rss, t0 = run_measured(t.argv(*t.apply_args(check)), t.apply_pins(),
                                         out, err)
        finally:
            watch.close()
        what = "mynaterm apply%s" % ("" if check else " --no-check")
        if rc != 0:
            raise BenchError("%s exited with %d:\n%s" % (what, rc, read_text(err)))
        try:
            receipt = json.loads(read_text(out))
        except ValueError:
            raise BenchError("%s printed no JSON receipt:\n%s" % (what, read_text(out)))
        if receipt.get("state") != "delivered":
            raise BenchError("%s: receipt not delivered: %r" % (what, receipt))
        self.receipt(receipt.get("arrive_id"), what)
        signed, queued = watch.first("staging"), watch.first("packages")
        if signed is None or queued is None:
            raise BenchError("%s: the package was never seen entering outbox/%s"
                             % (what, "staging" if signed is None else "packages"))
        shutil.rmtree(d)
        return {"ms": wall * 1000, "rss": rss,
                "signed_ms": (signed - t0) * 1000, "queued_ms": (queued - t0) * 1000}

    # -- the reference --

    def reference(self, env=None):
        env = env or self.env
        d = self.fresh_dir("ref")
        atts = self.attachments(d)
        pkg = os.path.join(d, PROC + ".zip")
        body = os.path.join(d, "body.json")
        resp = os.path.join(d, "response.json")
        err = os.path.join(d, "stderr")
        step = {}

        t = time.monotonic()
        token = env.login(PROFILE, terminal=TERMINAL_ID)
        step["login"] = {"ms": (time.monotonic() - t) * 1000, "rss": None}

        argv = [sys.executable, MKPACKAGE, "--profile",
                os.path.join(pki_dir(), "profiles", PROFILE), "--proc-id", PROC,
                "--form", self.form_xml, "--form-name", "form.xml", "--store", "--out", pkg]
        for att_id, path, name in atts:
            argv += ["--attach", att_id, path, name]
        rc, wall, rss, _ = run_measured(argv, stderr=err)
        if rc != 0:
            raise BenchError("mkpackage.py exited with %d:\n%s" % (rc, read_text(err)))
        step["build"] = {"ms": wall * 1000, "rss": rss}
        self.package_sizes.append(os.path.getsize(pkg))

        head = '{"proc_id":"%s","send_file":{"file_name":"%s.zip","file_data":"' % (PROC, PROC)
        rc, wall, rss, _ = run_measured(
            ["sh", "-c", 'printf "%s" "$1" && base64 -w0 -- "$2" && printf "%s" "$3"',
             "sh", head, pkg, '"}}'], stdout=body, stderr=err)
        if rc != 0:
            raise BenchError("the apply JSON (base64) failed with %d:\n%s" % (rc, read_text(err)))
        step["body"] = {"ms": wall * 1000, "rss": rss}

        cert, key = terminal_cert(TERMINAL_ID)
        # The token goes to curl on stdin (-K -), never on its command line.
        config = ('header = "Authorization: Bearer %s"\n' % token).encode()
        argv = ["curl", "-sS", "--cacert", env.ca, "--cert", cert, "--key", key,
                "-X", "POST", "--upload-file", body, "-K", "-",
                "-H", "Content-Type: application/json", "-H", "Expect:",
                "-H", "Idempotency-Key: %s" % uuid.uuid4(), "-H", "X-Terminal-Id: " + TERMINAL_ID,
                "-o", resp, "-w", "%{http_code}", env.url + "/shinsei/v2/apply"]
        status = os.path.join(d, "status")
        rc, wall, rss, _ = run_measured(argv, config, stdout=status, stderr=err)
        code = read_text(status).strip()
        if rc != 0 or code != "201":
            raise BenchError("curl upload: exit %d, HTTP %s:\n%s%s"
                             % (rc, code, read_text(err), read_text(resp)[:2000]))
        step["upload"] = {"ms": wall * 1000, "rss": rss}
        try:
            arrive_id = json.loads(read_text(resp))["results"]["arrive_id"]
        except (ValueError, KeyError, TypeError):
            arrive_id = None
        self.receipt(arrive_id, "reference upload")
        shutil.rmtree(d)
        total = {"ms": sum(s["ms"] for s in step.values()),
                 "rss": max(s["rss"] for s in step.values() if s["rss"] is not None)}
        return total, step

    # -- everything --

    def count_bytes(self):
        """One untimed run per row through the counting relay (also the
        warm-up)."""
        relay = CountingRelay(self.env.port)
        try:
            self.ours(True, url=relay.url)
            self.bytes[ROW_CHECK] = relay.take()
            self.ours(False, url=relay.url)
            self.bytes[ROW_NOCHECK] = relay.take()
            renv = copy.copy(self.env)     # the same portal-sim, reached through the relay
            renv.url = relay.url
            _, steps = self.reference(renv)
            self.bytes[ROW_REF] = relay.take()
        finally:
            relay.close()

    def run(self):
        self.count_bytes()
        for _ in range(self.runs):
            self.samples[ROW_CHECK].append(self.ours(True))
            self.samples[ROW_NOCHECK].append(self.ours(False))
            total, steps = self.reference()
            self.samples[ROW_REF].append(total)
            for k, v in steps.items():
                self.steps[k].append(v)

    def check_arrivals(self, before):
        """Every receipt is an application the municipality can see."""
        seen = {a["receipt_no"] for a in Municipality(self.env).all_applications()}
        missing = [r for r in self.receipts if r not in seen]
        if missing:
            raise BenchError("the portal's receive side does not list %s" % ", ".join(missing))
        new = seen - before
        if len(new) != len(self.receipts):
            raise BenchError("%d applications arrived for %d runs" % (len(new), len(self.receipts)))


# -- the report ---------------------------------------------------------------

def mib(kib):
    return "%.1f" % (kib / 1024)


def ms(v):
    return "%.0f" % v


def table(lines, heads, rows):
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(heads)]
    lines.append("| " + " | ".join(h.ljust(widths[i]) if i == 0 else h.rjust(widths[i])
                                   for i, h in enumerate(heads)) + " |")
    lines.append("|" + "|".join((":" + "-" * (w + 1)) if i == 0 else ("-" * (w + 1) + ":")
                                for i, w in enumerate(widths)) + "|")
    for r in rows:
        lines.append("| " + " | ".join(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i])
                                       for i, c in enumerate(r)) + " |")


def report(b, info):
    lines = ["- %s: %s" % kv for kv in info] + [""]
    heads = ["", "runs", "median ms", "max ms", "median peak RSS MiB", "max peak RSS MiB",
             "bytes uploaded"]
    rows = []
    for name in (ROW_CHECK, ROW_NOCHECK, ROW_REF):
        s = b.samples[name]
        rows.append([name, str(len(s)), ms(statistics.median(x["ms"] for x in s)),
                     ms(max(x["ms"] for x in s)), mib(statistics.median(x["rss"] for x in s)),
                     mib(max(x["rss"] for x in s)), "{:,}".format(b.bytes[name])])
    step_names = [("login", "reference: log in (curl, openssl)"),
                  ("build", "reference: mkpackage.py + xmlsec1"),
                  ("body", "reference: apply JSON (base64)"),
                  ("upload", "reference: curl upload")]
    for key, name in step_names:
        s = b.steps[key]
        has_rss = s[0]["rss"] is not None
        rows.append([name, str(len(s)), ms(statistics.median(x["ms"] for x in s)),
                     ms(max(x["ms"] for x in s)),
                     mib(statistics.median(x["rss"] for x in s)) if has_rss else "-",
                     mib(max(x["rss"] for x in s)) if has_rss else "-", ""])
    table(lines, heads, rows)

    lines += ["", "Where the time of ours goes (median ms from the spawn):", ""]
    rows = []
    for name in (ROW_CHECK, ROW_NOCHECK):
        s = b.samples[name]
        signed = statistics.median(x["signed_ms"] for x in s)
        queued = statistics.median(x["queued_ms"] for x in s)
        total = statistics.median(x["ms"] for x in s)
        rows.append([name, ms(signed), ms(queued), ms(total),
                     ms(statistics.median(x["ms"] - x["queued_ms"] for x in s))])
    table(lines, ["", "package signed", "in the outbox", "delivered, exit", "send"], rows)

    worst = max(x["rss"] for n in (ROW_CHECK, ROW_NOCHECK) for x in b.samples[n])
    lines += ["", "%d MiB goal for the peak RSS of mynaterm apply: %s (largest peak %s MiB "
              "over %d runs)." % (GOAL_MIB, "met" if worst < GOAL_MIB * 1024 else "NOT met",
                                  mib(worst), 2 * b.runs)]
    lines += [
        "",
        "- package signed: the signed ZIP appears in outbox/staging (procedure read, "
        "form and attachments checked, log in, sign password, ZIP written and fsync'd); "
        "in the outbox: it is renamed into outbox/packages (after the portal's dry run, "
        "when there is one); send: from there to the exit (apply, receipt, logout).",
        "- bytes uploaded: everything the client sent to the portal (TLS records), "
        "counted by a relay in one extra untimed run per row; ours with apply/check "
        "uploads the package twice. Reference: the login and the upload.",
        "- peak RSS: ru_maxrss from os.wait4 (each process started by a small sh, "
        "not forked from the benchmark's Python, whose resident set would count); "
        "for a step that runs children (mkpackage.py runs xmlsec1, sh runs base64) "
        "the largest of them.",
    ]
    return lines


def header(runs, size, package_sizes):
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    build_type = "?"
    try:
        with open(os.path.join(build_dir(), "CMakeCache.txt")) as f:
            for line in f:
                if line.startswith("CMAKE_BUILD_TYPE:"):
                    build_type = line.split("=", 1)[1].strip() or "(none)"
    except OSError:
        pass
    curl = subprocess.run(["curl", "--version"], capture_output=True).stdout.decode()
    xmlsec = subprocess.run(["xmlsec1", "--version"], capture_output=True).stdout.decode()
    return [
        ("mynaterm", "%s (%s build)" % (MYNATERM, build_type)),
        ("application", "%s, 2 attachments of %s bytes; package %s bytes (reference)"
         % (PROC, "{:,}".format(size),
            "{:,}".format(int(statistics.median(package_sizes))) if package_sizes else "?")),
        ("reference", "%s; %s; Python %s" % (" ".join(curl.split()[:2]) or "curl ?",
                                             xmlsec.strip() or "xmlsec1 ?",
                                             sys.version.split()[0])),
        ("CPU", "%s, %d cores" % (cpu, os.cpu_count() or 0)),
        ("runs", "%d per row, interleaved, after 1 untimed run per row (bytes, warm-up)"
         % runs),
    ]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5, help="timed runs per row (default 5)")
    ap.add_argument("--size", type=int, default=10 * MIB,
                    help="bytes of each of the two attachments (default 10 MiB)")
    ap.add_argument("--smoke", action="store_true",
                    help="1 run, attachments of 1 MiB: checks that the benchmark works")
    args = ap.parse_args(argv)
    if args.smoke:
        args.runs, args.size = 1, MIB
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    for tool in ("curl", "openssl", "xmlsec1", "base64"):
        if not shutil.which(tool):
            print("bench_client: %s not found" % tool, file=sys.stderr)
            return 1
    if not os.access(MYNATERM, os.X_OK):
        print("bench_client: %s not built" % MYNATERM, file=sys.stderr)
        return 1
    load = os.getloadavg()
    try:
        become_subreaper()
        with PortalEnv() as env:
            work = tempfile.mkdtemp(prefix="bench-", dir=env.dir)
            before = {a["receipt_no"] for a in Municipality(env).all_applications()}
            b = Bench(env, work, args.runs, args.size)
            b.run()
            b.check_arrivals(before)
    except (BenchError, AssertionError, OSError, subprocess.SubprocessError) as e:
        # AssertionError: the harness's HarnessError (portal-sim did not start)
        print("bench_client: FAILED: %s" % e, file=sys.stderr)
        return 1
    info = header(args.runs, args.size, b.package_sizes)
    info.append(("load average", "%.2f %.2f %.2f at start, %.2f %.2f %.2f at end"
                 % (load + os.getloadavg())))
    for line in report(b, info):
        print(line)
    if args.smoke:
        print("\n(a smoke run: 1 run with attachments of 1 MiB; measure without --smoke)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
