/*
 * http_server - HTTP/1.1 on port 80 through the network stack server
 * (endpoint "net"), answering from the key-value server (endpoint "kv").
 *
 *   GET /            a small page
 *   GET /kv/KEY      the value of KEY (404 if there is none)
 *   PUT /kv/KEY      stores the body (Content-Length, at most KV_VAL_MAX
 *                    bytes) as KEY's value: 201 new, 200 replaced
 *   GET /big?n=N     N bytes of the pattern byte i = (i * 7 + 3) & 0xff,
 *                    with Content-Length (streamed, any N up to BIG_MAX)
 *   HEAD             as GET, without the body
 *   anything else    404 (an unknown path), 405 (another method)
 *
 * Connections are persistent (HTTP/1.1 unless "Connection: close"; HTTP/1.0
 * only with "Connection: keep-alive"), requests may be pipelined.  A
 * request head is at most HEAD_MAX bytes (431 otherwise); a malformed one
 * (request line, version, header syntax, Content-Length) answers 400; the
 * connection is closed after an answer to a request that was not read to its
 * end (400, 411, 413, 431, 501).  Up to MAX_CONNS
 * connections are read interleaved; a complete request is then answered to
 * its end before the next one is looked at.
 *
 * Idle or stalled clients cannot hold the server: a connection whose next
 * request head has not come in whole WAIT_NS after it was accepted or last
 * answered is closed (408 if part of a head came), after CROWDED_NS when
 * every slot is taken; a head with a NUL byte answers 400 at once; a body
 * (any request's, at most KV_VAL_MAX bytes: 413 otherwise) must come within
 * BODY_NS; and a client that takes nothing of its answer for STALL_NS is
 * dropped.  Answers are written one at a time, so a client that takes a long
 * answer (/big) slowly but steadily delays the others while it lasts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <rewind/kv.h>
#include <rewind/net.h>

#define PORT       80
#define MAX_CONNS  8
#define HEAD_MAX   4096
#define BIG_MAX    (1ULL << 40)
#define SECOND     1000000000ULL
#define WAIT_NS    (10 * SECOND) /* for a request head, after the accept or the last answer */
#define CROWDED_NS (1 * SECOND)  /* the same, while every connection slot is taken */
#define STALL_NS   (10 * SECOND) /* for the next byte of a body or of an answer */
#define BODY_NS    (30 * SECOND) /* for a whole request body (at most KV_VAL_MAX bytes) */

struct conn {
	long sock; /* -1: free */
	size_t used;
	uint64_t since; /* accepted or last answered (rw_clock_ns) */
	char buf[HEAD_MAX];
};

static rw_cap net, kv;
static int have_kv;
static struct conn conns[MAX_CONNS];
static uint8_t pattern[NET_CHUNK]; /* one period-aligned chunk of /big */
static char out[HEAD_MAX + KV_VAL_MAX];
static uint8_t body[KV_VAL_MAX];

struct request {
	char method[8];
	char target[HEAD_MAX];
	int minor;           /* HTTP/1.minor */
	int keep_alive;      /* after the answer */
	long long length;    /* Content-Length, -1 none */
	int chunked;         /* Transfer-Encoding present */
	int expect_continue; /* Expect: 100-continue */
};

static const char *reason(int status)
{
	switch (status) {
	case 100:
		return "Continue";
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 411:
		return "Length Required";
	case 413:
		return "Content Too Large";
	case 431:
		return "Request Header Fields Too Large";
	case 501:
		return "Not Implemented";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	default:
		return "Error";
	}
}

/* Sending and receiving give up (RW_ETIMEDOUT) on a client that makes no
 * progress for STALL_NS: one that stops reading must not hold the server. */
static long send_all(long s, const void *buf, size_t len)
{
	return net_send_all_within(net, s, buf, len, STALL_NS);
}

static long recv_some(long s, void *buf, size_t max)
{
	return net_recv_within(net, s, buf, max, STALL_NS);
}

/* Sends the status line and headers, then (unless head_only) len bytes of
 * data.  Returns 0 or a negative error. */
static long respond(long s, const struct request *q, int status, const char *type, const void *data,
                    unsigned long long len, int head_only)
{
	int n = snprintf(out, sizeof out,
	                 "HTTP/1.1 %d %s\r\nServer: rewind\r\nContent-Type: %s\r\n"
	                 "Content-Length: %llu\r\n%s\r\n",
	                 status, reason(status), type, len,
	                 !q->keep_alive  ? "Connection: close\r\n"
	                 : q->minor == 0 ? "Connection: keep-alive\r\n"
	                                 : "");
	if (n < 0 || (size_t)n >= sizeof out)
		return RW_EINVAL;
	if (!head_only && data && len && len <= sizeof out - (size_t)n) {
		memcpy(out + n, data, (size_t)len);
		return send_all(s, out, (size_t)n + (size_t)len);
	}
	return send_all(s, out, (size_t)n);
}

/* An error answer (a short text body).  After a request the server could
 * not read to its end (malformed, too large, chunked) the connection closes;
 * after a well-formed one (404, 405, 502, 503) it stays as the client asked. */
static long fail(long s, struct request *q, int status)
{
	char text[64];
	int n = snprintf(text, sizeof text, "%d %s\n", status, reason(status));

	if (status != 404 && status != 405 && status != 502 && status != 503)
		q->keep_alive = 0;
	return respond(s, q, status, "text/plain", text, (unsigned long long)n, 0);
}

static int token_char(char c)
{
	return c > 32 && c < 127 && !strchr("()<>@,;:\\\"/[]?={}", c);
}

/* Case-insensitive: does the comma-separated list v contain token t? */
static int has_token(const char *v, const char *t)
{
	size_t tl = strlen(t);

	while (*v) {
		while (*v == ' ' || *v == '\t' || *v == ',')
			v++;
		const char *e = v;
		while (*e && *e != ',')
			e++;
		const char *end = e;
		while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if ((size_t)(end - v) == tl && strncasecmp(v, t, tl) == 0)
			return 1;
		v = e;
	}
	return 0;
}

/* Parses the head (NUL-terminated, without the final blank line).
 * Returns 0 or the status of an error answer. */
static int parse(char *head, struct request *q)
{
	int close = 0, keep = 0;
	char *line = head, *next = strstr(line, "\r\n");

	memset(q, 0, sizeof *q);
	q->length = -1;
	q->keep_alive = 0;
	if (next)
		*next = 0;
	/* request line: METHOD SP TARGET SP HTTP/1.x */
	char *sp1 = strchr(line, ' ');
	if (!sp1 || sp1 == line || (size_t)(sp1 - line) >= sizeof q->method)
		return 400;
	for (char *c = line; c < sp1; c++)
		if (!token_char(*c))
			return 400;
	memcpy(q->method, line, (size_t)(sp1 - line));
	char *target = sp1 + 1;
	char *sp2 = strchr(target, ' ');
	if (!sp2 || target[0] != '/' || (size_t)(sp2 - target) >= sizeof q->target)
		return 400;
	for (char *c = target; c < sp2; c++)
		if (*c <= 32 || *c >= 127)
			return 400;
	memcpy(q->target, target, (size_t)(sp2 - target));
	const char *ver = sp2 + 1;
	if (strncmp(ver, "HTTP/1.", 7) != 0 || (ver[7] != '0' && ver[7] != '1') || ver[8] != 0)
		return 400;
	q->minor = ver[7] - '0';
	/* headers: NAME ":" value */
	while (next) {
		line = next + 2;
		next = strstr(line, "\r\n");
		if (next)
			*next = 0;
		char *colon = strchr(line, ':');
		if (!colon || colon == line)
			return 400;
		for (char *c = line; c < colon; c++)
			if (!token_char(*c))
				return 400;
		char *v = colon + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		for (char *c = v; *c; c++)
			if ((unsigned char)*c < 32 && *c != '\t')
				return 400;
		size_t nl = (size_t)(colon - line);
		if (nl == 14 && strncasecmp(line, "Content-Length", nl) == 0) {
			char *e = v;
			unsigned long long x = 0;
			if (*e < '0' || *e > '9' || q->length >= 0)
				return 400;
			while (*e >= '0' && *e <= '9') {
				x = x * 10 + (unsigned)(*e++ - '0');
				if (x > (1ULL << 40))
					return 400;
			}
			while (*e == ' ' || *e == '\t')
				e++;
			if (*e)
				return 400;
			q->length = (long long)x;
		} else if (nl == 10 && strncasecmp(line, "Connection", nl) == 0) {
			close |= has_token(v, "close");
			keep |= has_token(v, "keep-alive");
		} else if (nl == 17 && strncasecmp(line, "Transfer-Encoding", nl) == 0) {
			q->chunked = 1;
		} else if (nl == 6 && strncasecmp(line, "Expect", nl) == 0) {
			if (!has_token(v, "100-continue"))
				return 400;
			q->expect_continue = 1;
		}
	}
	q->keep_alive = q->minor == 1 ? !close : keep && !close;
	return 0;
}

/* Takes the next n bytes of the stream: first what is left in c->buf after
 * the head (from *pos), then from the socket.  dst NULL: discards.
 * Returns 0 or an error (NET_ECONNRESET for an early end). */
static long take(struct conn *c, size_t *pos, uint8_t *dst, unsigned long long n)
{
	uint64_t start = rw_clock_ns();

	while (n) {
		if (rw_clock_ns() - start >= BODY_NS)
			return RW_ETIMEDOUT; /* a body trickled in: dropped */
		size_t k;
		if (*pos < c->used) {
			k = c->used - *pos < n ? c->used - *pos : (size_t)n;
			if (dst)
				memcpy(dst, c->buf + *pos, k);
			*pos += k;
		} else {
			uint8_t tmp[512];
			size_t want = n < sizeof tmp ? (size_t)n : sizeof tmp;
			long r = recv_some(c->sock, dst ? dst : tmp, want);
			if (r < 0)
				return r;
			if (r == 0)
				return NET_ECONNRESET;
			k = (size_t)r;
		}
		if (dst)
			dst += k;
		n -= k;
	}
	return 0;
}

static long big(long s, struct request *q, const char *query, int head_only)
{
	unsigned long long n = 0;

	if (strncmp(query, "n=", 2) != 0 || query[2] < '0' || query[2] > '9')
		return fail(s, q, 400);
	for (const char *p = query + 2; *p; p++) {
		if (*p < '0' || *p > '9')
			return fail(s, q, 400);
		n = n * 10 + (unsigned)(*p - '0');
		if (n > BIG_MAX)
			return fail(s, q, 400);
	}
	long r = respond(s, q, 200, "application/octet-stream", NULL, n, 1);
	if (r < 0 || head_only)
		return r;
	/* Every chunk starts at a multiple of NET_CHUNK, a multiple of the
	 * pattern's period (256): each is a prefix of the same one. */
	for (unsigned long long done = 0; done < n;) {
		size_t k = n - done < NET_CHUNK ? (size_t)(n - done) : NET_CHUNK;
		if ((r = send_all(s, pattern, k)) < 0)
			return r;
		done += k;
	}
	return 0;
}

static const char page[] = "<!DOCTYPE html>\n<html><head><title>Rewind</title></head>\n"
                           "<body><h1>Hello from Rewind</h1>\n"
                           "<p>HTTP/1.1 from a guest task, over lwIP in a stack server, over a "
                           "NIC driver task.</p>\n"
                           "<p>Try <a href=\"/big?n=1000\">/big?n=1000</a> or /kv/KEY.</p>\n"
                           "</body></html>\n";

/* Answers one request whose head (NUL-terminated) ends at c->buf + end;
 * the body, if any, follows.  Returns 1 to keep the connection, 0 to close
 * it, and leaves in c->buf what follows the request. */
static int serve(struct conn *c, size_t head_len, size_t end)
{
	struct request q;
	long s = c->sock;
	size_t pos = end;
	long r = 0;

	c->buf[head_len] = 0;
	int st = parse(c->buf, &q);
	if (st) {
		fail(s, &q, st);
		return 0;
	}
	int get = strcmp(q.method, "GET") == 0, head = strcmp(q.method, "HEAD") == 0;
	int put = strcmp(q.method, "PUT") == 0;
	if (q.chunked) {
		fail(s, &q, 501);
		return 0;
	}
	unsigned long long blen = q.length > 0 ? (unsigned long long)q.length : 0;
	char *query = strchr(q.target, '?');
	if (query)
		*query++ = 0;
	const char *key = strncmp(q.target, "/kv/", 4) == 0 ? q.target + 4 : NULL;

	if (put && key && q.length < 0) {
		fail(s, &q, 411);
		return 0;
	}
	if (blen > KV_VAL_MAX) { /* no request takes a larger body (others' are dropped) */
		fail(s, &q, 413);
		return 0;
	}
	if (q.expect_continue && blen) {
		char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
		send_all(s, cont, sizeof cont - 1);
	}
	/* the body: PUT /kv keeps it, everything else discards it */
	if ((r = take(c, &pos, put && key ? body : NULL, blen)) < 0)
		return 0;

#ifdef HTTP_QUIT
	/* the test build (http_server_quit.elf) ends on GET /quit, so that a
	 * test's system (ends_with = ["http"]) ends when the test is done */
	if (get && strcmp(q.target, "/quit") == 0) {
		q.keep_alive = 0;
		respond(s, &q, 200, "text/plain", "bye\n", 4, 0);
		net_close(net, s);
		printf("http: quit\n");
		exit(0);
	}
#endif
	if ((get || head) && strcmp(q.target, "/") == 0) {
		r = respond(s, &q, 200, "text/html; charset=utf-8", page, sizeof page - 1, head);
	} else if ((get || head) && strcmp(q.target, "/big") == 0) {
		r = big(s, &q, query ? query : "", head);
	} else if ((get || head || put) && key) {
		size_t kl = strlen(key);
		if (kl == 0 || kl > KV_KEY_MAX) {
			r = fail(s, &q, kl ? 400 : 404);
		} else if (!have_kv) {
			r = fail(s, &q, 503);
		} else if (put) {
			long k = kv_put(kv, key, body, (size_t)blen);
			r = k < 0 ? fail(s, &q, 502)
			          : respond(s, &q, k ? 201 : 200, "text/plain",
			                    k ? "created\n" : "replaced\n", k ? 8 : 9, 0);
		} else {
			size_t vlen = 0;
			long k = kv_get(kv, key, body, sizeof body, &vlen);
			if (k == RW_ENOENT)
				r = fail(s, &q, 404);
			else if (k < 0)
				r = fail(s, &q, 502);
			else
				r = respond(s, &q, 200, "application/octet-stream", body, vlen,
				            head);
		}
	} else if (get || head || put) {
		r = fail(s, &q, 404);
	} else {
		r = fail(s, &q, 405);
	}
	/* keep what follows (a pipelined request) */
	memmove(c->buf, c->buf + pos, c->used - pos);
	c->used -= pos;
	return r >= 0 && q.keep_alive;
}

static void conn_close(struct conn *c)
{
	net_close(net, c->sock);
	c->sock = -1;
	c->used = 0;
}

/* Reads what waits on c and answers the requests complete in it.  Returns
 * 1 if it did something. */
static int pump(struct conn *c)
{
	int busy = 0;

	if (c->used < sizeof c->buf - 1) {
		long n = net_recv_nb(net, c->sock, c->buf + c->used, sizeof c->buf - 1 - c->used);
		if (n == NET_EAGAIN && c->used == 0)
			return 0;
		if (n == 0 || (n < 0 && n != NET_EAGAIN)) {
			conn_close(c);
			return 1;
		}
		if (n > 0) {
			c->used += (size_t)n;
			busy = 1;
		}
	}
	while (c->sock >= 0) {
		c->buf[c->used] = 0;
		char *e = strstr(c->buf, "\r\n\r\n");
		if (!e && strlen(c->buf) < c->used) {
			/* a NUL byte before the head's end (binary, TLS): no
			 * head can be read here; 400 now, not 408 later */
			struct request q = { .keep_alive = 0 };
			fail(c->sock, &q, 400);
			conn_close(c);
			return 1;
		}
		if (!e) {
			if (c->used >= sizeof c->buf - 1) {
				struct request q = { .keep_alive = 0 };
				fail(c->sock, &q, 431);
				conn_close(c);
				return 1;
			}
			break;
		}
		busy = 1;
		size_t head_len = (size_t)(e - c->buf) + 2; /* the last header's CRLF stays */
		c->buf[head_len - 2] = 0;
		int keep = serve(c, head_len - 2, head_len + 2);
		c->since = rw_clock_ns();
		if (!keep)
			conn_close(c);
	}
	return busy;
}

/* Closes c, whose next request did not come in time: 408 if part of it came. */
static void expire(struct conn *c)
{
	if (c->used) {
		struct request q = { .keep_alive = 0 };
		fail(c->sock, &q, 408);
	}
	conn_close(c);
}

/* Closes the connections that waited too long for their next request: past
 * WAIT_NS, or the longest waiting past CROWDED_NS if no slot is free.
 * Returns 1 if it closed one. */
static int expire_waiting(void)
{
	uint64_t now = rw_clock_ns();
	struct conn *oldest = NULL;
	int closed = 0, free_slot = 0;

	for (int k = 0; k < MAX_CONNS; k++) {
		struct conn *c = &conns[k];
		if (c->sock < 0) {
			free_slot = 1;
		} else if (now - c->since >= WAIT_NS) {
			expire(c);
			closed = free_slot = 1;
		} else if (!oldest || c->since < oldest->since) {
			oldest = c;
		}
	}
	if (!free_slot && oldest && now - oldest->since >= CROWDED_NS) {
		expire(oldest);
		closed = 1;
	}
	return closed;
}

/* The stack restarted (RW_EDEAD): its sockets are gone with it.  Forget ours, bind the capability
 * to the new stack and listen again.  Returns the new listening socket, or < 0. */
static long stack_restarted(void)
{
	for (int k = 0; k < MAX_CONNS; k++) {
		conns[k].sock = -1;
		conns[k].used = 0;
	}
	long ls = net_listen_again(net, PORT, 8);
	if (ls >= 0)
		printf("http: the stack restarted; listening again on port %d\n", PORT);
	return ls;
}

int main(void)
{
	long r;

	for (size_t i = 0; i < sizeof pattern; i++)
		pattern[i] = (uint8_t)((i * 7 + 3) & 0xff);
	if ((r = net_connect_stack("net", &net)) < 0) {
		printf("http: no endpoint \"net\" (%s)\n", rw_strerror(r));
		return 1;
	}
	have_kv = kv_connect("kv", &kv) == 0;
	long ls = net_listen(net, PORT, 8);
	if (ls < 0) {
		printf("http: LISTEN %d: %s\n", PORT, net_strerror(ls));
		return 1;
	}
	printf("http: listening on port %d%s\n", PORT, have_kv ? " (kv)" : " (no kv)");
	for (int k = 0; k < MAX_CONNS; k++)
		conns[k].sock = -1;
	uint64_t delay = 0;
	for (;;) {
		int busy = 0;

		for (int k = 0; k < MAX_CONNS; k++)
			if (conns[k].sock >= 0)
				busy |= pump(&conns[k]);
		busy |= expire_waiting();
		for (int k = 0; k < MAX_CONNS; k++) {
			if (conns[k].sock >= 0)
				continue;
			long s = net_accept_nb(net, ls, NULL, NULL);
			if (s == NET_EAGAIN)
				break;
			if (s == RW_EDEAD)
				s = ls = stack_restarted();
			if (s >= 0 && s == ls)
				break; /* (listening again: accept on the next round) */
			if (s < 0) {
				printf("http: ACCEPT: %s\n", net_strerror(s));
				return 1;
			}
			conns[k].sock = s;
			conns[k].used = 0;
			conns[k].since = rw_clock_ns();
			busy = 1;
		}
		if (busy)
			delay = 0;
		else
			net_backoff(&delay);
	}
}
