/*
 * aftercall_client - aftercall_server's client: 100 ADDs of 1..100 (each answer checked against
 * the running sum), then a CHECK: the server's journal holds 100 entries, its mirror and its
 * total the sum (5050). ERECOVERED is retried (at most 4 tries). Prints "aftercall: ok".
 */
#include <stdio.h>
#include <rewind/rewind.h>

#define ADDS 100

int main(void)
{
	rw_cap srv;
	rw_msg m;
	long r;
	uint64_t sum = 0;

	RW_ASSERT(rw_cap_get("aftercall", &srv) == 0);
	for (uint64_t i = 1; i <= ADDS; i++) {
		sum += i;
		RW_RETRY_RECOVERED(r, (m = (rw_msg){ 1, { i, 0, 0, 0 }, 0 }, rw_rpc(srv, &m)), 4);
		if (r != 0 || m.w[0] != sum) {
			printf("aftercall: FAIL add %llu: %s, total %llu, want %llu\n",
			       (unsigned long long)i, rw_strerror(r), (unsigned long long)m.w[0],
			       (unsigned long long)sum);
			return 1;
		}
	}
	RW_RETRY_RECOVERED(r, (m = (rw_msg){ 2, { 0, 0, 0, 0 }, 0 }, rw_rpc(srv, &m)), 4);
	if (r != 0 || m.w[0] != ADDS || m.w[1] != sum || m.w[2] != sum) {
		printf("aftercall: FAIL check: %s, journal %llu (want %d), mirror %llu, total %llu "
		       "(want %llu)\n",
		       rw_strerror(r), (unsigned long long)m.w[0], ADDS, (unsigned long long)m.w[1],
		       (unsigned long long)m.w[2], (unsigned long long)sum);
		return 1;
	}
	printf("aftercall: ok\n");
	return 0;
}
