/*
 * net_orphan - the sockets of a client that ends without closing them are
 * freed by the stack (images/t_net_orphan.toml: one stack; the kernel's
 * CLIENT_ALIVE tells it the client is gone).
 *
 * Built twice.  The leaver (-DLEAVER) listens on PORT, binds UDP PORT and
 * exits without closing either.  The watcher waits until STATS shows them,
 * then until it shows none, then listens on the port and binds it itself
 * (which the leaver's sockets would refuse) and checks that only its own two
 * are left.  Prints
 * "net_orphan: ok" (and how long the stack took).
 */
#include <stdio.h>
#include <rewind/net.h>

#define PORT 11

static rw_cap net;

static int fail(const char *what, long r)
{
	printf("net_orphan: FAIL %s: %s\n", what, net_strerror(r));
	return 1;
}

#ifdef LEAVER
int main(void)
{
	long r;

	if ((r = net_connect_stack("net", &net)) < 0 || (r = net_wait_ready(net, 0)) < 0)
		return fail("stack", r);
	if ((r = net_listen(net, PORT, 4)) < 0)
		return fail("LISTEN", r);
	if ((r = net_udp_bind(net, PORT, 0)) < 0)
		return fail("UDP_BIND", r);
	printf("net_orphan: leaving with two sockets open\n");
	rw_sleep_ns(500000000ULL); /* (while the watcher, polling every 20 ms, sees them) */
	return 0;
}
#else
int main(void)
{
	long r, ls = -1, us = -1;

	if ((r = net_connect_stack("net", &net)) < 0 || (r = net_wait_ready(net, 0)) < 0)
		return fail("stack", r);
	if ((r = rw_client_alive(net, 1)) != RW_ECAP) /* (a capability to call, not to serve) */
		return fail("CLIENT_ALIVE on a send capability", r < 0 ? r : RW_EINVAL);
	/* The leaver's sockets, seen through STATS (every client's): the watcher takes no port
	 * while it waits, so the two never race for it. */
	struct net_stats st;
	int seen = 0;
	for (int tries = 0; tries < 250 && !seen; tries++) {
		if ((r = net_stats(net, &st)) < 0)
			return fail("STATS", r);
		seen = st.listeners == 1 && st.udp == 1;
		if (!seen)
			rw_sleep_ns(20000000ULL);
	}
	if (!seen)
		return fail("the leaver's sockets never showed", RW_EINVAL);
	uint64_t t0 = rw_clock_ns();
	do {
		if (rw_clock_ns() - t0 > 5000000000ULL)
			return fail("the leaver's sockets are still there after 5 s", RW_EINVAL);
		rw_sleep_ns(20000000ULL);
		if ((r = net_stats(net, &st)) < 0)
			return fail("STATS", r);
	} while (st.listeners || st.udp || st.conns);
	ls = net_listen(net, PORT, 4);
	if (ls < 0)
		return fail("LISTEN after the leaver ended", ls);
	if ((us = net_udp_bind(net, PORT, 0)) < 0)
		return fail("UDP_BIND after the leaver ended", us);
	if ((r = net_stats(net, &st)) < 0)
		return fail("STATS", r);
	if (st.listeners != 1 || st.udp != 1 || st.conns != 0)
		return fail("STATS: sockets other than ours are left", RW_EINVAL);
	printf("net_orphan: ok (freed within %llu ms)\n",
	       (unsigned long long)((rw_clock_ns() - t0) / 1000000ULL));
	return 0;
}
#endif
