/*
 * faultline-libc.c — the faultline C library as one file to compile with
 * a program whose headers come from include/libc:
 *
 *     riscv64-unknown-elf-gcc -march=rv32ima -mabi=ilp32 -static -nostdlib -O2 \
 *         -I include/libc -o prog prog.c include/faultline-libc.c -lgcc
 *
 * It reuses the runtime's startup, memory/string functions and threads
 * (faultline-rt/), and adds, each in its own file:
 *
 *     faultline-libc/syscalls.c  POSIX wrappers setting errno: files, directories, time
 *     faultline-libc/malloc.c    malloc/free over brk and mmap, thread-safe
 *     faultline-libc/string.c    the rest of <string.h>, <ctype.h>, strerror
 *     faultline-libc/stdlib.c    strtol & co, qsort, getenv, atexit/exit
 *     faultline-libc/stdio.c     FILE: buffered streams, stdin/stdout/stderr
 *     faultline-libc/format.c    the printf family
 *
 * The runtime's own printf (faultline-rt/print.c) is not part of it: the
 * library's stdio replaces it, and rt_exit()/print_flush(), which the
 * startup and thread_exit() call, are exit() and fflush(stdout) here.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
/* The library's headers above give the runtime's types (faultline-rt/types.h),
 * which would otherwise be defined twice (a C99 -pedantic warning). */
#define FAULTLINE_RT_TYPES_H
#include "faultline-rt/crt0.c"
#include "faultline-rt/string.c"
#include "faultline-rt/thread.c"
#include "faultline-libc/syscalls.c"
#include "faultline-libc/malloc.c"
#include "faultline-libc/string.c"
#include "faultline-libc/stdlib.c"
#include "faultline-libc/stdio.c"
#include "faultline-libc/format.c"
