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
	long ep = rw_cap_lookup_str("secret");

	if (ep < 0) {
		printf("vault: no endpoint: %s\n", rw_strerror(ep));
		return 1;
	}
	rw_serve((int)ep, handle, NULL);
}
