#!/usr/bin/env bash
# Configures and builds Enlace.
#
#   scripts/build.sh [--sanitize] [--werror | --no-werror] [--build-dir DIR] [-DVAR=VALUE...]
#
#   (default)        RelWithDebInfo in build/
#   --sanitize       Debug with AddressSanitizer + UndefinedBehaviorSanitizer in build-asan/,
#                    compiled with Clang when it is installed and CC/CXX do not say otherwise
#   --werror         warnings are errors (what scripts/test.sh and CI use); the choice is
#                    kept in the build directory's cache until --no-werror, so switching
#                    between this script and test.sh does not rebuild everything
#   --build-dir DIR  build somewhere else
#   -D...            passed on to cmake (after ours, so it wins)
#
# Reconfiguring an existing build directory keeps its generator. Uses Ninja, ccache and the
# mold linker when installed, and every core.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)

usage() { sed -n '2,15s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }

sanitize=0
werror=""
build_dir=""
extra=()
while (($#)); do
  case "$1" in
    --sanitize) sanitize=1 ;;
    --werror) werror=ON ;;
    --no-werror) werror=OFF ;;
    --build-dir)
      [[ $# -ge 2 ]] || { echo "build: --build-dir needs a directory" >&2; exit 2; }
      build_dir=$2
      shift
      ;;
    --build-dir=*) build_dir=${1#--build-dir=} ;;
    -D*) extra+=("$1") ;;
    -h | --help) usage; exit 0 ;;
    *) echo "build: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

if [[ -z "$build_dir" ]]; then
  if ((sanitize)); then build_dir="$root/build-asan"; else build_dir="$root/build"; fi
fi
case "$build_dir" in /*) ;; *) build_dir="$PWD/$build_dir" ;; esac

if [[ "${ENLACE_SETUP_DONE:-0}" != 1 ]]; then
  bash "$here/setup.sh"
fi

args=(-S "$root" -B "$build_dir")
if [[ ! -f "$build_dir/CMakeCache.txt" ]] && command -v ninja >/dev/null 2>&1; then
  args+=(-G Ninja)  # only for a fresh directory: CMake refuses to switch generators
fi
if ((sanitize)); then
  args+=(-DCMAKE_BUILD_TYPE=Debug -DENLACE_SANITIZE=ON)
  if [[ ! -f "$build_dir/CMakeCache.txt" && -z "${CC:-}${CXX:-}" ]] &&
    command -v clang >/dev/null 2>&1 && command -v clang++ >/dev/null 2>&1; then
    # Clang compiles the sanitized build in about half of GCC's time (one file,
    # broker/src/ingest.cpp: 4.2 s against 8.0 s). Only for a fresh directory: the compiler
    # is fixed at the first configure.
    args+=(-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++)
  fi
else
  args+=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DENLACE_SANITIZE=OFF)
fi
if [[ -n "$werror" ]]; then args+=("-DENLACE_WERROR=$werror"); fi
if command -v ccache >/dev/null 2>&1; then
  args+=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
if command -v mold >/dev/null 2>&1; then
  # GNU ld takes seconds per test binary (tens of MiB of debug info under ASan); mold, a
  # fraction of one.
  args+=("-DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=mold" "-DCMAKE_SHARED_LINKER_FLAGS=-fuse-ld=mold")
fi
args+=("${extra[@]}")

jobs=$(nproc 2>/dev/null || echo 2)
echo "build: configuring $build_dir"
cmake "${args[@]}"
echo "build: building $build_dir with $jobs jobs"
cmake --build "$build_dir" --parallel "$jobs"
echo "build: done ($build_dir)"
