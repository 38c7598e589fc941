#!/usr/bin/env python3
"""Write the seed corpora of fuzz_photo and fuzz_package
(tests/portal/package/corpus/<target>/seed-*).

    python3 tests/portal/package/mkseeds.py --pki build/pki

fuzz_photo seeds are baseline JPEGs assembled here byte by byte (the
standard library has no JPEG encoder): flat grey images whose every block is
"DC difference 0, end of block", with one-code Huffman tables, so that a
480x617 picture takes 3.5 KB. One is padded with a COM segment to pass
every hard rule; the others break one rule each (file size, colour space,
aspect ratio).

fuzz_package seeds are made by mkpackage.py from the given test PKI's adult
profile over the fixed files that fuzz_package.c builds its mode-1 ZIP
around; they carry that profile's (fictional, public) sign certificate and
no key. Mode 0: the whole ZIP (stored and deflated); mode 1: kousei.xml.

Only files named seed-* are rewritten.
"""
import argparse
import os
import struct
import subprocess
import sys
import tempfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
MKPACKAGE = os.path.join(HERE, "..", "mkpackage.py")

# Must match fuzz_package.c.
FORM_XML = b'<?xml version="1.0" encoding="UTF-8"?>\n<form/>\n'
JUMIN_PDF = b"%PDF-1.4\n%fuzz\n%%EOF\n"


def segment(marker, payload):
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def flat_jpeg(width, height, components, pad=0, adobe=None):
    """A baseline JPEG, every sample 128 (every block: DC 0, EOB)."""
    out = bytearray(b"\xff\xd8")
    if adobe is None:
        out += segment(0xE0, b"JFIF\0\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    else:
        # Adobe APP14: version 100, flags, transform (0: CMYK as is).
        out += segment(0xEE, b"Adobe" + struct.pack(">HHHB", 100, 0, 0,
                                                     adobe))
    if pad:
        out += segment(0xFE, b"x" * pad)
    out += segment(0xDB, b"\x00" + b"\x01" * 64)
    sof = struct.pack(">BHHB", 8, height, width, components)
    for c in range(components):
        sof += bytes([c + 1, 0x11, 0])
    out += segment(0xC0, sof)
    one_code = bytes([1] + [0] * 15)   # one code of length 1
    out += segment(0xC4, b"\x00" + one_code + b"\x00"     # DC: category 0
                   + b"\x10" + one_code + b"\x00")        # AC: EOB
    sos = bytes([components])
    for c in range(components):
        sos += bytes([c + 1, 0x00])
    out += segment(0xDA, sos + b"\x00\x3f\x00")
    blocks = ((width + 7) // 8) * ((height + 7) // 8) * components
    bits = 2 * blocks
    data = bytearray(bits // 8)
    if bits % 8:
        data.append((1 << (8 - bits % 8)) - 1)   # pad with 1 bits
    out += data
    out += b"\xff\xd9"
    return bytes(out)


def write(target, name, data):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def photo_seeds():
    write("fuzz_photo", "seed-good-480x617-padded",
          flat_jpeg(480, 617, 3, pad=17000))
    write("fuzz_photo", "seed-small-480x617", flat_jpeg(480, 617, 3))
    write("fuzz_photo", "seed-grey-480x617", flat_jpeg(480, 617, 1))
    write("fuzz_photo", "seed-cmyk-480x617", flat_jpeg(480, 617, 4, adobe=0))
    write("fuzz_photo", "seed-square-480x480", flat_jpeg(480, 480, 3))


def package_seeds(pki):
    with tempfile.TemporaryDirectory(prefix="mkseeds-") as work:
        form = os.path.join(work, "form.xml")
        pdf = os.path.join(work, "jumin.pdf")
        with open(form, "wb") as f:
            f.write(FORM_XML)
        with open(pdf, "wb") as f:
            f.write(JUMIN_PDF)
        for store in (True, False):
            out = os.path.join(work, "pkg.zip")
            cmd = [sys.executable, MKPACKAGE,
                   "--profile", os.path.join(pki, "profiles", "adult"),
                   "--proc-id", "P0001", "--form", form,
                   "--attach", "jumin_hyo", pdf, "住民票.pdf", "--out", out]
            if store:
                cmd.append("--store")
            subprocess.run(cmd, check=True)
            with open(out, "rb") as f:
                blob = f.read()
            write("fuzz_package",
                  "seed-zip-stored" if store else "seed-zip-deflated",
                  b"\x00" + blob)
            if store:
                with zipfile.ZipFile(out) as z:
                    kousei = z.read("kousei.xml")
                write("fuzz_package", "seed-kousei", b"\x01" + kousei)


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pki", required=True,
                   help="a test PKI folder (tests/pki/mkpki.py's output)")
    args = p.parse_args(argv)
    photo_seeds()
    package_seeds(args.pki)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
