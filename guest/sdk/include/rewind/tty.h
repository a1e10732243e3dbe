/*
 * tty.h - client of a character (tty) driver (endpoint "tty" by convention).
 *
 * Protocol (one rw_call per request; see docs/DEVICES.md):
 *
 *   Labels are TTY_MAGIC << 16 | op.  Words a request does not use must be 0.
 *
 *   request     words                               buffer   reply (label 0)
 *   TTY_OPEN    w0 = mode (TTY_CRLF)                -        -  (session for the caller's badge)
 *   TTY_CLOSE   -                                   -        -
 *   TTY_WRITE   w0 = length, w1 = resume (0)        bytes    w0 = length
 *   TTY_READ    w0 = max bytes (1..4096)            -        w0 = n, buffer = n bytes;
 *                                                            blocks until n >= 1, n = 0 at end of input
 *
 * WRITE/READ need an open session (TTY_ENOTOPEN).  "resume" is set only by
 * the kernel's shadow driver when it re-issues a write cut short by a driver
 * failure: the driver skips the first resume bytes it would transmit (after
 * CRLF translation).  Clients always send 0.
 */
#ifndef REWIND_TTY_H
#define REWIND_TTY_H

#include <stddef.h>
#include <stdint.h>
#include <rewind/rewind.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TTY_MAGIC	0x5459ULL		/* "TY" */
#define TTY_LABEL(op)	((TTY_MAGIC << 16) | (op))
#define TTY_OPEN	TTY_LABEL(1)
#define TTY_CLOSE	TTY_LABEL(2)
#define TTY_WRITE	TTY_LABEL(3)
#define TTY_READ	TTY_LABEL(4)

#define TTY_CRLF	1ULL			/* send "\n" as "\r\n" */

#define TTY_ENOTOPEN	(-20)	/* no open session for this client */

long tty_open(int cap, uint64_t mode);
long tty_close(int cap);
/* Writes all len bytes (in chunks of up to 4096); returns len or an error. */
long tty_write(int cap, const void *buf, size_t len);
long tty_puts(int cap, const char *s);
/* Reads 1..max bytes (max <= 4096); blocks; returns 0 at end of input. */
long tty_read(int cap, void *buf, size_t max);
const char *tty_strerror(long err);

#ifdef __cplusplus
}
#endif

#endif
