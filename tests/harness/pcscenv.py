#!/usr/bin/python3
"""pcscenv - a private pcscd with virtual readers, and software cards in them.

Every integration test that needs PC/SC uses this module:

    with PcscEnv("Myna Test") as env:
        card = env.start_card(profile="adult")     # waits until pcscd sees it
        env.run_mynacard("cert", "auth", "--reader", card.reader)
        card.remove(); env.wait_card(card.reader, present=False)

- pcscd runs in a mount namespace of its own with /run/pcscd bound to a
  temporary directory (pcscd 1.9.9 hard-codes its socket path; clients honour
  PCSCLITE_CSOCK_NAME), on free TCP ports, so parallel runs never meet.
- One vsmartcard-vpcd entry gives two readers ("NAME 00 00" and "NAME 00 01");
  `mynacard-vcard vpcd` is the card in one of them.
- Waiting is on events: pcscd's "daemon ready" line, and card presence through
  SCardGetStatusChange (a small ctypes client of libpcsclite, independent of the
  code under test). Every wait has a time-out that fails the test.
- Only processes this module started are stopped, and all of them are.

Needs root (mount namespace). Uses Debian's /usr/bin/python3 standard library.
"""

import ctypes
import ctypes.util
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

WAIT_S = 15.0  # bound on any single wait; a healthy stack needs < 1 s

SCARD_S_SUCCESS = 0
SCARD_E_TIMEOUT = 0x8010000A
SCARD_E_UNKNOWN_READER = 0x80100009
SCARD_E_NO_SERVICE = 0x8010001D
SCARD_E_SERVICE_STOPPED = 0x8010001E
SCARD_E_NO_READERS_AVAILABLE = 0x8010002E
SCARD_SCOPE_SYSTEM = 2
SCARD_STATE_UNAWARE = 0x0000
SCARD_STATE_CHANGED = 0x0002
SCARD_STATE_UNKNOWN = 0x0004
SCARD_STATE_EMPTY = 0x0010
SCARD_STATE_PRESENT = 0x0020
PNP_READER = b"\\\\?PnP?\\Notification"


_live_env = None
_run = None


def _run_dir():
    """pcscd's socket directory, one per process: libpcsclite reads
    PCSCLITE_CSOCK_NAME once, so every pcscd this process starts (one at a
    time) puts its socket at the same place."""
    global _run
    if _run is None:
        _run = tempfile.mkdtemp(prefix="myna-pcscd-run-")
        import atexit
        atexit.register(shutil.rmtree, _run, True)
    return _run


class HarnessError(AssertionError):
    """A wait ran out or a component did not start: the test fails."""


def stop_process(proc, sig=signal.SIGTERM):
    """Signal a process this harness started and wait for it; SIGKILL if it
    does not end within WAIT_S."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=WAIT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def openssl(*args, input=None):
    """openssl, the independent checker of every signature and certificate."""
    return subprocess.run(["openssl"] + list(args), capture_output=True, input=input)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def private_profile(profile, workdir, tag):
    """A copy of the profile (a test PKI name or a path) in workdir, so that
    a state file it keeps (PIN tries, changed PINs) belongs to one test."""
    src = profile if os.path.sep in profile else profile_path(profile)
    srcdir = os.path.dirname(os.path.abspath(src))
    dst = os.path.join(workdir, "profile-%s-%s" % (tag, os.path.basename(srcdir)))
    shutil.copytree(srcdir, dst, ignore=shutil.ignore_patterns("state.ini"))
    return os.path.join(dst, os.path.basename(src))


def apdu_lines(path):
    """The APDU lines of a software card's log ('apdu CLA INS P1 P2 lc=N
    sw=XXXX'), split in fields."""
    with open(path) as f:
        return [l.split() for l in f if l.startswith("apdu ")]


def build_dir():
    d = os.environ.get("MYNA_BUILD")
    if not d:
        raise HarnessError("MYNA_BUILD is not set: run the tests through ctest")
    return d


def pki_dir():
    d = os.environ.get("MYNA_TEST_PKI")
    if not d:
        raise HarnessError("MYNA_TEST_PKI is not set: run the tests through ctest")
    return d


def profile_path(name):
    return os.path.join(pki_dir(), "profiles", name, "profile.ini")


def free_port_pair():
    """Two consecutive free TCP ports (vpcd listens on PORT and PORT+1)."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port >= 65535:
            continue
        try:
            with socket.socket() as a, socket.socket() as b:
                a.bind(("0.0.0.0", port))
                b.bind(("0.0.0.0", port + 1))
            return port
        except OSError:
            continue
    raise HarnessError("no two consecutive free TCP ports")


class _ReaderState(ctypes.Structure):
    # pcsc-lite's SCARD_READERSTATE on Linux: DWORD is unsigned long.
    _fields_ = [("szReader", ctypes.c_char_p),
                ("pvUserData", ctypes.c_void_p),
                ("dwCurrentState", ctypes.c_ulong),
                ("dwEventState", ctypes.c_ulong),
                ("cbAtr", ctypes.c_ulong),
                ("rgbAtr", ctypes.c_ubyte * 33)]


class PcscWatcher:
    """Waits on card presence with SCardGetStatusChange (no polling)."""

    def __init__(self, sock_path):
        os.environ["PCSCLITE_CSOCK_NAME"] = sock_path
        name = ctypes.util.find_library("pcsclite") or "libpcsclite.so.1"
        self.lib = ctypes.CDLL(name)
        self.lib.SCardEstablishContext.restype = ctypes.c_long
        self.lib.SCardGetStatusChange.restype = ctypes.c_long
        self.lib.SCardReleaseContext.restype = ctypes.c_long

    def _context(self, deadline):
        ctx = ctypes.c_long(0)
        while True:
            rv = self.lib.SCardEstablishContext(SCARD_SCOPE_SYSTEM, None, None,
                                                ctypes.byref(ctx)) & 0xFFFFFFFF
            if rv == SCARD_S_SUCCESS:
                return ctx
            # pcscd is starting: its socket comes before it is ready only
            # when something else started it; the harness waits for "daemon
            # ready" first, so this is rare and short.
            if time.monotonic() > deadline:
                raise HarnessError("pcscd does not answer (0x%08X)" % rv)
            time.sleep(0.02)

    def wait_card(self, reader, present, timeout=WAIT_S):
        """Block until the card in `reader` is present (or absent)."""
        deadline = time.monotonic() + timeout
        want = SCARD_STATE_PRESENT if present else SCARD_STATE_EMPTY
        ctx = self._context(deadline)
        try:
            states = (_ReaderState * 2)()
            states[0].szReader = reader.encode()
            states[0].dwCurrentState = SCARD_STATE_UNAWARE
            states[1].szReader = PNP_READER
            states[1].dwCurrentState = SCARD_STATE_UNAWARE
            while True:
                left = int((deadline - time.monotonic()) * 1000)
                if left <= 0:
                    raise HarnessError("reader %r: card still %s after %.1f s"
                                       % (reader, "absent" if present else "present",
                                          timeout))
                rv = self.lib.SCardGetStatusChange(ctx, ctypes.c_ulong(left),
                                                   states, 2) & 0xFFFFFFFF
                if rv == SCARD_E_TIMEOUT:
                    continue
                if rv == SCARD_E_UNKNOWN_READER or rv == SCARD_E_NO_READERS_AVAILABLE:
                    # The reader is not there (yet): wait on reader changes.
                    pnp = (_ReaderState * 1)()
                    pnp[0].szReader = PNP_READER
                    pnp[0].dwCurrentState = 0
                    self.lib.SCardGetStatusChange(ctx, ctypes.c_ulong(min(left, 500)),
                                                  pnp, 1)
                    states[0].dwCurrentState = SCARD_STATE_UNAWARE
                    continue
                if rv != SCARD_S_SUCCESS:
                    raise HarnessError("SCardGetStatusChange: 0x%08X" % rv)
                ev = states[0].dwEventState
                if not (ev & SCARD_STATE_UNKNOWN) and ev & want:
                    return
                states[0].dwCurrentState = ev & ~SCARD_STATE_CHANGED
                states[1].dwCurrentState = states[1].dwEventState & ~SCARD_STATE_CHANGED
        finally:
            self.lib.SCardReleaseContext(ctx)


class VirtualCard:
    """One `mynacard-vcard vpcd` process: the software card in one reader."""

    def __init__(self, env, reader, port, profile, quirks=None,
                 remove_after=None, extra=()):
        self.env = env
        self.reader = reader
        self.port = port
        self.profile = profile
        self.apdu_log = os.path.join(env.dir, "apdu-%d.log" % len(env.cards))
        open(self.apdu_log, "a").close()
        args = [os.path.join(build_dir(), "drivers", "vcard", "mynacard-vcard"),
                "vpcd", "--port", str(port), "--profile", profile,
                "--apdu-log", self.apdu_log]
        if quirks:
            args += ["--quirks", quirks]
        if remove_after is not None:
            args += ["--remove-after-apdus", str(remove_after)]
        args += list(extra)
        self.stderr_path = os.path.join(env.dir, "vcard-%d.err" % len(env.cards))
        self._err = open(self.stderr_path, "ab")
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                     stderr=self._err)

    def apdus(self):
        """The APDU lines logged so far ('apdu CLA INS P1 P2 lc=N sw=XXXX')."""
        return apdu_lines(self.apdu_log)

    def mark(self):
        """Position in the APDU log; count_since(mark) counts what came after."""
        return len(self.apdus())

    def since(self, mark):
        return self.apdus()[mark:]

    def remove(self, wait=True):
        self.proc.send_signal(signal.SIGUSR1)
        if wait:
            self.env.wait_card(self.reader, present=False)

    def insert(self, wait=True):
        self.proc.send_signal(signal.SIGUSR2)
        if wait:
            self.env.wait_card(self.reader, present=True)

    def stop(self):
        stop_process(self.proc)
        self._err.close()


class PcscEnv:
    """A private pcscd with one vpcd entry (two readers) per name given."""

    def __init__(self, name="Myna Test", keep=False):
        if os.geteuid() != 0:
            raise HarnessError("the PC/SC tests need root: they run pcscd in a "
                               "mount namespace of their own")
        global _live_env
        if _live_env is not None:
            raise HarnessError("one PcscEnv at a time per process")
        _live_env = self
        self.dir = tempfile.mkdtemp(prefix="myna-pcsc-")
        self.keep = keep or os.environ.get("MYNA_KEEP_TEST_DIR") == "1"
        self.run_dir = _run_dir()
        self.sock = os.path.join(self.run_dir, "pcscd.comm")
        self.conf = os.path.join(self.dir, "reader.conf")
        self.name = name
        self.base_port = free_port_pair()
        self.cards = []
        self.pcscd = None
        self.pump = None
        self.seen = threading.Condition()
        self.last_event = {}
        self.pcscd_log = os.path.join(self.dir, "pcscd.log")
        self.watcher = None

    # -- readers and pcscd --

    def reader(self, slot=0):
        """pcscd's name of the reader in vpcd slot 0 or 1. One vpcd entry
        gives two readers; the driver keeps its state per slot for the whole
        process, so a second entry in the same pcscd would share the first's
        cards: one entry per pcscd."""
        return "%s 00 %02d" % (self.name, slot)

    def port(self, slot=0):
        return self.base_port + slot

    def _write_conf(self, with_reader):
        with open(self.conf, "w") as f:
            if with_reader:
                f.write('FRIENDLYNAME "%s"\nDEVICENAME /dev/null:%d\n'
                        'LIBPATH /usr/lib/pcsc/drivers/serial/libifdvpcd.so\n'
                        'CHANNELID %d\n' % (self.name, self.base_port, self.base_port))

    def start_pcscd(self, with_reader=True):
        """Start pcscd (with the virtual reader, or with no reader at all:
        the reader unplugged) and return once it says it is ready."""
        assert self.pcscd is None
        self._write_conf(with_reader)
        with self.seen:
            self.last_event = {}
        os.makedirs("/run/pcscd", exist_ok=True)
        run = self.run_dir
        for leftover in ("pcscd.comm", "pcscd.pid"):
            try:
                os.unlink(os.path.join(run, leftover))
            except FileNotFoundError:
                pass
        cmd = ["unshare", "-m", "--propagation", "private", "sh", "-c",
               'mount --bind "$0" /run/pcscd && exec pcscd -f -d -a -c "$1"',
               run, self.conf]
        # pcscd -f writes its log to standard output.
        self.pcscd = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT)
        ready = threading.Event()
        log = open(self.pcscd_log, "ab")

        def pump(proc, logf):
            for line in proc.stdout:
                logf.write(line)
                logf.flush()
                if b"daemon ready" in line:
                    ready.set()
                self._note_card_event(line)
            logf.close()

        self.pump = threading.Thread(target=pump, args=(self.pcscd, log), daemon=True)
        self.pump.start()
        # Readiness comes as a log line; the process ending is the other
        # event to wait on (a failed start).
        deadline = time.monotonic() + WAIT_S
        while not ready.wait(0.05):
            if self.pcscd.poll() is not None or time.monotonic() > deadline:
                code = self.pcscd.poll()
                self.stop_pcscd(signal.SIGKILL)
                raise HarnessError("pcscd did not start (exit %s); see %s"
                                   % (code, self.pcscd_log))
        if self.watcher is None:
            self.watcher = PcscWatcher(self.sock)
        return self

    def stop_pcscd(self, sig=signal.SIGTERM):
        """Stop pcscd (SIGKILL to simulate a crash) and wait for it."""
        if self.pcscd is None:
            return
        stop_process(self.pcscd, sig)
        if self.pump is not None:
            self.pump.join(timeout=WAIT_S)
            self.pump = None
        self.pcscd.stdout.close()
        self.pcscd = None

    def restart_pcscd(self, sig=signal.SIGTERM, with_reader=True):
        self.stop_pcscd(sig)
        self.start_pcscd(with_reader)

    # -- cards --

    def start_card(self, profile="adult", slot=0, quirks=None,
                   remove_after=None, wait=True, extra=()):
        """Put a software card into the reader of vpcd slot 0 or 1. `profile`
        is a profile name from the test PKI or a path."""
        path = self.private_profile(profile)
        card = VirtualCard(self, self.reader(slot), self.port(slot),
                           path, quirks, remove_after, extra)
        self.cards.append(card)
        if wait:
            self.wait_card(card.reader, present=True)
        return card

    def private_profile(self, profile):
        return private_profile(profile, self.dir, len(self.cards))

    def _note_card_event(self, line):
        # pcscd's event thread logs "Card inserted into R" / "Card Removed
        # From R" when its presence poll (every 0.4 s) sees the change.
        for marker, state in ((b"Card inserted into ", "inserted"),
                              (b"Card Removed From ", "removed")):
            at = line.find(marker)
            if at >= 0:
                reader = line[at + len(marker):].strip().decode(errors="replace")
                with self.seen:
                    self.last_event[reader] = state
                    self.seen.notify_all()

    def wait_card(self, reader, present=True, timeout=WAIT_S):
        """Wait until a client sees the card present (absent) and, for
        absence, pcscd's event thread has noticed it too: a reset
        that fails on a pulled card makes clients see "absent" at once, while
        the event thread notices only at its next poll; a card put back before
        that poll is never announced."""
        self.watcher.wait_card(reader, present, timeout)
        if present:
            # Only the event thread publishes a card as present (a card found
            # when pcscd starts is not logged as inserted).
            with self.seen:
                self.last_event[reader] = "inserted"
            return
        want = "removed"
        with self.seen:
            if not self.seen.wait_for(
                    lambda: self.last_event.get(reader, "removed") == want, timeout):
                raise HarnessError("pcscd's event thread did not see the card %s in %r"
                                   % (want, reader))

    # -- programs under test --

    def environ(self):
        e = dict(os.environ)
        e["PCSCLITE_CSOCK_NAME"] = self.sock
        e["LC_ALL"] = "C.UTF-8"
        e.pop("LANG", None)
        return e

    def run(self, args, input=None, timeout=60):
        """Run a program against this pcscd; returns CompletedProcess."""
        return subprocess.run(args, input=input, capture_output=True,
                              env=self.environ(), timeout=timeout)

    def mynacard(self, *args, input=None, timeout=60):
        exe = os.path.join(build_dir(), "card", "cli", "mynacard")
        return self.run([exe] + list(args), input=input, timeout=timeout)

    # -- lifetime --

    def close(self):
        global _live_env
        for card in self.cards:
            card.stop()
        self.cards = []
        self.stop_pcscd()
        if not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)
        if _live_env is self:
            _live_env = None

    def __enter__(self):
        try:
            self.start_pcscd()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        if exc[0] is not None:
            self.keep = True
            print("pcscenv: test directory kept: %s" % self.dir)
        self.close()
        return False


def main(argv=None):
    """Run one command against a private pcscd holding the software card:

        tests/harness/pcscenv.py --build build [--profile adult] [--quirks t0] -- CMD ARGS

    CMD runs with PCSCLITE_CSOCK_NAME pointing at that pcscd and MYNA_READER
    naming the reader with the card; everything started is stopped after."""
    import argparse
    ap = argparse.ArgumentParser(description=main.__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.environ.get("MYNA_BUILD", "build"))
    ap.add_argument("--profile", default="adult")
    ap.add_argument("--quirks")
    ap.add_argument("--reader-name", default="Myna Software Reader")
    ap.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args(argv)
    cmd = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not cmd:
        ap.error("give a command after --")
    os.environ["MYNA_BUILD"] = os.path.abspath(args.build)
    os.environ.setdefault("MYNA_TEST_PKI", os.path.join(os.environ["MYNA_BUILD"], "pki"))
    with PcscEnv(args.reader_name) as env:
        card = env.start_card(args.profile, quirks=args.quirks)
        e = env.environ()
        e["MYNA_READER"] = card.reader
        return subprocess.run(cmd, env=e).returncode


if __name__ == "__main__":
    raise SystemExit(main())
