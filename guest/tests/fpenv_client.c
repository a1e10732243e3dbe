/*
 * fpenv_client: the client of fpenv_server. Changes of the rounding mode that fault are rolled
 * back (and, faulting again and again, replayed from the server's history); each answer must show
 * the mode and the inexact flag the last committed request left. Prints "fpenv: all ok" or FAIL
 * lines (and exits 1).
 */
#include <stdio.h>
#include <stdint.h>
#include <rewind/rewind.h>

static rw_cap ep;
static int fails;

static void ask(const char *what, uint64_t want_bits, uint64_t want_mode, uint64_t want_inexact)
{
	rw_msg m = { 2, { 3, 0, 0, 0 }, 0 };
	long r = rw_call(ep, &m);
	if (r != 0 || m.label != 0 || m.w[0] != want_bits || m.w[1] != want_mode ||
	    m.w[2] != want_inexact) {
		printf("fpenv: FAIL %s: r %ld label %ld bits 0x%llx mode %llu inexact %llu; want "
		       "0x%llx mode %llu inexact %llu\n",
		       what, r, (long)m.label, (unsigned long long)m.w[0],
		       (unsigned long long)m.w[1], (unsigned long long)m.w[2],
		       (unsigned long long)want_bits, (unsigned long long)want_mode,
		       (unsigned long long)want_inexact);
		fails++;
	}
}

int main(void)
{
#if !defined(__aarch64__) && !(defined(__riscv_flen) && __riscv_flen >= 64)
	puts("fpenv: skipped (a soft-float build has no FP environment)");
	return 0;
#endif
	RW_ASSERT(rw_cap_get("fpenv", &ep) == 0);
	const uint64_t near = 0x3fd5555555555555ULL, up = 0x3fd5555555555556ULL;
	ask("at start", near, 0, 0);
	rw_msg m = { 1, { 1, 1, 0, 0 }, 0 }; /* upward, then fault: rolled back */
	long r = rw_call(ep, &m);
	if (r != RW_ERECOVERED) {
		printf("fpenv: FAIL the faulting request: %ld, want ERECOVERED\n", r);
		fails++;
	}
	ask("after a rolled-back change of the rounding mode", near, 0, 0);
	rw_msg s = { 1, { 1, 0, 0, 0 }, 0 }; /* upward, kept */
	rw_call(ep, &s);
	ask("after a kept change", up, 1, 1);
	rw_msg n = { 1, { 0, 0, 0, 0 }, 0 };
	rw_call(ep, &n);
	ask("back to nearest", near, 0, 1);
	/* a fault again and again: the kernel replays the history (the mode changes in it) */
	for (int i = 0; i < 3; i++) {
		rw_msg f = { 1, { 2, 1, 0, 0 }, 0 };
		r = rw_call(ep, &f);
		if (r != RW_ERECOVERED) {
			printf("fpenv: FAIL faulting request %d: %ld\n", i, r);
			fails++;
		}
	}
	ask("after the history replays", near, 0, 0);
	rw_msg s2 = { 1, { 1, 0, 0, 0 }, 0 };
	rw_call(ep, &s2);
	ask("upward again", up, 1, 1);
	for (int i = 0; i < 3; i++) {
		rw_msg f = { 1, { 3, 1, 0, 0 }, 0 };
		rw_call(ep, &f);
	}
	ask("upward after the replays", up, 1, 0);
	puts(fails ? "fpenv: FAIL" : "fpenv: all ok");
	return fails != 0;
}
