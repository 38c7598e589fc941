#!/usr/bin/env python3
"""Write the seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/).

    python3 tests/fuzz/mkseeds.py            # rewrite every seed-* file

Seeds are small, deterministic and made of synthetic data: certificates are
DER-shaped stand-ins (the library only sizes them from their header), the
signatures are fixed bytes, and the only personal-looking values are the
fictional ones of the generated test profile (tests/pki/mkpki.py, "adult").
The JPEG 2000 seeds need opj_compress (Debian: libopenjp2-tools).

Only files named seed-* are rewritten; anything else in a corpus folder (a
crash kept as a regression input, see docs/fuzzing.md) is left alone.
"""
import hashlib
import os
import struct
import subprocess
import sys
import tempfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")

# The fictional holder of the test profile "adult" (tests/pki/mkpki.py).
PIN = b"1234"
SIGN_PASSWORD = b"SIGN2026"
MY_NUMBER = b"403782176940"
VERIFICATION_B = b"55021720352285"
NAME = "高橋　健太".encode()
ADDRESS = "群馬県前橋市千代田町二丁目３番１５号".encode()
BIRTH = b"19800217"
SEX = b"1"
EXPIRY = b"20350217"

AID_JPKI = bytes.fromhex("D392F000260100000001")
AID_TEXT = bytes.fromhex("D3921000310001010408")
AID_FACE = bytes.fromhex("D3921000310001010402")


def pseudo(label, n):
    """n deterministic bytes that look random."""
    out = b""
    i = 0
    while len(out) < n:
        out += hashlib.sha256(f"{label}/{i}".encode()).digest()
        i += 1
    return out[:n]


def ber_len(n):
    if n < 0x80:
        return bytes([n])
    if n <= 0xFF:
        return bytes([0x81, n])
    if n <= 0xFFFF:
        return bytes([0x82, n >> 8, n & 0xFF])
    return bytes([0x83, n >> 16, (n >> 8) & 0xFF, n & 0xFF])


def tlv(tag, value):
    t = tag.to_bytes(1 if tag <= 0xFF else 2, "big")
    return t + ber_len(len(value)) + value


def fake_cert(label, size):
    """A DER SEQUENCE { SEQUENCE { INTEGER, UTF8String, OCTET STRING },
    SEQUENCE { OID }, BIT STRING } of about `size` bytes."""
    sig_alg = tlv(0x30, tlv(0x06, bytes.fromhex("2A864886F70D01010B")) +
                  b"\x05\x00")
    sig = tlv(0x03, b"\x00" + pseudo(label + "/sig", 64))
    head = tlv(0x02, b"\x01" + pseudo(label + "/serial", 7)) + \
        tlv(0x0C, label.encode())
    pad = max(0, size - 12 - len(head) - len(sig_alg) - len(sig))
    tbs = tlv(0x30, head + tlv(0x04, pseudo(label + "/body", pad)))
    return tlv(0x30, tbs + sig_alg + sig)


def record(items):
    """FF20 { DF21 offset table, items... } as the software card lays it out
    (drivers/vcard/src/files.c)."""
    base = 3 + 2 * len(items)
    body = b""
    table = b""
    for tag, value in items:
        if value is None:
            table += b"\xFF\xFF"
            continue
        table += struct.pack(">H", base + len(body))
        body += tlv(tag, value)
    content = tlv(0xDF21, table) + body
    return tlv(0xFF20, content)


def tiny_png(w, h):
    """A 1-bit greyscale PNG, like the card's name and address images."""
    def chunk(kind, data):
        c = kind + data
        return struct.pack(">I", len(data)) + c + \
            struct.pack(">I", zlib.crc32(c) & 0xFFFFFFFF)
    row = (w + 7) // 8
    raw = b"".join(b"\x00" + bytes([0xAA if y % 2 else 0x55]) * row
                   for y in range(h))
    return (b"\x89PNG\r\n\x1a\n" +
            chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 1, 0, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def jpeg2000_images():
    """Small JP2 and J2K images made with opj_compress, by name."""
    out = {}
    with tempfile.TemporaryDirectory() as d:
        grey = os.path.join(d, "grey.pgm")
        with open(grey, "wb") as f:
            f.write(b"P5\n16 16\n255\n" +
                    bytes((x * 16 + y * 3) & 0xFF for y in range(16)
                          for x in range(16)))
        rgb = os.path.join(d, "rgb.ppm")
        with open(rgb, "wb") as f:
            f.write(b"P6\n8 8\n255\n" +
                    bytes(v for y in range(8) for x in range(8)
                          for v in (x * 32, y * 32, 128)))
        # few resolutions: the default 6 does not fit 16 or 8 pixels
        jobs = [("grey16.jp2", grey, ["-n", "3"]),
                ("grey16.j2k", grey, ["-n", "3"]),
                ("grey16-lossy.jp2", grey, ["-n", "3", "-r", "20"]),
                ("rgb8.jp2", rgb, ["-n", "3"]),
                ("rgb8-tiles.j2k", rgb, ["-t", "4,4", "-n", "2"])]
        for name, src, extra in jobs:
            dst = os.path.join(d, name)
            subprocess.run(["opj_compress", "-i", src, "-o", dst] + extra,
                           check=True, stdout=subprocess.DEVNULL)
            with open(dst, "rb") as f:
                out[name] = f.read()
    return out


# ---- APDUs -----------------------------------------------------------------

def apdu(cla, ins, p1, p2, data=b"", le=None, extended=False):
    a = bytes([cla, ins, p1, p2])
    if extended:
        if data:
            a += b"\x00" + struct.pack(">H", len(data)) + data
            if le is not None:
                a += struct.pack(">H", le & 0xFFFF)
        elif le is not None:
            a += b"\x00" + struct.pack(">H", le & 0xFFFF)
        return a
    if data:
        a += bytes([len(data)]) + data
    if le is not None:
        a += bytes([le & 0xFF])
    return a


def select_ap(aid):
    return apdu(0x00, 0xA4, 0x04, 0x0C, aid)


def select_ef(fid):
    return apdu(0x00, 0xA4, 0x02, 0x0C, struct.pack(">H", fid))


def read_binary(offset, le, extended=False):
    return apdu(0x00, 0xB0, offset >> 8, offset & 0xFF, le=le,
                extended=extended)


def verify(data=b""):
    return apdu(0x00, 0x20, 0x00, 0x80, data)


def sign_cmd(di):
    return apdu(0x80, 0x2A, 0x00, 0x80, di, le=256)


def get_response(le):
    return apdu(0x00, 0xC0, 0x00, 0x00, le=le)


DI_SHA256 = bytes.fromhex("3031300D060960864801650304020105000420") + \
    bytes([0xA5] * 32)


def chunks(parts):
    out = b""
    for p in parts:
        if isinstance(p, int):  # a transport failure code
            out += struct.pack(">H", p)
        else:
            out += struct.pack(">H", len(p)) + p
    return out


# ---- the card of the seeds -------------------------------------------------

CERT_AUTH = fake_cert("JPKI auth (test)", 620)
CERT_AUTH_CA = fake_cert("JPKI auth CA (test)", 300)
CERT_SIGN = fake_cert("JPKI sign (test)", 700)
CERT_SIGN_CA = fake_cert("JPKI sign CA (test)", 280)
TOKEN_INFO = b"JPKIAPICCTOKEN2".ljust(32, b" ") + bytes(128)
MY_NUMBER_EF = tlv(0xFF10, MY_NUMBER) + b"\xFF\xFF"
BASIC_INFO_EF = record([(0xDF22, NAME), (0xDF23, ADDRESS), (0xDF24, BIRTH),
                        (0xDF25, SEX)])


def face_ef(photo):
    return record([(0xDF22, BIRTH), (0xDF23, SEX),
                   (0xDF24, tlv(0x30, pseudo("spki", 40))),
                   (0xDF25, tiny_png(16, 4)), (0xDF26, tiny_png(24, 6)),
                   (0xDF27, photo), (0xDF28, pseudo("face-signature", 256)),
                   (0xDF29, EXPIRY), (0xDF2A, tiny_png(8, 2))])


class Card:
    """Answers to the commands of fuzz_card_responses' flows, in order."""

    def __init__(self, extended, t0=False, refuse_extended=False):
        self.extended = extended
        self.t0 = t0
        self.refuse_extended = refuse_extended
        self.parts = []

    def ok(self):
        self.parts.append(b"\x90\x00")

    def sw(self, sw):
        self.parts.append(struct.pack(">H", sw))

    def fail(self, code):
        self.parts.append(code)

    def data(self, d):
        if self.t0 and 0 < len(d) <= 256:
            self.parts.append(bytes([0x61, len(d) & 0xFF]))
        self.parts.append(d + b"\x90\x00")

    def read(self, content):
        """Myna_read_object_ef: one extended READ BINARY, or 256-byte
        chunks."""
        if self.extended and self.refuse_extended:
            self.sw(0x6700)
            self.extended = False
        if self.extended:
            self.data(content)
            return
        self.data(content[:256])
        off = 256
        while off < len(content):
            n = min(256, len(content) - off)
            self.data(content[off:off + n])
            off += n

    def encode(self, mode):
        return bytes([mode]) + chunks(self.parts)


def full_flow(card, photo, sign_present=True):
    """Every answer the card gives in fuzz_card_responses' flows when all
    goes well."""
    c = card
    # JPKI: token label, availability, three free certificates
    c.ok(); c.ok(); c.data(TOKEN_INFO[:32])
    c.ok(); c.data(b"\x8F" + (b"\x8F" if sign_present else b"\x00") + b"\x00")
    c.ok(); c.read(CERT_AUTH)
    c.ok(); c.read(CERT_AUTH_CA)
    c.ok(); c.read(CERT_SIGN_CA)
    # counters
    c.ok(); c.sw(0x63C3)
    if sign_present:
        c.ok(); c.sw(0x63C5)
    # auth PIN (its EF is still selected when the card has no sign side),
    # auth signature
    if sign_present:
        c.ok()
    c.ok()
    c.ok(); c.data(pseudo("sig-auth", 256))
    if sign_present:
        # sign password, sign certificate, two signatures
        c.ok(); c.ok()
        c.ok(); c.read(CERT_SIGN)
        c.ok(); c.data(pseudo("sig-sign-1", 256))
        c.data(pseudo("sig-sign-512", 256))
    # auth PIN change
    c.ok(); c.ok()
    # text AP
    c.ok(); c.ok(); c.sw(0x63C3)
    c.ok()
    c.ok(); c.read(MY_NUMBER_EF)
    c.ok(); c.read(BASIC_INFO_EF)
    # face AP: counter, 照合番号B, read; 照合番号A, read
    face = face_ef(photo)
    c.ok(); c.ok(); c.sw(0x63CA)
    c.ok()
    c.ok(); c.read(face)
    c.ok(); c.ok()
    c.ok(); c.read(face)
    # after the reset
    c.ok(); c.ok(); c.read(CERT_AUTH)


def card_response_seeds(photo):
    seeds = {}
    c = Card(extended=True)
    full_flow(c, photo)
    seeds["seed-extended"] = c.encode(0x01)
    c = Card(extended=False)
    full_flow(c, photo)
    seeds["seed-short"] = c.encode(0x00)
    c = Card(extended=False)
    full_flow(c, photo)
    seeds["seed-no-caps"] = c.encode(0x08)
    c = Card(extended=True)
    full_flow(c, photo)
    seeds["seed-extended-trace"] = c.encode(0x05)
    c = Card(extended=False)
    full_flow(c, photo)
    seeds["seed-forbid-extended"] = c.encode(0x03)
    c = Card(extended=False, t0=True)
    full_flow(c, photo)
    seeds["seed-t0"] = c.encode(0x00)
    c = Card(extended=True, refuse_extended=True)
    full_flow(c, photo)
    seeds["seed-extended-refused"] = c.encode(0x01)
    c = Card(extended=True)
    full_flow(c, photo, sign_present=False)
    seeds["seed-no-sign"] = c.encode(0x01)

    # Failures: no token info, 6Cxx on availability, wrong PIN, blocked
    # password, a removed card in the middle.
    c = Card(extended=True)
    c.ok(); c.ok(); c.sw(0x6A82)
    c.ok(); c.sw(0x6C03); c.data(b"\x8F\x8F\x00")
    c.ok(); c.read(CERT_AUTH[:100])           # shorter than its header says
    c.ok(); c.sw(0x6A82)
    c.ok(); c.sw(0x6982)
    c.ok(); c.sw(0x63C2)
    c.ok(); c.sw(0x6983)
    c.ok(); c.sw(0x63C1)                      # wrong auth PIN
    c.ok(); c.sw(0x6984)                      # blocked sign password
    c.fail(0xFFFF)                            # card removed on SELECT
    c.ok(); c.ok(); c.sw(0x63C0)
    seeds["seed-errors"] = c.encode(0x05)
    return seeds


# ---- the software card's seeds ---------------------------------------------

def vcard_seeds():
    def seq(mode, *cmds):
        return bytes([mode]) + chunks(cmds)

    s = {}
    s["seed-jpki"] = seq(
        0x00,
        select_ap(AID_JPKI),
        select_ef(0x0006), read_binary(0, 32),
        select_ef(0x0008), read_binary(0, 3),
        select_ef(0x000A), read_binary(0, 65536, extended=True),
        select_ef(0x0018), verify(), verify(PIN),
        select_ef(0x0017), sign_cmd(DI_SHA256),
        select_ef(0x001B), verify(SIGN_PASSWORD),
        select_ef(0x0001), read_binary(0, 256), read_binary(256, 256),
        select_ef(0x001A), sign_cmd(DI_SHA256))
    s["seed-text"] = seq(
        0x00,
        select_ap(AID_TEXT), select_ef(0x0011), verify(), verify(PIN),
        select_ef(0x0001), read_binary(0, 256),
        select_ef(0x0002), read_binary(0, 65536, extended=True),
        select_ef(0x0011), apdu(0x00, 0x24, 0x01, 0x80, b"5678"))
    s["seed-face"] = seq(
        0x00,
        select_ap(AID_FACE), select_ef(0x0012), verify(),
        verify(VERIFICATION_B), select_ef(0x0002),
        read_binary(0, 65536, extended=True),
        select_ef(0x0013), verify(MY_NUMBER),
        select_ef(0x0002), read_binary(0x0100, 0x20))
    s["seed-t0"] = seq(
        0x02,
        select_ap(AID_JPKI), select_ef(0x000B), read_binary(0, 256),
        get_response(0x80), get_response(0x80),
        read_binary(0x0300, 256), read_binary(0x0100, 0x10),
        get_response(0x10), select_ef(0x0018), verify(PIN),
        select_ef(0x0017), apdu(0x80, 0x2A, 0x00, 0x80, DI_SHA256),
        get_response(0), get_response(0))
    s["seed-short-only"] = seq(
        0x01,
        select_ap(AID_JPKI), select_ef(0x0002),
        read_binary(0, 65536, extended=True), read_binary(0, 256))
    s["seed-small-buffer"] = bytes([0x04, 0x40]) + chunks([
        select_ap(AID_JPKI), select_ef(0x000A), read_binary(0, 256),
        select_ef(0x0018), verify(PIN), select_ef(0x0017),
        sign_cmd(DI_SHA256)])
    s["seed-wrong-pins"] = seq(
        0x00,
        select_ap(AID_TEXT), select_ef(0x0011), verify(b"0000"),
        verify(b"0000"), verify(b"0000"), verify(PIN), verify(),
        select_ef(0x0002), read_binary(0, 256))
    s["seed-malformed"] = seq(
        0x00,
        b"", b"\x00", b"\x00\xA4\x04", b"\x00\xA4\x04\x0C\x0A\xD3",
        b"\x00\xA4\x04\x0C\x00\x00\x0A" + AID_JPKI,
        apdu(0x80, 0xA4, 0x04, 0x0C, AID_JPKI), apdu(0x00, 0xCA, 0, 0, le=0),
        apdu(0x90, 0xB0, 0, 0, le=0), read_binary(0, 1),
        select_ap(AID_JPKI), apdu(0x00, 0xB0, 0x81, 0x00, le=0),
        get_response(0x10), select_ef(0x0017), read_binary(0, 1),
        apdu(0x00, 0x24, 0x01, 0x80, b"9999"), select_ef(0xFFFF))
    s["seed-one-apdu"] = seq(0x00, select_ap(AID_FACE))
    return s


def apdu_seeds():
    return {
        "seed-case1": bytes.fromhex("00A4040C"),
        "seed-case2-short": read_binary(0, 0),
        "seed-case3-short": select_ap(AID_JPKI),
        "seed-case4-short": sign_cmd(DI_SHA256),
        "seed-case2-extended": read_binary(0, 65536, extended=True),
        "seed-case3-extended": apdu(0x00, 0x20, 0x00, 0x80, bytes(300),
                                    extended=True),
        "seed-case4-extended": apdu(0x80, 0x2A, 0x00, 0x80, bytes(260),
                                    le=0, extended=True),
        "seed-response": bytes.fromhex("3082041F9000"),
        "seed-sw": bytes.fromhex("63C3"),
    }


def tlv_seeds(photo):
    return {
        "seed-cert-header": CERT_AUTH_CA[:64],
        "seed-cert": CERT_SIGN_CA,
        "seed-my-number": MY_NUMBER_EF,
        "seed-basic-info": BASIC_INFO_EF,
        "seed-long-lengths": tlv(0x30, bytes(0x90)) + b"\x04\x83\x00\x00\x05" +
        b"abcde" + b"\x1F\x81\x01\x01\x00",
        "seed-siblings": tlv(0xDF22, BIRTH) + tlv(0xDF27, b"\x00\x01") +
        tlv(0xFF10, MY_NUMBER) + b"\x00\xFF\xFF",
        "seed-face-head": face_ef(photo)[:200],
    }


def text_ap_seeds():
    return {
        "seed-my-number": MY_NUMBER_EF,
        "seed-my-number-bare": tlv(0xFF10, MY_NUMBER),
        "seed-basic-info": BASIC_INFO_EF,
        "seed-basic-info-filler": BASIC_INFO_EF + b"\xFF" * 16,
        "seed-basic-info-female": record([
            (0xDF22, "佐藤　花子".encode()), (0xDF23, "東京都千代田区".encode()),
            (0xDF24, b"20010401"), (0xDF25, b"2")]),
    }


def face_ap_seeds(photo):
    full = face_ef(photo)
    return {
        "seed-face": full,
        "seed-face-filler": full + b"\xFF" * 32 + b"\x00" * 8,
        "seed-face-photo-only": record([(0xDF27, photo)]),
        "seed-face-absent-items": record([(0xDF22, BIRTH), (0xDF23, None),
                                          (0xDF27, photo[:64]),
                                          (0xDF29, EXPIRY)]),
    }


def write(target, seeds):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    for name in os.listdir(d):
        if name.startswith("seed-"):
            os.unlink(os.path.join(d, name))
    for name, data in sorted(seeds.items()):
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
    total = sum(len(v) for v in seeds.values())
    print(f"{target}: {len(seeds)} seeds, {total} bytes")


def main():
    images = jpeg2000_images()
    photo = images["grey16.j2k"]
    write("fuzz_jp2", {"seed-" + k.replace(".", "-"): v
                       for k, v in images.items()})
    write("fuzz_tlv", tlv_seeds(photo))
    write("fuzz_text_ap", text_ap_seeds())
    write("fuzz_face_ap", face_ap_seeds(photo))
    write("fuzz_apdu", apdu_seeds())
    write("fuzz_card_responses", card_response_seeds(photo))
    write("fuzz_vcard", vcard_seeds())
    return 0


if __name__ == "__main__":
    sys.exit(main())
