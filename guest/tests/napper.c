/* napper: prints "napper: napping", then sleeps ten minutes in one system call (every task
 * blocked, a timer pending: an idle system), then prints "napper: woke". */
#include <stdio.h>
#include <rewind/rewind.h>

int main(void)
{
	printf("napper: napping\n");
	rw_sleep_ns(600ULL * 1000000000ULL);
	printf("napper: woke\n");
	return 0;
}
