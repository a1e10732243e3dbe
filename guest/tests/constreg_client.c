/*
 * constreg_client - constreg_server's client: 200 ADDs of 1..200, each answer checked against
 * the running sum, and a SUM after every 10th (the total and the number of ADDs). ERECOVERED is
 * retried (at most 4 tries). Prints "constreg: ok".
 */
#include <stdio.h>
#include <rewind/rewind.h>

#define ADDS 200

int main(void)
{
	rw_cap srv;
	rw_msg m;
	long r;
	uint64_t sum = 0;

	RW_ASSERT(rw_cap_get("constreg", &srv) == 0);
	for (uint64_t i = 1; i <= ADDS; i++) {
		sum += i;
		RW_RETRY_RECOVERED(r, (m = (rw_msg){ 1, { i, 0, 0, 0 }, 0 }, rw_rpc(srv, &m)), 4);
		if (r != 0 || m.w[0] != sum) {
			printf("constreg: FAIL add %llu: %s, total %llu, want %llu\n",
			       (unsigned long long)i, rw_strerror(r), (unsigned long long)m.w[0],
			       (unsigned long long)sum);
			return 1;
		}
		if (i % 10 != 0)
			continue;
		RW_RETRY_RECOVERED(r, (m = (rw_msg){ 2, { 0, 0, 0, 0 }, 0 }, rw_rpc(srv, &m)), 4);
		if (r != 0 || m.w[0] != sum || m.w[1] != i) {
			printf("constreg: FAIL sum after %llu: %s, total %llu (want %llu), adds "
			       "%llu\n",
			       (unsigned long long)i, rw_strerror(r), (unsigned long long)m.w[0],
			       (unsigned long long)sum, (unsigned long long)m.w[1]);
			return 1;
		}
	}
	printf("constreg: ok\n");
	return 0;
}
