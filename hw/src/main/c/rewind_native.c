/*
 * rewind_native: the few Unicorn hooks that must not cost a trip into Java.
 *
 * A JNA callback costs ~0.5-0.8 us; these hooks cost nanoseconds. They record what happened
 * in a small struct owned by the Java side (struct rw_trap, layout mirrored in
 * NativeHooks.java) and stop the engine, so the kernel handles every trap after
 * uc_emu_start has returned, on its own stack, with no Java frames under Unicorn's.
 *
 * This file includes no Unicorn header and links against no Unicorn library: the Java side
 * passes the address of uc_emu_stop from whichever libunicorn it loaded, so a newer
 * libunicorn.so.2 given by path works without rebuilding this.
 */
#include <stdint.h>
#include <stdbool.h>

typedef int (*uc_emu_stop_fn)(void *uc);

/* Written by the hooks, read by Java. Keep in sync with NativeHooks.java. */
struct rw_trap {
    int32_t intno;      /* last exception / ecall cause, -1 if none     (offset 0)  */
    int32_t mem_type;   /* uc_mem_type of the last invalid access, 0    (offset 4)  */
    int64_t mem_addr;   /* its address                                  (offset 8)  */
    int32_t mem_size;   /* its size                                     (offset 16) */
    int32_t pad;        /*                                              (offset 20) */
    uc_emu_stop_fn stop;/* uc_emu_stop of the loaded library            (offset 24) */
};

/* UC_HOOK_INTR: record the cause and stop; the kernel decodes it after the run. */
void rw_intr_hook(void *uc, uint32_t intno, void *user)
{
    struct rw_trap *t = user;
    t->intno = (int32_t)intno;
    t->stop(uc);
}

/* UC_HOOK_MEM_INVALID: record the access and refuse it, which ends the run with an error. */
bool rw_mem_invalid_hook(void *uc, int type, uint64_t address, int size, int64_t value, void *user)
{
    struct rw_trap *t = user;
    (void)uc;
    (void)value;
    t->mem_type = type;
    t->mem_addr = (int64_t)address;
    t->mem_size = size;
    return false;
}

/* The struct's size, so the Java side can check its mirror at load time. */
int rw_trap_size(void)
{
    return (int)sizeof(struct rw_trap);
}
