/*
 * net_halfclose - closing one direction (SHUTDOWN) and closing by RST
 * (ABORT) between two stacks (tests/nic_wire.c joins them;
 * images/t_net_halfclose.toml).
 *
 * Built twice.  The server (on "net", 10.0.2.15) listens on PORT.  First
 * connection: the client sends "question" and shuts its sending side; the
 * server reads it to the end of the stream, answers "answer" and closes; the
 * client, which can no longer send (ENOTCONN), still reads the answer to its
 * end.  Second connection: the server aborts it once the client's first
 * byte came; the client's next RECV answers ECONNRESET.  Each prints
 * "net_halfclose: <role> ok".
 */
#include <stdio.h>
#include <string.h>
#include <rewind/net.h>

#define NAME "net_halfclose"
#include "net_pair.h"

#define PORT 10

/* Reads s to the end of the stream into buf (size max): the length, or < 0. */
static long read_all(long s, char *buf, size_t max)
{
	size_t got = 0;

	for (;;) {
		long r = net_recv(net, s, buf + got, max - got);
		if (r <= 0)
			return r < 0 ? r : (long)got;
		got += (size_t)r;
		if (got == max)
			return RW_EINVAL;
	}
}

#ifdef CLIENT
/* A connection to the server (again until it listens). */
static long dial(void)
{
	for (int tries = 0; tries < 50; tries++) {
		long s = net_connect(net, NET_ADDR(10, 0, 2, 15), PORT), b;
		uint64_t delay = 0;
		if (s < 0)
			return s;
		while ((b = net_poll(net, s)) >= 0 && !(b & (NET_R_WRITABLE | NET_R_ERROR)))
			net_backoff(&delay);
		if (b >= 0 && !(b & NET_R_ERROR))
			return s;
		net_close(net, s);
		rw_sleep_ns(100000000ULL);
	}
	return NET_ECONNREFUSED;
}

int main(void)
{
	char buf[64];
	long r, s;

	if ((r = net_connect_stack(STACK, &net)) < 0 || (r = net_wait_ready(net, 0)) < 0)
		return fail("stack", r);
	if ((s = dial()) < 0)
		return fail("CONNECT", s);
	if ((r = net_send_all(net, s, "question", 8)) < 0)
		return fail("SEND", r);
	if ((r = net_shutdown(net, s)) < 0)
		return fail("SHUTDOWN", r);
	if ((r = net_send_nb(net, s, "more", 4)) != NET_ENOTCONN)
		return fail("SEND after SHUTDOWN", r < 0 ? r : RW_EINVAL);
	if ((r = net_poll(net, s)) < 0 || (r & NET_R_WRITABLE))
		return fail("POLL after SHUTDOWN says writable", r < 0 ? r : RW_EINVAL);
	r = read_all(s, buf, sizeof buf);
	if (r != 6 || memcmp(buf, "answer", 6) != 0)
		return fail("the answer after SHUTDOWN", r < 0 ? r : RW_EINVAL);
	if ((r = net_close(net, s)) < 0)
		return fail("CLOSE", r);
	if ((s = dial()) < 0)
		return fail("CONNECT again", s);
	/* (the server aborts once this byte came: an abort racing the end of
	 * the handshake would look like a refused connection to dial) */
	if ((r = net_send_all(net, s, "x", 1)) < 0)
		return fail("SEND before the abort", r);
	r = net_recv(net, s, buf, sizeof buf);
	if (r != NET_ECONNRESET)
		return fail("RECV on a connection the server aborted", r < 0 ? r : RW_EINVAL);
	if ((r = net_poll(net, s)) < 0 || !(r & NET_R_ERROR))
		return fail("POLL on an aborted connection", r < 0 ? r : RW_EINVAL);
	if ((r = net_abort(net, s)) < 0)
		return fail("ABORT of a reset socket", r);
	if ((r = net_close(net, s)) != NET_EBADF)
		return fail("CLOSE after ABORT", r < 0 ? r : RW_EINVAL);
	printf("net_halfclose: client ok\n");
	return 0;
}

#else

int main(void)
{
	char buf[64];
	long r, ls, s;

	if ((r = net_connect_stack(STACK, &net)) < 0 || (r = net_wait_ready(net, 0)) < 0)
		return fail("stack", r);
	if ((ls = net_listen(net, PORT, 2)) < 0)
		return fail("LISTEN", ls);
	if ((s = net_accept(net, ls, 0, 0)) < 0)
		return fail("ACCEPT", s);
	r = read_all(s, buf, sizeof buf);
	if (r != 8 || memcmp(buf, "question", 8) != 0)
		return fail("the question to its end", r < 0 ? r : RW_EINVAL);
	if ((r = net_send_all(net, s, "answer", 6)) < 0)
		return fail("SEND to a peer that shut its side", r);
	if ((r = net_close(net, s)) < 0)
		return fail("CLOSE", r);
	if ((s = net_accept(net, ls, 0, 0)) < 0)
		return fail("ACCEPT again", s);
	if ((r = net_recv(net, s, buf, 1)) != 1)
		return fail("the byte before the abort", r < 0 ? r : RW_EINVAL);
	if ((r = net_abort(net, s)) < 0)
		return fail("ABORT", r);
	if ((r = net_shutdown(net, s)) != NET_EBADF)
		return fail("SHUTDOWN after ABORT", r < 0 ? r : RW_EINVAL);
	net_close(net, ls);
	printf("net_halfclose: server ok\n");
	return 0;
}
#endif
