/*
 * check.h — what every file-corpus program shares: enter the scratch
 * directory given as argv[1], and print a call's result or its error by
 * name (ENOENT, not 2), so the output reads the same on every machine.
 */
#ifndef CHECK_H
#define CHECK_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *errname(int e)
{
    switch (e) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EBADF: return "EBADF";
    case EAGAIN: return "EAGAIN";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case EEXIST: return "EEXIST";
    case EXDEV: return "EXDEV";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case EINVAL: return "EINVAL";
    case EMFILE: return "EMFILE";
    case ESPIPE: return "ESPIPE";
    case EPIPE: return "EPIPE";
    case ENOTEMPTY: return "ENOTEMPTY";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ERANGE: return "ERANGE";
    case ENOSYS: return "ENOSYS";
    default: return "E?";
    }
}

/* Prints "what = value", or "what = -1 ENAME" when the call failed. */
__attribute__((unused)) static long show(const char *what, long r)
{
    if (r < 0)
        printf("%s = -1 %s\n", what, errname(errno));
    else
        printf("%s = %ld\n", what, r);
    return r;
}

#define SHOW(expr) show(#expr, (long)(expr))

/* Exits 2 with a message unless `ok`. */
#define MUST(ok)                                                          \
    do {                                                                  \
        if (!(ok)) {                                                      \
            printf("failed: %s (line %d, errno %s)\n", #ok, __LINE__, errname(errno)); \
            exit(2);                                                      \
        }                                                                 \
    } while (0)

/* chdir to the scratch directory argv[1] (an absolute path). */
__attribute__((unused)) static void enter_scratch(int argc, char **argv)
{
    if (argc < 2 || argv[1][0] != '/') {
        printf("usage: %s /absolute/scratch/dir\n", argc > 0 ? argv[0] : "prog");
        exit(2);
    }
    MUST(chdir(argv[1]) == 0);
}

/* Writes all of s to fd. */
__attribute__((unused)) static void put(int fd, const char *s)
{
    size_t n = strlen(s);
    MUST(write(fd, s, n) == (ssize_t)n);
}

/* Reads up to cap-1 bytes from fd at its offset and prints them quoted. */
__attribute__((unused)) static void dump(const char *label, int fd, size_t cap)
{
    char buf[256];
    if (cap > sizeof buf)
        cap = sizeof buf;
    ssize_t n = read(fd, buf, cap - 1);
    if (n < 0) {
        printf("%s: read -1 %s\n", label, errname(errno));
        return;
    }
    buf[n] = '\0';
    printf("%s: %zd \"%s\"\n", label, n, buf);
}

#endif
