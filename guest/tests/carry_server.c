/*
 * carry_server - a txipc server whose requests copy data from one page to another, for the test
 * of a change made outside any request (a bit flipped in memory) that a committed request carried
 * on before it was found (TxIpcCarryTest).  carry_src and carry_dst are one page each.
 *
 * SET (label 1: w0 = index 0..511, w1 = value) writes carry_src[w0]; COPY (label 2) copies
 * carry_src into carry_dst, reading carry_src only; GET (label 3: w0 = index) answers
 * carry_dst[w0]; TOUCH (label 4) writes the last word of carry_src's page (a stamp), so that the
 * copy check before its reply compares that page with the last commit's copy; LATE (label 5)
 * answers, then writes the word before that one after its plain REPLY, before its next receive
 * (work after the reply, which only the check before the held reply's release sees).
 */
#include <string.h>
#include <rewind/rewind.h>

#define WORDS 512

uint64_t carry_src[WORDS] __attribute__((aligned(4096)));
uint64_t carry_dst[WORDS] __attribute__((aligned(4096)));

static long handle(rw_msg *m)
{
	uint64_t i = m->w[0];

	switch (m->label) {
	case 1:
		if (i >= WORDS - 1)
			return RW_EINVAL;
		carry_src[i] = m->w[1];
		m->w[0] = 0;
		return 0;
	case 2:
		memcpy(carry_dst, carry_src, sizeof carry_dst);
		m->w[0] = 0;
		return 0;
	case 3:
		if (i >= WORDS)
			return RW_EINVAL;
		m->w[0] = carry_dst[i];
		return 0;
	case 4:
		carry_src[WORDS - 1]++;
		m->w[0] = carry_src[WORDS - 1];
		return 0;
	case 5:
		m->w[0] = 0;
		return 0;
	}
	return RW_ENOSYS;
}

int main(void)
{
	rw_cap ep;
	rw_msg m;
	uint64_t badge;

	RW_ASSERT(rw_cap_get("carry", &ep) == 0);
	for (;;) {
		RW_ASSERT(rw_recv(ep, &m, &badge) == 0);
		int late = m.label == 5;
		long status = handle(&m);
		m.label = (uint64_t)status;
		m.w[1] = m.w[2] = m.w[3] = 0;
		m.len = 0;
		RW_ASSERT(rw_reply(&m) == 0);
		if (late)
			carry_src[WORDS - 2]++;
	}
}
