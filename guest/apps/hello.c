/* hello: the smallest Rewind program. */
#include <stdio.h>
#include <rewind/rewind.h>

int main(void)
{
	long self = rw_task_self();
	uint64_t t = rw_clock_ns();

	printf("hello from rewind\n");
	printf("hello: task %u generation %lu, clock %lu ns\n", rw_task_index(self),
	       rw_task_generation(self), (unsigned long)t);
	return 0;
}
