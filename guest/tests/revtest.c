/* revtest: a small program for the reverse-execution tests (GdbReverseTest): a store at a
 * known address (poke_store), a global written in a loop with console output (system calls)
 * between the writes, and a small function to step back into and out of. */
#include <stdio.h>
#include <rewind/rewind.h>

volatile long counter;
long slot = 7;
long table[4];

__attribute__((noinline)) void poke(long v)
{
#if defined(__aarch64__)
	__asm__ __volatile__(".globl poke_store\npoke_store:\n\tstr %0, [%1]"
	                     :
	                     : "r"(v), "r"(&slot)
	                     : "memory");
#else
	__asm__ __volatile__(".globl poke_store\npoke_store:\n\tsd %0, 0(%1)"
	                     :
	                     : "r"(v), "r"(&slot)
	                     : "memory");
#endif
}

__attribute__((noinline)) long bump(long by)
{
	long before = counter;
	long after = before + by;
	counter = after;
	table[by & 3] = after;
	return before;
}

__attribute__((noinline)) void finished(void)
{
	__asm__ __volatile__("" ::: "memory");
}

int main(void)
{
	printf("revtest: start\n");
	poke(0x1234);
	for (long i = 1; i <= 5; i++) {
		bump(i);
		printf("revtest: %ld\n", counter);
	}
	finished();
	printf("revtest: done %ld\n", counter);
	return 0;
}
