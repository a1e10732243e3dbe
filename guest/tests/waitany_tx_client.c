/* waitany_tx_client (uses "wa", "wa_note"): under txipc, a fault while waitany_server handles a
 * notification wake is rolled back like a fault in a request, and the server goes on waiting.
 * Prints "waitany_tx: all ok" and exits 0 on success. */
#include <stdio.h>
#include <rewind/rewind.h>

static rw_cap ep, note;

static rw_msg ask(void)
{
	rw_msg m = { 0, { 0, 0, 0, 0 }, 0 };
	long r = rw_call(ep, &m);

	if (r != 0) {
		printf("waitany_tx: call failed: %s\n", rw_strerror(r));
		rw_exit(1);
	}
	return m;
}

int main(void)
{
	if (rw_cap_get("wa", &ep) < 0 || rw_cap_get("wa_note", &note) < 0) {
		printf("waitany_tx: missing capabilities\n");
		return 1;
	}
	ask();
	rw_sleep_ns(1000000); /* (the server, less important, waits while this task sleeps) */
	rw_notify(note, 0x1);
	rw_sleep_ns(1000000);
	rw_msg m = ask();
	if (m.w[1] != 1 || m.w[2] != 0x1) {
		printf("waitany_tx: first wake not counted (%llu wakes, bits 0x%llx)\n",
		       (unsigned long long)m.w[1], (unsigned long long)m.w[2]);
		return 1;
	}
	rw_notify(note, 0x101); /* the server counts this wake, then faults */
	/* (its bits go back with the rollback: the work runs again, faults again, the history is
	 * replayed and it runs once more before the bits are dropped) */
	rw_sleep_ns(30000000);
	m = ask();
	printf("waitany_tx: after the faulting wake: %llu requests, %llu wakes, bits 0x%llx\n",
	       (unsigned long long)m.w[0], (unsigned long long)m.w[1], (unsigned long long)m.w[2]);
	if (m.w[0] != 3 || m.w[1] != 1 || m.w[2] != 0x1) {
		printf("waitany_tx: the faulting wake was not undone\n");
		return 1;
	}
	rw_notify(note, 0x2);
	rw_sleep_ns(1000000);
	m = ask();
	if (m.w[1] != 2 || m.w[2] != 0x2) {
		printf("waitany_tx: no wake after the rollback\n");
		return 1;
	}
	/* A request that faults the server: rolled back (ERECOVERED); the server must wait again as
	 * it did, for requests and for its notification. */
	rw_msg bad = { 3, { 0, 0, 0, 0 }, 0 };
	long r = rw_call(ep, &bad);
	if (r != RW_ERECOVERED) {
		printf("waitany_tx: the faulting request answered %s, not ERECOVERED\n",
		       rw_strerror(r));
		return 1;
	}
	rw_sleep_ns(1000000);
	rw_notify(note, 0x8);
	rw_sleep_ns(1000000);
	m = ask();
	if (m.w[1] != 3 || m.w[2] != 0x8 || m.w[0] != 5) {
		printf("waitany_tx: after the rolled-back request: %llu requests, %llu wakes, bits "
		       "0x%llx\n",
		       (unsigned long long)m.w[0], (unsigned long long)m.w[1],
		       (unsigned long long)m.w[2]);
		return 1;
	}
	printf("waitany_tx: all ok\n");
	return 0;
}
