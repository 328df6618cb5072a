/*
 * <dirent.h> — reading directories through getdents64. A struct dirent
 * is the kernel's linux_dirent64 record itself, in the DIR's buffer: it
 * stays valid until the next readdir() or closedir() on that DIR.
 */
#ifndef FAULTLINE_LIBC_DIRENT_H
#define FAULTLINE_LIBC_DIRENT_H

#include <sys/types.h>

#define DT_UNKNOWN 0
#define DT_FIFO 1
#define DT_CHR 2
#define DT_DIR 4
#define DT_BLK 6
#define DT_REG 8
#define DT_LNK 10
#define DT_SOCK 12

struct dirent {
    ino_t d_ino;
    off_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[256];
};

typedef struct faultline_dir DIR;

/* Opens a directory (O_RDONLY | O_DIRECTORY | O_CLOEXEC); NULL and errno. */
DIR *opendir(const char *path);
/* The next entry ("." and ".." included, in the file system's order), or
 * NULL at the end (errno unchanged) or on error (errno set). */
struct dirent *readdir(DIR *dir);
int closedir(DIR *dir);
/* The DIR's descriptor. */
int dirfd(DIR *dir);

/* getdents64(fd, buf, len): bytes of linux_dirent64 records, 0 at the end. */
ssize_t getdents64(int fd, void *buf, size_t len);

#endif /* FAULTLINE_LIBC_DIRENT_H */
