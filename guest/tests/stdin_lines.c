/*
 * Reads its stdin as an ordinary C program does (ConsoleInputTest, SdkTest): a
 * prompt without a newline, then lines with fgets, the rest with getchar and
 * read(0, ...), until the end of the input.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	char line[64];
	int c, lines = 0, chars = 0;
	long n;

	printf("name? ");
	if (!fgets(line, sizeof line, stdin)) {
		printf("no input: feof=%d\n", feof(stdin) != 0);
		return 0;
	}
	line[strcspn(line, "\n")] = '\0';
	printf("hello, %s\n", line);
	while ((c = getchar()) != EOF && c != '.') {
		chars++;
		if (c == '\n')
			lines++;
	}
	printf("getchar: %d chars, %d lines before '.'\n", chars, lines);
	n = read(0, line, sizeof line - 1);
	line[n > 0 ? n : 0] = '\0';
	printf("read: %ld [%s]\n", n, line);
	while (read(0, line, sizeof line) > 0)
		;
	n = read(0, line, 1);
	c = getchar();
	printf("end: read %ld, getchar %d, feof %d\n", n, c, feof(stdin) != 0);
	return 0;
}
