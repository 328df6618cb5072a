/*
 * print.h — minimal line-buffered output to fd 1 for guest programs.
 *
 * Output is buffered and flushed at every newline, when the buffer is full,
 * by print_flush() and by rt_exit(). A program that is about to fault on
 * purpose must end its last line with '\n' (or call print_flush()) so the
 * text reaches stdout before the fault.
 *
 * Never print absolute addresses the loader or the kernel chose (mmap
 * results, brk values, stack addresses): they differ between qemu-riscv32
 * and faultline. Print offsets, differences or flags instead.
 */
#ifndef FAULTLINE_CONFORMANCE_PRINT_H
#define FAULTLINE_CONFORMANCE_PRINT_H

#include "sys.h"

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
/* "label=0x<hex>\n" */
void print_kx(const char *label, uint32_t v);
/* Flush stdout and exit(status). */
__attribute__((noreturn)) void rt_exit(int status);

#endif
