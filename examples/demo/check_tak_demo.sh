#!/usr/bin/env bash
# CTest "demo: --tak starts one TAK gateway per nation": runs enlace-demo --tak and checks
# that each nation's TAK site started (the demo waits for each gateway's ready file: bus
# session and listeners), that TLS clients with the demo's phone certificates get the
# picture their nation may see, that the ATAK and WinTAK instructions name each site's
# ports and files, that those files exist, and that every gateway stopped cleanly.
#   check_tak_demo.sh ENLACE_DEMO STATE_DIR
set -euo pipefail
demo=$1
state=$2
base=38080
out=$(mktemp)
trap 'rm -f "$out" "$out.s_client"' EXIT

fail() {
  echo "FAILED: $*"
  echo "---- enlace-demo output:"
  cat "$out"
  exit 1
}

# The first `count` CoT events a TLS client with `site`'s phone certificate receives from
# the site at `port` within `seconds`, one per line (openssl s_client: a client nobody
# here wrote, verifying the gateway against the site's CA).
events_from() {
  local site=$1 port=$2 count=$3 seconds=$4 dir="$state/tak/$1" cn
  cn=$(basename "$(ls "$dir"/ANDROID-*.p12)" .p12)
  timeout "$seconds" openssl s_client -connect "127.0.0.1:$port" -cert "$dir/$cn.pem" \
    -key "$dir/$cn.key" -CAfile "$dir/ca.pem" -verify_return_error -quiet -ign_eof \
    </dev/null 2>>"$out.s_client" |
    awk -v n="$count" 'BEGIN { RS = "</event>" } /<event/ { sub(/^.*<event/, "<event"); print; if (++seen >= n) exit }' ||
    true
}

"$demo" --tak --tak-port-base "$base" --duration 12 --late-joiner-seconds 0 --plain \
  --state-dir "$state" --reset >"$out" 2>&1 &
demo_pid=$!
# The instructions are printed once every site is ready (listeners bound, bus session).
for _ in $(seq 1 600); do
  grep -q "^enlace-demo: TAK clients:" "$out" && break
  kill -0 "$demo_pid" 2>/dev/null || break
  sleep 0.1
done
grep -q "^enlace-demo: TAK clients:" "$out" || fail "the TAK sites did not all become ready"

# Colombia's phone gets the picture its nation may see, Peru's patrol positions included
# (the joint patrol agreement); Brazil's site, party only to the tri-border agreement, gets
# tracks and alerts and never a friendly position.
col=$(events_from col-tak-leguizamo $((base + 9)) 12 8)
grep -q 'type="a-f-' <<<"$col" || fail "Colombia's TAK client received no friendly position: $col"
grep -q 'uid="enlace-PER-' <<<"$col" || fail "Colombia's TAK client received nothing of Peru's: $col"
bra=$(events_from bra-tak-tabatinga $((base + 39)) 4 6)
grep -q '<event' <<<"$bra" || fail "Brazil's TAK client received nothing"
if grep -q 'type="a-f-' <<<"$bra"; then fail "Brazil's TAK client received a friendly position: $bra"; fi

wait "$demo_pid" || fail "enlace-demo --tak exited with status $?"

i=0
for site in col-tak-leguizamo ecu-tak-lago-agrio per-tak-el-estrecho bra-tak-tabatinga; do
  tls=$((base + 10 * i + 9))
  tcp=$((base + 10 * i + 7))
  grep -q "started enlace-tak-gateway for $site (pid [0-9]*), TLS on 127.0.0.1:$tls, TCP on 127.0.0.1:$tcp" "$out" ||
    fail "no start line for $site on ports $tls and $tcp"
  grep -q "127.0.0.1:$tls SSL, 127.0.0.1:$tcp TCP; client certificate $state/tak/$site/ANDROID-" "$out" ||
    fail "the instructions do not name $site's ports and client certificate"
  for file in ca.pem server.pem truststore.p12; do
    [[ -s "$state/tak/$site/$file" ]] || fail "$state/tak/$site/$file is missing"
  done
  ls "$state/tak/$site"/ANDROID-*.p12 >/dev/null 2>&1 || fail "no client .p12 for $site"
  grep -q "TAK gateway $site: {\"clients\":" "$out" || fail "no counters for $site in the summary"
  grep -q "TAK gateway $site: .*exited with status 0" "$out" || fail "$site did not stop cleanly"
  i=$((i + 1))
done
grep -q "Settings > Network Preferences > Server Connections" "$out" || fail "no ATAK instructions"
grep -q "password atakatak" "$out" || fail "the instructions do not give the .p12 password"
echo "ok: four TAK sites started, were described and stopped cleanly"
