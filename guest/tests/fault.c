/*
 * Deliberate faults, one per ELF (built with -DFAULT_KIND=FAULT_xxx).
 * Prints "fault: about to <kind>" and faults; if the task survives the
 * fault it prints "fault: survived" and exits 3.
 */
#include <stdio.h>
#include <stdint.h>
#include <rewind/rewind.h>

#define FAULT_ILLEGAL 1 /* illegal instruction */
#define FAULT_READ    2 /* load from unmapped 0x50000000 */
#define FAULT_WRITE   3 /* store to unmapped 0x50000000 */
#define FAULT_NULL    4 /* store through a NULL pointer */
#define FAULT_PROTECT 5 /* store to own code (main) */
#define FAULT_EXEC    6 /* jump into a non-executable data buffer */
#define FAULT_ABORT   7 /* failed RW_ASSERT -> SYS_ABORT */

#ifndef FAULT_KIND
#error "build with -DFAULT_KIND=FAULT_xxx"
#endif

#define WILD_ADDR 0x50000000UL

#if FAULT_KIND == FAULT_EXEC
/* A valid `ret` instruction, in the (non-executable) data segment. */
static uint32_t data_code[2] = { 0x00008067, 0x00008067 };
#endif

volatile uint64_t fault_sink;

int main(void)
{
#if FAULT_KIND == FAULT_ILLEGAL
	printf("fault: about to illegal\n");
	__asm__ __volatile__(".word 0");
#elif FAULT_KIND == FAULT_READ
	printf("fault: about to read\n");
	fault_sink = *RW_OPAQUE((volatile uint64_t *)WILD_ADDR);
#elif FAULT_KIND == FAULT_WRITE
	printf("fault: about to write\n");
	*RW_OPAQUE((volatile uint64_t *)WILD_ADDR) = 0x1234;
#elif FAULT_KIND == FAULT_NULL
	printf("fault: about to null\n");
	*RW_OPAQUE((volatile uint32_t *)0) = 0x1234;
#elif FAULT_KIND == FAULT_PROTECT
	printf("fault: about to protect\n");
	*RW_OPAQUE((volatile uint32_t *)(uintptr_t)&main) = 0;
#elif FAULT_KIND == FAULT_EXEC
	printf("fault: about to exec\n");
	void (*fn)(void) = (void (*)(void))(uintptr_t)RW_OPAQUE((uint32_t *)data_code);
	fn();
#elif FAULT_KIND == FAULT_ABORT
	printf("fault: about to abort\n");
	RW_ASSERT(1 == 2);
#else
#error "unknown FAULT_KIND"
#endif
	printf("fault: survived\n");
	return 3;
}
