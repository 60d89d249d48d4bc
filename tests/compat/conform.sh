#!/usr/bin/env bash
# Holds the current schemas to a released version's: every change must be a FlatBuffers
# evolution (docs/protocol.md section 10), which `flatc --conform` checks.
#
#   conform.sh [--flatc FLATC] RELEASED_DIR CURRENT_DIR [SCHEMA.fbs...]
#   conform.sh [--flatc FLATC] --self-test RELEASED_DIR
#
# Each SCHEMA (default: every .fbs of RELEASED_DIR) is checked
#   forward:  CURRENT_DIR/SCHEMA conforms to RELEASED_DIR/SCHEMA, and
#   reverse:  RELEASED_DIR/SCHEMA conforms to CURRENT_DIR/SCHEMA.
# An append-only change passes both. flatc 2.0.8 rejects the same changes either way but
# words them differently: a field inserted in the middle is "field renamed to different
# type: <inserted>" forward and "offsets differ for field: <the one that moved>" reverse.
# Each schema's includes are resolved in its own folder (--conform-includes for the base).
#
# flatc does not look at file_identifier and root_type; changing either makes every
# released peer refuse the frames (wrong_identifier), so they are compared here too.
# What flatc cannot see at all (a field appended to a struct, a new `required`, a union
# member given another table) is caught by reading the released fixtures
# (test_v1_fixtures.cpp); see tests/compat/README.md.
#
# --self-test proves the check can fail: on scratch copies of RELEASED_DIR it makes
# deliberate breaks (a retyped field, reordered union members, another file identifier),
# which must be refused, and an append-only change, which must pass.
#
# Exit status: 0 all conform, 1 a schema does not conform (or the self-test failed),
# 2 usage error.
set -uo pipefail

flatc=flatc
self_test=0
usage() { sed -n '5,6s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }

while (($#)); do
  case "$1" in
    --flatc)
      [[ $# -ge 2 ]] || { echo "conform: --flatc needs a path" >&2; exit 2; }
      flatc=$2
      shift
      ;;
    --self-test) self_test=1 ;;
    -h | --help) usage; exit 0 ;;
    -*) echo "conform: unknown option '$1'" >&2; usage >&2; exit 2 ;;
    *) break ;;
  esac
  shift
done

# The file_identifier and root_type declarations of a schema, one per line.
declarations() {
  grep -E '^[[:space:]]*(file_identifier|root_type)[[:space:]]' "$1" | tr -s '[:blank:]' ' '
}

# check_one RELEASED_DIR CURRENT_DIR NAME: prints what it runs and flatc's verdict.
check_one() {
  local released=$1 current=$2 name=$3 status=0 output
  if [[ ! -f "$released/$name" ]]; then
    echo "FAIL $name: no such schema in $released"
    return 1
  fi
  if [[ ! -f "$current/$name" ]]; then
    echo "FAIL $name: released in $released but missing from $current (removing a schema is a break)"
    return 1
  fi
  if output=$("$flatc" --conform "$released/$name" --conform-includes "$released" \
                -I "$current" "$current/$name" 2>&1); then
    echo "ok   $name: $current/$name conforms to $released/$name"
  else
    echo "FAIL $name: $current/$name does not conform to $released/$name:"
    echo "$output" | sed '/^[[:space:]]*$/d; /^flatc:[[:space:]]*$/d; s/^/       /'
    status=1
  fi
  if output=$("$flatc" --conform "$current/$name" --conform-includes "$current" \
                -I "$released" "$released/$name" 2>&1); then
    echo "ok   $name: $released/$name conforms to $current/$name"
  else
    echo "FAIL $name: $released/$name does not conform to $current/$name:"
    echo "$output" | sed '/^[[:space:]]*$/d; /^flatc:[[:space:]]*$/d; s/^/       /'
    status=1
  fi
  if [[ "$(declarations "$released/$name")" != "$(declarations "$current/$name")" ]]; then
    echo "FAIL $name: file_identifier or root_type changed:"
    diff <(declarations "$released/$name") <(declarations "$current/$name") | sed 's/^/       /'
    status=1
  fi
  return $status
}

check_all() {
  local released=$1 current=$2 status=0 name
  shift 2
  local names=("$@")
  if ((${#names[@]} == 0)); then
    for path in "$released"/*.fbs; do names+=("$(basename "$path")"); done
  fi
  for name in "${names[@]}"; do
    check_one "$released" "$current" "$name" || status=1
  done
  return $status
}

# expect VERDICT DESCRIPTION FILE SED-EXPRESSION: applies the edit to a fresh copy of the
# released schemas and checks that the comparison ends as VERDICT (pass or fail).
expect() {
  local verdict=$1 what=$2 file=$3 expression=$4 status
  rm -rf "$scratch/current"
  cp -R "$released" "$scratch/current"
  sed -i "$expression" "$scratch/current/$file"
  if cmp -s "$released/$file" "$scratch/current/$file"; then
    echo "self-test: the edit for '$what' changed nothing in $file (out of date?)"
    return 1
  fi
  echo "--- self-test: $what (expect $verdict)"
  diff -U1 "$released/$file" "$scratch/current/$file" | tail -n +3
  check_all "$released" "$scratch/current" "$file"
  status=$?
  if [[ $verdict == pass && $status -ne 0 ]] || [[ $verdict == fail && $status -eq 0 ]]; then
    echo "self-test: '$what' should $verdict and did not"
    return 1
  fi
}

if ((self_test)); then
  (($# == 1)) || { usage >&2; exit 2; }
  released=${1%/}
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
  status=0
  expect fail "Track.observed_ns retyped int64 -> int32" payloads.fbs \
    '0,/observed_ns: int64;/s//observed_ns: int32;/' || status=1
  expect fail "union Payload: PositionReport moved before Track" payloads.fbs \
    '/^union Payload {/,/^}/{s/^  Track,$/  PositionReport,/;t;s/^  PositionReport,$/  Track,/}' ||
    status=1
  expect fail "Envelope's file_identifier ENV1 -> ENV2" envelope.fbs \
    's/file_identifier "ENV1"/file_identifier "ENV2"/' || status=1
  expect pass "a field appended to Track" payloads.fbs \
    's|^  external_id: string; .*|&\n  appended_for_test: string;|' || status=1
  expect pass "a member appended to union Payload" payloads.fbs \
    's/^  Opaque$/  Opaque,\n  AppendedForTest: Text/' || status=1
  ((status == 0)) && echo "self-test: every deliberate break was refused, every append passed"
  exit $status
fi

(($# >= 2)) || { usage >&2; exit 2; }
check_all "${1%/}" "${2%/}" "${@:3}"
