/*
 * heap_client (uses "heap"): makes heap_server grow its heap in steps of
 * HEAP_STEP bytes until it answers RW_ENOMEM, then has it check every byte.
 * Prints "heap: ok steps=N bytes=B ns=T" (T: the time the growth took) and
 * exits 0, or prints "heap: FAIL ..." and exits 1.
 */
#include <stdio.h>
#include <rewind/rewind.h>

#ifndef HEAP_STEP
#define HEAP_STEP 4096
#endif

int main(void)
{
	long cap = rw_cap_lookup_str("heap");
	rw_msg m;
	uint64_t bytes = 0, steps = 0;

	if (cap < 0) {
		printf("heap: FAIL no capability: %s\n", rw_strerror(cap));
		return 1;
	}
	uint64_t t0 = rw_clock_ns();
	for (;;) {
		m.label = 1;
		m.w[0] = HEAP_STEP;
		m.len = 0;
		long r = rw_call(RW_CAP(cap), &m);
		if (r != 0) {
			printf("heap: FAIL call: %s\n", rw_strerror(r));
			return 1;
		}
		if ((long)m.label == RW_ENOMEM)
			break;
		if (m.label != 0 || m.w[0] != bytes + HEAP_STEP) {
			printf("heap: FAIL step %lu: label %ld, %lu bytes\n", (unsigned long)steps,
			       (long)m.label, (unsigned long)m.w[0]);
			return 1;
		}
		bytes = m.w[0];
		steps++;
	}
	uint64_t t1 = rw_clock_ns();
	/* still ENOMEM: the limit holds */
	m.label = 1;
	m.w[0] = HEAP_STEP;
	m.len = 0;
	if (rw_call(RW_CAP(cap), &m) != 0 || (long)m.label != RW_ENOMEM) {
		printf("heap: FAIL second request past the limit: label %ld\n", (long)m.label);
		return 1;
	}
	m.label = 2;
	m.len = 0;
	if (rw_call(RW_CAP(cap), &m) != 0 || m.label != 0 || m.w[0] != 0) {
		printf("heap: FAIL check: label %ld, %lu bad bytes\n", (long)m.label,
		       (unsigned long)m.w[0]);
		return 1;
	}
	printf("heap: ok steps=%lu bytes=%lu ns=%lu\n", (unsigned long)steps, (unsigned long)bytes,
	       (unsigned long)(t1 - t0));
	return 0;
}
