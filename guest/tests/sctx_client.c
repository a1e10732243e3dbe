/*
 * sctx_client (uses "sctx") - PING, STRAY, then PING twice more, printing
 * what each returned: "sctx_client: ping 42", "sctx_client: stray 0", then
 * "sctx_client: after the stray store: <status>" for each PING (ENOSYS had the
 * server's check not caught the change; ERECOVERED once it does).
 */
#include <stdio.h>
#include <rewind/rewind.h>

static long call(rw_cap c, uint64_t label, uint64_t *w0)
{
	rw_msg m = { 0 };
	long r;

	m.label = label;
	r = rw_call(c, &m);
	if (r < 0)
		return r;
	*w0 = m.w[0];
	return (long)m.label;
}

int main(void)
{
	rw_cap c;
	uint64_t w = 0;
	long r;

	if ((r = rw_cap_get("sctx", &c)) < 0) {
		printf("sctx_client: no capability: %s\n", rw_strerror(r));
		return 1;
	}
	r = call(c, 1, &w);
	printf("sctx_client: ping %ld\n", r < 0 ? r : (long)w);
	r = call(c, 2, &w);
	printf("sctx_client: stray %ld\n", r);
	for (int i = 0; i < 2; i++) {
		r = call(c, 1, &w);
		printf("sctx_client: after the stray store: %s\n",
		       r < 0 ? rw_strerror(r) : "answered");
	}
	return 0;
}
