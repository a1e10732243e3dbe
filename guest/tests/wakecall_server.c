/* wakecall_server (serves "wc", owns "wc_note", calls "echo"; txipc): wakeback_server's sealed
 * cells, with work after each wake that calls another server first (as a network stack drains
 * its driver), then, for bit 0x40, checks both cells' seals.  SET (label 1: w0) stores cell 0;
 * GET (label 2) answers cell 0 (w0), the bits its wakes brought (w1), how many wakes it handled
 * (w2) and how many echo calls answered right (w3).  A bit flipped into cell 1 before the first
 * wake (TxIpcReplayTest) makes the second wake fault until a history replay mends it, and that
 * replay must reach back across the first wake, which made a call. */
#include <rewind/rewind.h>

#define SEAL 0x5ea15ea15ea1ULL

struct cell {
	uint64_t value, seal;
};

struct cell wc_cells[2] = { { 0, SEAL }, { 7, 7 ^ SEAL } };
static uint64_t events, wakes, echoed;

int main(void)
{
	rw_cap ep, note, echo;
	rw_msg m;
	uint64_t badge, bits;

	RW_ASSERT(rw_cap_get("wc", &ep) == 0);
	RW_ASSERT(rw_cap_get("wc_note", &note) == 0);
	RW_ASSERT(rw_cap_get("echo", &echo) == 0);
	for (;;) {
		long r = rw_wait_any(ep, note, 0, &m, &badge, &bits);
		if (r == RW_WOKEN) {
			rw_msg e = { 7, { wakes, bits, 0, 0 }, 0 };
			if (rw_call(echo, &e) == 0 && e.label == 7 && e.w[0] == wakes &&
			    e.w[1] == bits)
				echoed++;
			if (bits & 0x40)
				for (int i = 0; i < 2; i++)
					RW_ASSERT(wc_cells[i].seal == (wc_cells[i].value ^ SEAL));
			events |= bits;
			wakes++;
			continue;
		}
		RW_ASSERT(r == 0);
		if (m.label == 1) {
			wc_cells[0].value = m.w[0];
			wc_cells[0].seal = m.w[0] ^ SEAL;
			m = (rw_msg){ 0, { 0, 0, 0, 0 }, 0 };
		} else if (m.label == 2) {
			RW_ASSERT(wc_cells[0].seal == (wc_cells[0].value ^ SEAL));
			m = (rw_msg){ 0, { wc_cells[0].value, events, wakes, echoed }, 0 };
		} else {
			m = (rw_msg){ (uint64_t)RW_ENOSYS, { 0, 0, 0, 0 }, 0 };
		}
		RW_ASSERT(rw_reply(&m) == 0);
	}
}
