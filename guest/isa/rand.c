/* Random instruction sequences (rand_asm.S, from gen_rand.py) over a set of
 * starting register states. */
#include <string.h>
#include "isa.h"

extern void (*const rand_funcs[])(uint64_t *s);
extern const uint64_t rand_nfuncs;

static uint64_t s[576];

int main(void)
{
	static const uint64_t special[] = { 0,
		                            1,
		                            0xffffffffffffffffULL,
		                            0x8000000000000000ULL,
		                            0x7fffffffffffffffULL,
		                            0x7fffffff,
		                            0x80000000,
		                            0xffffffff80000000ULL,
		                            0xffffffff,
		                            0x100000000ULL };
	uint64_t x = 0x243f6a8885a308d3ULL, all = 0;
	for (uint64_t f = 0; f < rand_nfuncs; f++) {
		uint64_t h = 0;
		for (int run = 0; run < 16; run++) {
			for (int k = 0; k < 576; k++) {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				s[k] = (k < 32 && (x & 3) == 0) ? special[(x >> 8) % 10] : x;
			}
			s[32] = (x & 0xf) << 28; /* AArch64: starting NZCV */
			rand_funcs[f](s);
			for (int k = 0; k < 576; k++)
				h = isa_mix(h, s[k]);
		}
		char name[32];
		snprintf(name, sizeof name, "rand_%llu", (unsigned long long)f);
		OUT(name, h);
		all = isa_mix(all, h);
	}
	OUT("rand", all);
	return isa_end("rand");
}
