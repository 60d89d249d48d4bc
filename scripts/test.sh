#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run):
#
#   1. installs missing Debian packages (scripts/setup.sh);
#   2. builds build/ (RelWithDebInfo with line tables, warnings are errors) and runs every
#      CTest entry there, including "install: find_package consumer", which installs the build into a scratch
#      prefix and builds tests/install/ against it with find_package(Enlace) and pkg-config;
#   3. builds build-asan/ (Debug, ASan + UBSan, Clang, warnings are errors) and runs the tests
#      again with leak detection, except the install test (label "install");
#   4. builds the libFuzzer targets in build-fuzz/ (clang) and fuzzes each for a few seconds
#      from its seeds and kept regression inputs (tests/fuzz/run.sh); each target counts
#      as one test.
#
# Exits non-zero on any failure. The last line is "N passed, M failed" over all runs; a
# failed build or a CTest run that reports no count counts as one failure.
# The build directories are reused (and ccache when installed), so a second run only
# rebuilds what changed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
cd "$root"

passed=0
failed=0
stages=()
started=$SECONDS

summary() {
  local rc=$?
  if ((rc != 0 && failed == 0)); then
    failed=1  # a step failed before or outside CTest (setup, configure, build)
  fi
  echo
  echo "==== summary ($((SECONDS - started)) s)"
  local s
  for s in "${stages[@]}"; do echo "  $s"; done
  echo "$passed passed, $failed failed"
  if ((failed > 0 && rc == 0)); then exit 1; fi
}
trap summary EXIT

banner() { printf '\n==== %s\n' "$*"; }

# run_ctest NAME BUILD_DIR [CTEST ARGS...]: runs CTest and adds its counts to the totals.
# Every test has its own TIMEOUT in CMake; --timeout is the fallback for one that lacks it.
run_ctest() {
  local name=$1 dir=$2
  shift 2
  local log="$dir/ctest-last.log"
  local t0=$SECONDS rc=0
  banner "$name: ctest in ${dir#"$root"/}"
  ctest --test-dir "$dir" --output-on-failure --parallel 2 --timeout 300 --no-tests=error "$@" \
    2>&1 | tee "$log" || rc=$?
  # CTest's closing line: "97% tests passed, 1 tests failed out of 40".
  local line total=0 bad=0
  line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1 || true)
  if [[ -n "$line" ]]; then
    total=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$line")
    bad=$(sed -E 's/.* passed, ([0-9]+) tests? failed.*/\1/' <<<"$line")
  fi
  if ((rc != 0 && bad == 0)); then
    bad=1  # CTest failed without a count (no tests found, crash, ...)
  fi
  local ok=$((total > bad ? total - bad : 0))
  passed=$((passed + ok))
  failed=$((failed + bad))
  stages+=("$name: $ok passed, $bad failed, $((SECONDS - t0)) s")
}

# run_fuzz SECONDS: tests/fuzz/run.sh, each target counted as one test in the totals.
run_fuzz() {
  local seconds=$1 t0=$SECONDS rc=0 log
  log=$(mktemp)
  banner "fuzz: each libFuzzer target for $seconds s (tests/fuzz/run.sh)"
  bash "$root/tests/fuzz/run.sh" --seconds "$seconds" 2>&1 | tee "$log" || rc=$?
  local line ok=0 bad=0
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1 || true)
  rm -f "$log"
  if [[ -n "$line" ]]; then
    ok=${line%% passed*}
    bad=$(sed -E 's/.* ([0-9]+) failed$/\1/' <<<"$line")
  fi
  if ((rc != 0 && bad == 0)); then
    bad=1  # the build or the script failed before any target ran
  fi
  passed=$((passed + ok))
  failed=$((failed + bad))
  stages+=("fuzz: $ok passed, $bad failed, $((SECONDS - t0)) s")
}

banner "setup"
bash "$here/setup.sh"
export ENLACE_SETUP_DONE=1

banner "build: RelWithDebInfo, -Werror"
t0=$SECONDS
# Line tables only (-g1), for both builds: backtraces and the sanitizers' reports keep their
# file:line, and a file compiles 25 to 35 % faster than with full debug information (-g).
g1_release=("-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG" "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG")
bash "$here/build.sh" --werror --build-dir "$root/build" "${g1_release[@]}"
stages+=("build: $((SECONDS - t0)) s")
run_ctest "tests" "$root/build"

banner "build: Debug, ASan + UBSan, -Werror"
t0=$SECONDS
# No benchmarks here: nothing runs them under the sanitizers.
bash "$here/build.sh" --sanitize --werror --build-dir "$root/build-asan" \
  -DENLACE_BUILD_BENCHMARKS=OFF -DCMAKE_C_FLAGS_DEBUG=-g1 -DCMAKE_CXX_FLAGS_DEBUG=-g1
stages+=("build-asan: $((SECONDS - t0)) s")
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_ctest "tests under sanitizers" "$root/build-asan" --label-exclude install

run_fuzz 10
