#!/usr/bin/env python3
"""Build a portal-sim application package (docs/portal-sim-packages.md).

Puts a form file and attachments into a flat ZIP with kousei.xml, whose
構成情報 lists them and whose enveloped XMLDSig signature is made by the
`xmlsec1 --sign` command-line tool from a software key and certificate (a
test profile's sign.key.pem and sign.der). The signer is therefore not the
code that portal-sim verifies with: the C verifier is tested against an
independent implementation of the same format.

    mkpackage.py --profile PKI/profiles/adult --proc-id P0001 \\
        --form form.xml --attach jumin_hyo jumin.pdf --out pkg.zip

Options after "bad packages" make each kind of broken or hostile package for
the tests: a file tampered with after signing, a missing or extra file, a
foreign key, a duplicate Id, another C14N, a DTD with an external entity, a
path-traversal name, a zip bomb, a size that lies ...

Python 3 standard library only; needs `xmlsec1` (and `openssl` for
--self-signed) on PATH.
"""

import argparse
import base64
import hashlib
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile

PROG = "mkpackage"

DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"
C14N_10 = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"

KOUSEI = "kousei.xml"
KOUSEI_ID = "構成情報"

# File name extension -> content type, as docs/portal-sim-packages.md says.
CONTENT_TYPES = {
    ".xml": "application/xml",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".pdf": "application/pdf",
}

# A fixed time for every ZIP entry: the same inputs give the same ZIP.
ZIP_TIME = (2026, 4, 1, 9, 0, 0)


def die(msg):
    print(f"{PROG}: {msg}", file=sys.stderr)
    sys.exit(2)


def xml_escape(s):
    return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def read_cert_der(path):
    with open(path, "rb") as f:
        data = f.read()
    if data.startswith(b"-----BEGIN"):
        lines = [l for l in data.decode("ascii").splitlines()
                 if l and not l.startswith("-----")]
        return base64.b64decode("".join(lines))
    return data


def pem_from_der(der):
    b64 = base64.b64encode(der).decode("ascii")
    body = "\n".join(b64[i:i + 64] for i in range(0, len(b64), 64))
    return f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n"


def content_type_for(name):
    ext = os.path.splitext(name)[1].lower()
    return CONTENT_TYPES.get(ext, "application/octet-stream")


class File:
    def __init__(self, role, name, data, attachment_id=None):
        self.role = role
        self.name = name
        self.data = data
        self.attachment_id = attachment_id
        self.content_type = content_type_for(name)


def kousei_template(args, files, cert_der):
    """kousei.xml before signing: 構成情報 and a Signature template whose
    DigestValue, SignatureValue and X509Certificate xmlsec1 fills in."""
    applicant_der = (read_cert_der(args.applicant_cert)
                     if args.applicant_cert else cert_der)
    sizes = {f.name: len(f.data) + (1 if f.name in args.wrong_size else 0)
             for f in files}
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<kousei version="1">',
             f'<{KOUSEI_ID} Id="{KOUSEI_ID}">',
             f'<proc_id>{xml_escape(args.proc_id)}</proc_id>',
             '<applicant>',
             f'<sign_cert_sha256>{hashlib.sha256(applicant_der).hexdigest()}'
             '</sign_cert_sha256>',
             '</applicant>',
             '<files>']
    for f in files:
        ct = args.content_type.get(f.name, f.content_type)
        attrs = [f'role="{f.role}"', f'name="{xml_escape(f.name)}"']
        if f.attachment_id is not None:
            attrs.append(f'attachment_id="{xml_escape(f.attachment_id)}"')
        attrs.append(f'content_type="{xml_escape(ct)}"')
        attrs.append(f'size="{sizes[f.name]}"')
        lines.append(f'<file {" ".join(attrs)}/>')
    lines.append('</files>')
    lines += args.inject
    lines.append(f'</{KOUSEI_ID}>')

    c14n = args.c14n or C14N_10
    digest = args.digest or SHA256
    refs = [f'<Reference URI="#{KOUSEI_ID}"><Transforms>'
            f'<Transform Algorithm="{C14N_10}"/></Transforms>'
            f'<DigestMethod Algorithm="{digest}"/><DigestValue/></Reference>']
    for f in files:
        if f.name in args.unreferenced:
            continue
        ref = (f'<Reference URI="{xml_escape(f.name)}">'
               f'<DigestMethod Algorithm="{digest}"/><DigestValue/></Reference>')
        refs.append(ref)
        if f.name in args.double_reference:
            refs.append(ref)
    lines += [f'<Signature xmlns="{DSIG_NS}">',
              '<SignedInfo>',
              f'<CanonicalizationMethod Algorithm="{c14n}"/>',
              f'<SignatureMethod Algorithm="{RSA_SHA256}"/>']
    lines += refs
    lines += ['</SignedInfo>',
              '<SignatureValue/>',
              '<KeyInfo><X509Data><X509Certificate/></X509Data></KeyInfo>',
              '</Signature>',
              '</kousei>']
    return "\n".join(lines) + "\n"


def run(cmd, cwd):
    r = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    if r.returncode != 0:
        die(f"{' '.join(cmd)} failed ({r.returncode}):\n"
            f"{r.stderr.decode(errors='replace')}")
    return r


def make_self_signed(aux):
    """A fresh key and self-signed certificate: a signer no CA vouches for."""
    key = os.path.join(aux, "self.key.pem")
    cert = os.path.join(aux, "self.pem")
    run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
         "-keyout", key, "-out", cert, "-days", "30",
         "-subj", "/C=JP/CN=mkpackage self-signed"], aux)
    return key, read_cert_der(cert)


def sign(args, files, key, sign_cert_der, keyinfo_cert_der, work):
    """Sign in a folder holding exactly the package's files: xmlsec1 resolves
    a Reference URI that is a bare file name against its working folder."""
    pkg = os.path.join(work, "pkg")
    aux = os.path.join(work, "aux")
    os.makedirs(pkg)
    for f in files:
        with open(os.path.join(pkg, f.name), "wb") as out:
            out.write(f.data)
    tmpl = os.path.join(aux, "template.xml")
    with open(tmpl, "w", encoding="utf-8") as out:
        out.write(kousei_template(args, files, keyinfo_cert_der))
    cert_pem = os.path.join(aux, "signer.pem")
    with open(cert_pem, "w") as out:
        out.write(pem_from_der(sign_cert_der))
    signed = os.path.join(aux, "signed.xml")
    run(["xmlsec1", "--sign", "--privkey-pem", f"{key},{cert_pem}",
         "--id-attr:Id", KOUSEI_ID, "--output", signed, tmpl], pkg)
    with open(signed, encoding="utf-8") as f:
        return f.read()


def replace_once(text, old, new, what):
    if old not in text:
        die(f"cannot {what}: {old!r} not found in the signed kousei.xml")
    return text.replace(old, new, 1)


def element_text(text, start_tag, end_tag):
    i = text.find(start_tag)
    j = text.find(end_tag, i)
    if i < 0 or j < 0:
        die(f"{start_tag} not found in the signed kousei.xml")
    return i, j + len(end_tag)


def after_signing(args, kousei, keyinfo_cert_der):
    """Changes made to the signed kousei.xml (bad packages)."""
    if args.foreign_signer or args.keyinfo_cert:
        # The signature was made with another key; KeyInfo names ours.
        i, j = element_text(kousei, "<X509Certificate>", "</X509Certificate>")
        b64 = base64.b64encode(keyinfo_cert_der).decode("ascii")
        kousei = (kousei[:i] + f"<X509Certificate>{b64}</X509Certificate>"
                  + kousei[j:])
    if args.tamper_kousei:
        kousei = replace_once(
            kousei, f"<proc_id>{xml_escape(args.proc_id)}</proc_id>",
            f"<proc_id>{xml_escape(args.tamper_kousei)}</proc_id>",
            "change proc_id")
    if args.tamper_signature:
        # A character in the middle: the value stays below the modulus, so
        # the signature is wrong rather than malformed.
        i, j = element_text(kousei, "<SignatureValue>", "</SignatureValue>")
        k = (i + j) // 2
        while kousei[k] in "\r\n":
            k += 1
        c = kousei[k]
        kousei = kousei[:k] + ("B" if c == "A" else "A") + kousei[k + 1:]
    if args.no_keyinfo:
        i, j = element_text(kousei, "<KeyInfo>", "</KeyInfo>")
        kousei = kousei[:i] + kousei[j:]
    if args.duplicate_id:
        # A wrapping attack: the signed 構成情報 moves into a wrapper after
        # the signature, and a changed copy with the same Id takes its place.
        i, j = element_text(kousei, f'<{KOUSEI_ID} Id="{KOUSEI_ID}">',
                            f"</{KOUSEI_ID}>")
        original = kousei[i:j]
        changed = original.replace(
            f"<proc_id>{xml_escape(args.proc_id)}</proc_id>",
            "<proc_id>WRAPPED</proc_id>", 1)
        kousei = kousei[:i] + changed + kousei[j:]
        kousei = replace_once(kousei, "</kousei>",
                              f"<wrapper>{original}</wrapper></kousei>",
                              "wrap 構成情報")
    if args.doctype == "xxe":
        # An external entity (XXE) and its use inside 構成情報.
        kousei = replace_once(
            kousei, "<kousei ",
            '<!DOCTYPE kousei [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
            "<kousei ", "add a DOCTYPE")
        kousei = replace_once(
            kousei, f"<proc_id>{xml_escape(args.proc_id)}</proc_id>",
            "<proc_id>&xxe;</proc_id>", "use the entity")
    elif args.doctype == "system":
        # An external DTD, which a careless parser would fetch.
        kousei = replace_once(
            kousei, "<kousei ",
            '<!DOCTYPE kousei SYSTEM "http://127.0.0.1:9/kousei.dtd">\n'
            "<kousei ", "add a DOCTYPE")
    return kousei


def flip_byte(data):
    if not data:
        die("cannot tamper with an empty file")
    i = len(data) // 2
    return data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1:]


def central_directory(blob):
    """Offsets of the central directory records, by file name (raw bytes)."""
    eocd = blob.rfind(b"PK\x05\x06")
    if eocd < 0:
        die("no end of central directory in the ZIP just written")
    count, _size, offset = struct.unpack_from("<HII", blob, eocd + 10)
    records = {}
    pos = offset
    for _ in range(count):
        if blob[pos:pos + 4] != b"PK\x01\x02":
            die("bad central directory in the ZIP just written")
        nlen, xlen, clen = struct.unpack_from("<HHH", blob, pos + 28)
        name = bytes(blob[pos + 46:pos + 46 + nlen])
        local = struct.unpack_from("<I", blob, pos + 42)[0]
        records[name] = (pos, local)
        pos += 46 + nlen + xlen + clen
    return records


def patch_zip(args, path):
    """Changes made to the written ZIP's headers (bad packages)."""
    if not args.lie_size and not args.no_utf8_flag:
        return
    with open(path, "rb") as f:
        blob = bytearray(f.read())
    records = central_directory(blob)
    for name in args.lie_size:
        key = name.encode("utf-8")
        if key not in records:
            die(f"--lie-size: no entry {name}")
        central, local = records[key]
        size = struct.unpack_from("<I", blob, central + 24)[0]
        if size < 2:
            die(f"--lie-size: {name} is too small to lie about")
        # Declare half the real size in both headers: the data and the CRC
        # stay those of the whole file.
        struct.pack_into("<I", blob, central + 24, size // 2)
        struct.pack_into("<I", blob, local + 22, size // 2)
    if args.no_utf8_flag:
        for central, local in records.values():
            for off in (central + 8, local + 6):
                flags = struct.unpack_from("<H", blob, off)[0]
                struct.pack_into("<H", blob, off, flags & ~0x0800)
    with open(path, "wb") as f:
        f.write(blob)


def write_zip(args, path, kousei, files):
    tampered = set(args.tamper)
    with zipfile.ZipFile(path, "w") as z:
        def add(name, data, method=(zipfile.ZIP_STORED if args.store
                                    else zipfile.ZIP_DEFLATED)):
            info = zipfile.ZipInfo(name, ZIP_TIME)
            info.compress_type = method
            info.external_attr = 0o100644 << 16
            z.writestr(info, data)

        add(KOUSEI, kousei.encode("utf-8"))
        for f in files:
            if f.name in args.drop:
                continue
            add(f.name, flip_byte(f.data) if f.name in tampered else f.data)
        for name, src in args.extra:
            with open(src, "rb") as s:
                add(name, s.read())
        for name in args.traversal:
            add(name, b"%PDF-1.4\n% outside the package folder\n")
        if args.bomb:
            # Zeros compress about 1000:1 with deflate.
            add("bomb.pdf", b"\0" * args.bomb)
    patch_zip(args, path)


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog=PROG, description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="the ZIP to write")
    p.add_argument("--proc-id", required=True, help="the procedure's id")
    p.add_argument("--form", required=True,
                   help="the form data file (XML; its format is the "
                        "catalogue's)")
    p.add_argument("--form-name", help="name of the form file in the "
                                       "package (default: its base name)")
    p.add_argument("--attach", nargs="+", action="append", default=[],
                   metavar="ARG",
                   help="ATTACHMENT_ID PATH [NAME]: an attachment, for the "
                        "catalogue's attachment id, named NAME in the package "
                        "(default: PATH's base name); repeatable")
    p.add_argument("--profile", help="a test profile folder: its sign.key.pem "
                                     "and sign.der sign the package")
    p.add_argument("--key", help="the signer's private key (PEM)")
    p.add_argument("--cert", help="the signer's certificate (DER or PEM)")
    p.add_argument("--store", action="store_true",
                   help="store the entries uncompressed (default: deflate)")

    bad = p.add_argument_group("bad packages (for tests)")
    bad.add_argument("--tamper", action="append", default=[], metavar="NAME",
                     help="flip one byte of file NAME after signing")
    bad.add_argument("--drop", action="append", default=[], metavar="NAME",
                     help="leave file NAME out of the ZIP (it stays signed "
                          "and listed)")
    bad.add_argument("--extra", nargs=2, action="append", default=[],
                     metavar=("NAME", "PATH"),
                     help="add PATH as NAME, neither listed nor signed")
    bad.add_argument("--unreferenced", action="append", default=[],
                     metavar="NAME",
                     help="list NAME in 構成情報 but give it no Reference")
    bad.add_argument("--double-reference", action="append", default=[],
                     metavar="NAME", help="reference NAME twice")
    bad.add_argument("--wrong-size", action="append", default=[],
                     metavar="NAME", help="list NAME with its size plus one")
    bad.add_argument("--content-type", action="append", default=[],
                     metavar="NAME=TYPE",
                     help="list NAME with this content type")
    bad.add_argument("--foreign-signer", metavar="PROFILE",
                     help="sign with PROFILE's key, then put the normal "
                          "certificate into KeyInfo")
    bad.add_argument("--keyinfo-cert", metavar="CERT",
                     help="after signing, put CERT (DER or PEM) into KeyInfo "
                          "instead of the signer's")
    bad.add_argument("--applicant-cert", metavar="CERT",
                     help="name CERT (DER or PEM) as the applicant's sign "
                          "certificate in 構成情報")
    bad.add_argument("--inject", action="append", default=[], metavar="XML",
                     help="add XML at the end of 構成情報 before signing")
    bad.add_argument("--self-signed", action="store_true",
                     help="sign with a fresh key and self-signed certificate")
    bad.add_argument("--tamper-kousei", metavar="PROC_ID",
                     help="change proc_id in 構成情報 after signing")
    bad.add_argument("--tamper-signature", action="store_true",
                     help="change one character of SignatureValue")
    bad.add_argument("--no-keyinfo", action="store_true",
                     help="remove KeyInfo after signing")
    bad.add_argument("--duplicate-id", action="store_true",
                     help="wrapping attack: a changed 構成情報 with the same "
                          "Id, the signed one moved into a wrapper")
    bad.add_argument("--c14n", metavar="URI",
                     help="CanonicalizationMethod (default C14N 1.0)")
    bad.add_argument("--digest", metavar="URI",
                     help="DigestMethod of every Reference (default SHA-256)")
    bad.add_argument("--doctype", choices=("xxe", "system"),
                     help="xxe: add a DOCTYPE with an external entity used "
                          "in proc_id; system: a DOCTYPE naming an external "
                          "DTD")
    bad.add_argument("--traversal", action="append", default=[],
                     metavar="NAME",
                     help="add an entry with this name (../x, /x ...)")
    bad.add_argument("--bomb", type=int, metavar="BYTES",
                     help="add bomb.pdf: BYTES zero bytes, deflated")
    bad.add_argument("--lie-size", action="append", default=[],
                     metavar="NAME",
                     help="declare half of NAME's real size in its ZIP "
                          "headers")
    bad.add_argument("--no-utf8-flag", action="store_true",
                     help="clear the UTF-8 flag (bit 11) of every entry")
    args = p.parse_args(argv)

    for a in args.attach:
        if len(a) not in (2, 3):
            p.error("--attach takes ATTACHMENT_ID PATH [NAME]")
    ct = {}
    for item in args.content_type:
        name, sep, value = item.partition("=")
        if not sep:
            p.error("--content-type takes NAME=TYPE")
        ct[name] = value
    args.content_type = ct
    if args.profile:
        args.key = args.key or os.path.join(args.profile, "sign.key.pem")
        args.cert = args.cert or os.path.join(args.profile, "sign.der")
    if not args.key or not args.cert:
        p.error("give --profile, or --key and --cert")
    return args


def main(argv):
    args = parse_args(argv)
    files = []
    with open(args.form, "rb") as f:
        files.append(File("form", args.form_name or
                          os.path.basename(args.form), f.read()))
    for a in args.attach:
        att_id, path = a[0], a[1]
        name = a[2] if len(a) == 3 else os.path.basename(path)
        with open(path, "rb") as f:
            files.append(File("attachment", name, f.read(), att_id))
    names = [f.name for f in files]
    if len(set(names)) != len(names):
        die("two files with the same name")

    cert_der = read_cert_der(args.cert)
    work = tempfile.mkdtemp(prefix="mkpackage-")
    try:
        os.makedirs(os.path.join(work, "aux"))
        key, sign_cert = args.key, cert_der
        keyinfo_cert = cert_der
        if args.self_signed:
            key, sign_cert = make_self_signed(os.path.join(work, "aux"))
            keyinfo_cert = sign_cert
        elif args.foreign_signer:
            key = os.path.join(args.foreign_signer, "sign.key.pem")
            sign_cert = read_cert_der(os.path.join(args.foreign_signer,
                                                   "sign.der"))
        if args.keyinfo_cert:
            keyinfo_cert = read_cert_der(args.keyinfo_cert)
        kousei = sign(args, files, key, sign_cert, keyinfo_cert, work)
        kousei = after_signing(args, kousei, keyinfo_cert)
        tmp_out = args.out + ".tmp"
        write_zip(args, tmp_out, kousei, files)
        os.replace(tmp_out, args.out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
