/*
 * faultline-rt.c — the whole guest runtime as one file to compile with a
 * program (see faultline-rt.h for the command). It includes the parts;
 * each is one concept:
 *
 *     faultline-rt/crt0.c    _start -> main(argc, argv, envp) -> exit_group
 *     faultline-rt/string.c  memcpy, memmove, memset, memcmp, str*
 *     faultline-rt/print.c   per-thread lines, printf, rt_exit
 *     faultline-rt/thread.c  clone, join, mutex, condition variable, TLS
 */
#include "faultline-rt/crt0.c"
#include "faultline-rt/string.c"
#include "faultline-rt/print.c"
#include "faultline-rt/thread.c"
