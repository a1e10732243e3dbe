/* fsm: a table-free lexer state machine over 128 KiB of generated C-like source:
 * identifiers, decimal and hex numbers, strings with escapes, line and block
 * comments, operators; counts tokens of each kind and hashes identifiers. */
#include "bench.h"

#define SRC    131072
#define ROUNDS 6

static char src[SRC];

enum state { S_START, S_IDENT, S_NUM, S_HEX, S_STR, S_ESC, S_SLASH, S_LINE, S_BLOCK, S_STAR };
enum kind { K_IDENT, K_NUM, K_STR, K_COMMENT, K_OP, K_COUNT };

static int is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}
static int is_hex(int c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static void generate(void)
{
	static const char *const frags[] = {
		"int ", "x",          "count",      "_tmp",       " = ",       "0x1F",
		"42",   "\"str\\n\"", "\"a\\\"b\"", "/* note */", "// line\n", ";\n",
		"+",    "-",          "*",          "(",          ")",         "{",
		"}",    " ",          "\n",         "value9",     "/",         "0xbeef",
	};
	uint64_t seed = 0xf5a;
	long n = 0;
	while (n < SRC - 16) {
		const char *f = frags[bench_rand(&seed) % (sizeof frags / sizeof frags[0])];
		while (*f && n < SRC - 16)
			src[n++] = *f++;
	}
	while (n < SRC)
		src[n++] = ' ';
}

static uint64_t lex(uint64_t counts[K_COUNT])
{
	enum state s = S_START;
	uint64_t idhash = 0, h = 0;

	for (long i = 0; i <= SRC; i++) {
		int c = i < SRC ? (unsigned char)src[i] : ' ';
		switch (s) {
		case S_START:
start:
			if (is_alpha(c)) {
				s = S_IDENT;
				h = 0xcbf29ce484222325ULL ^ (uint64_t)c;
			} else if (c == '0' && i + 1 < SRC &&
			           (src[i + 1] == 'x' || src[i + 1] == 'X')) {
				s = S_HEX;
				i++;
			} else if (is_digit(c)) {
				s = S_NUM;
			} else if (c == '"') {
				s = S_STR;
			} else if (c == '/') {
				s = S_SLASH;
			} else if (c != ' ' && c != '\n' && c != '\t') {
				counts[K_OP]++;
			}
			break;
		case S_IDENT:
			if (is_alpha(c) || is_digit(c)) {
				h = (h ^ (uint64_t)c) * 0x100000001b3ULL;
			} else {
				counts[K_IDENT]++;
				idhash += h;
				s = S_START;
				goto start;
			}
			break;
		case S_NUM:
			if (!is_digit(c)) {
				counts[K_NUM]++;
				s = S_START;
				goto start;
			}
			break;
		case S_HEX:
			if (!is_hex(c)) {
				counts[K_NUM]++;
				s = S_START;
				goto start;
			}
			break;
		case S_STR:
			if (c == '\\')
				s = S_ESC;
			else if (c == '"') {
				counts[K_STR]++;
				s = S_START;
			}
			break;
		case S_ESC:
			s = S_STR;
			break;
		case S_SLASH:
			if (c == '/')
				s = S_LINE;
			else if (c == '*')
				s = S_BLOCK;
			else {
				counts[K_OP]++;
				s = S_START;
				goto start;
			}
			break;
		case S_LINE:
			if (c == '\n') {
				counts[K_COMMENT]++;
				s = S_START;
			}
			break;
		case S_BLOCK:
			if (c == '*')
				s = S_STAR;
			break;
		case S_STAR:
			if (c == '/') {
				counts[K_COMMENT]++;
				s = S_START;
			} else if (c != '*') {
				s = S_BLOCK;
			}
			break;
		}
	}
	return idhash;
}

static uint64_t kernel(void)
{
	uint64_t sum = 0;

	generate();
	for (int r = 0; r < ROUNDS; r++) {
		uint64_t counts[K_COUNT] = { 0 };
		sum = bench_mix(sum, lex(counts));
		for (int k = 0; k < K_COUNT; k++)
			sum = bench_mix(sum, counts[k]);
	}
	return sum;
}

BENCH_MAIN("fsm", kernel, 0x9e23cf4a565c5ccb)
