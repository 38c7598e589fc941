#!/usr/bin/python3
"""mynaterm end to end against a real portal-sim over HTTPS, with the
software card in-process (--vcard), and the faults of portal-sim --dev.

Every application ends checked from the municipality's side
(/receive/ws): exactly one application per signed package, with the receipt
the client stored, and its stored kousei.xml verified by xmlsec1 in a folder
holding the package's files. Waits are on events (process exit, portal-sim's
log, the portal's own state), never on sleeps.
"""

import base64
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
from portalenv import PortalEnv, pki_dir  # noqa: E402
from mynatermenv import (EXIT_CONFIG, EXIT_LOGIN, EXIT_PENDING, EXIT_REFUSED,  # noqa: E402
                         PROC, Municipality, Terminal, form_for)

WAIT_S = 30.0


def wait_for(pred, what, timeout=WAIT_S):
    """Wait for a condition on the portal's state (its own answers are the
    events here), bounded."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.05)


class MynatermTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.env = PortalEnv(dev=True)
        cls.env.start()

    @classmethod
    def tearDownClass(cls):
        cls.env.close()

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="mynaterm-test-")
        self.env.request("DELETE", "/_dev/faults")
        self.muni = Municipality(self.env)
        self.before = {a["receipt_no"] for a in self.muni.applications()}

    def tearDown(self):
        if self.env.proc is None or self.env.proc.poll() is not None:
            self.env.start()
        self.env.request("DELETE", "/_dev/faults")
        shutil.rmtree(self.tmp, ignore_errors=True)

    def faults(self, *rules):
        r = self.env.post("/_dev/faults", {"rules": list(rules)}, idem=False)
        self.assertEqual(r.status, 200, r)

    def new_applications(self):
        return [a for a in self.muni.applications() if a["receipt_no"] not in self.before]

    def assert_one_delivered(self, t, receipt):
        """Exactly one new application at the portal, with the receipt the
        client stored, its package verified by xmlsec1; the outbox holds the
        receipt and no package file."""
        new = self.new_applications()
        self.assertEqual(len(new), 1, new)
        self.assertEqual(new[0]["receipt_no"], receipt["arrive_id"])
        self.assertRegex(receipt["arrive_id"], r"^\d{16}$")
        entries = t.outbox_list()
        mine = [e for e in entries if e.get("arrive_id") == receipt["arrive_id"]]
        self.assertEqual(len(mine), 1, entries)
        self.assertEqual(mine[0]["state"], "delivered")
        self.assertFalse(mine[0]["package_on_disk"])
        self.assertEqual(os.listdir(os.path.join(t.outbox, "packages")), [])
        self.verify_stored_package(receipt["arrive_id"])

    def verify_stored_package(self, receipt_no):
        app = self.muni.get(receipt_no)
        folder = tempfile.mkdtemp(dir=self.tmp)
        pkg = app["package"]
        for f in pkg["files"]:
            with open(os.path.join(folder, f["name"]), "wb") as out:
                out.write(base64.b64decode(f["data"]))
        with open(os.path.join(folder, "kousei.xml"), "wb") as out:
            out.write(pkg["kousei_xml"].encode())
        v = subprocess.run(["xmlsec1", "--verify", "--trusted-pem",
                            os.path.join(pki_dir(), "ca", "sign-ca.pem"),
                            "--id-attr:Id", "構成情報", "kousei.xml"],
                           cwd=folder, capture_output=True)
        self.assertEqual(v.returncode, 0, v.stderr.decode())
        names = sorted(f["name"] for f in pkg["files"])
        self.assertIn("健康保険証.pdf", names)

    # -- the happy path --

    def test_search_without_card(self):
        t = Terminal(self.env, self.tmp)
        rc, out, err = t.run("procedures", "--city", "102016", "--keyword", "児童手当")
        self.assertEqual(rc, 0, err)
        ids = [p["proc_id"] for p in json.loads(out)]
        self.assertIn(PROC, ids)
        rc, out, err = t.run("procedure", PROC)
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["title"], "児童手当の認定請求")
        rc, out, err = t.run("procedure", "102016-no-such-thing")
        self.assertEqual(rc, EXIT_REFUSED, err)

    def test_login_and_resident_reads(self):
        t = Terminal(self.env, self.tmp)
        rc, out, err = t.run("login", pins=(t.auth_pin,))
        self.assertEqual(rc, 0, err)
        self.assertTrue(json.loads(out)["logged_in"])
        self.assertNotIn(t.auth_pin, out + err)
        for args in (("notices",), ("selfinfo",), ("records",), ("status",)):
            rc, out, err = t.run(*args, pins=(t.auth_pin,))
            self.assertEqual(rc, 0, "%s: %s" % (args, err))
            json.loads(out)
        # Each command logged out at its end: the portal holds no live
        # session of this terminal's logins (a logged-out token is refused).

    def test_apply_end_to_end(self):
        t = Terminal(self.env, self.tmp)
        rc, out, err = t.apply()
        self.assertEqual(rc, 0, err)
        receipt = json.loads(out)
        self.assertEqual(receipt["state"], "delivered")
        self.assert_one_delivered(t, receipt)
        rc, out, err = t.run("status", receipt["arrive_id"], pins=(t.auth_pin,))
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["status"], "到達")
        self.assertNotIn(t.sign_password, out + err)

    def test_apply_refused_form_never_enters_the_outbox(self):
        t = Terminal(self.env, self.tmp)
        form = form_for("adult")
        del form["items"]["applicant_phone"]
        with open(t.form, "w") as f:
            json.dump(form, f, ensure_ascii=False)
        rc, out, err = t.apply()
        self.assertEqual(rc, EXIT_REFUSED, err)
        self.assertIn("form.applicant_phone", err)
        self.assertEqual(t.outbox_list(), [])
        self.assertEqual(self.new_applications(), [])

    def test_amend_after_a_correction_request(self):
        t = Terminal(self.env, self.tmp)
        rc, out, err = t.apply()
        self.assertEqual(rc, 0, err)
        arrive_id = json.loads(out)["arrive_id"]
        # The municipality asks for a correction; the resident sees it.
        r = self.env.post("/receive/ws/statusUpdate",
                          {"receipt_no": arrive_id, "status": "補正依頼",
                           "comment": "電話番号を日中に連絡の取れる番号にしてください。"},
                          token=self.muni.token)
        self.assertEqual(r.status, 200, r)
        rc, out, err = t.run("notices", pins=(t.auth_pin,))
        self.assertEqual(rc, 0, err)
        kinds = [(n["arrive_id"], n["kind"]) for n in json.loads(out)]
        self.assertIn((arrive_id, "補正依頼"), kinds)
        form = form_for("adult")
        form["items"]["applicant_phone"] = "090-2222-3333"
        t.write_form(form)
        rc, out, err = t.run(*t.apply_args(), "--amend", arrive_id, pins=(t.auth_pin, t.sign_password))
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["arrive_id"], arrive_id)
        # Still one application, now 審査中, its package the corrected one.
        new = self.new_applications()
        self.assertEqual([a["receipt_no"] for a in new], [arrive_id])
        app = self.muni.get(arrive_id)
        self.assertEqual(app["status"], "審査中")
        self.verify_stored_package(arrive_id)
        form_xml = [f for f in app["package"]["files"] if f["name"] == "form.xml"][0]
        self.assertIn(b"090-2222-3333", base64.b64decode(form_xml["data"]))
        # Once amended, another amend is refused by the portal (not 補正待ち).
        rc, out, err = t.run(*t.apply_args(), "--amend", arrive_id, pins=(t.auth_pin, t.sign_password))
        self.assertEqual(rc, EXIT_REFUSED, err)

    def test_kofu_staff_assisted_card_application(self):
        t = Terminal(self.env, self.tmp)
        form_id = "".join(str(b % 10) for b in os.urandom(23))
        rc, out, err = t.run("kofu", "start", form_id, "--name", "鈴木　和子",
                             "--email", "kazuko@example.jp")
        self.assertEqual(rc, 0, err)
        token = json.loads(out)["token"]
        bad = os.path.join(t.dir, "square.jpg")
        good = os.path.join(t.dir, "photo.jpg")
        for path, w, h in ((bad, 600, 600), (good, 600, 771)):
            r = subprocess.run([os.environ["PS_MKJPEG"], path, str(w), str(h), "rgb", "90"],
                               capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
        rc, out, err = t.run("kofu", "photo", token, bad)
        self.assertEqual(rc, EXIT_REFUSED, err)
        self.assertIn("photo.aspect_ratio", err)
        rc, out, err = t.run("kofu", "photo", token, good)
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["width"], 600)
        submit = ("kofu", "submit", token, "--birth-date", "1950-11-03", "--staff-id",
                  "staff-017")
        rc, out, err = t.run(*submit)
        self.assertEqual(rc, 2, err)           # no --resident-confirmed: nothing sent
        rc, out, err = t.run("kofu", "status", form_id)
        self.assertEqual(json.loads(out)["status"], "未申請")
        rc, out, err = t.run(*submit, "--resident-confirmed")
        self.assertEqual(rc, 0, err)
        receipt = json.loads(out)["receipt_no"]
        self.assertRegex(receipt, r"^\d{16}$")
        rc, out, err = t.run("kofu", "status", form_id)
        self.assertEqual(rc, 0, err)
        st = json.loads(out)
        self.assertEqual((st["status"], st["receipt_no"]), ("受付済み", receipt))

    # -- faults during the upload: exactly one application, right receipt --

    def apply_with_fault(self, rule):
        # Without the dry run (apply/check shares the path prefix), so that
        # the fault meets the apply itself.
        t = Terminal(self.env, self.tmp)
        self.faults(dict(rule, method="POST", path_prefix="/shinsei/v2/apply"))
        rc, out, err = t.apply(check=False)
        self.assertEqual(rc, 0, err)
        self.assert_one_delivered(t, json.loads(out))
        r = self.env.request("GET", "/_dev/faults")
        self.assertEqual(r.json()["results"], [],
                         "the fault never met the apply: %r" % r.text)

    def test_fault_connection_dropped_mid_upload(self):
        self.apply_with_fault({"drop_request_after": 4096})

    def test_fault_connection_dropped_before_answer(self):
        self.apply_with_fault({"drop_response_after": 0, "times": 2})

    def test_fault_truncated_answer(self):
        self.apply_with_fault({"truncate_body": True})

    def test_fault_503_retry_after(self):
        self.apply_with_fault({"status_503": True, "retry_after": 1, "times": 2})

    def test_fault_stall(self):
        self.apply_with_fault({"stall_ms": 6000})

    # -- the portal down, the client killed --

    def test_portal_down_then_flush(self):
        t = Terminal(self.env, self.tmp, retry_total_ms=1500)
        self.faults({"method": "POST", "path_prefix": "/shinsei/v2/apply",
                     "status_503": True, "retry_after": 1, "times": 100})
        rc, out, err = t.apply()
        self.assertEqual(rc, EXIT_PENDING, err)
        pending = t.outbox_list()
        self.assertEqual([e["state"] for e in pending], ["pending"])
        self.assertTrue(pending[0]["package_on_disk"])
        self.assertEqual(self.new_applications(), [])
        # portal-sim killed and started again; the resident has gone: the
        # terminal relays the package with its own certificate.
        self.env.kill()
        self.env.start()
        t.retarget()
        rc, out, err = t.run("outbox", "flush")
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["delivered"], 1)
        entries = t.outbox_list()
        self.assert_one_delivered(t, entries[0])

    def test_client_killed_after_the_portal_stored_it(self):
        t = Terminal(self.env, self.tmp, low_speed_s=60)
        # The portal stores the application, then holds the answer back;
        # the client is killed while it waits.
        self.faults({"method": "POST", "path_prefix": "/shinsei/v2/apply",
                     "stall_ms": 20000})
        proc = subprocess.Popen(t.argv(*t.apply_args(check=False)), stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        proc.stdin.write(("%s\n%s\n" % (t.auth_pin, t.sign_password)).encode())
        proc.stdin.close()
        wait_for(self.new_applications, "the application to be stored")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=WAIT_S)
        proc.stdout.close()
        proc.stderr.close()
        self.env.request("DELETE", "/_dev/faults")
        self.assertEqual([e["state"] for e in t.outbox_list()], ["pending"])
        rc, out, err = t.run("outbox", "flush")
        self.assertEqual(rc, 0, err)
        self.assert_one_delivered(t, t.outbox_list()[0])

    def test_client_killed_before_the_portal_stored_it(self):
        t = Terminal(self.env, self.tmp)
        # The upload stalls in the network: the connection is dropped after
        # 4 KiB, and the client is killed during its back-off.
        self.faults({"method": "POST", "path_prefix": "/shinsei/v2/apply",
                     "drop_request_after": 4096, "times": 1000})
        proc = subprocess.Popen(t.argv(*t.apply_args(check=False)), stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        proc.stdin.write(("%s\n%s\n" % (t.auth_pin, t.sign_password)).encode())
        proc.stdin.close()
        wait_for(lambda: os.path.isdir(os.path.join(t.outbox, "packages")) and
                 os.listdir(os.path.join(t.outbox, "packages")), "the package in the outbox")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=WAIT_S)
        proc.stdout.close()
        proc.stderr.close()
        self.env.request("DELETE", "/_dev/faults")
        self.assertEqual(self.new_applications(), [])
        rc, out, err = t.run("outbox", "flush")
        self.assertEqual(rc, 0, err)
        self.assert_one_delivered(t, t.outbox_list()[0])

    # -- refusals --

    def test_wrong_server_certificate_sends_nothing(self):
        other_ca = os.path.join(pki_dir(), "ca", "auth-ca.pem")
        t = Terminal(self.env, self.tmp, ca=other_ca)
        rc, out, err = t.run("procedures", "--keyword", "児童手当")
        self.assertEqual(rc, EXIT_CONFIG, err)
        self.assertIn("tls", err)

    def test_wrong_pin_sends_nothing(self):
        wrong = "sha256//" + base64.b64encode(hashlib.sha256(b"another key").digest()).decode()
        t = Terminal(self.env, self.tmp, pin=wrong)
        rc, out, err = t.apply()
        self.assertEqual(rc, EXIT_CONFIG, err)
        self.assertEqual(t.outbox_list(), [])
        self.assertEqual(self.new_applications(), [])

    def test_revoked_certificate_login_shows_the_reason(self):
        t = Terminal(self.env, self.tmp, profile="revoked")
        rc, out, err = t.run("login", pins=(t.auth_pin,))
        self.assertEqual(rc, EXIT_LOGIN, err)
        self.assertIn("cert-revoked", err)
        self.assertIn("cert_revoked", err)    # the portal's own code, shown

    def test_corrupt_config_is_named(self):
        t = Terminal(self.env, self.tmp)
        with open(t.config, "a") as f:
            f.write("[network]\nretry-totl-ms=5\n")
        rc, out, err = t.run("procedures")
        self.assertEqual(rc, EXIT_CONFIG, err)
        self.assertIn("retry-totl-ms", err)
        with open(t.config, "w") as f:
            f.write("this is not a key file\n")
        rc, out, err = t.run("procedures")
        self.assertEqual(rc, EXIT_CONFIG, err)
        self.assertIn(t.config, err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
