/*
 * dualtail_server - a txipc server with its own loop (rw_recv, then a plain rw_reply) that,
 * after each reply and before its next receive, prints a line and counts it in tail_note: the
 * "tail" a plain REPLY leaves, which belongs to the request (its reply is held until the next
 * receive). Its manifest verifies every request (verify = "dual"), so each request runs twice
 * before its reply leaves. Requests: ADD (label 1, w0) answers the running total; TAILS (label 2)
 * answers how many tails ran. TxIpcVerifyTest checks that each tail runs and prints once, and
 * that a debugger sees it (breakpoints, a step over the reply).
 */
#include <stdio.h>
#include <rewind/rewind.h>

static uint64_t total, tails;

/* The tail: not inlined, so that a debugger can stop at it. */
__attribute__((noinline)) void tail_note(uint64_t label, uint64_t t)
{
	tails++;
	printf("dualtail: tail %llu (label %llu, total %llu)\n", (unsigned long long)tails,
	       (unsigned long long)label, (unsigned long long)t);
}

int main(void)
{
	rw_cap ep;
	rw_msg m;
	uint64_t badge;

	RW_ASSERT(rw_cap_get("dualtail", &ep) == 0);
	for (;;) {
		RW_ASSERT(rw_recv(ep, &m, &badge) == 0);
		uint64_t label = m.label;
		if (label == 1) {
			total += m.w[0];
			m.label = 0;
			m.w[0] = total;
		} else if (label == 2) {
			m.label = 0;
			m.w[0] = tails;
		} else {
			m.label = (uint64_t)RW_ENOSYS;
		}
		m.len = 0;
		RW_ASSERT(rw_reply(&m) == 0);
		tail_note(label, total);
	}
}
