/*
 * net_udp - UDP sockets between two stacks (tests/nic_wire.c joins them;
 * images/t_net_udp.toml), or from the host (images/t_net_udp_host.toml).
 *
 * Built twice.  The server (on "net", 10.0.2.15) binds PORT, checks what the
 * stack says of misuse (a second bind of the port: EADDRINUSE; SEND and RECV
 * on a UDP socket and SENDTO on a TCP one: ENOTCONN; RECVFROM with nothing
 * queued: EAGAIN; port 0 binds a free port), then answers each datagram to
 * its sender: "big" with BIG bytes of a pattern, "burst" with BURST short
 * datagrams in a row, "quit" with "bye" (and it ends), anything else with
 * the datagram itself.  The client (-DCLIENT, on "net2") sends datagrams of
 * every size class up to NET_UDP_MAX and checks each echo and its sender,
 * reads the first 100 bytes of "big" (the rest of it is dropped), lets a
 * burst queue up unread and finds NET_UDP_QUEUE of them kept, then "quit".
 * Each prints "net_udp: <role> ok ...".
 */
#include <stdio.h>
#include <string.h>
#include <rewind/net.h>

#define NAME "net_udp"
#include "net_pair.h"

#define PORT  7
#define BIG   1000
#define BURST 20

static uint8_t pat(uint32_t i, uint32_t seed)
{
	return (uint8_t)((i * 13 + seed * 7 + 1) & 0xff);
}

#ifdef CLIENT
#define SERVER NET_ADDR(10, 0, 2, 15)

static uint8_t out[NET_UDP_MAX], in[NET_UDP_MAX];

/* Sends len bytes of out until the answer comes (the first may precede the
 * server's bind, and UDP does not retry): the answer's length, or < 0. */
static long ask(long s, size_t len, size_t max)
{
	for (int tries = 0; tries < 20; tries++) {
		long r = net_sendto(net, s, SERVER, PORT, out, len);
		if (r < 0)
			return r;
		if ((size_t)r != len)
			return RW_EINVAL;
		uint32_t from = 0;
		uint16_t port = 0;
		r = net_recvfrom_within(net, s, in, max, &from, &port, 200000000ULL);
		if (r == RW_ETIMEDOUT)
			continue;
		if (r >= 0 && (from != SERVER || port != PORT))
			return RW_EINVAL; /* an answer from someone else */
		return r;
	}
	return RW_ETIMEDOUT;
}

int main(void)
{
	long r;
	uint32_t addr = 0;
	uint16_t mine = 0;

	if ((r = net_connect_stack(STACK, &net)) < 0 || (r = net_wait_ready(net, &addr)) < 0)
		return fail("stack", r);
	long s = net_udp_bind(net, 0, &mine);
	if (s < 0)
		return fail("UDP_BIND 0", s);
	if (mine == 0)
		return fail("UDP_BIND 0 answered port 0", RW_EINVAL);
	static const size_t sizes[] = { 1, 2, 7, 64, 511, 512, 1000, 1471, NET_UDP_MAX };
	int echoed = 0;
	for (uint32_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
		for (uint32_t i = 0; i < sizes[k]; i++)
			out[i] = pat(i, k);
		out[0] = 'e'; /* (never "big", "burst" or "quit") */
		r = ask(s, sizes[k], sizeof in);
		if (r < 0)
			return fail("echo", r);
		if ((size_t)r != sizes[k] || memcmp(in, out, sizes[k]) != 0) {
			printf("net_udp: client FAIL echo of %u bytes: %ld bytes back, or others\n",
			       (unsigned)sizes[k], r);
			return 1;
		}
		echoed++;
	}
	/* a datagram longer than max: its first max bytes, the rest dropped */
	memcpy(out, "big", 3);
	r = ask(s, 3, 100);
	if (r != 100)
		return fail("big: expected 100 bytes", r < 0 ? r : RW_EINVAL);
	for (uint32_t i = 0; i < 100; i++)
		if (in[i] != pat(i, 99))
			return fail("big: wrong bytes", RW_EINVAL);
	if ((r = net_recvfrom_nb(net, s, in, sizeof in, 0, 0)) != NET_EAGAIN)
		return fail("big: the rest of the datagram was not dropped", r < 0 ? r : RW_EINVAL);
	/* a burst nobody reads while it comes: the socket keeps NET_UDP_QUEUE */
	memcpy(out, "burst", 5);
	if ((r = net_sendto(net, s, SERVER, PORT, out, 5)) != 5)
		return fail("burst", r < 0 ? r : RW_EINVAL);
	rw_sleep_ns(500000000ULL);
	if (!(net_poll(net, s) & NET_R_READABLE))
		return fail("burst: POLL says nothing to read", RW_EINVAL);
	int kept = 0;
	while ((r = net_recvfrom_nb(net, s, in, sizeof in, 0, 0)) >= 0) {
		if (r != 4 || in[0] != 'b' || in[1] != (uint8_t)kept)
			return fail("burst: not in order", RW_EINVAL);
		kept++;
	}
	if (r != NET_EAGAIN || kept != NET_UDP_QUEUE) {
		printf("net_udp: client FAIL burst: %d of %d kept (expected %d), then %s\n", kept,
		       BURST, NET_UDP_QUEUE, net_strerror(r));
		return 1;
	}
	struct net_stats st;
	if ((r = net_stats(net, &st)) < 0)
		return fail("STATS", r);
	if (st.dropped != BURST - NET_UDP_QUEUE || st.udp != 1 || st.conns != 0 ||
	    st.listeners != 0) {
		printf("net_udp: client FAIL STATS: conns %llu listeners %llu udp %llu dropped "
		       "%llu\n",
		       (unsigned long long)st.conns, (unsigned long long)st.listeners,
		       (unsigned long long)st.udp, (unsigned long long)st.dropped);
		return 1;
	}
	memcpy(out, "quit", 4);
	if ((r = ask(s, 4, sizeof in)) != 3 || memcmp(in, "bye", 3) != 0)
		return fail("quit", r < 0 ? r : RW_EINVAL);
	if ((r = net_close(net, s)) < 0)
		return fail("CLOSE", r);
	if ((r = net_recvfrom_nb(net, s, in, sizeof in, 0, 0)) != NET_EBADF)
		return fail("RECVFROM on a closed socket", r < 0 ? r : RW_EINVAL);
	printf("net_udp: client ok echoed=%d kept=%d\n", echoed, kept);
	return 0;
}

#else

static uint8_t buf[NET_UDP_MAX];

/* The misuse the stack must refuse, and port 0. */
static int misuse(long s)
{
	uint16_t port = 0;
	long r, t, l;

	if ((r = net_udp_bind(net, PORT, 0)) != NET_EADDRINUSE)
		return fail("a second UDP_BIND of the port", r < 0 ? r : RW_EINVAL);
	if ((r = net_send_nb(net, s, "x", 1)) != NET_ENOTCONN)
		return fail("SEND on a UDP socket", r < 0 ? r : RW_EINVAL);
	if ((r = net_recv_nb(net, s, buf, 1)) != NET_ENOTCONN)
		return fail("RECV on a UDP socket", r < 0 ? r : RW_EINVAL);
	if ((r = net_accept_nb(net, s, 0, 0)) != NET_ENOTCONN)
		return fail("ACCEPT on a UDP socket", r < 0 ? r : RW_EINVAL);
	if ((l = net_listen(net, 9, 1)) < 0)
		return fail("LISTEN", l);
	if ((r = net_sendto(net, l, NET_ADDR(10, 0, 2, 16), 9, "x", 1)) != NET_ENOTCONN)
		return fail("SENDTO on a TCP socket", r < 0 ? r : RW_EINVAL);
	if ((r = net_recvfrom_nb(net, l, buf, 1, 0, 0)) != NET_ENOTCONN)
		return fail("RECVFROM on a TCP socket", r < 0 ? r : RW_EINVAL);
	net_close(net, l);
	if ((t = net_udp_bind(net, 0, &port)) < 0 || port == 0 || port == PORT)
		return fail("UDP_BIND 0", t < 0 ? t : RW_EINVAL);
	if ((r = net_recvfrom_nb(net, t, buf, sizeof buf, 0, 0)) != NET_EAGAIN)
		return fail("RECVFROM with nothing queued", r < 0 ? r : RW_EINVAL);
	net_close(net, t);
	if ((r = net_sendto(net, s, NET_ADDR(10, 0, 2, 16), 9, buf, NET_UDP_MAX + 1)) != RW_EINVAL)
		return fail("SENDTO longer than NET_UDP_MAX", r < 0 ? r : RW_EINVAL);
	return 0;
}

int main(void)
{
	long r;
	uint32_t addr = 0;

	if ((r = net_connect_stack(STACK, &net)) < 0 || (r = net_wait_ready(net, &addr)) < 0)
		return fail("stack", r);
	long s = net_udp_bind(net, PORT, 0);
	if (s < 0)
		return fail("UDP_BIND", s);
	printf("net_udp: bound port %d\n", PORT);
	if (misuse(s))
		return 1;
	int answered = 0;
	for (;;) {
		uint32_t from = 0;
		uint16_t port = 0;
		long n = net_recvfrom(net, s, buf, sizeof buf, &from, &port);
		if (n < 0)
			return fail("RECVFROM", n);
		if (n == 3 && memcmp(buf, "big", 3) == 0) {
			for (uint32_t i = 0; i < BIG; i++)
				buf[i] = pat(i, 99);
			r = net_sendto(net, s, from, port, buf, BIG);
		} else if (n == 5 && memcmp(buf, "burst", 5) == 0) {
			r = 0;
			for (int i = 0; i < BURST && r >= 0; i++) {
				uint8_t b[4] = { 'b', (uint8_t)i, 0, 0 };
				r = net_sendto(net, s, from, port, b, sizeof b);
			}
		} else if (n == 4 && memcmp(buf, "quit", 4) == 0) {
			r = net_sendto(net, s, from, port, "bye", 3);
			/* (once more, should the first be lost: the client asks again) */
			if (r >= 0 &&
			    net_recvfrom_within(net, s, buf, sizeof buf, 0, 0, 300000000ULL) >= 0)
				r = net_sendto(net, s, from, port, "bye", 3);
			break;
		} else {
			r = net_sendto(net, s, from, port, buf, (size_t)n);
		}
		if (r < 0)
			return fail("SENDTO", r);
		answered++;
	}
	if (r < 0)
		return fail("SENDTO", r);
	printf("net_udp: server ok answered=%d\n", answered);
	return 0;
}
#endif
