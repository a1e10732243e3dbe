/*
 * <stdatomic.h> and __atomic_* of every size, as third-party code uses them: the operations
 * gcc leaves to libatomic (RISC-V: 1- and 2-byte; both: 16-byte and any other size) come from
 * the SDK's libatomic.a (sdk/atomic.c), linked here through -latomic as on Linux. Each result
 * is checked against what the operation must give; SdkTest boots it on both architectures.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int checks, failed;

static void check(bool ok, const char *what)
{
	checks++;
	if (!ok) {
		failed++;
		printf("atomics: FAIL %s\n", what);
	}
}

struct rec {
	uint32_t id;
	char name[20];
};

static _Atomic uint8_t a8 = 250;
static _Atomic uint16_t a16 = 0x1234;
static _Atomic uint32_t a32 = 7;
static _Atomic uint64_t a64 = 1;
static _Atomic unsigned __int128 a128;
static _Atomic struct rec arec;
static atomic_flag flag = ATOMIC_FLAG_INIT;

int main(void)
{
	/* 1 byte: wraps as uint8_t does */
	check(atomic_fetch_add(&a8, 10) == 250 && atomic_load(&a8) == 4, "fetch_add 1");
	check(atomic_fetch_or(&a8, 0xf0) == 4 && a8 == 0xf4, "fetch_or 1");
	uint8_t e8 = 0xf4;
	check(atomic_compare_exchange_strong(&a8, &e8, 9) && a8 == 9, "cas 1 succeeds");
	e8 = 1;
	check(!atomic_compare_exchange_strong(&a8, &e8, 2) && e8 == 9 && a8 == 9,
	      "cas 1 fails, expected updated");
	check(__atomic_nand_fetch(&a8, 0x0f, __ATOMIC_SEQ_CST) == (uint8_t) ~(9 & 0x0f),
	      "nand_fetch 1");
	/* 2 bytes */
	check(atomic_fetch_sub(&a16, 0x34) == 0x1234 && a16 == 0x1200, "fetch_sub 2");
	check(atomic_exchange(&a16, 0xbeef) == 0x1200 && a16 == 0xbeef, "exchange 2");
	uint16_t e16 = 0xbeef;
	check(atomic_compare_exchange_weak(&a16, &e16, 0xcafe) && a16 == 0xcafe, "cas 2");
	check(__atomic_xor_fetch(&a16, 0xffff, __ATOMIC_RELAXED) == (uint16_t)~0xcafe,
	      "xor_fetch 2");
	/* 4 and 8 bytes (inline on both architectures; here for completeness) */
	check(atomic_fetch_and(&a32, 3) == 7 && a32 == 3, "fetch_and 4");
	check(atomic_fetch_add(&a64, UINT64_MAX) == 1 && a64 == 0, "fetch_add 8 wraps");
	/* 16 bytes */
	unsigned __int128 big =
	        ((unsigned __int128)0x0123456789abcdefULL << 64) | 0xfedcba9876543210ULL;
	atomic_store(&a128, big);
	check(atomic_load(&a128) == big, "store/load 16");
	check(atomic_fetch_add(&a128, 0xfedcba9876543210ULL) == big, "fetch_add 16 returns old");
	check(atomic_load(&a128) == big + 0xfedcba9876543210ULL,
	      "fetch_add 16 carries into the high half");
	unsigned __int128 e128 = 5;
	check(!atomic_compare_exchange_strong(&a128, &e128, 0) &&
	              e128 == big + 0xfedcba9876543210ULL,
	      "cas 16 fails");
	check(atomic_compare_exchange_strong(&a128, &e128, 42) && a128 == 42, "cas 16 succeeds");
	check(atomic_exchange(&a128, 1) == 42 && a128 == 1, "exchange 16");
	/* any other size: a struct */
	struct rec r = { 7, "seven" }, got, want = { 8, "eight" };
	atomic_store(&arec, r);
	got = atomic_load(&arec);
	check(got.id == 7 && strcmp(got.name, "seven") == 0, "store/load struct");
	struct rec exp = { 7, "seven" };
	check(atomic_compare_exchange_strong(&arec, &exp, want), "cas struct succeeds");
	got = atomic_exchange(&arec, r);
	check(got.id == 8 && strcmp(got.name, "eight") == 0, "exchange struct");
	check(atomic_is_lock_free(&a128) && atomic_is_lock_free(&arec), "lock free");
	/* flags */
	check(!atomic_flag_test_and_set(&flag) && atomic_flag_test_and_set(&flag), "flag");
	atomic_flag_clear(&flag);
	check(!atomic_flag_test_and_set(&flag), "flag cleared");

	printf("atomics: %d checks, %d failed\n", checks, failed);
	return failed != 0;
}
