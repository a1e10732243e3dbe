/* Deliberate faults for recovery tests (KV_DEBUG_FAULT / FS_DEBUG_FAULT). */
#ifndef SERVERS_DEBUG_FAULT_H
#define SERVERS_DEBUG_FAULT_H

#define DEBUG_FAULT_ILLEGAL	1	/* illegal instruction */
#define DEBUG_FAULT_NULL	2	/* write through a NULL pointer */
#define DEBUG_FAULT_WILD_READ	3	/* read of unmapped 0x50000000 */
#define DEBUG_FAULT_ASSERT	4	/* failed RW_ASSERT */
#define DEBUG_FAULT_LOOP	5	/* infinite loop without system calls */
#define DEBUG_FAULT_TEXT_WRITE	6	/* write to the task's own .text */

/* Performs fault `kind` (1..6). Returns only if the fault did not stop the
 * task (a kernel bug) or kind is unknown. */
void debug_fault(long kind);

#endif
