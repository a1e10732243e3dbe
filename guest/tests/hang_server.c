/*
 * hang_server (serves "hang", calls "echo", owns the notification "hang_never", which no
 * task signals): keeps a sum.  Label 1 adds w0 and replies with the sum.  Labels 2..4 add
 * 1000 and then never answer, though the request uses next to no CPU and something else
 * (the sleeper's timer) keeps the system alive, so it is no deadlock: label 2 calls the
 * echo server in a loop forever, label 3 sleeps 1 ms at a time forever (reporting the count
 * from 150 sleeps on), label 4 waits on
 * hang_never.  Under txipc the request deadline counts the time spent blocked inside the
 * request, so each is rolled back (the 1000 undone) within about deadline_ms and the server
 * serves on (GuestSystemTest, t_hang.toml).
 */
#include <stdio.h>
#include <rewind/rewind.h>

static long sum;
static rw_cap echo, never;

static void handle(rw_msg *m, uint64_t badge, void *ctx)
{
	uint64_t bits;

	(void)badge;
	(void)ctx;
	switch (m->label) {
	case 1:
		sum += (long)m->w[0];
		break;
	case 2:
		sum += 1000;
		for (uint64_t i = 0;; i++) {
			rw_msg e = { 7, { i, 0, 0, 0 }, 0 };
			rw_call(echo, &e);
		}
	case 3:
		sum += 1000;
		/* Console output is not undone: from the 150th sleep on, every 10th is reported, so
		 * that a test sees how long the request went on (each sleep counts ~1 ms or more). */
		for (int n = 1;; n++) {
			rw_sleep_ns(1000000);
			if (n >= 150 && n % 10 == 0)
				printf("hang_server: slept %d\n", n);
		}
	case 4:
		sum += 1000;
		rw_wait(never, &bits);
		break;
	default:
		m->label = (uint64_t)RW_ENOSYS;
		m->len = 0;
		return;
	}
	m->label = 0;
	m->w[0] = (uint64_t)sum;
	m->len = 0;
}

int main(void)
{
	rw_cap ep;

	RW_ASSERT(rw_cap_get("hang", &ep) == 0);
	RW_ASSERT(rw_cap_get("echo", &echo) == 0);
	RW_ASSERT(rw_cap_get("hang_never", &never) == 0);
	rw_serve(ep, handle, NULL);
}
