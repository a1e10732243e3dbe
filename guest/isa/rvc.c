/* The compressed instructions (rvc_asm.S) over a set of register states. */
#include "isa.h"

void rvc_run(uint64_t *s);

int main(void)
{
	static const uint64_t seeds[] = {
		0,          1,          0xffffffffffffffffULL, 0x8000000000000000ULL,
		0x7fffffff, 0x80000000, 0x123456789abcdef0ULL, 0xfedcba9876543210ULL
	};
	uint64_t h = 0;
	for (unsigned i = 0; i < 8; i++)
		for (unsigned j = 0; j < 8; j++) {
			uint64_t s[48];
			for (int k = 0; k < 8; k++)
				s[k] = seeds[(i + k) & 7] ^
				       (seeds[(j * 3 + k) & 7] << (k * 7 % 64));
			for (int k = 8; k < 48; k++)
				s[k] = 0x5555555555555555ULL * k;
			rvc_run(s);
			for (int k = 0; k < 48; k++)
				h = isa_mix(h, s[k]);
			if (i == j) {
				char name[16];
				snprintf(name, sizeof name, "rvc_%u", i);
				uint64_t g = 0;
				for (int k = 0; k < 48; k++)
					g = isa_mix(g, s[k]);
				OUT(name, g);
			}
		}
	OUT("rvc", h);
	return isa_end("rvc");
}
