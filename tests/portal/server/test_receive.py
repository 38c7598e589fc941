"""The municipality side, POST /receive/ws/<operation>: login with the
SHA-256 of the password, each city seeing only its own applications,
applicationGet with the package's files and kousei.xml, the status
changes and the ones refused, statusListSearch, and a 補正依頼 that the
resident then finds among their notices (with portal_status 要訂正)."""

import base64
import hashlib
import io
import os
import sys
import unittest
import uuid
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "harness"))
from portalenv import PortalEnv  # noqa: E402

# docs/portal-sim.md: the test-only accounts of the seed.
MAEBASHI = ("maebashi-kosodate", "Maebashi-Test-2026")
SANJO = ("sanjo-kosodate", "Sanjo-Test-2026")
ADULT_ID = "R102016-0001"       # profile adult, 前橋市
EXPIRED_ID = "R102016-0002"     # profile expired, 前橋市
CHILD_ID = "R152048-0001"       # profile child, 三条市


def sha(s):
    return hashlib.sha256(s.encode()).hexdigest()


def package():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("kousei.xml", '<?xml version="1.0" encoding="UTF-8"?>\n'
                   '<構成情報 Id="構成情報"><手続ID>P-102016-0001</手続ID></構成情報>\n')
        z.writestr("form.xml", "<form><child_name>タカハシ ユイ</child_name></form>")
        z.writestr("jumin.pdf", b"%PDF-1.4\n%test\n")
    return buf.getvalue()


class Receive(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.env = PortalEnv(dev=True).__enter__()
        cls.pkg = package()
        cls.apps = {}
        for name, rid, proc, date in (("a1", ADULT_ID, "P-102016-0001", "2026-11-01 10:00:00"),
                                      ("a2", EXPIRED_ID, "P-102016-0002", "2026-11-10 15:30:00"),
                                      ("c1", CHILD_ID, "P-152048-0001", "2026-11-05 09:00:00")):
            body = {"resident_id": rid, "proc_id": proc, "arrive_date": date,
                    "form": {"child_name": "タカハシ ユイ"}}
            if name == "a1":
                body["package_base64"] = base64.b64encode(cls.pkg).decode()
                body["package_file_name"] = "shinsei.zip"
            r = cls.env.post("/_dev/applications", body)
            assert r.status == 201, r
            cls.apps[name] = r.json()["results"]["arrive_id"]
        cls.maebashi = cls.login(*MAEBASHI)
        cls.sanjo = cls.login(*SANJO)

    @classmethod
    def tearDownClass(cls):
        cls.env.__exit__(None, None, None)

    @classmethod
    def login(cls, uid, password):
        r = cls.env.request("POST", "/receive/ws/login",
                            json_body={"id": uid, "password": sha(password)})
        assert r.status == 200, r
        return r.json()["token"]

    def op(self, name, body, token, **kw):
        return self.env.request("POST", "/receive/ws/" + name, json_body=body, token=token, **kw)

    def ok(self, r):
        self.assertEqual(r.status, 200, r)
        b = r.json()
        self.assertEqual(b["result"], {"resultName": "OK", "errors": []})
        return b

    def ng(self, r, status, code, item):
        self.assertEqual(r.status, status, r)
        b = r.json()
        self.assertEqual(b["result"]["resultName"], "NG")
        self.assertEqual(b["result"]["errors"], [code])
        self.assertIn(item, [it["item"] for it in b["report_list"]], b)
        return b

    # -- login --

    def test_login(self):
        b = self.ok(self.env.request("POST", "/receive/ws/login",
                                     json_body={"id": MAEBASHI[0], "password": sha(MAEBASHI[1])}))
        self.assertEqual(b["city_code"], "102016")
        self.assertEqual(b["token_type"], "Bearer")
        self.assertGreater(len(b["token"]), 30)

    def test_login_refused(self):
        wrong = self.ng(self.env.request("POST", "/receive/ws/login", json_body={
            "id": MAEBASHI[0], "password": sha("wrong")}), 401, "EE000", "id/password")
        unknown = self.ng(self.env.request("POST", "/receive/ws/login", json_body={
            "id": "nobody", "password": sha("x")}), 401, "EE000", "id/password")
        # The same words for both: which ids exist is not told.
        self.assertEqual(wrong["report_list"], unknown["report_list"])
        self.ng(self.env.request("POST", "/receive/ws/login", json_body={
            "id": MAEBASHI[0], "password": MAEBASHI[1]}), 400, "EE100", "password")

    def test_operations_need_the_token(self):
        for op in ("applicationListSearch", "applicationGet", "statusListSearch"):
            self.ng(self.op(op, {"receipt_no": self.apps["a1"]}, None), 401, "EE000",
                    "Authorization")
            self.ng(self.op(op, {"receipt_no": self.apps["a1"]}, "forged"), 401, "EE000",
                    "Authorization")
        r = self.op("statusUpdate", {"receipt_no": self.apps["a1"], "status": "審査中"}, None,
                    idem=str(uuid.uuid4()))
        self.ng(r, 401, "EE000", "Authorization")

    # -- searches --

    def test_each_city_sees_its_own_applications(self):
        b = self.ok(self.op("applicationListSearch", {}, self.maebashi))
        got = [a["receipt_no"] for a in b["applications"]]
        self.assertEqual(got, [self.apps["a2"], self.apps["a1"]])   # newest first
        self.assertEqual(b["total"], 2)
        b = self.ok(self.op("applicationListSearch", {}, self.sanjo))
        self.assertEqual([a["receipt_no"] for a in b["applications"]], [self.apps["c1"]])

    def test_list_filters_and_paging(self):
        b = self.ok(self.op("applicationListSearch", {"date_from": "2026-11-05",
                                                      "date_to": "2026-11-30"}, self.maebashi))
        self.assertEqual([a["receipt_no"] for a in b["applications"]], [self.apps["a2"]])
        b = self.ok(self.op("applicationListSearch", {"date_to": "2026-11-01"}, self.maebashi))
        self.assertEqual([a["receipt_no"] for a in b["applications"]], [self.apps["a1"]])
        b = self.ok(self.op("applicationListSearch", {"proc_id": "P-102016-0002"}, self.maebashi))
        self.assertEqual([a["receipt_no"] for a in b["applications"]], [self.apps["a2"]])
        b = self.ok(self.op("applicationListSearch", {"limit": 1, "offset": 1}, self.maebashi))
        self.assertEqual(b["total"], 2)
        self.assertEqual(len(b["applications"]), 1)
        self.ng(self.op("applicationListSearch", {"limit": 0}, self.maebashi), 400, "EE100", "limit")
        self.ng(self.op("applicationListSearch", {"date_from": "11/05"}, self.maebashi), 400,
                "EE100", "date_from")
        self.ng(self.op("applicationListSearch", {"status": 3}, self.maebashi), 400, "EE100",
                "status")

    # -- one application --

    def test_application_get_with_its_package(self):
        b = self.ok(self.op("applicationGet", {"receipt_no": self.apps["a1"]}, self.maebashi))
        a = b["application"]
        self.assertEqual(a["receipt_no"], self.apps["a1"])
        self.assertEqual(a["city_code"], "102016")
        self.assertEqual(a["applicant"]["name"], "高橋　健太")
        self.assertEqual(a["form"], {"child_name": "タカハシ ユイ"})
        pkg = a["package"]
        self.assertEqual(pkg["sha256"], hashlib.sha256(self.pkg).hexdigest())
        self.assertEqual(pkg["size"], len(self.pkg))
        self.assertEqual(pkg["file_name"], "shinsei.zip")
        files = {f["name"]: base64.b64decode(f["data"]) for f in pkg["files"]}
        with zipfile.ZipFile(io.BytesIO(self.pkg)) as z:
            self.assertEqual(files, {n: z.read(n) for n in z.namelist()})
            self.assertEqual(pkg["kousei_xml"], z.read("kousei.xml").decode())

    def test_another_citys_application_is_not_found(self):
        self.ng(self.op("applicationGet", {"receipt_no": self.apps["c1"]}, self.maebashi), 404,
                "EE101", "receipt_no")
        self.ng(self.op("applicationGet", {"receipt_no": "9" * 16}, self.maebashi), 404,
                "EE101", "receipt_no")
        self.ng(self.op("applicationGet", {}, self.maebashi), 400, "EE100", "receipt_no")
        r = self.op("statusUpdate", {"receipt_no": self.apps["c1"], "status": "審査中"},
                    self.maebashi, idem=str(uuid.uuid4()))
        self.ng(r, 404, "EE101", "receipt_no")

    # -- status changes --

    def update(self, receipt, status, comment=None, token=None, idem=None):
        body = {"receipt_no": receipt, "status": status}
        if comment is not None:
            body["comment"] = comment
        return self.op("statusUpdate", body, token or self.maebashi,
                       idem=idem or str(uuid.uuid4()))

    def test_status_update_needs_an_idempotency_key(self):
        r = self.op("statusUpdate", {"receipt_no": self.apps["a2"], "status": "審査中"},
                    self.maebashi)
        self.assertEqual(r.status, 400, r)
        self.assertIn("Idempotency-Key", [it["item"] for it in r.json()["report_list"]])

    def test_status_flow_with_a_correction_request(self):
        receipt = self.apps["a1"]
        key = str(uuid.uuid4())
        first = self.update(receipt, "審査中", idem=key)
        b = self.ok(first)
        self.assertEqual((b["status"], b["portal_status"]), ("審査中", "処理中"))
        again = self.update(receipt, "審査中", idem=key)
        self.assertEqual(again.headers.get("idempotent-replayed"), "true")
        self.assertEqual(again.body, first.body)
        # The same change again (a new key) is no change at all.
        self.ng(self.update(receipt, "審査中"), 409, "EE102", "status")

        self.ng(self.update(receipt, "補正依頼"), 400, "EE100", "comment")
        self.ng(self.update(receipt, "補正依頼", "高橋健太さんの添付書類が不足しています。"), 422,
                "EE100", "comment")
        self.ng(self.update(receipt, "補正依頼", "群馬県前橋市千代田町二丁目３番１５号 宛て"), 422,
                "EE100", "comment")
        self.ng(self.update(receipt, "却下"), 400, "EE100", "status")
        comment = "住民票の写しの添付がありません。発行から3か月以内のものを添付してください。"
        b = self.ok(self.update(receipt, "補正依頼", comment))
        self.assertEqual((b["status"], b["portal_status"]), ("補正待ち", "要訂正"))
        self.assertEqual(b["notice"], {"arrive_id": receipt, "notice_sub_id": "01"})

        # The resident finds the request among their notices.
        token = self.env.login("adult")
        lst = self.env.request("GET", "/shinsei/v2/notice/lists", token=token).json()
        mine = [n for n in lst["results"] if n["arrive_id"] == receipt]
        self.assertEqual(len(mine), 1)
        self.assertEqual(mine[0]["kind"], "補正依頼")
        self.assertEqual(mine[0]["sender"], "前橋市 子育て施策課")
        one = self.env.request("GET", "/shinsei/v2/notice/%s/01" % receipt, token=token).json()
        self.assertEqual(one["results"]["body"], comment)
        # ... and nobody else does.
        other = self.env.request("GET", "/shinsei/v2/notice/%s/01" % receipt,
                                 token=self.env.login("child"))
        self.assertEqual(other.status, 404)

        b = self.ok(self.update(receipt, "手続終了"))
        self.assertEqual(b["notice"]["notice_sub_id"], "02")
        self.ng(self.update(receipt, "審査中"), 409, "EE102", "status")

        hist = self.ok(self.op("statusListSearch", {"receipt_no": receipt}, self.maebashi))
        self.assertEqual([s["status"] for s in hist["statuses"]],
                         ["手続終了", "補正待ち", "審査中", "到達"])
        self.assertEqual(hist["statuses"][1]["comment"], comment)
        self.assertEqual(hist["statuses"][0]["changed_by"], MAEBASHI[0])
        self.assertEqual(hist["statuses"][3]["changed_by"], "portal")
        got = self.ok(self.op("applicationGet", {"receipt_no": receipt}, self.maebashi))
        self.assertEqual(got["application"]["status"], "手続終了")

    def test_status_list_is_per_city(self):
        b = self.ok(self.op("statusListSearch", {}, self.sanjo))
        self.assertEqual({s["receipt_no"] for s in b["statuses"]}, {self.apps["c1"]})
        b = self.ok(self.op("statusListSearch", {"receipt_no": self.apps["c1"]}, self.maebashi))
        self.assertEqual(b["statuses"], [])
        b = self.ok(self.op("statusListSearch", {"changed_to": "2000-01-01"}, self.sanjo))
        self.assertEqual(b["statuses"], [])
        self.ng(self.op("statusListSearch", {"changed_from": "yesterday"}, self.sanjo), 400,
                "EE100", "changed_from")


if __name__ == "__main__":
    unittest.main(verbosity=2)
