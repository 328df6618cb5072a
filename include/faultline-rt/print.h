/*
 * faultline-rt/print.h — output to fd 1, one write per line (part of
 * <faultline-rt.h>).
 *
 * Each thread buffers the line it is printing (in its descriptor, see
 * thread.h) and writes it with a single `write` at '\n', when the buffer
 * holds RT_LINE_MAX bytes, at print_flush(), thread_exit() and rt_exit():
 * lines of different threads never interleave. A program about to fault
 * on purpose must end its last line with '\n' (or call print_flush()) so
 * the text is written before the fault.
 *
 * A program compared with another machine (qemu-riscv32) should never
 * print an address the loader or kernel chose (mmap results, the break,
 * the stack, tp): print offsets, differences or flags instead.
 */
#ifndef FAULTLINE_RT_PRINT_H
#define FAULTLINE_RT_PRINT_H

#include "types.h"

/* Writes the calling thread's buffered line now. */
void print_flush(void);
void print_char(char c);
void print_str(const char *s);
void print_nl(void);
/* Signed decimal. */
void print_dec(int32_t v);
/* Unsigned decimal. */
void print_udec(uint32_t v);
/* "0x" followed by exactly eight lower-case hex digits. */
void print_hex(uint32_t v);
/* Exactly `digits` lower-case hex digits, no prefix. */
void print_hexn(uint32_t v, int digits);
/* "label=<decimal>\n" */
void print_kv(const char *label, int32_t v);
/* "label=0x<8 hex digits>\n" */
void print_kx(const char *label, uint32_t v);

/*
 * A small printf: %d %i %u %x %X %o %c %s %p %%, the length modifiers l
 * (32-bit, as int) and ll (64-bit), a width (or *), the flags '-' and '0',
 * and a precision for %s only (%.5s, %.*s; ignored elsewhere). Returns the
 * number of characters printed.
 */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap);
/* s and '\n'; returns a non-negative number. */
int puts(const char *s);
/* Prints c; returns c. */
int putchar(int c);

/* Writes the calling thread's line, then ends the process with `status`
 * (exit_group: every thread). main's return value comes here. */
__attribute__((noreturn)) void rt_exit(int status);

#endif /* FAULTLINE_RT_PRINT_H */
