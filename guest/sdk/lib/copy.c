/*
 * rw_copy_checked: memcpy, then the copy compared with its source.
 *
 * A fault inside a copy (a skipped store or pointer step in memcpy's loop, a flipped
 * register holding a pointer or the count) leaves wrong bytes behind without a trap: a
 * server that stores them answers wrong data later, and no recovery sees it. Compared
 * after the copy, such a copy is a fault of the request (rw_panic), which txipc undoes and
 * runs again. What it costs is a second pass over the bytes; servers use it for the payload
 * their clients' data passes through (a file's bytes, a stored value). Since session 54 the
 * SDK's memcpy also compares every copy a task makes while it serves a request (string.c), but
 * against the pointers it was given: this compares with the caller's own, so a pointer spoiled
 * on the way into the copy is found here too.
 */
#include <rewind/rewind.h>
#include <string.h>

/* Without the SDK's string functions (REWIND_LIBC_STRING_memcpy: picolibc's), memcpy itself. */
__attribute__((weak)) void rw__copy_plain(void *dst, const void *src, size_t n)
{
	memcpy(dst, src, n);
}

void *rw_copy_checked(void *dst, const void *src, size_t n)
{
	rw__copy_plain(dst, src,
	               n); /* (the SDK's memcpy, without its own compare: this one is made here) */
	__asm__ volatile("" ::: "memory"); /* (the compare reads memory, not what the copy meant) */
	if (memcmp(dst, src, n) != 0)
		rw_panic("a copy differs from its source (rw_copy_checked)");
	return dst;
}
