/*
 * t_isolation attacker (uses "victim"): asks the victim where its secret is
 * and reads it (or, with -DATTACK_WRITE, overwrites it).  The address is not
 * mapped in this task, so the access must fault and kill the task.
 */
#include <stdio.h>
#include <rewind/rewind.h>

#ifdef ATTACK_WRITE
#define NAME "attacker_w"
#else
#define NAME "attacker"
#endif

int main(void)
{
	long cap = rw_cap_lookup_str("victim");
	rw_msg m = { 0 };

	m.label = 1;
	long r = cap < 0 ? cap : rw_call(RW_CAP(cap), &m);
	if (r < 0) {
		printf(NAME ": FAIL call victim: %s\n", rw_strerror(r));
		return 1;
	}
	volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)m.w[0];
#ifdef ATTACK_WRITE
	printf(NAME ": writing 0x%lx\n", (unsigned long)(uintptr_t)p);
	*p = 0;
	printf(NAME ": write SURVIVED\n");
#else
	printf(NAME ": reading 0x%lx\n", (unsigned long)(uintptr_t)p);
	uint64_t v = *p;
	printf(NAME ": read SURVIVED, value 0x%lx\n", (unsigned long)v);
#endif
	return 2;
}
