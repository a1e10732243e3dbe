/* ipc_echo (serves "ipc_echo"): reply label = label ^ 0xFFFF, words + 1,
 * buffer bytes ^ 0x5A with the same length. */
#include <stdio.h>
#include <rewind/rewind.h>

static void handle(rw_msg *m, uint64_t badge, void *ctx)
{
	unsigned char *buf = rw_ipc_buf();
	uint64_t len = m->len;

	(void)badge;
	(void)ctx;
	if (len > RW_IPC_BUF_SIZE)
		len = RW_IPC_BUF_SIZE;
	m->label ^= 0xFFFF;
	for (int i = 0; i < 4; i++)
		m->w[i] += 1;
	for (uint64_t i = 0; i < len; i++)
		buf[i] ^= 0x5A;
	m->len = len;
}

int main(void)
{
	rw_cap ep;
	long r = rw_cap_get("ipc_echo", &ep);

	if (r < 0) {
		printf("ipc_echo: no endpoint: %s\n", rw_strerror(r));
		return 1;
	}
	rw_serve(ep, handle, NULL);
}
