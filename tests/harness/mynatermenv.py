#!/usr/bin/python3
"""mynatermenv - a kiosk terminal running mynaterm(1) against portal-sim,
for the end-to-end tests (tests/client/test_mynaterm.py) and the benchmark
(tests/bench/bench_client.py).

    env = PortalEnv(dev=True).start()
    t = Terminal(env, tmp)                      # config, outbox, card copy
    rc, out, err = t.apply()                    # 102016-jidouteate-nintei
    Municipality(env).applications()            # what really arrived

- Terminal writes a mynaterm configuration (portal URL and CA, terminal
  certificate, retry timing, outbox folder), copies a test PKI card profile
  for --vcard (a run may change the card's state: tries left, a blocked
  PIN) and writes a valid 児童手当 form and a small PDF to attach.
- PINs go to mynaterm on standard input (--pin-stdin), never on argv.
- Municipality is the receive side (/receive/ws) of portal-sim: the
  applications that really arrived, independent of what the client says.

Uses Debian's /usr/bin/python3 standard library.
"""

import hashlib
import json
import os
import shutil
import subprocess

from portalenv import build_dir, pki_dir, profiles, terminal_cert

MYNATERM = os.path.join(build_dir(), "kiosk-ui", "cli", "mynaterm")
PROC = "102016-jidouteate-nintei"   # 前橋市 児童手当の認定請求
MUNI = ("maebashi-kosodate", "Maebashi-Test-2026")
TERMINAL_ID = "kiosk-test-01"

# Exit codes of mynaterm(1).
EXIT_OK, EXIT_REFUSED, EXIT_NETWORK, EXIT_CONFIG, EXIT_LOGIN, EXIT_PENDING = 0, 11, 12, 13, 14, 15


def form_for(profile):
    """The 児童手当 form of the resident of profile, with the health
    insurance document attached as a file (kenkou_hoken)."""
    p = profiles()[profile]
    return {
        "items": {
            "applicant_name": p["holder_name"],
            "applicant_kana": p["holder_name_kana"],
            "applicant_birth_date": p["birth_date"],
            "applicant_my_number": p["my_number"],
            "applicant_postal_code": "371-0022",
            "applicant_address": p["address"],
            "applicant_phone": "027-224-1111",
            "pension_type": "kousei",
            "jan1_residence": "shinai",
            "reason": "birth",
            "reason_date": "2025-05-01",
            "has_spouse": "nashi",
            "account_method": "koukin",
            "pledge": True,
        },
        "groups": {
            "children": [{
                "child_name": "高橋　陽向",
                "child_kana": "タカハシ　ヒナタ",
                "child_birth_date": "2025-05-01",
                "child_relation": "ko",
                "child_living": "doukyo",
                "child_category": "shikyu",
            }],
        },
    }


class Terminal:
    """One kiosk terminal: its config, outbox and a copy of a software card.

    url: the portal's address when it is not env.url (a relay in front of
    it). attachments: (ATTACHMENT_ID, PATH, NAME) of each --attach of
    apply(); by default the small health insurance PDF."""

    def __init__(self, env, tmp, profile="adult", name="t", ca=None, pin=None,
                 cert=True, retry_total_ms=20000, low_speed_s=2, url=None):
        self.env = env
        self.dir = os.path.join(tmp, name)
        os.makedirs(self.dir)
        self.profile = profile
        self.card = os.path.join(self.dir, "card")
        shutil.copytree(os.path.join(pki_dir(), "profiles", profile), self.card)
        self.outbox = os.path.join(self.dir, "outbox")
        self.config = os.path.join(self.dir, "mynaterm.conf")
        self.url = url or env.url
        lines = ["[portal]", "url=" + self.url, "ca-file=" + (ca or env.ca),
                 "terminal-id=" + TERMINAL_ID]
        if pin:
            lines.append("pin=" + pin)
        if cert:
            c, k = terminal_cert(TERMINAL_ID)
            lines += ["client-cert=" + c, "client-key=" + k]
        lines += ["[network]", "retry-total-ms=%d" % retry_total_ms, "retry-base-ms=50",
                  "retry-max-ms=500", "low-speed-time-s=%d" % low_speed_s,
                  "connect-timeout-ms=2000",
                  "[outbox]", "dir=" + self.outbox]
        with open(self.config, "w") as f:
            f.write("\n".join(lines) + "\n")
        p = profiles()[profile]
        self.auth_pin = p["auth_pin"]
        self.sign_password = p["sign_password"]
        self.form = os.path.join(self.dir, "form.json")
        self.write_form(form_for(profile))
        self.pdf = os.path.join(self.dir, "hoken.pdf")
        with open(self.pdf, "wb") as f:
            f.write(b"%PDF-1.4\n% health insurance card copy\n" + os.urandom(3000) + b"\n%%EOF\n")
        self.attachments = [("kenkou_hoken", self.pdf, "健康保険証.pdf")]

    def write_form(self, form):
        with open(self.form, "w") as f:
            json.dump(form, f, ensure_ascii=False)

    def retarget(self):
        """portal-sim came back on another port: follow it."""
        with open(self.config) as f:
            text = f.read()
        with open(self.config, "w") as f:
            f.write(text.replace("url=" + self.url + "\n", "url=" + self.env.url + "\n"))
        self.url = self.env.url

    def argv(self, *args, json_out=True):
        a = [MYNATERM, "--config", self.config, "--vcard", self.card, "--pin-stdin"]
        if json_out:
            a.append("--json")
        return a + list(args)

    def run(self, *args, pins=(), json_out=True, timeout=120):
        p = subprocess.run(self.argv(*args, json_out=json_out),
                           input=self.pin_lines(pins), capture_output=True, timeout=timeout)
        return (p.returncode, p.stdout.decode("utf-8", "replace"),
                p.stderr.decode("utf-8", "replace"))

    @staticmethod
    def pin_lines(pins):
        return "".join(x + "\n" for x in pins).encode()

    def apply_args(self, check=True):
        a = ["apply", PROC, "--form", self.form]
        for att_id, path, name in self.attachments:
            a += ["--attach", "%s=%s:%s" % (att_id, path, name)]
        return tuple(a) + (() if check else ("--no-check",))

    def apply_pins(self):
        """Standard input of apply: the auth PIN, then the sign password."""
        return self.pin_lines((self.auth_pin, self.sign_password))

    def apply(self, check=True, **kw):
        return self.run(*self.apply_args(check), pins=(self.auth_pin, self.sign_password), **kw)

    def outbox_list(self):
        rc, out, err = self.run("outbox", "list")
        assert rc == 0, err
        return json.loads(out)


class Municipality:
    """The 申請管理 side of portal-sim, to see what really arrived."""

    def __init__(self, env):
        self.env = env
        h = hashlib.sha256(MUNI[1].encode()).hexdigest()
        r = env.post("/receive/ws/login", {"id": MUNI[0], "password": h}, idem=False)
        assert r.status == 200, r
        self.token = r.json()["token"]

    def applications(self, proc_id=PROC, limit=100, offset=0):
        r = self.env.post("/receive/ws/applicationListSearch",
                          {"proc_id": proc_id, "limit": limit, "offset": offset},
                          idem=False, token=self.token)
        assert r.status == 200, r
        return r.json()["applications"]

    def all_applications(self, proc_id=PROC):
        """Every application of proc_id, page by page."""
        out = []
        while True:
            page = self.applications(proc_id, offset=len(out))
            out += page
            if len(page) < 100:
                return out

    def get(self, receipt_no):
        r = self.env.post("/receive/ws/applicationGet", {"receipt_no": receipt_no},
                          idem=False, token=self.token)
        assert r.status == 200, r
        return r.json()["application"]
