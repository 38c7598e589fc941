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
- MYNA_KIOSK_ECHO=1 copies the kiosk's standard error to the test's.

Uses Debian's /usr/bin/python3 with python3-pyatspi.
"""

import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

import pyatspi
from gi.repository import GLib

from pcscenv import build_dir, pki_dir

WAIT_S = 20.0
MARK_RE = re.compile(r"^kiosk-timing: (\S+) ([0-9.]+)$")


class KioskError(AssertionError):
    pass


def _pump():
    """Read what the accessibility bus has sent: libatspi learns of new
    applications from the registry's events, and a client that never reads
    its events is eventually dropped by the bus."""
    ctx = GLib.MainContext.default()
    while ctx.pending():
        ctx.iteration(False)


def _presented(window):
    """A window still shown: one being replaced is hidden, then destroyed."""
    try:
        states = window.getState()
        return (states.contains(pyatspi.STATE_VISIBLE)
                and not states.contains(pyatspi.STATE_DEFUNCT))
    except Exception:
        return False


def _fail(kiosk, message):
    if kiosk.failure_shot:
        kiosk.snap(kiosk.failure_shot)
    return KioskError(message)


def kiosk_exe():
    return os.path.join(build_dir(), "kiosk-ui", "app", "mynaterm-kiosk")


def write_config(path, portal=None, reader=None, source="pcsc", vcard_profile=None,
                 outbox=None, idle_timeout=120, idle_warning=20, city="102016",
                 attachment_dirs=None, staff_pin_hash=None, terminal="kiosk-test-01",
                 url=None, delivery_interval=60, large_text=False):
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
    if large_text:
        lines.append("large-text=true")
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
        self._tree = None
        self._tree_marks = -1
        self._pressed = {}
        self.failure_shot = None   # a screenshot path taken when a wait or search fails

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
                if os.environ.get("MYNA_KIOSK_ECHO") == "1":
                    sys.stderr.buffer.write(raw)
                    sys.stderr.flush()
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
                    raise _fail(self, "the kiosk ended (exit %s) while waiting for %s:\n%s"
                                     % (self.proc.returncode, what, self.log()[-3000:]))
                left = deadline - time.monotonic()
                if left <= 0:
                    raise _fail(self, "timed out waiting for %s; last lines:\n%s"
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
                _pump()
                self._app = find()
                if self._app is None:
                    if time.monotonic() > deadline:
                        desktop = pyatspi.Registry.getDesktop(0)
                        seen = []
                        for i in range(desktop.childCount):
                            try:
                                a = desktop.getChildAtIndex(i)
                                seen.append((a.name, a.get_process_id()))
                            except Exception as e:
                                seen.append(("?", str(e)))
                        raise _fail(self, "the kiosk (pid %d) never appeared on the accessibility "
                                          "bus; there: %r" % (self.proc.pid, seen))
                    time.sleep(0.05)  # the registry has no event for a new application here
        return self._app

    # Leaves for the searches here: their children (a button's label) are
    # never what a test looks for, and skipping them halves the D-Bus calls.
    LEAF_ROLES = ("label", "push button", "toggle button", "check box", "radio button",
                  "text", "entry", "image", "spin button")

    def _walk(self, node, out, pred, depth=0):
        if node is None or depth > 60:
            return
        # GTK presents only visible widgets (the kiosk hides the screens not
        # shown), so everything in the tree is on the screen.
        try:
            role = node.getRoleName()
            name = node.name or ""
            count = node.childCount
        except Exception:
            return
        if depth == 1 and not _presented(node):
            return    # a window on its way out
        if pred(node, role, name):
            out.append(node)
        if role in self.LEAF_ROLES and depth > 0:
            return
        for i in range(count):
            try:
                child = node.getChildAtIndex(i)
            except Exception:
                continue
            self._walk(child, out, pred, depth + 1)

    def _index(self, fresh):
        """Every presented accessible as (node, role, name), walked once per
        screen (or again when asked: something looked for is not there yet)."""
        marks = self.mark_count()
        _pump()
        if fresh or self._tree is None or self._tree_marks != marks:
            out = []
            self._walk(self.app(), out, lambda n, r, nm: True)
            self._tree = []
            for n in out:
                try:
                    self._tree.append((n, n.getRoleName(), n.name or ""))
                except Exception:
                    continue
            self._tree_marks = marks
        return self._tree

    def find_all(self, name=None, role=None, contains=None, fresh=True):
        return [n for n, r, nm in self._index(fresh)
                if (role is None or r == role) and (name is None or nm == name)
                and (contains is None or contains in nm)]

    def find(self, name=None, role=None, contains=None, timeout=WAIT_S, cached=False):
        """The one presented accessible with this name (and role): waits
        until it is there (screens change asynchronously). cached: look in
        the tree as last walked on this screen first (filling a form)."""
        deadline = time.monotonic() + timeout
        fresh = not cached
        while True:
            found = self.find_all(name, role, contains, fresh=fresh)
            if role is None and len(found) > 1:
                # A button's label carries the button's name too.
                found = [n for n in found if n.getRoleName() != "label"] or found
            if len(found) == 1:
                try:
                    found[0].getState()    # still alive?
                    return found[0]
                except Exception:
                    found = []
            if len(found) > 1 and fresh and time.monotonic() > deadline:
                # Several for a while, not only while one window replaces
                # another (the old one leaves the bus a moment later).
                raise _fail(self, "%d accessibles named %r (%s) are showing"
                                 % (len(found), name or contains, role))
            if time.monotonic() > deadline:
                raise _fail(self, "no accessible named %r (%s) is showing; screen %s"
                                 % (name or contains, role, self.screen()))
            if fresh:
                time.sleep(0.05)  # polling the tree: AT-SPI gives no event for "shows now"
            fresh = True

    def wait_gone(self, name=None, role=None, contains=None, timeout=WAIT_S):
        """Wait until nothing so named is presented any more."""
        deadline = time.monotonic() + timeout
        while self.find_all(name, role, contains):
            if time.monotonic() > deadline:
                raise _fail(self, "%r is still showing; screen %s" % (name or contains, self.screen()))
            time.sleep(0.05)  # polling the tree: AT-SPI gives no event for "gone now"

    def click(self, name, role=None, timeout=WAIT_S, cached=False):
        """Press a button (or toggle) as a finger would: once it can be
        pressed. A control the kiosk has not enabled yet (a confirm key
        waiting for the last digit to arrive) is waited for, not skipped."""
        node = self.find(name, role, cached=cached)
        deadline = time.monotonic() + timeout
        while not node.getState().contains(pyatspi.STATE_SENSITIVE):
            if time.monotonic() > deadline:
                raise _fail(self, "%r never became pressable; screen %s" % (name, self.screen()))
            time.sleep(0.02)  # sensitivity changes send no event we can wait on here
        return self.press(node)

    def set_text(self, name, text, role=None, cached=False):
        node = self.find(name, role, cached=cached)
        node.queryEditableText().setTextContents(text)
        return node

    def find_in(self, parent, name=None, role=None, contains=None):
        """The one accessible under parent with this name (and role)."""
        out = []
        def pred(n, r, nm):
            return ((role is None or r == role) and (name is None or nm == name)
                    and (contains is None or contains in nm))
        self._walk(parent, out, pred)
        if role is None and len(out) > 1:
            out = [n for n in out if n.getRoleName() != "label"] or out
        if len(out) != 1:
            raise _fail(self, "%d accessibles named %r under %r" % (len(out), name or contains, parent.name))
        return out[0]

    def press(self, node):
        """Press an accessible already found (see click): through its
        accessible action, or, for controls GTK 4.8 gives none (check and
        radio buttons), by a real tap at its place (see tap)."""
        try:
            action = node.queryAction()
            n = action.nActions
        except NotImplementedError:
            n = 0
        if n == 0:
            return self.tap(node)
        # GtkButton ignores an activation while it still shows its previous
        # one as pressed (250 ms): a finger cannot press one key twice
        # faster either. Wait that out for a key pressed again.
        key = (node.parent.name if node.parent else None, node.name, node.getIndexInParent())
        last = self._pressed.get(key)
        if last is not None:
            left = 0.3 - (time.monotonic() - last)
            if left > 0:
                time.sleep(left)
        self._pressed[key] = time.monotonic()
        for i in range(n):
            if action.getName(i) in ("click", "press", "activate", "toggle"):
                action.doAction(i)
                return node
        action.doAction(0)
        return node

    def tap(self, node):
        """A real pointer click in the middle of node, as a finger taps it.
        When node lies outside the part of its scrolled page on the screen,
        the page is first scrolled with the wheel (a swipe), as a resident
        would. The kiosk's window has no window manager around it, so window
        and screen coordinates agree."""
        pane = node.parent
        while pane is not None and pane.getRoleName() != "scroll pane":
            pane = pane.parent
        for _ in range(200):
            ext = node.queryComponent().getExtents(pyatspi.WINDOW_COORDS)
            if ext.width <= 0 or ext.height <= 0:
                raise _fail(self, "%r has no place on the screen to tap" % node.name)
            cy = ext.y + ext.height // 2
            if pane is None:
                break
            view = pane.queryComponent().getExtents(pyatspi.WINDOW_COORDS)
            if view.y + 8 <= cy <= view.y + view.height - 8:
                break
            wheel = "5" if cy > view.y + view.height - 8 else "4"
            subprocess.run(["xdotool", "mousemove", str(view.x + view.width // 2),
                            str(view.y + view.height // 2), "click", wheel], check=True)
            self._settle()
        else:
            raise _fail(self, "could not scroll %r into view" % node.name)
        subprocess.run(["xdotool", "mousemove", str(ext.x + ext.width // 2), str(cy),
                        "click", "1"], check=True)
        self._settle()
        return node

    def _settle(self):
        """Let the kiosk handle what came before: an AT-SPI round trip is
        answered only after the events queued before it."""
        try:
            self.app().name
        except Exception:
            pass

    def set_text(self, name, text, role=None, cached=False):
        node = self.find(name, role, cached=cached)
        node.queryEditableText().setTextContents(text)
        return node

    def key_on(self, node, key):
        """Give node the focus (GTK scrolls it into view) and press a real
        key (xdotool) on it."""
        if not node.queryComponent().grabFocus():
            raise _fail(self, "%r cannot take the focus" % node.name)
        deadline = time.monotonic() + WAIT_S
        while not node.getState().contains(pyatspi.STATE_FOCUSED):
            if time.monotonic() > deadline:
                raise _fail(self, "%r never got the focus" % node.name)
            time.sleep(0.02)  # focus changes are not waited on as events here
        subprocess.run(["xdotool", "key", "--clearmodifiers", key], check=True)
        return node

    def fill_form(self, definition, form):
        """Answer the kiosk's form as a resident would, from the package
        form JSON ({"items", "groups"}) of a procedure definition (the
        catalogue's JSON): text into the fields named by their labels,
        choices and ticks pressed, the My Number on the field's own keypad."""
        fields = {}
        groups = {}
        for sec in definition["form"]["sections"]:
            for f in sec["fields"]:
                fields[f["id"]] = (f, sec)
            if "repeat" in sec:
                groups[sec["id"]] = sec
        def answer(fid, value, suffix=""):
            f, sec = fields[fid]
            label = f["label"] + suffix
            t = f["type"]
            if t == "date":
                y, m, d = value.split("-")
                self.set_text(label + ", year", y, cached=True)
                self.set_text(label + ", month", m, cached=True)
                self.set_text(label + ", day", d, cached=True)
            elif t == "select":
                choice = [c["label"] for c in f["choices"] if c["value"] == value][0]
                self.click("%s（%s）" % (choice, label), role="check box", cached=True)
            elif t == "checkbox":
                if value is True or value == "true":
                    self.click(label, role="check box", cached=True)
            elif f.get("check") == "my_number":
                pad = self.find("Keypad for “%s”" % label, cached=True)
                for digit in value:
                    self.press(self.find_in(pad, digit, role="push button"))
            else:
                self.set_text(label, str(value), role="text", cached=True)
        for fid, value in form.get("items", {}).items():
            answer(fid, value)
        for gid, entries in form.get("groups", {}).items():
            sec = groups[gid]
            label = sec.get("repeat", {}).get("entry_label", sec["title"])
            for i, entry in enumerate(entries, 1):
                for fid, value in entry.items():
                    answer(fid, value, "（%s %d）" % (label, i))

    def snap(self, path):
        """A screenshot of the whole X screen (ImageMagick's import), for
        looking at a failure."""
        subprocess.run(["import", "-window", "root", path], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return path

    def below_the_fold(self):
        """How many pixels of the screen shown lie below the bottom of its
        scroller (0 when it fits): what a resident would have to swipe up
        to reach. The outermost scroll pane is the screen's; its
        descendants a few levels down are the page and its parts."""
        panes = [n for n, r, nm in self._index(True) if r == "scroll pane"]
        if not panes:
            raise _fail(self, "no screen in a scroller is showing; screen %s" % self.screen())
        view = panes[0].queryComponent().getExtents(pyatspi.WINDOW_COORDS)
        bottom = view.y + view.height
        lowest = bottom
        level = [panes[0]]
        for _ in range(3):
            below = []
            for node in level:
                for i in range(node.childCount):
                    try:
                        child = node.getChildAtIndex(i)
                        ext = child.queryComponent().getExtents(pyatspi.WINDOW_COORDS)
                    except Exception:
                        continue
                    if ext.width > 0 and ext.height > 0:
                        lowest = max(lowest, ext.y + ext.height)
                    below.append(child)
            level = below
        return lowest - bottom

    def texts(self):
        """Every showing label's text (what the resident can read now)."""
        return [nm for n, r, nm in self._index(True) if r == "label" and nm]


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
