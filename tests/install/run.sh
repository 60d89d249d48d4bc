#!/usr/bin/env bash
# The install test: checks an installed Enlace the way a vendor meets it.
#
#   tests/install/run.sh [--install-from BUILD_DIR] [--work DIR] PREFIX
#
#   --install-from BUILD_DIR   first empty PREFIX and `cmake --install BUILD_DIR` into it
#   --work DIR                 scratch directory (emptied first; default: a temporary one,
#                              removed on success)
#
# Checks, in order:
#   1. the installed layout: public headers, generated wire headers, schemas, CMake package,
#      pkg-config file, programs; no internal header; no absolute path of the source tree,
#      the build tree or PREFIX in the CMake package or the .pc file;
#   2. the tree still works after being moved: everything below runs against a copy;
#   3. tests/install/ built with find_package(Enlace): its consumer runs and passes, and the
#      headers enlace_generate_schemas() generated from the installed schemas are identical
#      to the installed ones;
#   4. a C program built with `cc $(pkg-config --cflags --libs enlace)` runs.
#
# Environment: CMAKE (default cmake), CC (default cc), CFLAGS, LDFLAGS; CMake also reads
# CC, CXX, CFLAGS, CXXFLAGS and LDFLAGS for the consumer project.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
cmake=${CMAKE:-cmake}
cc=${CC:-cc}

usage() { sed -n '2,23s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }
fail() { echo "install-test: FAIL: $*" >&2; exit 1; }
step() { printf '\n-- install-test: %s\n' "$*"; }

build_dir=""
work=""
prefix=""
while (($#)); do
  case "$1" in
    --install-from) build_dir=${2:?--install-from needs a build directory}; shift ;;
    --work) work=${2:?--work needs a directory}; shift ;;
    -h | --help) usage; exit 0 ;;
    -*) usage >&2; exit 2 ;;
    *) [[ -z "$prefix" ]] || { usage >&2; exit 2; }; prefix=$1 ;;
  esac
  shift
done
[[ -n "$prefix" ]] || { usage >&2; exit 2; }
abspath() { case "$1" in /*) printf '%s' "$1" ;; *) printf '%s/%s' "$PWD" "$1" ;; esac; }
prefix=$(abspath "$prefix")

if [[ -z "$work" ]]; then
  work=$(mktemp -d "${TMPDIR:-/tmp}/enlace-install-test.XXXXXX")
  trap 'status=$?; if ((status == 0)); then rm -rf "$work"; else echo "install-test: work files kept in $work" >&2; fi' EXIT
else
  work=$(abspath "$work")
  rm -rf "$work"
  mkdir -p "$work"
fi

generator=()
if command -v ninja >/dev/null 2>&1; then generator=(-G Ninja); fi
jobs=$(nproc 2>/dev/null || echo 2)

# --- 0. install ---------------------------------------------------------------------------
if [[ -n "$build_dir" ]]; then
  build_dir=$(cd "$build_dir" && pwd)
  step "installing $build_dir into $prefix"
  rm -rf "$prefix"
  "$cmake" --install "$build_dir" --prefix "$prefix" >"$work/install.log" ||
    { cat "$work/install.log"; fail "cmake --install failed"; }
fi
[[ -d "$prefix" ]] || fail "no installed tree at $prefix"

# --- 1. layout ----------------------------------------------------------------------------
step "checking the installed layout"
config=$(find "$prefix" -path '*/cmake/Enlace/EnlaceConfig.cmake' | head -n 1)
[[ -n "$config" ]] || fail "no lib/cmake/Enlace/EnlaceConfig.cmake"
cmakedir=$(dirname "$config")
libdir=$(cd "$cmakedir/../.." && pwd)
pcfile="$libdir/pkgconfig/enlace.pc"

expect=(
  "$prefix/include/enlace/enlace.h"
  "$prefix/include/enlace/enlace.hpp"
  "$prefix/include/enlace/wire.hpp"
  "$prefix/include/enlace/wire/envelope_generated.h"
  "$prefix/share/enlace/schemas/envelope.fbs"
  "$cmakedir/EnlaceConfig.cmake"
  "$cmakedir/EnlaceConfigVersion.cmake"
  "$cmakedir/EnlaceTargets.cmake"
  "$cmakedir/EnlaceSchemas.cmake"
  "$pcfile"
  "$prefix/bin/enlace-broker"
  "$prefix/bin/enlace"
)
for f in "${expect[@]}"; do
  [[ -e "$f" ]] || fail "missing ${f#"$prefix"/}"
done
compgen -G "$libdir/libenlace.so*" >/dev/null || compgen -G "$libdir/libenlace.a" >/dev/null ||
  fail "no libenlace in ${libdir#"$prefix"/}"
# The protocol core's own API is internal: never installed, never exported.
[[ ! -e "$prefix/include/enlace/protocol" ]] || fail "internal headers installed: include/enlace/protocol/"
if so=$(compgen -G "$libdir/libenlace.so.*" | head -n 1) && command -v nm >/dev/null; then
  if nm -DC --defined-only "$so" | grep -E ' T (enlace::wire::parse_frame|enlace::protocol::|enlace::Client::Impl::)' >/dev/null; then
    fail "libenlace exports internals: $(nm -DC --defined-only "$so" | grep -E ' T (enlace::wire::parse_frame|enlace::protocol::|enlace::Client::Impl::)' | head -n 3)"
  fi
fi

# Each schema has its generated header, and nothing else sits under include/.
for fbs in "$prefix"/share/enlace/schemas/*.fbs; do
  name=$(basename "$fbs" .fbs)
  [[ -f "$prefix/include/enlace/wire/${name}_generated.h" ]] ||
    fail "schema $name.fbs has no installed include/enlace/wire/${name}_generated.h"
done
strays=$(find "$prefix/include" -mindepth 1 -maxdepth 1 ! -name enlace)
[[ -z "$strays" ]] || fail "unexpected entries in include/: $strays"
[[ ! -e "$prefix/include/enlace/policy" ]] || fail "internal broker headers were installed"

# Relocatable: no absolute path of the machine that built it.
forbidden=("$prefix")
if [[ -f "$root/cmake/Install.cmake" ]]; then forbidden+=("$root"); fi  # run from the source tree
if [[ -n "$build_dir" ]]; then forbidden+=("$build_dir"); fi
for path in "${forbidden[@]}"; do
  hits=$(grep -rlF -- "$path" "$cmakedir" "$pcfile" || true)
  [[ -z "$hits" ]] || fail "absolute path $path in: $hits"
done

# The programs start from the installed tree (their libenlace is found via RPATH).
for program in enlace-broker enlace; do
  if ldd "$prefix/bin/$program" | grep -q 'not found'; then
    ldd "$prefix/bin/$program" >&2
    fail "bin/$program has unresolved libraries"
  fi
done

# --- 2. relocation ------------------------------------------------------------------------
moved="$work/moved-prefix"
step "copying the tree to $moved; everything below uses the copy"
cp -a "$prefix" "$moved"
moved_libdir="$moved/${libdir#"$prefix"/}"

# --- 3. find_package consumer -------------------------------------------------------------
step "building tests/install with find_package(Enlace)"
consumer="$work/consumer"
"$cmake" -S "$here" -B "$consumer" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_PREFIX_PATH="$moved" -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON
"$cmake" --build "$consumer" --parallel "$jobs"

grep -q "^Enlace_DIR:PATH=$moved/" "$consumer/CMakeCache.txt" ||
  fail "find_package(Enlace) did not pick the moved tree: $(grep '^Enlace_DIR' "$consumer/CMakeCache.txt")"

step "running the consumer"
"$consumer/enlace_consumer"
"$consumer/vendor_codegen"

step "comparing vendor-generated headers with the installed ones"
count=0
for installed in "$moved"/include/enlace/wire/*_generated.h; do
  vendor="$consumer/vendor_generated/vendor/wire/$(basename "$installed")"
  [[ -f "$vendor" ]] || fail "enlace_generate_schemas() produced no $(basename "$installed")"
  cmp -s "$installed" "$vendor" || fail "$(basename "$installed") differs from the vendor's copy"
  count=$((count + 1))
done
echo "$count generated headers identical"

# --- 4. pkg-config ------------------------------------------------------------------------
step "building a C program with pkg-config"
export PKG_CONFIG_PATH="$moved_libdir/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
pkg-config --exists --print-errors enlace || fail "pkg-config does not find enlace"
pc_flags=$(pkg-config --cflags --libs enlace)
echo "pkg-config --cflags --libs enlace: $pc_flags"
[[ "$(pkg-config --variable=libdir enlace)" -ef "$moved_libdir" ]] ||
  fail "enlace.pc's libdir is not the moved tree's: $(pkg-config --variable=libdir enlace)"
# shellcheck disable=SC2086  # the flags are a list of words
"$cc" -std=c11 -Wall -Wextra -Werror ${CFLAGS:-} -o "$work/c_consumer" "$here/c_consumer.c" \
  $pc_flags ${LDFLAGS:-}
LD_LIBRARY_PATH="$moved_libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$work/c_consumer"

step "passed"
