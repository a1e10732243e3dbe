/*
 * idle: prints a banner, then waits for a request on its first capability (an
 * endpoint it serves) forever.  Booted by the hundred to measure the host
 * memory an idle task costs (rewind bench memory, docs/PERFORMANCE.md).
 */
#include <stdio.h>
#include <rewind/rewind.h>

int main(void)
{
	rw_msg m;
	uint64_t badge;

	printf("idle: ready\n");
	for (;;)
		rw_recv(RW_CAP(0), &m, &badge);
}
