/*
 * ipc_client (uses "ipc_echo"): checks message transfer through the kernel
 * against ipc_echo's transformation.  Prints "ipc: registers ok",
 * "ipc: buffer ok", "ipc: toobig ok", "ipc: all ok" (exit 0) or a
 * "ipc: FAIL ..." line (exit 1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <rewind/rewind.h>

static uint64_t rng = 0x0123456789ABCDEFULL;
static rw_cap cap;
static unsigned char sent[RW_IPC_BUF_SIZE];

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void fail(const char *what, long a, long b)
{
	printf("ipc: FAIL %s: got %ld (0x%lx), want %ld (0x%lx)\n", what, a, (unsigned long)a, b,
	       (unsigned long)b);
	exit(1);
}

/* One round trip with random label/words and len random buffer bytes. */
static void round_trip(uint64_t len)
{
	unsigned char *buf = rw_ipc_buf();
	rw_msg m, want;

	m.label = next_rand();
	for (int i = 0; i < 4; i++)
		m.w[i] = next_rand();
	m.len = len;
	for (uint64_t i = 0; i < len; i++)
		buf[i] = sent[i] = (unsigned char)next_rand();
	want = m;
	want.label ^= 0xFFFF;
	for (int i = 0; i < 4; i++)
		want.w[i] += 1;

	long r = rw_call(cap, &m);
	if (r != 0)
		fail("call status", r, 0);
	if (m.label != want.label)
		fail("label", (long)m.label, (long)want.label);
	for (int i = 0; i < 4; i++)
		if (m.w[i] != want.w[i])
			fail("word", (long)m.w[i], (long)want.w[i]);
	if (m.len != len)
		fail("length", (long)m.len, (long)len);
	for (uint64_t i = 0; i < len; i++)
		if (buf[i] != (sent[i] ^ 0x5A))
			fail("buffer byte", (long)i, (long)(sent[i] ^ 0x5A));
}

int main(void)
{
	long c = rw_cap_get("ipc_echo", &cap);
	if (c < 0)
		fail("lookup ipc_echo", c, 0);

	for (int i = 0; i < 200; i++)
		round_trip(0);
	printf("ipc: registers ok\n");

	static const uint64_t lens[] = { 0, 1, 7, 8, 100, 4095, 4096 };
	for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++)
		round_trip(lens[i]);
	for (int i = 0; i < 1000; i++)
		round_trip(next_rand() % (RW_IPC_BUF_SIZE + 1));
	printf("ipc: buffer ok\n");

	rw_msg m = { 0 };
	m.label = 1;
	m.len = RW_IPC_BUF_SIZE + 1;
	long r = rw_call(cap, &m);
	if (r != RW_ETOOBIG)
		fail("len 4097", r, RW_ETOOBIG);
	round_trip(16); /* still works afterwards */
	printf("ipc: toobig ok\n");

	printf("ipc: all ok\n");
	return 0;
}
