/*
 * loopreg_client - the client of loopreg_server: 60 ADDs, every 10th request a label the server
 * has no op for (ENOSYS expected), then a GET; every reply word checked. Prints
 * "loopreg_client: ok requests=67" or a FAIL line (and exits 1).
 */
#include <stdio.h>
#include <rewind/rewind.h>

int main(void)
{
	rw_cap ep;
	uint64_t total = 0, count = 0, requests = 0;

	RW_ASSERT(rw_cap_get("loopreg", &ep) == 0);
	for (int i = 1; i <= 60; i++) {
		rw_msg m = { 1, { (uint64_t)i * 3, 0, 0, 0 }, 0 };
		long r;

		if (i % 10 == 0) {
			rw_msg bad = { 9, { 0, 0, 0, 0 }, 0 };
			RW_RETRY_RECOVERED(r, rw_rpc(ep, &bad), 8);
			requests++;
			if (r != RW_ENOSYS) {
				printf("loopreg_client: FAIL label 9 answered %ld\n", r);
				return 1;
			}
		}
		RW_RETRY_RECOVERED(r, rw_rpc(ep, &m), 8);
		requests++;
		total += (uint64_t)i * 3;
		count++;
		if (r != 0 || m.w[0] != total || m.w[1] != count) {
			printf("loopreg_client: FAIL add %d answered %ld (%llu, %llu)\n", i, r,
			       (unsigned long long)m.w[0], (unsigned long long)m.w[1]);
			return 1;
		}
	}
	rw_msg g = { 2, { 0, 0, 0, 0 }, 0 };
	long r;
	RW_RETRY_RECOVERED(r, rw_rpc(ep, &g), 8);
	requests++;
	if (r != 0 || g.w[0] != total || g.w[1] != count || g.w[2] < requests - 1) {
		printf("loopreg_client: FAIL get answered %ld (%llu, %llu, %llu)\n", r,
		       (unsigned long long)g.w[0], (unsigned long long)g.w[1],
		       (unsigned long long)g.w[2]);
		return 1;
	}
	printf("loopreg_client: ok requests=%llu\n", (unsigned long long)requests);
	return 0;
}
