/*
 * sys.h — Linux RV32 system calls as inline-asm wrappers, for freestanding
 * guest programs (no libc). ecall with the number in a7, arguments in
 * a0..a5, result in a0 (negative errno on failure).
 *
 * Only the calls the faultline machine implements are wrapped; sys_call6()
 * reaches any other number (unknown ones must return -ENOSYS).
 */
#ifndef FAULTLINE_CONFORMANCE_SYS_H
#define FAULTLINE_CONFORMANCE_SYS_H

typedef unsigned int uint32_t;
typedef int int32_t;
typedef unsigned short uint16_t;
typedef short int16_t;
typedef unsigned char uint8_t;
typedef signed char int8_t;
typedef unsigned long long uint64_t;
typedef long long int64_t;
typedef unsigned int uintptr_t;
typedef unsigned int size_t;

#define SYS_write 64
#define SYS_exit 93
#define SYS_exit_group 94
#define SYS_brk 214
#define SYS_munmap 215
#define SYS_mmap 222
#define SYS_mprotect 226

#define PROT_NONE 0
#define PROT_READ 1
#define PROT_WRITE 2
#define PROT_EXEC 4

#define MAP_SHARED 0x01
#define MAP_PRIVATE 0x02
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20

#define EPERM 1
#define EBADF 9
#define ENOMEM 12
#define EFAULT 14
#define EINVAL 22
#define ENOSYS 38

#define PAGE_SIZE 4096u

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

static inline long sys_call3(long n, long a, long b, long c)
{
    register long a0 __asm__("a0") = a;
    register long a1 __asm__("a1") = b;
    register long a2 __asm__("a2") = c;
    register long a7 __asm__("a7") = n;
    __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a7) : "memory");
    return a0;
}

static inline long sys_write(int fd, const void *buf, size_t len)
{
    return sys_call3(SYS_write, fd, (long)buf, (long)len);
}

static inline __attribute__((noreturn)) void sys_exit(int status)
{
    sys_call3(SYS_exit, status, 0, 0);
    __builtin_unreachable();
}

static inline __attribute__((noreturn)) void sys_exit_group(int status)
{
    sys_call3(SYS_exit_group, status, 0, 0);
    __builtin_unreachable();
}

/* Returns the new break on success, the unchanged break on failure. */
static inline long sys_brk(long addr)
{
    return sys_call3(SYS_brk, addr, 0, 0);
}

/* Returns the mapping's address, or a negative errno (-4095..-1). */
static inline long sys_mmap(long addr, size_t len, int prot, int flags, int fd, long off)
{
    return sys_call6(SYS_mmap, addr, (long)len, prot, flags, fd, off);
}

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

/* True when an mmap result is an error (a negative errno). */
static inline int mmap_failed(long r)
{
    return (unsigned long)r >= (unsigned long)-4095;
}

/*
 * Zifencei and Zicsr instructions as raw words: the Debian toolchain's
 * plain -march=rv32ima does not accept their mnemonics.
 */
static inline void fence_i(void)
{
    __asm__ volatile(".word 0x0000100f" ::: "memory"); /* fence.i */
}

/* rdcycle/rdtime/rdinstret: values are not comparable between machines;
 * programs may execute them but must never print what they return. */
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

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

#endif
