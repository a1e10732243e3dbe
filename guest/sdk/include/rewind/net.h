/*
 * net.h - client of the network stack server (endpoint "net" by convention):
 * TCP and UDP sockets over IPv4.
 *
 * Protocol (one rw_call per request), defined in guest/abi/net.proto, from
 * which <rewind/net_proto.h> (labels, constants, errors, request rules,
 * client stubs net_call_*) is generated:
 *
 *   request      words                        buffer   reply (label 0)
 *   NET_INFO     -                            -        w0 addr, w1 netmask, w2 gateway, w3 ready
 *   NET_LISTEN   w0 = port, w1 = backlog      -        w0 = socket
 *   NET_ACCEPT   w0 = listening socket        -        w0 = socket, w1 = peer addr, w2 = peer port
 *   NET_CONNECT  w0 = addr, w1 = port         -        w0 = socket (connecting)
 *   NET_SEND     w0 = socket, w1 = length     bytes    w0 = bytes taken (1..length)
 *   NET_RECV     w0 = socket, w1 = max        -        w0 = n, buffer = n bytes (0: end of stream)
 *   NET_CLOSE    w0 = socket                  -        -
 *   NET_POLL     w0 = socket                  -        w0 = NET_R_* bits
 *   NET_RESET    -                            -        w0 = sockets reset (all of the caller's)
 *   NET_UDP_BIND w0 = port (0: any)              -        w0 = socket, w1 = port
 *   NET_SENDTO   w0 = socket, w1 = addr,      bytes    w0 = bytes sent (= length)
 *                w2 = port, w3 = length
 *   NET_RECVFROM w0 = socket, w1 = max        -        w0 = n, w1 = addr, w2 = port, buffer = n bytes
 *   NET_SHUTDOWN w0 = socket                  -        -
 *   NET_ABORT    w0 = socket                  -        -
 *   NET_STATS    -                            -        w0 conns, w1 listeners, w2 udp, w3 dropped
 *
 * The server never blocks: what cannot complete now answers NET_EAGAIN.
 * The blocking calls here retry it, sleeping 50 us, doubling up to 2 ms
 * between tries (reset after progress); the _nb variants return NET_EAGAIN.
 * Addresses are IPv4 in host order (NET_ADDR(10, 0, 2, 15)); 127.0.0.1 (any
 * of 127/8) is this machine, as its own address is: the stack loops those
 * packets back, so tasks of one machine connect to each other.  Every
 * function returns >= 0 on success or a negative error: a kernel status
 * (RW_EDEAD: the stack restarted, ...) or a NET_E* / RW_E* code.  A request
 * the stack rolled back (RW_ERECOVERED, txipc: it had no effect) is made again
 * by every call here, up to 4 times.  RW_EINDOUBT (the stack faulted after its
 * NIC driver had acted on the request, in every run the kernel made of it) is
 * returned as it is: data may have left, so only the caller knows what to do.
 */
#ifndef REWIND_NET_H
#define REWIND_NET_H

#include <stddef.h>
#include <stdint.h>
#include <rewind/rewind.h>
#include <rewind/net_proto.h> /* generated from guest/abi/net.proto */

#ifdef __cplusplus
extern "C" {
#endif

#define NET_ADDR(a, b, c, d) \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

/* Back-off of the blocking calls, ns. */
#define NET_BACKOFF_MIN_NS 50000ULL
#define NET_BACKOFF_MAX_NS 2000000ULL

/* The capability of the stack's endpoint (e.g. "net"); 0 or an error.  Call
 * it once, when the task starts: it also resets every socket of the task
 * (NET_RESET), so that what an earlier generation of it left (a task under
 * recovery = "restart" keeps its badge) does not hold its ports or leave its
 * peers waiting: their connections end by RST. */
long net_connect_stack(const char *name, rw_cap *net);

/* Address, netmask, gateway (host order) and 1 once configured. */
long net_info(rw_cap net, uint32_t *addr, uint32_t *netmask, uint32_t *gateway, int *ready);
/* Waits (with the back-off) until the stack has an address; then net_info. */
long net_wait_ready(rw_cap net, uint32_t *addr);

/* A listening socket on port (1..65535), backlog 1..NET_MAX_BACKLOG: the
 * connections the stack holds (being set up or waiting for net_accept);
 * beyond it a new connection's SYN is dropped and its peer sends it again
 * later, as with a full accept queue on any host (no reset).  NET_EADDRINUSE
 * if the port is being listened on; connections accepted on it that are
 * still closing (TIME_WAIT) do not hold it (the stack sets SO_REUSEADDR). */
long net_listen(rw_cap net, uint16_t port, unsigned backlog);

/* After the stack restarted (a call answered RW_EDEAD: every socket of the old stack is gone):
 * binds `net` to the new stack and listens on `port` again, retrying with the back-off while
 * the new stack is not up yet (at most ~100 tries).  Returns the new listening socket or < 0. */
long net_listen_again(rw_cap net, uint16_t port, unsigned backlog);
/* A connection from listening socket ls: the new socket; peer address and
 * port when not NULL.  net_accept blocks until one comes. */
long net_accept(rw_cap net, long ls, uint32_t *peer_addr, uint16_t *peer_port);
long net_accept_nb(rw_cap net, long ls, uint32_t *peer_addr, uint16_t *peer_port);
/* Starts a connection to addr:port: the socket (connecting; sends and
 * receives wait until it is made, or fail with NET_ECONNREFUSED). */
long net_connect(rw_cap net, uint32_t addr, uint16_t port);

/* Sends len bytes (any length): len, or an error.  Blocks while the send
 * buffer is full. */
long net_send_all(rw_cap net, long s, const void *buf, size_t len);
/* net_send_all, but RW_ETIMEDOUT once the peer has taken nothing for stall_ns
 * (0: no limit): a server's defence against a client that stops reading. */
long net_send_all_within(rw_cap net, long s, const void *buf, size_t len, uint64_t stall_ns);
/* Sends up to min(len, NET_CHUNK) bytes: how many the stack took, or
 * NET_EAGAIN. */
long net_send_nb(rw_cap net, long s, const void *buf, size_t len);
/* Receives up to max bytes (max >= 1; at most NET_CHUNK per call): the
 * number received, 0 at the end of the stream.  net_recv blocks until at
 * least one byte or the end; net_recv_nb answers NET_EAGAIN. */
long net_recv(rw_cap net, long s, void *buf, size_t max);
long net_recv_nb(rw_cap net, long s, void *buf, size_t max);
/* net_recv, but RW_ETIMEDOUT when nothing comes for stall_ns (0: no limit). */
long net_recv_within(rw_cap net, long s, void *buf, size_t max, uint64_t stall_ns);
/* UDP.  A socket bound to port on every address (0: a free port the stack
 * picks); *bound, when not NULL, gets the port.  NET_EADDRINUSE if another
 * socket holds it.  A datagram is at most NET_UDP_MAX bytes (one frame); a
 * socket holds at most NET_UDP_QUEUE datagrams unread (and the stack 32 KiB
 * for all of them): more are dropped, as UDP may drop any.  NET_SEND,
 * NET_RECV and NET_ACCEPT on a UDP socket, and the calls below on a TCP one,
 * answer NET_ENOTCONN.  net_close frees it. */
long net_udp_bind(rw_cap net, uint16_t port, uint16_t *bound);
/* Sends one datagram of len (1..NET_UDP_MAX) bytes to addr:port: len, or an
 * error.  Blocks while the stack has no address yet or no memory; "sent"
 * means handed to the card: nothing says it arrived. */
long net_sendto(rw_cap net, long s, uint32_t addr, uint16_t port, const void *buf, size_t len);
/* The oldest datagram: its length, cut to max (the rest of it is dropped),
 * and the sender (addr, port: when not NULL).  net_recvfrom blocks until one
 * comes; net_recvfrom_nb answers NET_EAGAIN; net_recvfrom_within answers
 * RW_ETIMEDOUT when none came for stall_ns (0: no limit). */
long net_recvfrom(rw_cap net, long s, void *buf, size_t max, uint32_t *addr, uint16_t *port);
long net_recvfrom_nb(rw_cap net, long s, void *buf, size_t max, uint32_t *addr, uint16_t *port);
long net_recvfrom_within(rw_cap net, long s, void *buf, size_t max, uint32_t *addr, uint16_t *port,
                         uint64_t stall_ns);

/* Graceful close; the socket id is freed. */
long net_close(rw_cap net, long s);
/* Ends the sending direction of connection s (the peer reads the end of the
 * stream after what was sent) while receiving goes on until the peer's end;
 * net_send then answers NET_ENOTCONN.  net_close frees the socket after. */
long net_shutdown(rw_cap net, long s);
/* Closes by RST: what was not sent or not read is dropped, the peer's calls
 * answer NET_ECONNRESET (a listener or UDP socket: as net_close, at once).
 * The socket id is freed. */
long net_abort(rw_cap net, long s);
/* The stack's counts (every client's sockets): TCP connections (those being
 * made or waiting to be accepted too), listeners, UDP sockets, and the
 * datagrams it dropped since it started. */
struct net_stats {
	uint64_t conns, listeners, udp, dropped;
};
long net_stats(rw_cap net, struct net_stats *st);

/* NET_R_* readiness bits of socket s. */
long net_poll(rw_cap net, long s);

/* The back-off of the blocking calls: *delay_ns starts at 0; each call
 * sleeps, then doubles it (NET_BACKOFF_MIN_NS..NET_BACKOFF_MAX_NS). */
void net_backoff(uint64_t *delay_ns);

/* Name of a NET_E* code, else rw_strerror's. */
const char *net_strerror(long err);

/* Formats an address as "a.b.c.d" into buf (16 bytes); returns buf. */
char *net_addr_str(uint32_t addr, char buf[16]);

#ifdef __cplusplus
}
#endif

#endif
