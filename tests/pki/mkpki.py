#!/usr/bin/env python3
"""Generate the test PKI and the software-card profiles for mynaterm.

Writes, under --out DIR:

  ca/            the two JPKI stand-in CAs (auth and sign): certificate (PEM and
                 DER), private key (PEM) and a current CRL (PEM and DER) each
  profiles/NAME/ one software My Number Card per folder: profile.ini in the format
                 of docs/vcard-profile.md plus the files it names
  profiles.json  a manifest of the profiles (holder data, certificate issuer and
                 serial, revocation/expiry status) for the portal simulator and tests
  terminals/     TLS client certificates of kiosk terminals for portal-sim: the
                 terminal CA (ca.pem), <id>.pem and <id>.key.pem per terminal,
                 and the untrusted CA one of them comes from (foreign-ca.pem)

Keys, serial numbers and certificate CNs are random and made fresh on every run;
the holders' data (names, My Numbers, PINs, 照合番号B ...) is fixed so that the
documentation (docs/test-pki.md) can list it.

Only the Python standard library is used; keys, certificates and CRLs come from
the `openssl` command-line tool and the JPEG 2000 face photos from `opj_compress`
(Debian: libopenjp2-tools).

Re-running into an existing DIR replaces its content: everything is built in a
work folder inside DIR first and swapped in only when generation succeeded.
Nothing outside DIR is written.
"""

import argparse
import base64
import datetime as dt
import hashlib
import json
import os
import random
import re
import secrets
import shutil
import string
import struct
import subprocess
import sys
import tempfile
import threading
import zlib
from concurrent.futures import ThreadPoolExecutor

PROG = "mkpki"

# A file that marks DIR as made by this generator. DIR is only ever emptied when
# it is empty already or carries this marker, so a mistyped --out cannot wipe an
# unrelated folder.
MARKER = ".mkpki"

AUTH_CA_SUBJECT = ("/C=JP/O=JPKI/OU=JPKI for user authentication"
                   "/OU=Japan Agency for Local Authority Information Systems")
SIGN_CA_SUBJECT = ("/C=JP/O=JPKI/OU=JPKI for digital signature"
                   "/OU=Japan Agency for Local Authority Information Systems")

# Kiosk terminals authenticate to portal-sim with a TLS client certificate
# whose CN is the terminal id (docs/portal-sim.md). One CA the data directory
# trusts, and a second one it does not.
TERMINAL_CA_SUBJECT = "/C=JP/O=mynaterm test/CN=mynaterm test terminal CA"
FOREIGN_CA_SUBJECT = "/C=JP/O=mynaterm test/CN=mynaterm test foreign terminal CA"

# ca: which CA issues it; expired: its validity ended a year ago;
# client_auth: extendedKeyUsage clientAuth (else serverAuth only, a
# certificate that chains fine but is not for a TLS client).
TERMINALS = [
    dict(id="kiosk-test-01", ca="terminal", expired=False, client_auth=True),
    dict(id="kiosk-test-02", ca="terminal", expired=False, client_auth=True),
    dict(id="kiosk-foreign", ca="foreign", expired=False, client_auth=True),
    dict(id="kiosk-expired", ca="terminal", expired=True, client_auth=True),
    dict(id="kiosk-no-clientauth", ca="terminal", expired=False, client_auth=False),
]

# subjectAltName otherName OIDs of the 署名用 certificate.
OID_SAN = "1.2.392.200149.8.5.5"

# The CRLs are valid for this long after generation. The build tree keeps its
# PKI until mkpki.py changes, so this is generous; jlis-sim re-signs fresh CRLs
# when it has the CA keys.
CRL_DAYS = 365

# ---------------------------------------------------------------------------
# The holders. Everything here is fixed; see docs/test-pki.md.
#
# my_number_base: the first 11 digits; the check digit is computed. The first
#   five digits of each base sum to a multiple of 11: the check digit is then
#   the same whether P7..P11 are weighted n-5 (the ordinance) or n-6 (a common
#   misreading), so these numbers cannot tell the two rules apart; a
#   known-answer test (123456789018 is valid) does.
# city_code: 全国地方公共団体コード, 6 digits with check digit (verified below).
# sign_ro: prefecture and city romanized as in the L= attributes of real JPKI
#          signature certificates.
# ---------------------------------------------------------------------------
PROFILES = [
    dict(name="adult",
         holder="高橋　健太", kana="タカハシ　ケンタ", sex="1", birth="1980-02-17",
         prefecture="群馬県", city="前橋市", city_code="102016",
         sign_ro=("Gunma-ken", "Maebashi-shi"),
         address="群馬県前橋市千代田町二丁目３番１５号",
         my_number_base="40378217694",
         expiry="2035-02-17", security_code="2285",
         auth_pin="1234", sign_password="SIGN2026", text_pin="1234",
         tries=(3, 5, 3), token_label=True, availability=True, state=True,
         sign=True, cert_status="valid"),
    dict(name="child",
         holder="佐藤　陽菜", kana="サトウ　ヒナ", sex="2", birth="2016-05-03",
         prefecture="新潟県", city="三条市", city_code="152048",
         sign_ro=("Niigata-ken", "Sanjo-shi"),
         address="新潟県三条市荒町二丁目７番１０号",
         my_number_base="71284093851",
         expiry="2029-05-03", security_code="4817",
         auth_pin="5274", sign_password=None, text_pin="5274",
         tries=(3, None, 3), token_label=True, availability=True, state=False,
         sign=False, cert_status="valid"),
    dict(name="one-try",
         holder="鈴木　和子", kana="スズキ　カズコ", sex="2", birth="1950-11-03",
         prefecture="宮崎県", city="都城市", city_code="452025",
         sign_ro=("Miyazaki-ken", "Miyakonojo-shi"),
         address="宮崎県都城市上町１２街区５号",
         my_number_base="26815375429",
         expiry="2033-11-03", security_code="6034",
         auth_pin="8412", sign_password="ONETRY50", text_pin="8412",
         tries=(1, 1, 1), token_label=True, availability=True, state=False,
         sign=True, cert_status="valid"),
    dict(name="blocked",
         holder="阿部　昭一", kana="アベ　ショウイチ", sex="1", birth="1926-12-25",
         prefecture="宮城県", city="石巻市", city_code="042021",
         sign_ro=("Miyagi-ken", "Ishinomaki-shi"),
         address="宮城県石巻市千石町５番１２号",
         my_number_base="58405916373",
         expiry="2031-12-25", security_code="1199",
         auth_pin="3906", sign_password="BLOCKED26", text_pin="3906",
         tries=(0, 0, 0), token_label=True, availability=True, state=False,
         sign=True, cert_status="valid"),
    dict(name="expired",
         holder="小林　直美", kana="コバヤシ　ナオミ", sex="2", birth="1975-08-21",
         prefecture="群馬県", city="前橋市", city_code="102016",
         sign_ro=("Gunma-ken", "Maebashi-shi"),
         address="群馬県前橋市岩神町三丁目１番２４号",
         my_number_base="63193042588",
         # The card itself is still valid (10 years); its certificates (5 years)
         # have run out, as happens at counters.
         expiry="2030-08-21", security_code="7352",
         auth_pin="6620", sign_password="EXPIRED75", text_pin="6620",
         tries=(3, 5, 3), token_label=True, availability=True, state=False,
         sign=True, cert_status="expired"),
    dict(name="revoked",
         holder="伊藤　誠", kana="イトウ　マコト", sex="1", birth="1968-04-12",
         prefecture="新潟県", city="三条市", city_code="152048",
         sign_ro=("Niigata-ken", "Sanjo-shi"),
         address="新潟県三条市東裏館一丁目１４番２号",
         my_number_base="19534864217",
         expiry="2034-04-12", security_code="3071",
         auth_pin="4455", sign_password="REVOKED68", text_pin="4455",
         tries=(3, 5, 3), token_label=True, availability=True, state=False,
         sign=True, cert_status="revoked"),
    dict(name="minimal",
         holder="加藤　大輔", kana="カトウ　ダイスケ", sex="1", birth="1989-01-08",
         prefecture="宮崎県", city="都城市", city_code="452025",
         sign_ro=("Miyazaki-ken", "Miyakonojo-shi"),
         address="宮崎県都城市姫城町７街区１０号",
         my_number_base="84028175396",
         expiry="2032-01-08", security_code="5508",
         auth_pin="7081", sign_password="MINIMAL89", text_pin="7081",
         # Only the [C] files of card-reference.md: no token info, no
         # availability EF (older card generations).
         tries=(3, 5, 3), token_label=False, availability=False, state=False,
         sign=True, cert_status="valid"),
    dict(name="taisho",
         holder="吉田　ハル", kana="ヨシダ　ハル", sex="2", birth="1912-07-30",
         prefecture="宮城県", city="石巻市", city_code="042021",
         sign_ro=("Miyagi-ken", "Ishinomaki-shi"),
         address="宮城県石巻市中央二丁目８番３号",
         my_number_base="35716260941",
         expiry="2028-07-30", security_code="9263",
         auth_pin="1930", sign_password="TAISHO01", text_pin="1930",
         tries=(3, 5, 3), token_label=True, availability=True, state=False,
         sign=True, cert_status="valid"),
]

# Japanese eras by their first day (Gregorian). The year an era starts is its
# 元年 (year 1).
ERAS = [
    (dt.date(2019, 5, 1), "令和"),
    (dt.date(1989, 1, 8), "平成"),
    (dt.date(1926, 12, 25), "昭和"),
    (dt.date(1912, 7, 30), "大正"),
    (dt.date(1868, 1, 25), "明治"),
]


class GenError(Exception):
    pass


def die(msg):
    print(f"{PROG}: error: {msg}", file=sys.stderr)
    sys.exit(1)


# ---------------------------------------------------------------------------
# Card data helpers
# ---------------------------------------------------------------------------

def era_of(d):
    """(era name, era year) of a Gregorian date."""
    for start, name in ERAS:
        if d >= start:
            return name, d.year - start.year + 1
    raise GenError(f"date {d} is before 明治")


def verification_b(birth, expiry, code):
    """照合番号B: era YY MM DD of the birth date, expiry YYYY, security code."""
    _, year = era_of(birth)
    if not (len(code) == 4 and code.isdigit()):
        raise GenError(f"security code {code!r} is not 4 digits")
    return f"{year:02d}{birth.month:02d}{birth.day:02d}{expiry.year:04d}{code}"


def my_number_check_digit(base11):
    """Check digit of the individual number (My Number) for its first 11 digits.

    総務省令第八十五号 第五条: 11 - (sum of P_n * Q_n mod 11), or 0 when that
    remainder is <= 1; P_n is the n-th digit counting from the right of the 11,
    Q_n = n + 1 for 1 <= n <= 6 and n - 5 for 7 <= n <= 11 (weights 6 5 4 3 2
    7 6 5 4 3 2 from the left)."""
    if not (len(base11) == 11 and base11.isdigit()):
        raise GenError(f"My Number base {base11!r} is not 11 digits")
    total = 0
    for n in range(1, 12):
        p = int(base11[11 - n])
        q = n + 1 if n <= 6 else n - 5
        total += p * q
    r = total % 11
    return 0 if r <= 1 else 11 - r


def city_code_valid(code):
    """Check digit of a 6-digit 全国地方公共団体コード (weights 6,5,4,3,2)."""
    if not (len(code) == 6 and code.isdigit()):
        return False
    r = sum(int(c) * w for c, w in zip(code[:5], (6, 5, 4, 3, 2))) % 11
    check = (11 - r) % 10 if r else 0
    return int(code[5]) == check


def opaque_id():
    """An opaque certificate CN: 24 random characters of A-Z 0-9."""
    alphabet = string.ascii_uppercase + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(24))


def random_serial():
    """A random positive 64-bit serial (hex) whose first nibble is never 0."""
    return "%X" % (secrets.randbits(60) | (secrets.choice(range(1, 8)) << 60))


# ---------------------------------------------------------------------------
# openssl
# ---------------------------------------------------------------------------

class OpenSSL:
    """Runs the openssl CLI with a private, minimal configuration."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.conf = os.path.join(workdir, "openssl.cnf")
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write("[req]\ndistinguished_name = dn\nutf8 = yes\n"
                    "string_mask = utf8only\n[dn]\n")
        # Never read the system openssl.cnf: the output must not depend on it.
        self.env = dict(os.environ, OPENSSL_CONF=self.conf)

    def run(self, *args, cwd=None):
        cmd = ["openssl", *args]
        p = subprocess.run(cmd, cwd=cwd or self.workdir, env=self.env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if p.returncode != 0:
            raise GenError("command failed: " + " ".join(cmd) + "\n"
                           + p.stderr.decode("utf-8", "replace")
                           + p.stdout.decode("utf-8", "replace"))
        return p.stdout.decode("utf-8", "replace")

    def genkey(self, path):
        self.run("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                 "-pkeyopt", "rsa_keygen_pubexp:65537", "-out", path)
        os.chmod(path, 0o600)

    @staticmethod
    def to_der(pem, der):
        """PEM to DER for the first PEM block of `pem` (certificate or CRL).
        Done here rather than with a further openssl process: it is plain base64."""
        with open(pem, "r", encoding="ascii") as f:
            text = f.read()
        m = re.search(r"-----BEGIN ([A-Z0-9 ]+)-----\n(.*?)\n-----END \1-----", text, re.S)
        if not m:
            raise GenError(f"{pem}: no PEM block")
        with open(der, "wb") as f:
            f.write(base64.b64decode("".join(m.group(2).split())))


def asn1_time(t):
    """openssl ca -startdate/-enddate value: UTCTime up to 2049, as RFC 5280 asks."""
    t = t.astimezone(dt.timezone.utc)
    if t.year < 2050:
        return t.strftime("%y%m%d%H%M%SZ")
    return t.strftime("%Y%m%d%H%M%SZ")


class CA:
    """One CA with an `openssl ca` database in the work folder."""

    def __init__(self, ossl, name, subject, crl_url, ocsp_url, ca_url, outdir):
        self.ossl = ossl
        self.lock = threading.Lock()
        self.name = name                    # "auth-ca", "sign-ca", "terminal-ca" ...
        self.subject = subject
        self.crl_url, self.ocsp_url, self.ca_url = crl_url, ocsp_url, ca_url
        self.db = os.path.join(ossl.workdir, name)
        os.makedirs(os.path.join(self.db, "newcerts"))
        open(os.path.join(self.db, "index.txt"), "w").close()
        with open(os.path.join(self.db, "crlnumber"), "w") as f:
            f.write("1000\n")
        self.key = os.path.join(outdir, f"{name}.key")
        self.pem = os.path.join(outdir, f"{name}.pem")
        self.der = os.path.join(outdir, f"{name}.der")
        self.crl_pem = os.path.join(outdir, f"{name}.crl.pem")
        self.crl_der = os.path.join(outdir, f"{name}.crl.der")
        # Relative paths only (openssl runs with cwd=self.db), so that an --out
        # path with '$' or spaces cannot upset the config parser.
        self.conf = os.path.join(self.db, "ca.cnf")
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write(f"""\
[ca]
default_ca = ca_default

[ca_default]
dir              = .
database         = index.txt
new_certs_dir    = newcerts
serial           = serial
crlnumber        = crlnumber
certificate      = ca.pem
private_key      = ca.key
default_md       = sha256
default_crl_days = {CRL_DAYS}
policy           = policy_any
unique_subject   = no
email_in_dn      = no
copy_extensions  = none
crl_extensions   = crl_ext

[policy_any]
countryName            = optional
localityName           = optional
organizationName       = optional
organizationalUnitName = optional
commonName             = optional

[crl_ext]
authorityKeyIdentifier = keyid:always

[req]
distinguished_name = dn
[dn]
""")

    def _ca(self, *args):
        return self.ossl.run("ca", "-config", "ca.cnf", "-batch", *args, cwd=self.db)

    def create(self, not_before, not_after):
        """Key and self-signed certificate."""
        self.ossl.genkey(os.path.join(self.db, "ca.key"))
        ext = os.path.join(self.db, "ca-ext.cnf")
        with open(ext, "w") as f:
            f.write("[ext]\n"
                    "basicConstraints = critical, CA:true\n"
                    "keyUsage = critical, keyCertSign, cRLSign\n"
                    "subjectKeyIdentifier = hash\n")
        self.ossl.run("req", "-new", "-key", "ca.key", "-subj", self.subject,
                      "-out", "ca.csr", cwd=self.db)
        self._issue("ca.csr", "ca.pem", self.subject, not_before, not_after,
                    "ca-ext.cnf", selfsign=True)
        shutil.copyfile(os.path.join(self.db, "ca.key"), self.key)
        os.chmod(self.key, 0o600)
        shutil.copyfile(os.path.join(self.db, "ca.pem"), self.pem)
        self.ossl.to_der(self.pem, self.der)

    def _issue(self, csr, out, subject, not_before, not_after, extfile,
               selfsign=False):
        serial = random_serial()
        with open(os.path.join(self.db, "serial"), "w") as f:
            f.write(serial + "\n")
        args = ["-in", csr, "-out", out, "-notext", "-preserveDN", "-utf8",
                "-subj", subject,
                "-startdate", asn1_time(not_before), "-enddate", asn1_time(not_after),
                "-extfile", extfile, "-extensions", "ext"]
        if selfsign:
            args += ["-selfsign", "-keyfile", "ca.key"]
        self._ca(*args)
        return serial

    def issue(self, tag, key, subject, ext_body, not_before, not_after):
        """Issue a certificate for `key` (PEM path); returns the PEM path in the db."""
        csr = f"{tag}.csr"
        self.ossl.run("req", "-new", "-key", key, "-subj", "/CN=request",
                      "-out", csr, cwd=self.db)
        extfile = f"{tag}-ext.cnf"
        with open(os.path.join(self.db, extfile), "w", encoding="utf-8") as f:
            f.write("[ext]\n" + ext_body)
        self._issue(csr, f"{tag}.pem", subject, not_before, not_after, extfile)
        return os.path.join(self.db, f"{tag}.pem")

    def leaf_ext_common(self):
        return ("authorityKeyIdentifier = keyid:always\n"
                f"crlDistributionPoints = URI:{self.crl_url}\n"
                f"authorityInfoAccess = OCSP;URI:{self.ocsp_url}, "
                f"caIssuers;URI:{self.ca_url}\n")

    def revoke(self, cert_pem):
        self._ca("-revoke", cert_pem, "-crl_reason", "keyCompromise")

    def gencrl(self):
        self._ca("-gencrl", "-out", "crl.pem")
        shutil.copyfile(os.path.join(self.db, "crl.pem"), self.crl_pem)
        self.ossl.to_der(self.crl_pem, self.crl_der)


def cert_info(ossl, pem):
    out = ossl.run("x509", "-in", pem, "-noout", "-serial", "-issuer", "-subject",
                   "-startdate", "-enddate", "-nameopt", "RFC2253,-esc_msb",
                   "-dateopt", "iso_8601")
    info = {}
    for line in out.splitlines():
        k, _, v = line.partition("=")
        info[k.strip()] = v.strip()
    for k in ("notBefore", "notAfter"):
        # "2026-10-24 13:03:48Z" -> "2026-10-24T13:03:48Z"
        info[k] = info[k].replace(" ", "T")
    return info


# ---------------------------------------------------------------------------
# Images
# ---------------------------------------------------------------------------

def face_pgm(path, seed, age):
    """A 240x300 greyscale portrait-like picture (binary PGM), varied by seed."""
    w, h = 240, 300
    rng = random.Random(seed)
    img = bytearray(w * h)
    # Light background with a soft vertical gradient, as in ID photos.
    bg = rng.randint(205, 230)
    for y in range(h):
        img[y * w:(y + 1) * w] = bytes([max(0, bg - y // 20)]) * w

    def ellipse(cx, cy, rx, ry, v, ymin=0, ymax=h):
        for y in range(max(ymin, int(cy - ry)), min(ymax, int(cy + ry) + 1)):
            t = 1.0 - ((y - cy) / ry) ** 2
            if t < 0:
                continue
            half = int(rx * t ** 0.5)
            x0, x1 = max(0, int(cx - half)), min(w, int(cx + half) + 1)
            if x1 > x0:
                img[y * w + x0:y * w + x1] = bytes([v]) * (x1 - x0)

    def rect(x0, y0, x1, y1, v):
        for y in range(max(0, y0), min(h, y1)):
            img[y * w + max(0, x0):y * w + min(w, x1)] = bytes([v]) * (min(w, x1) - max(0, x0))

    cx = w // 2 + rng.randint(-6, 6)
    head_rx, head_ry = rng.randint(54, 64), rng.randint(72, 82)
    head_cy = 128 + rng.randint(-6, 6)
    skin = rng.randint(150, 180)
    hair = rng.randint(30, 70) if age < 60 else rng.randint(150, 200)
    clothes = rng.randint(40, 90)

    rect(cx - 24, head_cy + head_ry - 20, cx + 24, h - 60, skin - 15)  # neck
    ellipse(cx, h + 40, 125, 110, clothes)                       # shoulders
    ellipse(cx, head_cy - 12, head_rx + 8, head_ry + 2, hair)    # hair
    ellipse(cx, head_cy + 6, head_rx, head_ry - 4, skin)         # face
    ellipse(cx - head_rx - 2, head_cy + 10, 8, 16, skin - 10)    # ears
    ellipse(cx + head_rx + 2, head_cy + 10, 8, 16, skin - 10)
    fringe = head_cy - head_ry + rng.randint(22, 34)             # hairline
    ellipse(cx, head_cy - 12, head_rx + 8, head_ry + 2, hair, ymax=fringe)

    eye_dx, eye_y = rng.randint(20, 26), head_cy + rng.randint(-2, 6)
    for sx in (-1, 1):
        ex = cx + sx * eye_dx
        ellipse(ex, eye_y - 14, 12, 3, max(0, hair - 10))        # brow
        ellipse(ex, eye_y, 10, 5, 235)                           # white
        ellipse(ex, eye_y, 4, 4, 25)                             # iris
    rect(cx - 3, eye_y + 8, cx + 3, eye_y + 32, skin - 18)       # nose ridge
    ellipse(cx, eye_y + 34, 9, 4, skin - 30)                     # nostrils
    ellipse(cx, eye_y + 52, rng.randint(14, 20), rng.randint(3, 5), 95)  # mouth
    if age >= 60:                                                # wrinkles
        for dy in (0, 6):
            ellipse(cx, eye_y + 44 + dy, 30, 1, skin - 22)

    # A little sensor noise so the picture compresses like a photograph.
    noise = rng.randbytes(w * h) if hasattr(rng, "randbytes") else \
        bytes(rng.getrandbits(8) for _ in range(w * h))
    img = bytes(min(255, max(0, p + (n % 7) - 3)) for p, n in zip(img, noise))
    with open(path, "wb") as f:
        f.write(b"P5\n%d %d\n255\n" % (w, h))
        f.write(img)


def png_1bit(path, width, height, text):
    """A 1-bit greyscale PNG (bit depth 1, colour type 0): black pseudo-glyphs
    on white, one 5x7 block pattern per character (derived from its code)."""
    pix = [[1] * width for _ in range(height)]          # 1 = white
    chars = list(text)
    margin = 4
    cell = max(4, min(height - 2 * margin, (width - 2 * margin) // max(1, len(chars))))
    unit = max(1, cell // 8)
    top = (height - 7 * unit) // 2
    for i, ch in enumerate(chars):
        if ch.isspace():
            continue
        bits = int.from_bytes(hashlib.sha256(ch.encode("utf-8")).digest()[:5], "big")
        x0 = margin + i * cell + (cell - 5 * unit) // 2
        for gy in range(7):
            for gx in range(5):
                # Mirror the pattern left-right so it looks glyph-like.
                on = (bits >> (gy * 3 + min(gx, 4 - gx))) & 1
                if not on:
                    continue
                for y in range(top + gy * unit, top + (gy + 1) * unit):
                    row = pix[y]
                    for x in range(x0 + gx * unit, x0 + (gx + 1) * unit):
                        if 0 <= x < width:
                            row[x] = 0
    raw = bytearray()
    for row in pix:
        raw.append(0)                                   # filter: none
        for x in range(0, width, 8):
            byte = 0
            for b in range(8):
                byte = (byte << 1) | (row[x + b] if x + b < width else 1)
            raw.append(byte)

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(bytes(raw), 9)))
        f.write(chunk(b"IEND", b""))


def run_tool(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        raise GenError("command failed: " + " ".join(cmd) + "\n"
                       + p.stderr.decode("utf-8", "replace")
                       + p.stdout.decode("utf-8", "replace"))


# ---------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------

def ini_value(v):
    """A GLib key file string value: escape what g_key_file would misread."""
    s = str(v).replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")
    if s.startswith(" "):
        s = "\\s" + s[1:]
    return s


def write_profile_ini(path, p, files):
    auth_tries, sign_tries, pin_tries = p["tries"]
    lines = ["# Software My Number Card profile (docs/vcard-profile.md),",
             "# generated by tests/pki/mkpki.py. Test data only.",
             "[card]"]
    if p["token_label"]:
        lines.append("token_label=JPKIAPICCTOKEN2")
    if p["availability"]:
        lines.append("availability=true")
    if p["state"]:
        lines.append("state=state.ini")
    lines += ["", "[jpki]",
              f"auth_cert={files['auth_cert']}",
              f"auth_key={files['auth_key']}",
              f"auth_ca_cert={files['auth_ca_cert']}",
              f"auth_pin={p['auth_pin']}",
              f"auth_tries={auth_tries}"]
    if p["sign"]:
        lines += [f"sign_cert={files['sign_cert']}",
                  f"sign_key={files['sign_key']}"]
    lines.append(f"sign_ca_cert={files['sign_ca_cert']}")
    if p["sign"]:
        lines += [f"sign_password={p['sign_password']}",
                  f"sign_tries={sign_tries}"]
    lines += ["", "[text]",
              f"pin={p['text_pin']}",
              f"pin_tries={pin_tries}",
              f"my_number={p['my_number']}",
              f"name={ini_value(p['holder'])}",
              f"address={ini_value(p['address'])}",
              f"birth={p['birth'].replace('-', '')}",
              f"sex={p['sex']}",
              "", "[face]",
              f"verification_b={p['verification_b']}",
              "verification_b_tries=10",
              "verification_a_tries=10",
              "photo=face.jp2",
              "name_image=name.png",
              "address_image=address.png",
              "code_image=code.png",
              f"expiry={p['expiry'].replace('-', '')}",
              ""]
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))


def cert_validity(p, now):
    """(notBefore, notAfter) of a profile's certificates.

    Valid: issued a month ago, ending on the holder's birthday five years on
    (JPKI certificates run to the 5th birthday after issuance). Expired: issued
    six years ago, ended a year ago."""
    if p["cert_status"] == "expired":
        return now - dt.timedelta(days=6 * 365 + 1), now - dt.timedelta(days=365)
    nb = now - dt.timedelta(days=30)
    b = dt.date.fromisoformat(p["birth"])
    year = nb.year + 5
    day = 28 if (b.month, b.day) == (2, 29) else b.day
    # 23:59:59 JST on the birthday.
    na = dt.datetime(year, b.month, day, 14, 59, 59, tzinfo=dt.timezone.utc)
    return nb, na


def sign_ext(ca, p):
    """Extensions of a 署名用 certificate, with the holder in subjectAltName."""
    def utf8(v):
        # FORMAT:UTF8 makes openssl take the bytes as UTF-8 (the default would
        # read them as Latin-1 and double-encode them).
        return f"FORMAT:UTF8,UTF8:{v}"
    birth = p["birth"].replace("-", "")
    values = [p["holder"], p["kana"], p["sex"], birth, p["address"], p["address"]]
    for v in values:
        if any(c in v for c in "#$,;\n\\"):
            raise GenError(f"value {v!r} has a character the openssl config cannot carry")
    san = "".join(f"otherName.{i} = {OID_SAN}.{i};{utf8(v)}\n"
                  for i, v in enumerate(values, 1))
    return ("keyUsage = critical, nonRepudiation, digitalSignature\n"
            + ca.leaf_ext_common()
            + "subjectAltName = @san\n\n[san]\n" + san)


def generate(out_new, work, jlis_url):
    t0 = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    ossl = OpenSSL(work)
    ca_dir = os.path.join(out_new, "ca")
    os.makedirs(ca_dir)

    auth_ca = CA(ossl, "auth-ca", AUTH_CA_SUBJECT, f"{jlis_url}/crl/auth.crl",
                 f"{jlis_url}/ocsp", f"{jlis_url}/ca/auth.der", ca_dir)
    sign_ca = CA(ossl, "sign-ca", SIGN_CA_SUBJECT, f"{jlis_url}/crl/sign.crl",
                 f"{jlis_url}/ocsp", f"{jlis_url}/ca/sign.der", ca_dir)
    # The terminal CAs' own files stay in the work folder: only their
    # certificates are output (terminals/ca.pem, terminals/foreign-ca.pem).
    term_dir = os.path.join(out_new, "terminals")
    os.makedirs(term_dir)
    term_ca_out = os.path.join(work, "terminal-cas")
    os.makedirs(term_ca_out)
    term_cas = {
        "terminal": CA(ossl, "terminal-ca", TERMINAL_CA_SUBJECT, None, None, None,
                       term_ca_out),
        "foreign": CA(ossl, "foreign-ca", FOREIGN_CA_SUBJECT, None, None, None,
                      term_ca_out),
    }

    # Validate the fixed data before spending time on keys. Known answers of
    # the check-digit rule first (123456789018 is the format's own example).
    for known in ("123456789018", "983205673214"):
        if my_number_check_digit(known[:11]) != int(known[11]):
            raise GenError(f"My Number check digit rule fails on {known}")
    for p in PROFILES:
        if not city_code_valid(p["city_code"]):
            raise GenError(f"{p['name']}: city code {p['city_code']} has a bad check digit")
        p["my_number"] = p["my_number_base"] + str(my_number_check_digit(p["my_number_base"]))
        birth, expiry = dt.date.fromisoformat(p["birth"]), dt.date.fromisoformat(p["expiry"])
        p["verification_b"] = verification_b(birth, expiry, p["security_code"])
        if "　" not in p["holder"] or "　" not in p["kana"]:
            raise GenError(f"{p['name']}: names need U+3000 between family and given name")

    # RSA key generation dominates the run time. Every certificate is a job
    # (make its key, then issue it once the CA exists) and the jobs run in
    # parallel; issuance itself is serialized per CA, whose `openssl ca`
    # database is not safe for concurrent use.
    prof_root = os.path.join(out_new, "profiles")
    for p in PROFILES:
        os.makedirs(os.path.join(prof_root, p["name"]))

    def leaf(ca, ca_job, p, kind):
        d = os.path.join(prof_root, p["name"])
        key = os.path.join(d, f"{kind}.key.pem")
        ossl.genkey(key)
        ca_job.result()
        nb, na = cert_validity(p, t0)
        if kind == "auth":
            # 利用者証明用: the subject is an opaque CN only.
            subject = f"/CN={opaque_id()}"
            ext = "keyUsage = critical, digitalSignature\n" + ca.leaf_ext_common()
        else:
            # 署名用: locality in the subject, the holder in subjectAltName.
            pref_ro, city_ro = p["sign_ro"]
            subject = f"/C=JP/L={pref_ro}/L={city_ro}/CN={opaque_id()}"
            ext = sign_ext(ca, p)
        with ca.lock:
            pem = ca.issue(f"{p['name']}-{kind}", key, subject, ext, nb, na)
        ossl.to_der(pem, os.path.join(d, f"{kind}.der"))
        return pem, cert_info(ossl, pem)

    def terminal_leaf(t, ca, ca_job):
        """A kiosk's TLS client certificate: CN = the terminal id."""
        key = os.path.join(term_dir, f"{t['id']}.key.pem")
        ossl.genkey(key)
        ca_job.result()
        if t["expired"]:
            nb, na = t0 - dt.timedelta(days=2 * 365), t0 - dt.timedelta(days=365)
        else:
            nb, na = t0 - dt.timedelta(days=1), t0 + dt.timedelta(days=3 * 365)
        if t["client_auth"]:
            usage = ("keyUsage = critical, digitalSignature\n"
                     "extendedKeyUsage = clientAuth\n")
        else:
            usage = ("keyUsage = critical, digitalSignature, keyEncipherment\n"
                     "extendedKeyUsage = serverAuth\n")
        ext = ("basicConstraints = critical, CA:false\n" + usage
               + "subjectKeyIdentifier = hash\n"
               "authorityKeyIdentifier = keyid:always\n")
        with ca.lock:
            pem = ca.issue(f"terminal-{t['id']}", key,
                           f"/C=JP/O=mynaterm test terminals/CN={t['id']}", ext, nb, na)
        shutil.copyfile(pem, os.path.join(term_dir, f"{t['id']}.pem"))
        return cert_info(ossl, pem)

    workers = max(2, os.cpu_count() or 2)
    with ThreadPoolExecutor(max_workers=workers) as ex:
        # The CA jobs are queued first, so they start before any job waits on them.
        auth_job, sign_job = [
            ex.submit(c.create, t0 - dt.timedelta(days=7 * 365 + 2),
                      t0 + dt.timedelta(days=10 * 365 + 2))
            for c in (auth_ca, sign_ca)]
        leaf_jobs = {}
        for p in PROFILES:
            leaf_jobs[p["name"], "auth"] = ex.submit(leaf, auth_ca, auth_job, p, "auth")
            if p["sign"]:
                leaf_jobs[p["name"], "sign"] = ex.submit(leaf, sign_ca, sign_job, p, "sign")
        img_jobs = [ex.submit(make_images, os.path.join(prof_root, p["name"]), p, t0)
                    for p in PROFILES]
        # As above: each CA job is queued before the leaves that wait on it.
        term_ca_jobs = {
            k: ex.submit(c.create, t0 - dt.timedelta(days=3 * 365),
                         t0 + dt.timedelta(days=10 * 365 + 2))
            for k, c in term_cas.items()}
        term_jobs = {t["id"]: ex.submit(terminal_leaf, t, term_cas[t["ca"]],
                                        term_ca_jobs[t["ca"]])
                     for t in TERMINALS}
        for j in [auth_job, sign_job, *leaf_jobs.values(), *img_jobs,
                  *term_ca_jobs.values(), *term_jobs.values()]:
            j.result()
    shutil.copyfile(term_cas["terminal"].pem, os.path.join(term_dir, "ca.pem"))
    shutil.copyfile(term_cas["foreign"].pem, os.path.join(term_dir, "foreign-ca.pem"))
    terminals = []
    for t in TERMINALS:
        info = term_jobs[t["id"]].result()
        terminals.append({
            "id": t["id"],
            "cert": f"terminals/{t['id']}.pem",
            "key": f"terminals/{t['id']}.key.pem",
            "trusted_ca": t["ca"] == "terminal",
            "expired": t["expired"],
            "client_auth": t["client_auth"],
            "serial": info["serial"],
            "not_after": info["notAfter"],
        })

    manifest = []
    for p in PROFILES:
        d = os.path.join(prof_root, p["name"])
        files = dict(auth_cert="auth.der", auth_key="auth.key.pem",
                     auth_ca_cert="auth-ca.der", sign_ca_cert="sign-ca.der",
                     sign_cert="sign.der", sign_key="sign.key.pem")
        shutil.copyfile(auth_ca.der, os.path.join(d, "auth-ca.der"))
        shutil.copyfile(sign_ca.der, os.path.join(d, "sign-ca.der"))
        auth_pem, auth_info = leaf_jobs[p["name"], "auth"].result()
        sign_pem, sign_info = (leaf_jobs[p["name"], "sign"].result() if p["sign"]
                               else (None, None))
        if p["cert_status"] == "revoked":
            auth_ca.revoke(auth_pem)
            if sign_pem:
                sign_ca.revoke(sign_pem)

        write_profile_ini(os.path.join(d, "profile.ini"), p, files)
        os.remove(os.path.join(d, "face.pgm"))

        manifest.append({
            "name": p["name"],
            "dir": f"profiles/{p['name']}",
            "auth_cert_issuer": auth_info["issuer"],
            "auth_cert_serial": auth_info["serial"],
            "auth_cert_not_before": auth_info["notBefore"],
            "auth_cert_not_after": auth_info["notAfter"],
            "sign_cert_issuer": sign_info["issuer"] if sign_info else None,
            "sign_cert_serial": sign_info["serial"] if sign_info else None,
            "holder_name": p["holder"],
            "holder_name_kana": p["kana"],
            "birth_date": p["birth"],
            "sex": p["sex"],
            "address": p["address"],
            "prefecture": p["prefecture"],
            "city": p["city"],
            "city_code": p["city_code"],
            "my_number": p["my_number"],
            "card_expiry": p["expiry"],
            "auth_pin": p["auth_pin"],
            "sign_password": p["sign_password"] if p["sign"] else None,
            "text_pin": p["text_pin"],
            "security_code": p["security_code"],
            "verification_b": p["verification_b"],
            "auth_tries": p["tries"][0],
            "sign_tries": p["tries"][1] if p["sign"] else None,
            "text_pin_tries": p["tries"][2],
            "revoked": p["cert_status"] == "revoked",
            "expired": p["cert_status"] == "expired",
        })

    auth_ca.gencrl()
    sign_ca.gencrl()

    with open(os.path.join(out_new, "profiles.json"), "w", encoding="utf-8") as f:
        json.dump({
            "format": 1,
            "generated_at": t0.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "jlis_url": jlis_url,
            "auth_ca": {"subject": cert_info(ossl, auth_ca.pem)["subject"],
                        "cert": "ca/auth-ca.pem", "crl": "ca/auth-ca.crl.pem"},
            "sign_ca": {"subject": cert_info(ossl, sign_ca.pem)["subject"],
                        "cert": "ca/sign-ca.pem", "crl": "ca/sign-ca.crl.pem"},
            "profiles": manifest,
            "terminals": {"ca": "terminals/ca.pem",
                          "foreign_ca": "terminals/foreign-ca.pem",
                          "certs": terminals},
        }, f, ensure_ascii=False, indent=2)
        f.write("\n")


def make_images(d, p, now):
    age = now.year - int(p["birth"][:4])
    pgm = os.path.join(d, "face.pgm")
    face_pgm(pgm, "face:" + p["name"], age)
    # -r 20: compression ratio 20, about 3.6 KB, the size class of card photos.
    run_tool(["opj_compress", "-i", pgm, "-o", os.path.join(d, "face.jp2"), "-r", "20"])
    png_1bit(os.path.join(d, "name.png"), 400, 60, p["holder"])
    png_1bit(os.path.join(d, "address.png"), 640, 60, p["address"])
    png_1bit(os.path.join(d, "code.png"), 160, 48, p["security_code"])


# ---------------------------------------------------------------------------
# Output folder handling
# ---------------------------------------------------------------------------

def remove_entry(path):
    if os.path.islink(path) or not os.path.isdir(path):
        os.unlink(path)
    else:
        shutil.rmtree(path)


def main():
    ap = argparse.ArgumentParser(
        prog=PROG, description="Generate mynaterm's test PKI and software-card profiles.")
    ap.add_argument("--out", required=True, help="output folder (its content is replaced)")
    ap.add_argument("--jlis-url", default="https://127.0.0.1:8443",
                    help="base URL of the CA stand-in, for CRL and OCSP URLs in "
                         "certificates (default %(default)s)")
    args = ap.parse_args()
    jlis_url = args.jlis_url.rstrip("/")
    if not jlis_url.startswith(("http://", "https://")):
        die(f"--jlis-url {args.jlis_url!r} is not an http(s) URL")

    missing = [f"{t} (Debian package {pkg})"
               for t, pkg in (("openssl", "openssl"), ("opj_compress", "libopenjp2-tools"))
               if shutil.which(t) is None]
    if missing:
        die("required tool(s) not found in PATH: " + ", ".join(missing))

    out = os.path.abspath(args.out)
    if os.path.exists(out) and not os.path.isdir(out):
        die(f"{out} exists and is not a folder")
    os.makedirs(out, exist_ok=True)
    entries = os.listdir(out)
    if entries and MARKER not in entries:
        die(f"{out} is not empty and was not made by {PROG} (no {MARKER} file); "
            "refusing to replace its content")
    with open(os.path.join(out, MARKER), "w") as f:
        f.write("Made by tests/pki/mkpki.py; its content is replaced on every run.\n")

    work = tempfile.mkdtemp(prefix=".work-", dir=out)
    try:
        new = os.path.join(work, "new")
        tmp = os.path.join(work, "tmp")
        os.makedirs(new)
        os.makedirs(tmp)
        generate(new, tmp, jlis_url)
        # Success: replace the old content (including leftovers of an
        # interrupted run) with the new tree.
        for e in os.listdir(out):
            if e not in (MARKER, os.path.basename(work)):
                remove_entry(os.path.join(out, e))
        for e in os.listdir(new):
            os.rename(os.path.join(new, e), os.path.join(out, e))
    except GenError as e:
        die(str(e))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
