/*
 * faultline-rt/runtime-private.h — what the runtime's own files share and
 * programs do not use.
 */
#ifndef FAULTLINE_RT_RUNTIME_PRIVATE_H
#define FAULTLINE_RT_RUNTIME_PRIVATE_H

#include "types.h"

/* The program's TLS image (its PT_TLS segment): `filesz` bytes to copy
 * from `init`, then zeros up to `memsz`; all 0 without __thread data. */
struct rt_tls_image {
    const void *init;
    size_t filesz;
    size_t memsz;
    size_t align;
};

extern struct rt_tls_image __rt_tls;

/* Gives the first thread its descriptor and TLS block and sets tp
 * (crt0, before main). */
void __rt_init_first_thread(void);

#endif /* FAULTLINE_RT_RUNTIME_PRIVATE_H */
