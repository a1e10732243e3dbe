/*
 * reply_server (serves "rotor"): rotor_server's service (rotor_client checks
 * it) written the other way round: it answers with a plain REPLY and then
 * receives with a separate RECV, as a server written without the SDK's
 * rw_serve or rw_reply_recv might.  The kernel's recovery must treat such a
 * reply as it treats a REPLY_RECV (TxIpcVerifyTest: verify = "dual").
 *
 * Built as reply_server_toobig (-DTOOBIG_FIRST), it first tries each reply
 * with a buffer one byte over the IPC buffer, as a REPLY and as a
 * REPLY_RECV, both refused with ETOOBIG (the request stays open), and then
 * replies well: a refused reply is no reply, and verification must not
 * compare it with the good one (TxIpcVerifyTest).
 */
#include <stdio.h>
#include <rewind/rewind.h>

#define ROTATE_EVERY 64

static long tables[4][64];

int main(void)
{
	rw_cap ep;
	rw_msg m;
	uint64_t badge = 0;
	unsigned long n = 0;
	long r = rw_cap_get("rotor", &ep);

	if (r < 0) {
		printf("reply_server: no endpoint: %s\n", rw_strerror(r));
		return 1;
	}
	for (;;) {
		r = rw_recv(ep, &m, &badge);
		if (r < 0)
			continue;
		n++;
		long *table = tables[(n / ROTATE_EVERY) % 4];
		long v = (long)m.w[0];
		table[v & 63] += v;
		m.label = 0;
		m.w[0] = (uint64_t)table[v & 63];
		m.w[1] = m.w[2] = m.w[3] = 0;
		m.len = 0;
#ifdef TOOBIG_FIRST
		m.len = RW_IPC_BUF_SIZE + 1;
		RW_ASSERT(rw_reply(&m) == RW_ETOOBIG);
		rw_regs rr = { ep.slot, (long)m.label, (long)m.w[0],  0, 0,
			       0,       (long)m.len,   SYS_REPLY_RECV };
		rw_ecall(&rr);
		RW_ASSERT(rr.a0 == RW_ETOOBIG);
		m.len = 0;
#endif
		rw_reply(&m);
	}
}
