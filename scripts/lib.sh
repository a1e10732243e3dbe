# Shared by ./rewind and scripts/test: install what is missing, build what is stale.
# shellcheck shell=bash

_lib_dir=${BASH_SOURCE[0]%/*}
[ "$_lib_dir" = "${BASH_SOURCE[0]}" ] && _lib_dir=.
REWIND_ROOT=${REWIND_ROOT:-$(cd "$_lib_dir/.." && pwd)}

# Debian packages the CLI needs to run a built jar: libslirp0 (user-mode networking for net
# devices, docs/DEVICES.md) and the system's Unicorn (the fallback engine,
# and the one scripts/test's smoke subset uses).
REWIND_RUNTIME_PKGS="libunicorn2 libslirp0"
# Packages for building: the native hooks (gcc) and the guests (the RISC-V and AArch64 cross
# compilers and picolibc for each). Checked only when something is to be built, so './rewind --help' with a built jar
# does not ask for a cross compiler.
REWIND_BUILD_PKGS="gcc libc6-dev make gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf gcc-aarch64-linux-gnu picolibc-aarch64-linux-gnu"
# Extra packages the test suite needs.
REWIND_TEST_PKGS="gdb-multiarch clang-format chromium slurm-wlm munge"

say() { printf 'rewind: %s\n' "$*" >&2; }

# Launcher stamps (not committed; under target/, so 'mvn clean' clears them).
REWIND_STAMPS="$REWIND_ROOT/target/launcher"
# dpkg rewrites this file whenever a package is installed or removed.
REWIND_DPKG_STATUS=${REWIND_DPKG_STATUS:-/var/lib/dpkg/status}

# ensure_packages PKG...: install missing Debian packages (as root), or print the command and fail.
# Packages found installed are recorded in a stamp; while no package has been installed or removed
# since (the stamp is newer than dpkg's status file), a call for recorded packages runs no process.
ensure_packages() {
  local stamp="$REWIND_STAMPS/packages" verified="" missing=() p line
  if [ -f "$stamp" ] && [ "$stamp" -nt "$REWIND_DPKG_STATUS" ]; then
    IFS= read -r verified < "$stamp" || true
    for p in "$@"; do
      case " $verified " in *" $p "*) ;; *) missing+=("$p") ;; esac
    done
    [ ${#missing[@]} -eq 0 ] && return 0
  else
    verified=""
    missing=("$@")
  fi
  # One dpkg-query for all of them; a package it does not know is reported on stderr.
  local queried=("${missing[@]}") installed=" "
  while IFS= read -r line; do
    case "$line" in *" install ok installed") installed+="${line%% *} " ;; esac
  done < <(dpkg-query -W -f='${Package} ${Status}\n' "${missing[@]}" 2>/dev/null || true)
  local still=()
  for p in "${missing[@]}"; do
    case "$installed" in *" $p "*) ;; *) still+=("$p") ;; esac
  done
  missing=("${still[@]+"${still[@]}"}")
  if [ ${#missing[@]} -ne 0 ]; then
    if [ "$(id -u)" -eq 0 ]; then
      say "installing missing system packages: ${missing[*]}"
      if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } \
          < /dev/null >&2; then
        say "apt-get failed; install by hand: apt-get install -y ${missing[*]}"
        return 1
      fi
    else
      say "missing system packages: ${missing[*]}"
      say "install them with:  sudo apt-get install -y ${missing[*]}"
      return 1
    fi
  fi
  # All present: record them (written aside and renamed, so a concurrent call reads a whole line).
  mkdir -p "$REWIND_STAMPS" 2>/dev/null &&
    printf '%s\n' "${verified:+$verified }${queried[*]}" > "$stamp.$$" 2>/dev/null &&
    mv -f "$stamp.$$" "$stamp" 2>/dev/null || rm -f "$stamp.$$" 2>/dev/null
  return 0
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
# _built_fresh: true if the jar is newer than every source: no file or folder newer than it (a
# folder changes when a file in it is added, removed or renamed), outside the build outputs
# (target/, build/, not even looked into).
_built_fresh() {
  [ -f "$REWIND_JAR" ] && [ -z "$(find "$REWIND_ROOT/pom.xml" "$REWIND_ROOT/hw" "$REWIND_ROOT/kernel" \
    "$REWIND_ROOT/tools" "$REWIND_ROOT/guest" -type d \( -name target -o -name build \) -prune \
    -o -newer "$REWIND_JAR" -print -quit 2>/dev/null)" ]
}

ensure_built() {
  _built_fresh && return 0
  # shellcheck disable=SC2086
  ensure_packages $REWIND_BUILD_PKGS || return 1
  # One build at a time: two commands started together on a stale tree (a boot in the background,
  # then a bench) would run two Maven builds in the same folders, and one would read a jar the
  # other is writing ("build failed", a ZipException). The second waits, then finds it built.
  local lock
  mkdir -p "$REWIND_STAMPS" && exec {lock}>"$REWIND_STAMPS/build.lock" || return 1
  if ! flock -n "$lock"; then
    say "waiting for another command's build of this tree..."
    flock "$lock"
  fi
  if _built_fresh; then
    exec {lock}>&-
    return 0
  fi
  say "building (mvn package, tests skipped; first build downloads dependencies)..."
  # stdin is the guest's (a file or pipe fed to the UART): the build must not read it, and Maven's
  # exec plugin fails on a stdin it cannot forward ("Stream closed").
  # Maven 3.8's -q -B still prints bare colour resets (ESC[0m) around its silence: dropped, the
  # build's own messages kept.
  if ! (set -o pipefail; cd "$REWIND_ROOT" && mvn -q -B -DskipTests package 2>&1 < /dev/null \
        | sed -u 's/\x1b\[0m//g') >&2 {lock}>&-; then
    exec {lock}>&-
    say "build failed"
    return 1
  fi
  exec {lock}>&-
}

# shellcheck source=engine.sh
. "$_lib_dir/engine.sh"

# The CLI's class-data sharing archive: the JVM maps the classes a run needs, already parsed and
# verified, instead of loading them from the jar (start-up time: docs/PERFORMANCE.md).
REWIND_JSA="$REWIND_ROOT/tools/target/rewind.jsa"
# Java options for the archive, set by ensure_cds; empty when there is none.
REWIND_CDS_OPTS=()

# _cds_jvm_unchanged FILE: true if the java on PATH (the file it links to) was not installed or
# replaced since FILE was written. Looked at only when dpkg changed something since; then FILE is
# touched, so that the next call needs no process at all.
_cds_jvm_unchanged() {
  [ "$1" -nt "$REWIND_DPKG_STATUS" ] && return 0
  local java_bin
  java_bin=$(command -v java) || return 1
  [ -z "$(find -L "$java_bin" -cnewer "$1" -print -quit 2>/dev/null)" ] || return 1
  touch "$1" 2>/dev/null || true
}

# ensure_cds: (re)make the archive when it is missing or older than the jar or the JVM, by two
# training runs ('--version' and a boot of the demo) that list the classes they load, then a dump
# (of the list without repeats: a line listed twice crashed the JDK 17 dump).
# A JVM that cannot use an archive runs without it, silently; a failed dump is remembered (until
# the jar or the JVM changes) and the CLI runs without an archive. REWIND_CDS=off: never use one.
ensure_cds() {
  REWIND_CDS_OPTS=()
  [ "${REWIND_CDS:-}" = off ] && return 0
  local f
  for f in "$REWIND_JSA" "$REWIND_JSA.failed"; do
    if [ -f "$f" ] && [ "$f" -nt "$REWIND_JAR" ] && _cds_jvm_unchanged "$f"; then
      [ "$f" = "$REWIND_JSA" ] && REWIND_CDS_OPTS=("-XX:SharedArchiveFile=$REWIND_JSA" -Xshare:auto)
      return 0
    fi
  done
  say "preparing the start-up cache (class-data sharing archive)..."
  local tmp="$REWIND_JSA.$$" log="$REWIND_JSA.log"
  rm -f "$REWIND_JSA.failed"
  # shellcheck disable=SC2086
  if { java ${REWIND_JAVA_OPTS:-} -Xshare:auto -XX:DumpLoadedClassList="$tmp.v" -jar "$REWIND_JAR" --version \
       && java ${REWIND_JAVA_OPTS:-} -Xshare:auto -XX:DumpLoadedClassList="$tmp.b" -jar "$REWIND_JAR" \
            boot --quiet --timeout 30s builtin:demo.toml < /dev/null \
       && awk '!seen[$0]++' "$tmp.v" "$tmp.b" > "$tmp.classes" \
       && java ${REWIND_JAVA_OPTS:-} -Xshare:dump -XX:SharedClassListFile="$tmp.classes" \
            -XX:SharedArchiveFile="$tmp" -XX:ErrorFile="$log.crash" -cp "$REWIND_JAR"; } > "$log" 2>&1 \
     && mv -f "$tmp" "$REWIND_JSA"; then
    REWIND_CDS_OPTS=("-XX:SharedArchiveFile=$REWIND_JSA" -Xshare:auto)
  else
    say "could not make the start-up cache (see $log); running without it"
    { : > "$REWIND_JSA.failed"; } 2>/dev/null || true
  fi
  rm -f "$tmp" "$tmp.v" "$tmp.b" "$tmp.classes"
  return 0
}
