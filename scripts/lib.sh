# Shared by ./rewind and scripts/test: install what is missing, build what is stale.
# shellcheck shell=bash

REWIND_ROOT=${REWIND_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}

# Debian packages the project needs at run time (boot) and for building guests.
REWIND_RUNTIME_PKGS="libunicorn2 gcc libc6-dev make gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf"
# Extra packages the test suite needs.
REWIND_TEST_PKGS="gdb-multiarch"

say() { printf 'rewind: %s\n' "$*" >&2; }

# ensure_packages PKG...: install missing Debian packages (as root), or print the command and fail.
ensure_packages() {
  local missing=() p
  for p in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -eq 0 ]; then
    say "installing missing system packages: ${missing[*]}"
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } >&2; then
      say "apt-get failed; install by hand: apt-get install -y ${missing[*]}"
      return 1
    fi
  else
    say "missing system packages: ${missing[*]}"
    say "install them with:  sudo apt-get install -y ${missing[*]}"
    return 1
  fi
}

ensure_tools() {
  local t
  for t in java mvn; do
    if ! command -v "$t" >/dev/null 2>&1; then
      say "'$t' not found: Rewind needs a JDK 17 and Maven on PATH (apt-get install -y openjdk-17-jdk-headless maven)"
      return 1
    fi
  done
}

REWIND_JAR="$REWIND_ROOT/tools/target/rewind.jar"

# ensure_built: (re)build the CLI jar if it is missing or any source is newer than it.
ensure_built() {
  if [ -f "$REWIND_JAR" ] && [ -z "$(find "$REWIND_ROOT/pom.xml" "$REWIND_ROOT/hw" "$REWIND_ROOT/kernel" \
        "$REWIND_ROOT/tools" "$REWIND_ROOT/guest" -newer "$REWIND_JAR" -type f \
        -not -path '*/target/*' -not -path '*/build/*' -print -quit 2>/dev/null)" ]; then
    return 0
  fi
  say "building (mvn package, tests skipped; first build downloads dependencies)..."
  if ! (cd "$REWIND_ROOT" && mvn -q -B -DskipTests install) >&2; then
    say "build failed"
    return 1
  fi
}

# shellcheck source=engine.sh
. "$REWIND_ROOT/scripts/engine.sh"
