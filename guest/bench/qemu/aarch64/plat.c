/*
 * picolibc glue and bench_ns() for the benchmark programs on
 * qemu-system-aarch64 -machine virt -semihosting (bare metal, EL1):
 *   console  the PL011 UART at 0x09000000
 *   exit     semihosting SYS_EXIT (QEMU exits with the status)
 *   time     the generic timer's virtual count (CNTVCT_EL0 at CNTFRQ_EL0)
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "../../bench.h"

#define UART         ((volatile uint32_t *)0x09000000)
#define UART_DR      0
#define UART_FR      (0x18 / 4)
#define UART_FR_TXFF (1u << 5)

uint64_t bench_ns(void)
{
	uint64_t cnt, frq;
	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(cnt));
	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(frq));
	return (uint64_t)((unsigned __int128)cnt * 1000000000u / frq);
}

static int uart_put(char c, FILE *f)
{
	(void)f;
	while (UART[UART_FR] & UART_FR_TXFF)
		;
	UART[UART_DR] = (uint8_t)c;
	return (unsigned char)c;
}

static FILE uart_out = FDEV_SETUP_STREAM(uart_put, NULL, NULL, _FDEV_SETUP_WRITE);
FILE *const stdout = &uart_out;
FILE *const stderr = &uart_out;
FILE *const stdin = NULL;

void _exit(int status)
{
	/* SYS_EXIT (0x18) with {ADP_Stopped_ApplicationExit, status}: QEMU exits with status. */
	static uint64_t block[2];
	block[0] = 0x20026;
	block[1] = (uint64_t)(int64_t)status;
	register uint64_t op __asm__("x0") = 0x18;
	register uint64_t arg __asm__("x1") = (uint64_t)block;
	__asm__ volatile("hlt #0xf000" : "+r"(op) : "r"(arg) : "memory");
	for (;;)
		__asm__ volatile("wfi");
}

void abort(void)
{
	_exit(134);
}

/* The SDK's string.o compares a Rewind server's copies by the receive note at the stack's top,
 * which this board does not have: none is kept here. */
const int rw__recv_note_kept = 0;

/* The SDK's malloc.o ends a program whose heap is corrupted through rw_panic. */
__attribute__((noreturn)) void rw_panic(const char *msg)
{
	fputs(msg, stderr);
	fputs("\n", stderr);
	_exit(134);
}

extern char __heap_start[], __heap_end[];
static char *brk = __heap_start;

void *sbrk(ptrdiff_t incr)
{
	if (incr < 0 || incr > __heap_end - brk) {
		errno = ENOMEM;
		return (void *)-1;
	}
	char *prev = brk;
	brk += incr;
	return prev;
}
