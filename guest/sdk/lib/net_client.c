/* Client of the network stack server; protocol in <rewind/net.h> and
 * guest/abi/net.proto (the net_call_* stubs are generated from it).  The
 * blocking calls retry NET_EAGAIN with a bounded exponential back-off. */
#include <stdio.h>
#include <string.h>
#include <rewind/net.h>

/* A stack under txipc that faulted while handling a request rolled it back: the request had no
 * effect (RW_ERECOVERED), so making it again is safe and exactly once.  A few tries; a stack
 * that keeps failing the same request is reported to the caller. */
#define NET_RECOVERED_TRIES 4
#define NET_RETRY(call)                                                                 \
	({                                                                              \
		long net__st;                                                           \
		int net__tries = 0;                                                     \
		do                                                                      \
			net__st = (call);                                               \
		while (net__st == RW_ERECOVERED && ++net__tries < NET_RECOVERED_TRIES); \
		net__st;                                                                \
	})

const char *net_strerror(long err)
{
	const char *s = net_proto_error_name(err);

	return s ? s : rw_strerror(err);
}

char *net_addr_str(uint32_t addr, char buf[16])
{
	snprintf(buf, 16, "%u.%u.%u.%u", (unsigned)(addr >> 24), (unsigned)(addr >> 16 & 0xff),
	         (unsigned)(addr >> 8 & 0xff), (unsigned)(addr & 0xff));
	return buf;
}

void net_backoff(uint64_t *delay_ns)
{
	if (*delay_ns < NET_BACKOFF_MIN_NS)
		*delay_ns = NET_BACKOFF_MIN_NS;
	rw_sleep_ns(*delay_ns);
	*delay_ns *= 2;
	if (*delay_ns > NET_BACKOFF_MAX_NS)
		*delay_ns = NET_BACKOFF_MAX_NS;
}

long net_connect_stack(const char *name, rw_cap *net)
{
	uint64_t closed = 0;
	long st = rw_cap_get(name, net);

	if (st < 0)
		return st;
	/* Sockets an earlier generation of this task left (it restarted) hold
	 * their ports and their peers: reset them. */
	st = NET_RETRY(net_call_reset(*net, &closed));
	if (st == RW_EDEAD) {
		rw_cap_refresh(*net, NULL);
		st = NET_RETRY(net_call_reset(*net, &closed));
	}
	return st < 0 ? st : 0;
}

long net_info(rw_cap net, uint32_t *addr, uint32_t *netmask, uint32_t *gateway, int *ready)
{
	uint64_t a = 0, m = 0, g = 0, r = 0;
	long st = NET_RETRY(net_call_info(net, &a, &m, &g, &r));

	if (st < 0)
		return st;
	if (addr)
		*addr = (uint32_t)a;
	if (netmask)
		*netmask = (uint32_t)m;
	if (gateway)
		*gateway = (uint32_t)g;
	if (ready)
		*ready = (int)r;
	return 0;
}

long net_wait_ready(rw_cap net, uint32_t *addr)
{
	uint64_t delay = 0;

	for (;;) {
		int ready = 0;
		long st = net_info(net, addr, 0, 0, &ready);
		if (st < 0 || ready)
			return st;
		net_backoff(&delay);
	}
}

long net_listen(rw_cap net, uint16_t port, unsigned backlog)
{
	uint64_t s = 0;
	long st = NET_RETRY(net_call_listen(net, port, backlog, &s));

	return st < 0 ? st : (long)s;
}

long net_listen_again(rw_cap net, uint16_t port, unsigned backlog)
{
	uint64_t delay = 0;
	long ls = RW_EDEAD;

	for (int tries = 0; tries < 100 && ls == RW_EDEAD; tries++) {
		if (tries)
			net_backoff(&delay);
		rw_cap_refresh(net, NULL);
		ls = net_listen(net, port, backlog);
	}
	return ls;
}

long net_accept_nb(rw_cap net, long ls, uint32_t *peer_addr, uint16_t *peer_port)
{
	uint64_t s = 0, a = 0, p = 0;
	long st = NET_RETRY(net_call_accept(net, (uint64_t)ls, &s, &a, &p));

	if (st < 0)
		return st;
	if (peer_addr)
		*peer_addr = (uint32_t)a;
	if (peer_port)
		*peer_port = (uint16_t)p;
	return (long)s;
}

long net_accept(rw_cap net, long ls, uint32_t *peer_addr, uint16_t *peer_port)
{
	uint64_t delay = 0;

	for (;;) {
		long st = net_accept_nb(net, ls, peer_addr, peer_port);
		if (st != NET_EAGAIN)
			return st;
		net_backoff(&delay);
	}
}

long net_connect(rw_cap net, uint32_t addr, uint16_t port)
{
	uint64_t s = 0;
	long st = NET_RETRY(net_call_connect(net, addr, port, &s));

	return st < 0 ? st : (long)s;
}

long net_send_nb(rw_cap net, long s, const void *buf, size_t len)
{
	uint64_t taken = 0;

	if (len == 0 || !buf)
		return RW_EINVAL;
	if (len > NET_CHUNK)
		len = NET_CHUNK;
	memcpy(rw_ipc_buf(), buf, len);
	long st = NET_RETRY(net_call_send(net, (uint64_t)s, len, &taken));
	if (st < 0)
		return st;
	if (taken > len)
		return RW_EINVAL; /* malformed reply */
	return (long)taken;
}

long net_send_all_within(rw_cap net, long s, const void *buf, size_t len, uint64_t stall_ns)
{
	const uint8_t *p = buf;
	size_t done = 0;
	uint64_t delay = 0, since = stall_ns ? rw_clock_ns() : 0;

	if (len && !buf)
		return RW_EINVAL;
	while (done < len) {
		long st = net_send_nb(net, s, p + done, len - done);
		if (st == NET_EAGAIN) {
			if (stall_ns && rw_clock_ns() - since >= stall_ns)
				return RW_ETIMEDOUT;
			net_backoff(&delay);
			continue;
		}
		if (st < 0)
			return st;
		done += (size_t)st;
		delay = 0;
		if (stall_ns)
			since = rw_clock_ns();
	}
	return (long)len;
}

long net_send_all(rw_cap net, long s, const void *buf, size_t len)
{
	return net_send_all_within(net, s, buf, len, 0);
}

long net_recv_nb(rw_cap net, long s, void *buf, size_t max)
{
	uint64_t n = 0;

	if (max == 0 || !buf)
		return RW_EINVAL;
	if (max > NET_CHUNK)
		max = NET_CHUNK;
	long st = NET_RETRY(net_call_recv(net, (uint64_t)s, max, &n));
	if (st < 0)
		return st;
	if (n > max)
		return RW_EINVAL; /* malformed reply */
	memcpy(buf, rw_ipc_buf(), n);
	return (long)n;
}

long net_recv_within(rw_cap net, long s, void *buf, size_t max, uint64_t stall_ns)
{
	uint64_t delay = 0, since = stall_ns ? rw_clock_ns() : 0;

	for (;;) {
		long st = net_recv_nb(net, s, buf, max);
		if (st != NET_EAGAIN)
			return st;
		if (stall_ns && rw_clock_ns() - since >= stall_ns)
			return RW_ETIMEDOUT;
		net_backoff(&delay);
	}
}

long net_recv(rw_cap net, long s, void *buf, size_t max)
{
	return net_recv_within(net, s, buf, max, 0);
}

long net_close(rw_cap net, long s)
{
	return NET_RETRY(net_call_close(net, (uint64_t)s));
}

long net_stats(rw_cap net, struct net_stats *st)
{
	uint64_t n[4] = { 0, 0, 0, 0 };
	long r = NET_RETRY(net_call_stats(net, &n[0], &n[1], &n[2], &n[3]));

	if (r >= 0 && st) {
		st->conns = n[0];
		st->listeners = n[1];
		st->udp = n[2];
		st->dropped = n[3];
	}
	return r;
}

long net_shutdown(rw_cap net, long s)
{
	return NET_RETRY(net_call_shutdown(net, (uint64_t)s));
}

long net_abort(rw_cap net, long s)
{
	return NET_RETRY(net_call_abort(net, (uint64_t)s));
}

long net_poll(rw_cap net, long s)
{
	uint64_t bits = 0;
	long st = NET_RETRY(net_call_poll(net, (uint64_t)s, &bits));

	return st < 0 ? st : (long)bits;
}

long net_udp_bind(rw_cap net, uint16_t port, uint16_t *bound)
{
	uint64_t s = 0, p = 0;
	long st = NET_RETRY(net_call_udp_bind(net, port, &s, &p));

	if (st < 0)
		return st;
	if (bound)
		*bound = (uint16_t)p;
	return (long)s;
}

long net_sendto(rw_cap net, long s, uint32_t addr, uint16_t port, const void *buf, size_t len)
{
	uint64_t sent = 0, delay = 0;

	if (len == 0 || len > NET_UDP_MAX || !buf)
		return RW_EINVAL;
	memcpy(rw_ipc_buf(), buf, len); /* (an error reply leaves the buffer as it is) */
	for (;;) {
		long st = NET_RETRY(net_call_sendto(net, (uint64_t)s, addr, port, len, &sent));
		if (st != NET_EAGAIN)
			return st < 0 ? st : (long)sent;
		net_backoff(&delay);
	}
}

long net_recvfrom_nb(rw_cap net, long s, void *buf, size_t max, uint32_t *addr, uint16_t *port)
{
	uint64_t n = 0, a = 0, p = 0;

	if (max == 0 || !buf)
		return RW_EINVAL;
	if (max > NET_UDP_MAX)
		max = NET_UDP_MAX;
	long st = NET_RETRY(net_call_recvfrom(net, (uint64_t)s, max, &n, &a, &p));
	if (st < 0)
		return st;
	if (n > max)
		return RW_EINVAL; /* malformed reply */
	memcpy(buf, rw_ipc_buf(), n);
	if (addr)
		*addr = (uint32_t)a;
	if (port)
		*port = (uint16_t)p;
	return (long)n;
}

long net_recvfrom_within(rw_cap net, long s, void *buf, size_t max, uint32_t *addr, uint16_t *port,
                         uint64_t stall_ns)
{
	uint64_t delay = 0, since = stall_ns ? rw_clock_ns() : 0;

	for (;;) {
		long st = net_recvfrom_nb(net, s, buf, max, addr, port);
		if (st != NET_EAGAIN)
			return st;
		if (stall_ns && rw_clock_ns() - since >= stall_ns)
			return RW_ETIMEDOUT;
		net_backoff(&delay);
	}
}

long net_recvfrom(rw_cap net, long s, void *buf, size_t max, uint32_t *addr, uint16_t *port)
{
	return net_recvfrom_within(net, s, buf, max, addr, port, 0);
}
