/*
 * big_tls.c — a TLS image larger than the first thread's static block
 * (8 KiB of __thread data): crt0 maps the block instead, copies the
 * initialised part and zeroes the rest.
 */
#include "faultline-rt.h"

__thread unsigned char big_init[4096] = { 1, 2, 3, [4095] = 9 };
__thread unsigned char big_zero[4096];

int main(void)
{
    uint32_t sum = 0, nonzero = 0;
    for (int i = 0; i < 4096; i++) {
        sum += big_init[i];
        nonzero += big_zero[i] != 0;
    }
    printf("initialised sum=%lu zero bytes not zero=%lu\n", (unsigned long)sum, (unsigned long)nonzero);
    big_zero[4095] = 5;
    printf("after a store=%d\n", big_zero[4095]);
    printf("block below tp in the same mapping: %s\n",
           (uintptr_t)thread_pointer() - (uintptr_t)thread_self() == sizeof(struct rt_thread) ? "yes" : "no");
    return 0;
}
