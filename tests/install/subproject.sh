#!/usr/bin/env bash
# Enlace as a subproject (add_subdirectory): configures tests/install/subproject/ against
# this source tree and checks, from the generated build system, that Enlace's own tests,
# benchmarks, examples and install rules stay out while Enlace::sdk is there to link.
#
#   subproject.sh --source ENLACE_SOURCE_DIR --work DIR
set -euo pipefail

source_dir="" work=""
while (($#)); do
  case "$1" in
    --source) source_dir=$2; shift ;;
    --work) work=$2; shift ;;
    *) echo "subproject: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
[[ -n "$source_dir" && -n "$work" ]] || { echo "usage: subproject.sh --source DIR --work DIR" >&2; exit 2; }

fail() { echo "subproject: FAILED: $*" >&2; exit 1; }
rm -rf "$work"
"${CMAKE:-cmake}" -S "$source_dir/tests/install/subproject" -B "$work" -G Ninja \
  -DENLACE_SOURCE_DIR="$source_dir" >"$work.log" 2>&1 || { cat "$work.log" >&2; fail "configure"; }

targets=$(ninja -C "$work" -t targets all)
for wanted in vendor_app enlace enlace-broker; do
  grep -qE "^$wanted: " <<<"$targets" || fail "target $wanted missing"
done
for unwanted in enlace_unit_tests enlace_integration_tests enlace-bench enlace-demo enlace-zmq-proxy install; do
  if grep -qE "^$unwanted: " <<<"$targets"; then fail "a subproject got target '$unwanted'"; fi
done
[[ ! -f "$work/enlace/CTestTestfile.cmake" ]] || ! grep -q add_test "$work/enlace/CTestTestfile.cmake" ||
  fail "a subproject registered Enlace's tests"
echo "subproject: Enlace as a subproject brings its libraries and programs only"
