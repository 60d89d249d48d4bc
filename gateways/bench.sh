#!/usr/bin/env bash
# Measures each gateway's decode-and-publish rate: a capture replayed as fast as possible
# into a real broker over CURVE on loopback, on the gateway's one I/O thread.
#
#   gateways/bench.sh [--build-dir DIR] [--lines N]
#
# Generates N lines (default 200000) of NMEA/AIS and of SBS, keys and a policy in a scratch
# directory, starts enlace-broker, runs each gateway with a file source (timing = "fast")
# and --exit-at-end, and prints the gateway's own "replay: ... lines/s" line, which counts
# from the connection to the broker having everything (flush) after the last line.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="$root/build"
lines=200000
while (($#)); do
  case "$1" in
    --build-dir) build=$2; shift ;;
    --lines) lines=$2; shift ;;
    *) sed -n '2,11s/^# \{0,1\}//p' "$0"; exit 2 ;;
  esac
  shift
done
work=$(mktemp -d)
trap 'kill "${broker_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$work"

# Captures: radio fixes (GGA/RMC), single-sentence AIS position reports, SBS MSG 3/4.
python3 - "$lines" <<'PY'
import functools, sys
n = int(sys.argv[1])
cs = lambda b: '%02X' % functools.reduce(lambda a, c: a ^ ord(c), b, 0)
ais = ['1:p;bP@00oJack1wq2d4lkpt0000', 'B:ttmlP0:VaGT@00S:2`kwWTP000', '1:p;e6P01@JbApQwo=P3Q2l:0000']
with open('nmea.txt', 'w') as f:
    for i in range(n):
        k = i % 4
        if k == 0:
            body = 'GPGGA,%02d%02d%02d.00,0011.%04d,S,07446.8000,W,1,09,0.9,182.5,M,-8.1,M,,' % (
                (i // 3600) % 24, (i // 60) % 60, i % 60, i % 10000)
            f.write('$%s*%s\r\n' % (body, cs(body)))
        elif k == 1:
            body = 'GNRMC,%02d%02d%02d.00,A,0011.%04d,S,07446.8000,W,5.0,85.0,021226,,,A' % (
                (i // 3600) % 24, (i // 60) % 60, i % 60, i % 10000)
            f.write('$%s*%s\r\n' % (body, cs(body)))
        else:
            body = 'AIVDM,1,1,,A,%s,0' % ais[i % 3]
            f.write('!%s*%s\r\n' % (body, cs(body)))
with open('sbs.txt', 'w') as f:
    for i in range(n):
        icao = '%06X' % (0x4CA000 + i % 500)
        t = '02:%02d:%02d.%03d' % ((i // 60000) % 60, (i // 1000) % 60, i % 1000)
        if i % 2 == 0:
            f.write('MSG,3,1,1,%s,1,2026/12/02,%s,2026/12/02,%s,,9500,,,-4.19321,-69.94012,,,0,0,0,0\r\n' % (icao, t, t))
        else:
            f.write('MSG,4,1,1,%s,1,2026/12/02,%s,2026/12/02,%s,,,180,135.0,,,1088,,,,,\r\n' % (icao, t, t))
PY

enlace="$build/tools/enlace"
"$enlace" keygen broker >/dev/null
"$enlace" keygen gw >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > policy.toml <<TOML
[coalition]
name = "Gateway benchmark"
policy_identifier = "urn:enlace:bench"
[limits]
max_message_bytes = 65536
default_rate = 10000000
default_burst = 10000000
[nations.COL]
name = "Colombia"
[roles.feed]
publish.allow = ["position.{nation}.>", "track.{nation}.>", "alert.{nation}.>"]
[[systems]]
id = "gw"
nation = "COL"
role = "feed"
public_key = "$(grep -v '^#' gw.pub | tr -d '[:space:]')"
TOML
"$build/broker/enlace-broker" --policy policy.toml --keys broker --endpoint "tcp://127.0.0.1:$port" \
  --ready-file ready 2>broker.log &
broker_pid=$!
for _ in $(seq 100); do [[ -f ready ]] && break; sleep 0.1; done
[[ -f ready ]] || { cat broker.log; echo "bench: the broker did not start" >&2; exit 1; }

bus="[bus]
broker = \"tcp://127.0.0.1:$port\"
broker_key = \"broker.pub\"
keys = \"gw\""
cat > nmea.toml <<TOML
$bus
[[sources]]
name = "capture"
kind = "file"
path = "nmea.txt"
timing = "fast"
[radio]
min_interval_s = 0
[[radios]]
unit = "P21"
source = "capture"
TOML
cat > sbs.toml <<TOML
$bus
[[sources]]
name = "capture"
kind = "file"
path = "sbs.txt"
timing = "fast"
[adsb]
min_interval_s = 0
TOML
echo "enlace-nmea-gateway ($lines lines: GGA, RMC, AIS types 1 and 18):"
"$build/gateways/nmea/enlace-nmea-gateway" --config nmea.toml --exit-at-end 2>nmea.log | grep -E '^replay|"source"'
echo "enlace-sbs-gateway ($lines lines: MSG 3 and 4 of 500 aircraft):"
"$build/gateways/sbs/enlace-sbs-gateway" --config sbs.toml --exit-at-end 2>sbs.log | grep -E '^replay|"source"'
