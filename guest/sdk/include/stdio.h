/*
 * The SDK's <stdio.h>: picolibc's, and the POSIX 2008 functions its stdio
 * (tinystdio, picolibc 1.8) leaves out, which the SDK's sys.c implements:
 * getline and getdelim (a line of any length, in a buffer they malloc and
 * grow), dprintf and vdprintf (formatted output to a file descriptor).
 * Declared where glibc declares them (_POSIX_C_SOURCE >= 200809, the
 * default); a program with a getline of its own (K&R's) defines
 * _POSIX_C_SOURCE lower or renames it, as on Linux.  Their result type is
 * written __ssize_t (picolibc's ssize_t): this header must not define ssize_t
 * itself, which code such as lwIP defines when <sys/types.h> was not included.
 */
#include_next <stdio.h>

#ifndef REWIND_SDK_STDIO_H
#define REWIND_SDK_STDIO_H

#include <stdarg.h>

#if __POSIX_VISIBLE >= 200809
#ifdef __cplusplus
extern "C" {
#endif
__ssize_t getdelim(char **__restrict lineptr, size_t *__restrict n, int delim,
                   FILE *__restrict stream);
__ssize_t getline(char **__restrict lineptr, size_t *__restrict n, FILE *__restrict stream);
int dprintf(int fd, const char *__restrict fmt, ...) __attribute__((format(printf, 2, 3)));
int vdprintf(int fd, const char *__restrict fmt, va_list ap) __attribute__((format(printf, 2, 0)));
#ifdef __cplusplus
}
#endif
#endif

#endif
