/*
 * <unistd.h> — the POSIX calls on descriptors, paths and the process, as
 * thin wrappers over Linux rv32 system calls: each returns what POSIX
 * says, and on failure -1 with errno set to the kernel's error.
 */
#ifndef FAULTLINE_LIBC_UNISTD_H
#define FAULTLINE_LIBC_UNISTD_H

#include <sys/types.h>

#define STDIN_FILENO 0
#define STDOUT_FILENO 1
#define STDERR_FILENO 2

#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2

#define R_OK 4
#define W_OK 2
#define X_OK 1
#define F_OK 0

ssize_t read(int fd, void *buf, size_t count);
ssize_t write(int fd, const void *buf, size_t count);
/* Through _llseek: the whole 64-bit offset. */
off_t lseek(int fd, off_t offset, int whence);
ssize_t pread(int fd, void *buf, size_t count, off_t offset);
ssize_t pwrite(int fd, const void *buf, size_t count, off_t offset);
int close(int fd);
int dup(int fd);
/* dup3(old, new, 0), except that dup2(fd, fd) checks fd and returns it. */
int dup2(int oldfd, int newfd);
/* flags: 0 or O_CLOEXEC. */
int dup3(int oldfd, int newfd, int flags);
/* pipe2(fds, 0): fds[0] reads, fds[1] writes. */
int pipe(int fds[2]);
int pipe2(int fds[2], int flags);
int unlink(const char *path);
int rmdir(const char *path);
int ftruncate(int fd, off_t length);
/* The current directory into buf (size bytes with its NUL); buf, or
 * NULL and errno (ERANGE when it does not fit). */
char *getcwd(char *buf, size_t size);
int chdir(const char *path);
/* faccessat(AT_FDCWD, path, mode, 0). */
int access(const char *path, int mode);
/* 1 when fd is a terminal (TCGETS succeeds), else 0 and errno. */
int isatty(int fd);
pid_t getpid(void);
/* Sleeps `seconds` (clock_nanosleep on CLOCK_MONOTONIC); returns 0. */
unsigned int sleep(unsigned int seconds);
/*
 * POSIX getopt: the next option letter of argv that `options` lists
 * ("ab:" — b takes an argument), '?' for an unknown one or a missing
 * argument (with a message on stderr unless opterr is 0 or options starts
 * with ':', which makes a missing argument ':'), -1 at the first
 * non-option or after "--". optarg is the argument, optind the next index
 * (set it to 0 or 1 to parse another vector). argv is never reordered.
 */
int getopt(int argc, char *const argv[], const char *options);
extern char *optarg;
extern int optind, opterr, optopt;

/* Ends the process at once (exit_group): no atexit handlers, no flush. */
__attribute__((noreturn)) void _exit(int status);

#endif /* FAULTLINE_LIBC_UNISTD_H */
