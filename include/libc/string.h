/* <string.h> — memory and string functions (faultline libc). */
#ifndef FAULTLINE_LIBC_STRING_H
#define FAULTLINE_LIBC_STRING_H

#include <stddef.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
char *strstr(const char *haystack, const char *needle);
char *strcpy(char *dst, const char *src);
char *strncpy(char *dst, const char *src, size_t n);
char *strcat(char *dst, const char *src);
char *strncat(char *dst, const char *src, size_t n);
size_t strspn(const char *s, const char *accept);
size_t strcspn(const char *s, const char *reject);
char *strpbrk(const char *s, const char *accept);
/* Not thread-safe (keeps its place in a static); see strtok_r. */
char *strtok(char *s, const char *delim);
char *strtok_r(char *s, const char *delim, char **save);
/* A malloc'd copy, or NULL and errno ENOMEM. */
char *strdup(const char *s);
char *strndup(const char *s, size_t n);
/* Linux's message for errno value `err` ("No such file or directory"), or
 * "Unknown error N". */
char *strerror(int err);

#endif /* FAULTLINE_LIBC_STRING_H */
