/*
 * net_many - more connections than the stack has receive buffers, each
 * holding data nobody has read yet (images/t_net_many.toml; two stacks
 * joined by tests/nic_wire.c).
 *
 * Built twice.  The client (on "net2") opens N connections to the server
 * (on "net", 10.0.2.15) one after the other, then sends a line on each.
 * The server accepts all N without reading, waits until the last line has
 * come, and only then reads every line, checks it and answers it; the
 * client checks each answer.  Each frame the card delivers takes one of
 * the stack's receive buffers (PBUF_POOL_SIZE, fewer than N): a stack that
 * kept unread data in them would have none left for the later lines (nor
 * for the acknowledgements of later connections), and both sides would wait
 * for good.  Each prints "net_many: <role> ok".
 */
#include <stdio.h>
#include <string.h>
#include <rewind/net.h>

#define NAME "net_many"
#include "net_pair.h"

#define PORT 11
#define N    200
#define LINE 32

static long socks[N];

/* fail(), naming connection i (-1: none in particular). */
static int fail_at(const char *what, int i, long r)
{
	printf(NAME ": " ROLE " FAIL %s (connection %d): %s\n", what, i, net_strerror(r));
	return 1;
}

static void line(char *buf, const char *word, int i)
{
	memset(buf, '.', LINE);
	snprintf(buf, LINE, "%s %03d", word, i);
	buf[strlen(buf)] = '.';
	buf[LINE - 1] = '\n';
}

/* Reads exactly LINE bytes of s into buf: 0, or < 0. */
static long read_line(long s, char *buf)
{
	for (size_t got = 0; got < LINE;) {
		long r = net_recv(net, s, buf + got, LINE - got);
		if (r <= 0)
			return r < 0 ? r : NET_ECONNRESET;
		got += (size_t)r;
	}
	return 0;
}

#ifdef CLIENT
int main(void)
{
	char want[LINE], got[LINE];
	long r;

	if ((r = net_connect_stack(STACK, &net)) < 0 || (r = net_wait_ready(net, 0)) < 0)
		return fail_at("stack", -1, r);
	for (int i = 0; i < N; i++) {
		uint64_t delay = 0;
		long b;
		for (int tries = 0;; tries++) {
			if ((socks[i] = net_connect(net, NET_ADDR(10, 0, 2, 15), PORT)) < 0)
				return fail_at("CONNECT", i, socks[i]);
			while ((b = net_poll(net, socks[i])) >= 0 &&
			       !(b & (NET_R_WRITABLE | NET_R_ERROR)))
				net_backoff(&delay);
			if (b >= 0 && !(b & NET_R_ERROR))
				break;
			net_close(net, socks[i]);
			if (tries == 50)
				return fail_at("CONNECT (refused 50 times)", i,
				               b < 0 ? b : NET_ECONNREFUSED);
			rw_sleep_ns(100000000ULL); /* (the server is not listening yet) */
		}
	}
	for (int i = 0; i < N; i++) {
		line(want, "many", i);
		if ((r = net_send_all(net, socks[i], want, LINE)) < 0)
			return fail_at("SEND", i, r);
	}
	for (int i = 0; i < N; i++) {
		line(want, "seen", i);
		if ((r = read_line(socks[i], got)) < 0)
			return fail_at("RECV of the answer", i, r);
		if (memcmp(got, want, LINE) != 0)
			return fail_at("the answer differs", i, RW_EINVAL);
		net_close(net, socks[i]);
	}
	printf("net_many: client ok connections=%d\n", N);
	return 0;
}

#else

/* Waits until s has data (or an error). */
static long wait_readable(long s)
{
	uint64_t delay = 0;
	long b;

	while ((b = net_poll(net, s)) >= 0 && !(b & (NET_R_READABLE | NET_R_ERROR)))
		net_backoff(&delay);
	return b < 0 ? b : (b & NET_R_ERROR) ? NET_ECONNRESET : 0;
}

int main(void)
{
	char want[LINE], got[LINE];
	long r, ls;

	if ((r = net_connect_stack(STACK, &net)) < 0 || (r = net_wait_ready(net, 0)) < 0)
		return fail_at("stack", -1, r);
	if ((ls = net_listen(net, PORT, NET_MAX_BACKLOG)) < 0)
		return fail_at("LISTEN", -1, ls);
	for (int i = 0; i < N; i++)
		if ((socks[i] = net_accept(net, ls, 0, 0)) < 0)
			return fail_at("ACCEPT", i, socks[i]);
	if ((r = wait_readable(socks[N - 1])) < 0)
		return fail_at("the last line", N - 1, r);
	for (int i = 0; i < N; i++) {
		line(want, "many", i);
		if ((r = read_line(socks[i], got)) < 0)
			return fail_at("RECV", i, r);
		if (memcmp(got, want, LINE) != 0)
			return fail_at("the line differs", i, RW_EINVAL);
		line(want, "seen", i);
		if ((r = net_send_all(net, socks[i], want, LINE)) < 0)
			return fail_at("SEND", i, r);
	}
	for (int i = 0; i < N; i++)
		net_close(net, socks[i]);
	net_close(net, ls);
	printf("net_many: server ok connections=%d\n", N);
	return 0;
}
#endif
