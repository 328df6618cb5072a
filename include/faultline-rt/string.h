/*
 * faultline-rt/string.h — the memory and string functions of the runtime
 * (part of <faultline-rt.h>). They behave as the C standard says; GCC may
 * also call memcpy, memmove, memset and memcmp on its own (struct copies,
 * zeroing loops), which is why a freestanding program needs them.
 */
#ifndef FAULTLINE_RT_STRING_H
#define FAULTLINE_RT_STRING_H

#include "types.h"

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);

#endif /* FAULTLINE_RT_STRING_H */
