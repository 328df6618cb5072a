/*
 * faultline-libc/stdio.c — buffered streams (see <stdio.h>).
 *
 * A stream is a descriptor, a buffer and a direction:
 *
 *     reading: buf[pos..len) are bytes read from fd and not yet consumed
 *     writing: buf[0..len) are bytes written by the program, not yet to fd
 *
 * Switching direction settles the buffer first (a write drops the unread
 * bytes and moves fd's offset back over them; a read flushes). Every
 * public function holds the stream's mutex, so each call is atomic with
 * respect to other threads; functions named *_unlocked expect the caller
 * to hold it. Open streams are chained for fflush(NULL) and exit().
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../faultline-rt/thread.h"
#include "libc-private.h"

#define F_READ 1   /* opened for reading */
#define F_WRITE 2  /* opened for writing */
#define F_EOF 4
#define F_ERR 8
#define F_OWNBUF 16 /* buf was malloc'd here */
#define F_STATIC 32 /* stdin/stdout/stderr: never freed */
#define F_CALLBUF 64 /* an unbuffered stream with a buffer for one call */

enum direction { DIR_NONE, DIR_READ, DIR_WRITE };

struct faultline_file {
    int fd;
    int flags;
    int buffering; /* _IOFBF, _IOLBF, _IONBF */
    enum direction dir;
    unsigned char *buf;
    size_t size;
    size_t pos, len;
    int ungot; /* a character pushed back by ungetc, or EOF */
    mutex_t lock;
    struct faultline_file *next;
};

static unsigned char stdin_buf[BUFSIZ], stdout_buf[BUFSIZ];

static struct faultline_file std_err = {
    2, F_WRITE | F_STATIC, _IONBF, DIR_NONE, NULL, 0, 0, 0, EOF, MUTEX_INITIALIZER, NULL,
};
static struct faultline_file std_out = {
    1, F_WRITE | F_STATIC, _IOLBF, DIR_NONE, stdout_buf, BUFSIZ, 0, 0, EOF, MUTEX_INITIALIZER, &std_err,
};
static struct faultline_file std_in = {
    0, F_READ | F_STATIC, _IOFBF, DIR_NONE, stdin_buf, BUFSIZ, 0, 0, EOF, MUTEX_INITIALIZER, &std_out,
};

FILE *stdin = &std_in;
FILE *stdout = &std_out;
FILE *stderr = &std_err;

/* Every open stream; guarded by all_lock. */
static struct faultline_file *all = &std_in;
static mutex_t all_lock = MUTEX_INITIALIZER;

void __libc_lock_file(FILE *f) { mutex_lock(&f->lock); }
void __libc_unlock_file(FILE *f) { mutex_unlock(&f->lock); }
int __libc_error_unlocked(FILE *f) { return (f->flags & F_ERR) != 0; }

/*
 * An unbuffered stream (stderr) gets `tmp` as a buffer for the length of
 * one call (printf and friends), so the call's text goes out in one write
 * and messages of different threads do not tear. The caller holds f's
 * lock from __libc_call_buffer() to __libc_call_flush().
 */
void __libc_call_buffer(FILE *f, unsigned char *tmp, size_t size)
{
    if (f->buffering == _IONBF && f->buf == NULL) {
        f->buf = tmp;
        f->size = size;
        f->buffering = _IOFBF;
        f->flags |= F_CALLBUF;
    }
}

/* Defined below: flushes and settles f. */
static int settle(FILE *f);

/* Ends what __libc_call_buffer() began: writes the call's text, makes f
 * unbuffered again. */
void __libc_call_flush(FILE *f)
{
    if (f->flags & F_CALLBUF) {
        settle(f);
        f->buf = NULL;
        f->size = 0;
        f->buffering = _IONBF;
        f->flags &= ~F_CALLBUF;
    }
}

/* Writes all n bytes to f's descriptor; 0, or EOF with F_ERR set. */
static int write_all(FILE *f, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t r = write(f->fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            f->flags |= F_ERR;
            return EOF;
        }
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/*
 * Settles f's buffer: pending output is written; unread input is given
 * back by moving the descriptor's offset to where the program is (for a
 * pipe, which cannot seek, the bytes are dropped). Afterwards the buffer
 * is empty and the direction none. 0, or EOF on a write error.
 */
static int settle(FILE *f)
{
    int r = 0;
    if (f->dir == DIR_WRITE && f->len > 0)
        r = write_all(f, f->buf, f->len);
    else if (f->dir == DIR_READ) {
        off_t back = (off_t)(f->len - f->pos) + (f->ungot != EOF ? 1 : 0);
        if (back > 0)
            lseek(f->fd, -back, SEEK_CUR);
    }
    f->pos = f->len = 0;
    f->ungot = EOF;
    f->dir = DIR_NONE;
    return r;
}

/* Gives f a buffer if it is buffered and has none yet. */
static void ensure_buffer(FILE *f)
{
    if (f->buf == NULL && f->buffering != _IONBF) {
        f->buf = malloc(BUFSIZ);
        if (f->buf == NULL) {
            f->buffering = _IONBF;
            return;
        }
        f->size = BUFSIZ;
        f->flags |= F_OWNBUF;
    }
}

/* Appends n bytes to f's output; 0 or EOF. Caller holds f's lock. */
int __libc_put_unlocked(FILE *f, const char *p, size_t n)
{
    if (!(f->flags & F_WRITE)) {
        f->flags |= F_ERR;
        errno = EBADF;
        return EOF;
    }
    if (f->dir != DIR_WRITE) {
        settle(f);
        f->dir = DIR_WRITE;
    }
    ensure_buffer(f);
    if (f->buffering == _IONBF)
        return write_all(f, (const unsigned char *)p, n);
    if (f->len + n > f->size) { /* does not fit: flush, and write big chunks directly */
        if (write_all(f, f->buf, f->len) != 0)
            return EOF;
        f->len = 0;
        if (n >= f->size)
            return write_all(f, (const unsigned char *)p, n);
    }
    memcpy(f->buf + f->len, p, n);
    f->len += n;
    if (f->buffering == _IOLBF && memchr(p, '\n', n) != NULL) {
        int r = write_all(f, f->buf, f->len);
        f->len = 0;
        return r;
    }
    return 0;
}

/* Fills f's buffer from its descriptor; the number of bytes now
 * unread (0 at end of input or on error, with F_EOF or F_ERR). */
static size_t refill(FILE *f)
{
    if (f->dir != DIR_READ) {
        if (settle(f) != 0)
            return 0;
        f->dir = DIR_READ;
    }
    if (f == stdin) /* a prompt on stdout is seen before the program waits */
        fflush(stdout);
    ensure_buffer(f);
    unsigned char one;
    unsigned char *dst = f->buf != NULL ? f->buf : &one;
    size_t cap = f->buf != NULL ? f->size : 1;
    ssize_t r;
    do {
        r = read(f->fd, dst, cap);
    } while (r < 0 && errno == EINTR);
    if (r <= 0) {
        f->flags |= r == 0 ? F_EOF : F_ERR;
        f->pos = f->len = 0;
        return 0;
    }
    if (f->buf == NULL) { /* unbuffered: hand the byte back through ungot */
        f->ungot = one;
        f->pos = f->len = 0;
        return 1;
    }
    f->pos = 0;
    f->len = (size_t)r;
    return f->len;
}

static int getc_unlocked_(FILE *f)
{
    if (!(f->flags & F_READ)) {
        f->flags |= F_ERR;
        errno = EBADF;
        return EOF;
    }
    if (f->dir == DIR_READ && f->ungot != EOF) {
        int c = f->ungot;
        f->ungot = EOF;
        return c;
    }
    if (f->dir != DIR_READ || f->pos == f->len) {
        if (refill(f) == 0)
            return EOF;
        if (f->ungot != EOF) {
            int c = f->ungot;
            f->ungot = EOF;
            return c;
        }
    }
    return f->buf[f->pos++];
}

/* ---- opening and closing ------------------------------------------------- */

/* open() flags for an fopen mode, or -1 (errno EINVAL). */
static int mode_flags(const char *mode, int *stream_flags)
{
    int flags;
    switch (mode[0]) {
    case 'r': flags = O_RDONLY; *stream_flags = F_READ; break;
    case 'w': flags = O_WRONLY | O_CREAT | O_TRUNC; *stream_flags = F_WRITE; break;
    case 'a': flags = O_WRONLY | O_CREAT | O_APPEND; *stream_flags = F_WRITE; break;
    default: errno = EINVAL; return -1;
    }
    for (const char *m = mode + 1; *m != '\0'; m++) {
        if (*m == '+') {
            flags = (flags & ~O_ACCMODE) | O_RDWR;
            *stream_flags = F_READ | F_WRITE;
        } else if (*m == 'x') {
            flags |= O_EXCL;
        } else if (*m == 'e') {
            flags |= O_CLOEXEC;
        }
    }
    return flags;
}

/* A new fully-buffered stream on fd, chained into the list; NULL on ENOMEM. */
static FILE *new_stream(int fd, int stream_flags)
{
    FILE *f = malloc(sizeof *f);
    if (f == NULL)
        return NULL;
    memset(f, 0, sizeof *f);
    f->fd = fd;
    f->flags = stream_flags;
    f->buffering = _IOFBF;
    f->dir = DIR_NONE;
    f->ungot = EOF;
    mutex_lock(&all_lock);
    f->next = all;
    all = f;
    mutex_unlock(&all_lock);
    return f;
}

FILE *fopen(const char *path, const char *mode)
{
    int stream_flags;
    int flags = mode_flags(mode, &stream_flags);
    if (flags < 0)
        return NULL;
    int fd = open(path, flags, 0666);
    if (fd < 0)
        return NULL;
    FILE *f = new_stream(fd, stream_flags);
    if (f == NULL)
        close(fd);
    return f;
}

FILE *fdopen(int fd, const char *mode)
{
    int stream_flags;
    if (mode_flags(mode, &stream_flags) < 0)
        return NULL;
    if (fcntl(fd, F_GETFD) < 0)
        return NULL;
    return new_stream(fd, stream_flags);
}

int fclose(FILE *f)
{
    mutex_lock(&f->lock);
    int r = settle(f);
    if (close(f->fd) < 0)
        r = EOF;
    mutex_unlock(&f->lock);
    if (f->flags & F_STATIC)
        return r;
    mutex_lock(&all_lock);
    for (FILE **p = &all; *p != NULL; p = &(*p)->next) {
        if (*p == f) {
            *p = f->next;
            break;
        }
    }
    mutex_unlock(&all_lock);
    if (f->flags & F_OWNBUF)
        free(f->buf);
    free(f);
    return r;
}

static int flush_one(FILE *f)
{
    mutex_lock(&f->lock);
    int r = 0;
    if (f->dir == DIR_WRITE)
        r = settle(f);
    mutex_unlock(&f->lock);
    return r;
}

int fflush(FILE *f)
{
    if (f != NULL)
        return flush_one(f);
    int r = 0;
    mutex_lock(&all_lock);
    for (FILE *g = all; g != NULL; g = g->next)
        if (flush_one(g) != 0)
            r = EOF;
    mutex_unlock(&all_lock);
    return r;
}

void __libc_flush_all(void)
{
    fflush(NULL);
}

int setvbuf(FILE *f, char *buf, int mode, size_t size)
{
    if (mode != _IOFBF && mode != _IOLBF && mode != _IONBF)
        return -1;
    mutex_lock(&f->lock);
    settle(f);
    if (f->flags & F_OWNBUF)
        free(f->buf);
    f->flags &= ~F_OWNBUF;
    f->buffering = mode;
    f->buf = mode == _IONBF ? NULL : (unsigned char *)buf;
    f->size = f->buf != NULL ? size : 0;
    mutex_unlock(&f->lock);
    return 0;
}

/* ---- reading ------------------------------------------------------------- */

int fgetc(FILE *f)
{
    mutex_lock(&f->lock);
    int c = getc_unlocked_(f);
    mutex_unlock(&f->lock);
    return c;
}

int getc(FILE *f)
{
    return fgetc(f);
}

int getchar(void)
{
    return fgetc(stdin);
}

int ungetc(int c, FILE *f)
{
    if (c == EOF)
        return EOF;
    mutex_lock(&f->lock);
    int r = EOF;
    if (f->dir != DIR_READ) {
        settle(f);
        f->dir = DIR_READ;
    }
    if (f->ungot == EOF) {
        f->ungot = (unsigned char)c;
        f->flags &= ~F_EOF;
        r = (unsigned char)c;
    }
    mutex_unlock(&f->lock);
    return r;
}

char *fgets(char *s, int size, FILE *f)
{
    if (size <= 0)
        return NULL;
    mutex_lock(&f->lock);
    int n = 0;
    while (n < size - 1) {
        int c = getc_unlocked_(f);
        if (c == EOF)
            break;
        s[n++] = (char)c;
        if (c == '\n')
            break;
    }
    mutex_unlock(&f->lock);
    if (n == 0)
        return NULL;
    s[n] = '\0';
    return s;
}

size_t fread(void *buf, size_t size, size_t n, FILE *f)
{
    if (size == 0 || n == 0)
        return 0;
    size_t want = size * n, got = 0;
    unsigned char *dst = buf;
    mutex_lock(&f->lock);
    while (got < want) {
        if (f->dir == DIR_READ && f->ungot != EOF) {
            dst[got++] = (unsigned char)f->ungot;
            f->ungot = EOF;
            continue;
        }
        if (f->dir == DIR_READ && f->pos < f->len) {
            size_t k = f->len - f->pos < want - got ? f->len - f->pos : want - got;
            memcpy(dst + got, f->buf + f->pos, k);
            f->pos += k;
            got += k;
            continue;
        }
        int c = getc_unlocked_(f); /* refills */
        if (c == EOF)
            break;
        dst[got++] = (unsigned char)c;
    }
    mutex_unlock(&f->lock);
    return got / size;
}

int feof(FILE *f) { return (f->flags & F_EOF) != 0; }
int ferror(FILE *f) { return (f->flags & F_ERR) != 0; }
void clearerr(FILE *f) { f->flags &= ~(F_EOF | F_ERR); }
int fileno(FILE *f) { return f->fd; }

/* ---- writing ------------------------------------------------------------- */

size_t fwrite(const void *buf, size_t size, size_t n, FILE *f)
{
    if (size == 0 || n == 0)
        return 0;
    mutex_lock(&f->lock);
    int r = __libc_put_unlocked(f, buf, size * n);
    mutex_unlock(&f->lock);
    return r == 0 ? n : 0;
}

int fputc(int c, FILE *f)
{
    char ch = (char)c;
    mutex_lock(&f->lock);
    int r = __libc_put_unlocked(f, &ch, 1);
    mutex_unlock(&f->lock);
    return r == 0 ? (unsigned char)ch : EOF;
}

int putc(int c, FILE *f)
{
    return fputc(c, f);
}

int putchar(int c)
{
    return fputc(c, stdout);
}

int fputs(const char *s, FILE *f)
{
    mutex_lock(&f->lock);
    int r = __libc_put_unlocked(f, s, strlen(s));
    mutex_unlock(&f->lock);
    return r == 0 ? 1 : EOF;
}

int puts(const char *s)
{
    mutex_lock(&stdout->lock);
    int r = __libc_put_unlocked(stdout, s, strlen(s));
    if (r == 0)
        r = __libc_put_unlocked(stdout, "\n", 1);
    mutex_unlock(&stdout->lock);
    return r == 0 ? 1 : EOF;
}

void perror(const char *msg)
{
    if (msg != NULL && msg[0] != '\0')
        fprintf(stderr, "%s: %s\n", msg, strerror(errno));
    else
        fprintf(stderr, "%s\n", strerror(errno));
}

/* ---- positioning ----------------------------------------------------------- */

int fseeko(FILE *f, off_t offset, int whence)
{
    mutex_lock(&f->lock);
    int r = 0;
    if (whence == SEEK_CUR && f->dir == DIR_READ) /* from the program's position */
        offset -= (off_t)(f->len - f->pos) + (f->ungot != EOF ? 1 : 0);
    f->pos = f->len; /* settle() must not move the offset back as well */
    f->ungot = EOF;
    if (settle(f) != 0 || lseek(f->fd, offset, whence) < 0)
        r = -1;
    else
        f->flags &= ~F_EOF;
    mutex_unlock(&f->lock);
    return r;
}

int fseek(FILE *f, long offset, int whence)
{
    return fseeko(f, offset, whence);
}

off_t ftello(FILE *f)
{
    mutex_lock(&f->lock);
    off_t at = lseek(f->fd, 0, SEEK_CUR);
    if (at >= 0) {
        if (f->dir == DIR_READ)
            at -= (off_t)(f->len - f->pos) + (f->ungot != EOF ? 1 : 0);
        else if (f->dir == DIR_WRITE)
            at += (off_t)f->len;
    }
    mutex_unlock(&f->lock);
    return at;
}

long ftell(FILE *f)
{
    off_t at = ftello(f);
    if (at > 0x7fffffff) {
        errno = EOVERFLOW;
        return -1;
    }
    return (long)at;
}

void rewind(FILE *f)
{
    fseeko(f, 0, SEEK_SET);
    clearerr(f);
}
