/* refcall_keeper (serves "rq"; txipc): counts the requests for client 3 (label 1, w0 = 3) and
 * answers the count (w0); any other client id is refused (EINVAL) before anything is counted. */
#include <rewind/rewind.h>

static uint64_t counted;

static void handle(rw_msg *m, uint64_t badge, void *ctx)
{
	(void)badge;
	(void)ctx;
	if (m->label != 1 || m->w[0] != 3) {
		*m = (rw_msg){ (uint64_t)RW_EINVAL, { 0, 0, 0, 0 }, 0 };
		return;
	}
	counted++;
	*m = (rw_msg){ 0, { counted, 0, 0, 0 }, 0 };
}

int main(void)
{
	rw_cap ep;
	RW_ASSERT(rw_cap_get("rq", &ep) == 0);
	rw_serve(ep, handle, 0);
}
