/*
 * faultline-rt/types.h — fixed-width integer types for guest programs built
 * without a C library (part of <faultline-rt.h>).
 *
 * GCC's <stdint.h> needs a C library's unless -ffreestanding is given, so
 * the runtime defines the types itself, from the compiler's own macros:
 * they are the very types <stdint.h> would give (uint32_t is `unsigned
 * long` under ilp32), so a program may include both.
 */
#ifndef FAULTLINE_RT_TYPES_H
#define FAULTLINE_RT_TYPES_H

#include <stddef.h> /* size_t, NULL, offsetof: GCC's own header */
#include <stdarg.h> /* va_list: GCC's own header */

typedef __INT8_TYPE__ int8_t;
typedef __UINT8_TYPE__ uint8_t;
typedef __INT16_TYPE__ int16_t;
typedef __UINT16_TYPE__ uint16_t;
typedef __INT32_TYPE__ int32_t;
typedef __UINT32_TYPE__ uint32_t;
typedef __INT64_TYPE__ int64_t;
typedef __UINT64_TYPE__ uint64_t;
typedef __INTPTR_TYPE__ intptr_t;
typedef __UINTPTR_TYPE__ uintptr_t;
typedef __PTRDIFF_TYPE__ ssize_t;

#ifndef __cplusplus
#ifndef __bool_true_false_are_defined
#define bool _Bool
#define true 1
#define false 0
#define __bool_true_false_are_defined 1
#endif
#endif

#define INT32_MAX 0x7fffffff

#endif /* FAULTLINE_RT_TYPES_H */
