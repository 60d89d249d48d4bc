#!/usr/bin/env bash
# The README's tour, run as written: every block that follows a `<!-- tour:KIND -->` marker
# in README.md is taken from the file and run, so the test fails when the README drifts.
#
#   tests/readme/tour.sh BUILD_DIR
#
# The blocks run as a reader runs them, from a directory where `build` is BUILD_DIR, with
# HOME a fresh scratch directory (so ~/enlace-tour and ~/.config/enlace are new):
#   run        pasted in the reader's main terminal (sourced here, so its variables last)
#   broker     the broker's own terminal: started in the background
#   sub        a second terminal: started in the background, until it prints a delivery
#   pub        a third terminal: must succeed
#   cpp        the C++ program, saved as ~/enlace-tour/tour.cpp as the README says
#   cpp-build  main terminal again: installs the SDK, builds and runs the program
# Only the ports differ from the README's: the broker binds free ones (tcp://127.0.0.1:*,
# --http 127.0.0.1:0) so that tests can run side by side, and the blocks after it use the
# ports it reports. Every wait has a bound; none is a fixed sleep.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readme="$here/../../README.md"
build=$(cd "${1:?usage: tour.sh BUILD_DIR}" && pwd)

work=$(mktemp -d /tmp/enlace-tour-test-XXXXXX)
pids=()
cleanup() {
  local status=$?
  # Each background terminal is a session of its own (setsid): end it whole.
  for pid in "${pids[@]}"; do kill -- "-$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if ((status != 0)); then
    for log in "$work"/*.log "$work"/*.err; do
      [[ -f $log ]] && { echo "--- $log"; cat "$log"; }
    done
    echo "tour: FAIL (scratch kept in $work)" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
fail() { echo "tour: FAIL: $*" >&2; exit 1; }

# Waits until the command succeeds, checking every 0.1 s, for at most $1 seconds.
wait_until() {
  local bound=$1
  shift
  local deadline=$((SECONDS + bound))
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

# The blocks, in order: $work/blocks/NN-KIND.
mkdir -p "$work/blocks"
awk -v dir="$work/blocks" '
  /^<!-- tour:[a-z-]+ -->$/ { kind = $2; sub(/^tour:/, "", kind); armed = 1; next }
  armed && !inside && /^```/ { inside = 1; n++; file = sprintf("%s/%02d-%s", dir, n, kind); next }
  inside && /^```$/ { inside = 0; armed = 0; close(file); next }
  inside { print > file }
' "$readme"
for kind in run broker sub pub cpp cpp-build; do
  compgen -G "$work/blocks/*-$kind" > /dev/null || fail "README.md has no tour:$kind block"
done

export HOME="$work/home"
mkdir -p "$HOME"
unset XDG_CONFIG_HOME ENLACE_BROKER ENLACE_BROKER_KEY ENLACE_KEYS ENLACE_CONTEXT ENLACE_BROKER_HTTP
cd "$work"
ln -s "$build" build

port="" http=""
# A block with the broker's real ports in place of the README's.
with_ports() {
  if [[ -n $port ]]; then
    sed -e "s/127\.0\.0\.1:7450/127.0.0.1:$port/g" -e "s/127\.0\.0\.1:7451/127.0.0.1:$http/g" "$1"
  else
    cat "$1"
  fi
}

for block in "$work"/blocks/*; do
  kind=${block##*/[0-9][0-9]-}
  echo "-- tour: ${block##*/}"
  case "$kind" in
    run | cpp-build)
      with_ports "$block" > "$block.sh"
      # shellcheck disable=SC1090
      source "$block.sh"
      ;;
    broker)
      sed -e 's|tcp://127\.0\.0\.1:7450|tcp://127.0.0.1:*|' \
          -e "s|--http 127\.0\.0\.1:7451|--http 127.0.0.1:0 --ready-file $work/ready|" \
          "$block" > "$block.sh"
      grep -q -- "--ready-file" "$block.sh" || fail "the broker block no longer ends with --http 127.0.0.1:7451"
      setsid bash "$block.sh" > "$work/broker.log" 2>&1 &
      pids+=($!)
      wait_until 30 test -s "$work/ready" || fail "the broker did not get ready"
      port=$(sed -n '1s/.*:\([0-9]*\)$/\1/p' "$work/ready")
      http=$(sed -n '2s/.*:\([0-9]*\)$/\1/p' "$work/ready")
      [[ -n $port && -n $http ]] || fail "cannot read the broker's ports from $work/ready"
      ;;
    sub)
      with_ports "$block" > "$block.sh"
      setsid bash "$block.sh" > "$work/sub.out" 2> "$work/sub.err" &
      pids+=($!)
      wait_until 20 grep -q "subscribed to" "$work/sub.err" || fail "the subscriber did not subscribe"
      ;;
    pub)
      with_ports "$block" > "$block.sh"
      bash "$block.sh" > "$work/pub.log" 2>&1 || fail "pub failed"
      grep -q "^ok sequence=" "$work/pub.log" || fail "pub printed no acknowledgement"
      wait_until 20 grep -q '"topic":"track.COL.radar.rx17.T0042"' "$work/sub.out" ||
        fail "the subscriber printed no delivery of the published track"
      grep -q '"origin":{"nation":"COL","system":"col-radar","role":"sensor"}' "$work/sub.out" ||
        fail "the delivery does not carry the authenticated origin"
      ;;
    cpp)
      with_ports "$block" > "$HOME/enlace-tour/tour.cpp"
      ;;
    *) fail "unknown block kind '$kind'" ;;
  esac
done

# The C++ program's track, released to Ecuador, reached the Ecuadorian command post.
wait_until 20 grep -q '"topic":"track.COL.radar.rx17.T0043"' "$work/sub.out" ||
  fail "the subscriber printed no delivery of the C++ program's track"
# The keys were written outside the working tree, and the secret ones private.
for key in "$HOME"/enlace-tour/*.key; do
  [[ $(stat -c %a "$key") == 600 ]] || fail "$key has mode $(stat -c %a "$key")"
done
echo "tour: OK"
