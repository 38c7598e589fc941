"""The resident's read-only endpoints, logged in through /auth/v1 with the
test PKI's software-card keys: self-information categories and contents,
exchange records with paging and date filters, notices (list without
bodies, one with its body), and the refusals: unknown category, another
resident's notice, bad paging, no or a wrong token."""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "harness"))
from portalenv import PortalEnv  # noqa: E402


class Resident(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.env = PortalEnv().__enter__()
        with open(os.path.join(cls.env.data, "residents.json")) as f:
            cls.residents = {r["profile"]: r for r in json.load(f)["residents"]}
        cls.adult = cls.env.login("adult")
        cls.child = cls.env.login("child")

    @classmethod
    def tearDownClass(cls):
        cls.env.__exit__(None, None, None)

    def get(self, path, token=None):
        return self.env.request("GET", path, token=token or self.adult)

    def ok(self, path, token=None):
        r = self.get(path, token)
        self.assertEqual(r.status, 200, r)
        b = r.json()
        self.assertIn("metadata", b)
        self.assertTrue(b["metadata"]["title"])
        return b

    def error(self, r, status, item):
        self.assertEqual(r.status, status, r)
        e = r.json()
        self.assertIn(item, [it["item"] for it in e["report_list"]], e)
        return e

    # -- 自己情報 --

    def test_categories_are_the_residents_own(self):
        b = self.ok("/selfinfo/v1/categories")
        cats = {c["category"]: c for c in b["results"]}
        seed = self.residents["adult"]["selfinfo"]
        self.assertEqual(set(cats), set(seed))
        for cid, c in cats.items():
            self.assertEqual(c["item_count"], len(seed[cid]["items"]))
            self.assertEqual(c["href"], "/selfinfo/v1/" + cid)
        self.assertEqual(cats["household"]["title"], "世帯情報")
        self.assertEqual(b["resultset"]["count"], len(cats))
        # Another resident, another list.
        child = {c["category"] for c in self.ok("/selfinfo/v1/categories", self.child)["results"]}
        self.assertEqual(child, set(self.residents["child"]["selfinfo"]))
        self.assertNotEqual(child, set(cats))

    def test_one_category(self):
        b = self.ok("/selfinfo/v1/household")
        res = b["results"]
        self.assertEqual(res["category"], "household")
        self.assertEqual(res["items"], self.residents["adult"]["selfinfo"]["household"]["items"])
        self.assertEqual(res["items"][0]["name"], "高橋　健太")
        self.assertEqual(b["resultset"]["count"], 4)
        vacc = self.ok("/selfinfo/v1/vaccination", self.child)["results"]["items"]
        self.assertIn("日本脳炎 (1期追加)", [v["vaccine"] for v in vacc])

    def test_known_category_without_data_is_empty(self):
        res = self.ok("/selfinfo/v1/long_term_care")["results"]
        self.assertEqual(res["items"], [])
        self.assertEqual(res["title"], "介護保険")

    def test_unknown_category_is_404(self):
        e = self.error(self.get("/selfinfo/v1/horoscope"), 404, "category")
        self.assertIn("horoscope", e["report_list"][0]["content"])

    # -- やりとり履歴 --

    def test_records_newest_first_with_paging(self):
        b = self.ok("/records/v1")
        dates = [r["date"] for r in b["results"]]
        self.assertEqual(dates, sorted(dates, reverse=True))
        self.assertEqual(len(dates), len(self.residents["adult"]["records"]))
        self.assertEqual(b["resultset"]["all_count"], len(dates))
        for r in b["results"]:
            for k in ("requester", "provider", "information", "procedure"):
                self.assertTrue(r[k])
        p = self.ok("/records/v1?limit=2&offset=1")
        self.assertEqual([r["date"] for r in p["results"]], dates[1:3])
        self.assertEqual(p["resultset"], {"all_count": len(dates), "limit": 2, "offset": 1,
                                          "count": 2})

    def test_records_date_filter(self):
        b = self.ok("/records/v1?date_from=2026-01-01&date_to=2026-03-31")
        self.assertEqual([r["date"][:10] for r in b["results"]], ["2026-02-03"])
        b = self.ok("/records/v1?date_to=2025-12-31")
        self.assertEqual([r["date"][:10] for r in b["results"]], ["2025-11-18"])

    def test_records_bad_query(self):
        for q, item in (("limit=0", "limit"), ("limit=51", "limit"), ("limit=x", "limit"),
                        ("offset=-1", "offset"), ("date_from=2026-13-01", "date_from"),
                        ("date_to=yesterday", "date_to")):
            self.error(self.get("/records/v1?" + q), 400, item)

    # -- お知らせ --

    def test_notice_list_has_no_bodies(self):
        b = self.ok("/shinsei/v2/notice/lists")
        seed = self.residents["adult"]["notices"]
        self.assertEqual(b["resultset"]["all_count"], len(seed))
        for n in b["results"]:
            self.assertNotIn("body", n)
            self.assertEqual(n["href"], "/shinsei/v2/notice/%s/%s" % (n["arrive_id"],
                                                                     n["notice_sub_id"]))
        dates = [n["notice_date"] for n in b["results"]]
        self.assertEqual(dates, sorted(dates, reverse=True))

    def test_one_notice_with_its_body(self):
        n = self.residents["adult"]["notices"][0]
        b = self.ok("/shinsei/v2/notice/%s/%s" % (n["arrive_id"], n["notice_sub_id"]))
        self.assertEqual(b["results"]["body"], n["body"])
        self.assertEqual(b["results"]["title"], n["title"])

    def test_another_residents_notice_is_not_found(self):
        n = self.residents["child"]["notices"][0]
        path = "/shinsei/v2/notice/%s/%s" % (n["arrive_id"], n["notice_sub_id"])
        self.error(self.get(path), 404, "arrive_id")
        self.assertEqual(self.get(path, self.child).status, 200)
        self.error(self.get("/shinsei/v2/notice/0000000000000000/01"), 404, "arrive_id")

    # -- tokens --

    def test_no_or_bad_token_is_401(self):
        for path in ("/selfinfo/v1/categories", "/selfinfo/v1/household", "/records/v1",
                     "/shinsei/v2/notice/lists", "/shinsei/v2/notice/1/01"):
            self.error(self.env.request("GET", path), 401, "Authorization")
            self.error(self.env.request("GET", path, token=self.adult + "x"), 401,
                       "Authorization")


if __name__ == "__main__":
    unittest.main(verbosity=2)
