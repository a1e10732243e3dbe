# The assembler of the SDK's programs: gcc runs it (rewind.mk's -B and the shim it writes,
# build/bin/as) as `sh trap-jumps.sh REAL_AS ARCH ARGS...`.
#
# In compiled C (a file gcc made, ending with its .ident), a word that cannot run follows every
# unconditional transfer: RISC-V `ret`, `j`, `jr`, `tail`, `jump` get `.4byte 0` (c.unimp,
# twice: illegal with or without the C extension), AArch64 `ret`, `b`, `br` get `udf #0`.
# Nothing reaches such a word but a transfer that did not happen: a fault that skipped the `ret`
# or `j` (a skipped `ret` at the end of fs's walk_once fell into the error return placed after
# it and answered ENOENT: docs/RECOVERY.md, session 57). Then the task traps there (illegal
# instruction) and its recovery acts, where it went on running the code placed next. Inline
# assembly (#APP .. #NO_APP) and hand-written .S files are left as they are: their layout may
# be counted on. No cost at run time: the words never run.
real=$1
arch=$2
shift 2
in=
at=0
i=0
skip=0
for a in "$@"; do
	i=$((i + 1))
	if [ "$skip" = 1 ]; then
		skip=0
		continue
	fi
	case "$a" in
	-o | -I | --defsym | -MD) skip=1 ;;
	-) in=-; at=$i ;;
	-*) ;;
	*) in=$a; at=$i ;;
	esac
done
case "$arch" in
riscv64) re='^[ \t]+(ret|j|jr|tail|jump)([ \t]|$)'; word='	.4byte	0' ;;
aarch64) re='^[ \t]+(ret|b|br)([ \t]|$)'; word='	.inst	0x00000000' ;;
*) echo "trap-jumps.sh: unknown architecture '$arch'" >&2; exit 2 ;;
esac
tmp=$(mktemp "${TMPDIR:-/tmp}/rewind-as.XXXXXX.s") || exit 1
trap 'rm -f "$tmp" "$tmp.in"' EXIT
if [ -z "$in" ] || [ "$in" = - ]; then
	cat > "$tmp.in" || exit 1 # (gcc -pipe: the assembly comes on standard input)
	src=$tmp.in
else
	src=$in
fi
if grep -q '^[[:space:]]*\.ident[[:space:]]*"GCC:' "$src"; then
	awk -v re="$re" -v word="$word" '
		/^#APP/ { app = 1 }
		/^#NO_APP/ { app = 0 }
		{ print }
		!app && $0 ~ re { print word }
	' "$src" > "$tmp" || exit 1
else
	cp "$src" "$tmp" || exit 1
fi
# the same arguments, the input replaced by the file written (appended where there was none)
n=$#
i=0
for a in "$@"; do
	i=$((i + 1))
	if [ "$i" = "$at" ]; then
		set -- "$@" "$tmp"
	else
		set -- "$@" "$a"
	fi
done
shift "$n"
[ "$at" = 0 ] && set -- "$@" "$tmp"
"$real" "$@"
