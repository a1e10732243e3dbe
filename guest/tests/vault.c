/* vault (serves "secret"): an endpoint that capcheck must not be able to
 * look up, because "secret" is not in its uses list. */
#include <stdio.h>
#include <string.h>
#include <rewind/rewind.h>

static void handle(rw_msg *m, uint64_t badge, void *ctx)
{
	(void)badge;
	(void)ctx;
	memset(m, 0, sizeof *m);
}

int main(void)
{
	rw_cap ep;
	long r = rw_cap_get("secret", &ep);

	if (r < 0) {
		printf("vault: no endpoint: %s\n", rw_strerror(r));
		return 1;
	}
	rw_serve(ep, handle, NULL);
}
