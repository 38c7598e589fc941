#!/bin/bash
# shellcheck disable=SC2317  # build and run_ctest are called through timed
# test.sh - set up and run every test of mynaterm (Debian 12, as root on a
# fresh machine; as any user once the packages are installed).
#
#   scripts/test.sh
#
# 1. installs the packages (scripts/install-deps.sh);
# 2. build/      : normal -Werror build, the whole ctest suite;
# 3. build-asan/ : ASan + UBSan build (MYNA_SANITIZE), ctest -L
#    'unit|cli|portal|client' (portal: portal-sim itself built with the
#    sanitizers, driven over HTTPS);
# 4. build-fuzz/ : clang + libFuzzer build (MYNA_FUZZ), ctest -L fuzz - only
#    when clang is installed and tests/fuzz/CMakeLists.txt exists.
# Uses every core. Prints the time of each phase and ends with one line
# "N passed, N failed" over all ctest runs; exits non-zero on any failure
# (a build that fails counts as one failed test).
set -euo pipefail

root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
cd "$root"

jobs=$(nproc)
passed=0
failed=0
status=0
timings=()
problems=()

# Sanitizer reports: stack traces, stop at the first error. Caller's settings win.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}

heading() { printf '\n==== %s ====\n' "$*"; }

# timed NAME COMMAND... : run, record the time, return the command's status
timed() {
  local name=$1 start=$SECONDS rc=0
  shift
  "$@" || rc=$?
  timings+=("$(printf '%-26s %5d s%s' "$name" $((SECONDS - start)) "$([ "$rc" -eq 0 ] || echo '  (FAILED)')")")
  return "$rc"
}

# build DIR CMAKE-ARGS... : configure and build one tree
build() {
  local dir=$1
  shift
  cmake -S "$root" -B "$dir" -DMYNA_WERROR=ON "$@" &&
    cmake --build "$dir" --parallel "$jobs"
}

# run_ctest DIR CTEST-ARGS... : run ctest, add its counts to the totals
run_ctest() {
  local dir=$1 log rc=0 line total nfailed
  shift
  log=$(mktemp "${TMPDIR:-/tmp}/myna-ctest.XXXXXX")
  ctest --test-dir "$dir" --output-on-failure --no-tests=error -j "$jobs" "$@" \
    </dev/null 2>&1 | tee "$log" || rc=$?
  # "100% tests passed, 0 tests failed out of 34"
  line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1 || true)
  rm -f "$log"
  if [ -n "$line" ]; then
    nfailed=$(sed -E 's/^[0-9]+% tests passed, ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
    total=$(sed -E 's/^[0-9]+% tests passed, ([0-9]+) tests? failed out of ([0-9]+).*/\2/' <<<"$line")
    passed=$((passed + total - nfailed))
    failed=$((failed + nfailed))
    if [ "$nfailed" -gt 0 ] && [ "$rc" -eq 0 ]; then rc=1; fi
  elif [ "$rc" -ne 0 ]; then
    failed=$((failed + 1)) # ctest itself failed (no tests found, crash ...)
  fi
  return "$rc"
}

# phase NAME DIR "CMAKE-ARGS" CTEST-ARGS... (CMAKE-ARGS: one word per arg, space separated)
phase() {
  local name=$1 dir=$2 cmake_args=$3
  shift 3
  local -a cargs=()
  read -r -a cargs <<<"$cmake_args"
  heading "$name: build in $dir"
  if ! timed "$name build" build "$dir" "${cargs[@]}"; then
    problems+=("$name: configure/build failed in $dir")
    failed=$((failed + 1))
    status=1
    return 0
  fi
  heading "$name: ctest $*"
  if ! timed "$name ctest" run_ctest "$dir" "$@"; then
    problems+=("$name: ctest $* failed in $dir")
    status=1
  fi
}

heading "dependencies"
if ! timed "install-deps" bash "$root/scripts/install-deps.sh"; then
  echo "test.sh: installing the dependencies failed" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

phase normal build "-DCMAKE_BUILD_TYPE=RelWithDebInfo -DMYNA_SANITIZE=OFF -DMYNA_COVERAGE=OFF -DMYNA_FUZZ=OFF"

phase sanitizers build-asan "-DCMAKE_BUILD_TYPE=Debug -DMYNA_SANITIZE=ON -DMYNA_COVERAGE=OFF -DMYNA_FUZZ=OFF" \
  -L 'unit|cli|portal|client|kiosk' -LE e2e

if command -v clang >/dev/null 2>&1 && [ -f tests/fuzz/CMakeLists.txt ]; then
  CC=clang phase fuzz build-fuzz "-DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMYNA_SANITIZE=OFF -DMYNA_COVERAGE=OFF -DMYNA_FUZZ=ON" \
    -L fuzz
else
  heading "fuzz: skipped (needs clang and tests/fuzz/CMakeLists.txt)"
fi

heading "summary"
printf '%s\n' "${timings[@]}"
if [ ${#problems[@]} -gt 0 ]; then
  printf 'FAILED: %s\n' "${problems[@]}"
fi
echo "$passed passed, $failed failed"
exit "$status"
