/*
 * proto_probe (uses "kv", "fs", "blk", "tty", "nest"): the servers' answers
 * to well-formed and malformed requests, as raw rw_calls with hand-written
 * labels (independent of the generated protocol headers).
 *
 * 1. Checks a few rules by name: an unknown label gets RW_ENOSYS, a word
 *    that must be 0 or a wrong buffer length gets RW_EINVAL, a buffer past
 *    the IPC buffer gets the kernel's RW_ETOOBIG.
 * 2. Sends a fixed pseudo-random series of requests (every op of every
 *    protocol and some unknown ones, words and lengths near the rules'
 *    edges) and hashes every answer: status, label, words, length and reply
 *    bytes.  The hash is the protocols' observable behaviour: it must not
 *    change when the servers' code does (guest/suites/core.suite holds it).
 * Requests that would fault a server (debug faults, nest's fault modes) or
 * block it (a tty read with a session) are never sent.
 * Prints "proto_probe: ok requests=N hash=0x..." (exit 0) or FAIL lines.
 */
#include <stdio.h>
#include <string.h>
#include <rewind/rewind.h>

#define MAGIC_KV   0x4b56ULL
#define MAGIC_FS   0x4653ULL
#define MAGIC_BLK  0x424bULL
#define MAGIC_TTY  0x5459ULL
#define MAGIC_NEST 0x4e53ULL
#define NREQ       3000

static const struct {
	const char *name;
	uint64_t magic;
	int nops;
} protos[] = {
	{ "kv", MAGIC_KV, 5 },   { "fs", MAGIC_FS, 10 },    { "blk", MAGIC_BLK, 6 },
	{ "tty", MAGIC_TTY, 4 }, { "nest", MAGIC_NEST, 2 },
};
#define NPROTOS (sizeof protos / sizeof protos[0])

static rw_cap caps[NPROTOS];
static uint64_t hash = 0xcbf29ce484222325ULL;
static uint64_t rng = 0x2545F4914F6CDD1DULL;
static int fails;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void mix(const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++) {
		hash ^= b[i];
		hash *= 0x100000001b3ULL;
	}
}

/* One call; hashes and returns the status (kernel error or reply label). */
static long call(int p, uint64_t label, uint64_t w0, uint64_t w1, uint64_t w2, uint64_t w3,
                 uint64_t len)
{
	rw_msg m = { label, { w0, w1, w2, w3 }, len };
	long r = rw_call(caps[p], &m);

	mix(&r, sizeof r);
	if (r == 0) {
		mix(&m, sizeof m);
		mix(rw_ipc_buf(), m.len <= RW_IPC_BUF_SIZE ? m.len : 0);
		return (long)m.label;
	}
	return r;
}

static void expect(const char *what, long got, long want)
{
	if (got != want) {
		printf("proto_probe: FAIL %s: got %ld (%s), want %ld (%s)\n", what, got,
		       rw_strerror(got), want, rw_strerror(want));
		fails++;
	}
}

/* Fills the IPC buffer: a valid name/path ("/pN" + NUL) or bytes. */
static void fill(uint64_t kind)
{
	char *b = rw_ipc_buf();

	if (kind % 3 == 0) {
		snprintf(b, 16, "/p%u", (unsigned)(kind % 7));
	} else {
		for (int i = 0; i < 64; i++)
			b[i] = (char)(kind + (uint64_t)i * 7);
	}
}

static uint64_t word(void)
{
	switch (next_rand() % 8) {
	case 0:
	case 1:
	case 2:
		return 0;
	case 3:
		return 1;
	case 4:
		return next_rand() % 8;
	case 5:
		return next_rand() % 70;
	case 6:
		return 512 * (next_rand() % 10);
	default:
		return next_rand() % 5000;
	}
}

int main(void)
{
	for (size_t p = 0; p < NPROTOS; p++) {
		long r = rw_cap_get(protos[p].name, &caps[p]);
		if (r < 0) {
			printf("proto_probe: FAIL lookup %s: %s\n", protos[p].name, rw_strerror(r));
			return 1;
		}
	}

	/* 1. rules by name */
	expect("kv unknown op", call(0, MAGIC_KV << 16 | 6, 0, 0, 0, 0, 0), RW_ENOSYS);
	expect("kv foreign label", call(0, 7, 0, 0, 0, 0, 0), RW_ENOSYS);
	expect("kv COUNT w3", call(0, MAGIC_KV << 16 | 4, 0, 0, 0, 1, 0), RW_EINVAL);
	expect("kv COUNT len", call(0, MAGIC_KV << 16 | 4, 0, 0, 0, 0, 1), RW_EINVAL);
	expect("kv COUNT", call(0, MAGIC_KV << 16 | 4, 0, 0, 0, 0, 0), 0);
	expect("kv debug fault without magic", call(0, MAGIC_KV << 16 | 0xff, 1, 0, 0, 0, 0),
	       RW_EINVAL);
	expect("kv too long", call(0, MAGIC_KV << 16 | 4, 0, 0, 0, 0, RW_IPC_BUF_SIZE + 1),
	       RW_ETOOBIG);
	fill(0);
	expect("fs CREATE plen 0", call(1, MAGIC_FS << 16 | 1, 0, 0, 0, 0, 1), RW_EINVAL);
	expect("fs CREATE len", call(1, MAGIC_FS << 16 | 1, 3, 0, 0, 0, 3), RW_EINVAL);
	expect("fs CREATE", call(1, MAGIC_FS << 16 | 1, 3, 0, 0, 0, 4), 0);
	expect("fs CREATE again", call(1, MAGIC_FS << 16 | 1, 3, 0, 0, 0, 4), -100);
	expect("fs READ count", call(1, MAGIC_FS << 16 | 4, 1, 0, 4097, 0, 0), RW_EINVAL);
	expect("fs unknown op", call(1, MAGIC_FS << 16 | 11, 0, 0, 0, 0, 0), RW_ENOSYS);
	expect("blk READ count 0", call(2, MAGIC_BLK << 16 | 4, 0, 0, 0, 0, 0), RW_EINVAL);
	expect("blk READ no session", call(2, MAGIC_BLK << 16 | 4, 0, 1, 0, 0, 0), -20);
	expect("blk OPEN bad flag", call(2, MAGIC_BLK << 16 | 2, 2, 0, 0, 0, 0), RW_EINVAL);
	expect("blk WRITE len", call(2, MAGIC_BLK << 16 | 5, 0, 1, 0, 0, 511), RW_EINVAL);
	expect("tty READ max 0", call(3, MAGIC_TTY << 16 | 4, 0, 0, 0, 0, 0), RW_EINVAL);
	expect("tty WRITE no session", call(3, MAGIC_TTY << 16 | 3, 0, 0, 0, 0, 0), -20);
	expect("tty WRITE len", call(3, MAGIC_TTY << 16 | 3, 2, 0, 0, 0, 3), RW_EINVAL);
	expect("nest GET missing", call(4, MAGIC_NEST << 16 | 2, 3, 0, 0, 0, 4), RW_ENOENT);
	expect("nest ADD mode 5", call(4, MAGIC_NEST << 16 | 1, 3, 1, 5, 0, 4), RW_EINVAL);

	/* 2. the hashed series */
	int n = 0;
	while (n < NREQ) {
		int p = (int)(next_rand() % NPROTOS);
		uint64_t op = next_rand() % 16 == 0 ? 0xff : 1 + next_rand() % (protos[p].nops + 1);
		uint64_t w[4] = { word(), word(), word(), word() };
		uint64_t len;

		switch (next_rand() % 6) {
		case 0:
			len = 0;
			break;
		case 1:
			len = w[0] + 1;
			break;
		case 2:
			len = w[0] + 1 + w[1];
			break;
		case 3:
			len = w[1] * 512;
			break;
		case 4:
			len = w[2];
			break;
		default:
			len = w[0];
			break;
		}
		if (len > RW_IPC_BUF_SIZE)
			len = next_rand() % 3 ? len % (RW_IPC_BUF_SIZE + 1) : len;
		if (op == 0xff && w[1] == 0xdeb9fa17ULL)
			continue; /* a debug fault */
		if (p == 4 && op == 1 && w[2] >= 1 && w[2] <= 4)
			continue; /* nest's fault modes, and its clock stamp (kv would hold the time) */
		if (p == 3 && op == 1)
			continue; /* a tty session: a read would block */
		fill(next_rand());
		call(p, protos[p].magic << 16 | op, w[0], w[1], w[2], w[3], len);
		n++;
	}
	if (fails)
		return 1;
	printf("proto_probe: ok requests=%d hash=0x%016llx\n", n, (unsigned long long)hash);
	return 0;
}
