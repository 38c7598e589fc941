#!/bin/bash
# cli-tests.sh NAME - one behaviour of the mynacard tool, end to end on the
# software card. Every signature is checked by OpenSSL, not by our code.
# Needs MYNACARD (the binary) and MYNA_TEST_PKI (the generated PKI).
set -u
: "${MYNACARD:?}" "${MYNA_TEST_PKI:?}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
failures=0

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
check() { # check DESCRIPTION COMMAND...
  local what=$1; shift
  if "$@" >/dev/null 2>&1; then echo "ok: $what"; else fail "$what"; fi
}
expect_rc() { # expect_rc WANT DESCRIPTION (after running a command)
  if [ "$rc" -eq "$1" ]; then echo "ok: $2 (exit $rc)"; else fail "$2: exit $rc, want $1"; fi
}
# A fresh copy of a profile, so that counters changed here stay here; the
# copy keeps its counters in a state file, as a real card keeps them between
# two runs of the tool.
profile() {
  rm -rf "$work/$1"; cp -r "$MYNA_TEST_PKI/profiles/$1" "$work/$1"
  grep -q '^state=' "$work/$1/profile.ini" || sed -i 's/^\[card\]$/[card]\nstate=state.ini/' "$work/$1/profile.ini"
  echo "$work/$1"
}
mc() { "$MYNACARD" "$@"; }
ini() { # ini PROFILE SECTION KEY
  awk -F= -v s="[$2]" -v k="$3" '$0==s{in_s=1;next} /^\[/{in_s=0} in_s && $1==k{print substr($0,length(k)+2)}' "$1/profile.ini"
}
tries() { # tries PROFILE auth|sign|text
  mc --vcard "$1" --json pin-status | python3 -c "import json,sys; print(json.load(sys.stdin)['$2'].get('tries_left','none'))"
}
CA=$MYNA_TEST_PKI/ca
echo "document to sign" > doc.txt

case "$1" in
info-and-pin-status)
  p=$(profile adult)
  out=$(mc --vcard "$p" --json info); rc=$?
  expect_rc 0 "info"
  check "info names the token" grep -q '"token_label":"JPKIAPICCTOKEN2"' <<<"$out"
  check "info: JPKI issuer pattern" grep -q 'OU=JPKI for user authentication,O=JPKI,C=JP' <<<"$out"
  check "info: sign certificate present" grep -q '"sign_certificate":true' <<<"$out"
  [ "$(tries "$p" auth)/$(tries "$p" sign)/$(tries "$p" text)" = "3/5/3" ] && echo "ok: tries 3/5/3" || fail "tries not 3/5/3"
  # reading the counters spends nothing
  [ "$(tries "$p" auth)" = 3 ] && echo "ok: still 3 after reading twice" || fail "reading tries spent one"
  m=$(profile minimal)
  out=$(mc --vcard "$m" --json info); rc=$?
  expect_rc 0 "info on a card without token info"
  check "minimal: no token label" grep -q '"token_label":null' <<<"$out"
  out=$(mc --vcard "$p" info); rc=$?
  expect_rc 0 "info as text"
  check "text info shows the issuer" grep -q "JPKI for user authentication" <<<"$out"
  out=$(LANG=ja_JP.UTF-8 mc --vcard "$p" pin-status); rc=$?
  check "pin-status in Japanese" grep -q "残り3回" <<<"$out"
  ;;
certificates-chain-to-the-cas)
  p=$(profile adult)
  mc --vcard "$p" cert auth -o auth.pem; rc=$?; expect_rc 0 "cert auth"
  mc --vcard "$p" cert auth-ca --der -o auth-ca.der; rc=$?; expect_rc 0 "cert auth-ca --der"
  check "auth cert chains to the auth CA" openssl verify -CAfile "$CA/auth-ca.pem" auth.pem
  check "auth-ca on the card is the CA" cmp auth-ca.der "$CA/auth-ca.der"
  check "auth cert equals the profile's" cmp <(openssl x509 -in auth.pem -outform DER) "$p/$(ini "$p" jpki auth_cert)"
  printf 'SIGN2026\n' | mc --vcard "$p" --pin-stdin cert sign -o sign.pem; rc=$?
  expect_rc 0 "cert sign after the password"
  check "sign cert chains to the sign CA" openssl verify -CAfile "$CA/sign-ca.pem" sign.pem
  check "sign cert file is private (0600)" test "$(stat -c %a sign.pem)" = 600
  # 1.2.392.200149.8.5.5.1 (name) and .4 (birth date) in DER
  check "sign cert carries the name OID" sh -c "openssl x509 -in sign.pem -outform DER | od -An -tx1 -v | tr -d ' \\n' | grep -q 2a83088c9b5508050501"
  check "sign cert carries the birth OID" sh -c "openssl x509 -in sign.pem -outform DER | od -An -tx1 -v | tr -d ' \\n' | grep -q 2a83088c9b5508050504"
  mc --vcard "$p" cert sign-ca -o sign-ca.pem; rc=$?; expect_rc 0 "cert sign-ca"
  check "sign-ca on the card is the CA" cmp <(openssl x509 -in sign-ca.pem -outform DER) "$CA/sign-ca.der"
  ;;
raw-signatures-verify)
  p=$(profile adult)
  mc --vcard "$p" cert auth -o auth.pem && openssl x509 -in auth.pem -pubkey -noout > auth.pub
  printf 'SIGN2026\n' | mc --vcard "$p" --pin-stdin cert sign -o sign.pem
  openssl x509 -in sign.pem -pubkey -noout > sign.pub
  for h in sha1 sha256 sha384 sha512; do
    mc --vcard "$p" --pin-stdin sign auth --in doc.txt --hash $h -o sig <<<1234; rc=$?
    expect_rc 0 "sign auth $h"
    check "openssl dgst -$h -verify (auth)" openssl dgst -$h -verify auth.pub -signature sig doc.txt
    mc --vcard "$p" --pin-stdin sign sign --in doc.txt --hash $h -o sig <<<SIGN2026; rc=$?
    expect_rc 0 "sign sign $h"
    check "openssl dgst -$h -verify (sign)" openssl dgst -$h -verify sign.pub -signature sig doc.txt
  done
  echo "tampered" >> doc.txt
  if openssl dgst -sha512 -verify sign.pub -signature sig doc.txt >/dev/null 2>&1; then fail "a tampered document verified"; else echo "ok: tampered document fails"; fi
  ;;
cms-signatures-verify)
  p=$(profile adult)
  for h in sha256 sha512; do
    mc --vcard "$p" --pin-stdin sign sign --cms --hash $h --in doc.txt -o doc.p7s <<<SIGN2026; rc=$?
    expect_rc 0 "CMS with the sign key ($h)"
    check "openssl cms -verify (sign, $h)" openssl cms -verify -binary -inform DER -in doc.p7s -content doc.txt -CAfile "$CA/sign-ca.pem" -out /dev/null
  done
  mc --vcard "$p" --pin-stdin sign auth --cms --in doc.txt -o auth.p7s <<<1234; rc=$?
  expect_rc 0 "CMS with the auth key"
  check "openssl cms -verify (auth)" openssl cms -verify -binary -inform DER -in auth.p7s -content doc.txt -CAfile "$CA/auth-ca.pem" -out /dev/null
  check "CMS names the signer" sh -c "openssl cms -cmsout -print -inform DER -in auth.p7s | grep -q 'JPKI for user authentication'"
  ;;
wrong-pin-spends-one-try)
  p=$(profile adult)
  mc --vcard "$p" --pin-stdin sign auth --in doc.txt -o sig <<<9999 2>err; rc=$?
  expect_rc 3 "wrong PIN"
  check "message gives tries left" grep -q "2 tries left" err
  [ "$(tries "$p" auth)" = 2 ] && echo "ok: exactly one try spent" || fail "tries after one wrong PIN: $(tries "$p" auth)"
  mc --vcard "$p" --pin-stdin sign auth --in doc.txt -o sig <<<1234; rc=$?
  expect_rc 0 "right PIN after a wrong one"
  [ "$(tries "$p" auth)" = 3 ] && echo "ok: counter back to 3" || fail "counter not reset"
  ;;
last-try-warns-and-blocks)
  p=$(profile one-try)
  pin=$(ini "$p" jpki auth_pin)
  mc --vcard "$p" --pin-stdin sign auth --in doc.txt -o sig <<<0000 2>err; rc=$?
  [ "$pin" != 0000 ] || fail "profile PIN collides with the test's wrong PIN"
  expect_rc 4 "a wrong last try blocks"
  check "warned before the last try" grep -q "last try" err
  mc --vcard "$p" --pin-stdin sign auth --in doc.txt -o sig <<<"$pin" 2>err; rc=$?
  expect_rc 4 "blocked even with the right PIN"
  check "blocked message says where to reset" grep -q "municipal office" err
  ;;
blocked-pin-is-not-asked)
  p=$(profile blocked)
  # stdin has a PIN; the tool must not read or send it
  mc --vcard "$p" --trace --pin-stdin sign auth --in doc.txt -o sig <<<"$(ini "$p" jpki auth_pin)" 2>err; rc=$?
  expect_rc 4 "blocked PIN refused"
  if grep -q '^> 00 20 00 80 04' err; then fail "a VERIFY with data was sent on a blocked PIN"; else echo "ok: no VERIFY with data sent"; fi
  out=$(mc --vcard "$p" pin-status); rc=$?
  check "pin-status shows BLOCKED" grep -q BLOCKED <<<"$out"
  ;;
sign-password-normalised-and-refused)
  p=$(profile adult)
  mc --vcard "$p" --trace --pin-stdin sign sign --in doc.txt -o sig <<<sign2026 2>trace; rc=$?
  expect_rc 0 "lowercase sign password accepted (uppercased)"
  for bad in abc12 'ABC 123' ABC-123 ABCDEFGHIJKLMNOPQ; do
    mc --vcard "$p" --trace --pin-stdin sign sign --in doc.txt -o sig <<<"$bad" 2>trace; rc=$?
    expect_rc 9 "refused locally: '$bad'"
    if grep -q '^> 00 20 00 80 ..' trace; then fail "'$bad' was sent to the card"; else echo "ok: nothing sent for '$bad'"; fi
  done
  [ "$(tries "$p" sign)" = 5 ] && echo "ok: no try spent" || fail "a try was spent"
  ;;
child-has-no-sign-certificate)
  p=$(profile child)
  out=$(mc --vcard "$p" --json info); rc=$?
  expect_rc 0 "info on a child card"
  check "availability says no sign certificate" grep -q '"sign_certificate":false' <<<"$out"
  mc --vcard "$p" --pin-stdin sign sign --in doc.txt -o sig <<<ABCDEF12 2>err; rc=$?
  expect_rc 7 "sign with a card that has no sign certificate"
  check "explains the under-15 rule" grep -q "under 15" err
  mc --vcard "$p" --pin-stdin sign auth --in doc.txt -o sig <<<"$(ini "$p" jpki auth_pin)"; rc=$?
  expect_rc 0 "auth key works on a child card"
  ;;
trace-masks-pins)
  p=$(profile adult)
  mc --vcard "$p" --trace --pin-stdin sign auth --in doc.txt -o sig <<<1234 2>trace; rc=$?
  expect_rc 0 "sign with --trace"
  check "trace shows the masked VERIFY" grep -q '^> 00 20 00 80 04 2A 2A 2A 2A$' trace
  if grep -q '31 32 33 34' trace; then fail "the PIN bytes appear in the trace"; else echo "ok: PIN bytes absent"; fi
  check "trace shows the signature command" grep -q '^> 80 2A 00 80 33' trace
  num=$(ini "$p" text my_number)
  mc --vcard "$p" --trace --pin-stdin my-number <<<1234 2>trace >/dev/null; rc=$?
  expect_rc 0 "my-number with --trace"
  numhex=$(printf '%s' "$num" | od -An -tx1 | tr 'a-f' 'A-F' | sed 's/^ //')
  if grep -q "${numhex:0:17}" trace; then fail "the My Number appears in the trace"; else echo "ok: My Number masked in the trace"; fi
  check "the masked response keeps its status word" grep -q '^< 2A .* 90 00$' trace
  n=$(grep -c '^> ' trace)
  # SELECT AP, SELECT 0018, tries, VERIFY, SELECT 0017, SIGN
  [ "$n" -eq 6 ] && echo "ok: 6 APDUs for tries + verify + sign" || fail "$n APDUs for tries + verify + sign, want 6"
  ;;
text-ap-matches-profile)
  p=$(profile adult)
  out=$(mc --vcard "$p" --json --pin-stdin basic-info <<<1234); rc=$?
  expect_rc 0 "basic-info"
  python3 - "$p/profile.ini" "$out" <<'PY' && echo "ok: 4-info equals the profile" || fail "4-info differs"
import configparser, json, sys
c = configparser.ConfigParser(interpolation=None); c.read(sys.argv[1], encoding="utf-8")
t = c["text"]; got = json.loads(sys.argv[2])
b = t["birth"]
assert got["name"] == t["name"], (got["name"], t["name"])
assert got["address"] == t["address"]
assert got["birth_date"] == f"{b[:4]}-{b[4:6]}-{b[6:]}"
assert got["sex"] == t["sex"]
PY
  out=$(mc --vcard "$p" --pin-stdin my-number <<<1234); rc=$?
  expect_rc 0 "my-number"
  [ "$out" = "$(ini "$p" text my_number)" ] && echo "ok: My Number equals the profile" || fail "My Number differs"
  mc --vcard "$p" --pin-stdin basic-info <<<99 2>/dev/null; rc=$?
  expect_rc 9 "short text PIN refused locally"
  ;;
face-photo)
  p=$(profile adult)
  mc --vcard "$p" --pin-stdin face -o face.jp2 --birth 1980-02-17 --expiry-year 2035 <<<2285; rc=$?
  expect_rc 0 "face with birth date, expiry year and security code"
  check "photo equals the profile's JPEG 2000" cmp face.jp2 "$p/$(ini "$p" face photo)"
  mkdir img
  mc --vcard "$p" --pin-stdin face -o face.png --images img <<<55021720352285; rc=$?
  expect_rc 0 "face with 照合番号B typed in"
  check "name image equals the profile's" cmp img/name.png "$p/$(ini "$p" face name_image)"
  check "address image equals the profile's" cmp img/address.png "$p/$(ini "$p" face address_image)"
  check "security code image equals the profile's" cmp img/security-code.png "$p/$(ini "$p" face code_image)"
  check "PNG written" sh -c "head -c 8 face.png | od -An -tx1 | grep -q '89 50 4e 47 0d 0a 1a 0a'"
  check "photo file is private (0600)" test "$(stat -c %a face.png)" = 600
  mc --vcard "$p" --pin-stdin face -o face.png --use-my-number <<<"$(ini "$p" text my_number)"; rc=$?
  expect_rc 0 "face with 照合番号A"
  mc --vcard "$p" --pin-stdin face -o face.png --birth 1980-02-17 --expiry-year 2035 <<<2286 2>err; rc=$?
  expect_rc 3 "wrong security code"
  check "tries shown after a wrong code" grep -q "9 tries left" err
  ;;
change-pin)
  p=$(profile adult)
  printf '1234\n5678\n5678\n' | mc --vcard "$p" --pin-stdin change-pin auth; rc=$?
  expect_rc 0 "change auth PIN"
  mc --vcard "$p" --pin-stdin sign auth --in doc.txt -o sig <<<5678; rc=$?
  expect_rc 0 "sign with the new PIN"
  printf '5678\n12345\n12345\n' | mc --vcard "$p" --trace --pin-stdin change-pin auth 2>trace; rc=$?
  expect_rc 9 "new PIN of the wrong length refused"
  if grep -q '^> 00 20 00 80 04' trace; then fail "current PIN sent although the new one is invalid"; else echo "ok: nothing sent"; fi
  printf '5678\n1111\n2222\n' | mc --vcard "$p" --pin-stdin change-pin auth; rc=$?
  expect_rc 9 "mismatched confirmation refused"
  printf 'SIGN2026\nnewpass99\nnewpass99\n' | mc --vcard "$p" --pin-stdin change-pin sign; rc=$?
  expect_rc 0 "change sign password (lowercase new one is uppercased)"
  mc --vcard "$p" --pin-stdin sign sign --in doc.txt -o sig <<<NEWPASS99; rc=$?
  expect_rc 0 "sign with the new password"
  printf '1234\n4321\n4321\n' | mc --vcard "$p" --pin-stdin change-pin text; rc=$?
  expect_rc 0 "change text PIN"
  mc --vcard "$p" --pin-stdin my-number <<<4321 >/dev/null; rc=$?
  expect_rc 0 "my-number with the new text PIN"
  ;;
reader-modes)
  for q in short-only t0; do
    p=$(profile adult)
    mc --vcard "$p" --quirks $q cert auth -o auth.pem; rc=$?
    expect_rc 0 "cert auth ($q)"
    check "auth cert chains ($q)" openssl verify -CAfile "$CA/auth-ca.pem" auth.pem
    openssl x509 -in auth.pem -pubkey -noout > auth.pub
    mc --vcard "$p" --quirks $q --pin-stdin sign auth --in doc.txt -o sig <<<1234; rc=$?
    expect_rc 0 "sign ($q)"
    check "signature verifies ($q)" openssl dgst -sha256 -verify auth.pub -signature sig doc.txt
    mc --vcard "$p" --quirks $q --pin-stdin sign sign --cms --in doc.txt -o doc.p7s <<<SIGN2026; rc=$?
    expect_rc 0 "CMS ($q)"
    check "CMS verifies ($q)" openssl cms -verify -binary -inform DER -in doc.p7s -content doc.txt -CAfile "$CA/sign-ca.pem" -out /dev/null
    mc --vcard "$p" --quirks $q --pin-stdin face -o face.png <<<55021720352285; rc=$?
    expect_rc 0 "face ($q)"
  done
  ;;
bad-profile-and-usage)
  # Without --vcard the card is in a PC/SC reader: here no pcscd answers.
  PCSCLITE_CSOCK_NAME=$work/no-pcscd.comm mc info 2>err; rc=$?
  expect_rc 10 "no smart card service"
  check "says pcscd is not running" grep -q "(pcscd) is not running" err
  PCSCLITE_CSOCK_NAME=$work/no-pcscd.comm mc readers 2>err; rc=$?
  expect_rc 10 "readers without the service"
  mkdir broken && printf '[jpki\nauth_cert=x\n' > broken/profile.ini
  mc --vcard broken info 2>err; rc=$?
  expect_rc 8 "corrupt profile"
  check "corrupt profile explained" test -s err
  mc --vcard "$(profile adult)" frobnicate 2>/dev/null; rc=$?
  expect_rc 2 "unknown command"
  mc --vcard "$(profile adult)" sign auth 2>/dev/null; rc=$?
  expect_rc 2 "sign without --in"
  mc --vcard "$(profile adult)" --reader x info 2>/dev/null; rc=$?
  expect_rc 2 "--reader with --vcard"
  p=$(profile adult)
  mc --vcard "$p" sign auth --in doc.txt -o sig </dev/null 2>err; rc=$?
  expect_rc 8 "no terminal and no --pin-stdin"
  check "suggests --pin-stdin" grep -q -- "--pin-stdin" err
  [ "$(tries "$p" auth)" = 3 ] && echo "ok: no try spent" || fail "a try was spent"
  mc --vcard "$p" --pin-stdin sign auth --in /nonexistent -o sig <<<1234 2>/dev/null; rc=$?
  expect_rc 8 "missing input file"
  ;;
*)
  echo "unknown test $1" >&2; exit 2 ;;
esac

if [ "$failures" -ne 0 ]; then echo "$1: $failures failed"; exit 1; fi
echo "$1: all passed"
