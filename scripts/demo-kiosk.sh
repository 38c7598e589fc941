#!/bin/bash
# demo-kiosk.sh - the kiosk half of scripts/demo.sh: mynaterm-kiosk in demo
# mode against the local portal-sim, in a window or through the screen tour.
#
# Runs inside tests/harness/portalenv.py, which starts portal-sim on a free
# port with a fresh data directory and gives PORTAL_URL, PORTAL_CA,
# PORTAL_TERMINAL_CERT and PORTAL_TERMINAL_KEY; it stops portal-sim
# afterwards. Arguments:
#   MODE (window | tour) BUILD WORK STAFF_PIN STAFF_PIN_HASH AUTH_PIN
#   SIGN_PASSWORD LANGUAGES SHOTS
# WORK holds the software card (card/), the documents to attach (documents/)
# and the outbox (outbox/); the settings file is written there.
set -Eeuo pipefail
mode=$1 build=$2 work=$3 staff_pin=$4 staff_hash=$5 auth_pin=$6 sign_password=$7
languages=$8 shots=$9
root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
kiosk=$build/kiosk-ui/app/mynaterm-kiosk
conf=$work/kiosk.conf

cat > "$conf" <<CONF
# mynaterm-kiosk settings of the demo (scripts/demo.sh); every key is
# described in config/mynaterm.conf.
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
[card]
source=vcard
vcard-profile=$work/card/profile.ini
[ui]
idle-timeout-s=300
idle-warning-s=30
default-language=ja
fullscreen=false
attachment-dirs=$work/documents
staff-pin-hash=$staff_hash
delivery-interval-s=60
CONF
echo "portal-sim: $PORTAL_URL; terminal kiosk-test-01; settings: $conf"

case "$mode" in
  window)
    cat <<HOW

  The kiosk opens in a window, as a resident would see it at the counter.

  - The purple demo bar at the top stands in for the card reader: its
    button "デモ用カードを入れる" / "Insert the demo card" puts the software
    card in, and "Take out the demo card" takes it out again (taking it out
    ends a session and clears everything, as at a real terminal).
  - PIN (利用者証明用, 4 digits):           $auth_pin
  - Signature password (署名用, 6-16):      $sign_password
  - Staff PIN ("職員用" / "Staff" at the top right of the first screen): $staff_pin
  - Try: サービスを探す (Search services) -> 児童手当の認定請求 -> apply;
    attach hoken.pdf from the documents folder; sign and send; the receipt
    shows the arrival number. The first screen chooses the language.

  Close the window to end the demo.

HOW
    MYNA_KIOSK_LOCALEDIR=$build/locale "$kiosk" --config "$conf" --demo --window
    ;;
  tour)
    MYNA_TOUR_STAFF_PIN=$staff_pin MYNA_TEST_PKI=$build/pki \
      bash "$root/tests/harness/with-xvfb" --a11y -- \
      /usr/bin/python3 "$root/tests/kiosk/e2e/tour.py" --build "$build" --config "$conf" \
        --language "$languages" --shots "$shots"
    [ "$languages" = all ] && languages=ja,en,zh_CN,ko,es,pt_BR
    printf '\n== The screenshots, in the order shown (%s)\n' "$shots"
    for lang in ${languages//,/ }; do
      d=$shots/$lang
      printf '\n%s/ (%d files)\n' "$d" "$(find "$d" -maxdepth 1 -name '*.png' | wc -l)"
      find "$d" -maxdepth 1 -name '*.png' -printf '%f\n' | sort | pr -3 -t -w 108 | expand
    done
    ;;
  *)
    echo "demo-kiosk.sh: MODE is window or tour, not $mode" >&2
    exit 2
    ;;
esac
