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
 * end (400, 411, 413, 431, 501).
 *
 * Up to MAX_CONNS connections are served interleaved, each a small state
 * machine (reading a head, reading a body, sending an answer) that never
 * waits: every call to the stack is non-blocking, so a client that sends or
 * reads slowly delays nobody else.  Within a connection, requests are
 * answered in order, one at a time.
 *
 * Idle or stalled clients cannot hold a slot for long: a connection whose
 * next request head has not come in whole WAIT_NS after it was accepted or
 * last answered is closed (408 if part of a head came), after CROWDED_NS when
 * every slot is taken; a head with a NUL byte answers 400 at once; a body
 * (any request's, at most KV_VAL_MAX bytes: 413 otherwise) must come within
 * BODY_NS; and a client that moves no byte of its body or of its answer for
 * STALL_NS is dropped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <rewind/kv.h>
#include <rewind/net.h>

#define PORT       80
#define MAX_CONNS  8
#define BACKLOG    NET_MAX_BACKLOG /* connections the stack holds for us beyond MAX_CONNS */
#define HEAD_MAX   4096
#define OUT_MAX    (512 + KV_VAL_MAX) /* a status line, headers and a small body */
#define BIG_MAX    (1ULL << 40)
#define SECOND     1000000000ULL
#define WAIT_NS    (10 * SECOND) /* for a request head, after the accept or the last answer */
#define CROWDED_NS (1 * SECOND)  /* the same, while every connection slot is taken */
#define STALL_NS   (10 * SECOND) /* for the next byte of a body or of an answer */
#define BODY_NS    (30 * SECOND) /* for a whole request body (at most KV_VAL_MAX bytes) */

struct request {
	char method[8];
	char target[HEAD_MAX];
	int minor;           /* HTTP/1.minor */
	int keep_alive;      /* after the answer */
	long long length;    /* Content-Length, -1 none */
	int chunked;         /* Transfer-Encoding present */
	int expect_continue; /* Expect: 100-continue */
};

enum state {
	READ_HEAD, /* waiting for (the rest of) a request head */
	READ_BODY, /* taking the body of q */
	SEND,      /* sending the answer: out, then big_left bytes of /big */
};

struct conn {
	long sock; /* -1: free */
	enum state state;
	uint64_t since;    /* READ_HEAD: accepted or last answered; READ_BODY: the body began */
	uint64_t progress; /* READ_BODY, SEND: a byte last moved (rw_clock_ns) */
	size_t used;       /* bytes in buf: what came and is not yet taken */
	char buf[HEAD_MAX];
	struct request q;             /* READ_BODY: the request being read */
	unsigned long long body_left; /* READ_BODY: bytes of the body still to come */
	int keeps_body;               /* READ_BODY: the body goes to body (PUT /kv), else dropped */
	size_t body_got;              /* READ_BODY: bytes kept in body (PUT /kv only) */
	uint8_t body[KV_VAL_MAX];
	int keep;                /* SEND: keep the connection after the answer */
	size_t out_len, out_pos; /* the answer's start in out, and what went */
	char out[OUT_MAX];
	unsigned long long big_left, big_done; /* SEND: the /big stream after out */
};

static rw_cap net, kv;
static int have_kv;
static struct conn conns[MAX_CONNS];
static uint8_t pattern[NET_CHUNK]; /* one period-aligned chunk of /big */

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

/* Queues the status line and headers, then (unless head_only) len bytes of
 * data, after what out already holds (a "100 Continue").  Returns 0, or
 * RW_EINVAL if it does not fit (then nothing is queued). */
static long respond(struct conn *c, const struct request *q, int status, const char *type,
                    const void *data, unsigned long long len, int head_only)
{
	size_t room = sizeof c->out - c->out_len;
	int n = snprintf(c->out + c->out_len, room,
	                 "HTTP/1.1 %d %s\r\nServer: rewind\r\nContent-Type: %s\r\n"
	                 "Content-Length: %llu\r\n%s\r\n",
	                 status, reason(status), type, len,
	                 !q->keep_alive  ? "Connection: close\r\n"
	                 : q->minor == 0 ? "Connection: keep-alive\r\n"
	                                 : "");
	if (n < 0 || (size_t)n >= room)
		return RW_EINVAL;
	if (!head_only && data && len) {
		if (len > room - (size_t)n)
			return RW_EINVAL;
		memcpy(c->out + c->out_len + n, data, (size_t)len);
		n += (int)len;
	}
	c->out_len += (size_t)n;
	c->keep = q->keep_alive;
	c->state = SEND;
	c->progress = rw_clock_ns();
	return 0;
}

/* Queues an error answer (a short text body).  After a request the server
 * could not read to its end (malformed, too large, chunked) the connection
 * closes; after a well-formed one (404, 405, 502, 503) it stays as the
 * client asked. */
static long fail(struct conn *c, struct request *q, int status)
{
	char text[64];
	int n = snprintf(text, sizeof text, "%d %s\n", status, reason(status));

	if (status != 404 && status != 405 && status != 502 && status != 503)
		q->keep_alive = 0;
	return respond(c, q, status, "text/plain", text, (unsigned long long)n, 0);
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

/* Queues the answer to GET or HEAD /big?QUERY: the head now, the pattern
 * streamed by send_some. */
static long big(struct conn *c, struct request *q, const char *query, int head_only)
{
	unsigned long long n = 0;

	if (strncmp(query, "n=", 2) != 0 || query[2] < '0' || query[2] > '9')
		return fail(c, q, 400);
	for (const char *p = query + 2; *p; p++) {
		if (*p < '0' || *p > '9')
			return fail(c, q, 400);
		n = n * 10 + (unsigned)(*p - '0');
		if (n > BIG_MAX)
			return fail(c, q, 400);
	}
	long r = respond(c, q, 200, "application/octet-stream", NULL, n, 1);
	if (r == 0 && !head_only) {
		c->big_left = n;
		c->big_done = 0;
	}
	return r;
}

static const char page[] = "<!DOCTYPE html>\n<html><head><title>Rewind</title></head>\n"
                           "<body><h1>Hello from Rewind</h1>\n"
                           "<p>HTTP/1.1 from a guest task, over lwIP in a stack server, over a "
                           "NIC driver task.</p>\n"
                           "<p>Try <a href=\"/big?n=1000\">/big?n=1000</a> or /kv/KEY.</p>\n"
                           "</body></html>\n";

/* Queues the answer to c->q, whose body (if any) has been read: into c->body
 * for PUT /kv, discarded otherwise. */
static long answer(struct conn *c)
{
	struct request *q = &c->q;
	int get = strcmp(q->method, "GET") == 0, head = strcmp(q->method, "HEAD") == 0;
	int put = strcmp(q->method, "PUT") == 0;
	char *query = strchr(q->target, '?');
	if (query)
		*query++ = 0;
	const char *key = strncmp(q->target, "/kv/", 4) == 0 ? q->target + 4 : NULL;

#ifdef HTTP_QUIT
	/* the test build (http_server_quit.elf) ends on GET /quit, so that a
	 * test's system (ends_with = ["http"]) ends when the test is done */
	if (get && strcmp(q->target, "/quit") == 0) {
		q->keep_alive = 0;
		if (respond(c, q, 200, "text/plain", "bye\n", 4, 0) == 0)
			net_send_all_within(net, c->sock, c->out + c->out_pos,
			                    c->out_len - c->out_pos, STALL_NS);
		net_close(net, c->sock);
		printf("http: quit\n");
		exit(0);
	}
#endif
	if ((get || head) && strcmp(q->target, "/") == 0)
		return respond(c, q, 200, "text/html; charset=utf-8", page, sizeof page - 1, head);
	if ((get || head) && strcmp(q->target, "/big") == 0)
		return big(c, q, query ? query : "", head);
	if ((get || head || put) && key) {
		size_t kl = strlen(key);
		if (kl == 0 || kl > KV_KEY_MAX)
			return fail(c, q, kl ? 400 : 404);
		if (!have_kv)
			return fail(c, q, 503);
		if (put) {
			long k = kv_put(kv, key, c->body, c->body_got);
			return k < 0 ? fail(c, q, 502)
			             : respond(c, q, k ? 201 : 200, "text/plain",
			                       k ? "created\n" : "replaced\n", k ? 8 : 9, 0);
		}
		size_t vlen = 0;
		long k = kv_get(kv, key, c->body, sizeof c->body, &vlen);
		if (k == RW_ENOENT)
			return fail(c, q, 404);
		if (k < 0 || vlen > sizeof c->body)
			return fail(c, q, 502);
		return respond(c, q, 200, "application/octet-stream", c->body, vlen, head);
	}
	return fail(c, q, get || head || put ? 404 : 405);
}

static void conn_close(struct conn *c)
{
	net_close(net, c->sock);
	c->sock = -1;
	c->used = 0;
	c->out_len = c->out_pos = 0;
	c->big_left = 0;
}

/* Drops the first n bytes of c->buf. */
static void consume(struct conn *c, size_t n)
{
	memmove(c->buf, c->buf + n, c->used - n);
	c->used -= n;
}

/* The steps below move what they can without waiting and return 1 if they
 * did something (closing the connection counts), 0 if c has to wait. */

/* READ_HEAD: a whole head in c->buf is parsed and its body awaited; else
 * more is read. */
static int head_some(struct conn *c)
{
	c->buf[c->used] = 0;
	char *e = strstr(c->buf, "\r\n\r\n");
	if (!e && strlen(c->buf) < c->used) {
		/* a NUL byte before the head's end (binary, TLS): no head can
		 * be read here; 400 now, not 408 later */
		struct request q = { .keep_alive = 0 };
		if (fail(c, &q, 400) < 0)
			conn_close(c);
		return 1;
	}
	if (!e) {
		if (c->used >= sizeof c->buf - 1) {
			struct request q = { .keep_alive = 0 };
			if (fail(c, &q, 431) < 0)
				conn_close(c);
			return 1;
		}
		long n = net_recv_nb(net, c->sock, c->buf + c->used, sizeof c->buf - 1 - c->used);
		if (n == NET_EAGAIN)
			return 0;
		if (n <= 0) {
			conn_close(c);
			return 1;
		}
		c->used += (size_t)n;
		return 1;
	}
	size_t head_len = (size_t)(e - c->buf);
	struct request *q = &c->q;
	*e = 0;
	int st = parse(c->buf, q);
	consume(c, head_len + 4);
	unsigned long long blen = q->length > 0 ? (unsigned long long)q->length : 0;
	c->keeps_body = strcmp(q->method, "PUT") == 0 && strncmp(q->target, "/kv/", 4) == 0;
	if (!st && q->chunked)
		st = 501;
	else if (!st && c->keeps_body && q->length < 0)
		st = 411;
	else if (!st &&
	         blen > KV_VAL_MAX) /* no request takes a larger body (others' are dropped) */
		st = 413;
	if (st) {
		if (fail(c, q, st) < 0)
			conn_close(c);
		return 1;
	}
	if (q->expect_continue && blen) {
		static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
		memcpy(c->out, cont, sizeof cont - 1);
		c->out_len = sizeof cont - 1;
		c->out_pos = 0;
	}
	c->state = READ_BODY;
	c->body_left = blen;
	c->body_got = 0;
	c->since = c->progress = rw_clock_ns();
	return 1;
}

/* Sends what waits in c->out.  Returns 1 if bytes went, 0 if none could,
 * -1 if the connection failed (then it is closed). */
static int flush(struct conn *c)
{
	if (c->out_pos == c->out_len)
		return 0;
	long n = net_send_nb(net, c->sock, c->out + c->out_pos, c->out_len - c->out_pos);
	if (n == NET_EAGAIN)
		return 0;
	if (n <= 0) {
		conn_close(c);
		return -1;
	}
	c->out_pos += (size_t)n;
	c->progress = rw_clock_ns();
	return 1;
}

/* Closes c if nothing moved for STALL_NS (or, with a limit, since `since`);
 * returns what the step returns. */
static int stalled(struct conn *c, uint64_t limit)
{
	uint64_t now = rw_clock_ns();
	if (now - c->progress >= STALL_NS || (limit && now - c->since >= limit)) {
		conn_close(c); /* a client that does not take or send: dropped */
		return 1;
	}
	return 0;
}

/* READ_BODY: takes the body (from c->buf first), then queues the answer.
 * A "100 Continue" in c->out goes first. */
static int body_some(struct conn *c)
{
	int f = flush(c);
	if (f < 0)
		return 1;
	if (c->body_left == 0) {
		if (answer(c) < 0)
			conn_close(c);
		return 1;
	}
	if (c->used > 0) {
		size_t k = c->used < c->body_left ? c->used : (size_t)c->body_left;
		if (c->keeps_body) { /* fits: the body is at most KV_VAL_MAX (checked at the head) */
			memcpy(c->body + c->body_got, c->buf, k);
			c->body_got += k;
		}
		consume(c, k);
		c->body_left -= k;
		return 1;
	}
	size_t want = c->body_left < sizeof c->buf - 1 ? (size_t)c->body_left : sizeof c->buf - 1;
	long n = net_recv_nb(net, c->sock, c->buf, want);
	if (n == NET_EAGAIN)
		return f || stalled(c, BODY_NS);
	if (n <= 0) {
		conn_close(c);
		return 1;
	}
	c->used = (size_t)n;
	c->progress = rw_clock_ns();
	return 1;
}

/* SEND: sends c->out, then the /big stream; at the end the connection waits
 * for its next request (or closes). */
static int send_some(struct conn *c)
{
	int f = flush(c);
	if (f)
		return 1;
	if (c->out_pos < c->out_len)
		return stalled(c, 0);
	if (c->big_left) {
		/* NET_CHUNK is a multiple of the pattern's period (256): the
		 * stream at offset done is pattern from done % 256 on */
		size_t off = (size_t)(c->big_done % 256);
		size_t k = c->big_left < NET_CHUNK - off ? (size_t)c->big_left : NET_CHUNK - off;
		long n = net_send_nb(net, c->sock, pattern + off, k);
		if (n == NET_EAGAIN)
			return stalled(c, 0);
		if (n <= 0) {
			conn_close(c);
			return 1;
		}
		c->big_left -= (unsigned long long)n;
		c->big_done += (unsigned long long)n;
		c->progress = rw_clock_ns();
		return 1;
	}
	c->out_len = c->out_pos = 0;
	if (!c->keep) {
		conn_close(c);
		return 1;
	}
	c->state = READ_HEAD;
	c->since = rw_clock_ns();
	return 1;
}

/* Moves what c can move now (at most a bounded number of steps, so that
 * one fast client does not starve the others).  Returns 1 if it did
 * something. */
static int pump(struct conn *c)
{
	int busy = 0;

	for (int steps = 0; steps < 16 && c->sock >= 0; steps++) {
		int did = c->state == READ_HEAD   ? head_some(c)
		          : c->state == READ_BODY ? body_some(c)
		                                  : send_some(c);
		if (!did)
			break;
		busy = 1;
	}
	return busy;
}

/* Closes c, whose next request did not come in time: 408 if part of it came
 * (sent if the stack takes it at once: the slot is wanted now). */
static void expire(struct conn *c)
{
	if (c->used) {
		struct request q = { .keep_alive = 0 };
		if (fail(c, &q, 408) == 0)
			flush(c);
	}
	if (c->sock >= 0)
		conn_close(c);
}

/* Closes the connections that waited too long for their next request: past
 * WAIT_NS, or the longest waiting past CROWDED_NS if no slot is free.
 * Connections reading a body or sending an answer have their own limits
 * (body_some, send_some).  Returns 1 if it closed one. */
static int expire_waiting(void)
{
	uint64_t now = rw_clock_ns();
	struct conn *oldest = NULL;
	int closed = 0, free_slot = 0;

	for (int k = 0; k < MAX_CONNS; k++) {
		struct conn *c = &conns[k];
		if (c->sock < 0) {
			free_slot = 1;
		} else if (c->state != READ_HEAD) {
			continue;
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
		conns[k].out_len = conns[k].out_pos = 0;
		conns[k].big_left = 0;
	}
	long ls = net_listen_again(net, PORT, BACKLOG);
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
	long ls = net_listen(net, PORT, BACKLOG);
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
			conns[k].state = READ_HEAD;
			conns[k].used = 0;
			conns[k].out_len = conns[k].out_pos = 0;
			conns[k].big_left = 0;
			conns[k].since = rw_clock_ns();
			busy = 1;
		}
		if (busy)
			delay = 0;
		else
			net_backoff(&delay);
	}
}
