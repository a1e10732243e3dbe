/*
 * tty_driver - character driver serving endpoint "tty" for device "uart0".
 *
 * Protocol: see <rewind/tty.h>, guest/abi/tty.proto (rw_dispatch checks
 * each request's words and buffer length against the rules generated from
 * it) and docs/DEVICES.md.  WRITE transmits the
 * bytes one at a time through TXDATA (TX_READY is always set on this UART),
 * turning "\n" into "\r\n" for sessions opened with TTY_CRLF, and skips the
 * first `resume` bytes it would transmit (set by the kernel's shadow when it
 * re-issues a write cut short by a driver failure).  READ returns what is in
 * the RX FIFO (at most max bytes); when the FIFO is empty it enables the RX
 * interrupt and waits for input or end of input, so one reader blocks the
 * driver (one request at a time, like every server here).
 *
 * State: the open sessions (client badge -> mode) in a small table.  Every
 * request field is checked: garbage gets RW_EINVAL, never a crash.
 *
 * Restartable: the driver resets the UART (CONTROL = RESET; received bytes
 * stay in the FIFO) when it starts and keeps nothing a client cannot rebuild
 * by repeating its requests; under recovery = "shadow" the kernel re-issues
 * the sessions' TTY_OPENs and the request in flight.
 */
#include <stdio.h>
#include <string.h>
#include <rewind/driver.h>
#include <rewind/tty.h>

#define DEV_NAME "uart0" /* the UART this driver owns */
#define EP_NAME  "tty"   /* the endpoint it serves */

/* ---- device registers (docs/DEVICES.md) ---- */
#define REG_MAGIC      0x00
#define REG_DEVICE_ID  0x04
#define REG_STATUS     0x10
#define REG_IRQ_ENABLE 0x14
#define REG_IRQ_STATUS 0x18
#define REG_CONTROL    0x1c
#define REG_TXDATA     0x20
#define REG_RXDATA     0x24

#define DEV_MAGIC       0x56445752u /* "RWDV" */
#define DEV_ID_UART     1u
#define STATUS_RX_READY (1u << 0)
#define STATUS_RX_EOF   (1u << 2)
#define IRQ_RX          1u
#define CONTROL_RESET   1u
#define RX_VALID        (1u << 8)

#define MAX_SESSIONS 64

static rw_session sessions[MAX_SESSIONS]; /* client badge -> mode */
static rw_cap dev;                        /* device capability */
static uintptr_t base;                    /* its registers */

/* ---- sessions ---- */

static rw_session *find_session(uint64_t badge)
{
	return rw_session_find(sessions, MAX_SESSIONS, badge);
}

/* ---- requests ---- */

static long do_open(const rw_request *r)
{
	/* reopening replaces the mode */
	return rw_session_open(sessions, MAX_SESSIONS, r->badge, r->in->w[0]) ? 0 : RW_ENOMEM;
}

/* Closing without a session is not an error (a repeated CLOSE is harmless). */
static long do_close(const rw_request *r)
{
	rw_session_close(sessions, MAX_SESSIONS, r->badge);
	return 0;
}

static long do_write(const rw_request *r)
{
	uint64_t len = r->in->w[0], resume = r->in->w[1];
	rw_session *s = find_session(r->badge);
	if (!s)
		return TTY_ENOTOPEN;

	const uint8_t *buf = rw_ipc_buf(); /* the request's bytes */
	uint64_t out = 0;                  /* bytes the translated output has so far */
	for (uint64_t i = 0; i < len; i++) {
		if ((s->value & TTY_CRLF) && buf[i] == '\n') {
			if (out++ >= resume)
				rw_mmio_write32(base, REG_TXDATA, '\r');
		}
		if (out++ >= resume)
			rw_mmio_write32(base, REG_TXDATA, buf[i]);
	}
	r->out->w[0] = len;
	return 0;
}

/*
 * Blocks until the RX FIFO has a byte (returns 1) or input has ended
 * (returns 0).  Returns RW_EIO if waiting for the interrupt fails.
 */
static long wait_input(void)
{
	for (;;) {
		/* Clear an old cause first, so that the wait below is for news. */
		rw_mmio_write32(base, REG_IRQ_STATUS, IRQ_RX);
		uint32_t st = rw_mmio_read32(base, REG_STATUS);
		if (st & STATUS_RX_READY)
			return 1;
		if (st & STATUS_RX_EOF)
			return 0;
		/* Input arriving from here on is pending, and enabling a pending
		 * cause raises the line: no wake-up can be missed. */
		uint64_t bits = 0;
		rw_mmio_write32(base, REG_IRQ_ENABLE, IRQ_RX);
		long r = rw_wait(dev, &bits);
		rw_mmio_write32(base, REG_IRQ_ENABLE, 0);
		if (r < 0)
			return RW_EIO;
	}
}

static long do_read(const rw_request *r)
{
	uint64_t max = r->in->w[0];

	if (!find_session(r->badge))
		return TTY_ENOTOPEN;
	long st = wait_input();
	if (st <= 0)
		return st; /* error, or end of input: n = 0 */

	uint8_t *out = rw_ipc_buf();
	uint64_t n = 0;
	while (n < max) {
		uint32_t v = rw_mmio_read32(base, REG_RXDATA);
		if (!(v & RX_VALID))
			break; /* FIFO empty */
		out[n++] = (uint8_t)v;
	}
	r->out->w[0] = n;
	r->out->len = n;
	return 0;
}

static const rw_op ops[] = { TTY_OPS(do_) };

/* Finds, checks and resets the UART. Returns 0 or -1. */
static int device_init(void)
{
	long r = rw_device_open(DEV_NAME, RW_DEV_UART, &base, &dev);

	if (r < 0) {
		printf("tty: cannot open device \"%s\": %s\n", DEV_NAME, rw_strerror(r));
		return -1;
	}
	return 0;
}

int main(void)
{
	rw_cap ep;
	long r = rw_cap_get(EP_NAME, &ep);

	if (r < 0) {
		printf("tty: no endpoint \"%s\" (%s)\n", EP_NAME, rw_strerror(r));
		return 1;
	}
	if (device_init() < 0)
		return 1;
	printf("tty: ready\n");
	rw_serve_ops(ep, ops, RW_NOPS(ops), NULL);
}
