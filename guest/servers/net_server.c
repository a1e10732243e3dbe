/*
 * net_server - the TCP/IP stack (lwIP, NO_SYS, raw API) serving endpoint
 * "net" over the NIC driver's endpoint "nic".
 *
 * Protocol: <rewind/net.h>, guest/abi/net.proto (rw_dispatch checks the
 * words and lengths against the generated rules); the driver's in
 * <rewind/nic.h>.  The stack waits with WAIT_ANY on its endpoint, the
 * notification "net_rx" (the driver's "frames wait") and a timeout: the time
 * to lwIP's next timer.  It calls nobody but the driver (SEND for lwIP's
 * linkoutput, RECV to drain the card on each net_rx wake), and no request
 * blocks: what cannot complete now answers NET_EAGAIN, which the client
 * library retries with a back-off.  So every request starts and ends in one
 * transaction (what recovery = "txipc" needs), and there is no IPC cycle.
 *
 * Address: DHCP (slirp's server answers at once); with no lease after
 * FALLBACK_NS, the static 10.0.2.15/24, gateway 10.0.2.2 (said on the
 * console).
 *
 * Sockets: a table of MAX_SOCKETS, each owned by the badge of the client
 * that made it (LISTEN, CONNECT, or ACCEPT on its listening socket); a
 * client naming a socket it does not own gets NET_EBADF.  A socket id is
 * slot | generation << 8, so a stale id does not name a reused slot.  The
 * memory is bounded: lwIP's heap and pools (lwipopts.h) are static, and a
 * connection holds at most TCP_WND received bytes (the window reopens only
 * as the client reads: tcp_recved), a listening socket at most its backlog
 * of unaccepted connections (lwIP's delayed accept counts them until ACCEPT
 * hands them over, and drops SYNs beyond: the peers retry, none is reset),
 * a UDP socket at most NET_UDP_QUEUE datagrams, and all UDP sockets together
 * at most UDP_HELD_BYTES (copied out of the receive pool, so that datagrams
 * nobody reads do not starve TCP of buffers): beyond, datagrams are dropped.
 */
#include <stdio.h>
#include <string.h>
#include <rewind/net.h>
#include <rewind/nic.h>

#include "lwip/init.h"
#include "lwip/mem.h"
#include "lwip/dhcp.h"
#include "lwip/etharp.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/tcp.h"
#include "lwip/priv/tcp_priv.h" /* struct tcp_seg, TCP_TCPLEN: the send queue checks */
#include "lwip/udp.h"
#include "lwip/timeouts.h"
#include "netif/ethernet.h"

#ifndef NET_SECOND_STACK
#define EP_NAME     "net"
#define NOTIF_NAME  "net_rx"
#define STATIC_HOST 15
#else /* a second stack beside the first (tests/nic_wire.c joins the two) */
#define EP_NAME     "net2"
#define NOTIF_NAME  "net_rx2"
#define STATIC_HOST 16
#endif
#define NIC_NAME       "nic"
#define MAX_SOCKETS    256           /* a socket id keeps the slot in its low 8 bits */
#define FALLBACK_NS    2000000000ULL /* DHCP gives up: the static address */
#define RX_BATCH       64            /* frames drained per wake before serving requests */
#define REQ_BATCH      8             /* requests served in a row before looking at net_rx */
/* Receive livelock: the stack runs above its clients, so while frames keep
 * coming faster than it takes them (a flood), draining them would leave no
 * CPU to the lower-priority tasks whose requests it exists for.  Frames get
 * at most RX_SHARE_NS of each RX_WINDOW_NS; past that the stack waits for
 * requests and timers only, until the window ends, and frames wait on the
 * card (which drops what it cannot hold, at the edge, where a flood costs
 * nothing). */
#define RX_WINDOW_NS   10000000ULL /* 10 ms */
#define RX_SHARE_NS    6000000ULL  /* frames' share of a window while they keep coming */
#define UDP_HELD_BYTES (32 * 1024) /* received datagrams held unread, all sockets */
/* The driver NOTIFYs net_rx once until the stack's next RECV.  Under txipc
 * the work after a wake is undone by a fault, and the bits that woke it with
 * it (docs/RECOVERY.md): a fault before the drain's first RECV left the
 * driver silent and the stack waiting for frames for good.  So the stack
 * also drains at least every RX_POLL_NS, at whatever wake comes (lwIP's TCP
 * timer runs every 250 ms while connections exist). */
#define RX_POLL_NS     200000000ULL /* 200 ms */
#define REAP_NS        500000000ULL /* how often the sockets of clients that are gone are freed */

#define STATIC_ADDR NET_ADDR(10, 0, 2, STATIC_HOST)
#define STATIC_MASK NET_ADDR(255, 255, 255, 0)
#define STATIC_GW   NET_ADDR(10, 0, 2, 2)

enum { S_FREE, S_LISTEN, S_CONN, S_UDP };

/* A datagram received on a UDP socket, not yet read. */
struct dgram {
	struct pbuf *p; /* a PBUF_RAM copy */
	uint64_t sum;   /* rx_sum of its bytes as they came in */
	uint32_t addr;  /* the sender, host order */
	uint16_t port;
};

/* Received TCP bytes a client has not read yet, as they came in: one unit per
 * on_recv (a run of bytes of the connection's rx chain, in order), its length
 * and the rx_sum of its bytes (see "received bytes checked", below). */
#define RX_UNITS 16
struct rx_unit {
	uint32_t len;
	uint64_t sum;
};

struct sock {
	uint8_t kind;    /* S_* */
	uint8_t claimed; /* a connection ACCEPT has handed out (or made by CONNECT) */
	uint8_t connected;
	uint8_t eof;    /* the peer closed its side */
	uint8_t wshut;  /* SHUTDOWN: our side sends no more */
	long err;       /* NET_E* once the connection failed (lwIP freed the pcb) */
	uint16_t gen;   /* bumped when the slot is freed */
	uint64_t owner; /* badge of the client that owns it */
	struct tcp_pcb *pcb;
	struct pbuf *rx;             /* received, not yet read (at most TCP_WND bytes) */
	struct rx_unit ru[RX_UNITS]; /* rx's bytes as they came in, oldest first (a ring) */
	uint8_t ruh, run;
	/* listening: connections waiting for ACCEPT (socket slots), in order */
	uint8_t backlog, nq;
	uint8_t queue[NET_MAX_BACKLOG];
	int16_t listener; /* unclaimed connection: the listening slot */
	/* UDP: the pcb, and datagrams waiting for RECVFROM (a ring) */
	struct udp_pcb *upcb;
	uint8_t uhead, ucount;
	struct dgram uq[NET_UDP_QUEUE];
};

static struct sock socks[MAX_SOCKETS];
static struct netif nif;
static rw_cap nic, net_rx;
static int ready;            /* an address is configured */
static uint32_t udp_held;    /* bytes of datagrams held unread, all sockets */
static int nsocks;           /* sockets in use */
static uint64_t udp_dropped; /* datagrams dropped: a full queue, or no memory (STATS) */
static uint64_t t_start;

/* ---- platform hooks of lwIP (arch/cc.h) ---- */

u32_t sys_now(void)
{
	return (u32_t)(rw_clock_ns() / 1000000ULL);
}

unsigned int rw_lwip_rand(void)
{
	static uint64_t state;
	uint64_t x = state += rw_clock_ns() + 0x9e3779b97f4a7c15ULL;

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return (unsigned int)(x ^ (x >> 31));
}

void rw_lwip_assert(const char *msg, const char *file, int line)
{
	printf("net: lwIP assertion \"%s\" failed at %s:%d\n", msg, file, line);
	rw_panic("net: lwIP assertion failed");
}

/* A copy of payload bytes, checked against its source before anything uses
 * it (lwIP's MEMCPY, lwipopts.h, and the stack's copy of a request's
 * bytes).  A fault inside the copy that does not trap (a skipped store or
 * loop step, a flipped pointer or count register, a changed instruction in
 * memcpy) leaves wrong bytes that the checksum lwIP then computes over them
 * would carry to the peer, or that a RECV would hand to a client: nothing
 * downstream could tell.  The compare runs other code (memcmp) over the
 * caller's own arguments, so a transient fault in the copy shows as a
 * difference; the task then ends as faulted, and under txipc the request or
 * wake is undone and runs again.  dst and src never overlap here. */
void *net_copy_checked(void *dst, const void *src, size_t len)
{
	memcpy(dst, src, len);
	__asm__ volatile("" ::: "memory"); /* (the compare reads memory, not what the copy meant) */
	if (memcmp(dst, src, len) != 0)
		rw_panic("net: a copy differs from its source");
	return dst;
}

/* lwIP's LWIP_CHKSUM (lwipopts.h): the ones' complement sum of the 16-bit
 * words at dataptr, as lwIP's own (algorithm 2: words in memory order, a
 * start at an odd address swapped at the end), 8 bytes a step with the carry
 * out of each add put back in (RFC 1071: the sum does not depend on the
 * width it is added at).  Not inverted. */
typedef uint16_t __attribute__((may_alias)) ck_half;
typedef uint64_t __attribute__((may_alias)) rx_word;

unsigned short net_chksum(const void *dataptr, int len)
{
	const uint8_t *pb = dataptr;
	uint16_t t = 0;
	uint64_t sum = 0, acc = 0;
	int odd = (int)((uintptr_t)pb & 1);

	if (odd && len > 0) {
		((uint8_t *)&t)[1] = *pb++;
		len--;
	}
	for (; len > 1 && ((uintptr_t)pb & 7); pb += 2, len -= 2)
		sum += *(const ck_half *)pb;
	for (; len >= 8; pb += 8, len -= 8) {
		uint64_t w = *(const rx_word *)pb;
		acc += w;
		acc += acc < w; /* (the carry out goes back in) */
	}
	for (; len > 1; pb += 2, len -= 2)
		sum += *(const ck_half *)pb;
	if (len > 0)
		((uint8_t *)&t)[0] = *pb;
	sum += t + (acc & 0xffffffffu) + (acc >> 32);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	if (odd)
		sum = ((sum & 0xff) << 8) | (sum >> 8);
	return (unsigned short)sum;
}

/* A segment about to leave holds other bytes than tcp_write summed as it
 * queued them (lwipopts.h, TCP_CHECKSUM_ON_COPY_SANITY_CHECK). */
void net_sent_bytes_changed(void)
{
	rw_panic("net: queued bytes changed before they were sent");
}

/* ---- lwIP's heap, each allocation checked ----
 * pbuf_alloc's PBUF_RAM buffers (the data of segments being sent, received
 * data nobody has read yet) come from lwIP's first-fit heap (mem.c).  A
 * fault inside its search that does not trap (a skipped zero-extension of
 * a block's next index made a free block too small look big enough) hands
 * out a block that runs into the next one: what is written into it then
 * overwrites another buffer's bytes, a client's unread data among them,
 * long after the request that did it committed (an outside application's
 * campaign, `rewind inject netmix.toml --server net`, seed 1493739: a
 * byte of a connection's echo wrong).  So every allocation is linked into
 * the stack (ld --wrap=mem_malloc, the Makefile) through this check, which
 * looks at the block handed out and its neighbour only: used, at least as
 * long as asked for, and linked both ways with a next block that goes on
 * upwards.  A check that fails is a fault of the request or wake, which
 * txipc undoes.  It reads mem.c's block header, so it is tied to lwIP 2.1's
 * layout (struct mem without MEM_OVERFLOW_CHECK; the #if below). */
#if MEM_LIBC_MALLOC || MEM_USE_POOLS || MEM_OVERFLOW_CHECK || !defined(LWIP_VERSION_MAJOR) || \
        LWIP_VERSION_MAJOR != 2 || LWIP_VERSION_MINOR != 1
#error "the heap check reads lwIP 2.1's struct mem: look at mem.c again"
#endif
struct heap_block { /* mem.c's struct mem */
	mem_size_t next, prev;
	u8_t used;
};
#define HEAP_HDR  LWIP_MEM_ALIGN_SIZE(sizeof(struct heap_block))
#define HEAP_SIZE LWIP_MEM_ALIGN_SIZE(MEM_SIZE)
extern u8_t ram_heap[];
void *__real_mem_malloc(mem_size_t size);
void *__wrap_mem_malloc(mem_size_t size);

void *__wrap_mem_malloc(mem_size_t size)
{
	void *rmem = __real_mem_malloc(size);

	if (!rmem)
		return NULL;
	const u8_t *ram = (const u8_t *)LWIP_MEM_ALIGN(ram_heap);
	const struct heap_block *b = (const struct heap_block *)((const u8_t *)rmem - HEAP_HDR);
	mem_size_t at = (mem_size_t)((const u8_t *)b - ram);
	if (!b->used || b->next <= at || b->next > HEAP_SIZE ||
	    b->next - at - HEAP_HDR < LWIP_MEM_ALIGN_SIZE(size))
		rw_panic("net: lwIP's heap handed out a block shorter than asked for");
	if (b->next != HEAP_SIZE) {
		const struct heap_block *n = (const struct heap_block *)(ram + b->next);
		if (n->prev != at || n->next <= b->next || n->next > HEAP_SIZE)
			rw_panic("net: lwIP's heap block after an allocation is not linked to it");
	}
	return rmem;
}

/* ---- the netif over the NIC driver ---- */

/* (Re)opens our session with the driver after it restarted without a shadow
 * (RW_EDEAD, or NIC_ENOTOPEN from a fresh driver). */
static long nic_reopen(void)
{
	rw_cap_refresh(nic, NULL);
	return nic_call_open(nic, NIC_F_UNICAST | NIC_F_BROADCAST);
}

static long nic_retry(long r)
{
	return r == RW_EDEAD || r == NIC_ENOTOPEN || r == RW_ECAP;
}

/* Hands one frame (in the IPC buffer) to the driver: 0, or -1 if it was dropped. */
static int nic_send_frame(uint16_t len)
{
	for (int tries = 0; tries < 2; tries++) {
		long r = nic_call_send(nic, len, NULL);
		if (r >= 0)
			return 0;
		if (!nic_retry(r) || nic_reopen() < 0)
			break;
	}
	return -1;
}

/* Frames lwIP sends while a batch of received frames is processed (ACKs of
 * the data in them, segments their ACKs let out) are held here until that
 * work has committed: the stack then waits (WAIT_ANY, a txipc commit) before
 * tx_flush sends them.  Under txipc a fault in the work after a wake undoes
 * it, and the frames it took from the driver are gone; had their ACK left
 * already, the peer would never send that data again, and the connection
 * would hang for good.  Held, the ACK is undone with the work, and the peer
 * retransmits.  (A request's sends need no holding: a request that faulted
 * after a nested call is run again with its calls answered as the first
 * time.)  At most TX_HELD frames; the drain stops early when fewer than
 * TX_HELD_ROOM slots are free. */
#define TX_HELD      64
#define TX_HELD_ROOM 16
static uint8_t tx_held[TX_HELD][NIC_MTU];
static uint16_t tx_held_len[TX_HELD];
static int tx_nheld, tx_defer;

static void tx_flush(void)
{
	for (int i = 0; i < tx_nheld; i++) {
		memcpy(rw_ipc_buf(), tx_held[i], tx_held_len[i]); /* (a frame: frame_copy) */
		nic_send_frame(tx_held_len[i]);                   /* (dropped: TCP retransmits) */
	}
	tx_nheld = 0;
}

/* A whole frame out of pbuf p into dst, unchecked: its checksums were computed
 * before (lwIP's over the segment it built, with net_copy_checked), so a copy
 * garbled here is a frame the peer drops, which TCP sends again, not wrong
 * bytes taken.  Checking it would cost a second pass over every byte sent. */
static int frame_copy(struct pbuf *p, void *dst, uint16_t len)
{
	if (p->len == len) { /* (LWIP_NETIF_TX_SINGLE_PBUF: the frame is one pbuf) */
		memcpy(dst, p->payload, len);
		return 1;
	}
	return pbuf_copy_partial(p, dst, len, 0) == len;
}

static err_t link_output(struct netif *netif, struct pbuf *p)
{
	(void)netif;
	uint16_t len = p->tot_len;

	if (len < NIC_MIN_FRAME || len > NIC_MTU)
		return ERR_ARG;
	if (tx_defer) {
		if (tx_nheld == TX_HELD)
			return ERR_IF; /* dropped: TCP retransmits */
		if (!frame_copy(p, tx_held[tx_nheld], len))
			return ERR_BUF;
		tx_held_len[tx_nheld++] = len;
		return ERR_OK;
	}
	if (!frame_copy(p, rw_ipc_buf(), len))
		return ERR_BUF;
	return nic_send_frame(len) == 0 ? ERR_OK : ERR_IF; /* dropped: TCP retransmits */
}

static void status_changed(struct netif *netif)
{
	char a[16], m[16], g[16];

	if (ip4_addr_isany_val(*netif_ip4_addr(netif)))
		return;
	printf("net: %s netmask %s gateway %s (%s)\n",
	       net_addr_str(lwip_ntohl(ip4_addr_get_u32(netif_ip4_addr(netif))), a),
	       net_addr_str(lwip_ntohl(ip4_addr_get_u32(netif_ip4_netmask(netif))), m),
	       net_addr_str(lwip_ntohl(ip4_addr_get_u32(netif_ip4_gw(netif))), g),
	       dhcp_supplied_address(netif) ? "DHCP" : "static");
	ready = 1;
}

static err_t netif_setup(struct netif *netif)
{
	uint64_t mac = 0, mtu = 0, link = 0;
	long r = nic_call_info(nic, &mac, &mtu, &link);

	if (r < 0) {
		printf("net: nic INFO: %s\n", nic_strerror(r));
		return ERR_IF;
	}
	netif->name[0] = 'e';
	netif->name[1] = 'n';
	netif->output = etharp_output;
	netif->linkoutput = link_output;
	netif->mtu = (u16_t)(mtu - SIZEOF_ETH_HDR);
	netif->hwaddr_len = ETH_HWADDR_LEN;
	nic_mac_unpack(mac, netif->hwaddr);
	netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
	if (!link)
		printf("net: the link is down (no host network attached)\n");
	return ERR_OK;
}

/* Drains frames from the driver into lwIP.  Returns 1 if frames may still
 * wait (the batch ended first). */
static int rx_drain_held(void)
{
	for (int n = 0; n < RX_BATCH; n++) {
		if (TX_HELD - tx_nheld < TX_HELD_ROOM)
			return 1; /* send what is held first (after a commit) */
		uint64_t len = 0;
		long r = nic_call_recv(nic, &len);

		if (r == NIC_EAGAIN)
			return 0;
		if (r < 0) {
			if (nic_retry(r) && nic_reopen() >= 0)
				continue;
			return 0;
		}
		struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_POOL);
		if (!p)
			continue;  /* out of buffers: dropped, TCP retransmits */
		if (p->len == len) /* (a received frame: lwIP checks its checksums next) */
			memcpy(p->payload, rw_ipc_buf(), len);
		else
			pbuf_take(p, rw_ipc_buf(), (u16_t)len);
		if (nif.input(p, &nif) != ERR_OK)
			pbuf_free(p);
	}
	return 1;
}

/* Drains frames from the driver into lwIP, what lwIP sends meanwhile held
 * (tx_held).  Returns 1 if frames may still wait (the batch ended first). */
static int rx_drain(void)
{
	tx_defer = 1;
	int more = rx_drain_held();
	tx_defer = 0;
	return more;
}

/* ---- a connection's send queue, checked ----
 * A fault inside a request that does not trap can leave lwIP's state for a
 * connection wrong in a way its own code never notices: a segment shorter
 * than the bytes it was counted for (a nulled length register inside
 * tcp_write), more bytes queued than the client gave (a flipped length),
 * a sequence number off.  Nothing traps then, the request commits, and the
 * connection stops moving for good (the peer waits for a hole that is
 * never filled: the oracle polls until its budget ends) or carries bytes
 * nobody sent.  So what a request did to a connection is checked before it
 * answers, and a check that fails is a fault of the request (rw_panic),
 * which txipc undoes and runs again:
 *
 *  - the queues (unacked and unsent, merged by sequence number) hold one
 *    run of segments without a hole or an overlap, from at most lastack up
 *    to snd_lbb, the next byte to be queued (empty: lastack == snd_lbb; a
 *    FIN that tcp_send_fin put on a data segment may end it one further);
 *  - snd_queuelen counts their pbufs, and snd_buf plus their bytes is
 *    TCP_SND_BUF (lwIP adds back exactly what an ACK frees); each names
 *    the connection's ports (a skipped step of lwip_htons sent a SYN to
 *    another port: the connection was refused), and its pbuf chain's
 *    lengths add up and its reference count is 1 (2 while ARP holds it: a
 *    nulled register in pbuf_alloc left 0, and lwIP took the segment for
 *    one its driver still held and never sent it);
 *  - CONNECT made its connection to the address and port asked for, and
 *    LISTEN and UDP_BIND bound the port asked for (each worked out again);
 *  - a SEND queued exactly the bytes it answers it took, at the sequence
 *    numbers that follow what was queued before, and they are the client's
 *    bytes (each segment's share compared at its edges with the request's
 *    buffer, before tcp_output reuses the IPC buffer for frames);
 *  - a RECV took exactly the bytes it answers from what was held, and
 *    reopened the window by as many.
 *
 * lwIP keeps these itself in every path (tcp_write, tcp_enqueue_flags,
 * tcp_output, tcp_rexmit*, tcp_receive), so a working stack never fails
 * them.  A walk is at most TCP_SND_QUEUELEN segments. */
/* A segment's sequence number, read from its header byte by byte (not
 * through the lwip_htonl that wrote it). */
static uint32_t seg_seq(const struct tcp_seg *g)
{
	const uint8_t *h = (const uint8_t *)g->tcphdr;

	return (uint32_t)h[4] << 24 | (uint32_t)h[5] << 16 | (uint32_t)h[6] << 8 | h[7];
}

static const char *queue_fault(const struct tcp_pcb *pcb)
{
	if (!pcb || pcb->state == CLOSED || pcb->state == LISTEN || pcb->state == TIME_WAIT)
		return NULL;
	const struct tcp_seg *a = pcb->unacked, *u = pcb->unsent;
	uint32_t sa = a ? seg_seq(a) : 0, su = u ? seg_seq(u) : 0;
	uint32_t next = 0, bytes = 0, clen = 0;
	int n = 0;

	while (a || u) {
		const struct tcp_seg *g;
		uint32_t seq;
		if (!u || (a && TCP_SEQ_LT(sa, su))) {
			g = a;
			seq = sa;
			if ((a = a->next))
				sa = seg_seq(a);
		} else {
			g = u;
			seq = su;
			if ((u = u->next))
				su = seg_seq(u);
		}
		if (++n > TCP_SND_QUEUELEN)
			return "more segments queued than lwIP allows";
		if (n == 1 ? TCP_SEQ_GT(seq, pcb->lastack) : seq != next)
			return "a hole or an overlap in the send queue";
		const struct pbuf *p = g->p;
		if (!p || p->tot_len < g->len)
			return "a segment with fewer bytes than its length";
		/* (the ports in network order, read byte by byte: not through the
		 * lwip_htons that made them; the flags in byte 13) */
		const uint8_t *h = (const uint8_t *)g->tcphdr;
		if ((h[0] << 8 | h[1]) != pcb->local_port || (h[2] << 8 | h[3]) != pcb->remote_port)
			return "a segment addressed to other ports than its connection's";
		/* (a buffer nobody holds but the queue has ref 1; ARP holds one
		 * more while it resolves the peer: tcp_output_segment_busy then
		 * skips the segment, and with ref 0 it would never be sent) */
		if (p->ref == 0 || p->ref > 2)
			return "a segment whose buffer's reference count is wrong";
		for (const struct pbuf *q = p; q; q = q->next, clen++)
			if (q->tot_len != q->len + (q->next ? q->next->tot_len : 0))
				return "a segment's buffer chain whose lengths do not add up";
		next = seq + g->len + ((h[13] & (TCP_FIN | TCP_SYN)) != 0);
		bytes += g->len;
	}
	/* (a FIN that tcp_send_fin set on the last data segment takes a
	 * sequence number that snd_lbb does not count: one more, then) */
	uint32_t end = n ? next : pcb->lastack;
	if (end != pcb->snd_lbb && !(end == pcb->snd_lbb + 1 && (pcb->flags & TF_FIN)))
		return "the send queue does not end where the next byte goes";
	if (clen != pcb->snd_queuelen)
		return "snd_queuelen is not the queue's length";
	if (bytes + pcb->snd_buf != TCP_SND_BUF)
		return "snd_buf and the bytes queued do not add up";
	return NULL;
}

static void queue_check(const struct tcp_pcb *pcb)
{
	const char *why = queue_fault(pcb);

	if (why) {
		printf("net: connection check: %s\n", why);
		rw_panic("net: a connection's send queue is inconsistent");
	}
}

/* 1 if the m bytes of pbuf chain p from offset off are those at src. */
static int chain_bytes_are(const struct pbuf *p, uint32_t off, const uint8_t *src, uint32_t m)
{
	for (const struct pbuf *q = p; q && m; q = q->next) {
		if (off >= q->len) {
			off -= q->len;
			continue;
		}
		uint32_t k = q->len - off < m ? q->len - off : m;
		if (memcmp((const uint8_t *)q->payload + off, src, k) != 0)
			return 0;
		src += k;
		m -= k;
		off = 0;
	}
	return m == 0;
}

/* 1 if the n bytes at src are queued on pcb's unsent queue from sequence
 * number seq on (a tcp_write's new bytes are all there): the segments that
 * hold them follow each other, and the first and last QUEUED_EDGE bytes of
 * each one's share are the client's.  (Each copy into a segment was already
 * compared with its source, net_copy_checked: what is left to find is a copy
 * from or to the wrong place, which moves its edges too.  Comparing every
 * byte again, at the misaligned offsets segments have, cost a third of a
 * SEND.) */
#define QUEUED_EDGE 8
static int queued_bytes_are(const struct tcp_pcb *pcb, uint32_t seq, const uint8_t *src, uint32_t n)
{
	for (const struct tcp_seg *g = pcb->unsent; g && n; g = g->next) {
		uint32_t s0 = seg_seq(g);
		if (TCP_SEQ_GEQ(seq, s0 + g->len))
			continue; /* (before the new bytes) */
		if (TCP_SEQ_LT(seq, s0))
			return 0; /* a hole */
		uint32_t off = seq - s0, k = g->len - off;
		if (k > n)
			k = n;
		/* the data are the last g->len bytes of the chain (headers first) */
		off += g->p->tot_len - g->len;
		uint32_t e = k < QUEUED_EDGE ? k : QUEUED_EDGE;
		if (!chain_bytes_are(g->p, off, src, e) ||
		    !chain_bytes_are(g->p, off + k - e, src + k - e, e))
			return 0;
		seq += k;
		src += k;
		n -= k;
	}
	return n == 0;
}

/* ---- received bytes checked as they are handed over ----
 * Bytes a client has not read yet wait in lwIP's heap (a connection's rx
 * chain, a UDP socket's datagrams), for as long as the client takes.  A fault
 * that changes them there without trapping (a flipped bit of memory, a stray
 * store of another request) is invisible to every other check: the RECV's copy
 * equals its (already wrong) source, and TCP's checksum was checked when the
 * frame came in and is not kept.  So the stack keeps its own sum of what came
 * in (per on_recv, per datagram), and a RECV compares the bytes it hands over
 * (the IPC buffer's copy, the bytes the client gets) with it; a mismatch is a
 * fault of the request, which txipc undoes and whose history replay makes the
 * receive again from its record (an outside probe, seed 1492969: "byte 7932:
 * got 0xcc" at the oracle).  The sum adds the bytes (word-wise, in 16-bit
 * lanes): any one flipped bit changes it, wherever the bytes lie, so a unit
 * split by a RECV that takes part of it keeps the sum of the rest. */
static uint64_t rx_sum(const uint8_t *p, uint32_t n)
{
	const uint64_t m = 0x00ff00ff00ff00ffULL;
	uint64_t s = 0;

	for (; n && ((uintptr_t)p & 7); n--)
		s += *p++;
	while (n >= 8) {
		uint32_t k = n / 8 < 128 ? n / 8 : 128; /* 128 words: 16-bit lanes do not carry */
		uint64_t a = 0;
		for (uint32_t i = 0; i < k; i++) {
			uint64_t w = ((const rx_word *)p)[i];
			a += (w & m) + ((w >> 8) & m);
		}
		a = (a & 0x0000ffff0000ffffULL) + ((a >> 16) & 0x0000ffff0000ffffULL);
		s += (a & 0xffffffffULL) + (a >> 32);
		p += 8 * k;
		n -= 8 * k;
	}
	for (; n; n--)
		s += *p++;
	return s;
}

/* rx_sum of the m bytes of pbuf chain p from offset off (short if the chain is). */
static uint64_t rx_chain_sum(const struct pbuf *p, uint32_t off, uint32_t m)
{
	uint64_t s = 0;

	for (const struct pbuf *q = p; q && m; q = q->next) {
		if (off >= q->len) {
			off -= q->len;
			continue;
		}
		uint32_t k = q->len - off < m ? q->len - off : m;
		s += rx_sum((const uint8_t *)q->payload + off, k);
		m -= k;
		off = 0;
	}
	return s;
}

/* A run of len bytes (sum) came in on s, after those it holds. */
static void rx_unit_add(struct sock *s, uint32_t len, uint64_t sum)
{
	if (s->run == RX_UNITS) { /* (full: the newest unit takes these too) */
		struct rx_unit *u = &s->ru[(s->ruh + RX_UNITS - 1) % RX_UNITS];
		u->len += len;
		u->sum += sum;
		return;
	}
	struct rx_unit *u = &s->ru[(s->ruh + s->run) % RX_UNITS];
	u->len = len;
	u->sum = sum;
	s->run++;
}

/* The n bytes a RECV copied to dst from the front of s's rx chain are those
 * that came in: each unit it takes whole sums to its sum; one it takes part of
 * does with the rest of it (read in the chain), which then stays as the unit.
 * Call before the bytes leave the chain. */
static void rx_check_taken(struct sock *s, const uint8_t *dst, uint32_t n)
{
	uint32_t at = 0;

	while (at < n) {
		if (!s->run)
			rw_panic("net: RECV hands over bytes that never came in");
		struct rx_unit *u = &s->ru[s->ruh];
		uint32_t take = u->len < n - at ? u->len : n - at;
		uint64_t part = rx_sum(dst + at, take);
		if (take == u->len) {
			if (part != u->sum)
				rw_panic(
				        "net: received bytes changed while they waited to be read");
			s->ruh = (uint8_t)((s->ruh + 1) % RX_UNITS);
			s->run--;
		} else {
			uint64_t rest = rx_chain_sum(s->rx, n, u->len - take);
			if (part + rest != u->sum)
				rw_panic(
				        "net: received bytes changed while they waited to be read");
			u->len -= take;
			u->sum = rest;
		}
		at += take;
	}
}

/* ---- sockets ---- */

static long sock_id(int i)
{
	return (long)((uint64_t)socks[i].gen << 8 | (uint64_t)i);
}

static int sock_alloc(uint8_t kind, uint64_t owner)
{
	for (int i = 0; i < MAX_SOCKETS; i++) {
		struct sock *s = &socks[i];
		if (s->kind == S_FREE) {
			uint16_t gen = s->gen;
			memset(s, 0, sizeof *s);
			s->gen = gen;
			s->kind = kind;
			s->owner = owner;
			nsocks++;
			s->listener = -1;
			return i;
		}
	}
	return -1;
}

static void sock_free(int i)
{
	struct sock *s = &socks[i];

	if (s->rx)
		pbuf_free(s->rx);
	for (; s->ucount; s->ucount--, s->uhead = (uint8_t)((s->uhead + 1) % NET_UDP_QUEUE)) {
		udp_held -= s->uq[s->uhead].p->tot_len;
		pbuf_free(s->uq[s->uhead].p);
	}
	uint16_t gen = (uint16_t)(s->gen + 1);
	if (s->kind != S_FREE)
		nsocks--;
	memset(s, 0, sizeof *s);
	s->gen = gen;
	s->listener = -1;
}

/* The caller's socket named by id, or NULL. */
static struct sock *sock_get(uint64_t id, uint64_t badge, int *index)
{
	uint64_t i = id & 0xff;

	if (i >= MAX_SOCKETS || (id >> 8) != socks[i].gen || socks[i].kind == S_FREE ||
	    socks[i].owner != badge || (socks[i].kind == S_CONN && !socks[i].claimed))
		return NULL;
	if (index)
		*index = (int)i;
	return &socks[i];
}

/* The socket a request made (slot i, of kind) is checked before the
 * request answers its id: the id answered names it for this client, and it
 * is of that kind.  A skipped step of its making (the kind argument of
 * sock_alloc never loaded: the slot stayed free) left a socket the client
 * could not use, and every call on it answered a final EBADF that no run
 * again could change (an outside application's campaign, seed 1494379). */
static void sock_made(const rw_request *r, int i, uint8_t kind)
{
	if (sock_get(r->out->w[0], r->badge, NULL) != &socks[i] || socks[i].kind != kind)
		rw_panic("net: a request made a socket its client cannot use");
}

/* The caller's socket named by the request's w0 if it is of kind, else NULL
 * with *err the answer: NET_EBADF (not the caller's), NET_ENOTCONN (another
 * kind: a TCP call on a UDP socket, a UDP one on a TCP socket). */
static struct sock *sock_of(const rw_request *r, uint8_t kind, long *err)
{
	struct sock *s = sock_get(r->in->w[0], r->badge, NULL);

	*err = !s ? NET_EBADF : s->kind != kind ? NET_ENOTCONN : 0;
	return *err ? NULL : s;
}

/* Ends a connection's pcb: gracefully, or by RST if lwIP has no memory. */
static void pcb_close(struct tcp_pcb *pcb)
{
	tcp_arg(pcb, NULL);
	tcp_recv(pcb, NULL);
	tcp_sent(pcb, NULL);
	tcp_err(pcb, NULL);
	if (tcp_close(pcb) != ERR_OK)
		tcp_abort(pcb);
}

/* ---- closing while the peer may still send ("lingering close") ----
 * lwIP answers data that reaches a pcb closed with tcp_close by RST, and an
 * RST makes the peer drop what it has not read yet: an HTTP answer after
 * "Connection: close" followed by more pipelined requests came out short.
 * So a socket the client closes first only sends our FIN; what still comes
 * is taken and dropped until the peer's FIN, or LINGER_TICKS, then the pcb
 * (no socket's any more) is closed. */
#define LINGER_TICKS 20 /* lwIP's slow timer ticks (500 ms): 10 s */

static err_t linger_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	(void)arg;
	(void)err;
	if (p) {
		tcp_recved(pcb, p->tot_len);
		pbuf_free(p);
		return ERR_OK;
	}
	tcp_poll(pcb, NULL, 0); /* the peer's FIN: both sides done */
	tcp_recv(pcb, NULL);
	if (tcp_close(pcb) != ERR_OK) {
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	return ERR_OK;
}

static err_t linger_poll(void *arg, struct tcp_pcb *pcb)
{
	(void)arg;
	tcp_abort(pcb); /* the peer kept sending (or never closed): enough */
	return ERR_ABRT;
}

static void linger(struct tcp_pcb *pcb)
{
	tcp_arg(pcb, NULL);
	tcp_sent(pcb, NULL);
	tcp_err(pcb, NULL);
	tcp_recv(pcb, linger_recv);
	tcp_poll(pcb, linger_poll, LINGER_TICKS);
	if (tcp_shutdown(pcb, 0, 1) != ERR_OK)
		tcp_abort(pcb);
}

/* Removes connection slot c from its listener's queue (if it is there). */
static void unqueue(int c)
{
	int l = socks[c].listener;

	if (l < 0 || socks[l].kind != S_LISTEN)
		return;
	struct sock *ls = &socks[l];
	for (int k = 0; k < ls->nq; k++) {
		if (ls->queue[k] == c) {
			memmove(&ls->queue[k], &ls->queue[k + 1], (size_t)(ls->nq - k - 1));
			ls->nq--;
			return;
		}
	}
}

/* lwIP callbacks; arg is the socket slot + 1 (0: none). */

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	int i = (int)(uintptr_t)arg - 1;

	if (i < 0 || socks[i].pcb != pcb) {
		if (p)
			pbuf_free(p);
		return ERR_OK;
	}
	struct sock *s = &socks[i];
	if (!p) {
		s->eof = 1;
		if (s->wshut) {
			/* Both directions ended: lwIP keeps the pcb (TIME_WAIT)
			 * and frees it when it likes; the socket lets go of it. */
			tcp_arg(pcb, NULL);
			tcp_recv(pcb, NULL);
			tcp_err(pcb, NULL);
			s->pcb = NULL;
		}
		return ERR_OK;
	}
	if (err != ERR_OK) {
		pbuf_free(p);
		return ERR_OK;
	}
	/* What the client has not read yet is copied out of the receive pool
	 * (each frame holds a whole pool buffer, however few bytes it brings):
	 * otherwise as few as PBUF_POOL_SIZE connections holding one unread
	 * request each would leave no buffer for the card's next frame, and
	 * every connection would stall until TCP sent again.  Out of heap,
	 * lwIP keeps the data and offers it again later (refused data). */
	int pooled = 0;
	for (struct pbuf *q = p; q; q = q->next)
		pooled |= pbuf_get_allocsrc(q) == PBUF_TYPE_ALLOC_SRC_MASK_STD_MEMP_PBUF_POOL;
	if (pooled) {
		struct pbuf *q = pbuf_alloc(PBUF_RAW, p->tot_len, PBUF_RAM);
		if (!q)
			return ERR_MEM;
		pbuf_copy(q, p);
		pbuf_free(p);
		p = q;
	}
	if (s->rx)
		pbuf_cat(s->rx, p);
	else
		s->rx = p;
	rx_unit_add(s, p->tot_len, rx_chain_sum(p, 0, p->tot_len));
	return ERR_OK;
}

static void on_err(void *arg, err_t err)
{
	int i = (int)(uintptr_t)arg - 1;

	if (i < 0 || socks[i].kind != S_CONN)
		return;
	struct sock *s = &socks[i];
	s->pcb = NULL; /* lwIP freed it */
	s->err = !s->connected ? NET_ECONNREFUSED : NET_ECONNRESET;
	(void)err;
	if (!s->claimed) { /* nobody will ever see it: drop it */
		unqueue(i);
		sock_free(i);
	}
}

static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	int i = (int)(uintptr_t)arg - 1;

	(void)pcb;
	if (i >= 0 && err == ERR_OK)
		socks[i].connected = 1;
	return ERR_OK;
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	int l = (int)(uintptr_t)arg - 1;

	if (err != ERR_OK || !pcb)
		return ERR_VAL;
	/* lwIP counts this connection against the listener's backlog until
	 * do_accept hands it over (tcp_backlog_accepted): while the backlog is
	 * full it drops new SYNs, and the peer tries again, as a full accept
	 * queue does elsewhere, instead of seeing its connection reset. */
	if (l < 0 || socks[l].kind != S_LISTEN || socks[l].nq >= socks[l].backlog) {
		tcp_abort(pcb); /* (cannot happen: lwIP holds the backlog) */
		return ERR_ABRT;
	}
	int c = sock_alloc(S_CONN, socks[l].owner);
	if (c < 0) {
		tcp_abort(pcb); /* no free socket */
		return ERR_ABRT;
	}
	struct sock *s = &socks[c];
	s->pcb = pcb;
	s->connected = 1;
	s->listener = (int16_t)l;
	socks[l].queue[socks[l].nq++] = (uint8_t)c;
	tcp_backlog_delayed(pcb);
	tcp_arg(pcb, (void *)(uintptr_t)(c + 1));
	tcp_recv(pcb, on_recv);
	tcp_err(pcb, on_err);
	return ERR_OK;
}

/* A datagram for UDP socket slot arg - 1: kept (copied) if there is room. */
static void on_udp_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
                        u16_t port)
{
	int i = (int)(uintptr_t)arg - 1;
	struct sock *s = i >= 0 ? &socks[i] : NULL;
	struct pbuf *q = NULL;

	if (s && s->kind == S_UDP && s->upcb == pcb && s->ucount < NET_UDP_QUEUE &&
	    udp_held + p->tot_len <= UDP_HELD_BYTES)
		q = pbuf_alloc(PBUF_RAW, p->tot_len, PBUF_RAM);
	if (!q) {
		udp_dropped++;
		pbuf_free(p);
		return;
	}
	pbuf_copy(q, p);
	pbuf_free(p);
	struct dgram *d = &s->uq[(s->uhead + s->ucount) % NET_UDP_QUEUE];
	d->p = q;
	d->sum = rx_chain_sum(q, 0, q->tot_len);
	d->addr = lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(addr)));
	d->port = port;
	s->ucount++;
	udp_held += q->tot_len;
}

/* ---- requests ---- */

/* A destination address (host order) as lwIP is to see it: 127.0.0.0/8 is
 * this machine, its own address (lwIP routes loopback addresses only through
 * a loopback interface, which its single-interface build has not; packets to
 * the own address loop back inside the stack, netif_poll in main). */
static uint32_t dest_addr(uint64_t a)
{
	if ((a >> 24) == 127)
		return lwip_ntohl(ip4_addr_get_u32(netif_ip4_addr(&nif)));
	return (uint32_t)a;
}

static long do_info(const rw_request *r)
{
	r->out->w[0] = lwip_ntohl(ip4_addr_get_u32(netif_ip4_addr(&nif)));
	r->out->w[1] = lwip_ntohl(ip4_addr_get_u32(netif_ip4_netmask(&nif)));
	r->out->w[2] = lwip_ntohl(ip4_addr_get_u32(netif_ip4_gw(&nif)));
	r->out->w[3] = ready;
	return 0;
}

static long do_listen(const rw_request *r)
{
	uint16_t port = (uint16_t)r->in->w[0];
	int i = sock_alloc(S_LISTEN, r->badge);

	if (i < 0)
		return NET_ENOBUFS;
	struct tcp_pcb *pcb = tcp_new_ip_type(IPADDR_TYPE_V4);
	if (!pcb) {
		sock_free(i);
		return NET_ENOBUFS;
	}
	/* SO_REUSEADDR: connections accepted on the port may still be closing or
	 * in TIME_WAIT (a server listening again after closing its listener);
	 * a second listener on the port is still refused, by tcp_listen. */
	ip_set_option(pcb, SOF_REUSEADDR);
	if (tcp_bind(pcb, IP4_ADDR_ANY, port) != ERR_OK) {
		tcp_abort(pcb);
		sock_free(i);
		return NET_EADDRINUSE;
	}
	err_t e = ERR_OK;
	struct tcp_pcb *lp = tcp_listen_with_backlog_and_err(pcb, (u8_t)r->in->w[1], &e);
	if (!lp) {
		tcp_abort(pcb);
		sock_free(i);
		return e == ERR_USE ? NET_EADDRINUSE : NET_ENOBUFS;
	}
	if (lp->local_port != (u16_t)r->in->w[0])
		rw_panic("net: LISTEN bound another port than asked for");
	socks[i].pcb = lp;
	socks[i].backlog = (uint8_t)r->in->w[1];
	tcp_arg(lp, (void *)(uintptr_t)(i + 1));
	tcp_accept(lp, on_accept);
	r->out->w[0] = (uint64_t)sock_id(i);
	sock_made(r, i, S_LISTEN);
	return 0;
}

static long do_accept(const rw_request *r)
{
	long err;
	struct sock *ls = sock_of(r, S_LISTEN, &err);

	if (!ls)
		return err;
	if (ls->nq == 0)
		return NET_EAGAIN;
	int c = ls->queue[0];
	memmove(&ls->queue[0], &ls->queue[1], (size_t)(ls->nq - 1));
	ls->nq--;
	struct sock *s = &socks[c];
	s->claimed = 1;
	s->listener = -1;
	r->out->w[0] = (uint64_t)sock_id(c);
	if (s->pcb) {
		tcp_backlog_accepted(s->pcb); /* room for the next connection */
		r->out->w[1] = lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(&s->pcb->remote_ip)));
		r->out->w[2] = s->pcb->remote_port;
	}
	sock_made(r, c, S_CONN);
	return 0;
}

static long do_connect(const rw_request *r)
{
	ip4_addr_t addr;
	int i = sock_alloc(S_CONN, r->badge);

	if (i < 0)
		return NET_ENOBUFS;
	socks[i].claimed = 1;
	struct tcp_pcb *pcb = tcp_new_ip_type(IPADDR_TYPE_V4);
	if (!pcb) {
		sock_free(i);
		return NET_ENOBUFS;
	}
	socks[i].pcb = pcb;
	tcp_arg(pcb, (void *)(uintptr_t)(i + 1));
	tcp_recv(pcb, on_recv);
	tcp_err(pcb, on_err);
	ip4_addr_set_u32(&addr, lwip_htonl(dest_addr(r->in->w[0])));
	err_t e = tcp_connect(pcb, &addr, (u16_t)r->in->w[1], on_connected);
	if (e != ERR_OK) {
		if (socks[i].pcb) /* (on_err did not run: lwIP still owns nothing) */
			tcp_abort(pcb);
		sock_free(i);
		return e == ERR_MEM ? NET_ENOBUFS : NET_ECONNREFUSED;
	}
	/* (the peer as asked for, worked out a second time; the SYN queued) */
	if (pcb->remote_port != (u16_t)r->in->w[1] ||
	    lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(&pcb->remote_ip))) != dest_addr(r->in->w[0]))
		rw_panic("net: CONNECT made a connection to another peer than asked for");
	queue_check(pcb);
	r->out->w[0] = (uint64_t)sock_id(i);
	sock_made(r, i, S_CONN);
	return 0;
}

static long do_send(const rw_request *r)
{
	long err;
	struct sock *s = sock_of(r, S_CONN, &err);

	if (!s)
		return err;
	if (s->err)
		return s->err; /* ECONNREFUSED for a connection never made, as RECV says */
	if (s->wshut)
		return NET_ENOTCONN; /* (SHUTDOWN: nothing more is sent) */
	if (!s->connected || !s->pcb)
		return NET_EAGAIN;
	uint32_t len = (uint32_t)r->in->w[1];
	uint32_t room = tcp_sndbuf(s->pcb);
	if (len > room)
		len = room;
	if (len == 0 || tcp_sndqueuelen(s->pcb) >= TCP_SND_QUEUELEN - 1)
		return NET_EAGAIN;
	struct tcp_pcb *pcb = s->pcb;
	uint32_t lbb = pcb->snd_lbb, buf = pcb->snd_buf;
	err_t e = tcp_write(pcb, rw_ipc_buf(), (u16_t)len, TCP_WRITE_FLAG_COPY);
	/* What tcp_write did, checked before anything leaves (the queue checks
	 * above): all len bytes queued, after what was queued before, and they
	 * are the client's; or, refused, nothing changed. */
	uint32_t took = e == ERR_OK ? len : 0;
	if (pcb->snd_lbb != lbb + took || pcb->snd_buf != buf - took ||
	    (took && !queued_bytes_are(pcb, lbb, rw_ipc_buf(), took)))
		rw_panic("net: SEND queued other bytes than the client's");
	queue_check(pcb);
	if (e == ERR_MEM)
		return NET_EAGAIN;
	if (e != ERR_OK)
		return NET_ECONNRESET;
	tcp_output(pcb);
	queue_check(pcb);
	r->out->w[0] = len;
	return 0;
}

static long do_recv(const rw_request *r)
{
	long err;
	struct sock *s = sock_of(r, S_CONN, &err);

	if (!s)
		return err;
	if (s->rx) {
		uint16_t n =
		        (uint16_t)(s->rx->tot_len < r->in->w[1] ? s->rx->tot_len : r->in->w[1]);
		uint32_t held = s->rx->tot_len;
		/* First reopen the window: that may send a segment, through the
		 * IPC buffer, which then takes the reply's data. */
		if (s->pcb) {
			uint32_t wnd = s->pcb->rcv_wnd + n;
			tcp_recved(s->pcb, n);
			if (s->pcb->rcv_wnd !=
			    (wnd > TCP_WND_MAX(s->pcb) ? TCP_WND_MAX(s->pcb) : wnd))
				rw_panic("net: RECV reopened the window by other than it read");
			queue_check(s->pcb);
		}
		pbuf_copy_partial(s->rx, rw_ipc_buf(), n, 0);
		rx_check_taken(s, rw_ipc_buf(), n);
		s->rx = n == s->rx->tot_len ? (pbuf_free(s->rx), NULL) : pbuf_free_header(s->rx, n);
		/* (the bytes handed over, and only those, are gone from what is held) */
		if ((s->rx ? s->rx->tot_len : 0) != held - n)
			rw_panic("net: RECV took other than it answers");
		r->out->w[0] = n;
		r->out->len = n;
		return 0;
	}
	if (s->eof)
		return 0; /* n = 0: the end of the stream */
	if (s->err)
		return s->err;
	return NET_EAGAIN;
}

/* Closes listening socket s (not freed here); connections nobody accepted are reset. */
static void close_listener(struct sock *s)
{
	while (s->nq) {
		int c = s->queue[--s->nq];
		if (socks[c].pcb) {
			tcp_arg(socks[c].pcb, NULL);
			tcp_abort(socks[c].pcb);
		}
		sock_free(c);
	}
	tcp_arg(s->pcb, NULL);
	tcp_accept(s->pcb, NULL);
	tcp_close(s->pcb);
}

static long do_udp_bind(const rw_request *r)
{
	int i = sock_alloc(S_UDP, r->badge);

	if (i < 0)
		return NET_ENOBUFS;
	struct udp_pcb *pcb = udp_new_ip_type(IPADDR_TYPE_V4);
	if (!pcb) {
		sock_free(i);
		return NET_ENOBUFS;
	}
	err_t e = udp_bind(pcb, IP4_ADDR_ANY, (u16_t)r->in->w[0]);
	if (e != ERR_OK) {
		udp_remove(pcb);
		sock_free(i);
		return e == ERR_USE ? NET_EADDRINUSE : NET_ENOBUFS;
	}
	if (r->in->w[0] && pcb->local_port != (u16_t)r->in->w[0])
		rw_panic("net: UDP_BIND bound another port than asked for");
	socks[i].upcb = pcb;
	socks[i].claimed = 1;
	udp_recv(pcb, on_udp_recv, (void *)(uintptr_t)(i + 1));
	r->out->w[0] = (uint64_t)sock_id(i);
	r->out->w[1] = pcb->local_port;
	sock_made(r, i, S_UDP);
	return 0;
}

static long do_sendto(const rw_request *r)
{
	long err;
	struct sock *s = sock_of(r, S_UDP, &err);
	ip4_addr_t addr;

	if (!s)
		return err;
	if (!ready)
		return NET_EAGAIN; /* no address to send from yet */
	u16_t len = (u16_t)r->in->w[3];
	/* (copied out first: sending may use the IPC buffer, for the frame) */
	struct pbuf *p = pbuf_alloc(PBUF_TRANSPORT, len, PBUF_RAM);
	if (!p)
		return NET_EAGAIN;
	pbuf_take(p, rw_ipc_buf(), len);
	ip4_addr_set_u32(&addr, lwip_htonl(dest_addr(r->in->w[1])));
	err_t e = udp_sendto(s->upcb, p, &addr, (u16_t)r->in->w[2]);
	pbuf_free(p);
	if (e == ERR_MEM || e == ERR_BUF)
		return NET_EAGAIN;
	if (e != ERR_OK && e != ERR_IF) /* (ERR_IF: the card dropped it, as a wire may) */
		return NET_ENOBUFS;
	r->out->w[0] = len;
	return 0;
}

static long do_recvfrom(const rw_request *r)
{
	long err;
	struct sock *s = sock_of(r, S_UDP, &err);

	if (!s)
		return err;
	if (!s->ucount)
		return NET_EAGAIN;
	struct dgram *d = &s->uq[s->uhead];
	uint16_t n = (uint16_t)(d->p->tot_len < r->in->w[1] ? d->p->tot_len : r->in->w[1]);
	pbuf_copy_partial(d->p, rw_ipc_buf(), n, 0);
	if (rx_sum(rw_ipc_buf(), n) + rx_chain_sum(d->p, n, d->p->tot_len - n) != d->sum)
		rw_panic("net: a received datagram changed while it waited to be read");
	r->out->w[0] = n;
	r->out->w[1] = d->addr;
	r->out->w[2] = d->port;
	r->out->len = n;
	udp_held -= d->p->tot_len;
	pbuf_free(d->p);
	d->p = NULL;
	s->uhead = (uint8_t)((s->uhead + 1) % NET_UDP_QUEUE);
	s->ucount--;
	return 0;
}

static long do_close(const rw_request *r)
{
	int i;
	struct sock *s = sock_get(r->in->w[0], r->badge, &i);

	if (!s)
		return NET_EBADF;
	if (s->kind == S_LISTEN) {
		close_listener(s);
	} else if (s->kind == S_UDP) {
		udp_remove(s->upcb);
	} else if (s->pcb) {
		/* Data the client never read: count it as taken, so that the
		 * close is a FIN.  With the window still short lwIP closes by
		 * RST, which also throws away the answer not yet sent or
		 * acknowledged (an HTTP reply cut short by a pipelined request
		 * the server did not read). */
		if (s->rx)
			tcp_recved(s->pcb, s->rx->tot_len);
		if (s->eof)
			pcb_close(s->pcb); /* the peer closed first: nothing more comes */
		else
			linger(s->pcb);
	}
	sock_free(i);
	return 0;
}

static long do_shutdown(const rw_request *r)
{
	long err;
	struct sock *s = sock_of(r, S_CONN, &err);

	if (!s)
		return err;
	if (s->err)
		return s->err;
	if (!s->connected)
		return NET_ENOTCONN; /* (still being made) */
	if (s->wshut)
		return 0;
	if (!s->pcb || tcp_shutdown(s->pcb, 0, 1) != ERR_OK)
		return NET_ECONNRESET;
	queue_check(s->pcb); /* (the FIN queued) */
	s->wshut = 1;
	if (s->eof) { /* the peer ended first: both are done (see on_recv) */
		tcp_arg(s->pcb, NULL);
		tcp_recv(s->pcb, NULL);
		tcp_err(s->pcb, NULL);
		s->pcb = NULL;
	}
	return 0;
}

/* Socket slot i, ended at once and freed: a listener closed (its unaccepted
 * connections reset), a UDP socket removed, a connection reset (RST). */
static void sock_abort(int i)
{
	struct sock *s = &socks[i];

	unqueue(i); /* (a connection waiting on one of our listeners) */
	if (s->kind == S_LISTEN) {
		close_listener(s);
	} else if (s->kind == S_UDP) {
		udp_remove(s->upcb);
	} else if (s->pcb) {
		tcp_arg(s->pcb, NULL);
		tcp_recv(s->pcb, NULL);
		tcp_sent(s->pcb, NULL);
		tcp_err(s->pcb, NULL);
		tcp_abort(s->pcb);
	}
	sock_free(i);
}

static long do_abort(const rw_request *r)
{
	int i;

	if (!sock_get(r->in->w[0], r->badge, &i))
		return NET_EBADF;
	sock_abort(i);
	return 0;
}

static long do_poll(const rw_request *r)
{
	struct sock *s = sock_get(r->in->w[0], r->badge, NULL);
	uint64_t bits = 0;

	if (!s)
		return NET_EBADF;
	if (s->kind == S_LISTEN) {
		if (s->nq)
			bits |= NET_R_ACCEPTABLE;
	} else if (s->kind == S_UDP) {
		if (s->ucount)
			bits |= NET_R_READABLE;
		if (ready)
			bits |= NET_R_WRITABLE;
	} else {
		if (s->rx || s->eof)
			bits |= NET_R_READABLE;
		if (s->connected && s->pcb && !s->wshut && tcp_sndbuf(s->pcb) > 0)
			bits |= NET_R_WRITABLE;
		if (s->eof)
			bits |= NET_R_CLOSED;
		if (s->err)
			bits |= NET_R_ERROR;
	}
	r->out->w[0] = bits;
	return 0;
}

/* Every socket of the caller, reset: a client that restarted (its badge is
 * the same in every generation) finds what its earlier generation left,
 * listeners holding their ports and connections whose peers wait for data
 * that will never come; net_connect_stack sends RESET first.  Listeners are
 * closed (their unaccepted connections reset), connections end by RST. */
static long do_reset(const rw_request *r)
{
	uint64_t closed = 0;

	for (int i = 0; i < MAX_SOCKETS; i++) {
		struct sock *s = &socks[i];
		if (s->kind == S_FREE || s->owner != r->badge)
			continue;
		sock_abort(i);
		closed++;
	}
	r->out->w[0] = closed;
	return 0;
}

static long do_stats(const rw_request *r)
{
	uint64_t n[4] = { 0, 0, 0, 0 };

	for (int i = 0; i < MAX_SOCKETS; i++) {
		if (socks[i].kind == S_CONN)
			n[0]++;
		else if (socks[i].kind == S_LISTEN)
			n[1]++;
		else if (socks[i].kind == S_UDP)
			n[2]++;
	}
	n[3] = udp_dropped;
	memcpy(r->out->w, n, sizeof n);
	return 0;
}

static const rw_op ops[] = { NET_OPS(do_) };

/* Frees the sockets of clients that are gone (exited, or died for good: the
 * kernel's CLIENT_ALIVE), as an operating system closes a process's sockets
 * when it ends: listeners closed, connections reset, UDP sockets removed. */
static void reap(rw_cap ep)
{
	for (int i = 0; i < MAX_SOCKETS; i++) {
		if (socks[i].kind == S_FREE)
			continue;
		uint64_t owner = socks[i].owner;
		int first = 1; /* (ask once per client: its first socket) */
		for (int j = 0; j < i && first; j++)
			first = socks[j].kind == S_FREE || socks[j].owner != owner;
		if (!first || rw_client_alive(ep, owner) != 0)
			continue;
		for (int j = i; j < MAX_SOCKETS; j++)
			if (socks[j].kind != S_FREE && socks[j].owner == owner)
				sock_abort(j);
	}
}

/* ---- address ---- */

static void fallback(void)
{
	ip4_addr_t a, m, g;

	if (ready)
		return;
	printf("net: no DHCP answer after %llu s: static address\n",
	       (unsigned long long)(FALLBACK_NS / 1000000000ULL));
	dhcp_release_and_stop(&nif);
	ip4_addr_set_u32(&a, lwip_htonl(STATIC_ADDR));
	ip4_addr_set_u32(&m, lwip_htonl(STATIC_MASK));
	ip4_addr_set_u32(&g, lwip_htonl(STATIC_GW));
	netif_set_addr(&nif, &a, &m, &g);
}

int main(void)
{
	rw_cap ep;
	long r;

	if ((r = rw_cap_get(EP_NAME, &ep)) < 0 || (r = rw_cap_get(NIC_NAME, &nic)) < 0 ||
	    (r = rw_cap_get(NOTIF_NAME, &net_rx)) < 0) {
		printf("net: needs endpoint \"%s\", \"%s\" and notification \"%s\" (%s)\n", EP_NAME,
		       NIC_NAME, NOTIF_NAME, rw_strerror(r));
		return 1;
	}
	if ((r = nic_call_open(nic, NIC_F_UNICAST | NIC_F_BROADCAST)) < 0) {
		printf("net: nic OPEN: %s\n", nic_strerror(r));
		return 1;
	}
	lwip_init();
	if (!netif_add(&nif, IP4_ADDR_ANY4, IP4_ADDR_ANY4, IP4_ADDR_ANY4, NULL, netif_setup,
	               ethernet_input)) {
		printf("net: cannot set up the interface\n");
		return 1;
	}
	netif_set_default(&nif);
	netif_set_status_callback(&nif, status_changed);
	netif_set_up(&nif);
	netif_set_link_up(&nif);
	dhcp_start(&nif);
	t_start = rw_clock_ns();
	int dhcp_waiting = 1;
	int rx_more = 0, served = 0;
	uint64_t win_start = t_start, rx_used = 0, reaped = t_start, rx_polled = t_start;

	for (;;) {
		sys_check_timeouts();
		/* Packets a socket sent to this machine (its own address or
		 * 127.0.0.1), queued by lwIP: taken in now, what they make
		 * looped next round. */
		if (nif.loop_first)
			netif_poll(&nif);
		uint64_t now = rw_clock_ns();
		if (nsocks && now - reaped >= REAP_NS) {
			reaped = now;
			reap(ep);
		}
		if (dhcp_waiting && (ready || now - t_start >= FALLBACK_NS)) {
			dhcp_waiting = 0;
			fallback();
		}
		if (now - win_start >= RX_WINDOW_NS) {
			win_start = now;
			rx_used = 0;
		}
		int rx_paused = rx_used >= RX_SHARE_NS;
		/* Frames left over, or requests served in a row: look at
		 * net_rx before the next request (requests come first in
		 * WAIT_ANY, so a busy client must not starve the card). */
		if (served >= REQ_BATCH && !rx_paused) {
			uint64_t bits = 0;
			served = 0;
			if (rw_poll(net_rx, &bits) == 0 && (bits & NIC_RX_BIT))
				rx_more = 1;
		}
		if (!rx_more && !rx_paused && now - rx_polled >= RX_POLL_NS) {
			rx_more = 1; /* a notification may have been lost */
			served = 0;
		}
		if (rx_more && served == 0 && !rx_paused) {
			rx_polled = now;
			rx_more = rx_drain();
			rx_used += rw_clock_ns() - now;
			if (!rx_more && !tx_nheld)
				continue;
			/* Frames held (tx_held): sent after the WAIT_ANY below,
			 * which commits the work that made them. */
			/* The batch ended with frames still waiting (a flood):
			 * let requests and timers in, through WAIT_ANY, before
			 * the next batch.  Draining on until the card is empty
			 * would starve every client for as long as the flood
			 * lasts, and make it one unit of work that never ends
			 * (the kernel's request deadline). */
		}
		uint32_t ms = sys_timeouts_sleeptime();
		uint64_t timeout =
		        ms == SYS_TIMEOUTS_SLEEPTIME_INFINITE ? 0 : (uint64_t)ms * 1000000ULL;
		if (dhcp_waiting) {
			uint64_t left = t_start + FALLBACK_NS - now;
			if (timeout == 0 || left < timeout)
				timeout = left;
		}
		if (nsocks) { /* sockets whose clients may end: look again in time */
			uint64_t since = now - reaped;
			uint64_t left = since >= REAP_NS ? 1 : REAP_NS - since;
			if (timeout == 0 || left < timeout)
				timeout = left;
		}
		if (rx_paused) {
			/* Requests and timers only, until the window ends
			 * (net_rx's bit stays set for then). */
			uint64_t left = win_start + RX_WINDOW_NS - now;
			if (ms == 0 || nif.loop_first || tx_nheld)
				timeout = 1; /* a timer, looped packets or held frames are due */
			else if (timeout == 0 || left < timeout)
				timeout = left;
		} else if (rx_more || nif.loop_first || tx_nheld ||
		           (timeout == 0 && ms != SYS_TIMEOUTS_SLEEPTIME_INFINITE))
			timeout =
			        1; /* frames, looped packets or a timer are due: just look for work */
		rw_msg m;
		uint64_t badge = 0, bits = 0;
		r = rw_wait_any(ep, rx_paused ? RW_CAP(-1) : net_rx, timeout, &m, &badge, &bits);
		if (tx_nheld) { /* the work that held them has committed */
			static uint8_t req_buf[RW_IPC_BUF_SIZE];
			size_t keep = r == 0 && m.len <= RW_IPC_BUF_SIZE ? (size_t)m.len : 0;

			net_copy_checked(req_buf, rw_ipc_buf(), keep); /* a request's bytes */
			tx_flush();
			net_copy_checked(rw_ipc_buf(), req_buf, keep);
		}
		if (r == 0) {
			rw_dispatch(ops, RW_NOPS(ops), &m, badge, NULL);
			r = rw_reply(&m);
			if (r == RW_ETOOBIG)
				rw_panic("net: reply longer than the IPC buffer");
			served++;
		} else if (r == RW_WOKEN) {
			served = 0;
			if (bits & NIC_RX_BIT)
				rx_more = 1; /* drained at the top of the loop */
		} else if (r == RW_ETIMEDOUT) {
			served = 0; /* no request waits: frames left over go next */
		} else if (r == RW_ECAP || r == RW_ESTATE) {
			rw_panic("net: WAIT_ANY on the endpoint and net_rx failed");
		}
	}
}
