/*
 * Differential ISA checks (guest/isa/): each program computes values that
 * must be the same under Rewind and under QEMU, prints each one as
 * "NAME=HEX" and ends with "isa: PROG sum=HEX" (a hash of every value).
 */
#ifndef ISA_H
#define ISA_H

#include <stdint.h>
#include <stdio.h>

static uint64_t isa_sum = 0x6a09e667f3bcc908ULL;

static inline uint64_t isa_mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9E3779B97F4A7C15ULL + (h << 6) + (h >> 2);
	return h;
}

/* The value v hidden from the optimiser (a register it cannot see into). */
#define OPQ(v)                                   \
	({                                       \
		__auto_type _o = (v);            \
		__asm__ volatile("" : "+r"(_o)); \
		_o;                              \
	})

#define OUT(name, v)                                                 \
	do {                                                         \
		uint64_t _v = (uint64_t)(v);                         \
		isa_sum = isa_mix(isa_sum, _v);                      \
		printf("%s=%llx\n", (name), (unsigned long long)_v); \
	} while (0)

static inline void out_str(const char *name, const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (const char *p = s; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	isa_sum = isa_mix(isa_sum, h);
	printf("%s='%s'\n", name, s);
}

static inline int isa_end(const char *prog)
{
	printf("isa: %s sum=%016llx\n", prog, (unsigned long long)isa_sum);
	return 0;
}

#endif
