/* <sys/mman.h> — mmap (222), munmap (215), mprotect (226): anonymous memory (faultline libc). */
#ifndef FAULTLINE_LIBC_SYS_MMAN_H
#define FAULTLINE_LIBC_SYS_MMAN_H

#include <sys/types.h>

#define PROT_NONE 0
#define PROT_READ 1
#define PROT_WRITE 2
#define PROT_EXEC 4
#define MAP_SHARED 0x01
#define MAP_PRIVATE 0x02
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define MAP_ANON MAP_ANONYMOUS
#define MAP_FAILED ((void *)-1)

/* The mapping, or MAP_FAILED and errno. `offset` must be a multiple of
 * 4096 (EINVAL otherwise): rv32's call is mmap2, which takes it in pages. */
void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t offset);
int munmap(void *addr, size_t len);
int mprotect(void *addr, size_t len, int prot);

#endif /* FAULTLINE_LIBC_SYS_MMAN_H */
