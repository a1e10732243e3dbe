#!/bin/sh
# Fetches lwIP's source from Debian (source package `lwip`) into a per-user cache, once:
#   fetch-lwip.sh VERSION          prints the folder that holds the unpacked tree (src/core, ...)
# The download uses a private apt configuration (its own sources list with a deb-src line
# signed-by the Debian archive keyring, its own lists and cache folders: the system's apt
# configuration is not touched). apt checks the Sources index's signature and every file's
# checksum against it; dpkg-source checks them again against the .dsc and applies Debian's
# patches. The tree is unpacked into ${XDG_CACHE_HOME:-~/.cache}/rewind/lwip-VERSION (or
# $REWIND_LWIP_CACHE/lwip-VERSION) and reused afterwards; ORIGIN there says where it came from.
#   REWIND_LWIP_DIR=DIR     use an lwIP tree already on disk (DIR/src/core/tcp.c), fetch nothing
#   REWIND_LWIP_SUITE=NAME  Debian suite to fetch from (default: bookworm)
set -eu
version=${1:?usage: fetch-lwip.sh VERSION}
if [ -n "${REWIND_LWIP_DIR:-}" ]; then
  [ -f "$REWIND_LWIP_DIR/src/core/tcp.c" ] || { echo "fetch-lwip.sh: REWIND_LWIP_DIR=$REWIND_LWIP_DIR has no src/core/tcp.c" >&2; exit 1; }
  echo "$REWIND_LWIP_DIR"
  exit 0
fi
cache=${REWIND_LWIP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rewind}
dir=$cache/lwip-$version
if [ -f "$dir/ORIGIN" ] && [ -f "$dir/src/core/tcp.c" ]; then
  echo "$dir"
  exit 0
fi
suite=${REWIND_LWIP_SUITE:-bookworm}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
fail() { echo "fetch-lwip.sh: cannot fetch lwIP $version (Debian $suite source package lwip): $*" >&2; exit 1; }
command -v apt-get >/dev/null && command -v dpkg-source >/dev/null || fail "apt-get and dpkg-source are needed (apt-get install dpkg-dev)"
[ -r "$keyring" ] || fail "no Debian archive keyring at $keyring (apt-get install debian-archive-keyring)"
mkdir -p "$cache" || fail "cannot create $cache"
work=$(mktemp -d "$cache/lwip-fetch.XXXXXX") || fail "cannot create a folder in $cache"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/prefs" "$work/src"
echo "deb-src [signed-by=$keyring] http://deb.debian.org/debian $suite main" >"$work/sources.list"
set -- -q -o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null \
  -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o Dir::Etc::Preferences=/dev/null \
  -o "Dir::Etc::PreferencesParts=$work/prefs" -o APT::Get::List-Cleanup=0 -o Acquire::Languages=none \
  -o Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled=false -o Acquire::http::Timeout=30 \
  -o Acquire::Retries=2 -o Debug::NoLocking=1
[ "$(id -u)" -eq 0 ] && set -- "$@" -o APT::Sandbox::User=root
apt-get "$@" update >"$work/update.log" 2>&1 || fail "apt-get update: $(tail -n 2 "$work/update.log" | tr '\n' ' ')"
# apt-get update fails only on hard errors; a bad signature leaves the index out: check it.
if grep -qE "^(W|E): .*(NO_PUBKEY|not signed|signature|Release file)" "$work/update.log"; then
  fail "signature check: $(grep -E '^(W|E):' "$work/update.log" | head -n 2 | tr '\n' ' ')"
fi
# apt-get source checks each file against the checksum in the signed Sources index.
(cd "$work/src" && apt-get "$@" source --download-only "lwip=$version") >"$work/source.log" 2>&1 \
  || fail "apt-get source lwip=$version: $(tail -n 2 "$work/source.log" | tr '\n' ' ')"
dsc=$(ls "$work/src/"*.dsc 2>/dev/null | head -n 1)
[ -n "$dsc" ] || fail "apt-get source produced no .dsc"
(cd "$work/src" && dpkg-source -x "$dsc" tree) >"$work/unpack.log" 2>&1 \
  || fail "dpkg-source -x: $(tail -n 2 "$work/unpack.log" | tr '\n' ' ')"
[ -f "$work/src/tree/src/core/tcp.c" ] || fail "the unpacked source has no src/core/tcp.c"
{
  echo "Debian $suite source package lwip $version"
  for f in "$work/src/"*.dsc "$work/src/"*.tar.*; do echo "sha256 $(sha256sum "$f" | cut -d' ' -f1) $(basename "$f")"; done
  echo "fetched $(date -u +%Y-%m-%dT%H:%M:%SZ) from http://deb.debian.org/debian; Sources index signature checked against $keyring, files against its checksums; Debian patches applied by dpkg-source"
} >"$work/src/tree/ORIGIN"
rm -rf "$dir"
mv "$work/src/tree" "$dir" || fail "cannot move the tree to $dir"
echo "$dir"
