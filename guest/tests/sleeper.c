/* sleeper: sleeps 1 ms at a time forever (a task that a timer keeps alive, like a network
 * stack's).  Prints "sleeper: sleeping" once. */
#include <stdio.h>
#include <rewind/rewind.h>

int main(void)
{
	printf("sleeper: sleeping\n");
	for (;;)
		rw_sleep_ns(1000000);
}
