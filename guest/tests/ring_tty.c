/*
 * ring_tty - a tty driver of another design than drivers/tty_driver.c, for
 * the character shadow's tests (t_tty_ring.toml): its own loop around
 * rw_wait_any on the endpoint and the UART's interrupt, a 2 KiB receive ring
 * that READ serves from (filled at every wake, inside READ and after every
 * reply), an 8 KiB transmit ring that WRITE translates its bytes into and
 * drains to TXDATA before its reply, and sessions in a sorted array.
 *
 * Its drain loop is the shape that GCC 12 at -O2 miscompiled when MMIO
 * stores were plain volatile stores: the ring's index (an unsigned global)
 * may alias the register, so loop store motion kept the index in a register
 * and, at the loop's exit, stored the index and the last byte to TXDATA
 * again: every WRITE sent its last byte twice.  <rewind/driver.h>'s
 * rw_mmio_* now fence the compiler around each access (docs/DEVICES.md).
 * -DWRITE_BEHIND=1 drains the ring after the reply instead: a breach of the
 * tty contract (a WRITE reply means its bytes are on the line), caught by the
 * shadow at its first WRITE.
 */
#include <stdio.h>
#include <string.h>
#include <rewind/driver.h>
#include <rewind/proto.h>
#include <rewind/tty.h>

#ifndef WRITE_BEHIND
#define WRITE_BEHIND 0
#endif

/* UART registers (docs/DEVICES.md) */
#define U_STATUS  0x10u
#define U_IRQEN   0x14u
#define U_IRQST   0x18u
#define U_CONTROL 0x1cu
#define U_TXDATA  0x20u
#define U_RXDATA  0x24u
#define U_RXCOUNT 0x28u
#define ST_RX_EOF (1u << 2)
#define RX_VALID  (1u << 8)
#define IRQ_RX    1u

static uintptr_t regs;
static rw_cap dev, ep;

/* ---- sessions: sorted by badge ---- */
#define NSESS 16
struct sess {
	uint64_t badge;
	uint64_t mode;
};
static struct sess sess[NSESS];
static unsigned nsess;

/* index of badge, or where it would go; *hit says whether it is there */
static unsigned sess_pos(uint64_t badge, int *hit)
{
	unsigned lo = 0, hi = nsess;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		if (sess[mid].badge < badge)
			lo = mid + 1;
		else
			hi = mid;
	}
	*hit = lo < nsess && sess[lo].badge == badge;
	return lo;
}

static struct sess *sess_get(uint64_t badge)
{
	int hit;
	unsigned i = sess_pos(badge, &hit);
	return hit ? &sess[i] : NULL;
}

/* ---- receive ring ---- */
#define RXN 2048u
static unsigned char rxr[RXN];
static unsigned rx_head, rx_tail; /* free-running; count = tail - head */

static void rx_pull(void)
{
	while (rx_tail - rx_head < RXN) {
		uint32_t v = rw_mmio_read32(regs, U_RXDATA);
		if (!(v & RX_VALID))
			break;
		rxr[rx_tail++ % RXN] = (unsigned char)v;
	}
}

static void irq_ack(void)
{
	uint32_t p = rw_mmio_read32(regs, U_IRQST);
	if (p)
		rw_mmio_write32(regs, U_IRQST, p);
}

/* ---- transmit ring ---- */
#define TXN 8192u
static unsigned char txr[TXN];
static unsigned tx_head, tx_tail;

static void tx_drain(void)
{
	while (tx_head != tx_tail)
		rw_mmio_write32(regs, U_TXDATA, txr[tx_head++ % TXN]);
}

static void tx_put(unsigned char c)
{
	if (tx_tail - tx_head == TXN)
		tx_drain();
	txr[tx_tail++ % TXN] = c;
}

/* ---- requests ---- */
static long op_open(const rw_request *r)
{
	int hit;
	unsigned i = sess_pos(r->badge, &hit);

	if (!hit) {
		if (nsess == NSESS)
			return RW_ENOMEM;
		memmove(&sess[i + 1], &sess[i], (nsess - i) * sizeof sess[0]);
		nsess++;
		sess[i].badge = r->badge;
	}
	sess[i].mode = r->in->w[0];
	return 0;
}

static long op_close(const rw_request *r)
{
	int hit;
	unsigned i = sess_pos(r->badge, &hit);

	if (hit) {
		memmove(&sess[i], &sess[i + 1], (nsess - i - 1) * sizeof sess[0]);
		nsess--;
	}
	return 0;
}

static long op_write(const rw_request *r)
{
	struct sess *s = sess_get(r->badge);
	const unsigned char *p = rw_ipc_buf();
	uint64_t len = r->in->w[0], skip = r->in->w[1], k = 0;

	if (!s)
		return TTY_ENOTOPEN;
	int crlf = (s->mode & TTY_CRLF) != 0;
	for (uint64_t i = 0; i < len; i++) {
		if (crlf && p[i] == '\n' && k++ >= skip)
			tx_put('\r');
		if (k++ >= skip)
			tx_put(p[i]);
	}
#if !WRITE_BEHIND
	tx_drain();
#endif
	r->out->w[0] = len;
	return 0;
}

static long op_read(const rw_request *r)
{
	uint64_t max = r->in->w[0];
	unsigned char *p = rw_ipc_buf();

	if (!sess_get(r->badge))
		return TTY_ENOTOPEN;
	rx_pull();
	while (rx_tail == rx_head) {
		if (rw_mmio_read32(regs, U_STATUS) & ST_RX_EOF) {
			r->out->w[0] = 0;
			return 0;
		}
		uint64_t bits = 0;
		long w = rw_wait_any(RW_CAP(-1), dev, 20000000ull, NULL, NULL, &bits);
		RW_ASSERT(w == RW_WOKEN || w == RW_ETIMEDOUT);
		irq_ack();
		rx_pull();
	}
	uint64_t n = rx_tail - rx_head;
	if (n > max)
		n = max;
	for (uint64_t i = 0; i < n; i++)
		p[i] = rxr[rx_head++ % RXN];
	r->out->w[0] = n;
	r->out->len = n;
	return 0;
}

static const rw_op ops[] = { TTY_OPS(op_) };

int main(void)
{
	rw_msg m;
	uint64_t badge = 0, bits = 0;

	RW_ASSERT(rw_device_open("uart0", RW_DEV_UART, &regs, &dev) == 0);
	RW_ASSERT(rw_cap_get("tty", &ep) == 0);
	rw_mmio_write32(regs, U_IRQEN, IRQ_RX);
	printf("ring_tty: up (%s)\n", WRITE_BEHIND ? "write-behind" : "write-through");
	for (;;) {
		long r = rw_wait_any(ep, dev, 0, &m, &badge, &bits);
		if (r == RW_WOKEN) {
			irq_ack();
			rx_pull();
			continue;
		}
		RW_ASSERT(r == 0);
		rw_dispatch(ops, RW_NOPS(ops), &m, badge, NULL);
		long rr = rw_reply(&m);
		RW_ASSERT(rr == 0 || rr == RW_EDEAD);
		/* the work after each reply */
		tx_drain();
		rx_pull();
	}
}
