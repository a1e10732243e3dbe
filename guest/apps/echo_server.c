/*
 * echo_server (net_echo.elf) - TCP echo on port 7 through the network stack
 * server (endpoint "net"): every byte a client sends comes back.
 *
 * Up to MAX_CONNS connections are served interleaved, and no call waits:
 * each round sends what a connection still owes its client, or else takes
 * what waits on it, then accepts new ones; a round with nothing to do sleeps
 * with the client library's back-off.  So a client that reads slowly (or
 * not at all) delays nobody else.  A connection ends when its peer closes
 * (the echo of what came before it is sent first) or fails, or when its echo
 * has made no progress for STALL_NS (a client that does not read).  When the
 * stack restarts (EDEAD) its connections are gone; the server listens again
 * on the new one.
 */
#include <stdio.h>
#include <rewind/net.h>

#define PORT      7
#define MAX_CONNS 8
#define STALL_NS  (10ULL * 1000000000ULL) /* a client taking nothing this long is dropped */

struct conn {
	long sock;         /* -1: free */
	size_t len, pos;   /* buf[pos..len) is still to be echoed */
	uint64_t progress; /* when a byte of the echo last went */
	uint8_t buf[NET_CHUNK];
};

static rw_cap net;
static struct conn conns[MAX_CONNS];
static unsigned long long served, bytes;

/* Ends connection c (n: 0 at the end of its stream, or an error). */
static void finish(struct conn *c, long n)
{
	if (n < 0)
		printf("echo: connection %ld: %s\n", c->sock, net_strerror(n));
	net_close(net, c->sock);
	c->sock = -1;
	served++;
}

/* Echoes what waits on c, without waiting.  Returns 1 if it did something. */
static int pump(struct conn *c)
{
	int took = 0;

	if (c->pos == c->len) {
		long n = net_recv_nb(net, c->sock, c->buf, sizeof c->buf);
		if (n == NET_EAGAIN)
			return 0;
		if (n <= 0) {
			finish(c, n);
			return 1;
		}
		c->len = (size_t)n;
		c->pos = 0;
		c->progress = rw_clock_ns();
		took = 1;
	}
	long r = net_send_nb(net, c->sock, c->buf + c->pos, c->len - c->pos);
	if (r == NET_EAGAIN) {
		/* a client that sends but never reads must not keep its slot
		 * (and the stack's buffers) for good */
		if (rw_clock_ns() - c->progress < STALL_NS)
			return took;
		finish(c, RW_ETIMEDOUT);
		return 1;
	}
	if (r <= 0) {
		finish(c, r < 0 ? r : RW_EINVAL);
		return 1;
	}
	c->pos += (size_t)r;
	bytes += (unsigned long long)r;
	c->progress = rw_clock_ns();
	return 1;
}

int main(void)
{
	long r;

	if ((r = net_connect_stack("net", &net)) < 0) {
		printf("echo: no endpoint \"net\" (%s)\n", rw_strerror(r));
		return 1;
	}
	long ls = net_listen(net, PORT, 4);
	if (ls < 0) {
		printf("echo: LISTEN %d: %s\n", PORT, net_strerror(ls));
		return 1;
	}
	printf("echo: listening on port %d\n", PORT);
	for (int k = 0; k < MAX_CONNS; k++)
		conns[k].sock = -1;
	uint64_t delay = 0;
	for (;;) {
		int busy = 0;

		for (int k = 0; k < MAX_CONNS; k++)
			if (conns[k].sock >= 0)
				busy |= pump(&conns[k]);
		for (int k = 0; k < MAX_CONNS; k++) {
			if (conns[k].sock >= 0)
				continue;
			uint32_t peer = 0;
			uint16_t port = 0;
			long s = net_accept_nb(net, ls, &peer, &port);
			if (s == NET_EAGAIN)
				break;
			if (s == RW_EDEAD) {
				/* The stack restarted: its sockets, ours among them, are gone. */
				for (int j = 0; j < MAX_CONNS; j++)
					conns[j].sock = -1;
				ls = net_listen_again(net, PORT, 4);
				if (ls >= 0) {
					printf("echo: the stack restarted; listening again on port "
					       "%d\n",
					       PORT);
					break;
				}
				s = ls;
			}
			if (s < 0) {
				printf("echo: ACCEPT: %s\n", net_strerror(s));
				return 1;
			}
			conns[k].sock = s;
			conns[k].len = conns[k].pos = 0;
			busy = 1;
		}
		if (busy)
			delay = 0;
		else
			net_backoff(&delay);
	}
}
