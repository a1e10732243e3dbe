/*
 * dualtail_client - dualtail_server's client: ADDs of 1..5 (each answer checked against the
 * running sum), then TAILS, which must answer 5 (a tail per ADD, each run once). Prints
 * "dualtail_client: ok" (exit 0) or a FAIL line (exit 1).
 */
#include <stdio.h>
#include <rewind/rewind.h>

#define ADDS 5

int main(void)
{
	rw_cap srv;
	rw_msg m;
	uint64_t sum = 0;

	RW_ASSERT(rw_cap_get("dualtail", &srv) == 0);
	for (uint64_t i = 1; i <= ADDS; i++) {
		sum += i;
		m = (rw_msg){ 1, { i, 0, 0, 0 }, 0 };
		long r = rw_call(srv, &m);
		if (r != 0 || m.label != 0 || m.w[0] != sum) {
			printf("dualtail_client: FAIL add %llu: %s, label %lld, total %llu, want "
			       "%llu\n",
			       (unsigned long long)i, rw_strerror(r), (long long)m.label,
			       (unsigned long long)m.w[0], (unsigned long long)sum);
			return 1;
		}
	}
	m = (rw_msg){ 2, { 0, 0, 0, 0 }, 0 };
	long r = rw_call(srv, &m);
	if (r != 0 || m.label != 0 || m.w[0] != ADDS) {
		printf("dualtail_client: FAIL tails: %s, %llu tails, want %d\n", rw_strerror(r),
		       (unsigned long long)m.w[0], ADDS);
		return 1;
	}
	printf("dualtail_client: ok\n");
	return 0;
}
