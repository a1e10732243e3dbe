/*
 * capcheck (uses "echo"): capability checks.  Prints "capcheck: <check> ok"
 * per check and "capcheck: all ok" (exit 0), or "capcheck: FAIL <check>
 * got <n>" (exit 1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <rewind/rewind.h>

static void check(const char *name, long got, long want)
{
	if (got != want) {
		printf("capcheck: FAIL %s got %ld (%s), want %ld (%s)\n", name, got,
		       rw_strerror(got), want, rw_strerror(want));
		exit(1);
	}
	printf("capcheck: %s ok\n", name);
}

int main(void)
{
	rw_msg m = { 0 };
	uint64_t badge, bits;

	check("call slot 99", rw_call(RW_CAP(99), &m), RW_ECAP);
	memset(&m, 0, sizeof m);
	check("call slot -1", rw_call(RW_CAP(-1), &m), RW_ECAP);
	check("lookup nonexistent", rw_cap_lookup_str("nonexistent"), RW_ENOENT);
	check("lookup unlisted", rw_cap_lookup_str("secret"), RW_ENOENT);

	long echo = rw_cap_lookup_str("echo");
	if (echo < 0) {
		printf("capcheck: FAIL lookup echo got %ld\n", echo);
		return 1;
	}
	printf("capcheck: lookup echo ok\n");

	check("recv on send cap", rw_recv(RW_CAP(echo), &m, &badge), RW_ECAP);
	check("notify on endpoint", rw_notify(RW_CAP(echo), 1), RW_ECAP);
	check("poll on endpoint", rw_poll(RW_CAP(echo), &bits), RW_ECAP);
	check("lookup bad pointer", rw_cap_lookup((const char *)0x10, 4), RW_EFAULT);
	check("lookup huge len", rw_cap_lookup("echo", 100000), RW_EINVAL);

	/* A valid call works and comes back unchanged. */
	memset(&m, 0, sizeof m);
	m.label = 7;
	m.w[0] = 0x1111;
	m.w[1] = 0x2222;
	m.w[2] = 0x3333;
	m.w[3] = 0x4444;
	m.len = 5;
	memcpy(rw_ipc_buf(), "ping", 5);
	check("echo call", rw_call(RW_CAP(echo), &m), 0);
	if (m.label != 7 || m.w[0] != 0x1111 || m.w[3] != 0x4444 || m.len != 5 ||
	    memcmp(rw_ipc_buf(), "ping", 5) != 0) {
		printf("capcheck: FAIL echo reply got %ld\n", (long)m.label);
		return 1;
	}
	printf("capcheck: echo reply ok\n");
	printf("capcheck: all ok\n");
	return 0;
}
