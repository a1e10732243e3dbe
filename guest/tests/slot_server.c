/*
 * slot_server (serves "slots", recovery = "txipc") - two sealed counters in one page, one
 * per client: label 1 increments slot 0 (slot_client_a's), label 2 slot 1
 * (slot_client_b's), and answers the new value in w0.  Each slot keeps a check word that the
 * server asserts before it uses the slot, so a bit flipped in a slot traps the next request
 * that reads it.  TxIpcReplayTest flips slot 0 while the server handles a request of
 * slot_client_b (which writes the same page and commits it): only slot_client_a's requests
 * then trap, while slot_client_b's commit in between.  TxIpcTest sets slot_exit behind its back
 * (as a fault that sends the server out of its loop would) to make it exit inside a request.
 */
#include <stdint.h>
#include <stdlib.h>
#include <rewind/rewind.h>

#define SEAL 0x51075eedULL

struct slot {
	uint64_t value, check;
};

/* both slots in one page (the test finds them by this symbol) */
struct slot slots[2] __attribute__((aligned(64)));
/* nonzero: exit with it inside the next request (set only by a test, in the server's memory) */
volatile uint64_t slot_exit;

static void handle(rw_msg *m, uint64_t badge, void *ctx)
{
	(void)badge;
	(void)ctx;
	if (slot_exit)
		exit((int)slot_exit);
	if (m->label != 1 && m->label != 2) {
		m->label = (uint64_t)RW_ENOSYS;
		m->len = 0;
		return;
	}
	struct slot *s = &slots[m->label - 1];
	RW_ASSERT(s->check == (s->value ^ SEAL));
	s->value++;
	s->check = s->value ^ SEAL;
	m->label = 0;
	m->w[0] = s->value;
	m->len = 0;
}

int main(void)
{
	rw_cap ep;
	RW_ASSERT(rw_cap_get("slots", &ep) == 0);
	slots[0].check = SEAL;
	slots[1].check = SEAL;
	rw_serve(ep, handle, NULL);
}
