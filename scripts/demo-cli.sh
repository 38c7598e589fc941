#!/bin/bash
# demo-cli.sh - mynaterm from the command line, on built-in defaults: the
# mynacard tool reads, signs and exports from the built-in software My Number
# Card (the 'adult' profile that the build generates in build/pki), in-process
# and then in a reader through a private pcscd, and OpenSSL checks every
# signature independently; then the portal client mynaterm logs in to a local
# portal-sim with that card, searches ぴったりサービス, submits a signed
# 児童手当 application through its outbox and shows the receipt
# (scripts/demo-portal.sh).
#
#   scripts/demo-cli.sh    (as root on a fresh Debian 12 machine; as any user
#                           once the packages are installed)
#
# Works on a copy of the profile in a temporary folder, removed at exit, so the
# card's counters in build/pki stay as they were. PINs are test values of the
# generated profile (docs/test-pki.md); they go to the tool on standard input
# and are never printed.
set -Eeuo pipefail

root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
cd "$root"

build=$root/build
pki=$build/pki
mynacard=$build/card/cli/mynacard

# Test values of the generated 'adult' profile (docs/test-pki.md).
auth_pin=1234          # 利用者証明用電子証明書 PIN
sign_password=SIGN2026 # 署名用電子証明書 password
text_pin=1234          # 券面事項入力補助用 PIN
verification_b=55021720352285 # 照合番号B: birth (era YYMMDD) + expiry year + security code

step=setup
trap 'echo "demo-cli.sh: FAILED during: $step" >&2' ERR

heading() { step=$1; printf '\n== %s\n' "$1"; }

heading "Installing the packages (scripts/install-deps.sh)"
bash "$root/scripts/install-deps.sh"

heading "Building in build/ (RelWithDebInfo, -Werror)"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMYNA_WERROR=ON \
  -DMYNA_SANITIZE=OFF -DMYNA_COVERAGE=OFF -DMYNA_FUZZ=OFF >/dev/null
cmake --build "$build" --parallel "$(nproc)" >/dev/null
for f in "$mynacard" "$pki/profiles/adult/profile.ini" "$pki/ca/sign-ca.pem"; do
  [ -e "$f" ] || { echo "demo-cli.sh: $f was not built" >&2; exit 1; }
done
echo "built: $mynacard"

work=$(mktemp -d "${TMPDIR:-/tmp}/mynaterm-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -r "$pki/profiles/adult" "$work/card"
cd "$work"
mc() { "$mynacard" --vcard "$work/card" "$@"; }
echo "software card: a copy of build/pki/profiles/adult in $work (removed at exit)"

heading "1. The card: token label and certificates (mynacard info)"
mc info

heading "2. Tries left for every PIN, read without spending one (mynacard pin-status)"
mc pin-status

heading "3. The authentication certificate exported as PEM, as openssl reads it (cert auth)"
mc cert auth --pem -o auth.pem
openssl x509 -in auth.pem -noout -subject -issuer -enddate
openssl verify -CAfile "$pki/ca/auth-ca.pem" auth.pem

heading "4. A document signed with the authentication key (PIN on stdin), checked by openssl dgst"
printf 'mynaterm demo: a small document to sign.\n' > doc.txt
mc --pin-stdin sign auth --in doc.txt --hash sha256 -o doc.sig <<<"$auth_pin"
openssl x509 -in auth.pem -pubkey -noout > auth.pub
echo "signature: $(stat -c %s doc.sig) bytes (RSA-2048, PKCS#1 v1.5, SHA-256)"
openssl dgst -sha256 -verify auth.pub -signature doc.sig doc.txt

heading "5. A CMS signature with the signature key (password on stdin), checked by openssl cms against the sign CA"
mc --pin-stdin sign sign --in doc.txt --cms -o doc.p7s <<<"$sign_password"
echo "CMS (DER, detached): $(stat -c %s doc.p7s) bytes"
openssl cms -verify -binary -inform DER -in doc.p7s -content doc.txt \
  -CAfile "$pki/ca/sign-ca.pem" -out /dev/null

heading "6. The holder's basic information, 基本4情報 (text PIN on stdin; mynacard basic-info)"
mc --pin-stdin basic-info <<<"$text_pin"

heading "7. The face photo from the card surface AP (照合番号B on stdin), written as PNG"
mc --pin-stdin face -o face.png <<<"$verification_b"
dims=$(od -An -tu1 -j16 -N8 face.png |
  awk '{ printf "%dx%d", $1*16777216+$2*65536+$3*256+$4, $5*16777216+$6*65536+$7*256+$8 }')
echo "face.png: PNG, ${dims} pixels, $(stat -c %s face.png) bytes (removed with the temporary folder)"

heading "8. The same card in a reader, through pcscd: readers, info and a signature (mynacard --reader)"
# A private pcscd with a virtual reader (vsmartcard-vpcd) holding the same
# software card, served by mynacard-vcard; tests/harness/pcscenv.py starts
# both and stops them after. pcscd runs in a mount namespace of its own,
# which needs root.
if [ "$(id -u)" -eq 0 ]; then
  /usr/bin/python3 "$root/tests/harness/pcscenv.py" --build "$build" -- bash -c '
    set -e
    "$0" readers
    "$0" --reader "$MYNA_READER" info
    "$0" --reader "$MYNA_READER" --pin-stdin sign auth --in doc.txt -o doc-pcsc.sig <<<"$1"
    openssl dgst -sha256 -verify auth.pub -signature doc-pcsc.sig doc.txt' \
    "$mynacard" "$auth_pin"
else
  echo "skipped: starting a private pcscd needs root (run scripts/demo-cli.sh as root)"
fi

heading "Starting a local portal-sim (tests/harness/portalenv.py) for the portal client mynaterm"
/usr/bin/python3 "$root/tests/harness/portalenv.py" --build "$build" -- \
  bash "$root/scripts/demo-portal.sh" "$build" "$work" "$auth_pin" "$sign_password"

step=finished
printf '\n== Demo finished: every signature verified by OpenSSL, the application by xmlsec1.\n'
