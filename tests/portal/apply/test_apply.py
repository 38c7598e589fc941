"""ぴったりサービス search and e-application against a running portal-sim
(server/shinsei.c), black-box: curl over verified HTTPS, packages signed by
xmlsec1 through tests/portal/mkpackage.py with the test PKI's software keys.

The resident is the `minimal` profile (都城市, 452025); the form is the
documented example of docs/portal-sim-catalog.md for 452025-kodomo-iryouhi."""

import base64
import os
import subprocess
import sys
import tempfile
import threading
import unittest
import uuid
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "harness"))
from portalenv import PortalEnv, pki_dir  # noqa: E402
import hashlib  # noqa: E402

MKPACKAGE = os.path.join(HERE, "..", "mkpackage.py")
PROC = "452025-kodomo-iryouhi"
TERMINAL = "kiosk-apply-01"

FORM = """<?xml version="1.0" encoding="UTF-8"?>
<form xmlns="urn:mynaterm:portal-sim:form:1" proc_id="452025-kodomo-iryouhi">
  <item id="guardian_name">加藤　大輔</item>
  <item id="guardian_kana">カトウ　ダイスケ</item>
  <item id="guardian_birth_date">1989-01-08</item>
  <item id="guardian_my_number">840281753965</item>
  <item id="guardian_postal_code">{postal}</item>
  <item id="guardian_address">宮崎県都城市姫城町７街区１０号</item>
  <item id="guardian_phone">090-1234-5678</item>
  <item id="insurance_kind">shaho</item>
  <group id="children">
    <entry>
      <item id="child_name">加藤　蓮</item>
      <item id="child_kana">カトウ　レン</item>
      <item id="child_birth_date">2018-04-10</item>
      <item id="child_insurer">全国健康保険協会 宮崎支部</item>
    </entry>
  </group>
  <item id="account_method">koukin</item>
  <item id="pledge">true</item>
  {consent}
</form>
"""
CONSENT = '<linkage-consent attachment="kodomo_hoken"/>'


class Apply(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.env = PortalEnv().__enter__()
        cls.addClassCleanup(cls.env.__exit__, None, None, None)
        cls.tmp = tempfile.mkdtemp(prefix="apply-", dir=cls.env.dir)
        cls.token = cls.env.login("minimal", terminal=TERMINAL)
        cls.n = 0

    def path(self, name):
        return os.path.join(self.tmp, name)

    def package(self, postal="885-0029", consent=True, attach=None, signer="minimal",
                *bad):
        """A package signed with the profile's sign key; bad: mkpackage.py
        options that spoil it."""
        Apply.n += 1
        form = self.path("form-%d.xml" % self.n)
        with open(form, "w") as f:
            f.write(FORM.format(postal=postal, consent=CONSENT if consent else ""))
        out = self.path("pkg-%d.zip" % self.n)
        cmd = [sys.executable, MKPACKAGE, "--profile",
               os.path.join(pki_dir(), "profiles", signer), "--proc-id", PROC,
               "--form", form, "--out", out]
        if attach:
            cmd += ["--attach", "kodomo_hoken", attach]
        cmd += list(bad)
        r = subprocess.run(cmd, capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(out, "rb") as f:
            return f.read()

    def pdf(self):
        p = self.path("hoken.pdf")
        with open(p, "wb") as f:
            f.write(b"%PDF-1.4\n% insurance card copy\n" + os.urandom(2000) + b"\n%%EOF\n")
        return p

    def body(self, zip_bytes, proc=PROC, name="shinsei.zip"):
        return {"proc_id": proc, "send_file": {
            "file_name": name, "file_data": base64.b64encode(zip_bytes).decode()}}

    def apply(self, body, path="/shinsei/v2/apply", token=True, **kw):
        return self.env.post(path, body, token=self.token if token else None,
                             terminal=TERMINAL, **kw)

    def items(self, r):
        return [x["item"] for x in r.json().get("report_list", [])]

    # -- search and definitions: no login --

    def test_search_without_login(self):
        q = urllib.parse.urlencode({"city_code": "452025", "category": "子育て"})
        r = self.env.request("GET", "/shinsei/v2/procedures?" + q)
        self.assertEqual(r.status, 200, r.text)
        ids = [p["proc_id"] for p in r.json()["results"]]
        self.assertIn(PROC, ids)
        self.assertEqual(r.json()["resultset"]["all_count"], len(ids))
        q = urllib.parse.urlencode({"keyword": "じどうてあて", "limit": "5"})
        r = self.env.request("GET", "/shinsei/v2/procedures?" + q)
        self.assertEqual(r.status, 200, r.text)
        self.assertTrue(r.json()["results"])
        self.assertTrue(all("児童手当" in p["title"] for p in r.json()["results"]))
        self.assertLessEqual(len(r.json()["results"]), 5)
        r = self.env.request("GET", "/shinsei/v2/procedures?limit=0")
        self.assertEqual(r.status, 400, r.text)
        self.assertIn("limit", self.items(r))

    def test_procedure_definition(self):
        r = self.env.request("GET", "/shinsei/v2/procedure/" + PROC)
        self.assertEqual(r.status, 200, r.text)
        d = r.json()["results"]
        self.assertEqual(d["proc_id"], PROC)
        self.assertTrue(d["attachments"])
        r = self.env.request("GET", "/shinsei/v2/procedure/999999-none")
        self.assertEqual(r.status, 404, r.text)

    # -- apply --

    def test_check_apply_status_list_duplicate_withdraw(self):
        zip_ = self.package()
        r = self.apply(self.body(zip_), "/shinsei/v2/apply/check")
        self.assertEqual(r.status, 200, r.text)
        self.assertEqual(r.json()["results"]["result"], "OK")
        key = "6f1c2a8e-0000-4000-8000-000000000001"
        r = self.apply(self.body(zip_), idem=key)
        self.assertEqual(r.status, 201, r.text)
        res = r.json()["results"]
        arrive = res["arrive_id"]
        self.assertRegex(arrive, r"^[1-9][0-9]{15}$")
        self.assertRegex(res["arrive_date"], r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
        self.assertEqual(r.json()["_links"]["self"]["href"], "/shinsei/v2/apply/" + arrive)
        # The same request again (a client that lost the answer): replayed.
        again = self.apply(self.body(zip_), idem=key)
        self.assertEqual((again.status, again.body), (201, r.body))
        # The same package under a new key: the first receipt, not stored twice.
        dup = self.apply(self.body(zip_))
        self.assertEqual(dup.status, 200, dup.text)
        self.assertEqual(dup.json()["results"]["arrive_id"], arrive)
        self.assertTrue(dup.json()["results"]["duplicate"])
        st = self.env.request("GET", "/shinsei/v2/apply/" + arrive, token=self.token)
        self.assertEqual(st.status, 200, st.text)
        self.assertEqual(st.json()["results"]["status"], "到達")
        self.assertEqual(st.json()["results"]["portal_status"], "処理中")
        lst = self.env.request("GET", "/shinsei/v2/apply/lists?limit=50", token=self.token)
        self.assertEqual(lst.status, 200, lst.text)
        self.assertEqual([a["arrive_id"] for a in lst.json()["results"]].count(arrive), 1)
        self.assertEqual(self.env.request("GET", "/shinsei/v2/apply/lists?limit=51",
                                          token=self.token).status, 400)
        # Another resident does not see it.
        other = self.env.login("adult", terminal=TERMINAL)
        self.assertEqual(self.env.request("GET", "/shinsei/v2/apply/" + arrive,
                                          token=other).status, 404)
        # Amending needs a 補正 request from the municipality first.
        am = self.apply(dict(self.body(zip_), arrive_id=arrive), "/shinsei/v2/apply/amend")
        self.assertEqual(am.status, 409, am.text)
        w = self.apply({"arrive_id": arrive}, "/shinsei/v2/apply/withdraw")
        self.assertEqual(w.status, 200, w.text)
        self.assertEqual(w.json()["results"]["status"], "取下げ")
        w = self.apply({"arrive_id": arrive}, "/shinsei/v2/apply/withdraw")
        self.assertEqual(w.status, 409, w.text)

    def test_attachment_accepted_and_tampering_named(self):
        pdf = self.pdf()
        r = self.apply(self.body(self.package(consent=False, attach=pdf)))
        self.assertEqual(r.status, 201, r.text)
        r = self.apply(self.body(self.package("885-0029", False, pdf, "minimal",
                                              "--tamper", "hoken.pdf")))
        self.assertEqual(r.status, 422, r.text)
        self.assertTrue(any("hoken.pdf" in i for i in self.items(r)), r.text)

    def test_refusals_name_what_failed(self):
        # A required document neither attached nor left to 情報連携.
        r = self.apply(self.body(self.package(consent=False)))
        self.assertEqual(r.status, 422, r.text)
        self.assertIn("attachment:kodomo_hoken", self.items(r))
        # A field that breaks its rule.
        r = self.apply(self.body(self.package(postal="8850029")))
        self.assertEqual(r.status, 422, r.text)
        self.assertIn("form.guardian_postal_code", self.items(r))
        # Signed by someone else's valid card.
        r = self.apply(self.body(self.package(signer="adult")))
        self.assertEqual(r.status, 422, r.text)
        self.assertEqual(r.json()["type"].rsplit(":", 1)[1], "signer_mismatch")
        # Signed with a revoked and with an expired certificate.
        for prof in ("revoked", "expired"):
            r = self.apply(self.body(self.package(signer=prof)))
            self.assertEqual(r.status, 422, r.text)
            self.assertIn("sign_cert", self.items(r), r.text)
        # The package is for another procedure than the body says.
        r = self.apply(self.body(self.package(), proc="452025-jidouteate-nintei"))
        self.assertIn(r.status, (404, 422), r.text)
        # Not base64, not a ZIP name, no token, malformed JSON.
        r = self.apply({"proc_id": PROC, "send_file": {"file_name": "a.txt",
                                                       "file_data": "!!"}})
        self.assertEqual(r.status, 400, r.text)
        self.assertEqual(sorted(self.items(r)),
                         ["send_file.file_data", "send_file.file_name"])
        self.assertEqual(self.apply(self.body(self.package()), token=False).status, 401)
        r = self.env.request("POST", "/shinsei/v2/apply", body=b"{not json",
                             headers={"Content-Type": "application/json"},
                             token=self.token, idem="6f1c2a8e-0000-4000-8000-0000000000ff",
                             terminal=TERMINAL)
        self.assertEqual(r.status, 400, r.text)


    # -- after a 補正依頼 from the municipality --

    def test_amend_after_correction_request(self):
        r = self.apply(self.body(self.package(postal="885-0021")))
        self.assertEqual(r.status, 201, r.text)
        arrive = r.json()["results"]["arrive_id"]
        # 都城市's account (docs/portal-sim.md: a test-only password).
        pw = hashlib.sha256(b"Miyakonojo-Test-2026").hexdigest()
        lg = self.env.request("POST", "/receive/ws/login",
                              json_body={"id": "miyakonojo-shimin", "password": pw})
        self.assertEqual(lg.status, 200, lg.text)
        muni = lg.json()["token"]
        up = self.env.request("POST", "/receive/ws/statusUpdate", json_body={
            "receipt_no": arrive, "status": "補正依頼",
            "comment": "郵便番号をご確認のうえ、申請し直してください。"},
            token=muni, idem=str(uuid.uuid4()))
        self.assertEqual(up.status, 200, up.text)
        st = self.env.request("GET", "/shinsei/v2/apply/" + arrive, token=self.token)
        self.assertEqual((st.json()["results"]["status"], st.json()["results"]["portal_status"]),
                         ("補正待ち", "要訂正"))
        # A corrected package that is still wrong is refused and changes nothing.
        bad = self.apply(dict(self.body(self.package(postal="8850029")), arrive_id=arrive),
                         "/shinsei/v2/apply/amend")
        self.assertEqual(bad.status, 422, bad.text)
        self.assertIn("form.guardian_postal_code", self.items(bad))
        fixed = self.package(postal="885-0029")
        am = self.apply(dict(self.body(fixed), arrive_id=arrive), "/shinsei/v2/apply/amend")
        self.assertEqual(am.status, 200, am.text)
        self.assertEqual(am.json()["results"]["status"], "審査中")
        st = self.env.request("GET", "/shinsei/v2/apply/" + arrive, token=self.token).json()
        self.assertEqual([h["status"] for h in st["results"]["history"]],
                         ["到達", "補正待ち", "審査中"])
        # The municipality now receives the corrected package.
        got = self.env.request("POST", "/receive/ws/applicationGet",
                               json_body={"receipt_no": arrive}, token=muni)
        self.assertEqual(got.status, 200, got.text)
        self.assertIn(hashlib.sha256(fixed).hexdigest(), got.text)

    # -- a crash in the middle of a burst --

    def test_sigkill_during_applies_loses_no_acknowledged_application(self):
        """Twelve different packages sent by three threads; portal-sim is
        killed (SIGKILL) once three have been acknowledged, while others are
        in flight. After a restart every 201 is there, and sending the
        unanswered ones again with their own Idempotency-Keys ends with
        exactly one application per package."""
        zips = [self.package(postal="885-00%02d" % (30 + i)) for i in range(12)]
        keys = [str(uuid.uuid4()) for _ in zips]
        acked, lock, enough = {}, threading.Lock(), threading.Event()

        def send(idx):
            for i in idx:
                r = self.apply(self.body(zips[i]), idem=keys[i], timeout=20)
                if r.status == 201:
                    with lock:
                        acked[i] = r.json()["results"]["arrive_id"]
                        if len(acked) >= 3:
                            enough.set()
                elif r.status != 0:
                    return
        threads = [threading.Thread(target=send, args=(range(k, 12, 3),)) for k in range(3)]
        for t in threads:
            t.start()
        self.assertTrue(enough.wait(60), "no three applications acknowledged")
        self.env.kill()
        for t in threads:
            t.join(60)
        before = dict(acked)
        self.env.start()
        for i, arrive in before.items():
            st = self.env.request("GET", "/shinsei/v2/apply/" + arrive, token=self.token)
            self.assertEqual(st.status, 200, "acknowledged %s lost: %s" % (arrive, st.text))
        final = {}
        for i, z in enumerate(zips):
            r = self.apply(self.body(z), idem=keys[i])
            self.assertEqual(r.status, 201, r.text)
            final[i] = r.json()["results"]["arrive_id"]
            if i in before:
                self.assertEqual(final[i], before[i])
        lst = self.env.request("GET", "/shinsei/v2/apply/lists?limit=50", token=self.token)
        ids = [a["arrive_id"] for a in lst.json()["results"]]
        for arrive in final.values():
            self.assertEqual(ids.count(arrive), 1, arrive)
        self.assertEqual(len(set(final.values())), 12)


if __name__ == "__main__":
    unittest.main(verbosity=2)
