/*
 * arch/cc.h - lwIP's compiler and platform port for Rewind guests (picolibc,
 * RISC-V rv64 and AArch64, both little-endian, freestanding).  lwIP includes
 * this from lwip/arch.h; stdint.h, inttypes.h, limits.h and ctype.h come from
 * picolibc.
 */
#ifndef REWIND_LWIP_ARCH_CC_H
#define REWIND_LWIP_ARCH_CC_H

#include <stdio.h>
#include <stdlib.h>

#define BYTE_ORDER LITTLE_ENDIAN

/* A random number for DHCP transaction ids, ports and TCP initial sequence
 * numbers (net_server.c: the clock mixed through a hash). */
unsigned int rw_lwip_rand(void);
#define LWIP_RAND() ((u32_t)rw_lwip_rand())

/* Diagnostics go to the console; a failed lwIP assertion ends the task as
 * faulted (the kernel's recovery sees it). */
void rw_lwip_assert(const char *msg, const char *file, int line) __attribute__((noreturn));
#define LWIP_PLATFORM_DIAG(x) \
	do {                  \
		printf x;     \
	} while (0)
#define LWIP_PLATFORM_ASSERT(x) rw_lwip_assert((x), __FILE__, __LINE__)

#endif
