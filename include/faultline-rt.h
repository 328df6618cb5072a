/*
 * faultline-rt.h — the guest runtime for C programs without a C library:
 * startup (main(argc, argv, envp), exit status), Linux rv32 system calls,
 * memory and string functions, per-thread line-buffered output with a
 * small printf, and threads (create/join, futex mutex, condition
 * variable, TLS). Build a program with it — one command:
 *
 *     riscv64-unknown-elf-gcc -march=rv32ima -mabi=ilp32 -static -nostdlib -O2 \
 *         -I include -o prog prog.c include/faultline-rt.c -lgcc
 *
 * and run it with `faultline run prog` (or qemu-riscv32 prog). -lgcc
 * supplies what GCC calls for 64-bit division and soft floating point.
 * The guest side of faultline's fault handlers, <faultline.h>, comes with
 * it (register_fault_handler, the exception-table macros).
 */
#ifndef FAULTLINE_RT_H
#define FAULTLINE_RT_H

#include "faultline.h"
#include "faultline-rt/types.h"
#include "faultline-rt/syscall.h"
#include "faultline-rt/string.h"
#include "faultline-rt/print.h"
#include "faultline-rt/thread.h"

#endif /* FAULTLINE_RT_H */
