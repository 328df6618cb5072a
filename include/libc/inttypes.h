/*
 * <inttypes.h> — printf length modifiers for the <stdint.h> types
 * (faultline libc, ilp32: int32_t is `long`, int64_t `long long`).
 */
#ifndef FAULTLINE_LIBC_INTTYPES_H
#define FAULTLINE_LIBC_INTTYPES_H

#include <stdint.h>

#define PRId8 "d"
#define PRId16 "d"
#define PRId32 "ld"
#define PRId64 "lld"
#define PRIi32 "li"
#define PRIi64 "lli"
#define PRIu8 "u"
#define PRIu16 "u"
#define PRIu32 "lu"
#define PRIu64 "llu"
#define PRIx32 "lx"
#define PRIx64 "llx"
#define PRIX32 "lX"
#define PRIX64 "llX"
#define PRIo32 "lo"
#define PRIo64 "llo"
#define PRIdPTR "d"
#define PRIuPTR "u"
#define PRIxPTR "x"

#endif /* FAULTLINE_LIBC_INTTYPES_H */
