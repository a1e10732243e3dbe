/*
 * nic_driver - network card driver serving endpoint "nic" for device "eth0".
 *
 * Protocol: <rewind/nic.h>, guest/abi/nic.proto (rw_dispatch checks each
 * request's words and length against the generated rules before a handler
 * runs) and docs/DEVICES.md (the NIC, kind "net").
 *
 * Rings: RX_SLOTS receive and TX_SLOTS transmit descriptors in this task's
 * .bss, each slot with its own BUF_SIZE-byte buffer; the device reaches them
 * through the IOMMU at our own virtual addresses.  RX: slots
 * [RX_HEAD, RX_TAIL) hold empty buffers, the device fills them and advances
 * RX_HEAD; `rx_next` is the next filled slot to hand over; each slot handed
 * over is posted again at the tail at once (one slot always stays unposted,
 * so HEAD == TAIL means "none posted").  TX: a SEND copies the frame into
 * the slot at the tail and advances TX_TAIL; the device sends it inside that
 * store and marks the descriptor DONE (or DONE|ERROR).
 *
 * The driver waits with WAIT_ANY on its endpoint and the device capability
 * (the interrupt).  On an RX interrupt with frames waiting it NOTIFYs "net_rx"
 * (bit NIC_RX_BIT) unless it already did since the last RECV: the stack then
 * drains with RECV until NIC_EAGAIN.  The driver never calls anyone.
 *
 * State: the sessions (client badge -> filter bits), whose union is the
 * card's FILTER, and the MAC (power-on value, or what SET_MAC set).  Under
 * recovery = "shadow" the kernel re-issues the sessions' OPENs and SET_MAC;
 * the restarted driver resets the card and sets up fresh rings.  A frame the
 * card received but the driver had not handed over is lost (TCP retransmits).
 *
 * The device is not trusted: indices read from it are bounded by the ring
 * size, a descriptor's length by its buffer and the MTU, its flags checked;
 * a bad one is dropped (counted), never followed.
 */
#include <stdio.h>
#include <string.h>
#include <rewind/nic.h>
#include <rewind/driver.h>

#define DEV_NAME   "eth0"   /* the network device this driver owns */
#define EP_NAME    "nic"    /* the endpoint it serves */
#define NOTIF_NAME "net_rx" /* the stack's notification */

/* ---- device registers (docs/DEVICES.md, the NIC) ---- */
#define REG_STATUS     0x10
#define REG_IRQ_ENABLE 0x14
#define REG_IRQ_STATUS 0x18
#define REG_MAC        0x20 /* 64-bit */
#define REG_FILTER     0x28
#define REG_MTU        0x2c
#define REG_TX_RING    0x30 /* 64-bit */
#define REG_RX_RING    0x38 /* 64-bit */
#define REG_TX_SIZE    0x40
#define REG_RX_SIZE    0x44
#define REG_TX_TAIL    0x48
#define REG_TX_HEAD    0x4c
#define REG_RX_TAIL    0x50
#define REG_RX_HEAD    0x54
#define REG_ENABLE     0x58
#define REG_RX_FRAMES  0x60 /* 64-bit counters */
#define REG_TX_FRAMES  0x68
#define REG_RX_DROPPED 0x70
#define REG_TX_ERRORS  0x78

#define STATUS_LINK_UP 1u
#define STATUS_RX_ON   2u
#define IRQ_RX         1u
#define IRQ_TX         2u
#define IRQ_LINK       4u
#define ENABLE_RX      1u
#define ENABLE_TX      2u
#define DESC_DONE      1u
#define DESC_ERROR     2u

#define RX_SLOTS     32u
#define TX_SLOTS     32u
#define BUF_SIZE     2048u
#define MAX_SESSIONS 8
#define MAC_BITS     0xffffffffffffULL

typedef struct desc {
	uint64_t addr;
	uint32_t len;
	uint32_t flags;
} desc;

_Static_assert(sizeof(desc) == 16, "a descriptor is 16 bytes");
_Static_assert(BUF_SIZE >= NIC_MTU, "a buffer holds the largest frame");
_Static_assert(NIC_MTU <= RW_IPC_BUF_SIZE, "a frame fits the IPC buffer");

static volatile desc rx_ring[RX_SLOTS] __attribute__((aligned(16)));
static volatile desc tx_ring[TX_SLOTS] __attribute__((aligned(16)));
static uint8_t rx_buf[RX_SLOTS][BUF_SIZE] __attribute__((aligned(16)));
static uint8_t tx_buf[TX_SLOTS][BUF_SIZE] __attribute__((aligned(16)));

static rw_session sessions[MAX_SESSIONS]; /* client badge -> filter bits */
static rw_cap dev;                        /* device capability */
static rw_cap rx_notif;                   /* "net_rx" */
static int have_notif;
static uintptr_t base;     /* its registers */
static uint64_t mac;       /* the station address */
static uint32_t rx_next;   /* next RX slot to hand over */
static uint32_t rx_tail;   /* our RX_TAIL: first unposted slot */
static uint32_t tx_tail;   /* our TX_TAIL */
static int notified;       /* NOTIFYed since the last RECV */
static uint64_t bad_descs; /* descriptors the device left in a state we refused */

/* ---- device ---- */

static void post_rx(uint32_t slot)
{
	rx_ring[slot].addr = (uint64_t)(uintptr_t)rx_buf[slot];
	rx_ring[slot].len = BUF_SIZE;
	rx_ring[slot].flags = 0;
}

/* Sets up fresh rings and turns RX and TX on.  Returns 0 or -1. */
static int rings_init(void)
{
	for (uint32_t i = 0; i < RX_SLOTS; i++)
		post_rx(i);
	for (uint32_t i = 0; i < TX_SLOTS; i++) {
		tx_ring[i].addr = (uint64_t)(uintptr_t)tx_buf[i];
		tx_ring[i].len = 0;
		tx_ring[i].flags = 0;
	}
	rw_mmio_write32(base, REG_ENABLE, 0); /* (turning on below resets the indices) */
	rw_mmio_write64(base, REG_RX_RING, (uint64_t)(uintptr_t)rx_ring);
	rw_mmio_write64(base, REG_TX_RING, (uint64_t)(uintptr_t)tx_ring);
	rw_mmio_write32(base, REG_RX_SIZE, RX_SLOTS);
	rw_mmio_write32(base, REG_TX_SIZE, TX_SLOTS);
	rw_mmio_write32(base, REG_ENABLE, ENABLE_RX | ENABLE_TX);
	if ((rw_mmio_read32(base, REG_ENABLE) & (ENABLE_RX | ENABLE_TX)) !=
	    (ENABLE_RX | ENABLE_TX)) {
		printf("nic: the card refused the rings (ENABLE = %u)\n",
		       (unsigned)rw_mmio_read32(base, REG_ENABLE));
		return -1;
	}
	rx_next = 0;
	tx_tail = 0;
	rx_tail = RX_SLOTS - 1; /* every slot but one posted */
	rw_mmio_write32(base, REG_RX_TAIL, rx_tail);
	return 0;
}

/* The union of every session's filter: what the card accepts. */
static void update_filter(void)
{
	uint64_t f = 0;

	for (size_t i = 0; i < MAX_SESSIONS; i++)
		if (sessions[i].used)
			f |= sessions[i].value;
	rw_mmio_write32(base, REG_FILTER, (uint32_t)(f & NIC_F_ALL));
}

/* RX_HEAD as the device says, or -1 if it is out of the ring. */
static long rx_head(void)
{
	uint32_t h = rw_mmio_read32(base, REG_RX_HEAD);

	return h < RX_SLOTS ? (long)h : -1;
}

/* Frames filled and not yet handed over (the device's RX_HEAD is trusted
 * only inside [rx_next, rx_tail]). */
static int rx_waiting(void)
{
	long h = rx_head();

	if (h < 0)
		return 0;
	uint32_t filled = ((uint32_t)h - rx_next) % RX_SLOTS;
	uint32_t posted = (rx_tail - rx_next) % RX_SLOTS;
	return filled > 0 && filled <= posted;
}

/* Hands slot rx_next back to the device at the tail. */
static void rx_consume(void)
{
	post_rx(rx_tail); /* the unposted slot: its buffer is free */
	rx_tail = (rx_tail + 1) % RX_SLOTS;
	rx_next = (rx_next + 1) % RX_SLOTS;
	rw_mmio_write32(base, REG_RX_TAIL, rx_tail);
}

/* ---- sessions ---- */

static long need_session(uint64_t badge)
{
	return rw_session_find(sessions, MAX_SESSIONS, badge) ? 0 : NIC_ENOTOPEN;
}

/* ---- requests ---- */

static long do_info(const rw_request *r)
{
	uint32_t mtu = rw_mmio_read32(base, REG_MTU);

	r->out->w[0] = mac;
	r->out->w[1] = mtu >= NIC_MIN_FRAME && mtu <= NIC_MTU ? mtu : NIC_MTU;
	r->out->w[2] = rw_mmio_read32(base, REG_STATUS) & STATUS_LINK_UP;
	return 0;
}

static long do_open(const rw_request *r)
{
	if (!rw_session_open(sessions, MAX_SESSIONS, r->badge, r->in->w[0]))
		return RW_ENOMEM;
	update_filter();
	return 0;
}

static long do_close(const rw_request *r)
{
	rw_session_close(sessions, MAX_SESSIONS, r->badge);
	update_filter();
	return 0;
}

static long do_set_mac(const rw_request *r)
{
	long st = need_session(r->badge);
	if (st < 0)
		return st;
	mac = r->in->w[0] & MAC_BITS;
	rw_mmio_write64(base, REG_MAC, mac);
	return 0;
}

static long do_send(const rw_request *r)
{
	long st = need_session(r->badge);
	if (st < 0)
		return st;
	uint32_t len = (uint32_t)r->in->w[0]; /* the rule: NIC_MIN_FRAME..NIC_MTU */
	uint32_t slot = tx_tail;

	memcpy(tx_buf[slot], rw_ipc_buf(), len);
	tx_ring[slot].addr = (uint64_t)(uintptr_t)tx_buf[slot];
	tx_ring[slot].len = len;
	tx_ring[slot].flags = 0;
	tx_tail = (tx_tail + 1) % TX_SLOTS;
	rw_mmio_write32(base, REG_TX_TAIL, tx_tail); /* sent inside this store */
	rw_mmio_write32(base, REG_IRQ_STATUS, IRQ_TX);
	uint32_t flags = tx_ring[slot].flags;
	if (rw_mmio_read32(base, REG_TX_HEAD) != tx_tail || !(flags & DESC_DONE) ||
	    (flags & DESC_ERROR)) {
		/* Not sent (a ring turned off after a fault, a DMA fault): set
		 * up both rings afresh (frames waiting in RX are lost; TCP
		 * retransmits). */
		printf("nic: TX failed (flags %u): rings reset\n", (unsigned)flags);
		rings_init();
		return NIC_EIO;
	}
	r->out->w[0] = len;
	return 0;
}

static long do_recv(const rw_request *r)
{
	long st = need_session(r->badge);
	if (st < 0)
		return st;
	notified = 0;
	while (rx_waiting()) {
		volatile desc *d = &rx_ring[rx_next];
		uint32_t flags = d->flags, len = d->len;
		uint8_t *buf = rx_buf[rx_next];

		if (!(flags & DESC_DONE) || (flags & DESC_ERROR) || len < NIC_MIN_FRAME ||
		    len > NIC_MTU) {
			if (!(flags & DESC_ERROR))
				bad_descs++; /* the device's own errors are in RX_DROPPED */
			rx_consume();
			continue;
		}
		memcpy(rw_ipc_buf(), buf, len);
		rx_consume();
		r->out->w[0] = len;
		r->out->len = len;
		return 0;
	}
	/* The card turns a ring off when a DMA into it faults: set up afresh. */
	if (!(rw_mmio_read32(base, REG_STATUS) & STATUS_RX_ON)) {
		printf("nic: RX was off: rings reset\n");
		rings_init();
	}
	return NIC_EAGAIN;
}

static long do_stats(const rw_request *r)
{
	r->out->w[0] = rw_mmio_read64(base, REG_RX_FRAMES);
	r->out->w[1] = rw_mmio_read64(base, REG_TX_FRAMES);
	r->out->w[2] = rw_mmio_read64(base, REG_RX_DROPPED) + bad_descs;
	r->out->w[3] = rw_mmio_read64(base, REG_TX_ERRORS);
	return 0;
}

static const rw_op ops[] = { NIC_OPS(do_) };

/* The interrupt: acknowledge, and tell the stack about waiting frames. */
static void interrupt(void)
{
	uint32_t causes = rw_mmio_read32(base, REG_IRQ_STATUS);

	rw_mmio_write32(base, REG_IRQ_STATUS, causes);
	if (causes & IRQ_LINK)
		printf("nic: link %s\n",
		       rw_mmio_read32(base, REG_STATUS) & STATUS_LINK_UP ? "up" : "down");
	if (!notified && have_notif && rx_waiting()) {
		notified = 1;
		rw_notify(rx_notif, NIC_RX_BIT);
	}
}

/* Finds, checks and resets the device; sets up the rings.  Returns 0 or -1. */
static int device_init(void)
{
	long r = rw_device_open(DEV_NAME, RW_DEV_NET, &base, &dev);

	if (r < 0) {
		printf("nic: cannot open device \"%s\": %s\n", DEV_NAME, rw_strerror(r));
		return -1;
	}
	mac = rw_mmio_read64(base, REG_MAC) & MAC_BITS;
	if (rings_init() < 0)
		return -1;
	rw_mmio_write32(base, REG_FILTER, 0);
	rw_mmio_write32(base, REG_IRQ_ENABLE, IRQ_RX | IRQ_LINK);
	return 0;
}

int main(void)
{
	rw_cap ep;
	long r = rw_cap_get(EP_NAME, &ep);

	if (r < 0) {
		printf("nic: no endpoint \"%s\" (%s)\n", EP_NAME, rw_strerror(r));
		return 1;
	}
	have_notif = rw_cap_get(NOTIF_NAME, &rx_notif) == 0;
	if (!have_notif)
		printf("nic: no notification \"%s\": the stack must poll\n", NOTIF_NAME);
	if (device_init() < 0)
		return 1;
	uint8_t m[6];
	nic_mac_unpack(mac, m);
	printf("nic: ready (%02x:%02x:%02x:%02x:%02x:%02x, link %s)\n", m[0], m[1], m[2], m[3],
	       m[4], m[5], rw_mmio_read32(base, REG_STATUS) & STATUS_LINK_UP ? "up" : "down");
	for (;;) {
		rw_msg msg;
		uint64_t badge = 0, bits = 0;

		r = rw_wait_any(ep, dev, 0, &msg, &badge, &bits);
		if (r == 0) {
			int recv = msg.label == NIC_RECV;
			rw_dispatch(ops, RW_NOPS(ops), &msg, badge, NULL);
			int again = recv && (long)msg.label == NIC_EAGAIN;
			r = rw_reply(&msg);
			if (r == RW_ETOOBIG)
				rw_panic("nic: reply longer than the IPC buffer");
			/* The stack drained the ring and will wait: a frame that
			 * came in while requests were preferred over the
			 * interrupt is signalled now, not at the next one. */
			if (again)
				interrupt();
		} else if (r == RW_WOKEN) {
			interrupt();
		} else if (r == RW_ECAP || r == RW_ESTATE) {
			rw_panic("nic: WAIT_ANY on the endpoint and the device failed");
		}
	}
}
