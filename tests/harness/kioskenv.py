#!/usr/bin/python3
"""kioskenv - the kiosk (mynaterm-kiosk) running for end-to-end tests, driven through AT-SPI.

    with PortalEnv() as portal, PcscEnv("Myna Kiosk") as pcsc:
        card = pcsc.start_card("adult")          # in a reader of a private pcscd
        with Kiosk(portal, reader=card.reader) as k:
            k.wait_screen("attract")
            card.remove(); card.insert()         # a resident places the card
            k.wait_screen("pin")
            for d in "1234": k.click(d)
            k.click("Log in")
            k.wait_screen("home")

- The test runs inside tests/harness/with-xvfb --a11y (a private X server and
  D-Bus session with the accessibility bus); the kiosk is started as a child
  with --window and MYNA_KIOSK_TIMING=1.
- Screens are waited on as events: the kiosk prints
  "kiosk-timing: painted:<screen> <ms>" on standard error once a screen has
  been drawn; a reader thread turns the lines into a condition variable.
- Widgets are found and pressed through AT-SPI (pyatspi): by accessible
  name and role, among what is presented (the kiosk keeps only the current screen
  visible). Text goes in through the
  EditableText interface, as an on-screen keyboard would put it.
- Only the kiosk process this module started is stopped.

Uses Debian's /usr/bin/python3 with python3-pyatspi.
"""

import os
import re
import signal
import subprocess
import tempfile
import threading
import time

import pyatspi

from pcscenv import build_dir, pki_dir

WAIT_S = 20.0
MARK_RE = re.compile(r"^kiosk-timing: (\S+) ([0-9.]+)$")


class KioskError(AssertionError):
    pass


def kiosk_exe():
    return os.path.join(build_dir(), "kiosk-ui", "app", "mynaterm-kiosk")


def write_config(path, portal=None, reader=None, source="pcsc", vcard_profile=None,
                 outbox=None, idle_timeout=120, idle_warning=20, city="102016",
                 attachment_dirs=None, staff_pin_hash=None, terminal="kiosk-test-01",
                 url=None, delivery_interval=60):
    """A settings file for the kiosk: the portal of a PortalEnv (or url),
    the terminal's certificate from the test PKI, a card source."""
    term = os.path.join(pki_dir(), "terminals", terminal)
    lines = ["[portal]",
             "url=%s" % (url or portal.url),
             "ca-file=%s" % portal.ca,
             "terminal-id=%s" % terminal,
             "client-cert=%s.pem" % term,
             "client-key=%s.key.pem" % term,
             "[network]",
             "connect-timeout-ms=3000",
             "retry-total-ms=4000",
             "retry-base-ms=100",
             "retry-max-ms=500",
             "[outbox]",
             "dir=%s" % outbox,
             "[kiosk]",
             "city-code=%s" % city,
             "[card]",
             "source=%s" % source]
    if reader:
        lines.append("reader=%s" % reader)
    if vcard_profile:
        lines.append("vcard-profile=%s" % vcard_profile)
    lines += ["[ui]",
              "idle-timeout-s=%d" % idle_timeout,
              "idle-warning-s=%d" % idle_warning,
              "delivery-interval-s=%d" % delivery_interval,
              "fullscreen=false"]
    if attachment_dirs:
        lines.append("attachment-dirs=%s" % ";".join(attachment_dirs))
    if staff_pin_hash:
        lines.append("staff-pin-hash=%s" % staff_pin_hash)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


class Kiosk:
    """One mynaterm-kiosk process and its accessible tree."""

    def __init__(self, config, args=(), env=None, workdir=None, language=None):
        self.dir = workdir or tempfile.mkdtemp(prefix="myna-kiosk-")
        self.config = config
        self.args = list(args)
        if language:
            self.args += ["--language", language]
        self.extra_env = dict(env or {})
        self.proc = None
        self.marks = []            # (name, ms) in the order printed
        self.lines = []
        self.cond = threading.Condition()
        self.log_path = os.path.join(self.dir, "kiosk.log")
        self._app = None

    # -- lifetime --

    def start(self):
        env = dict(os.environ)
        env.update({
            "MYNA_KIOSK_TIMING": "1",
            "MYNA_KIOSK_LOCALEDIR": os.path.join(build_dir(), "locale"),
            "GSK_RENDERER": env.get("GSK_RENDERER", "cairo"),
            "GTK_A11Y": "atspi",
            "NO_AT_BRIDGE": "0",
            "GSETTINGS_BACKEND": "memory",
        })
        env.pop("GTK_DEBUG", None)
        env.update(self.extra_env)
        self.proc = subprocess.Popen([kiosk_exe(), "--config", self.config, "--window"]
                                     + self.args, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, env=env)
        self._pump = threading.Thread(target=self._read, daemon=True)
        self._pump.start()
        return self

    def _read(self):
        with open(self.log_path, "ab") as log:
            for raw in self.proc.stderr:
                log.write(raw)
                log.flush()
                line = raw.decode("utf-8", "replace").rstrip("\n")
                m = MARK_RE.match(line)
                with self.cond:
                    self.lines.append(line)
                    if m:
                        self.marks.append((m.group(1), float(m.group(2))))
                    self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=WAIT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self._pump.join(timeout=WAIT_S)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def log(self):
        with self.cond:
            return "\n".join(self.lines)

    # -- events --

    def wait_for(self, pred, what, timeout=WAIT_S):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                r = pred()
                if r:
                    return r
                if self.proc.poll() is not None and not self._pump.is_alive():
                    raise KioskError("the kiosk ended (exit %s) while waiting for %s:\n%s"
                                     % (self.proc.returncode, what, self.log()[-3000:]))
                left = deadline - time.monotonic()
                if left <= 0:
                    raise KioskError("timed out waiting for %s; last lines:\n%s"
                                     % (what, "\n".join(self.lines[-30:])))
                self.cond.wait(min(left, 0.5))

    def mark_count(self):
        with self.cond:
            return len(self.marks)

    def screen(self):
        """The last screen painted."""
        with self.cond:
            for name, _ in reversed(self.marks):
                if name.startswith("painted:"):
                    return name[len("painted:"):]
        return None

    def wait_screen(self, name, since=None, timeout=WAIT_S):
        """Wait until screen `name` is painted (after mark index `since`,
        default: any time it is the screen shown last)."""
        def pred():
            if since is None:
                return self.screen() == name
            return any(n == "painted:" + name for n, _ in self.marks[since:])
        self.wait_for(pred, "screen %s" % name, timeout)
        self._app = None
        return self.mark_time("painted:" + name)

    def wait_mark(self, name, since=0, timeout=WAIT_S):
        self.wait_for(lambda: any(n == name for n, _ in self.marks[since:]), name, timeout)
        return self.mark_time(name)

    def wait_line(self, text, since=0, timeout=WAIT_S):
        self.wait_for(lambda: any(text in l for l in self.lines[since:]), repr(text), timeout)

    def mark_time(self, name):
        with self.cond:
            for n, t in reversed(self.marks):
                if n == name:
                    return t
        return None

    # -- AT-SPI --

    def app(self):
        """The kiosk's accessible application (found by its process id)."""
        def find():
            desktop = pyatspi.Registry.getDesktop(0)
            for i in range(desktop.childCount):
                a = desktop.getChildAtIndex(i)
                try:
                    if a is not None and a.get_process_id() == self.proc.pid:
                        return a
                except Exception:
                    continue
            return None
        if self._app is None:
            deadline = time.monotonic() + WAIT_S
            while self._app is None:
                self._app = find()
                if self._app is None:
                    if time.monotonic() > deadline:
                        raise KioskError("the kiosk never appeared on the accessibility bus")
                    time.sleep(0.05)  # the registry has no event for a new application here
        return self._app

    def _walk(self, node, out, pred, depth=0):
        if node is None or depth > 60:
            return
        # GTK presents only visible widgets (the kiosk hides the screens not
        # shown), so everything in the tree is on the screen.
        if pred(node):
            out.append(node)
        for i in range(node.childCount):
            self._walk(node.getChildAtIndex(i), out, pred, depth + 1)

    def find_all(self, name=None, role=None, contains=None):
        def pred(n):
            try:
                if role is not None and n.getRoleName() != role:
                    return False
                nm = n.name or ""
                if name is not None and nm != name:
                    return False
                if contains is not None and contains not in nm:
                    return False
                return True
            except Exception:
                return False
        out = []
        self._walk(self.app(), out, pred)
        return out

    def find(self, name=None, role=None, contains=None, timeout=WAIT_S):
        """The one showing accessible with this name (and role): waits until
        it shows (screens change asynchronously)."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.find_all(name, role, contains)
            if role is None and len(found) > 1:
                # A button's label carries the button's name too.
                found = [n for n in found if n.getRoleName() != "label"] or found
            if len(found) == 1:
                return found[0]
            if len(found) > 1:
                raise KioskError("%d accessibles named %r (%s) are showing"
                                 % (len(found), name or contains, role))
            if time.monotonic() > deadline:
                raise KioskError("no accessible named %r (%s) is showing; screen %s"
                                 % (name or contains, role, self.screen()))
            time.sleep(0.05)  # polling the tree: AT-SPI gives no event for "shows now"

    def click(self, name, role=None, timeout=WAIT_S):
        """Press a button (or toggle) as a finger would: once it can be
        pressed. A control the kiosk has not enabled yet (a confirm key
        waiting for the last digit to arrive) is waited for, not skipped."""
        node = self.find(name, role)
        deadline = time.monotonic() + timeout
        while not node.getState().contains(pyatspi.STATE_SENSITIVE):
            if time.monotonic() > deadline:
                raise KioskError("%r never became pressable; screen %s" % (name, self.screen()))
            time.sleep(0.02)  # sensitivity changes send no event we can wait on here
        action = node.queryAction()
        for i in range(action.nActions):
            if action.getName(i) in ("click", "press", "activate", "toggle"):
                action.doAction(i)
                return node
        action.doAction(0)
        return node

    def set_text(self, name, text, role=None):
        node = self.find(name, role)
        node.queryEditableText().setTextContents(text)
        return node

    def texts(self):
        """Every showing label's text (what the resident can read now)."""
        return [n.name for n in self.find_all(role="label") if n.name]

    def window_description(self):
        for i in range(self.app().childCount):
            w = self.app().getChildAtIndex(i)
            if w is not None:
                return w.description
        return None


def process_memory_contains(pid, needles):
    """Which of the byte strings in needles occur in the readable, private
    memory of process pid (heap, stacks, anonymous maps). Needs root or the
    same user with ptrace rights."""
    found = set()
    with open("/proc/%d/maps" % pid) as maps, open("/proc/%d/mem" % pid, "rb", 0) as mem:
        for line in maps:
            parts = line.split()
            addr, perms = parts[0], parts[1]
            path = parts[5] if len(parts) > 5 else ""
            if "r" not in perms:
                continue
            if path and not path.startswith("["):
                continue   # mapped files: the program, fonts, catalogues
            start, end = (int(x, 16) for x in addr.split("-"))
            if end - start > 1 << 30:
                continue
            try:
                mem.seek(start)
                chunk = mem.read(end - start)
            except (OSError, ValueError):
                continue
            for n in needles:
                if n in chunk:
                    found.add(n)
    return found
