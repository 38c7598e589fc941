"""probe - kiosk_session_probe driven line by line (kiosk-session-probe.c).

    p = Probe(["--source", "pcsc"], env=env.environ())
    p.expect("card-inserted")
    p.ask("begin", "begin ")          # -> "begin ok 3"

Every line the probe prints goes into a queue; expect() waits for the next
line starting with a prefix, keeping the lines it skips (events come in
between answers). Every wait has a bound (WAIT_S) that fails the test.
"""

import os
import queue
import subprocess
import threading

WAIT_S = 20.0


class ProbeError(AssertionError):
    pass


class Probe:
    def __init__(self, args, env):
        exe = os.environ.get("KIOSK_SESSION_PROBE")
        if not exe:
            raise ProbeError("KIOSK_SESSION_PROBE is not set: run the tests through ctest")
        self.proc = subprocess.Popen([exe] + list(args), stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, env=env)
        self.lines = queue.Queue()
        self.seen = []      # every line, for failure messages
        self.skipped = []   # lines expect() passed over, oldest first
        self.pump = threading.Thread(target=self._pump, daemon=True)
        self.pump.start()
        self.expect("ready")

    def _pump(self):
        for raw in self.proc.stdout:
            self.lines.put(raw.decode("utf-8", "replace").rstrip("\n"))
        self.lines.put(None)

    def send(self, line):
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def expect(self, prefix, timeout=WAIT_S):
        """The next line starting with prefix (earlier lines that match
        first); others are kept in skipped."""
        for i, line in enumerate(self.skipped):
            if line.startswith(prefix):
                del self.skipped[i]
                return line
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                raise ProbeError("probe: no line starting %r in %.0f s; seen: %r"
                                 % (prefix, timeout, self.seen[-20:]))
            if line is None:
                raise ProbeError("probe ended before %r; seen: %r" % (prefix, self.seen[-20:]))
            self.seen.append(line)
            if line.startswith(prefix):
                return line
            self.skipped.append(line)

    def ask(self, command, prefix=None):
        self.send(command)
        return self.expect(prefix or command.split()[0] + " ")

    def state(self):
        """state as a dict: present, service, kind (ints), reader."""
        line = self.ask("state")
        fields = dict(f.split("=", 1) for f in line[len("state "):].split(" ", 3))
        for k in ("present", "service", "kind"):
            fields[k] = int(fields[k])
        return fields

    def clear(self):
        """Forget the lines passed over so far."""
        self.skipped = []

    def close(self):
        if self.proc.poll() is None:
            try:
                self.send("quit")
                self.proc.stdin.close()
            except BrokenPipeError:
                pass
            try:
                code = self.proc.wait(timeout=WAIT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise ProbeError("probe did not end on quit")
        else:
            code = self.proc.returncode
        self.pump.join(timeout=WAIT_S)
        self.proc.stdout.close()
        return code
