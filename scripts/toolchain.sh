#!/usr/bin/env bash
# Install the hppa cross toolchain used by hppa-user's tests and tools, idempotently.
#
#  1. Debian 12 packages: cross gcc/binutils, glibc 2.36 hppa headers+libs, qemu-user
#     (qemu-hppa is the reference oracle in tests), csmith, gdb-multiarch (tests/test_gdb.py).
#     Checked with `dpkg -s`; `apt-get update` runs only when something is missing.
#  2. A glibc 2.41 hppa sysroot under sysroot/glibc-2.41/, extracted from Debian 13
#     ("trixie") cross packages.  They are fetched with `apt-get download` against a
#     PRIVATE sources list and private state/cache directories (under sysroot/.apt/), so
#     the system apt configuration is never touched.  The mirror URI is the one the
#     system's own apt sources use for the Debian main archive, read at run time from
#     `apt-get --print-uris update`.
#  3. qemu-hppa 10 (sysroot/qemu-10/qemu-hppa), the second oracle of `hppa-user bench`: the
#     one binary taken from Debian 13's qemu-user package (static binaries there), fetched
#     the same way.  Optional: a failure here is a warning.
#  4. On request only (`make bench`, bench/workloads.py): one pinned Debian source package,
#     `--source NAME=VERSION DIR`, fetched with `apt-get source --download-only` against a
#     private deb-src list (the system's mirror and release) and private state under
#     DIR/.apt, into DIR (.dsc, tarballs).  Nothing is installed or unpacked.
#
# Usage: scripts/toolchain.sh [--debs-only|--sysroot-only|--qemu10-only|--source NAME=VERSION DIR]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SYSROOT_BASE="$ROOT/sysroot"
SYSROOT="$SYSROOT_BASE/glibc-2.41"
APTDIR="$SYSROOT_BASE/.apt"
TRIXIE_SUITE="${HPPA_TRIXIE_SUITE:-trixie}"
# libc6-hppa-cross is the 2.41 run-time tree (ld.so.1, libc.so.6, ...): dynamic programs built
# for 2.41 run with sysroot/glibc-2.41/usr/hppa-linux-gnu as their root (qemu-user's -L).
# libgcc-s4 and libstdc++6 complete it for C++ programs (exceptions unwind through libgcc_s).
TRIXIE_PKGS=(libc6-dev-hppa-cross libc6-hppa-cross linux-libc-dev-hppa-cross libgcc-s4-hppa-cross
             libstdc++6-hppa-cross)
DEB_PKGS=(gcc-hppa-linux-gnu g++-hppa-linux-gnu binutils-hppa-linux-gnu libc6-dev-hppa-cross
          libc6-hppa-cross qemu-user csmith libcsmith-dev gdb-multiarch
          dpkg-dev gcc)   # dpkg-dev, gcc: `make bench` unpacks Debian sources, builds a qemu plugin
# Where the Debian keyring lives on Debian 12 (it carries the trixie archive keys too).
KEYRING="${HPPA_TRIXIE_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}"

log() { printf 'toolchain: %s\n' "$*" >&2; }
die() { printf 'toolchain: error: %s\n' "$*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@";
    elif command -v sudo >/dev/null 2>&1; then sudo "$@";
    else die "need root (or sudo) to run: $*"; fi
}

install_debs() {
    local missing=() p
    for p in "${DEB_PKGS[@]}"; do
        if ! dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed'; then
            missing+=("$p")
        fi
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        log "Debian packages present: ${DEB_PKGS[*]}"
        return 0
    fi
    log "installing missing Debian packages: ${missing[*]}"
    # APT::Sandbox::User=root (a command-line option; the system configuration is not
    # changed): on some hosts apt's signature check fails when run as the sandbox user
    # `_apt` ("gpgv ... required for verification, but neither seems installed"), which
    # silently leaves stale package lists behind.
    as_root env DEBIAN_FRONTEND=noninteractive apt-get -o APT::Sandbox::User=root update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get -o APT::Sandbox::User=root \
        install -y -q --no-install-recommends "${missing[@]}"
}

# The Debian main-archive URI the system's apt sources use (both one-line and deb822
# formats are handled by apt itself; this only reads what apt would fetch).
system_mirror() {
    local codename uris uri
    codename="$(. /etc/os-release && printf '%s' "${VERSION_CODENAME:-}")"
    mkdir -p "$APTDIR/probe-lists/partial"
    uris="$(apt-get -o Dir::State::lists="$APTDIR/probe-lists" --print-uris update 2>/dev/null \
            | sed -n "s/^'\([^']*\)\/dists\/\([^'/]*\)\/InRelease'.*/\1 \2/p")"
    # Prefer the entry for the release codename itself (not -updates/-security), then
    # "stable"/"oldstable", then anything that looks like a Debian archive.
    for want in "$codename" stable oldstable; do
        [ -n "$want" ] || continue
        uri="$(printf '%s\n' "$uris" | awk -v s="$want" '$2 == s { print $1; exit }')"
        if [ -n "$uri" ]; then printf '%s\n' "$uri"; return 0; fi
    done
    uri="$(printf '%s\n' "$uris" | awk '$2 !~ /-(security|updates|backports)$/ && $1 !~ /security/ { print $1; exit }')"
    [ -n "$uri" ] || die "could not find a Debian archive URI in the system apt sources"
    printf '%s\n' "$uri"
}

private_apt() {
    apt-get -q \
        -o Dir::Etc::SourceList="$APTDIR/sources.list" \
        -o Dir::Etc::SourceParts="$APTDIR/sources.list.d" \
        -o Dir::Etc::Preferences="$APTDIR/preferences" \
        -o Dir::Etc::PreferencesParts="$APTDIR/preferences.d" \
        -o Dir::State="$APTDIR/state" \
        -o Dir::State::status="$APTDIR/state/status" \
        -o Dir::Cache="$APTDIR/cache" \
        -o APT::Architecture="amd64" \
        -o APT::Architectures="amd64" \
        -o Acquire::Languages=none \
        -o Acquire::PDiffs=false \
        -o Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled=false \
        -o APT::Sandbox::User=root \
        "$@"
}

build_sysroot() {
    local stamp="$SYSROOT/.hppa-user-sysroot" complete=1 p
    for p in "${TRIXIE_PKGS[@]}"; do
        grep -q "^$p=" "$stamp" 2>/dev/null || complete=0
    done
    if [ "$complete" = 1 ] && [ -e "$SYSROOT/usr/hppa-linux-gnu/lib/libc.a" ]; then
        log "glibc 2.41 sysroot present: $SYSROOT ($(tr '\n' ' ' < "$stamp"))"
        return 0
    fi
    command -v apt-get >/dev/null || die "apt-get not found (Debian host required)"
    command -v dpkg-deb >/dev/null || die "dpkg-deb not found (Debian host required)"
    local mirror
    mirror="$(system_mirror)"
    log "building glibc 2.41 sysroot from Debian '$TRIXIE_SUITE' cross packages (mirror from system apt sources)"

    rm -rf "$APTDIR/state" "$APTDIR/debs"
    mkdir -p "$APTDIR/sources.list.d" "$APTDIR/preferences.d" \
             "$APTDIR/state/lists/partial" "$APTDIR/cache/archives/partial" "$APTDIR/debs"
    : > "$APTDIR/state/status"
    : > "$APTDIR/preferences"
    printf 'deb [signed-by=%s] %s %s main\n' "$KEYRING" "$mirror" "$TRIXIE_SUITE" > "$APTDIR/sources.list"

    private_apt update
    (cd "$APTDIR/debs" && private_apt download "${TRIXIE_PKGS[@]}")

    local ver deb
    ver="$(dpkg-deb -f "$APTDIR"/debs/libc6-dev-hppa-cross_*.deb Version)"
    case "$ver" in
        2.41*) ;;
        *) die "Debian '$TRIXIE_SUITE' ships libc6-dev-hppa-cross $ver, expected glibc 2.41";;
    esac

    local tmp="$SYSROOT.tmp"
    rm -rf "$tmp"
    mkdir -p "$tmp"
    for deb in "$APTDIR"/debs/*.deb; do
        dpkg-deb -x "$deb" "$tmp"
    done
    [ -e "$tmp/usr/hppa-linux-gnu/lib/libc.a" ] || die "extracted sysroot lacks usr/hppa-linux-gnu/lib/libc.a"
    for deb in "$APTDIR"/debs/*.deb; do
        printf '%s=%s\n' "$(dpkg-deb -f "$deb" Package)" "$(dpkg-deb -f "$deb" Version)"
    done > "$tmp/.hppa-user-sysroot"
    rm -rf "$SYSROOT"
    mv "$tmp" "$SYSROOT"
    rm -rf "$APTDIR/debs" "$APTDIR/cache"
    log "glibc 2.41 sysroot ready: $SYSROOT ($(tr '\n' ' ' < "$SYSROOT/.hppa-user-sysroot"))"
}

fetch_qemu10() {
    local dest="$SYSROOT_BASE/qemu-10" stamp mirror deb
    stamp="$dest/.hppa-user-qemu"
    if [ -f "$stamp" ] && [ -x "$dest/qemu-hppa" ]; then
        log "qemu-hppa 10 present: $dest/qemu-hppa ($(cat "$stamp"))"
        return 0
    fi
    mirror="$(system_mirror)"
    APTDIR="$SYSROOT_BASE/.apt-qemu"
    rm -rf "$APTDIR"
    mkdir -p "$APTDIR/sources.list.d" "$APTDIR/preferences.d" \
             "$APTDIR/state/lists/partial" "$APTDIR/cache/archives/partial" "$APTDIR/debs"
    : > "$APTDIR/state/status"
    : > "$APTDIR/preferences"
    printf 'deb [signed-by=%s] %s %s main\n' "$KEYRING" "$mirror" "$TRIXIE_SUITE" > "$APTDIR/sources.list"
    log "fetching qemu-hppa from Debian '$TRIXIE_SUITE' qemu-user"
    private_apt update >&2 && (cd "$APTDIR/debs" && private_apt download qemu-user >&2) || return 1
    deb="$(ls "$APTDIR"/debs/qemu-user_*.deb)"
    rm -rf "$dest.tmp" && mkdir -p "$dest.tmp"
    dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dest.tmp" ./usr/bin/qemu-hppa || return 1
    mv "$dest.tmp/usr/bin/qemu-hppa" "$dest.tmp/qemu-hppa" && rm -rf "$dest.tmp/usr"
    "$dest.tmp/qemu-hppa" --version >/dev/null || return 1
    printf 'qemu-user=%s\n' "$(dpkg-deb -f "$deb" Version)" > "$dest.tmp/.hppa-user-qemu"
    rm -rf "$dest" && mv "$dest.tmp" "$dest"
    rm -rf "$APTDIR"
    log "qemu-hppa 10 ready: $dest/qemu-hppa ($(cat "$stamp"))"
}

# Download one pinned source package (apt checks the .dsc and tarballs against the signed
# Sources index).  The version must still be in the release's main suite.
fetch_source() {
    local spec="$1" dest="$2" codename mirror
    case "$spec" in *=?*) ;; *) die "--source expects NAME=VERSION, got '$spec'";; esac
    codename="$(. /etc/os-release && printf '%s' "${VERSION_CODENAME:-}")"
    [ -n "$codename" ] || die "cannot tell the Debian release from /etc/os-release"
    mkdir -p "$dest"
    dest="$(cd "$dest" && pwd)"
    APTDIR="$dest/.apt"
    mirror="$(system_mirror)"
    rm -rf "$APTDIR/state"
    mkdir -p "$APTDIR/sources.list.d" "$APTDIR/preferences.d" \
             "$APTDIR/state/lists/partial" "$APTDIR/cache/archives/partial"
    : > "$APTDIR/state/status"
    : > "$APTDIR/preferences"
    printf 'deb-src [signed-by=%s] %s %s main\n' "$KEYRING" "$mirror" "$codename" > "$APTDIR/sources.list"
    log "fetching source package $spec (Debian '$codename')"
    private_apt update >&2
    (cd "$dest" && private_apt source --download-only "$spec" >&2) \
        || die "source package $spec is not in Debian '$codename' main (was the pin superseded?)"
    rm -rf "$APTDIR"
}

case "${1:-}" in
    --source) [ $# -eq 3 ] || die "usage: $0 --source NAME=VERSION DIR"; fetch_source "$2" "$3" ;;
    --debs-only) install_debs ;;
    --sysroot-only) build_sysroot ;;
    --qemu10-only) fetch_qemu10 ;;
    "") install_debs; build_sysroot
        fetch_qemu10 || log "warning: qemu-hppa 10 not available (hppa-user bench runs without it)" ;;
    *) die "usage: $0 [--debs-only|--sysroot-only|--qemu10-only|--source NAME=VERSION DIR]" ;;
esac
