/*
 * twocall_server (serves "twocall", uses "slots", recovery = "txipc") - two nested calls in each
 * request: it increments slot 0 of slot_server, then slot 1, each call made again while it answers
 * ERECOVERED, asserts both answers against its own count and answers the count in w0.
 * TxIpcCalleeTest hangs slot_server in the second call: its deadline rolls that call back
 * (ERECOVERED), while twocall, whose deadline counts the time it waited, faults as it wakes. Its
 * run again answers the first call from the record and the second, ERECOVERED, too; the call made
 * again after it reached nobody in the first run, and is sent (an outside job queue's COMPLETE,
 * whose audit server hung in its second call, ended in EINDOUBT: seed 1601022).
 */
#include <stdint.h>
#include <rewind/rewind.h>

static rw_cap slots;
static uint64_t count;

static uint64_t increment(uint64_t label)
{
	rw_msg c;
	long r;
	RW_RETRY_RECOVERED(r, (c = (rw_msg){ label, { 0, 0, 0, 0 }, 0 }, rw_rpc(slots, &c)), 4);
	RW_ASSERT(r == 0);
	return c.w[0];
}

static void handle(rw_msg *m, uint64_t badge, void *ctx)
{
	(void)badge;
	(void)ctx;
	if (m->label != 1) {
		m->label = (uint64_t)RW_ENOSYS;
		m->len = 0;
		return;
	}
	uint64_t a = increment(1);
	uint64_t b = increment(2);
	RW_ASSERT(a == count + 1 && b == count + 1);
	count++;
	m->label = 0;
	m->w[0] = count;
	m->w[1] = m->w[2] = m->w[3] = 0;
	m->len = 0;
}

int main(void)
{
	rw_cap ep;
	RW_ASSERT(rw_cap_get("twocall", &ep) == 0);
	RW_ASSERT(rw_cap_get("slots", &slots) == 0);
	rw_serve(ep, handle, NULL);
}
