/*
 * nest_server - named counters mirrored into kv by nested calls; serves
 * endpoint "nest" and uses "kv".  Protocol: see <rewind/nest.h> and
 * guest/abi/nest.proto.
 *
 * NEST_ADD changes the server's own table first, then calls kv while it is
 * still handling the request, with an optional deliberate fault before or
 * after that nested call (for recovery tests across two servers).
 */
#include <stdio.h>
#include <string.h>
#include <rewind/kv.h>
#include <rewind/nest.h>
#include "debug_fault.h"

struct counter {
	uint8_t used;
	char name[NEST_NAME_MAX + 1];
	int64_t value;
};

static struct counter table[NEST_CAPACITY];
static rw_cap kv;

static int find(const char *name)
{
	for (int i = 0; i < NEST_CAPACITY; i++)
		if (table[i].used && strcmp(table[i].name, name) == 0)
			return i;
	return -1;
}

/* Copies "name NUL" from the IPC buffer (w0 = nlen, len = nlen + 1: checked
 * by the rule). */
static long parse_name(const rw_msg *m, char name[NEST_NAME_MAX + 1])
{
	const char *buf = rw_ipc_buf();
	uint64_t n = m->w[0];

	if (buf[n] != '\0' || memchr(buf, '\0', n) != NULL)
		return RW_EINVAL;
	memcpy(name, buf, n + 1);
	return 0;
}

static long do_add(const rw_request *req)
{
	const rw_msg *m = req->in;
	char name[NEST_NAME_MAX + 1];
	uint64_t mode = m->w[2];
	long st;

	if ((st = parse_name(m, name)) < 0)
		return st;

	/* 1. our own table */
	int i = find(name), created = 0;
	if (i < 0) {
		for (i = 0; i < NEST_CAPACITY && table[i].used; i++)
			;
		if (i == NEST_CAPACITY)
			return RW_ENOMEM;
		memset(&table[i], 0, sizeof table[i]);
		table[i].used = 1;
		memcpy(table[i].name, name, sizeof name);
		created = 1;
	}
	int64_t old = table[i].value;
	table[i].value = (int64_t)((uint64_t)old + m->w[1]);

	if (mode == NEST_FAULT_BEFORE) {
		printf("nest: fault before the kv call\n");
		debug_fault(DEBUG_FAULT_ILLEGAL);
	}

	/* 2. the nested call (the request's buffer data is no longer needed) */
	if (mode == NEST_FAULT_KV) {
		st = kv_debug_fault_dirty(kv, DEBUG_FAULT_ILLEGAL);
		if (st >= 0)
			st = RW_ESTATE; /* kv did not fault */
	} else {
		char key[KV_KEY_MAX + 1], val[48];
		snprintf(key, sizeof key, NEST_KV_PREFIX "%s", name);
		if (mode == NEST_STAMP) /* (bit 60 set: always 19 digits, so the
		                         * request's length does not vary with the clock) */
			snprintf(val, sizeof val, "%lld@%llu", (long long)table[i].value,
			         (unsigned long long)(rw_clock_ns() | 1ULL << 60));
		else
			snprintf(val, sizeof val, "%lld", (long long)table[i].value);
		st = kv_put(kv, key, val, strlen(val));
	}
	if (st < 0) { /* undo our part, pass kv's error on */
		printf("nest: kv call failed (%s), change undone\n", rw_strerror(st));
		if (st == RW_EDEAD)
			rw_cap_refresh(kv, NULL);
		if (created)
			memset(&table[i], 0, sizeof table[i]);
		else
			table[i].value = old;
		return st;
	}

	if (mode == NEST_FAULT_AFTER) {
		printf("nest: fault after the kv call\n");
		debug_fault(DEBUG_FAULT_ILLEGAL);
	}
	req->out->w[0] = (uint64_t)table[i].value;
	return 0;
}

static long do_get(const rw_request *req)
{
	char name[NEST_NAME_MAX + 1];
	long st;

	if ((st = parse_name(req->in, name)) < 0)
		return st;
	int i = find(name);
	if (i < 0)
		return RW_ENOENT;
	req->out->w[0] = (uint64_t)table[i].value;
	return 0;
}

static const rw_op ops[] = { NEST_OPS(do_) };

int main(void)
{
	rw_cap ep;
	long e = rw_cap_get("nest", &ep);
	long k = kv_connect("kv", &kv);

	if (e < 0 || k < 0) {
		printf("nest: missing capability (nest: %s, kv: %s)\n", rw_strerror(e),
		       rw_strerror(k));
		return 1;
	}
	printf("nest: ready\n");
	rw_serve_ops(ep, ops, RW_NOPS(ops), NULL);
}
