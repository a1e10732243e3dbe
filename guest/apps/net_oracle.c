/*
 * net_oracle - a self-checking network workload through the NIC driver and
 * the stack server (endpoint "net"), for fault injection and `rewind
 * survival`: it needs nothing outside the machine.
 *
 * The host backend serves an echo at ORACLE_ADDR:ORACLE_PORT (the net
 * device's `guestfwd = ["tcp:10.0.2.100:7-echo"]`, docs/DEVICES.md).  The
 * oracle connects to it, sends NET_ORACLE_BYTES bytes of a deterministic
 * pattern in chunks of varying sizes (1..NET_CHUNK), reads the echo back
 * interleaved (never more than WINDOW bytes outstanding, so neither side
 * waits on a full buffer), checks every byte, closes, then makes a second
 * short connection (connect, 1 byte, its echo, close) to exercise setup and
 * teardown.  All socket calls are non-blocking, against a deadline of
 * DEADLINE_NS: a dead stack or link ends in FAIL, never a hang.
 *
 * Console: "net_oracle: ok bytes=N" (exit 0), or
 *          "net_oracle: FAIL <why>" (exit 1).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <rewind/net.h>

#ifndef NET_ORACLE_BYTES
#define NET_ORACLE_BYTES 300000UL
#endif
#define ORACLE_ADDR   NET_ADDR(10, 0, 2, 100)
#define ORACLE_PORT   7
#define WINDOW        (16u << 10)             /* most bytes sent and not yet echoed */
#define DEADLINE_NS   (20ULL * 1000000000ULL) /* the whole run */
#define MAX_RECOVERED 8                       /* RW_ERECOVERED answers retried per call */

static rw_cap net;
static uint64_t deadline;
static uint8_t sbuf[NET_CHUNK], rbuf[NET_CHUNK];
static unsigned long sends, recvs;

__attribute__((noreturn, format(printf, 1, 2))) static void fail(const char *fmt, ...)
{
	va_list ap;

	printf("net_oracle: FAIL ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	exit(1);
}

/* Byte i of the stream: not periodic in 256, so a shifted or repeated
 * chunk does not match by accident. */
static uint8_t pattern(unsigned long i)
{
	uint32_t x = (uint32_t)i * 2654435761u;
	return (uint8_t)(x >> 24 ^ i >> 8 ^ i);
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

/* Chunk sizes: mostly spread over 1..NET_CHUNK, some tiny, some full. */
static size_t next_size(void)
{
	rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
	uint32_t r = (uint32_t)(rng >> 33);
	switch (r & 7) {
	case 0:
		return 1 + (r >> 3) % 16;
	case 1:
		return NET_CHUNK;
	default:
		return 1 + (r >> 3) % NET_CHUNK;
	}
}

static void check_time(const char *what, unsigned long sent, unsigned long got)
{
	if (rw_clock_ns() > deadline)
		fail("timeout after %llu s while %s (sent %lu, echoed %lu)",
		     (unsigned long long)(DEADLINE_NS / 1000000000ULL), what, sent, got);
}

/* A call's result: RW_ERECOVERED (the stack rolled the request back) is
 * retried a few times, like EAGAIN; anything else negative but EAGAIN
 * fails.  Returns 1 when the call should be retried. */
static int again(long r, const char *what, unsigned *recovered)
{
	if (r == NET_EAGAIN)
		return 1;
	if (r == RW_ERECOVERED && ++*recovered <= MAX_RECOVERED)
		return 1;
	if (r < 0)
		fail("%s: %s", what, net_strerror(r));
	return 0;
}

static long open_conn(const char *what)
{
	unsigned rec = 0;
	long s;

	for (;;) {
		s = net_connect(net, ORACLE_ADDR, ORACLE_PORT);
		if (!again(s, what, &rec))
			return s;
		check_time(what, 0, 0);
		rw_sleep_ns(NET_BACKOFF_MAX_NS);
	}
}

static void close_conn(long s, const char *what)
{
	unsigned rec = 0;
	long r;

	while (again(r = net_close(net, s), what, &rec)) {
		check_time(what, 0, 0);
		rw_sleep_ns(NET_BACKOFF_MAX_NS);
	}
}

static void wait_ready(void)
{
	uint64_t delay = 0;

	for (;;) {
		int ready = 0;
		uint32_t addr = 0;
		long st = net_info(net, &addr, 0, 0, &ready);
		if (st < 0 && st != RW_ERECOVERED)
			fail("INFO: %s", net_strerror(st));
		if (st >= 0 && ready)
			return;
		check_time("waiting for an address", 0, 0);
		net_backoff(&delay);
	}
}

/* The long connection: total bytes out, echoed, checked. */
static void stream(unsigned long total)
{
	long s = open_conn("CONNECT");
	unsigned long sent = 0, got = 0;
	size_t want = next_size();
	unsigned rec_send = 0, rec_recv = 0;
	uint64_t delay = 0;

	while (got < total) {
		int progress = 0;

		if (sent < total && sent - got < WINDOW) {
			size_t n = want;
			if (n > total - sent)
				n = total - sent;
			if (n > WINDOW - (sent - got))
				n = WINDOW - (sent - got);
			for (size_t k = 0; k < n; k++)
				sbuf[k] = pattern(sent + k);
			long r = net_send_nb(net, s, sbuf, n);
			if (!again(r, "SEND", &rec_send)) {
				sent += (unsigned long)r;
				sends++;
				rec_send = 0;
				want = next_size();
				progress = 1;
			}
		}
		long r = net_recv_nb(net, s, rbuf, sizeof rbuf);
		if (!again(r, "RECV", &rec_recv)) {
			if (r == 0)
				fail("end of stream after %lu of %lu bytes echoed", got, total);
			if (got + (unsigned long)r > sent)
				fail("%lu bytes echoed, only %lu sent", got + (unsigned long)r,
				     sent);
			for (long k = 0; k < r; k++)
				if (rbuf[k] != pattern(got + (unsigned long)k))
					fail("byte %lu: got 0x%02x, sent 0x%02x",
					     got + (unsigned long)k, rbuf[k],
					     pattern(got + (unsigned long)k));
			got += (unsigned long)r;
			recvs++;
			rec_recv = 0;
			progress = 1;
		}
		if (progress) {
			delay = 0;
		} else {
			check_time("streaming", sent, got);
			net_backoff(&delay);
		}
	}
	close_conn(s, "CLOSE");
}

/* The short connection: open, 1 byte, its echo, close. */
static void short_conn(void)
{
	long s = open_conn("CONNECT (2nd)");
	uint8_t b = 0xa5, e = 0;
	unsigned rec = 0;
	uint64_t delay = 0;
	long r;

	while (again(r = net_send_nb(net, s, &b, 1), "SEND (2nd)", &rec)) {
		check_time("sending on the 2nd connection", 0, 0);
		net_backoff(&delay);
	}
	rec = 0;
	delay = 0;
	while (again(r = net_recv_nb(net, s, &e, 1), "RECV (2nd)", &rec)) {
		check_time("reading the 2nd connection's echo", 1, 0);
		net_backoff(&delay);
	}
	if (r == 0)
		fail("2nd connection: end of stream before the echo");
	if (e != b)
		fail("2nd connection: echo 0x%02x, sent 0x%02x", e, b);
	close_conn(s, "CLOSE (2nd)");
}

int main(void)
{
	long r;

	deadline = rw_clock_ns() + DEADLINE_NS;
	if ((r = net_connect_stack("net", &net)) < 0)
		fail("no endpoint \"net\" (%s)", rw_strerror(r));
	wait_ready();
	stream(NET_ORACLE_BYTES);
	short_conn();
	printf("net_oracle: ok bytes=%lu\n", (unsigned long)NET_ORACLE_BYTES);
	return 0;
}
