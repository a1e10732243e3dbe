/*
 * kv_demo - key-value workload checked against a local model.
 * Prints "kv_demo: ok (N ops)" and exits 0, or "kv_demo: FAIL ..." and 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <rewind/kv.h>

#define NKEYS 200

static struct {
	int present;
	size_t len;
	unsigned char val[KV_VAL_MAX];
} model[NKEYS];

static rw_cap kv;
static unsigned long ops;
static uint64_t rng = 0x2545F4914F6CDD1DULL;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void key_of(int i, char *key)
{
	snprintf(key, KV_KEY_MAX + 1, "kv_demo/key-%03d", i);
}

static void fail(const char *what, int i, long r)
{
	printf("kv_demo: FAIL %s (key %d): %ld %s\n", what, i, r, rw_strerror(r));
	exit(1);
}

static void put(int i)
{
	char key[KV_KEY_MAX + 1];
	size_t len;

	/* Mostly short values, some empty, some of the maximal size. */
	switch (next_rand() % 8) {
	case 0:
		len = 0;
		break;
	case 1:
		len = KV_VAL_MAX;
		break;
	default:
		len = next_rand() % 300;
		break;
	}
	for (size_t j = 0; j < len; j++)
		model[i].val[j] = (unsigned char)next_rand();
	key_of(i, key);
	long r = kv_put(kv, key, model[i].val, len);
	ops++;
	if (r < 0)
		fail("put", i, r);
	if (r != (model[i].present ? 0 : 1))
		fail("put created flag", i, r);
	model[i].present = 1;
	model[i].len = len;
}

static void check(int i)
{
	static unsigned char buf[KV_VAL_MAX];
	char key[KV_KEY_MAX + 1];
	size_t len = 0;

	key_of(i, key);
	long r = kv_get(kv, key, buf, sizeof buf, &len);
	ops++;
	if (!model[i].present) {
		if (r != RW_ENOENT)
			fail("get of deleted key", i, r);
		return;
	}
	if (r < 0)
		fail("get", i, r);
	if (len != model[i].len || memcmp(buf, model[i].val, len) != 0)
		fail("value mismatch", i, (long)len);
}

static int check_all(void)
{
	int present = 0;
	for (int i = 0; i < NKEYS; i++) {
		check(i);
		present += model[i].present;
	}
	long n = kv_count(kv);
	ops++;
	if (n != present)
		fail("count", -1, n);
	return present;
}

int main(void)
{
	long c = kv_connect("kv", &kv);
	if (c < 0)
		fail("connect", -1, c);

	for (int i = 0; i < NKEYS; i++)
		put(i);
	printf("kv_demo: put %d keys\n", NKEYS);
	printf("kv_demo: verified %d keys\n", check_all());

	int deleted = 0;
	for (int i = 0; i < NKEYS; i += 3) {
		char key[KV_KEY_MAX + 1];
		key_of(i, key);
		long r = kv_del(kv, key);
		ops++;
		if (r != 0)
			fail("del", i, r);
		model[i].present = 0;
		deleted++;
		r = kv_del(kv, key);
		ops++;
		if (r != RW_ENOENT)
			fail("double del", i, r);
	}
	for (int i = 1; i < NKEYS; i += 5)
		put(i); /* overwrite some, re-create a few */
	for (int i = 0; i < NKEYS; i += 30)
		put(i);
	printf("kv_demo: deleted %d keys, %d left\n", deleted, check_all());

	/* Listing must return exactly the present keys, each once. */
	static unsigned char seen[NKEYS];
	uint64_t cursor = 0;
	char key[KV_KEY_MAX + 1];
	size_t vlen;
	int listed = 0;
	long r;
	while ((r = kv_list(kv, &cursor, key, sizeof key, &vlen)) >= 0) {
		int i;
		ops++;
		if (sscanf(key, "kv_demo/key-%d", &i) != 1 || i < 0 || i >= NKEYS)
			continue; /* not ours */
		if (!model[i].present || seen[i] || vlen != model[i].len)
			fail("list entry", i, (long)vlen);
		seen[i] = 1;
		listed++;
	}
	ops++;
	if (r != RW_ENOENT)
		fail("list end", -1, r);
	for (int i = 0; i < NKEYS; i++)
		if (model[i].present && !seen[i])
			fail("list missed key", i, 0);
	printf("kv_demo: listed %d keys\n", listed);

	/* Invalid requests are refused. */
	char longkey[KV_KEY_MAX + 2];
	memset(longkey, 'x', sizeof longkey - 1);
	longkey[sizeof longkey - 1] = '\0';
	if ((r = kv_put(kv, longkey, "v", 1)) != RW_EINVAL)
		fail("long key", -1, r);
	if ((r = kv_put(kv, "k", model[0].val, KV_VAL_MAX + 1)) != RW_EINVAL)
		fail("long value", -1, r);
	if ((r = kv_get(kv, "kv_demo/none", NULL, 0, NULL)) != RW_ENOENT)
		fail("missing key", -1, r);
	ops += 3;

	printf("kv_demo: ok (%lu ops)\n", ops);
	return 0;
}
