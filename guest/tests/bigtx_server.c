/*
 * bigtx_server (serves "bigtx", recovery = "txipc") - a sealed value and a request that
 * writes more pages than a transaction's undo log holds (tx_log_pages, 1,024).  Label 1 sets
 * the value (w0), label 2 reads it back, label 3 fills w0 pages of a static area, then
 * asserts the seal and answers the value.  TxIpcCopyTest flips the value in memory between
 * requests, so the large request traps after it overflowed the log.
 */
#include <stdint.h>
#include <string.h>
#include <rewind/rewind.h>

#define SEAL 0xb16b16b1ULL

struct sealed {
	uint64_t value, check;
};

#define BIG_PAGES 1100
/* written by label 3: memory the server had before the request (not a fresh heap run,
 * which the rollback of the break takes away whole) */
static uint8_t bigtx_area[BIG_PAGES * 4096];

/* the test finds it by this symbol */
struct sealed bigtx_value __attribute__((aligned(64)));

static void handle(rw_msg *m, uint64_t badge, void *ctx)
{
	(void)badge;
	(void)ctx;
	m->len = 0;
	switch (m->label) {
	case 1:
		bigtx_value.value = m->w[0];
		bigtx_value.check = m->w[0] ^ SEAL;
		break;
	case 3:
		RW_ASSERT(m->w[0] <= BIG_PAGES);
		memset(bigtx_area, 0x5a, (size_t)m->w[0] * 4096);
		/* fall through */
	case 2:
		RW_ASSERT(bigtx_value.check == (bigtx_value.value ^ SEAL));
		m->w[0] = bigtx_value.value;
		break;
	default:
		m->label = (uint64_t)RW_ENOSYS;
		return;
	}
	m->label = 0;
}

int main(void)
{
	rw_cap ep;
	RW_ASSERT(rw_cap_get("bigtx", &ep) == 0);
	rw_serve(ep, handle, NULL);
}
