/*
 * hostile (uses "kv"): 100000 system calls with random numbers and
 * arguments (xorshift64, seed 12345).  Any result is acceptable; the kernel
 * and the kv server must survive.  Never EXIT, ABORT or WAIT (WAIT could
 * legally block forever).  Half of the CALLs go to the kv server with a
 * valid length and random buffer bytes, so that the server really sees
 * garbage requests.  Prints "hostile: done 100000 calls", exit 0.
 */
#include <stdio.h>
#include <string.h>
#include <rewind/rewind.h>

#define NCALLS 100000

static uint64_t state = 12345;

static uint64_t next_rand(void)
{
	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	return state;
}

static const uint64_t huge[] = {
	0x1000,
	0x1001,
	0x10000,
	0x100000,
	0x7fffffff,
	0xffffffff,
	1ULL << 40,
	0x7fffffffffffffffULL,
	0x8000000000000000ULL,
	~0ULL,
};

static long random_arg(void)
{
	switch (next_rand() % 8) {
	case 0:
	case 1: /* small integers: cap slots, labels, lengths */
		return (long)(next_rand() % 45) - 4;
	case 2: /* anything */
		return (long)next_rand();
	case 3: /* own image, heap */
		return (long)(RW_LOAD_MIN + next_rand() % 0x40000);
	case 4: /* around the IPC buffer */
		return (long)(RW_IPC_BUF_ADDR - 0x100 + next_rand() % (RW_IPC_BUF_SIZE + 0x200));
	case 5: /* the stack */
		return (long)(RW_STACK_TOP - 1 - next_rand() % 0x4000);
	case 6: /* around the top of the stack */
		return (long)(RW_STACK_TOP - 0x100 + next_rand() % 0x200);
	default: /* huge lengths */
		return (long)huge[next_rand() % (sizeof huge / sizeof huge[0])];
	}
}

int main(void)
{
	long ok = 0, errors = 0;
	long nr;
	long kv = rw_cap_lookup_str("kv");
	unsigned char *ipc = rw_ipc_buf();

	printf("hostile: start, seed %lu\n", (unsigned long)state);
	for (long n = 0; n < NCALLS; n++) {
		do
			nr = (long)(next_rand() % 32);
		while (nr == SYS_EXIT || nr == SYS_ABORT || nr == SYS_WAIT);

		rw_regs r;
		r.a0 = random_arg();
		r.a1 = random_arg();
		r.a2 = random_arg();
		r.a3 = random_arg();
		r.a4 = random_arg();
		r.a5 = random_arg();
		r.a6 = random_arg();
		r.a7 = nr;
		if (nr == SYS_CONSOLE_WRITE)
			r.a1 = (long)((uint64_t)r.a1 % 65); /* keep the log readable */
		if (nr == SYS_WAIT_ANY)
			r.a2 = (long)(1 + (uint64_t)r.a2 %
			                          1000); /* garbage caps, but never a long sleep */
		size_t garbage = 0;
		if (nr == SYS_CALL && kv >= 0 && (next_rand() & 1)) {
			/* Aim at the kv server with random buffer bytes. */
			garbage = (size_t)(next_rand() % (RW_IPC_BUF_SIZE + 1));
			r.a0 = kv;
			r.a6 = (long)garbage;
			for (size_t i = 0; i < garbage; i++) {
				uint64_t x = next_rand();
				ipc[i] = (x & 0x700) ? (unsigned char)x : 0; /* some NULs */
			}
		}
		rw_ecall(&r);
		if (garbage)
			memset(ipc, 0, garbage); /* keep garbage off the console */
		if (r.a0 < 0)
			errors++;
		else
			ok++;
	}
	rw_console_write("\n", 1); /* end any partial garbage line */
	printf("hostile: %ld ok, %ld errors\n", ok, errors);
	printf("hostile: done %d calls\n", NCALLS);
	return 0;
}
