/*
 * t_isolation victim (serves "victim"): keeps a secret at the top of a
 * 1 MiB heap area.  Label 2 = "check": w0 = 1 if the secret is intact;
 * any other label: w0 = address of the secret.
 */
#include <stdio.h>
#include <string.h>
#include <rewind/rewind.h>

#define AREA       (1024 * 1024)
#define SECRET_LEN 256

static const unsigned char pattern[3] = { 0x5E, 0xC2, 0xE7 }; /* 0x5EC2E7 */
static unsigned char *secret;

static int intact(void)
{
	for (size_t i = 0; i < SECRET_LEN; i++)
		if (secret[i] != pattern[i % 3])
			return 0;
	return 1;
}

static void handle(rw_msg *m, uint64_t badge, void *ctx)
{
	uint64_t label = m->label;

	(void)badge;
	(void)ctx;
	memset(m, 0, sizeof *m);
	if (label == 2)
		m->w[0] = (uint64_t)intact();
	else
		m->w[0] = (uint64_t)(uintptr_t)secret;
}

int main(void)
{
	rw_cap ep = RW_CAP(-1);
	long e = rw_cap_get("victim", &ep);
	long base = rw_sbrk(AREA);

	if (e < 0 || base < 0) {
		printf("victim: setup failed: ep %ld sbrk %ld\n", e, base);
		return 1;
	}
	secret = (unsigned char *)(uintptr_t)base + AREA - SECRET_LEN;
	for (size_t i = 0; i < SECRET_LEN; i++)
		secret[i] = pattern[i % 3];
	printf("victim: secret at 0x%lx\n", (unsigned long)(uintptr_t)secret);
	rw_serve(ep, handle, NULL);
}
