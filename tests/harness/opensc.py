"""opensc - what the PC/SC tests and the benchmark need to drive OpenSC, the
independent implementation they compare the software card and mynacard
against: its PKCS#11 module and parsers of pkcs11-tool's listings."""

import re

MODULE = "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so"


def parse_slots(text):
    """pkcs11-tool -L: [{"reader": ..., "token label": ..., ...}, ...]."""
    slots = []
    for line in text.splitlines():
        m = re.match(r"Slot \d+ \(0x[0-9a-f]+\): (.*)$", line)
        if m:
            slots.append({"reader": m.group(1).strip()})
            continue
        m = re.match(r"\s+([a-z /#]+?)\s*: (.*)$", line)
        if m and slots:
            slots[-1][m.group(1)] = m.group(2).strip()
    return slots


def parse_objects(text):
    """pkcs11-tool -O: [{"kind": "Certificate Object", "label": ..., "ID": ...}]."""
    objs = []
    for line in text.splitlines():
        if not line.strip():
            continue
        if not line[0].isspace():
            objs.append({"kind": line.split(";")[0].strip()})
            continue
        m = re.match(r"\s+([A-Za-z_]+):\s+(.*)$", line)
        if m and objs:
            objs[-1][m.group(1)] = m.group(2).strip()
    return objs
