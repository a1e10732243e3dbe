/* notewd_server (serves "nw", signals "nw_note"; txipc): label 1 signals bits w1 on nw_note and
 * answers w0 + 1; with w2 = 1 it then stores through a null pointer, every time, so the request
 * is rolled back (ERECOVERED once retries run out) and its signal must go with it (t_notewd). */
#include <rewind/rewind.h>

static volatile uint64_t answered;

int main(void)
{
	rw_cap ep, note;
	RW_ASSERT(rw_cap_get("nw", &ep) == 0);
	RW_ASSERT(rw_cap_get("nw_note", &note) == 0);
	rw_msg m;
	uint64_t badge;
	RW_ASSERT(rw_recv(ep, &m, &badge) == 0);
	for (;;) {
		RW_ASSERT(m.label == 1);
		RW_ASSERT(rw_notify(note, m.w[1]) == 0);
		answered++;
		if (m.w[2] == 1)
			*(volatile uint64_t *)RW_OPAQUE((uintptr_t)0) = answered;
		m = (rw_msg){ 0, { m.w[0] + 1, answered, 0, 0 }, 0 };
		RW_ASSERT(rw_reply_recv(ep, &m, &badge) == 0);
	}
}
