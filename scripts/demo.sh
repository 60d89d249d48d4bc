#!/usr/bin/env bash
# Builds Enlace if needed, then runs the demo coalition (examples/): all arguments go to
# enlace-demo. Build output goes to stderr so the demo's own output stays clean.
#
#   scripts/demo.sh [enlace-demo arguments...]
#   ENLACE_BUILD_DIR=DIR scripts/demo.sh ...   # use another build directory (default build/)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
build_dir=${ENLACE_BUILD_DIR:-$root/build}

bash "$here/build.sh" --build-dir "$build_dir" >&2
exec "$build_dir/examples/enlace-demo" "$@"
