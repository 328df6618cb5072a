/*
 * <stdio.h> — buffered streams over descriptors (faultline libc).
 *
 * Every FILE has a 4 KiB buffer and a mutex, so one call (a whole printf)
 * is atomic with respect to other threads. stdout is line-buffered (a
 * line goes out in one write at '\n'), stderr unbuffered, other streams
 * fully buffered; reading stdin first flushes stdout. exit() and returning
 * from main flush every stream.
 *
 * printf and friends: %d %i %u %x %X %o %c %s %p %%, the flags '-', '+',
 * ' ', '#', '0', a width and a precision (digits or '*'), and the length
 * modifiers hh, h, l, ll, z, j, t, as C11 specifies. No floating point and
 * no %n: an unknown conversion is printed as written.
 */
#ifndef FAULTLINE_LIBC_STDIO_H
#define FAULTLINE_LIBC_STDIO_H

#include <stdarg.h>
#include <stddef.h>
#include <sys/types.h>

#define EOF (-1)
#define BUFSIZ 4096
#define FILENAME_MAX 4096
#ifndef SEEK_SET
#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2
#endif
#define _IOFBF 0
#define _IOLBF 1
#define _IONBF 2

typedef struct faultline_file FILE;

extern FILE *stdin;
extern FILE *stdout;
extern FILE *stderr;

/* mode: "r", "w", "a", "r+", "w+", "a+" (a 'b' anywhere is ignored, an
 * 'x' adds O_EXCL, an 'e' O_CLOEXEC). NULL and errno on failure. */
FILE *fopen(const char *path, const char *mode);
FILE *fdopen(int fd, const char *mode);
/* Flushes, closes the descriptor and frees the stream; 0 or EOF. */
int fclose(FILE *f);
/* Writes out what is buffered (every stream when f is NULL); 0 or EOF. */
int fflush(FILE *f);
size_t fread(void *buf, size_t size, size_t n, FILE *f);
size_t fwrite(const void *buf, size_t size, size_t n, FILE *f);
int fgetc(FILE *f);
int getc(FILE *f);
int getchar(void);
/* Pushes one character back (one is guaranteed). */
int ungetc(int c, FILE *f);
char *fgets(char *s, int size, FILE *f);
int fputc(int c, FILE *f);
int putc(int c, FILE *f);
int putchar(int c);
int fputs(const char *s, FILE *f);
int puts(const char *s);
int feof(FILE *f);
int ferror(FILE *f);
void clearerr(FILE *f);
int fileno(FILE *f);
int fseek(FILE *f, long offset, int whence);
int fseeko(FILE *f, off_t offset, int whence);
long ftell(FILE *f);
off_t ftello(FILE *f);
void rewind(FILE *f);
int setvbuf(FILE *f, char *buf, int mode, size_t size);

int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int fprintf(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int dprintf(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int sprintf(char *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int snprintf(char *s, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int vprintf(const char *fmt, va_list ap);
int vfprintf(FILE *f, const char *fmt, va_list ap);
int vdprintf(int fd, const char *fmt, va_list ap);
int vsprintf(char *s, const char *fmt, va_list ap);
int vsnprintf(char *s, size_t size, const char *fmt, va_list ap);

/* "msg: strerror(errno)\n" on stderr (just the error without msg). */
void perror(const char *msg);
/* rename(2) through renameat2; remove() unlinks a file or an empty directory. */
int rename(const char *from, const char *to);
int remove(const char *path);

#endif /* FAULTLINE_LIBC_STDIO_H */
