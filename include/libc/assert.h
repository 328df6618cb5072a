/* <assert.h> — assert(e): on failure prints "file:line: assertion 'e' failed" to stderr and aborts. */
#ifndef FAULTLINE_LIBC_ASSERT_H
#define FAULTLINE_LIBC_ASSERT_H
__attribute__((noreturn)) void __assert_fail(const char *expr, const char *file, int line);
#endif
#undef assert
#ifdef NDEBUG
#define assert(e) ((void)0)
#else
#define assert(e) ((e) ? (void)0 : __assert_fail(#e, __FILE__, __LINE__))
#endif
