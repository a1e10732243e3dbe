/*
 * rotor_client (uses "rotor"): 300 calls to rotor_server, each reply checked
 * against a model of its rotating tables.  Prints "rotor: ok calls=300"
 * (exit 0) or "rotor: FAIL ..." (exit 1).
 *
 * Built again with ROTOR_REFUSE as rotor_refuse_client, for rotor_refuse_server: 640 calls,
 * those right after each rotation and every 7th sending a value the server refuses (EINVAL,
 * checked); prints "rotor_refuse: ok calls=640".
 */
#include <stdio.h>
#include <rewind/rewind.h>

#ifdef ROTOR_REFUSE
#define CALLS 640
#define NAME  "rotor_refuse"
#else
#define CALLS 300
#define NAME  "rotor"
#endif

static long model[4][64];

int main(void)
{
	rw_cap cap;
	long r = rw_cap_get("rotor", &cap);

	if (r < 0) {
		printf(NAME ": FAIL no endpoint: %s\n", rw_strerror(r));
		return 1;
	}
	long *table = model[0];
	for (unsigned long n = 1; n <= CALLS; n++) {
#ifdef ROTOR_REFUSE
		int refused = n % 64 <= 2 || n % 7 == 0;
		long v = refused ? (long)(n * 5) : (long)(n * 5 + 1 + n % 4);
#else
		int refused = 0;
		long v = (long)(n * 7 + 3);
#endif
		rw_msg m = { .label = 1, .w = { (uint64_t)v, 0, 0, 0 }, .len = 0 };

		if (n % 64 == 0)
			table = model[(n / 64) % 4];
		r = rw_call(cap, &m);
		if (refused) {
			if (r < 0 || (long)m.label != RW_EINVAL) {
				printf(NAME ": FAIL call %lu: status %ld label %ld, want EINVAL\n",
				       n, r, (long)m.label);
				return 1;
			}
			continue;
		}
		table[v & 63] += v;
		if (r < 0 || m.label != 0 || (long)m.w[0] != table[v & 63]) {
			printf(NAME ": FAIL call %lu: status %ld label %ld got %ld want %ld\n", n,
			       r, (long)m.label, (long)m.w[0], table[v & 63]);
			return 1;
		}
	}
	printf(NAME ": ok calls=%d\n", CALLS);
	return 0;
}
