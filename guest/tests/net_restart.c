/*
 * net_restart - a network server restarted by the kernel (recovery =
 * "restart") serves its port again (images/t_net_restart.toml: two stacks
 * joined by tests/nic_wire.c, as in t_net_wire.toml).
 *
 * Built twice.  The server (on "net", 10.0.2.15) in its first generation
 * listens on PORT, accepts a connection, sends "one" and faults with both
 * sockets open.  Its badge is the same in the next generation, whose
 * net_connect_stack resets what the first one left (NET_RESET): the port is
 * free to listen on again, and the connection it held ends by RST instead of
 * leaving its peer waiting for good.  It then serves "two" and closes.  The
 * client (-DCLIENT, on "net2") reads "one", then must see the connection
 * reset (not wait), then connects again for "two".  Each prints
 * "net_restart: <role> ok".
 */
#include <stdio.h>
#include <string.h>
#include <rewind/net.h>

#define NAME "net_restart"
#include "net_pair.h"

#define PORT    8
#define WAIT_NS 20000000000ULL /* a reset that does not come within 20 s never will */

int main(void)
{
	uint32_t addr;
	long r;

	if ((r = net_connect_stack(STACK, &net)) < 0 || (r = net_wait_ready(net, &addr)) < 0)
		return fail("stack", r);
#ifdef CLIENT
	char buf[16];
	long s;
	size_t got;
	for (int tries = 0;; tries++) {
		if ((s = net_connect(net, NET_ADDR(10, 0, 2, 15), PORT)) < 0)
			return fail("CONNECT", s);
		got = 0;
		while (got < 3 && (r = net_recv_within(net, s, buf + got, 3 - got, WAIT_NS)) > 0)
			got += (size_t)r;
		if (got == 3 || r != NET_ECONNREFUSED || tries == 50)
			break;
		net_close(net, s); /* the server is not listening yet */
		rw_sleep_ns(100000000ULL);
	}
	if (got != 3 || memcmp(buf, "one", 3) != 0)
		return fail("the first answer", r);
	/* the server faults now; its next generation resets this connection */
	r = net_recv_within(net, s, buf, sizeof buf, WAIT_NS);
	if (r != NET_ECONNRESET)
		return fail("the first connection after the server's fault answered", r);
	net_close(net, s);
	for (int tries = 0;; tries++) {
		s = net_connect(net, NET_ADDR(10, 0, 2, 15), PORT);
		if (s < 0)
			return fail("CONNECT again", s);
		got = 0;
		while ((r = net_recv_within(net, s, buf + got, sizeof buf - 1 - got, WAIT_NS)) > 0)
			got += (size_t)r;
		net_close(net, s);
		if (r == 0)
			break;
		/* not listening yet: refused, or reset before anything came */
		if (!(r == NET_ECONNREFUSED || (r == NET_ECONNRESET && got == 0)) || tries == 50)
			return fail("RECV from the restarted server", r);
		rw_sleep_ns(100000000ULL);
	}
	buf[got] = 0;
	if (strcmp(buf, "two") != 0) {
		printf("net_restart: client FAIL got \"%s\", not \"two\"\n", buf);
		return 1;
	}
#else
	unsigned gen = (unsigned)(rw_task_self() >> 16);
	long ls = net_listen(net, PORT, 2);
	if (ls < 0)
		return fail("LISTEN", ls);
	long s = net_accept(net, ls, NULL, NULL);
	if (s < 0)
		return fail("ACCEPT", s);
	if (gen == 1) {
		if ((r = net_send_all(net, s, "one", 3)) < 0)
			return fail("SEND", r);
		rw_sleep_ns(200000000ULL); /* let "one" reach the client */
		printf("net_restart: server generation 1 faults\n");
		*(volatile int *)0 = 1; /* both sockets still open */
	}
	if ((r = net_send_all(net, s, "two", 3)) < 0)
		return fail("SEND", r);
	if ((r = net_close(net, s)) < 0)
		return fail("CLOSE", r);
#endif
	printf("net_restart: " ROLE " ok\n");
	return 0;
}
