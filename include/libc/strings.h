/* <strings.h> — case-insensitive comparison in the "C" locale (faultline libc). */
#ifndef FAULTLINE_LIBC_STRINGS_H
#define FAULTLINE_LIBC_STRINGS_H

#include <stddef.h>

int strcasecmp(const char *a, const char *b);
int strncasecmp(const char *a, const char *b, size_t n);

#endif /* FAULTLINE_LIBC_STRINGS_H */
