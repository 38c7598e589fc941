#!/bin/bash
# demo-portal.sh - the portal half of scripts/demo-cli.sh: a 児童手当 application
# from the software card to a local portal-sim, through mynaterm.
#
# Runs inside tests/harness/portalenv.py, which starts portal-sim on a free
# port with a fresh data directory made from the build's test PKI and gives
# PORTAL_URL, PORTAL_CA, PORTAL_TERMINAL_CERT and PORTAL_TERMINAL_KEY; it
# stops portal-sim afterwards. Arguments: BUILD WORK AUTH_PIN SIGN_PASSWORD.
# The PINs go to mynaterm on standard input only.
set -Eeuo pipefail
build=$1 work=$2 auth_pin=$3 sign_password=$4
root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
mynaterm=$build/kiosk-ui/cli/mynaterm
proc=102016-jidouteate-nintei

heading() { printf '\n== %s\n' "$1"; }

cat > "$work/mynaterm.conf" <<CONF
[portal]
url=$PORTAL_URL
ca-file=$PORTAL_CA
terminal-id=kiosk-test-01
client-cert=$PORTAL_TERMINAL_CERT
client-key=$PORTAL_TERMINAL_KEY
[outbox]
dir=$work/outbox
[kiosk]
city-code=102016
CONF
mt() { "$mynaterm" --config "$work/mynaterm.conf" --vcard "$work/card" "$@"; }
echo "portal-sim: $PORTAL_URL (its own CA: $PORTAL_CA); terminal kiosk-test-01"

heading "9. ぴったりサービス: 前橋市's procedures about 児童手当 (no card needed)"
mt procedures --keyword 児童手当

heading "10. The procedure: its form and the documents to attach"
mt procedure "$proc"

heading "11. Login to the portal with the card's authentication key (PIN on stdin)"
mt --pin-stdin login <<<"$auth_pin"

heading "12. A signed 児童手当 application: the form, a document, the signature password, the outbox, the receipt"
printf '%%PDF-1.4\n%% a copy of the health insurance card (demo)\n%%%%EOF\n' > "$work/hoken.pdf"
mt --pin-stdin --json apply "$proc" --form "$root/config/demo/$proc.form.json" \
  --attach "kenkou_hoken=$work/hoken.pdf:健康保険証.pdf" \
  <<<"$auth_pin"$'\n'"$sign_password" | tee "$work/receipt.json"
arrive_id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["arrive_id"])' \
  "$work/receipt.json")
echo "到達番号 (arrival number): $arrive_id"

heading "13. Its status at the portal"
mt --pin-stdin status "$arrive_id" <<<"$auth_pin"

heading "14. The terminal's outbox: the receipt kept, the signed package wiped"
mt outbox list
ls -A "$work/outbox/packages" | grep -q . && { echo "package still on disk" >&2; exit 1; }

heading "15. The package as the municipality receives it, verified by xmlsec1 on its own"
python3 - "$PORTAL_URL" "$PORTAL_CA" "$arrive_id" "$work/received" <<'PY'
import base64, hashlib, json, os, subprocess, sys
url, ca, receipt, folder = sys.argv[1:]
def post(path, body, token=None):
    cmd = ["curl", "-sS", "--fail-with-body", "--cacert", ca, "-H", "Content-Type: application/json",
           "--data-binary", "@-", url + path]
    if token:
        cmd[1:1] = ["-H", "Authorization: Bearer " + token]
    return json.loads(subprocess.run(cmd, input=json.dumps(body).encode(), check=True,
                                     capture_output=True).stdout)
pw = hashlib.sha256(b"Maebashi-Test-2026").hexdigest()
token = post("/receive/ws/login", {"id": "maebashi-kosodate", "password": pw})["token"]
app = post("/receive/ws/applicationGet", {"receipt_no": receipt}, token)["application"]
os.makedirs(folder)
for f in app["package"]["files"]:
    open(os.path.join(folder, f["name"]), "wb").write(base64.b64decode(f["data"]))
open(os.path.join(folder, "kousei.xml"), "w").write(app["package"]["kousei_xml"])
print("received by", app["city_code"], "as", receipt, "status", app["status"], "files:",
      ", ".join(sorted(os.listdir(folder))))
PY
(cd "$work/received" && xmlsec1 --verify --trusted-pem "$build/pki/ca/sign-ca.pem" \
  --id-attr:Id 構成情報 kousei.xml)
