#!/usr/bin/env bash
# Count the guest instructions a static hppa binary executes, using qemu-hppa's
# one-instruction-per-block exec trace (slow: ~0.5 M insns/s, for sizing test programs).
#   scripts/qemu_count_insns.sh BINARY [ARGS...]
# Prints "<count> <binary> <args>" on stdout; the guest's own stdout is discarded.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 BINARY [ARGS...]" >&2; exit 2; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkfifo "$tmp/log"
grep -c '^Trace' < "$tmp/log" > "$tmp/count" &
counter=$!
set +e
qemu-hppa -singlestep -d exec,nochain -D "$tmp/log" "$@" > /dev/null < /dev/null
rc=$?
set -e
wait "$counter" || true
echo "$(cat "$tmp/count") $* (exit $rc)"
