/*
 * faultline-rt/syscall.h — Linux rv32 system calls as inline functions
 * (part of <faultline-rt.h>).
 *
 * `ecall` with the number in a7, arguments in a0..a5, the result in a0: a
 * negative errno (-4095..-1) on failure. Numbers are Linux's asm-generic
 * ones, which rv32 uses; rv32 is time64-only (futex_time64, not futex).
 * The wrappers return the kernel's value unchanged: there is no errno
 * variable. sys_call6() reaches any other call.
 */
#ifndef FAULTLINE_RT_SYSCALL_H
#define FAULTLINE_RT_SYSCALL_H

#include "types.h"

/* ---- call numbers (asm-generic/unistd.h) --------------------------------- */

#define SYS_read            63
#define SYS_write           64
#define SYS_exit            93
#define SYS_exit_group      94
#define SYS_set_tid_address 96
#define SYS_sched_yield    124
#define SYS_getpid         172
#define SYS_gettid         178
#define SYS_brk            214
#define SYS_munmap         215
#define SYS_clone          220
#define SYS_mmap           222
#define SYS_mprotect       226
#define SYS_futex_time64   422

/* ---- mmap / mprotect ------------------------------------------------------ */

#define PROT_NONE  0
#define PROT_READ  1
#define PROT_WRITE 2
#define PROT_EXEC  4

#define MAP_SHARED    0x01
#define MAP_PRIVATE   0x02
#define MAP_FIXED     0x10
#define MAP_ANONYMOUS 0x20

#define PAGE_SIZE 4096u

/* ---- clone flags (linux/sched.h) ------------------------------------------ */

#define CLONE_VM             0x00000100
#define CLONE_FS             0x00000200
#define CLONE_FILES          0x00000400
#define CLONE_SIGHAND        0x00000800
#define CLONE_THREAD         0x00010000
#define CLONE_SYSVSEM        0x00040000
#define CLONE_SETTLS         0x00080000
#define CLONE_PARENT_SETTID  0x00100000
#define CLONE_CHILD_CLEARTID 0x00200000
#define CLONE_CHILD_SETTID   0x01000000

/* ---- futex operations (linux/futex.h) ------------------------------------- */

#define FUTEX_WAIT         0
#define FUTEX_WAKE         1
#define FUTEX_PRIVATE_FLAG 128

/* ---- errno values (asm-generic/errno-base.h, errno.h) --------------------- */

#define EPERM      1
#define ENOENT     2
#define EINTR      4
#define EBADF      9
#define EAGAIN    11
#define ENOMEM    12
#ifndef EFAULT
#define EFAULT    14 /* also defined by <faultline.h> */
#endif
#define EBUSY     16
#define EEXIST    17
#define EINVAL    22
#define ENOSYS    38
#define ETIMEDOUT 110

/* struct __kernel_timespec: rv32 passes 64-bit seconds and nanoseconds. */
struct timespec64 {
    int64_t tv_sec;
    int64_t tv_nsec;
};

/* ---- the ecall ------------------------------------------------------------ */

/* Call `n` with six arguments; returns a0. */
static inline long sys_call6(long n, long a, long b, long c, long d, long e, long f)
{
    register long a0 __asm__("a0") = a;
    register long a1 __asm__("a1") = b;
    register long a2 __asm__("a2") = c;
    register long a3 __asm__("a3") = d;
    register long a4 __asm__("a4") = e;
    register long a5 __asm__("a5") = f;
    register long a7 __asm__("a7") = n;
    __asm__ volatile("ecall"
                     : "+r"(a0)
                     : "r"(a1), "r"(a2), "r"(a3), "r"(a4), "r"(a5), "r"(a7)
                     : "memory");
    return a0;
}

/* Call `n` with up to three arguments; returns a0. */
static inline long sys_call3(long n, long a, long b, long c)
{
    register long a0 __asm__("a0") = a;
    register long a1 __asm__("a1") = b;
    register long a2 __asm__("a2") = c;
    register long a7 __asm__("a7") = n;
    __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a7) : "memory");
    return a0;
}

/* True when a result is an error (-4095..-1), e.g. from sys_mmap(). */
static inline int sys_failed(long r)
{
    return (unsigned long)r >= (unsigned long)-4095;
}

/* Same as sys_failed(), under the name the mmap examples use. */
static inline int mmap_failed(long r)
{
    return sys_failed(r);
}

/* ---- files ------------------------------------------------------------- */

/* Bytes read (0 at end of input), or -errno. */
static inline long sys_read(int fd, void *buf, size_t len)
{
    return sys_call3(SYS_read, fd, (long)buf, (long)len);
}

/* Bytes written (possibly fewer than len), or -errno. */
static inline long sys_write(int fd, const void *buf, size_t len)
{
    return sys_call3(SYS_write, fd, (long)buf, (long)len);
}

/* ---- ending ------------------------------------------------------------ */

/* Ends the calling thread only (clears and wakes its clear_child_tid). The
 * process ends when its last thread has. Flushes nothing: see thread_exit(). */
static inline __attribute__((noreturn)) void sys_exit(int status)
{
    sys_call3(SYS_exit, status, 0, 0);
    __builtin_unreachable();
}

/* Ends every thread of the process with `status`. Flushes nothing: see rt_exit(). */
static inline __attribute__((noreturn)) void sys_exit_group(int status)
{
    sys_call3(SYS_exit_group, status, 0, 0);
    __builtin_unreachable();
}

/* ---- memory ------------------------------------------------------------ */

/* The new break on success, the unchanged break on failure; brk(0) asks. */
static inline long sys_brk(long addr)
{
    return sys_call3(SYS_brk, addr, 0, 0);
}

/* The mapping's address, or -errno (test with sys_failed()). */
static inline long sys_mmap(long addr, size_t len, int prot, int flags, int fd, long off)
{
    return sys_call6(SYS_mmap, addr, (long)len, prot, flags, fd, off);
}

/* A private anonymous mapping of `len` bytes anywhere, or -errno. */
static inline long sys_mmap_anon(size_t len, int prot)
{
    return sys_mmap(0, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

static inline long sys_munmap(long addr, size_t len)
{
    return sys_call3(SYS_munmap, addr, (long)len, 0);
}

static inline long sys_mprotect(long addr, size_t len, int prot)
{
    return sys_call3(SYS_mprotect, addr, (long)len, prot);
}

/* ---- threads and processes --------------------------------------------- */

/* The process id: the first thread's tid. */
static inline int sys_getpid(void)
{
    return (int)sys_call3(SYS_getpid, 0, 0, 0);
}

/* The calling thread's id. */
static inline int sys_gettid(void)
{
    return (int)sys_call3(SYS_gettid, 0, 0, 0);
}

/* Sets the word the kernel clears (and futex-wakes) when this thread
 * exits; returns the caller's tid. */
static inline int sys_set_tid_address(volatile int *tidptr)
{
    return (int)sys_call3(SYS_set_tid_address, (long)tidptr, 0, 0);
}

/* Lets another runnable thread run; returns 0. */
static inline long sys_sched_yield(void)
{
    return sys_call3(SYS_sched_yield, 0, 0, 0);
}

/* futex_time64(uaddr, op, val, timeout, uaddr2, val3); see futex_wait(). */
static inline long sys_futex(volatile int *uaddr, int op, int val, const struct timespec64 *timeout,
                             volatile int *uaddr2, int val3)
{
    return sys_call6(SYS_futex_time64, (long)uaddr, op, val, (long)timeout, (long)uaddr2, val3);
}

/*
 * Sleeps while *uaddr == val (checked atomically with going to sleep),
 * until a futex_wake() on uaddr or, when `timeout` is not NULL, until that
 * relative time has passed. Returns 0 when woken (possibly spuriously),
 * -EAGAIN when *uaddr != val already, -ETIMEDOUT, or -EINTR. Process-private.
 */
static inline long futex_wait(volatile int *uaddr, int val, const struct timespec64 *timeout)
{
    return sys_futex(uaddr, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, val, timeout, 0, 0);
}

/* Wakes up to `count` threads sleeping on uaddr; returns how many woke. */
static inline long futex_wake(volatile int *uaddr, int count)
{
    return sys_futex(uaddr, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, count, 0, 0, 0);
}

/*
 * Raw clone() in Linux riscv's argument order (a0 flags, a1 child stack,
 * a2 parent_tid, a3 tls, a4 child_tid). In the child, `entry(arg)` runs
 * on `stack` (16-byte aligned, grows down) and the thread exits with its
 * return value; entry never returns into the caller's frame. Returns the
 * child's tid to the parent, or -errno. Written in assembly (thread.c).
 */
long sys_clone(unsigned long flags, void *stack, volatile int *parent_tid, void *tls,
               volatile int *child_tid, int (*entry)(void *), void *arg);

/* ---- what the loader passed (set before main) ------------------------- */

/* The environment, as main's third argument. */
extern char **environ;

/* The auxiliary vector's value for `type` (AT_PAGESZ 6, AT_PHDR 3, ...),
 * or 0 when the loader gave none. */
uint32_t rt_getauxval(uint32_t type);

/* ---- instructions without C syntax ------------------------------------- */

/*
 * Zifencei and Zicsr instructions as raw words: the Debian toolchain's
 * plain -march=rv32ima does not accept their mnemonics.
 */
static inline void fence_i(void)
{
    __asm__ volatile(".word 0x0000100f" ::: "memory"); /* fence.i */
}

/* rdcycle/rdtime/rdinstret: values differ between machines (faultline,
 * qemu, hardware); never print them in a program compared with another. */
static inline uint32_t rd_cycle(void)
{
    register uint32_t r __asm__("a0");
    __asm__ volatile(".word 0xc0002573" : "=r"(r)); /* csrrs a0, cycle, x0 */
    return r;
}

static inline uint32_t rd_time(void)
{
    register uint32_t r __asm__("a0");
    __asm__ volatile(".word 0xc0102573" : "=r"(r)); /* csrrs a0, time, x0 */
    return r;
}

static inline uint32_t rd_instret(void)
{
    register uint32_t r __asm__("a0");
    __asm__ volatile(".word 0xc0202573" : "=r"(r)); /* csrrs a0, instret, x0 */
    return r;
}

#endif /* FAULTLINE_RT_SYSCALL_H */
