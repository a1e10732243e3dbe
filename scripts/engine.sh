# Unicorn engine provisioning, sourced by scripts/lib.sh.
# shellcheck shell=bash
#
# Debian bookworm ships Unicorn 2.0.1, whose every guest store takes a slow helper path
# (~85-115 ns; docs/PERFORMANCE.md). Unicorn 2.1 has a virtual-TLB mode that the project's MMU
# uses to give stores QEMU's speed (~2 ns). Debian unstable packages 2.1.4 as libunicorn2t64,
# which needs only libc6 >= 2.34 and so loads on bookworm. ensure_engine fetches that package
# with a private apt configuration (its own sources list, lists and cache folders: the system's
# apt configuration and package database are not touched), which checks the archive's signature
# against the system's Debian keyring and the package's checksum, unpacks the library into a
# per-user cache, and records where it came from in ORIGIN. The Java side (UnicornLibrary)
# loads $REWIND_ENGINE_CACHE/current/libunicorn.so.2 when it is there.
#
#   REWIND_UNICORN_LIBRARY=FILE   use FILE, provision nothing (libunicorn.so.2: the system's)
#   REWIND_ENGINE=system          use the system's Unicorn, provision nothing
#   REWIND_ENGINE_CACHE=DIR       cache folder (default ${XDG_CACHE_HOME:-~/.cache}/rewind/engine)
#   REWIND_ENGINE_SUITE=NAME      Debian suite to fetch from (default: unstable)
#
# Offline or failing, it prints one notice and the system's 2.0.1 is used (it works, slower).

REWIND_ENGINE_PKG=libunicorn2t64
REWIND_ENGINE_MIN_VERSION=2.1.4
REWIND_ENGINE_CACHE=${REWIND_ENGINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rewind/engine}
REWIND_ENGINE_SUITE=${REWIND_ENGINE_SUITE:-unstable}
REWIND_ENGINE_KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
export REWIND_ENGINE_CACHE

# engine_ready: true if a provisioned engine is in the cache.
engine_ready() {
  [ -f "$REWIND_ENGINE_CACHE/current/libunicorn.so.2" ] && [ -f "$REWIND_ENGINE_CACHE/current/ORIGIN" ]
}

# ensure_engine: make sure the default engine is provisioned (see above). Never fails the caller.
ensure_engine() {
  if [ -n "${REWIND_UNICORN_LIBRARY:-}" ] || [ "${REWIND_ENGINE:-}" = system ] || engine_ready; then
    return 0
  fi
  # A failed fetch is tried again after a day (or at once after deleting the file), not at
  # every command: meanwhile the Java side's one-line notice says what the fallback costs.
  local failed="$REWIND_ENGINE_CACHE/fetch.failed"
  if [ -f "$failed" ] && [ -n "$(find "$failed" -mmin -1440 2>/dev/null)" ]; then
    return 0
  fi
  say "fetching Unicorn >= $REWIND_ENGINE_MIN_VERSION ($REWIND_ENGINE_PKG from Debian $REWIND_ENGINE_SUITE) into $REWIND_ENGINE_CACHE ..."
  local err
  if ! err=$(fetch_engine 2>&1); then
    say "could not fetch Unicorn 2.1 (${err##*$'\n'}); using the system's 2.0.1 (tried again in a day, or at once after: rm $failed)"
    mkdir -p "$REWIND_ENGINE_CACHE" 2>/dev/null && printf '%s\n' "$err" > "$failed" 2>/dev/null
    return 0
  fi
  rm -f "$failed"
  say "Unicorn engine: $(head -n 1 "$REWIND_ENGINE_CACHE/current/ORIGIN")"
}

# fetch_engine: download, verify and unpack the package into the cache. Prints why on failure.
fetch_engine() {
  local work apt_opts deb version dir
  command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || { echo "apt-get and dpkg-deb are needed"; return 1; }
  [ -r "$REWIND_ENGINE_KEYRING" ] || { echo "no Debian archive keyring at $REWIND_ENGINE_KEYRING (apt-get install debian-archive-keyring)"; return 1; }
  mkdir -p "$REWIND_ENGINE_CACHE" || return 1
  work=$(mktemp -d "$REWIND_ENGINE_CACHE/fetch.XXXXXX") || return 1
  # shellcheck disable=SC2064
  trap "rm -rf '$work'" RETURN
  mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/prefs" "$work/debs"
  echo "deb [signed-by=$REWIND_ENGINE_KEYRING] http://deb.debian.org/debian $REWIND_ENGINE_SUITE main" >"$work/sources.list"
  apt_opts=(-q -o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o Dir::Etc::Preferences=/dev/null
    -o "Dir::Etc::PreferencesParts=$work/prefs" -o APT::Get::List-Cleanup=0 -o Acquire::Languages=none
    -o Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled=false -o Acquire::http::Timeout=30
    -o Acquire::Retries=2 -o Debug::NoLocking=1)
  [ "$(id -u)" -eq 0 ] && apt_opts+=(-o APT::Sandbox::User=root)
  apt-get "${apt_opts[@]}" update </dev/null >"$work/update.log" 2>&1 || { tail -n 3 "$work/update.log"; return 1; }
  # apt-get update fails only on a hard error; a bad signature leaves the list out, so check it.
  if grep -qE "^(W|E): .*(NO_PUBKEY|not signed|signature|Release file)" "$work/update.log"; then
    grep -E "^(W|E):" "$work/update.log" | head -n 3
    return 1
  fi
  # apt-get download checks the .deb against the checksum in the signed index.
  (cd "$work/debs" && apt-get "${apt_opts[@]}" download "$REWIND_ENGINE_PKG") </dev/null >"$work/download.log" 2>&1 \
    || { tail -n 3 "$work/download.log"; return 1; }
  deb=$(ls "$work/debs/"*.deb 2>/dev/null | head -n 1)
  [ -n "$deb" ] || { echo "apt-get download produced no package"; return 1; }
  version=$(dpkg-deb -f "$deb" Version)
  if ! dpkg --compare-versions "$version" ge "$REWIND_ENGINE_MIN_VERSION"; then
    echo "Debian $REWIND_ENGINE_SUITE has $REWIND_ENGINE_PKG $version, older than $REWIND_ENGINE_MIN_VERSION"
    return 1
  fi
  dpkg-deb -x "$deb" "$work/x" || { echo "cannot unpack $deb"; return 1; }
  local lib
  lib=$(find "$work/x" -name 'libunicorn.so.2*' -type f | head -n 1)
  [ -n "$lib" ] || { echo "no libunicorn.so.2 in $deb"; return 1; }
  dir="$REWIND_ENGINE_CACHE/unicorn-$version"
  rm -rf "$dir" && mkdir -p "$dir" || return 1
  cp "$lib" "$dir/libunicorn.so.2" || return 1
  {
    echo "Debian $REWIND_ENGINE_SUITE $REWIND_ENGINE_PKG $version"
    echo "package-sha256 $(sha256sum "$deb" | cut -d' ' -f1)"
    echo "library-sha256 $(sha256sum "$dir/libunicorn.so.2" | cut -d' ' -f1)"
    echo "fetched $(date -u +%Y-%m-%dT%H:%M:%SZ) from http://deb.debian.org/debian, signature checked against $REWIND_ENGINE_KEYRING"
  } >"$dir/ORIGIN"
  ln -sfn "unicorn-$version" "$REWIND_ENGINE_CACHE/current.new" && mv -Tf "$REWIND_ENGINE_CACHE/current.new" "$REWIND_ENGINE_CACHE/current"
}
