#!/bin/bash
# install-deps.sh - install what mynaterm needs to build, run its demo and run
# its tests, on Debian 12 (bookworm). The one install script: scripts/demo.sh,
# scripts/test.sh and CI (.ci/run) all call it.
#
#   sudo scripts/install-deps.sh        # or as root: scripts/install-deps.sh
#
# Installing needs root (it re-runs itself with sudo when sudo exists). Safe
# to run again: when every package is already installed it exits at once,
# as any user, without touching the network. Set MYNA_DEPS_FORCE=1 to run
# apt-get update and install anyway.
set -euo pipefail

PROG=install-deps

# The package list: the one place to change. One group per purpose; keep a
# comment on each. Later work adds here (pcscd, vsmartcard-vpcd, opensc,
# libnfc, GTK 4 ...).
PACKAGES=(
  # Build: toolchain and generator (clang for the libFuzzer build; CMake >= 3.25).
  cmake make pkg-config gcc clang
  # Build: libraries that libmynacard, the software card and the tests link.
  libssl-dev libglib2.0-dev libopenjp2-7-dev libpng-dev
  # Build: p11-kit's pkcs11.h for the PKCS#11 module (card/pkcs11).
  libp11-kit-dev
  # Build and tests: the test PKI generator (tests/pki/mkpki.py, standard
  # library only) and the tools it and the checks call: openssl,
  # opj_compress / opj_decompress.
  python3 openssl libopenjp2-tools
  # Tests: clang's sanitizer and libFuzzer runtimes (MYNA_FUZZ with clang).
  # gcc's ASan/UBSan runtimes come with gcc itself.
  libclang-rt-14-dev
  # PC/SC: the pcsc-lite client library (drivers/pcsc), the daemon with the
  # vsmartcard virtual reader the tests serve the software card through, and
  # OpenSC as the independent implementation the interop tests and the
  # benchmark compare against (opensc-tool, pkcs11-tool, opensc-pkcs11.so).
  libpcsclite-dev pcscd vsmartcard-vpcd pcsc-tools opensc opensc-pkcs11
  # Tests: other PKCS#11 clients of libmynacard-pkcs11.so: GnuTLS (p11tool,
  # certtool) and OpenSSL's libp11 engine (openssl -engine pkcs11).
  gnutls-bin libengine-pkcs11-openssl
  # NFC: libnfc (drivers/nfc) and its tools; nfc-list checks the emulated
  # PN532 the tests serve the software card through.
  libnfc-dev libnfc-bin
  # portal-sim: HTTPS server (libmicrohttpd, GnuTLS inside; libmicrohttpd-dev
  # pulls in libgnutls28-dev, whose headers the terminal certificate checks
  # use), its SQLite store, JSON (json-glib), application packages (libzip,
  # libxml2, xmlsec1 with its OpenSSL back end), photo checks
  # (libjpeg-turbo). Its black-box
  # tests use curl, openssl, xmlsec1, zip/unzip; its benchmark's load
  # generator libcurl (tests/bench/bench_portal.c).
  libmicrohttpd-dev libsqlite3-dev libjson-glib-dev libxml2-dev libxmlsec1-dev
  libzip-dev libjpeg62-turbo-dev curl xmlsec1 zip unzip libcurl4-openssl-dev
  # Base: certificate store for HTTPS (apt, later network tests).
  ca-certificates
  # Kiosk (kiosk-ui/app): GTK 4, the QR code of the receipt (libqrencode),
  # sd_notify for the systemd watchdog (libsystemd), gettext's msgfmt for
  # the translations, glib-compile-resources (libglib2.0-dev-bin, comes
  # with libglib2.0-dev) and Japanese fonts.
  libgtk-4-dev libqrencode-dev libsystemd-dev gettext fonts-noto-cjk
  # Kiosk tests: a display without hardware (Xvfb), a private session bus
  # and the accessibility bus the end-to-end tests drive the kiosk through
  # (pyatspi), ImageMagick's import for whole-screen screenshots, zbarimg
  # to read the receipt's QR code back, xdotool for real key presses and
  # taps (controls GTK 4.8 gives no accessible action, the lockdown test).
  xvfb xauth dbus at-spi2-core python3-pyatspi gir1.2-atspi-2.0 imagemagick
  zbar-tools xdotool
  # Kiosk tests: the printed receipt is exported to PDF and read back
  # (pdftotext, pdftoppm).
  poppler-utils
)

die() { echo "$PROG: error: $*" >&2; exit 1; }

command -v apt-get >/dev/null 2>&1 || die "apt-get not found: this script is for Debian 12 (bookworm)"
if [ -r /etc/os-release ]; then
  # shellcheck disable=SC1091
  . /etc/os-release
  if [ "${ID:-}" != debian ] || [ "${VERSION_ID:-}" != 12 ]; then
    echo "$PROG: warning: made for Debian 12, this is ${PRETTY_NAME:-unknown}; trying anyway" >&2
  fi
fi

# Which packages are missing?
missing=()
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = installed ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ] && [ -z "${MYNA_DEPS_FORCE:-}" ]; then
  echo "$PROG: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    echo "$PROG: not root; re-running with sudo" >&2
    exec sudo -- bash "$(readlink -f "${BASH_SOURCE[0]}")" "$@"
  fi
  die "must run as root to install ${missing[*]:-the packages} with apt-get (no sudo here): run it as root, e.g. su -c 'bash $0'"
fi

log=$(mktemp "${TMPDIR:-/tmp}/install-deps.XXXXXX.log")
trap 'rm -f "$log"' EXIT
run() { # run COMMAND... : output to the log; on failure show it and stop
  if ! "$@" >>"$log" 2>&1; then
    echo "$PROG: FAILED: $*" >&2
    echo "---- last lines of the output ----" >&2
    tail -n 40 "$log" >&2
    exit 1
  fi
}

export DEBIAN_FRONTEND=noninteractive
APT_OPTS=(-q -o DPkg::Lock::Timeout=300 -o Dpkg::Use-Pty=0)
if [ ${#missing[@]} -gt 0 ]; then
  echo "$PROG: installing ${#missing[@]} package(s): ${missing[*]}"
fi
start=$SECONDS
run apt-get "${APT_OPTS[@]}" update
run apt-get "${APT_OPTS[@]}" install -y --no-install-recommends "${PACKAGES[@]}"

# Check the result: every package installed and the tools the build and the
# tests call are on PATH.
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = installed ] || die "package $p is not installed after apt-get install"
done
for tool in cmake ctest make pkg-config gcc clang openssl python3 opj_compress opj_decompress; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found on PATH after installing"
done
echo "$PROG: done in $((SECONDS - start)) s"
