/*
 * readline - a program that reads its standard input (the console's input:
 * `rewind boot --input FILE`, stdin, a test case's `input`) line by line
 * with fgets, echoes each line with its number, and counts them.  At the end
 * of the input: "readline: N lines, M bytes".  First, reads that take no
 * input: a length of 0 (0), and buffers it cannot write (EFAULT).
 */
#include <stdio.h>
#include <string.h>
#include <rewind/rewind.h>

int main(void)
{
	char line[128];
	unsigned lines = 0, bytes = 0;
	long r;

	if ((r = rw_console_read(line, 0)) != 0 ||
	    (r = rw_console_read((void *)16, 1)) != RW_EFAULT ||
	    (r = rw_console_read((void *)main, 1)) != RW_EFAULT) {
		printf("readline: FAIL a refused CONSOLE_READ answered %ld\n", r);
		return 1;
	}

	while (fgets(line, sizeof line, stdin)) {
		size_t n = strlen(line);
		bytes += (unsigned)n;
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		printf("readline: %u: %s\n", ++lines, line);
	}
	printf("readline: %u lines, %u bytes\n", lines, bytes);
	return 0;
}
