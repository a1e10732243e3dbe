/* spinner: loops forever without system calls; the kernel must preempt it
 * and finally kill it as a runaway (runaway_ms in the manifest). */
#include <stdio.h>
#include <rewind/rewind.h>

int main(void)
{
	uint64_t x = 1;

	printf("spinner: spinning\n");
	for (;;) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		__asm__ __volatile__("" : "+r"(x));
	}
}
