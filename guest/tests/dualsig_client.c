/* dualsig_client (uses "ds", owns "ds_note"): four label-1 requests, after each of which no
 * signal may be pending, then a label-2 request, whose signal must be.  Prints "dualsig: ok". */
#include <stdio.h>
#include <rewind/rewind.h>

int main(void)
{
	rw_cap ds, note;
	uint64_t bits;
	RW_ASSERT(rw_cap_get("ds", &ds) == 0);
	RW_ASSERT(rw_cap_get("ds_note", &note) == 0);
	for (uint64_t i = 1; i <= 5; i++) {
		rw_msg m = { i == 5 ? 2 : 1, { 0, 0, 0, 0 }, 0 };
		long r = rw_call(ds, &m);
		bits = 0;
		RW_ASSERT(rw_poll(note, &bits) == 0);
		if (r != 0 || m.w[0] != i || bits != (i == 5 ? 0x1 : 0)) {
			printf("dualsig: FAIL request %llu: %s count %llu bits 0x%llx\n",
			       (unsigned long long)i, rw_strerror(r), (unsigned long long)m.w[0],
			       (unsigned long long)bits);
			return 1;
		}
	}
	printf("dualsig: ok\n");
	return 0;
}
