/*
 * The atomic operations gcc does not expand inline but leaves to libatomic, which the cross
 * toolchains do not ship: on RISC-V (rv64imac) every 1- and 2-byte operation of <stdatomic.h>
 * or __atomic_* (`atomic_fetch_add` on an `_Atomic char`, a CAS on a `short`), on both
 * architectures every 16-byte one (`_Atomic __int128`) and the generic ones for other sizes
 * (an `_Atomic struct`). Built into the SDK's libatomic.a, which every program links (and
 * which `-latomic` finds), so third-party code that uses them links as on Linux.
 *
 * A task is one thread on one CPU and shares no memory with any other task: nothing else can
 * see or change its memory between two of its instructions, so a plain read-modify-write is
 * atomic for every observer there is. The compiler barriers keep the accesses where the
 * program put them, which is what the memory orders ask of a single thread.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define RW_BARRIER() __asm__ volatile("" ::: "memory")

/* libatomic's names are gcc builtins: define them under other names, exported as those. */
#define RW_ATOMIC_FETCH(N, T, OP, NAME)                                                \
	T rw_atomic_fetch_##NAME##_##N(volatile void *p, T v,                          \
	                               int m) __asm__("__atomic_fetch_" #NAME "_" #N); \
	T rw_atomic_fetch_##NAME##_##N(volatile void *p, T v, int m)                   \
	{                                                                              \
		(void)m;                                                               \
		RW_BARRIER();                                                          \
		T old = *(volatile T *)p;                                              \
		*(volatile T *)p = OP(old, v);                                         \
		RW_BARRIER();                                                          \
		return old;                                                            \
	}                                                                              \
	T rw_atomic_##NAME##_fetch_##N(volatile void *p, T v,                          \
	                               int m) __asm__("__atomic_" #NAME "_fetch_" #N); \
	T rw_atomic_##NAME##_fetch_##N(volatile void *p, T v, int m)                   \
	{                                                                              \
		(void)m;                                                               \
		RW_BARRIER();                                                          \
		T now = OP(*(volatile T *)p, v);                                       \
		*(volatile T *)p = now;                                                \
		RW_BARRIER();                                                          \
		return now;                                                            \
	}

#define RW_ADD(a, b)  ((a) + (b))
#define RW_SUB(a, b)  ((a) - (b))
#define RW_AND(a, b)  ((a) & (b))
#define RW_OR(a, b)   ((a) | (b))
#define RW_XOR(a, b)  ((a) ^ (b))
#define RW_NAND(a, b) (~((a) & (b)))

#define RW_ATOMIC_N(N, T)                                                                        \
	T rw_atomic_load_##N(const volatile void *p, int m) __asm__("__atomic_load_" #N);        \
	T rw_atomic_load_##N(const volatile void *p, int m)                                      \
	{                                                                                        \
		(void)m;                                                                         \
		RW_BARRIER();                                                                    \
		T v = *(const volatile T *)p;                                                    \
		RW_BARRIER();                                                                    \
		return v;                                                                        \
	}                                                                                        \
	void rw_atomic_store_##N(volatile void *p, T v, int m) __asm__("__atomic_store_" #N);    \
	void rw_atomic_store_##N(volatile void *p, T v, int m)                                   \
	{                                                                                        \
		(void)m;                                                                         \
		RW_BARRIER();                                                                    \
		*(volatile T *)p = v;                                                            \
		RW_BARRIER();                                                                    \
	}                                                                                        \
	T rw_atomic_exchange_##N(volatile void *p, T v, int m) __asm__("__atomic_exchange_" #N); \
	T rw_atomic_exchange_##N(volatile void *p, T v, int m)                                   \
	{                                                                                        \
		(void)m;                                                                         \
		RW_BARRIER();                                                                    \
		T old = *(volatile T *)p;                                                        \
		*(volatile T *)p = v;                                                            \
		RW_BARRIER();                                                                    \
		return old;                                                                      \
	}                                                                                        \
	bool rw_atomic_compare_exchange_##N(volatile void *p, void *expected, T desired,         \
	                                    bool weak, int s,                                    \
	                                    int f) __asm__("__atomic_compare_exchange_" #N);     \
	bool rw_atomic_compare_exchange_##N(volatile void *p, void *expected, T desired,         \
	                                    bool weak, int s, int f)                             \
	{                                                                                        \
		(void)weak;                                                                      \
		(void)s;                                                                         \
		(void)f;                                                                         \
		RW_BARRIER();                                                                    \
		T old = *(volatile T *)p;                                                        \
		bool same = old == *(T *)expected;                                               \
		if (same)                                                                        \
			*(volatile T *)p = desired;                                              \
		else                                                                             \
			*(T *)expected = old;                                                    \
		RW_BARRIER();                                                                    \
		return same;                                                                     \
	}                                                                                        \
	RW_ATOMIC_FETCH(N, T, RW_ADD, add)                                                       \
	RW_ATOMIC_FETCH(N, T, RW_SUB, sub)                                                       \
	RW_ATOMIC_FETCH(N, T, RW_AND, and)                                                       \
	RW_ATOMIC_FETCH(N, T, RW_OR, or)                                                         \
	RW_ATOMIC_FETCH(N, T, RW_XOR, xor)                                                       \
	RW_ATOMIC_FETCH(N, T, RW_NAND, nand)

RW_ATOMIC_N(1, uint8_t)
RW_ATOMIC_N(2, uint16_t)
RW_ATOMIC_N(4, uint32_t)
RW_ATOMIC_N(8, uint64_t)
RW_ATOMIC_N(16, unsigned __int128)

/* The generic forms, for objects of any size (an _Atomic struct). */
void rw_atomic_load(size_t n, const volatile void *src, void *dst, int m) __asm__("__atomic_load");
void rw_atomic_load(size_t n, const volatile void *src, void *dst, int m)
{
	(void)m;
	RW_BARRIER();
	memcpy(dst, (const void *)src, n);
	RW_BARRIER();
}

void rw_atomic_store(size_t n, volatile void *dst, void *src, int m) __asm__("__atomic_store");
void rw_atomic_store(size_t n, volatile void *dst, void *src, int m)
{
	(void)m;
	RW_BARRIER();
	memcpy((void *)dst, src, n);
	RW_BARRIER();
}

void rw_atomic_exchange(size_t n, volatile void *p, void *v, void *old,
                        int m) __asm__("__atomic_exchange");
void rw_atomic_exchange(size_t n, volatile void *p, void *v, void *old, int m)
{
	(void)m;
	RW_BARRIER();
	memcpy(old, (const void *)p, n);
	memcpy((void *)p, v, n);
	RW_BARRIER();
}

bool rw_atomic_compare_exchange(size_t n, volatile void *p, void *expected, void *desired, int s,
                                int f) __asm__("__atomic_compare_exchange");
bool rw_atomic_compare_exchange(size_t n, volatile void *p, void *expected, void *desired, int s,
                                int f)
{
	(void)s;
	(void)f;
	RW_BARRIER();
	bool same = memcmp((const void *)p, expected, n) == 0;
	if (same)
		memcpy((void *)p, desired, n);
	else
		memcpy(expected, (const void *)p, n);
	RW_BARRIER();
	return same;
}

/* Every size is lock-free here: no operation takes a lock. */
bool rw_atomic_is_lock_free(size_t n, const volatile void *p) __asm__("__atomic_is_lock_free");
bool rw_atomic_is_lock_free(size_t n, const volatile void *p)
{
	(void)n;
	(void)p;
	return true;
}
