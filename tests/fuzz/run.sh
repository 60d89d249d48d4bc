#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz/ and runs each of them for a while.
#
#   tests/fuzz/run.sh --seconds N [--build-dir DIR] [--jobs J] [--keep-corpus] [TARGET...]
#   tests/fuzz/run.sh --replay [--build-dir DIR] [--jobs J] [TARGET...]
#
#   --seconds N      fuzz each target for N seconds (-max_total_time); 0 means --replay
#   --replay         run every seed and regression input once, without mutating (-runs=0)
#   --build-dir DIR  build directory of its own (default: build-fuzz/ at the repository root),
#                    configured with clang, ENLACE_FUZZ=ON and static libraries; only the
#                    target `fuzz-targets` is built there, not the rest of the tree
#   --jobs J         compile with J jobs and fuzz up to J targets at once (default: cores)
#   --keep-corpus    keep the inputs found by earlier runs (default: start from the seeds)
#   TARGET...        fuzz_frame, fuzz_control, ... (default: all)
#
# Each target reads tests/fuzz/corpus/<target>/ and tests/fuzz/regressions/<target>/, so every
# kept regression input runs again; what it finds goes to DIR/fuzz-runs/<target>/corpus/,
# never into the source tree. A crashing input is kept under DIR/fuzz-runs/<target>/
# artifacts/; the script prints it with the command that reproduces it, carries on with the
# other targets, and exits non-zero. The last lines are one per target (executions, exec/s,
# result) and "N passed, M failed", counting targets.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
all_targets=(fuzz_frame fuzz_control fuzz_envelope fuzz_policy fuzz_json fuzz_topic
  fuzz_nmea_sentence fuzz_tag_block fuzz_ais fuzz_sbs_line fuzz_gpsd_json fuzz_cot_xml
  fuzz_tak_stream fuzz_journal_segment fuzz_replay_origin)

usage() { sed -n '2,22s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }
die() {
  echo "fuzz: $*" >&2
  exit 2
}

seconds=""
replay=0
build_dir="$root/build-fuzz"
jobs=$(nproc 2>/dev/null || echo 2)
keep_corpus=0
targets=()
while (($#)); do
  case "$1" in
    --seconds)
      [[ $# -ge 2 ]] || die "--seconds needs a number"
      seconds=$2
      shift
      ;;
    --seconds=*) seconds=${1#--seconds=} ;;
    --replay) replay=1 ;;
    --build-dir)
      [[ $# -ge 2 ]] || die "--build-dir needs a directory"
      build_dir=$2
      shift
      ;;
    --build-dir=*) build_dir=${1#--build-dir=} ;;
    --jobs)
      [[ $# -ge 2 ]] || die "--jobs needs a number"
      jobs=$2
      shift
      ;;
    --jobs=*) jobs=${1#--jobs=} ;;
    --keep-corpus) keep_corpus=1 ;;
    -h | --help)
      usage
      exit 0
      ;;
    fuzz_*) targets+=("$1") ;;
    *)
      usage >&2
      die "unknown argument '$1'"
      ;;
  esac
  shift
done

if [[ -n "$seconds" ]]; then
  [[ "$seconds" =~ ^[0-9]+$ ]] || die "--seconds takes a whole number, not '$seconds'"
  ((seconds > 0)) || replay=1
elif ((!replay)); then
  usage >&2
  die "say how long: --seconds N, or --replay"
fi
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || die "--jobs takes a positive number, not '$jobs'"
((${#targets[@]})) || targets=("${all_targets[@]}")
for t in "${targets[@]}"; do
  [[ " ${all_targets[*]} " == *" $t "* ]] || die "unknown target '$t' (${all_targets[*]})"
done
case "$build_dir" in /*) ;; *) build_dir="$PWD/$build_dir" ;; esac

if ! command -v clang >/dev/null || ! command -v clang++ >/dev/null; then
  die "clang and clang++ are needed (Debian: clang libclang-rt-14-dev; scripts/setup.sh)"
fi

# ---- build ---------------------------------------------------------------------------
started=$SECONDS
# RelWithDebInfo without -DNDEBUG: optimised, with line tables and with assertions, which a
# fuzzer should trip over too.
args=(-S "$root" -B "$build_dir"
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++
  -DCMAKE_BUILD_TYPE=RelWithDebInfo
  "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O2 -g1" "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1"
  -DENLACE_FUZZ=ON -DENLACE_WERROR=ON -DBUILD_SHARED_LIBS=OFF
  -DENLACE_BUILD_TESTS=OFF -DENLACE_BUILD_EXAMPLES=OFF)
if [[ ! -f "$build_dir/CMakeCache.txt" ]] && command -v ninja >/dev/null 2>&1; then
  args+=(-G Ninja)
fi
if command -v ccache >/dev/null 2>&1; then
  args+=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
if command -v mold >/dev/null 2>&1; then
  args+=("-DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=mold")
fi
echo "fuzz: configuring $build_dir"
mkdir -p "$build_dir"
cmake "${args[@]}" >"$build_dir/fuzz-configure.log" 2>&1 || {
  cat "$build_dir/fuzz-configure.log" >&2
  die "configure failed"
}
echo "fuzz: building fuzz-targets with $jobs jobs"
cmake --build "$build_dir" --target fuzz-targets --parallel "$jobs"
build_seconds=$((SECONDS - started))
echo "fuzz: build done in ${build_seconds} s"

# ---- run -----------------------------------------------------------------------------
runs="$build_dir/fuzz-runs"
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

# run_target TARGET: one libFuzzer run; its output goes to $runs/TARGET/log, its exit status
# to $runs/TARGET/status.
run_target() {
  local target=$1
  local dir="$runs/$target"
  local bin="$build_dir/tests/fuzz/$target"
  rm -rf "$dir/artifacts" "$dir/log" "$dir/status"
  ((keep_corpus)) || rm -rf "$dir/corpus"
  mkdir -p "$dir/corpus" "$dir/artifacts"
  local inputs=("$dir/corpus" "$here/corpus/$target")
  [[ -d "$here/regressions/$target" ]] && inputs+=("$here/regressions/$target")
  local options=(-timeout=10 -rss_limit_mb=2048 -print_final_stats=1
    "-artifact_prefix=$dir/artifacts/")
  [[ -f "$here/$target.dict" ]] && options+=("-dict=$here/$target.dict")
  local guard
  if ((replay)); then
    options+=(-runs=0)
    guard=600
  else
    options+=("-max_total_time=$seconds")
    guard=$((seconds + 600))  # a run that does not end by itself is a failure too
  fi
  local rc=0
  timeout --kill-after=10 "$guard" "$bin" "${options[@]}" "${inputs[@]}" >"$dir/log" 2>&1 || rc=$?
  echo "$rc" >"$dir/status"
}

mode=$([[ $replay == 1 ]] && echo "replaying the seeds and regression inputs" ||
  echo "fuzzing each target for ${seconds} s")
echo "fuzz: $mode, up to $jobs at a time; logs in ${runs#"$root"/}/<target>/log"
running=0
for target in "${targets[@]}"; do
  if ((running >= jobs)); then
    wait -n || true
    running=$((running - 1))
  fi
  run_target "$target" &
  running=$((running + 1))
done
wait || true

# ---- report --------------------------------------------------------------------------
passed=0
failed=0
lines=()
for target in "${targets[@]}"; do
  dir="$runs/$target"
  rc=$(cat "$dir/status" 2>/dev/null || echo 1)
  execs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "$dir/log" | tail -n 1)
  rate=$(sed -nE 's/^stat::average_exec_per_sec: *([0-9]+).*/\1/p' "$dir/log" | tail -n 1)
  if ((rc == 0)); then
    result=ok
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    if grep -q "ERROR: libFuzzer: timeout" "$dir/log"; then
      result="FAILED: timeout"
    elif grep -q "ERROR: libFuzzer: out-of-memory" "$dir/log"; then
      result="FAILED: out of memory"
    elif grep -q "ERROR: LeakSanitizer" "$dir/log"; then
      result="FAILED: leak"
    elif ((rc == 124 || rc == 137)); then
      result="FAILED: did not finish"
    else
      result="FAILED: crash (exit $rc)"
    fi
    artifact=$(sed -nE 's/.*Test unit written to (.*)$/\1/p' "$dir/log" | tail -n 1)
    echo
    echo "==== $target: $result"
    grep -E "ERROR|SUMMARY|runtime error|FUZZ_CHECK|Assertion|#[0-9]+ 0x[0-9a-f]+ in " "$dir/log" |
      head -n 30 || true
    echo "  log:       ${dir#"$root"/}/log"
    if [[ -n "$artifact" ]]; then
      echo "  input:     ${artifact#"$root"/}"
      echo "  reproduce: ${build_dir#"$root"/}/tests/fuzz/$target ${artifact#"$root"/}"
      echo "  keep it:   cp ${artifact#"$root"/} tests/fuzz/regressions/$target/<what-it-reproduces>"
    fi
  fi
  lines+=("$(printf '  %-14s %12s execs %9s exec/s  %s' "$target" "${execs:-?}" "${rate:-?}" "$result")")
done

echo
echo "==== fuzz summary ($mode; build ${build_seconds} s, total $((SECONDS - started)) s)"
printf '%s\n' "${lines[@]}"
echo "$passed passed, $failed failed"
((failed == 0))
