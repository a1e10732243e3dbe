/*
 * net_peer - a TCP client on the second stack ("net2", tests/nic_wire.c)
 * against the echo server (apps/echo_server.c) on the first (10.0.2.15:7):
 * connects, sends BYTES bytes of a pattern in uneven pieces while reading
 * the echo, checks every byte that comes back, closes; then checks what the
 * stack says of misuse (another client's socket id, a closed socket, a port
 * nobody listens on).  Prints "net_peer: ok bytes=N" when all is right.
 */
#include <stdio.h>
#include <string.h>
#include <rewind/net.h>

#ifndef BYTES
#define BYTES 100000
#endif

static uint8_t pat(uint32_t i)
{
	return (uint8_t)((i * 7 + 3) & 0xff);
}

static int fail(const char *what, long r)
{
	printf("net_peer: FAIL %s: %s\n", what, net_strerror(r));
	return 1;
}

int main(void)
{
	rw_cap net;
	uint32_t addr = 0;
	char a[16];
	long r;

	if ((r = net_connect_stack("net2", &net)) < 0)
		return fail("no endpoint net2", r);
	if ((r = net_wait_ready(net, &addr)) < 0)
		return fail("INFO", r);
	printf("net_peer: address %s\n", net_addr_str(addr, a));
	long s = -1;
	/* the echo server may not listen yet: refused connections are retried */
	for (int tries = 0; tries < 50 && s < 0; tries++) {
		s = net_connect(net, NET_ADDR(10, 0, 2, 15), 7);
		if (s < 0)
			return fail("CONNECT", s);
		uint64_t delay = 0;
		for (;;) {
			long b = net_poll(net, s);
			if (b < 0)
				return fail("POLL", b);
			if (b & NET_R_WRITABLE)
				break; /* connected */
			if (b & NET_R_ERROR) {
				net_close(net, s);
				s = -1;
				rw_sleep_ns(100000000ULL);
				break;
			}
			net_backoff(&delay);
		}
	}
	if (s < 0)
		return fail("no connection to 10.0.2.15:7", NET_ECONNREFUSED);

	static uint8_t buf[NET_CHUNK];
	uint32_t out = 0, in = 0, piece = 1;
	uint64_t delay = 0;
	while (in < BYTES) {
		int busy = 0;
		if (out < BYTES) {
			uint32_t k = piece < BYTES - out ? piece : BYTES - out;
			for (uint32_t i = 0; i < k; i++)
				buf[i] = pat(out + i);
			r = net_send_nb(net, s, buf, k);
			if (r > 0) {
				out += (uint32_t)r;
				piece = piece * 3 % 4093 + 1;
				busy = 1;
			} else if (r != NET_EAGAIN) {
				return fail("SEND", r);
			}
		}
		r = net_recv_nb(net, s, buf, sizeof buf);
		if (r > 0) {
			for (long i = 0; i < r; i++) {
				if (buf[i] != pat(in + (uint32_t)i)) {
					printf("net_peer: FAIL byte %lu is %u, not %u\n",
					       (unsigned long)(in + i), buf[i],
					       pat(in + (uint32_t)i));
					return 1;
				}
			}
			in += (uint32_t)r;
			busy = 1;
		} else if (r == 0) {
			printf("net_peer: FAIL the echo ended after %lu bytes\n",
			       (unsigned long)in);
			return 1;
		} else if (r != NET_EAGAIN) {
			return fail("RECV", r);
		}
		if (busy)
			delay = 0;
		else
			net_backoff(&delay);
	}
	if ((r = net_close(net, s)) < 0)
		return fail("CLOSE", r);
	if ((r = net_send_nb(net, s, buf, 1)) != NET_EBADF)
		return fail("SEND on a closed socket answered", r);
	if ((r = net_recv_nb(net, (long)((1 << 8) | 63), buf, 1)) != NET_EBADF)
		return fail("RECV on nobody's socket answered", r);
	/* nobody listens on port 9: the peer resets, RECV and SEND say so */
	long z = net_connect(net, NET_ADDR(10, 0, 2, 15), 9);
	if (z < 0)
		return fail("CONNECT 9", z);
	r = net_recv(net, z, buf, 1);
	if (r != NET_ECONNREFUSED)
		return fail("RECV after a refused CONNECT answered", r);
	if ((r = net_send_nb(net, z, buf, 1)) != NET_ECONNREFUSED)
		return fail("SEND after a refused CONNECT answered", r);
	net_close(net, z);
	printf("net_peer: ok bytes=%u\n", (unsigned)in);
	return 0;
}
