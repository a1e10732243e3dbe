/*
 * aftercall_server - a txipc server that answers with a plain REPLY and then calls another
 * server (echo), doing part of its work only after that call returns, as a network stack drains
 * its driver after a reply. The call sends the held reply first, so the request commits there
 * and the work after the call is a transaction of its own (TxIpc's continuation).
 *
 * ADD (label 1: w0 = amount) adds to the total and answers the new total; after its reply the
 * server calls echo with the total, and with the echoed word appends it to a journal and sets
 * its mirror, both sealed. CHECK (label 2) asserts the seals and answers the journal's length
 * (w0), the mirror (w1) and the total (w2). TxIpcContinuationTest strikes the work after a call:
 * rolled back and run again, the journal and the mirror stay whole; without a transaction there
 * the strike restarted the server and its state was lost.
 */
#include <rewind/rewind.h>

#define ENTRIES 256
#define SEAL    0x5eedc0ffee15900dULL

static uint64_t total, mirror, mirror_seal, journal_len;
static uint64_t journal[ENTRIES], journal_seal[ENTRIES];

int main(void)
{
	rw_cap ep, echo;
	rw_msg m;
	uint64_t badge;

	RW_ASSERT(rw_cap_get("aftercall", &ep) == 0);
	RW_ASSERT(rw_cap_get("echo", &echo) == 0);
	for (;;) {
		RW_ASSERT(rw_recv(ep, &m, &badge) == 0);
		int add = m.label == 1;
		if (add) {
			total += m.w[0];
			m.label = 0;
			m.w[0] = total;
		} else if (m.label == 2) {
			RW_ASSERT(mirror_seal == (mirror ^ SEAL));
			for (uint64_t i = 0; i < journal_len; i++)
				RW_ASSERT(journal_seal[i] == (journal[i] ^ SEAL ^ i));
			m.label = 0;
			m.w[0] = journal_len;
			m.w[1] = mirror;
			m.w[2] = total;
		} else {
			m.label = (uint64_t)RW_ENOSYS;
		}
		uint64_t sent = total;
		m.len = 0;
		RW_ASSERT(rw_reply(&m) == 0);
		if (!add)
			continue;
		/* after the reply: the call (which sends the reply), then the work with its answer */
		rw_msg e = { 7, { sent, ~sent, 0, 0 }, 0 };
		RW_ASSERT(rw_call(echo, &e) == 0);
		RW_ASSERT(e.label == 7 && e.w[0] == sent && e.w[1] == ~sent);
		if (journal_len < ENTRIES) {
			journal[journal_len] = e.w[0];
			journal_seal[journal_len] = e.w[0] ^ SEAL ^ journal_len;
			journal_len++;
		}
		mirror = e.w[0];
		mirror_seal = mirror ^ SEAL;
	}
}
