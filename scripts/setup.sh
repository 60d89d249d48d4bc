#!/usr/bin/env bash
# Installs what Enlace needs to build and test, from Debian 12 packages only.
#
# Idempotent: asks dpkg which packages are missing and installs only those, so on a
# prepared machine it changes nothing, needs no network and takes well under a second.
# Runs as root, or through sudo when it is available.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git  # toolchain
  mold                                              # linker: links the test binaries in a fraction of ld's time
  libzmq3-dev cppzmq-dev                            # transport (ZeroMQ + CURVE)
  libflatbuffers-dev flatbuffers-compiler           # wire format and flatc
  libsodium-dev                                     # keys, hashes for the audit chain
  libfmt-dev libspdlog-dev libasio-dev              # formatting, logging, event loop
  librestinio-dev libhttp-parser-dev                # the broker's HTTP endpoint (RESTinio)
  prometheus                                        # promtool: tests check /metrics with it
  catch2                                            # tests (Catch2 2.x)
  libtomlplusplus-dev                               # policy files
  libsqlite3-dev                                    # journal and audit store
  libpugixml-dev                                    # CoT XML (gateways/tak)
  libprotobuf-dev protobuf-compiler                 # TAK Protocol v1 (gateways/tak)
  libssl-dev                                        # TLS to TAK clients (gateways/tak)
  openssl                                           # certificates: TAK tests, enlace-demo --tak
  systemd                                           # systemd-analyze: tests verify the service units
  clang-format                                      # the .clang-format style
  clang libclang-rt-14-dev                          # fuzz targets: libFuzzer (tests/fuzz)
  chromium                                          # browser tests of enlace-web (tests/web)
)
# The gateway cross-check's npm decoders need node and npm: Debian's, unless the machine
# already has them from elsewhere (a nodejs package with npm built in conflicts with
# Debian's npm package).
if ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi

log() { printf 'setup: %s\n' "$*"; }

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  log "not a Debian-based system; install the equivalents of these packages yourself:"
  log "  ${packages[*]}"
  exit 0
fi

if [[ -r /etc/os-release ]]; then
  # shellcheck disable=SC1091
  os_id=$(. /etc/os-release && printf '%s %s' "${ID:-}" "${VERSION_ID:-}")
  if [[ "$os_id" != "debian 12" ]]; then
    log "note: written for Debian 12, this is '${os_id}'; carrying on"
  fi
fi

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  if [[ "$status" != "installed" ]]; then
    missing+=("$pkg")
  fi
done

# The gateway cross-check (tests/gateways/crosscheck) runs independent npm decoders.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# So does the TAK gateway's third-party client (tests/gateways/tak/thirdparty: node-tak
# and node-cot). The web COP's page is bundled from npm packages at build time
# (gateways/web/ui), and its browser tests drive Debian's chromium with playwright-core
# (tests/web; no browser is downloaded).
install_npm() {
  local dir
  command -v npm >/dev/null 2>&1 || { log "error: npm is missing"; exit 1; }
  for dir in tests/gateways/crosscheck tests/gateways/tak/thirdparty gateways/web/ui tests/web; do
    # npm ci only when the lock file is newer than what is installed: offline afterwards.
    if [[ ! -f "$root/$dir/node_modules/.package-lock.json" ||
          "$root/$dir/package-lock.json" -nt "$root/$dir/node_modules/.package-lock.json" ]]; then
      log "running npm ci in $dir"
      npm ci --prefix "$root/$dir" --no-audit --no-fund --prefer-offline --loglevel=error
    fi
  done
}

if ((${#missing[@]} == 0)); then
  log "all ${#packages[@]} packages already installed; nothing to do"
  install_npm
  exit 0
fi

if ((EUID == 0)); then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  log "missing packages: ${missing[*]}"
  log "error: not root and sudo is not available; install them as root and re-run"
  exit 1
fi

log "missing ${#missing[@]} of ${#packages[@]} packages: ${missing[*]}"
# `env` because sudo drops the environment; the lock timeout waits for another apt (e.g.
# unattended-upgrades on a fresh machine) instead of failing at once.
apt_opts=(-y -q --no-install-recommends -o DPkg::Lock::Timeout=300)
log "running apt-get update"
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=300 update
log "running apt-get install ${missing[*]}"
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install "${apt_opts[@]}" "${missing[@]}"

still_missing=()
for pkg in "${missing[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "installed" ]] || still_missing+=("$pkg")
done
if ((${#still_missing[@]} > 0)); then
  log "error: still not installed after apt-get: ${still_missing[*]}"
  exit 1
fi
log "installed ${#missing[@]} packages: ${missing[*]}"
install_npm
