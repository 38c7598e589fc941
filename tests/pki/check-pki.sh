#!/bin/bash
# shellcheck disable=SC2015  # see pass/fail below
# Independent check of the test PKI written by tests/pki/mkpki.py.
#
#   check-pki.sh <pki dir>
#
# Uses only the openssl and opj_decompress command-line tools, python3 (for
# JSON) and shell arithmetic, never the generator's own code, so that a mistake
# in the generator cannot hide itself. Prints every failed check and exits 1 if
# there was any.
set -u

PROG=check-pki
if [ $# -ne 1 ]; then
    echo "usage: $0 <pki dir>" >&2
    exit 2
fi
PKI=$1
if [ ! -d "$PKI" ]; then
    echo "$PROG: FAIL: $PKI is not a folder (run tests/pki/mkpki.py --out $PKI)" >&2
    exit 1
fi
for tool in openssl opj_decompress python3; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "$PROG: FAIL: required tool '$tool' not found in PATH" >&2
        exit 1
    fi
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/check-pki.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT

FAILS=0
CHECKS=0
# pass and fail always return 0, so "cond && pass || fail msg" is a safe
# if-then-else here (hence SC2015 off).
fail() { echo "$PROG: FAIL: $*" >&2; FAILS=$((FAILS + 1)); return 0; }
pass() { CHECKS=$((CHECKS + 1)); return 0; }
# check <description> <command...>: the command must succeed.
check() {
    local what=$1; shift
    if "$@" >/dev/null 2>&1; then pass; else fail "$what"; fi
}

CA=$PKI/ca
AUTH_CA_DN='C=JP, O=JPKI, OU=JPKI for user authentication, OU=Japan Agency for Local Authority Information Systems'
SIGN_CA_DN='C=JP, O=JPKI, OU=JPKI for digital signature, OU=Japan Agency for Local Authority Information Systems'
SAN_OID=1.2.392.200149.8.5.5

# ini_get <file> <section> <key>: value of key in [section] of a GLib key file,
# or nothing (exit 1) when absent.
ini_get() {
    awk -v sec="[$2]" -v key="$3" '
        /^[ \t]*#/ || /^[ \t]*$/ { next }
        /^\[/ { insec = ($0 == sec); next }
        insec { i = index($0, "="); if (i && substr($0, 1, i - 1) == key) {
                    print substr($0, i + 1); found = 1; exit } }
        END { exit !found }' "$1"
}

# subject_of / issuer_of <pem>: the DN in order, as "C=JP, O=JPKI, ...".
subject_of() { openssl x509 -in "$1" -noout -subject -nameopt oneline,-space_eq,-esc_msb | sed 's/^subject=//'; }
issuer_of()  { openssl x509 -in "$1" -noout -issuer  -nameopt oneline,-space_eq,-esc_msb | sed 's/^issuer=//'; }

# my_number_ok <12 digits>: the check digit rule of the individual number
# (総務省令第八十五号 第五条): P_i is the i-th of the first 11 digits counted
# from the right, Q_i = i + 1 (i <= 6) or i - 5 (i >= 7); r = sum(P_i*Q_i) mod 11;
# check = 0 if r <= 1 else 11 - r.
my_number_ok() {
    local n=$1 sum=0 i p q
    [[ $n =~ ^[0-9]{12}$ ]] || return 1
    for ((i = 1; i <= 11; i++)); do
        p=${n:$((11 - i)):1}
        if ((i <= 6)); then q=$((i + 1)); else q=$((i - 5)); fi
        sum=$((sum + p * q))
    done
    local r=$((sum % 11)) c
    if ((r <= 1)); then c=0; else c=$((11 - r)); fi
    [ "${n:11:1}" = "$c" ]
}

# city_code_ok <6 digits>: 全国地方公共団体コード check digit (weights 6..2).
city_code_ok() {
    local c=$1
    [[ $c =~ ^[0-9]{6}$ ]] || return 1
    local s=$(( ${c:0:1}*6 + ${c:1:1}*5 + ${c:2:1}*4 + ${c:3:1}*3 + ${c:4:1}*2 ))
    local r=$((s % 11)) d
    if ((r == 0)); then d=0; else d=$(((11 - r) % 10)); fi
    [ "${c:5:1}" = "$d" ]
}

# era_yymmdd <YYYYMMDD>: the birth date as printed on the card (era year 2 digits).
era_yymmdd() {
    local d=$1 y=${1:0:4} start
    if   ((10#$d >= 20190501)); then start=2019   # 令和
    elif ((10#$d >= 19890108)); then start=1989   # 平成
    elif ((10#$d >= 19261225)); then start=1926   # 昭和
    elif ((10#$d >= 19120730)); then start=1912   # 大正
    elif ((10#$d >= 18680125)); then start=1868   # 明治
    else return 1; fi
    printf '%02d%s' $((10#$y - start + 1)) "${d:4:4}"
}

# png_1bit_ok <file>: PNG signature, IHDR with bit depth 1 and colour type 0.
png_1bit_ok() {
    [ "$(od -An -tx1 -N8 "$1" | tr -d ' \n')" = "89504e470d0a1a0a" ] || return 1
    [ "$(od -An -tx1 -j12 -N4 "$1" | tr -d ' \n')" = "49484452" ] || return 1   # IHDR
    [ "$(od -An -tx1 -j24 -N2 "$1" | tr -d ' \n')" = "0100" ]
}

# verify <ca pem> <cert pem> [crl pem]: openssl verify output (stdout+stderr).
verify() {
    local out
    if [ $# -eq 3 ]; then
        out=$(openssl verify -CAfile "$1" -crl_check -CRLfile "$3" "$2" 2>&1)
    else
        out=$(openssl verify -CAfile "$1" "$2" 2>&1)
    fi
    # One line, so that a failure message stays readable.
    printf '%s\n' "$out" | paste -sd'|' - | sed 's/|/ | /g'
}

# Known answers of the check-digit rule itself (the first is the example of
# docs/vcard-profile.md), so that a wrong rule cannot pass by agreeing with a
# wrong generator.
check "My Number rule: 123456789018 is valid" my_number_ok 123456789018
check "My Number rule: 983205673214 is valid" my_number_ok 983205673214
my_number_ok 123456789011 && fail "My Number rule: 123456789011 must be invalid" || pass

# ---------------------------------------------------------------------------
# CAs and CRLs
# ---------------------------------------------------------------------------
for f in auth-ca.pem auth-ca.der auth-ca.key sign-ca.pem sign-ca.der sign-ca.key \
         auth-ca.crl.pem auth-ca.crl.der sign-ca.crl.pem sign-ca.crl.der; do
    check "ca/$f exists and is not empty" test -s "$CA/$f"
done
for c in auth sign; do
    pem=$CA/$c-ca.pem
    [ -s "$pem" ] || continue
    if [ $c = auth ]; then want=$AUTH_CA_DN; else want=$SIGN_CA_DN; fi
    got=$(subject_of "$pem")
    [ "$got" = "$want" ] && pass || fail "$c CA subject is '$got', want '$want'"
    check "$c CA is self-signed and valid now" openssl verify -CAfile "$pem" "$pem"
    text=$(openssl x509 -in "$pem" -noout -text)
    grep -q 'Basic Constraints: critical' <<<"$text" && grep -q 'CA:TRUE' <<<"$text" \
        && pass || fail "$c CA lacks a critical basicConstraints CA:TRUE"
    grep -A1 'Key Usage: critical' <<<"$text" | grep -q 'Certificate Sign, CRL Sign' \
        && pass || fail "$c CA keyUsage is not critical keyCertSign+cRLSign"
    grep -q 'Public-Key: (2048 bit)' <<<"$text" && grep -q 'Exponent: 65537' <<<"$text" \
        && pass || fail "$c CA key is not RSA-2048 e=65537"
    check "$c CA DER and PEM are the same certificate" \
        cmp <(openssl x509 -in "$pem" -outform DER) "$CA/$c-ca.der"
    check "$c CA key matches its certificate" \
        cmp <(openssl x509 -in "$pem" -noout -pubkey) <(openssl pkey -in "$CA/$c-ca.key" -pubout)
    crl_out=$(openssl crl -in "$CA/$c-ca.crl.pem" -CAfile "$pem" -noout 2>&1)
    grep -q 'verify OK' <<<"$crl_out" && pass || fail "$c CA CRL signature: $crl_out"
    check "$c CA CRL DER and PEM are the same CRL" \
        cmp <(openssl crl -in "$CA/$c-ca.crl.pem" -outform DER) "$CA/$c-ca.crl.der"
done

# ---------------------------------------------------------------------------
# profiles.json
# ---------------------------------------------------------------------------
JSON=$PKI/profiles.json
if ! python3 -m json.tool "$JSON" >/dev/null 2>&1; then
    fail "profiles.json is missing or does not parse"
    echo "$PROG: $FAILS check(s) failed" >&2
    exit 1
fi
pass
# One line per profile: name revoked expired auth_serial sign_serial city_code
python3 - "$JSON" >"$TMP/manifest" <<'EOF' || fail "profiles.json lacks expected fields"
import json, sys
m = json.load(open(sys.argv[1], encoding="utf-8"))
for p in m["profiles"]:
    print(p["name"], str(p["revoked"]).lower(), str(p["expired"]).lower(),
          p["auth_cert_serial"], p["sign_cert_serial"] or "-", p["city_code"],
          p["holder_name"].replace(" ", "_"))
EOF

for name in adult child one-try blocked expired revoked minimal taisho; do
    grep -q "^$name " "$TMP/manifest" && pass || fail "profiles.json has no profile '$name'"
done
grep -q '^revoked true false ' "$TMP/manifest" && pass || fail "profile 'revoked' is not marked revoked=true expired=false"
grep -q '^expired false true ' "$TMP/manifest" && pass || fail "profile 'expired' is not marked revoked=false expired=true"
grep -q '^adult false false ' "$TMP/manifest" && pass || fail "profile 'adult' is marked revoked or expired"

# ---------------------------------------------------------------------------
# Profiles
# ---------------------------------------------------------------------------
seen_people=""
while read -r name revoked expired auth_serial sign_serial city_code holder; do
    d=$PKI/profiles/$name
    ini=$d/profile.ini
    P="profile $name"
    if [ ! -s "$ini" ]; then fail "$P: $ini missing"; continue; fi
    get() { ini_get "$ini" "$1" "$2"; }

    check "$P: city_code $city_code check digit" city_code_ok "$city_code"
    case " $seen_people " in
        *" $holder "*) fail "$P: holder $holder also used by another profile" ;;
        *) pass; seen_people="$seen_people $holder" ;;
    esac

    # Every file the profile names exists.
    for k in jpki:auth_cert jpki:auth_key jpki:auth_ca_cert jpki:sign_cert jpki:sign_key \
             jpki:sign_ca_cert face:photo face:name_image face:address_image face:code_image; do
        v=$(get "${k%%:*}" "${k#*:}") || continue
        check "$P: $k=$v exists" test -s "$d/$v"
    done

    # --- [text]
    mn=$(get text my_number)
    check "$P: My Number '$mn' has a valid check digit" my_number_ok "$mn"
    check "$P: text PIN is 4 digits" grep -Eq '^pin=[0-9]{4}$' "$ini"
    nm=$(get text name)
    [[ $nm == *"　"* ]] && pass || fail "$P: name '$nm' has no U+3000 between family and given name"
    [ "$nm" = "${holder//_/ }" ] && pass || fail "$P: name in profile.ini and profiles.json differ"
    sex=$(get text sex)
    [[ $sex =~ ^[12]$ ]] && pass || fail "$P: sex '$sex' is not 1 or 2"
    birth=$(get text birth)
    [[ $birth =~ ^[0-9]{8}$ ]] && pass || fail "$P: birth '$birth' is not YYYYMMDD"

    # --- [face]: 照合番号B = era YYMMDD + expiry YYYY + 4-digit code.
    vb=$(get face verification_b)
    expiry=$(get face expiry)
    era=$(era_yymmdd "$birth")
    [[ $vb =~ ^[0-9]{14}$ && ${vb:0:6} = "$era" && ${vb:6:4} = "${expiry:0:4}" ]] \
        && pass || fail "$P: verification_b '$vb' does not start with era date $era + expiry year ${expiry:0:4}"

    # --- [jpki]
    check "$P: auth PIN is 4 digits" grep -Eq '^auth_pin=[0-9]{4}$' "$ini"
    auth_der=$d/$(get jpki auth_cert)
    openssl x509 -inform DER -in "$auth_der" -out "$TMP/$name-auth.pem" 2>/dev/null \
        || { fail "$P: auth certificate does not parse"; continue; }
    check "$P: auth-ca.der in the profile is the auth CA" cmp "$d/$(get jpki auth_ca_cert)" "$CA/auth-ca.der"
    check "$P: auth key matches the auth certificate" \
        cmp <(openssl x509 -in "$TMP/$name-auth.pem" -noout -pubkey) \
            <(openssl pkey -in "$d/$(get jpki auth_key)" -pubout)
    subj=$(subject_of "$TMP/$name-auth.pem")
    [[ $subj =~ ^CN=[A-Z0-9]+$ ]] && pass || fail "$P: auth subject '$subj' is not an opaque CN only"
    [ "$(issuer_of "$TMP/$name-auth.pem")" = "$AUTH_CA_DN" ] && pass || fail "$P: auth issuer is not the auth CA"
    ser=$(openssl x509 -in "$TMP/$name-auth.pem" -noout -serial | sed 's/^serial=//')
    [ "$ser" = "$auth_serial" ] && pass || fail "$P: auth serial $ser, profiles.json says $auth_serial"
    atext=$(openssl x509 -in "$TMP/$name-auth.pem" -noout -text)
    grep -A1 'Key Usage: critical' <<<"$atext" | grep -qx ' *Digital Signature' \
        && pass || fail "$P: auth keyUsage is not critical digitalSignature"
    grep -q 'URI:.*/crl/auth.crl' <<<"$atext" && grep -q 'OCSP - URI:.*/ocsp' <<<"$atext" \
        && pass || fail "$P: auth certificate lacks the CRL DP or OCSP AIA"
    grep -q 'Public-Key: (2048 bit)' <<<"$atext" && grep -q 'Exponent: 65537' <<<"$atext" \
        && pass || fail "$P: auth key is not RSA-2048 e=65537"
    grep -q 'Signature Algorithm: sha256WithRSAEncryption' <<<"$atext" \
        && pass || fail "$P: auth certificate is not signed with SHA-256/RSA"

    certs="auth"
    if sc=$(get jpki sign_cert); then
        certs="auth sign"
        openssl x509 -inform DER -in "$d/$sc" -out "$TMP/$name-sign.pem" 2>/dev/null \
            || { fail "$P: sign certificate does not parse"; continue; }
        check "$P: sign-ca.der in the profile is the sign CA" cmp "$d/$(get jpki sign_ca_cert)" "$CA/sign-ca.der"
        check "$P: sign key matches the sign certificate" \
            cmp <(openssl x509 -in "$TMP/$name-sign.pem" -noout -pubkey) \
                <(openssl pkey -in "$d/$(get jpki sign_key)" -pubout)
        check "$P: sign password is 6-16 of A-Z 0-9" grep -Eq '^sign_password=[A-Z0-9]{6,16}$' "$ini"
        subj=$(subject_of "$TMP/$name-sign.pem")
        [[ $subj =~ ^C=JP,\ L=[^,]+,\ L=[^,]+,\ CN=[A-Z0-9]+$ ]] \
            && pass || fail "$P: sign subject '$subj' is not C=JP, L=, L=, CN="
        [ "$(issuer_of "$TMP/$name-sign.pem")" = "$SIGN_CA_DN" ] && pass || fail "$P: sign issuer is not the sign CA"
        ser=$(openssl x509 -in "$TMP/$name-sign.pem" -noout -serial | sed 's/^serial=//')
        [ "$ser" = "$sign_serial" ] && pass || fail "$P: sign serial $ser, profiles.json says $sign_serial"
        stext=$(openssl x509 -in "$TMP/$name-sign.pem" -noout -text)
        grep -A1 'Key Usage: critical' <<<"$stext" | grep -qx ' *Digital Signature, Non Repudiation' \
            && pass || fail "$P: sign keyUsage is not critical nonRepudiation+digitalSignature"
        grep -q 'URI:.*/crl/sign.crl' <<<"$stext" && grep -q 'OCSP - URI:.*/ocsp' <<<"$stext" \
            && pass || fail "$P: sign certificate lacks the CRL DP or OCSP AIA"
        for i in 1 2 3 4 5 6; do
            grep -q "othername: $SAN_OID.$i::" <<<"$stext" \
                && pass || fail "$P: sign certificate has no subjectAltName otherName $SAN_OID.$i"
        done
        # The SAN name and birth date agree with the card's text AP data.
        grep -q "othername: $SAN_OID.1::$nm," <<<"$stext" \
            && pass || fail "$P: SAN name differs from [text] name"
        grep -q "othername: $SAN_OID.4::$birth," <<<"$stext" \
            && pass || fail "$P: SAN birth date differs from [text] birth"
    else
        [ "$sign_serial" = "-" ] && pass || fail "$P: profiles.json has a sign serial but profile.ini no sign_cert"
        for k in sign_key sign_password sign_tries; do
            get jpki $k >/dev/null && fail "$P: has $k but no sign_cert" || pass
        done
    fi
    if [ "$name" = child ]; then
        get jpki sign_cert >/dev/null && fail "$P: an under-15 card must have no sign_cert" || pass
    fi

    # Chain, validity and revocation of each certificate.
    for c in $certs; do
        pem=$TMP/$name-$c.pem
        plain=$(verify "$CA/$c-ca.pem" "$pem")
        crl=$(verify "$CA/$c-ca.pem" "$pem" "$CA/$c-ca.crl.pem")
        if [ "$expired" = true ]; then
            grep -q 'certificate has expired' <<<"$plain" \
                && pass || fail "$P: $c certificate should fail as expired: $plain"
        else
            grep -q ': OK$' <<<"$plain" \
                && pass || fail "$P: $c certificate does not chain to the $c CA: $plain"
            if [ "$revoked" = true ]; then
                grep -q 'certificate revoked' <<<"$crl" \
                    && pass || fail "$P: $c certificate should fail -crl_check as revoked: $crl"
            else
                grep -q ': OK$' <<<"$crl" \
                    && pass || fail "$P: $c certificate fails -crl_check: $crl"
            fi
        fi
    done

    # Images.
    photo=$d/$(get face photo)
    [ "$(od -An -tx1 -N12 "$photo" | tr -d ' \n')" = "0000000c6a5020200d0a870a" ] \
        && pass || fail "$P: face photo is not a JP2 file"
    if opj_decompress -i "$photo" -o "$TMP/$name-face.pgm" >/dev/null 2>&1 \
        && [ "$(head -c 2 "$TMP/$name-face.pgm")" = P5 ]; then
        pass
    else
        fail "$P: face photo does not decode to a greyscale image with opj_decompress"
    fi
    for k in name_image address_image code_image; do
        check "$P: $k is a 1-bit greyscale PNG" png_1bit_ok "$d/$(get face $k)"
    done
done <"$TMP/manifest"

# Revocation must actually be visible in the CRLs: the revoked profile's serials are
# listed, the adult's are not.
for c in auth sign; do
    crltext=$(openssl crl -in "$CA/$c-ca.crl.pem" -noout -text 2>/dev/null)
    while read -r name revoked expired auth_serial sign_serial city_code holder; do
        if [ $c = auth ]; then s=$auth_serial; else s=$sign_serial; fi
        [ "$s" = "-" ] && continue
        if grep -q "Serial Number: $s\$" <<<"$crltext"; then listed=true; else listed=false; fi
        [ "$listed" = "$revoked" ] && pass || fail "$c CRL: serial $s of $name listed=$listed, revoked=$revoked"
    done <"$TMP/manifest"
done

# ---------------------------------------------------------------------------
# Terminal (kiosk) TLS client certificates for portal-sim
# ---------------------------------------------------------------------------
T=$PKI/terminals
TERM_CA_DN='C=JP, O=mynaterm test, CN=mynaterm test terminal CA'
for f in ca.pem foreign-ca.pem; do
    check "terminals/$f exists and is not empty" test -s "$T/$f"
done
if [ -s "$T/ca.pem" ]; then
    got=$(subject_of "$T/ca.pem")
    [ "$got" = "$TERM_CA_DN" ] && pass || fail "terminal CA subject is '$got', want '$TERM_CA_DN'"
    check "terminal CA is self-signed and valid now" openssl verify -CAfile "$T/ca.pem" "$T/ca.pem"
    text=$(openssl x509 -in "$T/ca.pem" -noout -text)
    grep -q 'CA:TRUE' <<<"$text" && grep -A1 'Key Usage: critical' <<<"$text" | grep -q 'Certificate Sign' \
        && pass || fail "terminal CA lacks CA:TRUE or keyCertSign"
    # The foreign CA must be another CA, not a copy of the trusted one.
    if cmp -s <(openssl x509 -in "$T/ca.pem" -noout -pubkey) \
              <(openssl x509 -in "$T/foreign-ca.pem" -noout -pubkey); then
        fail "terminals/foreign-ca.pem has the terminal CA's key"
    else
        pass
    fi
    for c in auth sign; do
        if cmp -s <(openssl x509 -in "$T/ca.pem" -noout -pubkey) \
                  <(openssl x509 -in "$CA/$c-ca.pem" -noout -pubkey); then
            fail "the terminal CA has the $c CA's key"
        else
            pass
        fi
    done
fi
python3 - "$JSON" >"$TMP/terminals" <<'EOF_PY' || fail "profiles.json lacks the terminals section"
import json, sys
t = json.load(open(sys.argv[1], encoding="utf-8"))["terminals"]
for c in t["certs"]:
    print(c["id"], str(c["trusted_ca"]).lower(), str(c["expired"]).lower(),
          str(c["client_auth"]).lower(), c["serial"])
EOF_PY
for id in kiosk-test-01 kiosk-test-02 kiosk-foreign kiosk-expired; do
    grep -q "^$id " "$TMP/terminals" && pass || fail "profiles.json has no terminal '$id'"
done
while read -r id trusted expired client_auth serial; do
    P="terminal $id"
    pem=$T/$id.pem
    key=$T/$id.key.pem
    if [ ! -s "$pem" ] || [ ! -s "$key" ]; then fail "$P: $id.pem or $id.key.pem missing"; continue; fi
    [ "$(stat -c %a "$key")" = 600 ] && pass || fail "$P: $id.key.pem is mode $(stat -c %a "$key"), want 600"
    check "$P: key matches the certificate" \
        cmp <(openssl x509 -in "$pem" -noout -pubkey) <(openssl pkey -in "$key" -pubout)
    subj=$(subject_of "$pem")
    [[ $subj == *", CN=$id" ]] && pass || fail "$P: subject '$subj' does not end in CN=$id"
    ser=$(openssl x509 -in "$pem" -noout -serial | sed 's/^serial=//')
    [ "$ser" = "$serial" ] && pass || fail "$P: serial $ser, profiles.json says $serial"
    text=$(openssl x509 -in "$pem" -noout -text)
    grep -A1 'Basic Constraints: critical' <<<"$text" | grep -q 'CA:FALSE' \
        && pass || fail "$P: not a critical CA:FALSE end-entity certificate"
    grep -A1 'Key Usage: critical' <<<"$text" | grep -q 'Digital Signature' \
        && pass || fail "$P: keyUsage lacks critical digitalSignature"
    eku=$(grep -A1 'Extended Key Usage' <<<"$text" | tail -n 1)
    if [ "$client_auth" = true ]; then
        [[ $eku == *"TLS Web Client Authentication"* ]] && pass || fail "$P: extendedKeyUsage '$eku' lacks clientAuth"
    else
        [[ $eku != *"TLS Web Client Authentication"* ]] && pass || fail "$P: should not have clientAuth"
    fi
    out=$(openssl verify -CAfile "$T/ca.pem" -purpose sslclient "$pem" 2>&1 | paste -sd'|' -)
    if [ "$trusted" = false ]; then
        grep -q 'unable to get local issuer certificate' <<<"$out" \
            && pass || fail "$P: must not chain to the terminal CA: $out"
        out=$(openssl verify -CAfile "$T/foreign-ca.pem" -purpose sslclient "$pem" 2>&1 | paste -sd'|' -)
        grep -q ': OK$' <<<"$out" && pass || fail "$P: does not chain to foreign-ca.pem: $out"
    elif [ "$expired" = true ]; then
        grep -q 'certificate has expired' <<<"$out" \
            && pass || fail "$P: should fail as expired: $out"
    elif [ "$client_auth" = false ]; then
        grep -q 'unsuitable certificate purpose' <<<"$out" \
            && pass || fail "$P: should fail -purpose sslclient: $out"
    else
        grep -q ': OK$' <<<"$out" && pass || fail "$P: does not verify as an SSL client of the terminal CA: $out"
    fi
done <"$TMP/terminals"

if ((FAILS)); then
    echo "$PROG: $FAILS of $((FAILS + CHECKS)) checks failed" >&2
    exit 1
fi
echo "$PROG: all $CHECKS checks passed ($PKI)"
