/* waitany_client (uses "wa", "wa_note"): checks WAIT_ANY through waitany_server, and
 * rw_sleep_ns.  Prints "waitany: ... ok" lines, "waitany: all ok" and exits 0 on success. */
#include <stdio.h>
#include <rewind/rewind.h>

static rw_cap ep, note;
static int failures;

static void check(int ok, const char *what)
{
	printf("waitany: %s %s\n", what, ok ? "ok" : "FAILED");
	if (!ok)
		failures++;
}

static rw_msg ask(uint64_t label, uint64_t w0)
{
	rw_msg m = { label, { w0, 0, 0, 0 }, 0 };
	long r = rw_call(ep, &m);

	if (r != 0) {
		printf("waitany: call failed: %s\n", rw_strerror(r));
		rw_exit(1);
	}
	return m;
}

int main(void)
{
	if (rw_cap_get("wa", &ep) < 0 || rw_cap_get("wa_note", &note) < 0) {
		printf("waitany: missing capabilities\n");
		return 1;
	}
	rw_msg m = ask(0, 0);
	check(m.w[0] == 1 && m.w[1] == 0 && m.w[3] == 0, "request");

	/* Bits signalled while the server waits wake it with WOKEN and exactly those bits.  (The
	 * server has the lower priority: it runs, and waits, only while this task sleeps.) */
	rw_sleep_ns(1000000);
	long nr = rw_notify(note, 0x5);
	for (int tries = 0; tries < 50; tries++) { /* (as below: a loaded host) */
		rw_sleep_ns(1000000);
		m = ask(0, 0);
		if (m.w[1] != 0)
			break;
	}
	if (nr != 0 || m.w[1] != 1)
		printf("waitany: notify %s, server saw %llu requests, %llu wakes, bits 0x%llx\n",
		       rw_strerror(nr), (unsigned long long)m.w[0], (unsigned long long)m.w[1],
		       (unsigned long long)m.w[2]);
	check(m.w[1] == 1 && m.w[2] == 0x5, "notification");
	uint64_t asked = m.w[0];

	/* A request and pending bits together: the request comes first, the bits stay.  The
	 * server has the lower priority: after its reply this task runs before it waits again, so
	 * both are there when it does. */
	rw_notify(note, 0x30);
	m = ask(0, 0);
	check(m.w[0] == asked + 1 && m.w[1] == 1, "request before bits");
	/* (It takes them while this task sleeps.  On a loaded host the sleep can end before the
	 * server's WAIT_ANY ran: the next request then comes first again, and the bits stay.) */
	for (int tries = 0; tries < 50; tries++) {
		rw_sleep_ns(1000000);
		m = ask(0, 0);
		if (m.w[1] != 1)
			break;
	}
	check(m.w[1] == 2 && m.w[2] == 0x30, "bits after the request");

	/* Timeouts: 1 ms waits; sleeping 30 ms lets several pass. */
	ask(1, 1000000);
	uint64_t t0 = rw_clock_ns();
	rw_sleep_ns(30000000);
	uint64_t slept = rw_clock_ns() - t0;
	check(slept >= 30000000, "sleep lasts at least its time");
	m = ask(1, 0); /* (no timeout again) */
	printf("waitany: %llu timeouts in %llu ms\n", (unsigned long long)m.w[3],
	       (unsigned long long)(slept / 1000000));
	check(m.w[3] >= 5 && m.w[3] <= 40, "timeouts");
	uint64_t before = m.w[3];
	rw_sleep_ns(20000000);
	m = ask(0, 0);
	check(m.w[3] == before, "no timeout when none is asked for");

	m = ask(2, 0);
	check(m.w[0] == 1, "errors");

	if (failures) {
		printf("waitany: %d FAILED\n", failures);
		return 1;
	}
	printf("waitany: all ok\n");
	return 0;
}
