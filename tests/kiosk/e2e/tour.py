#!/usr/bin/python3
"""tour.py - the kiosk's screen tour: mynaterm-kiosk in demo mode, driven
through AT-SPI through every screen, in one language or all six, with a
screenshot of each screen.

    tests/harness/with-xvfb --a11y -- /usr/bin/python3 tests/kiosk/e2e/tour.py \\
        --build build --language all --shots build/kiosk-screenshots/tour

The kiosk runs with --demo: the software card ([card] source=vcard, a copy of
the build's adult profile) is inserted and taken out with the demo bar's
toggle, as the demonstration shows it to a person. The portal is a local
portal-sim (tests/harness/portalenv.py), or, with --config, the one a kiosk
settings file names (scripts/demo.sh writes one and runs the tour in it).

The tour, per language:
  attract (Japanese, the default) -> the language chosen -> Search services
  -> search -> 児童手当の認定請求 -> procedure -> Apply with My Number Card ->
  card-wait -> the demo card inserted -> card-reading -> pin -> logging-in ->
  form (where applying without a card leads) -> End -> attract (take out the
  card) -> the card inserted again -> pin -> home -> Notices, Your
  applications, Your information, Exchange records -> Search and apply ->
  search -> procedure -> form, filled (mynatermenv.form_for("adult")) with a
  PDF attached -> review -> password -> submitting -> receipt (its arrival
  number checked against what the municipality received) -> Back to the
  menu -> home -> Your applications (the one just sent) -> End -> attract ->
  the card taken out -> Staff -> staff-pin -> admin -> Close -> attract.

Every name pressed or looked for comes from the kiosk's own catalogue for the
language (gettext on the build's locale directory); a message missing from a
catalogue fails the tour. Portal data (procedure titles, form questions) is
Japanese in every language and is used as it is.

With --shots DIR the kiosk writes a PNG of every screen once it is painted
(--screenshots); the tour numbers them in the order shown into
DIR/<lang>/NNN-<screen>-<lang>.png (the kiosk starts its own count again with
every new window, after a language change or the end of a session, so its
files are collected from DIR/<lang>/.kiosk as they come). The inner pages of
the home screen are not screens of their own: they are taken from the X
screen with kioskenv's snap() (ImageMagick import) once two shots in a row
agree, as NNN-home-<page>-<lang>.png. At the end every expected file is
checked: present, a whole and valid PNG, of the screen's size.

Exits non-zero on any failure; the last lines of the kiosk's log and
DIR/<lang>/FAILED.png tell what the screen showed.
"""

import argparse
import gettext
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import traceback
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(SRC, "tests", "harness"))

LANGUAGES = ("ja", "en", "zh_CN", "ko", "es", "pt_BR")
# The language buttons of the attract screen say each language in itself
# (kiosk-ui/core/kiosk-i18n.c): these names are the kiosk's data, not
# messages of a catalogue.
NATIVE = {"ja": "日本語", "en": "English", "zh_CN": "中文", "ko": "한국어",
          "es": "Español", "pt_BR": "Português"}

# Test values of the generated 'adult' profile (docs/test-pki.md).
AUTH_PIN = "1234"
SIGN_PASSWORD = "SIGN2026"
# The staff PIN of the tour's own settings (hashed with --hash-staff-pin).
TEST_STAFF_PIN = "24680"

PROC_ROW = "児童手当の認定請求, 群馬県 前橋市"   # search row: "<title>, <prefecture> <city>"
ATTACHMENT_ID = "kenkou_hoken"
SAMPLE_PDF = "hoken.pdf"
CATALOG = os.path.join(SRC, "portal-sim", "catalog", "data")

SCREEN_SIZE = (1280, 800)   # with-xvfb's screen, the kiosk window's default size
WAIT_S = 30.0

# Screens the kiosk must have shot in every language, and the inner home
# pages the tour shoots itself. The busy screens (card-reading, logging-in,
# submitting) are shot too when the kiosk shows them, but they often last
# less than a frame: their files are kept, not required.
# Screens that must fit without scrolling, with large text too: the card
# prompt, the keys of a PIN or password with their confirm key, and the
# receipt with its buttons.
FIT_SCREENS = ("card-wait", "pin", "password", "staff-pin", "receipt")

EXPECTED_SCREENS = ("attract", "search", "procedure", "card-wait", "pin", "form", "home",
                    "review", "password", "receipt", "staff-pin", "admin")
EXPECTED_SNAPS = ("home-ready", "home-notices", "home-applications", "home-selfinfo",
                  "home-records", "form-filled", "home-applications-sent")

SHOT_LINE = re.compile(r"screenshot (\S+\.png)$")
KIOSK_NAME = re.compile(r"^(\d{3})-(.+)-([A-Za-z_]+)\.png$")


class TourError(AssertionError):
    pass


# ---- PNG files ----

def png_read(path):
    """(width, height, pixel data) of a PNG file, after checking all of it:
    the signature, every chunk's CRC, IHDR first, IEND last, and IDAT
    inflating to exactly the rows that IHDR announces."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise TourError("%s: not a PNG file" % path)
    pos, chunks = 8, []
    while pos < len(data):
        if pos + 12 > len(data):
            raise TourError("%s: cut off inside a chunk" % path)
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if len(body) != length or pos + 12 + length > len(data):
            raise TourError("%s: cut off in chunk %r" % (path, kind))
        crc, = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        if zlib.crc32(kind + body) != crc:
            raise TourError("%s: bad CRC in chunk %r" % (path, kind))
        chunks.append((kind, body))
        pos += 12 + length
    if not chunks or chunks[0][0] != b"IHDR" or chunks[-1][0] != b"IEND":
        raise TourError("%s: IHDR or IEND missing" % path)
    width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}.get(ctype)
    if channels is None or width == 0 or height == 0:
        raise TourError("%s: unknown colour type %d or empty picture" % (path, ctype))
    try:
        pixels = zlib.decompress(b"".join(b for k, b in chunks if k == b"IDAT"))
    except zlib.error as e:
        raise TourError("%s: the image data does not inflate: %s" % (path, e))
    if interlace == 0:
        want = height * (1 + (width * depth * channels + 7) // 8)
        if len(pixels) != want:
            raise TourError("%s: %d bytes of rows, %dx%d needs %d" % (path, len(pixels), width,
                                                                    height, want))
    return width, height, pixels


# ---- the kiosk's words ----

C_FORMAT = re.compile(r"%(?:(\d+)\$)?([sdu%])")


def cformat(fmt, *args):
    """printf as the kiosk does it, for %s, %d, %u and %%, with the
    positional %1$s a translation may use to put words in its own order."""
    seq = iter(args)

    def one(m):
        if m.group(2) == "%":
            return "%"
        return str(args[int(m.group(1)) - 1] if m.group(1) else next(seq))
    return C_FORMAT.sub(one, fmt)


class Catalog:
    """The kiosk's messages in one language, from the build's catalogue."""

    def __init__(self, language, localedir):
        self.language = language
        if language == "en":
            self.tr = gettext.NullTranslations()
        else:
            try:
                self.tr = gettext.translation("mynaterm-kiosk", localedir=localedir,
                                              languages=[language])
            except OSError as e:
                raise TourError("no %s catalogue in %s: %s" % (language, localedir, e))

    def __call__(self, msgid):
        if self.language == "en":
            return msgid
        # The catalogue's own table: a message it lacks would show in English
        # on the kiosk, which the tour does not accept.
        if msgid not in self.tr._catalog:
            raise TourError("%r is not translated in the %s catalogue" % (msgid, self.language))
        return self.tr.gettext(msgid)


# ---- one language ----

class Tour:
    """One kiosk process shown through every screen in one language."""

    def __init__(self, args, language, portal, config, staff_pin, attachment):
        from kioskenv import Kiosk

        self.args = args
        self.language = language
        self.portal = portal
        self.staff_pin = staff_pin
        self.attachment = attachment
        self._ = Catalog(language, os.path.join(os.environ["MYNA_BUILD"], "locale"))
        self.work = tempfile.mkdtemp(prefix="myna-tour-%s-" % language)
        self.shots = os.path.join(args.shots, language) if args.shots else None
        self.raw = os.path.join(self.shots, ".kiosk") if self.shots else None
        self.taken = []          # (file name, screen) in the order shown
        self._seen_lines = 0
        kiosk_args = ["--demo"]
        if self.shots:
            if os.path.isdir(self.shots):
                shutil.rmtree(self.shots)
            os.makedirs(self.raw)
            kiosk_args += ["--screenshots", self.raw]
        tour = self

        class TourKiosk(Kiosk):
            """kioskenv's Kiosk, with the names that kioskenv.fill_form
            builds in English (the parts of a date, the My Number keypad)
            put in the tour's language through the catalogue."""

            def find(self, name=None, role=None, contains=None, **kw):
                return super().find(tour.localize(name), role, contains, **kw)

        self.k = TourKiosk(config, args=kiosk_args, workdir=self.work)
        if self.shots:
            self.k.failure_shot = os.path.join(self.shots, "FAILED.png")

    def localize(self, name):
        if name is None or self.language == "en":
            return name
        m = re.fullmatch(r"(.*), (year|month|day)", name, re.S)
        if m:
            return cformat(self._("%s, " + m.group(2)), m.group(1))
        m = re.fullmatch(r"Keypad for “(.*)”", name, re.S)
        if m:
            return cformat(self._("Keypad for “%s”"), m.group(1))
        return name

    # -- screenshots --

    def collect(self):
        """Move the kiosk's screenshots written since the last call into the
        tour's numbering, in the order the kiosk wrote them."""
        if not self.shots:
            return
        with self.k.cond:
            lines = self.k.lines[self._seen_lines:]
            self._seen_lines += len(lines)
        paths = []
        for line in lines:
            if "could not write the screenshot" in line:
                raise TourError("the kiosk could not write a screenshot: %s" % line)
            m = SHOT_LINE.search(line)
            if m:
                paths.append(m.group(1))
        if len(set(paths)) != len(paths):
            raise TourError("a screenshot was overwritten before the tour took it: %r" % paths)
        for path in paths:
            m = KIOSK_NAME.match(os.path.basename(path))
            if not m or not os.path.isfile(path):
                raise TourError("the kiosk named a screenshot that is not there: %s" % path)
            self._file(path, m.group(2), m.group(3))

    def _file(self, path, screen, language=None):
        """The next number's file for screen: path moved there, or (None)
        its name to write to."""
        name = "%03d-%s-%s.png" % (len(self.taken) + 1, screen, language or self.language)
        dest = os.path.join(self.shots, name)
        if path:
            os.replace(path, dest)
        self.taken.append((name, screen))
        return dest

    def snap(self, screen):
        """A shot of what is on the X screen now (an inner page of home),
        taken once two shots in a row agree: the page is drawn and still."""
        if not self.shots:
            return
        self.collect()
        a = os.path.join(self.work, "snap-a.png")
        b = os.path.join(self.work, "snap-b.png")
        deadline = time.monotonic() + WAIT_S
        self.k.snap(a)
        while True:
            self.k.snap(b)
            if png_read(a)[2] == png_read(b)[2]:
                break
            if time.monotonic() > deadline:
                raise TourError("the screen never kept still for a shot of %s" % screen)
            os.replace(b, a)
        os.replace(b, self._file(None, screen))
        os.unlink(a)

    def check_shots(self):
        """Every expected file present, whole and of the screen's size."""
        if not self.shots:
            return
        self.collect()
        left = os.listdir(self.raw)
        if left:
            raise TourError("screenshots the kiosk did not report: %r" % left)
        os.rmdir(self.raw)
        screens = [s for _, s in self.taken]
        missing = [s for s in EXPECTED_SCREENS + EXPECTED_SNAPS if s not in screens]
        if missing:
            raise TourError("no screenshot of %s in %s" % (", ".join(missing), self.shots))
        on_disk = sorted(f for f in os.listdir(self.shots) if f.endswith(".png"))
        if on_disk != sorted(n for n, _ in self.taken):
            raise TourError("%s holds %r, the tour took %r" % (self.shots, on_disk, self.taken))
        for name, _ in self.taken:
            w, h, _ = png_read(os.path.join(self.shots, name))
            if (w, h) != SCREEN_SIZE:
                raise TourError("%s is %dx%d, not %dx%d" % ((name, w, h) + SCREEN_SIZE))

    # -- steps --

    def screen(self, action, name, timeout=WAIT_S):
        """Do action, then wait until screen name is painted after it."""
        n = self.k.mark_count()
        action()
        self.k.wait_screen(name, since=n, timeout=timeout)
        self.collect()
        if name == "attract":
            self.one_window()
        if name in FIT_SCREENS:
            over = self.k.below_the_fold()
            if over > 0:
                raise TourError("the %s screen does not fit: %d px of it are below the "
                                "bottom of the screen" % (name, over))

    def one_window(self):
        """Wait until the window a new one replaced (a language chosen, a
        session ended) is gone from the accessible tree too, so that names
        are unique again."""
        from kioskenv import _pump
        deadline = time.monotonic() + WAIT_S
        while True:
            _pump()
            app = self.k.app()
            frames = []
            for i in range(app.childCount):
                try:
                    w = app.getChildAtIndex(i)
                    if w is not None and w.getRoleName() == "frame":
                        frames.append(w)
                except Exception:
                    continue
            if len(frames) == 1:
                return
            if time.monotonic() > deadline:
                raise TourError("%d kiosk windows are still showing" % len(frames))
            time.sleep(0.05)  # polling the tree: AT-SPI gives no event for "gone now"

    def press(self, msgid, role=None):
        return self.k.click(self._(msgid), role=role)

    def wait_any(self, what, choices, timeout=WAIT_S):
        """Wait until one of (name, role, contains) is showing; fail at
        once when the page shows the portal's error instead."""
        deadline = time.monotonic() + timeout
        retry = self._("Try again")
        while True:
            for name, role, contains in choices:
                if self.k.find_all(name=name, role=role, contains=contains):
                    return name or contains
            if self.k.find_all(name=retry, role="push button"):
                raise TourError("%s: the page shows an error: %r" % (what, self.k.texts()[-6:]))
            if time.monotonic() > deadline:
                raise TourError("%s never showed; screen %s" % (what, self.k.screen()))
            time.sleep(0.05)  # polling the tree: AT-SPI gives no event for "shows now"

    def choose_language(self):
        """On the attract screen (Japanese for every new resident): the
        tour's language, as a resident chooses it."""
        if self.language != "ja":
            self.screen(lambda: self.k.click(NATIVE[self.language], role="push button"),
                        "attract")
        self.k.find(self._("Staff"), role="push button")   # in the tour's language now

    def log_in(self):
        """The demo card goes in; the PIN on the keypad."""
        self.screen(lambda: self.press("Insert the demo card"), "pin")
        for d in AUTH_PIN:
            self.k.click(d, role="push button")

    def inner_page(self, tile, shot, choices):
        self.press(tile, role="push button")
        self.wait_any(tile, choices)
        self.snap(shot)
        self.press("Back", role="push button")
        self.k.find(self._("Search and apply"), role="push button")

    def open_procedure(self):
        self.screen(lambda: self.k.click(PROC_ROW, role="push button"), "procedure")
        self.k.find(self._("Apply with My Number Card"), role="push button")

    def run(self):
        _ = self._
        k = self.k
        k.start()
        k.wait_screen("attract")
        self.collect()
        self.one_window()
        self.choose_language()

        # Without a card: search, the procedure, applying asks for the card.
        self.screen(lambda: self.press("Search services"), "search")
        self.open_procedure()
        self.screen(lambda: self.press("Apply with My Number Card"), "card-wait")
        self.log_in()
        self.screen(lambda: self.press("Log in"), "form")
        k.find(_("Next"), role="push button")
        # The resident leaves: everything is cleared, the card is still in.
        self.screen(lambda: self.press("End", role="push button"), "attract")
        self.choose_language()
        self.press("Take out the demo card")

        # With the card from the start: home and its four pages.
        self.log_in()
        self.screen(lambda: self.press("Log in"), "home")
        # The tiles count notices and applications once the portal answers.
        loading = _("Loading…")
        deadline = time.monotonic() + WAIT_S
        while k.find_all(name=loading, role="label"):
            if time.monotonic() > deadline:
                raise TourError("the tiles of home never stopped loading")
            time.sleep(0.05)  # polling the tree: AT-SPI gives no event for "gone now"
        self.snap("home-ready")
        self.inner_page("Notices", "home-notices",
                        [(_("List of notices"), "list", None),
                         (_("You have no notices."), "label", None)])
        self.inner_page("Your applications", "home-applications",
                        [(_("List of your applications"), "list", None),
                         (_("You have sent no applications."), "label", None)])
        self.inner_page("Your information", "home-selfinfo",
                        [(_("Kinds of information about you"), "list", None),
                         (_("The portal holds no information about you to show here."),
                          "label", None)])
        self.inner_page("Exchange records", "home-records",
                        [(_("Exchange records"), "list", None),
                         (_("No office has asked for information about you."), "label", None)])

        # Applying: search from home, the form, a document, review, signature.
        from mynatermenv import PROC, Municipality, form_for
        muni = Municipality(self.portal)
        self.screen(lambda: self.press("Search and apply", role="push button"), "search")
        self.open_procedure()
        self.screen(lambda: self.press("Apply with My Number Card"), "form")
        with open(os.path.join(CATALOG, PROC + ".json"), encoding="utf-8") as f:
            definition = json.load(f)
        form = form_for("adult")
        # A telephone number of its own per language: each language's
        # application is a package of its own, not one the portal already
        # has (it answers the same package again with the first receipt).
        form["items"]["applicant_phone"] = "027-224-%04d" % (1111 + LANGUAGES.index(self.language))
        k.fill_form(definition, form)
        title = [a["title"] for a in definition["attachments"] if a["id"] == ATTACHMENT_ID][0]
        self.k.click(cformat(_("Choose a file for “%s”"), title))
        self.k.click(os.path.basename(self.attachment))
        k.find(cformat(_("Remove %s from “%s”"), os.path.basename(self.attachment), title))
        self.snap("form-filled")
        self.screen(lambda: self.press("Next", role="push button"), "review")
        self.screen(lambda: self.press("Sign and send", role="push button"), "password")
        for ch in SIGN_PASSWORD:
            k.click(ch, role="push button")
        self.screen(lambda: self.press("Sign and send", role="push button"), "receipt",
                    timeout=60)
        # The arrival number on the receipt (16 digits, also the
        # municipality's 受付番号) is one the municipality received.
        shown = [t for t in k.texts() if re.fullmatch(r"[0-9]{16}", t)]
        if len(shown) != 1:
            raise TourError("the receipt shows no single arrival number: %r" % k.texts())
        arrive_id = shown[0]
        deadline = time.monotonic() + WAIT_S
        while arrive_id not in {a["receipt_no"] for a in muni.all_applications()}:
            if time.monotonic() > deadline:
                raise TourError("the municipality never received application %s" % arrive_id)
            time.sleep(0.1)  # the portal's own state: polled, bounded

        # The application is in the resident's list now.
        self.screen(lambda: self.press("Back to the menu", role="push button"), "home")
        self.press("Your applications", role="push button")
        self.wait_any("the application sent", [(None, "push button", arrive_id)])
        self.snap("home-applications-sent")
        self.screen(lambda: self.press("End", role="push button"), "attract")

        # The staff view, with the card taken out.
        self.choose_language()
        self.press("Take out the demo card")
        k.find(_("Insert the demo card"))
        self.screen(lambda: self.press("Staff", role="push button"), "staff-pin")
        for d in self.staff_pin:
            k.click(d, role="push button")
        self.screen(lambda: self.press("Open", role="push button"), "admin")
        # The staff view knows the demonstration card and the application
        # this tour delivered.
        k.find(contains=_("Software card (demonstration)"))
        k.find(_("Delivered today"))
        self.screen(lambda: self.press("Close", role="push button"), "attract")
        self.check_shots()

    def close(self):
        self.k.stop()
        shutil.rmtree(self.work, ignore_errors=True)


# ---- the portal and the settings ----

def read_config(path):
    """The kiosk settings file as {section: {key: value}} (GKeyFile syntax
    as the tour needs it: sections, key=value, # comments)."""
    out, section = {}, None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("[") and line.endswith("]"):
                section = out.setdefault(line[1:-1], {})
            elif "=" in line and section is not None:
                key, value = line.split("=", 1)
                section[key.strip()] = value.strip()
    return out


def attached_portal(url, ca):
    """A PortalEnv for a portal-sim that someone else started."""
    from portalenv import PortalEnv

    class Attached(PortalEnv):
        @property
        def ca(self):
            return ca

        def start(self):
            raise TourError("the portal at %s was started by someone else" % url)

    p = Attached()
    p.url = url
    return p


def hash_staff_pin(pin):
    from kioskenv import kiosk_exe
    r = subprocess.run([kiosk_exe(), "--hash-staff-pin"], input=pin + "\n",
                       capture_output=True, text=True, timeout=60)
    m = re.search(r"^staff-pin-hash=(\S+)$", r.stdout, re.M)
    if r.returncode != 0 or not m:
        raise TourError("mynaterm-kiosk --hash-staff-pin failed: %s" % r.stderr)
    return m.group(1)


def own_settings(work, portal, large_text=False):
    """The tour's own kiosk settings: a copy of the adult card, a folder
    with a PDF to attach, a staff PIN."""
    from kioskenv import write_config
    from pcscenv import pki_dir
    card = os.path.join(work, "card")
    shutil.copytree(os.path.join(pki_dir(), "profiles", "adult"), card)
    docs = os.path.join(work, "documents")
    os.makedirs(docs)
    pdf = os.path.join(docs, SAMPLE_PDF)
    with open(pdf, "wb") as f:
        f.write(b"%PDF-1.4\n% a copy of the health insurance card (demo)\n%%EOF\n")
    conf = write_config(os.path.join(work, "kiosk.conf"), portal, source="vcard",
                        vcard_profile=os.path.join(card, "profile.ini"),
                        outbox=os.path.join(work, "outbox"), attachment_dirs=[docs],
                        staff_pin_hash=hash_staff_pin(TEST_STAFF_PIN), large_text=large_text)
    return conf, TEST_STAFF_PIN, pdf


def given_settings(path):
    """Settings written by the caller (scripts/demo.sh): the portal they
    name, the first PDF of their attachment folders, the staff PIN from
    MYNA_TOUR_STAFF_PIN."""
    cfg = read_config(path)
    portal = attached_portal(cfg["portal"]["url"], cfg["portal"]["ca-file"])
    pdfs = []
    for d in cfg.get("ui", {}).get("attachment-dirs", "").split(";"):
        if d and os.path.isdir(d):
            pdfs += sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".pdf"))
    if not pdfs:
        raise TourError("%s: no PDF in [ui] attachment-dirs to attach" % path)
    pin = os.environ.get("MYNA_TOUR_STAFF_PIN")
    if not pin or "staff-pin-hash" not in cfg.get("ui", {}):
        raise TourError("%s: needs [ui] staff-pin-hash, and MYNA_TOUR_STAFF_PIN its PIN" % path)
    return portal, pin, pdfs[0]


def main(argv=None):
    ap = argparse.ArgumentParser(description="The kiosk's screen tour in demo mode.")
    ap.add_argument("--language", default="en",
                    help="one of %s, several with commas, or all (default en)"
                         % ", ".join(LANGUAGES))
    ap.add_argument("--shots", help="write the screenshots into DIR/<language>/")
    ap.add_argument("--build", default=os.environ.get("MYNA_BUILD"),
                    help="the build tree (default $MYNA_BUILD)")
    ap.add_argument("--config", help="kiosk settings to use (default: the tour's own, "
                                     "with a portal-sim of its own)")
    ap.add_argument("--large-text", action="store_true",
                    help="start every session with large text (the tour's own settings)")
    args = ap.parse_args(argv)
    if not args.build:
        ap.error("give --build DIR or set MYNA_BUILD")
    os.environ["MYNA_BUILD"] = os.path.abspath(args.build)
    os.environ.setdefault("MYNA_TEST_PKI", os.path.join(os.environ["MYNA_BUILD"], "pki"))
    languages = LANGUAGES if args.language == "all" else tuple(args.language.split(","))
    for lang in languages:
        if lang not in LANGUAGES:
            ap.error("--language %s: not one of %s or all" % (lang, ", ".join(LANGUAGES)))
    if args.shots:
        args.shots = os.path.abspath(args.shots)
        os.makedirs(args.shots, exist_ok=True)
    if not os.environ.get("DISPLAY"):
        ap.error("no DISPLAY: run the tour under tests/harness/with-xvfb --a11y")

    from portalenv import PortalEnv
    work = tempfile.mkdtemp(prefix="myna-tour-")
    portal = None
    results = []
    try:
        if args.config:
            portal, staff_pin, pdf = given_settings(args.config)
            config = os.path.abspath(args.config)
        else:
            portal = PortalEnv().start()
            config, staff_pin, pdf = own_settings(work, portal, args.large_text)
        for lang in languages:
            start = time.monotonic()
            ok = False
            tour = Tour(args, lang, portal, config, staff_pin, pdf)
            try:
                tour.run()
                ok = True
            except Exception:
                traceback.print_exc()
                print("tour %s: FAILED on screen %s; the kiosk's last lines:\n%s"
                      % (lang, tour.k.screen(), "\n".join(tour.k.log().splitlines()[-25:])),
                      file=sys.stderr)
            finally:
                tour.close()
            secs = time.monotonic() - start
            results.append((lang, ok, secs, len(tour.taken)))
            print("tour %-5s %s in %5.1f s, %d screenshots%s"
                  % (lang, "ok    " if ok else "FAILED", secs, len(tour.taken),
                     " in " + tour.shots if tour.shots else ""), flush=True)
    finally:
        if portal is not None:
            portal.close()
        shutil.rmtree(work, ignore_errors=True)
    passed = sum(1 for r in results if r[1])
    print("tour: %d passed, %d failed" % (passed, len(results) - passed))
    return 0 if passed == len(results) == len(languages) else 1


if __name__ == "__main__":
    sys.exit(main())
