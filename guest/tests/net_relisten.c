/*
 * net_relisten - a port listened on again after its connections were closed
 * (tests/nic_wire.c joins two stacks; images/t_net_relisten.toml).
 *
 * Built twice.  The server (on "net", 10.0.2.15) listens on PORT, checks that
 * a second LISTEN on it answers EADDRINUSE, accepts a connection, sends
 * "one" and closes it first (so its side of the connection lingers, then
 * waits in TIME_WAIT, with PORT as its local port), closes the listener,
 * listens on PORT again at once (as a restarted server does) and serves a
 * second connection "two".  The client (-DCLIENT, on "net2") connects twice,
 * reading each answer to its end.  Each prints "net_relisten: <role> ok".
 */
#include <stdio.h>
#include <string.h>
#include <rewind/net.h>

#define NAME "net_relisten"
#include "net_pair.h"

#define PORT 8

#ifdef CLIENT
/* Connects (again until the server listens) and reads to the end. */
static int fetch(const char *want)
{
	char buf[16];
	size_t got = 0;

	for (int tries = 0;; tries++) {
		long s = net_connect(net, NET_ADDR(10, 0, 2, 15), PORT);
		if (s < 0)
			return fail("CONNECT", s);
		long n;
		got = 0;
		while ((n = net_recv(net, s, buf + got, sizeof buf - 1 - got)) > 0)
			got += (size_t)n;
		net_close(net, s);
		if (n == 0)
			break;
		/* The server is not listening yet (refused), or the connection
		 * waited on the listener it then closed (reset, nothing read). */
		if (!(n == NET_ECONNREFUSED || (n == NET_ECONNRESET && got == 0)) || tries == 50)
			return fail("RECV", n);
		rw_sleep_ns(100000000ULL);
	}
	buf[got] = 0;
	if (strcmp(buf, want) != 0) {
		printf("net_relisten: client FAIL got \"%s\", not \"%s\"\n", buf, want);
		return 1;
	}
	return 0;
}
#else
/* Serves one connection on listener ls: sends msg, closes first. */
static int serve(long ls, const char *msg)
{
	long s = net_accept(net, ls, NULL, NULL);
	if (s < 0)
		return fail("ACCEPT", s);
	long r = net_send_all(net, s, msg, strlen(msg));
	if (r < 0)
		return fail("SEND", r);
	if ((r = net_close(net, s)) < 0)
		return fail("CLOSE", r);
	return 0;
}
#endif

int main(void)
{
	uint32_t addr;
	long r;

	if ((r = net_connect_stack(STACK, &net)) < 0 || (r = net_wait_ready(net, &addr)) < 0)
		return fail("stack", r);
#ifdef CLIENT
	if (fetch("one") || fetch("two"))
		return 1;
#else
	long ls = net_listen(net, PORT, 2);
	if (ls < 0)
		return fail("LISTEN", ls);
	if ((r = net_listen(net, PORT, 2)) != NET_EADDRINUSE)
		return fail("a second LISTEN on the port answered", r);
	if (serve(ls, "one"))
		return 1;
	/* let the client's FIN come: our side of "one" goes to TIME_WAIT */
	rw_sleep_ns(300000000ULL);
	if ((r = net_close(net, ls)) < 0)
		return fail("CLOSE of the listener", r);
	if ((ls = net_listen(net, PORT, 2)) < 0)
		return fail("LISTEN again after the close", ls);
	if ((r = net_listen(net, PORT, 2)) != NET_EADDRINUSE)
		return fail("a second LISTEN on the port answered (after the relisten)", r);
	if (serve(ls, "two"))
		return 1;
#endif
	printf("net_relisten: " ROLE " ok\n");
	return 0;
}
