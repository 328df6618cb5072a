/* Descriptor errors: bad numbers, wrong access modes, closed descriptors, the lowest free number. */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include "check.h"

int main(int argc, char **argv)
{
    enter_scratch(argc, argv);
    char buf[16];
    SHOW(read(-1, buf, 1));
    SHOW(read(1000, buf, 1));
    SHOW(write(77, "x", 1));
    SHOW(close(-5));
    int w = open("wo.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    MUST(w == 3);
    SHOW(read(w, buf, 1));
    int r = open("wo.txt", O_RDONLY);
    SHOW(r);
    SHOW(write(r, "x", 1));
    SHOW(close(w));
    /* the lowest free number is reused */
    int again = open("wo.txt", O_RDONLY);
    SHOW(again);
    SHOW(open("wo.txt", O_RDONLY | O_CREAT | O_EXCL, 0644));
    SHOW(open("dir-missing/file", O_WRONLY | O_CREAT, 0644));

    /* readv / writev gather and scatter */
    int v = open("vec.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    struct iovec out[3] = { { "one ", 4 }, { "", 0 }, { "two three\n", 10 } };
    SHOW(writev(v, out, 3));
    MUST(lseek(v, 0, SEEK_SET) == 0);
    char a[5] = { 0 }, b[20] = { 0 };
    struct iovec in[2] = { { a, 4 }, { b, sizeof b - 1 } };
    SHOW(readv(v, in, 2));
    printf("readv: \"%s\" \"%s\"\n", a, b);
    SHOW(writev(v, out, -1));
    close(v);

    struct stat st;
    SHOW(fstat(99, &st));
    SHOW(fstat(r, &st));
    printf("size %lld\n", (long long)st.st_size);
    SHOW(close(r));
    SHOW(close(again));
    SHOW(close(again));
    return 0;
}
