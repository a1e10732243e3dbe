/* waitany_server (serves "wa", owns notification "wa_note"): waits with WAIT_ANY on its
 * endpoint, its notification and a timeout, and answers each request with what ended its last
 * waits: label = 0, w0 = requests seen, w1 = notification wakes, w2 = bits of the last wake,
 * w3 = timeouts.  A request with label 1 sets the timeout to w0 ns (0: none) for the next waits.
 * A request with label 2 checks the errors WAIT_ANY gives while a reply is owed and for bad
 * arguments, answering w0 = 1 if all were as documented.  A wake whose bits include 0x100 counts
 * itself, then stores through a null pointer (under txipc the count is rolled back); so does a
 * request with label 3. */
#include <stdio.h>
#include <rewind/rewind.h>

/* In memory (not registers), so that a rollback has something to undo. */
static volatile uint64_t requests, wakes, last_bits, timeouts;

int main(void)
{
	rw_cap ep, note;
	uint64_t timeout = 0;

	if (rw_cap_get("wa", &ep) < 0 || rw_cap_get("wa_note", &note) < 0) {
		printf("waitany_server: missing capabilities\n");
		return 1;
	}
	for (;;) {
		rw_msg m;
		uint64_t badge = 0, bits = 0;
		long r = rw_wait_any(ep, note, timeout, &m, &badge, &bits);

		if (r == RW_WOKEN) {
			wakes++;
			last_bits = bits;
			if (bits & 0x100)
				*(volatile int *)RW_OPAQUE((uintptr_t)0) = 1;
			continue;
		}
		if (r == RW_ETIMEDOUT) {
			timeouts++;
			continue;
		}
		if (r != 0) {
			printf("waitany_server: wait_any failed: %s\n", rw_strerror(r));
			return 1;
		}
		requests++;
		if (m.label == 3) {
			requests += 100; /* undone with the request */
			*(volatile int *)RW_OPAQUE((uintptr_t)0) = 1;
		}
		if (m.label == 1) {
			timeout = m.w[0];
		} else if (m.label == 2) {
			int ok = 1;
			/* A reply is owed: receiving again is ESTATE; waiting on the notification alone is fine. */
			ok &= rw_wait_any(ep, RW_CAP(-1), 1000, 0, 0, 0) == RW_ESTATE;
			ok &= rw_wait_any(RW_CAP(-1), RW_CAP(-1), 0, 0, 0, 0) == RW_EINVAL;
			ok &= rw_wait_any(RW_CAP(-1), RW_CAP(-1), (uint64_t)-5, 0, 0, 0) ==
			      RW_EINVAL;
			ok &= rw_wait_any(RW_CAP(999), RW_CAP(-1), 1000, 0, 0, 0) == RW_ECAP;
			ok &= rw_wait_any(RW_CAP(-1), ep, 1000, 0, 0, 0) ==
			      RW_ECAP; /* an endpoint is no notification */
			ok &= rw_wait_any(RW_CAP(-1), note, 2000000, 0, 0, &bits) == RW_ETIMEDOUT;
			m.w[0] = (uint64_t)ok;
			m.label = 0;
			m.len = 0;
			rw_reply(&m);
			continue;
		}
		m.label = 0;
		m.w[0] = requests;
		m.w[1] = wakes;
		m.w[2] = last_bits;
		m.w[3] = timeouts;
		m.len = 0;
		rw_reply(&m);
	}
}
