/*
 * echo_server (net_echo.elf) - TCP echo on port 7 through the network stack
 * server (endpoint "net"): every byte a client sends comes back.
 *
 * Up to MAX_CONNS connections are served interleaved: each round takes what
 * is waiting on every connection (non-blocking calls) and echoes it, then
 * accepts new ones; a round with nothing to do sleeps with the client
 * library's back-off.  A connection ends when its peer closes (the echo of
 * what came before it is sent first) or fails, or when its echo has made
 * no progress for STALL_NS (a client that does not read).  When the stack restarts
 * (EDEAD) its connections are gone; the server listens again on the new one.
 */
#include <stdio.h>
#include <rewind/net.h>

#define PORT      7
#define MAX_CONNS 8
#define STALL_NS  (10ULL * 1000000000ULL) /* a client taking nothing this long is dropped */

static rw_cap net;
static long conns[MAX_CONNS]; /* socket ids, -1 = free */
static unsigned long long served, bytes;
static uint8_t buf[NET_CHUNK];

/* Echoes what waits on connection k.  Returns 1 if it did something. */
static int pump(int k)
{
	long n = net_recv_nb(net, conns[k], buf, sizeof buf);

	if (n == NET_EAGAIN)
		return 0;
	if (n > 0) {
		/* a client that sends but never reads must not hold the
		 * server (the only reader of its socket) for good */
		long r = net_send_all_within(net, conns[k], buf, (size_t)n, STALL_NS);
		if (r >= 0) {
			bytes += (unsigned long long)n;
			return 1;
		}
		n = r;
	}
	/* end of stream (0) or an error: done with it */
	if (n < 0)
		printf("echo: connection %ld: %s\n", conns[k], net_strerror(n));
	net_close(net, conns[k]);
	conns[k] = -1;
	served++;
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
		conns[k] = -1;
	uint64_t delay = 0;
	for (;;) {
		int busy = 0;

		for (int k = 0; k < MAX_CONNS; k++)
			if (conns[k] >= 0)
				busy |= pump(k);
		for (int k = 0; k < MAX_CONNS; k++) {
			if (conns[k] >= 0)
				continue;
			uint32_t peer = 0;
			uint16_t port = 0;
			long s = net_accept_nb(net, ls, &peer, &port);
			if (s == NET_EAGAIN)
				break;
			if (s == RW_EDEAD) {
				/* The stack restarted: its sockets, ours among them, are gone. */
				for (int j = 0; j < MAX_CONNS; j++)
					conns[j] = -1;
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
			conns[k] = s;
			busy = 1;
		}
		if (busy)
			delay = 0;
		else
			net_backoff(&delay);
	}
}
