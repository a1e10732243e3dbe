/*
 * slot_client (uses "slots"; built as slot_client_a with SLOT=0 and slot_client_b with
 * SLOT=1; slot_client_long with SLOT=1, COUNT=200) - increments its own slot of slot_server
 * COUNT (40) times, each answer checked; a request
 * rolled back (ERECOVERED) is sent again, at most 4 times.  Prints "slot_client_S: ok", or
 * "slot_client_S: FAIL ..." and exits 1.  Built as slot_peek with PEEK: keeps slot_server busy,
 * asking with an unknown label (answered RW_ENOSYS, no slot touched) until the system is stopped
 * (t_tally_busy).
 */
#include <stdio.h>
#include <rewind/rewind.h>

#ifndef SLOT
#define SLOT 0
#endif
#ifndef COUNT
#define COUNT 40
#endif
#define NAME (SLOT == 0 ? "slot_client_a" : "slot_client_b")

int main(void)
{
	rw_cap ep;
	if (rw_cap_get("slots", &ep) != 0) {
		printf("%s: FAIL no slots\n", NAME);
		return 1;
	}
#ifdef PEEK
	for (;;) {
		rw_msg m = { 9, { 0, 0, 0, 0 }, 0 };
		long r = rw_rpc(ep, &m);
		if (r != RW_ENOSYS && r != RW_ERECOVERED) {
			printf("slot_peek: FAIL %s\n", rw_strerror(r));
			return 1;
		}
	}
#endif
	for (uint64_t i = 1; i <= COUNT; i++) {
		long r;
		rw_msg m;
		RW_RETRY_RECOVERED(r, (m = (rw_msg){ SLOT + 1, { 0, 0, 0, 0 }, 0 }, rw_rpc(ep, &m)),
		                   4);
		if (r != 0 || m.w[0] != i) {
			printf("%s: FAIL increment %lu: %s, value %lu\n", NAME, (unsigned long)i,
			       rw_strerror(r), (unsigned long)(r == 0 ? m.w[0] : 0));
			return 1;
		}
	}
	printf("%s: ok\n", NAME);
	return 0;
}
