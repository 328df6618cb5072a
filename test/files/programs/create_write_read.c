/* Create a file, write it in pieces, close, reopen and read it back; fstat size. */
#include <fcntl.h>
#include <sys/stat.h>
#include "check.h"

int main(int argc, char **argv)
{
    enter_scratch(argc, argv);
    int fd = open("hello.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    MUST(fd >= 0);
    SHOW(write(fd, "hello, ", 7));
    SHOW(write(fd, "file system\n", 12));
    SHOW(write(fd, "", 0));
    struct stat st;
    MUST(fstat(fd, &st) == 0);
    printf("size while open: %lld regular=%d\n", (long long)st.st_size, S_ISREG(st.st_mode));
    SHOW(close(fd));
    SHOW(close(fd));

    fd = open("hello.txt", O_RDONLY);
    MUST(fd >= 0);
    dump("whole", fd, 64);
    dump("at end", fd, 64);
    SHOW(write(fd, "x", 1));
    SHOW(close(fd));

    MUST(stat("hello.txt", &st) == 0);
    printf("stat size: %lld\n", (long long)st.st_size);

    /* O_TRUNC on reopen empties it */
    fd = open("hello.txt", O_RDWR | O_TRUNC);
    MUST(fd >= 0);
    MUST(fstat(fd, &st) == 0);
    printf("after O_TRUNC: %lld\n", (long long)st.st_size);
    put(fd, "short\n");
    SHOW(close(fd));

    /* a bigger file, written and read in 1000-byte blocks */
    fd = open("big.bin", O_RDWR | O_CREAT | O_EXCL, 0600);
    MUST(fd >= 0);
    char block[1000];
    for (int i = 0; i < 20; i++) {
        for (int j = 0; j < 1000; j++)
            block[j] = (char)(i * 7 + j);
        MUST(write(fd, block, sizeof block) == 1000);
    }
    MUST(lseek(fd, 0, SEEK_SET) == 0);
    unsigned sum = 0;
    long total = 0;
    for (;;) {
        ssize_t n = read(fd, block, 700);
        MUST(n >= 0);
        if (n == 0)
            break;
        total += n;
        for (ssize_t j = 0; j < n; j++)
            sum = sum * 31 + (unsigned char)block[j];
    }
    printf("big: %ld bytes, checksum %08x\n", total, sum);
    SHOW(open("big.bin", O_RDWR | O_CREAT | O_EXCL, 0600));
    SHOW(close(fd));
    return 0;
}
