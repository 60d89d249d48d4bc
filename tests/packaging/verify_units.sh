#!/usr/bin/env bash
# Installs this build's programs and service files into a scratch prefix and has systemd
# check the units there (systemd-analyze verify: syntax, known directives, the programs of
# ExecStart= and ExecReload= exist). Exits 77 (CTest: skipped) without systemd-analyze.
#
#   verify_units.sh BUILD_DIR WORK_DIR
set -euo pipefail
build=$1
work=$2
if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "SKIP: systemd-analyze is not installed (Debian: systemd); the units were not verified"
  exit 77
fi
rm -rf "$work"
mkdir -p "$work"
for component in Enlace_Runtime Enlace_Service; do
  "${CMAKE:-cmake}" --install "$build" --prefix "$work/prefix" --component "$component" >/dev/null
done
units=("$work"/prefix/lib/systemd/system/*.service)
[[ -e ${units[0]} ]] || { echo "no units were installed under $work/prefix/lib/systemd/system"; exit 1; }
for unit in "${units[@]}"; do
  grep -q "$work/prefix/bin/" "$unit" || { echo "$unit: ExecStart= does not name the prefix's bin"; exit 1; }
done
# The units name User=enlace, which this machine need not have: that is not a defect.
output=$(systemd-analyze verify --man=no "${units[@]}" 2>&1 || true)
problems=$(grep -v -e 'Failed to resolve user' -e 'Failed to resolve group' -e '^$' <<<"$output" || true)
if [[ -n $problems ]]; then
  echo "systemd-analyze verify found problems:"
  echo "$output"
  exit 1
fi
echo "verified: ${units[*]##*/}"
