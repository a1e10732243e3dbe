/* notewd_client (uses "nw", owns "nw_note"): a request that signals the client and then faults
 * every time is rolled back, and so is its signal: the client, which was not waiting on its
 * notification while it called, finds no bits afterwards.  A request that does not fault signals
 * as asked.  Prints "notewd: ok" (t_notewd). */
#include <stdio.h>
#include <rewind/rewind.h>

int main(void)
{
	rw_cap nw, note;
	uint64_t bits = 0;
	RW_ASSERT(rw_cap_get("nw", &nw) == 0);
	RW_ASSERT(rw_cap_get("nw_note", &note) == 0);

	rw_msg m = { 1, { 10, 0x4, 1, 0 }, 0 };
	long r = rw_call(nw, &m);
	if (r != RW_ERECOVERED) {
		printf("notewd: FAIL the faulting request: %s, expected ERECOVERED\n",
		       rw_strerror(r));
		return 1;
	}
	RW_ASSERT(rw_poll(note, &bits) == 0);
	if (bits != 0) {
		printf("notewd: FAIL a rolled-back request's signal stayed: bits 0x%llx\n",
		       (unsigned long long)bits);
		return 1;
	}
	m = (rw_msg){ 1, { 20, 0x10, 0, 0 }, 0 };
	r = rw_call(nw, &m);
	RW_ASSERT(rw_poll(note, &bits) == 0);
	if (r != 0 || m.w[0] != 21 || m.w[1] != 1 || bits != 0x10) {
		printf("notewd: FAIL the good request: %s w0=%llu w1=%llu bits 0x%llx\n",
		       rw_strerror(r), (unsigned long long)m.w[0], (unsigned long long)m.w[1],
		       (unsigned long long)bits);
		return 1;
	}
	printf("notewd: ok\n");
	return 0;
}
