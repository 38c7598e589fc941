"""p11client - a ctypes client of a PKCS#11 module, run as its own process
and driven step by step by a test.

The client script gets the module's path as argv[1], prints "KEY VALUE..."
lines and "ready" after each step, then waits for a line on its standard
input before the next. One process keeps one module instance across the
events a test makes between steps (a card removed, pcscd restarted)."""

import subprocess
import sys


def start(test, script, module, env, parse):
    """Start the client for unittest.TestCase `test` (which reaps it).
    Returns the process, step() -> {KEY: parse(KEY, VALUE...)} up to the next
    "ready", and go() to let it on."""
    p = subprocess.Popen([sys.executable, "-c", script, module],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=env)

    def reap():
        if p.poll() is None:
            p.kill()
        p.wait()
        for f in (p.stdin, p.stdout, p.stderr):
            f.close()
    test.addCleanup(reap)

    def step():
        out = {}
        while True:
            line = p.stdout.readline()
            test.assertTrue(line, p.stderr.read() if p.poll() is not None else "")
            if line.strip() == "ready":
                return out
            k, *rest = line.split()
            out[k] = parse(k, *rest)

    def go():
        p.stdin.write("\n")
        p.stdin.flush()
    return p, step, go
