#!/usr/bin/python3
"""nfcenv - the software card behind an emulated PN532, for the real libnfc.

    with NfcEnv() as env:
        card = env.start_card("adult")            # waits for "ready PATH"
        env.mynacard("--nfc", card.connstring, "info")
        card.remove(); card.insert()              # each waits for the ack

`mynacard-vcard pn532` opens a pseudo-terminal, links it at a path of the
test's directory and speaks the PN532 UART protocol on it; libnfc opens it as
`pn532_uart:PATH`. The emulator says each state change on its standard
output ("ready PATH", "removed", "inserted"), and this module waits on those
lines, never on time. Only processes started here are stopped, all of them.
Needs no root.
"""

import os
import queue
import shutil
import signal
import subprocess
import tempfile
import threading

from pcscenv import (HarnessError, WAIT_S, apdu_lines, build_dir,
                     private_profile, stop_process)


class Pn532Card:
    """One `mynacard-vcard pn532` process: a card and its reader."""

    def __init__(self, env, profile, quirks=None, remove_after=None,
                 bad_checksum_after=None, stall_after=None):
        tag = len(env.cards)
        self.env = env
        self.link = os.path.join(env.dir, "pn532-%d" % tag)
        self.connstring = "pn532_uart:" + self.link
        self.apdu_log = os.path.join(env.dir, "pn532-apdu-%d.log" % tag)
        open(self.apdu_log, "a").close()
        args = [os.path.join(build_dir(), "drivers", "vcard", "mynacard-vcard"),
                "pn532", "--pty-link", self.link,
                "--profile", private_profile(profile, env.dir, tag),
                "--apdu-log", self.apdu_log]
        for opt, val in (("--quirks", quirks), ("--remove-after-apdus", remove_after),
                         ("--bad-checksum-after", bad_checksum_after),
                         ("--stall-after", stall_after)):
            if val is not None:
                args += [opt, str(val)]
        self.stderr_path = os.path.join(env.dir, "pn532-%d.err" % tag)
        self._err = open(self.stderr_path, "ab")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self._err)
        self.lines = queue.Queue()
        self.pump = threading.Thread(target=self._pump, daemon=True)
        self.pump.start()
        self.expect("ready")

    def _pump(self):
        for line in self.proc.stdout:
            self.lines.put(line.decode(errors="replace").strip())
        self.lines.put(None)

    def expect(self, word):
        """Wait for the emulator's next line to start with word."""
        try:
            line = self.lines.get(timeout=WAIT_S)
        except queue.Empty:
            raise HarnessError("pn532 emulator: no %r after %.0f s (see %s)"
                               % (word, WAIT_S, self.stderr_path))
        if line is None or not line.startswith(word):
            raise HarnessError("pn532 emulator: %r instead of %r (see %s)"
                               % (line, word, self.stderr_path))
        return line

    def apdus(self):
        return apdu_lines(self.apdu_log)

    def remove(self):
        """The card leaves the field."""
        self.proc.send_signal(signal.SIGUSR1)
        self.expect("removed")

    def insert(self):
        """The card is put back: the next poll finds it."""
        self.proc.send_signal(signal.SIGUSR2)
        self.expect("inserted")

    def stop(self):
        stop_process(self.proc)
        self.pump.join(timeout=WAIT_S)
        self.proc.stdout.close()
        self._err.close()


class NfcEnv:
    def __init__(self, keep=False):
        self.dir = tempfile.mkdtemp(prefix="myna-nfc-")
        self.keep = keep or os.environ.get("MYNA_KEEP_TEST_DIR") == "1"
        self.cards = []

    def start_card(self, profile="adult", **faults):
        card = Pn532Card(self, profile, **faults)
        self.cards.append(card)
        return card

    def environ(self):
        e = dict(os.environ)
        e["LC_ALL"] = "C.UTF-8"
        e.pop("LANG", None)
        # No libnfc device but the ones a test names.
        e.pop("LIBNFC_DEVICE", None)
        return e

    def run(self, args, input=None, timeout=60, env=None):
        return subprocess.run(args, input=input, capture_output=True,
                              env=env or self.environ(), timeout=timeout)

    def mynacard(self, *args, input=None, timeout=60):
        exe = os.path.join(build_dir(), "card", "cli", "mynacard")
        return self.run([exe] + list(args), input=input, timeout=timeout)

    def close(self):
        for card in self.cards:
            card.stop()
        self.cards = []
        if not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if exc[0] is not None:
            self.keep = True
            print("nfcenv: test directory kept: %s" % self.dir)
        self.close()
        return False
