/* dualsig_server (serves "ds", signals "ds_note"; txipc, verify = "dual"): label 1 signals 0x20
 * on ds_note only if ds_flag is set (it never is, but TxIpcVerifyTest sets it for one run of a
 * request), label 2 always signals 0x1; both answer a count (w0). */
#include <rewind/rewind.h>

volatile uint64_t ds_flag;
static uint64_t answered;
static rw_cap note;

static void handle(rw_msg *m, uint64_t badge, void *ctx)
{
	(void)badge;
	(void)ctx;
	if (m->label == 1 && ds_flag)
		RW_ASSERT(rw_notify(note, 0x20) == 0);
	if (m->label == 2)
		RW_ASSERT(rw_notify(note, 0x1) == 0);
	answered++;
	*m = (rw_msg){ 0, { answered, 0, 0, 0 }, 0 };
}

int main(void)
{
	rw_cap ep;
	RW_ASSERT(rw_cap_get("ds", &ep) == 0);
	RW_ASSERT(rw_cap_get("ds_note", &note) == 0);
	rw_serve(ep, handle, 0);
}
