#!/bin/bash
# guest/isa/run.sh [PROG...]: build every check (or those named: int atomic
# mem float misc vec rand work rvc) for both architectures at -O0 -O2 -O3 -Os
# (and RISC-V built for its FPU, the SDK's FLOAT=hard, as "riscv64hf"),
# run each under Rewind (the default engine; also under another when
# ISA_OLD=/path/to/libunicorn.so.2) and under QEMU (qemu-system-riscv64
# -machine virt, qemu-system-aarch64 -machine virt -cpu cortex-a72), and
# compare the outputs: "same" or "DIFF" per program, engine and level; the
# outputs are in build/out/ (ISA_OUT). ISA_ARCHS, ISA_OPTS narrow the set;
# ISA_PROGS must name the programs to build when PROG... is given.
set -u
cd "$(dirname "$0")"
root=$(cd ../.. && pwd)
out=${ISA_OUT:-build/out}
mkdir -p "$out"
archs=${ISA_ARCHS:-riscv64 riscv64hf aarch64}
opts=${ISA_OPTS:--O0 -O2 -O3 -Os}
fail=0
for a in $archs; do
	for o in $opts; do
		case $a in
		riscv64hf) make -s ARCH=riscv64 FLOAT=hard OPT=$o >/dev/null ;;
		*) make -s ARCH=$a OPT=$o >/dev/null ;;
		esac || { echo "BUILD FAIL $a $o"; fail=1; continue; }
		for elf in build/$a$o/image/isa_*.elf; do
			p=$(basename "$elf" .elf)
			[ $# -gt 0 ] && ! echo " $* " | grep -q " ${p#isa_} " && continue
			q=build/$a$o/qemu/$p.elf
			tag=$a$o-$p
			# the QEMU builds have a 256 KiB stack and a 16 MiB heap: the same here
			m=build/$a$o/image/$p.toml
			printf 'name = "%s"\n[task.%s]\nimage = "%s.elf"\nstack = "256K"\nheap = "16M"\n' $p $p $p >$m
			if [ $a != aarch64 ]; then
				timeout 120 qemu-system-riscv64 -machine virt -bios none -display none -monitor none -serial stdio -kernel $q </dev/null >$out/$tag.qemu 2>&1
			else
				timeout 120 qemu-system-aarch64 -machine virt -cpu cortex-a72 -semihosting -display none -monitor none -serial stdio -kernel $q </dev/null >$out/$tag.qemu 2>&1
			fi
			echo "exit=$?" >>$out/$tag.qemu
			"$root/rewind" boot --timeout 120s "$m" >$out/$tag.rw 2>$out/$tag.rw.err
			echo "exit=$?" >>$out/$tag.rw
			engines="rw"
			if [ -n "${ISA_OLD:-}" ]; then
				REWIND_UNICORN_LIBRARY=$ISA_OLD "$root/rewind" boot --timeout 120s "$m" >$out/$tag.old 2>$out/$tag.old.err
				echo "exit=$?" >>$out/$tag.old
				engines="rw old"
			fi
			for e in $engines; do
				# lines in parentheses are informational (counter values); ns= is a timing
				if cmp -s <(grep -v '^(' $out/$tag.qemu) <(grep -v '^(' $out/$tag.$e); then
					echo "same  $tag $e $(tail -2 $out/$tag.$e | head -1)"
				else
					echo "DIFF  $tag $e"; fail=1
				fi
			done
		done
	done
done
exit $fail
