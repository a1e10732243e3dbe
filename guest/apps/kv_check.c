/* kv_check.c - the model-checked key-value workload: see kv_check.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kv_check.h"

struct kv_model model[NK];

static void key_of(int i, char *key)
{
	snprintf(key, KV_KEY_MAX + 1, "k%d", i);
}

/* ---- operations; each returns 0, or 1 if it stopped early (lenient) ---- */

int op_put(int i)
{
	char key[KV_KEY_MAX + 1];
	unsigned char val[VMAX];
	size_t len = 1 + next_rand() % VMAX;
	long r;

	for (size_t j = 0; j < len; j++)
		val[j] = (unsigned char)next_rand();
	key_of(i, key);
	begin("put %s len %u", key, (unsigned)len);
	SRV_CALL(r, kv_put(srv, key, val, len));
	if (r < 0) {
		bad_status("put", r);
		return 1;
	}
	if (r != (model[i].present ? 0 : 1)) {
		if (mismatch("put %s: %s, expected %s", key, r ? "created" : "replaced",
		             model[i].present ? "replace" : "create"))
			return 1;
	}
	model[i].present = 1;
	model[i].len = len;
	memcpy(model[i].val, val, len);
	return 0;
}

/* Reads key i back and compares it with the model. */
int check_key(int i)
{
	static unsigned char buf[KV_VAL_MAX];
	char key[KV_KEY_MAX + 1];
	size_t len = 0;
	long r;

	key_of(i, key);
	SRV_CALL(r, kv_get(srv, key, buf, sizeof buf, &len));
	if (r == RW_ENOENT) {
		if (model[i].present)
			return mismatch("key %s missing%s", key, restarts ? " after restart" : "");
		return 0;
	}
	if (r < 0) {
		bad_status("get", r);
		return 1;
	}
	if (!model[i].present)
		return mismatch("key %s present (len %u), expected missing", key, (unsigned)len);
	if (len != model[i].len)
		return mismatch("key %s: value length %u, expected %u", key, (unsigned)len,
		                (unsigned)model[i].len);
	if (memcmp(buf, model[i].val, len) != 0)
		return mismatch("key %s: value differs", key);
	return 0;
}

int op_get(int i)
{
	begin("get k%d", i);
	return check_key(i);
}

int op_del(int i)
{
	char key[KV_KEY_MAX + 1];
	long r;

	key_of(i, key);
	begin("del %s", key);
	SRV_CALL(r, kv_del(srv, key));
	if (r == RW_ENOENT) {
		if (model[i].present)
			return mismatch("del: key %s missing%s", key,
			                restarts ? " after restart" : "");
		return 0;
	}
	if (r < 0) {
		bad_status("del", r);
		return 1;
	}
	if (!model[i].present && mismatch("del of absent key %s succeeded", key))
		return 1;
	model[i].present = 0;
	return 0;
}

int model_count(void)
{
	int n = 0;
	for (int i = 0; i < NK; i++)
		n += model[i].present;
	return n;
}

int op_count(void)
{
	long r;

	begin("count");
	SRV_CALL(r, kv_count(srv));
	if (r < 0) {
		bad_status("count", r);
		return 1;
	}
	if (r != model_count())
		return mismatch("count %ld, expected %d", r, model_count());
	return 0;
}

/* Lists every key: each must be a present model key with the right value
 * length, listed once, and every present key must be listed. */
int op_list(void)
{
	unsigned char seen[NK] = { 0 };
	char key[KV_KEY_MAX + 1], name[KV_KEY_MAX + 1];
	uint64_t cursor = 0;
	size_t vlen = 0;
	long r;

	begin("list");
	for (int steps = 0;; steps++) {
		if (steps > KV_CAPACITY)
			return mismatch("list does not end");
		SRV_CALL(r, kv_list(srv, &cursor, key, sizeof key, &vlen));
		if (r == RW_ENOENT)
			break;
		if (r < 0) {
			bad_status("list", r);
			return 1;
		}
		int i = -1;
		if (key[0] == 'k') {
			i = atoi(key + 1);
			key_of(i < 0 || i >= NK ? 0 : i, name);
			if (i < 0 || i >= NK || strcmp(name, key) != 0)
				i = -1;
		}
		if (i < 0)
			return mismatch("extra key \"%s\" listed", key);
		if (!model[i].present)
			return mismatch("key %s listed, expected missing", key);
		if (seen[i])
			return mismatch("key %s listed twice", key);
		if (vlen != model[i].len)
			return mismatch("key %s listed with length %u, expected %u", key,
			                (unsigned)vlen, (unsigned)model[i].len);
		seen[i] = 1;
	}
	for (int i = 0; i < NK; i++)
		if (model[i].present && !seen[i])
			return mismatch("key k%d not listed%s", i,
			                restarts ? " after restart" : "");
	return 0;
}

/* Every model key read back, the count and the listing. */
int full_scan(void)
{
	for (int i = 0; i < NK; i++) {
		begin("scan k%d", i);
		if (check_key(i))
			return 1;
	}
	return op_count() || op_list();
}

/* One random operation of the workload. */
int random_op(void)
{
	unsigned p = (unsigned)(next_rand() % 100);
	int i = (int)(next_rand() % NK);

	if (p < 40)
		return op_put(i);
	if (p < 70)
		return op_get(i);
	if (p < 85)
		return op_del(i);
	if (p < 95)
		return op_count();
	return op_list();
}

void reset_model(void)
{
	memset(model, 0, sizeof model);
}

/* Lenient mode: deals with a pending restart (see oracle.h). */
void settle(void)
{
	if (need_resync)
		resync(full_scan, reset_model);
}
