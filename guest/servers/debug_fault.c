#include <stdint.h>
#include <rewind/rewind.h>
#include "debug_fault.h"

void debug_fault(long kind)
{
	switch (kind) {
	case DEBUG_FAULT_ILLEGAL:
		__asm__ __volatile__(".word 0");
		break;
	case DEBUG_FAULT_NULL: {
		volatile uint32_t *p = RW_OPAQUE((volatile uint32_t *)0);
		*p = 0xdead;
		break;
	}
	case DEBUG_FAULT_WILD_READ: {
		volatile uint64_t *p = RW_OPAQUE((volatile uint64_t *)0x50000000UL);
		(void)*p;
		break;
	}
	case DEBUG_FAULT_ASSERT:
		RW_ASSERT(RW_OPAQUE(kind) == 0);
		break;
	case DEBUG_FAULT_LOOP:
		for (;;)
			__asm__ __volatile__("");
	case DEBUG_FAULT_TEXT_WRITE: {
		volatile uint32_t *p = RW_OPAQUE((volatile uint32_t *)(uintptr_t)&debug_fault);
		*p = 0;
		break;
	}
	default:
		break;
	}
}
