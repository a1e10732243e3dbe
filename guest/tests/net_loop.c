/*
 * net_loop - connections between tasks of one machine (images/t_net_loop.toml:
 * one stack; the echo server, apps/echo_server.c, on port 7 beside this
 * client).  Connects to 127.0.0.1:7 and to the machine's own address, sends
 * BYTES bytes of a pattern over each while reading the echo, and checks every
 * byte; then sends a datagram between two of its own UDP sockets, through
 * 127.0.0.1 and through the own address.  Prints "net_loop: ok".
 */
#include <stdio.h>
#include <string.h>
#include <rewind/net.h>

#define BYTES 50000

static rw_cap net;

static int fail(const char *what, long r)
{
	printf("net_loop: FAIL %s: %s\n", what, net_strerror(r));
	return 1;
}

static uint8_t pat(uint32_t i)
{
	return (uint8_t)((i * 11 + 5) & 0xff);
}

/* Echo of BYTES bytes through addr:7, checked; 0 or an error. */
static long echo(uint32_t addr)
{
	static uint8_t out[1000], in[NET_CHUNK];
	long s = -1, r;

	/* the echo server may not listen yet: a refused connection is made again */
	for (int tries = 0; tries < 50; tries++) {
		if ((s = net_connect(net, addr, 7)) < 0)
			return s;
		uint64_t delay = 0;
		while (!((r = net_poll(net, s)) & (NET_R_WRITABLE | NET_R_ERROR)) && r >= 0)
			net_backoff(&delay);
		if (r >= 0 && !(r & NET_R_ERROR))
			break;
		net_close(net, s);
		s = -1;
		rw_sleep_ns(50000000ULL);
	}
	if (s < 0)
		return NET_ECONNREFUSED;
	uint32_t sent = 0, got = 0;
	while (got < BYTES) {
		if (sent < BYTES) {
			uint32_t n = BYTES - sent < sizeof out ? BYTES - sent : sizeof out;
			for (uint32_t i = 0; i < n; i++)
				out[i] = pat(sent + i);
			if ((r = net_send_all(net, s, out, n)) < 0)
				return r;
			sent += n;
		}
		while (got < sent) {
			r = net_recv_nb(net, s, in, sizeof in);
			if (r == NET_EAGAIN) {
				if (sent < BYTES)
					break; /* send more first */
				r = net_recv(net, s, in, sizeof in);
			}
			if (r <= 0)
				return r < 0 ? r : NET_ECONNRESET;
			for (long i = 0; i < r; i++)
				if (in[i] != pat(got + (uint32_t)i))
					return RW_EINVAL;
			got += (uint32_t)r;
		}
	}
	return net_close(net, s);
}

/* A datagram from one of our UDP sockets to the other through addr. */
static long datagram(uint32_t addr)
{
	uint16_t port = 0;
	uint32_t from = 0;
	uint16_t from_port = 0;
	char in[16];
	long a = net_udp_bind(net, 0, NULL), b = net_udp_bind(net, 0, &port), r;

	if (a < 0 || b < 0)
		return a < 0 ? a : b;
	if ((r = net_sendto(net, a, addr, port, "loop", 4)) < 0)
		return r;
	r = net_recvfrom_within(net, b, in, sizeof in, &from, &from_port, 2000000000ULL);
	if (r != 4 || memcmp(in, "loop", 4) != 0)
		return r < 0 ? r : RW_EINVAL;
	net_close(net, a);
	net_close(net, b);
	return 0;
}

int main(void)
{
	uint32_t self = 0;
	long r;

	if ((r = net_connect_stack("net", &net)) < 0 || (r = net_wait_ready(net, &self)) < 0)
		return fail("stack", r);
	if ((r = echo(NET_ADDR(127, 0, 0, 1))) < 0)
		return fail("echo through 127.0.0.1", r);
	if ((r = echo(self)) < 0)
		return fail("echo through the own address", r);
	if ((r = datagram(NET_ADDR(127, 0, 0, 1))) < 0)
		return fail("datagram through 127.0.0.1", r);
	if ((r = datagram(self)) < 0)
		return fail("datagram through the own address", r);
	printf("net_loop: ok bytes=%d\n", 2 * BYTES);
	return 0;
}
