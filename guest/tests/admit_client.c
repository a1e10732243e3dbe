/*
 * admit_client (uses "admit") - SET 7, GET, SET 9, GET, GET, DEL (ENOENT), GET: each call made again while it is
 * rolled back (ERECOVERED), each answer checked. Prints "admit_client: ok" or
 * "admit_client: FAIL <call> ..." (exit 1).
 */
#include <stdio.h>
#include <rewind/rewind.h>

static rw_cap c;

static long call(uint64_t label, uint64_t w0, uint64_t *out)
{
	rw_msg m;
	long r;
	int tries = 0;

	do {
		m = (rw_msg){ label, { w0, 0, 0, 0 }, 0 };
		r = rw_call(c, &m);
	} while (r == RW_ERECOVERED && ++tries < 4);
	if (r < 0)
		return r;
	*out = m.w[0];
	return (long)m.label;
}

static int check(const char *what, long r, uint64_t got, uint64_t want)
{
	if (r == 0 && got == want)
		return 0;
	printf("admit_client: FAIL %s: status %ld, w0 %lu, want %lu\n", what, r, (unsigned long)got,
	       (unsigned long)want);
	return 1;
}

int main(void)
{
	uint64_t w = 0;
	int bad = 0;

	if (rw_cap_get("admit", &c) < 0) {
		printf("admit_client: no capability\n");
		return 1;
	}
	bad |= check("set 7", call(1, 7, &w), w, 1);
	bad |= check("get", call(2, 0, &w), w, 7);
	bad |= check("set 9", call(1, 9, &w), w, 1);
	bad |= check("get", call(2, 0, &w), w, 9);
	bad |= check("get again", call(2, 0, &w), w, 9);
	long r = call(3, 0, &w);
	if (r != RW_ENOENT) {
		printf("admit_client: FAIL del: status %ld, want %ld\n", r, (long)RW_ENOENT);
		bad = 1;
	}
	bad |= check("get after del", call(2, 0, &w), w, 9);
	if (bad)
		return 1;
	printf("admit_client: ok\n");
	return 0;
}
