/* wakeback_server (serves "wk", owns "wk_note"; txipc): two sealed cells; SET (label 1: w0)
 * stores cell 0, GET (label 2) answers cell 0 (w0), the bits its wakes brought (w1) and how many
 * wakes it handled (w2).  Each wake first checks both cells' seals, so a bit flipped into cell 1
 * (TxIpcReplayTest) makes the work after a wake fault until a history replay mends it. */
#include <rewind/rewind.h>

#define SEAL 0x5ea15ea15ea1ULL

struct cell {
	uint64_t value, seal;
};

struct cell wk_cells[2] = { { 0, SEAL }, { 7, 7 ^ SEAL } };
static uint64_t events, wakes;

int main(void)
{
	rw_cap ep, note;
	rw_msg m;
	uint64_t badge, bits;

	RW_ASSERT(rw_cap_get("wk", &ep) == 0);
	RW_ASSERT(rw_cap_get("wk_note", &note) == 0);
	for (;;) {
		long r = rw_wait_any(ep, note, 0, &m, &badge, &bits);
		if (r == RW_WOKEN) {
			for (int i = 0; i < 2; i++)
				RW_ASSERT(wk_cells[i].seal == (wk_cells[i].value ^ SEAL));
			events |= bits;
			wakes++;
			continue;
		}
		RW_ASSERT(r == 0);
		if (m.label == 1) {
			wk_cells[0].value = m.w[0];
			wk_cells[0].seal = m.w[0] ^ SEAL;
			m = (rw_msg){ 0, { 0, 0, 0, 0 }, 0 };
		} else if (m.label == 2) {
			RW_ASSERT(wk_cells[0].seal == (wk_cells[0].value ^ SEAL));
			m = (rw_msg){ 0, { wk_cells[0].value, events, wakes, 0 }, 0 };
		} else {
			m = (rw_msg){ (uint64_t)RW_ENOSYS, { 0, 0, 0, 0 }, 0 };
		}
		RW_ASSERT(rw_reply(&m) == 0);
	}
}
