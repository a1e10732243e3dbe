/*
 * tty.h - client of a character (tty) driver (endpoint "tty" by convention).
 *
 * Protocol (one rw_call per request; see docs/DEVICES.md), defined in
 * guest/abi/tty.proto, from which <rewind/tty_proto.h> (labels, constants,
 * errors, request rules, client stubs) is generated:
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
#include <rewind/tty_proto.h> /* generated from guest/abi/tty.proto */

#ifdef __cplusplus
extern "C" {
#endif

/* From <rewind/tty_proto.h>: the labels TTY_OPEN..., TTY_CRLF (OPEN mode:
 * send "\n" as "\r\n"), TTY_CHUNK (4096, bytes per WRITE, most per READ)
 * and the error TTY_ENOTOPEN (no open session for this client). */

long tty_open(rw_cap cap, uint64_t mode);
long tty_close(rw_cap cap);
/* Writes all len bytes (in chunks of up to 4096); returns len or an error. */
long tty_write(rw_cap cap, const void *buf, size_t len);
long tty_puts(rw_cap cap, const char *s);
/* Reads 1..max bytes (max <= 4096); blocks; returns 0 at end of input. */
long tty_read(rw_cap cap, void *buf, size_t max);
const char *tty_strerror(long err);

#ifdef __cplusplus
}
#endif

#endif
