/* echo (serves "echo"): replies with the request unchanged (label, words
 * and buffer data, which is still at offset 0 of the IPC buffer). */
#include <stdio.h>
#include <rewind/rewind.h>

static void handle(rw_msg *m, uint64_t badge, void *ctx)
{
	(void)m;
	(void)badge;
	(void)ctx;
}

int main(void)
{
	rw_cap ep;
	long r = rw_cap_get("echo", &ep);

	if (r < 0) {
		printf("echo: no endpoint: %s\n", rw_strerror(r));
		return 1;
	}
	rw_serve(ep, handle, NULL);
}
