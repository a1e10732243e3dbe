/*
 * rotor_client (uses "rotor"): 300 calls to rotor_server, each reply checked
 * against a model of its rotating tables.  Prints "rotor: ok calls=300"
 * (exit 0) or "rotor: FAIL ..." (exit 1).
 */
#include <stdio.h>
#include <rewind/rewind.h>

#define CALLS 300

static long model[4][64];

int main(void)
{
	rw_cap cap;
	long r = rw_cap_get("rotor", &cap);

	if (r < 0) {
		printf("rotor: FAIL no endpoint: %s\n", rw_strerror(r));
		return 1;
	}
	long *table = model[0];
	for (unsigned long n = 1; n <= CALLS; n++) {
		long v = (long)(n * 7 + 3);
		rw_msg m = { .label = 1, .w = { (uint64_t)v, 0, 0, 0 }, .len = 0 };

		if (n % 64 == 0)
			table = model[(n / 64) % 4];
		table[v & 63] += v;
		r = rw_call(cap, &m);
		if (r < 0 || m.label != 0 || (long)m.w[0] != table[v & 63]) {
			printf("rotor: FAIL call %lu: status %ld label %ld got %ld want %ld\n", n,
			       r, (long)m.label, (long)m.w[0], table[v & 63]);
			return 1;
		}
	}
	printf("rotor: ok calls=%d\n", CALLS);
	return 0;
}
