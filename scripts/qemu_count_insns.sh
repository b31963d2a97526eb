#!/usr/bin/env bash
# Count the guest instructions a static hppa binary executes, by qemu-hppa itself.
#   scripts/qemu_count_insns.sh BINARY [ARGS...]
# Prints "<count> <binary> <args> (exit N) gateway=G" on stdout, G being the entries into
# the gateway page (syscalls, LWS, set %cr27); the guest's own stdout is discarded.
#
# Both ways run qemu one instruction per block (-singlestep, -one-insn-per-tb since qemu
# 8.1), so every instruction is counted, nullified ones included (a nullified delay slot
# of a taken branch is never translated in qemu's normal mode):
#  - default: read the exec trace (-d exec,nochain), ~0.5 M insns/s, needs nothing else;
#  - QEMU_INSN_PLUGIN=PATH (bench/qemu/insn_count.c built by `make bench`; qemu with
#    plugin support, i.e. not a static build): a TCG plugin counts inline, ~30 M insns/s,
#    same counts.  The variable itself is
#    kept out of the guest environment (glibc start-up reads it: the count would move).
# QEMU_HPPA selects the qemu binary (default: qemu-hppa on PATH).
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 BINARY [ARGS...]" >&2; exit 2; }
qemu="${QEMU_HPPA:-qemu-hppa}"
one_insn=-singlestep
"$qemu" -h 2>/dev/null | grep -q -- '^-one-insn-per-tb' && one_insn=-one-insn-per-tb
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
if [ -n "${QEMU_INSN_PLUGIN:-}" ]; then
    set +e
    "$qemu" "$one_insn" -U QEMU_INSN_PLUGIN -plugin "$QEMU_INSN_PLUGIN,outfile=$tmp/counts" "$@" > /dev/null < /dev/null
    rc=$?
    set -e
    insns="$(awk '$1 == "insns" { print $2 }' "$tmp/counts")"
    gateway="$(awk '$1 == "gateway" { print $2 }' "$tmp/counts")"
    echo "$insns $* (exit $rc) gateway=$gateway"
    exit 0
fi
mkfifo "$tmp/log"
# "Trace 0: HOST [IAOQ_BACK/IAOQ_FRONT/...] SYMBOL": the front is the instruction's address.
awk -F'[][/]' '/^Trace/ { n++; a = $3; if (a ~ /^0+(b[0-3]|e[0-3]|10[0-3])$/) g++ }
               END { print n + 0, g + 0 }' < "$tmp/log" > "$tmp/count" &
counter=$!
set +e
"$qemu" "$one_insn" -d exec,nochain -D "$tmp/log" "$@" > /dev/null < /dev/null
rc=$?
set -e
wait "$counter" || true
read -r insns gateway < "$tmp/count"
echo "$insns $* (exit $rc) gateway=$gateway"
