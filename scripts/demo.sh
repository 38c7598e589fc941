#!/bin/bash
# demo.sh - set up mynaterm and run its main job: the マイナポータル kiosk
# (mynaterm-kiosk) in demo mode, with the built-in software My Number Card
# (the 'adult' profile the build generates in build/pki) and a local
# portal-sim standing in for the portal.
#
#   scripts/demo.sh [--all-languages] [--shots DIR]
#       (as root on a fresh Debian 12 machine; as any user once the
#        packages are installed)
#
# 1. installs the packages (scripts/install-deps.sh) and builds in build/;
# 2. starts portal-sim on a free local port (tests/harness/portalenv.py) and
#    writes the kiosk's settings into a temporary folder: the software card
#    (a copy of the adult profile), a folder with a sample PDF to attach, and
#    the hash of a demo staff PIN (printed below);
# 3. with a display ($DISPLAY or $WAYLAND_DISPLAY): opens the kiosk in a
#    window, with the demo bar whose toggle inserts and takes out the card,
#    until the window is closed (scripts/demo-kiosk.sh);
#    without one: the screen tour (tests/kiosk/e2e/tour.py) drives the kiosk
#    on a private X server through every screen - search, the card, the PIN,
#    home and its pages, a signed 児童手当 application with its receipt, the
#    staff view - in Japanese and English (--all-languages: all six), and
#    writes a screenshot of every screen into DIR (default
#    build/kiosk-demo-shots/<language>/), which it then lists.
#
# The command-line demo of the card layer and the portal client is
# scripts/demo-cli.sh. The temporary folder is removed at exit; build/pki
# stays as it was. PINs are test values of the generated profile
# (docs/test-pki.md).
set -Eeuo pipefail

root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
cd "$root"

build=$root/build
pki=$build/pki
kiosk=$build/kiosk-ui/app/mynaterm-kiosk
shots=$build/kiosk-demo-shots
languages=ja,en

# Test values of the generated 'adult' profile (docs/test-pki.md), and the
# staff PIN of this demo's settings.
auth_pin=1234          # 利用者証明用電子証明書 PIN
sign_password=SIGN2026 # 署名用電子証明書 password
staff_pin=97531        # opens the staff view (Staff, on the first screen)

usage() { sed -n '7,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --all-languages) languages=all; shift ;;
    --shots) [ $# -ge 2 ] || { usage >&2; exit 2; }; shots=$(readlink -m "$2"); shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "demo.sh: unknown argument $1" >&2; usage >&2; exit 2 ;;
  esac
done

step=setup
trap 'echo "demo.sh: FAILED during: $step" >&2' ERR

heading() { step=$1; printf '\n== %s\n' "$1"; }

heading "Installing the packages (scripts/install-deps.sh)"
bash "$root/scripts/install-deps.sh"

heading "Building in build/ (RelWithDebInfo, -Werror)"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMYNA_WERROR=ON \
  -DMYNA_SANITIZE=OFF -DMYNA_COVERAGE=OFF -DMYNA_FUZZ=OFF >/dev/null
cmake --build "$build" --parallel "$(nproc)" >/dev/null
for f in "$kiosk" "$build/portal-sim/server/portal-sim" "$pki/profiles/adult/profile.ini" \
         "$build/locale/ja/LC_MESSAGES/mynaterm-kiosk.mo"; do
  [ -e "$f" ] || { echo "demo.sh: $f was not built" >&2; exit 1; }
done
echo "built: $kiosk"

heading "The kiosk's settings: software card, a document to attach, a staff PIN"
work=$(mktemp -d "${TMPDIR:-/tmp}/mynaterm-kiosk-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -r "$pki/profiles/adult" "$work/card"
mkdir "$work/documents" "$work/outbox"
printf '%%PDF-1.4\n%% a copy of the health insurance card (demo)\n%%%%EOF\n' \
  > "$work/documents/hoken.pdf"
staff_hash=$("$kiosk" --hash-staff-pin <<<"$staff_pin" | sed -n 's/^staff-pin-hash=//p')
[ -n "$staff_hash" ] || { echo "demo.sh: mynaterm-kiosk --hash-staff-pin failed" >&2; exit 1; }
echo "software card: a copy of build/pki/profiles/adult in $work (removed at exit)"
echo "to attach:     $work/documents/hoken.pdf"

if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  mode=window
  heading "Starting portal-sim and the kiosk in a window (close the window to end)"
else
  mode=tour
  heading "Starting portal-sim and the screen tour on a private X server ($languages)"
fi
/usr/bin/python3 "$root/tests/harness/portalenv.py" --build "$build" -- \
  bash "$root/scripts/demo-kiosk.sh" "$mode" "$build" "$work" "$staff_pin" "$staff_hash" \
  "$auth_pin" "$sign_password" "$languages" "$shots"

step=finished
if [ "$mode" = tour ]; then
  printf '\n== Demo finished: every screen shown, the application received by the portal;\n'
  printf '   screenshots in %s\n' "$shots"
else
  printf '\n== Demo finished.\n'
fi
