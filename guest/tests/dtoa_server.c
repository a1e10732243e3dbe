/*
 * dtoa_server (serves "dtoa"): formats doubles, as a server that answers text does.
 *   label 1: w0 = a double's bits; reply: the text of printf's "%.17g" of it in the IPC buffer
 *            (len = its length + 1), w0 = that length
 * Under txipc a transient fault while printf computes the digits (the SDK's dtoa.c) must not
 * reach the client as wrong digits: dtoa computes them twice and a difference is rw_panic,
 * which txipc undoes and runs again (DtoaCheckTest).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <rewind/rewind.h>

static void handle(rw_msg *m, uint64_t badge, void *ctx)
{
	(void)badge;
	(void)ctx;
	if (m->label != 1 || m->len != 0) {
		m->label = (uint64_t)RW_EINVAL;
		m->w[0] = m->w[1] = m->w[2] = m->w[3] = 0;
		m->len = 0;
		return;
	}
	double x;
	char text[64];
	memcpy(&x, &m->w[0], sizeof x);
	int n = snprintf(text, sizeof text, "%.17g", x);
	RW_ASSERT(n > 0 && n < (int)sizeof text);
	memcpy(rw_ipc_buf(), text, (size_t)n + 1);
	m->label = 0;
	m->w[0] = (uint64_t)n;
	m->w[1] = m->w[2] = m->w[3] = 0;
	m->len = (uint64_t)n + 1;
}

int main(void)
{
	rw_cap ep;
	RW_ASSERT(rw_cap_get("dtoa", &ep) == 0);
	rw_serve(ep, handle, NULL);
}
