/* dup, dup2 and dup3 share the file offset and status flags; open twice does not. */
#include <fcntl.h>
#include "check.h"

int main(int argc, char **argv)
{
    enter_scratch(argc, argv);
    int a = open("shared.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    MUST(a >= 0);
    put(a, "0123456789abcdef");
    MUST(lseek(a, 2, SEEK_SET) == 2);
    int b = dup(a);
    MUST(b > a);
    dump("dup reads", b, 4);
    SHOW(lseek(a, 0, SEEK_CUR));

    int c = dup3(a, 220, O_CLOEXEC);
    SHOW(c);
    dump("dup3 reads", c, 3);
    SHOW(lseek(b, 0, SEEK_CUR));
    SHOW(fcntl(c, F_GETFD));
    SHOW(fcntl(b, F_GETFD));

    SHOW(dup2(a, a));
    SHOW(dup3(a, a, 0));
    SHOW(dup3(a, 221, 12345));
    SHOW(dup2(99, 222));
    SHOW(dup(99));

    /* dup2 onto an open descriptor closes it first */
    int other = open("other.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    MUST(other >= 0);
    put(other, "OTHER");
    SHOW(dup2(a, other) == other);
    SHOW(lseek(other, 0, SEEK_CUR));
    put(other, "<>");

    /* a second open has its own offset */
    int solo = open("shared.txt", O_RDONLY);
    MUST(solo >= 0);
    dump("own offset", solo, 32);

    /* closing one duplicate leaves the others working */
    SHOW(close(a));
    SHOW(lseek(b, 0, SEEK_SET));
    dump("after close", c, 32);

    /* F_DUPFD picks the lowest free number at or above the argument (high
     * numbers: qemu-user shares the host's descriptor table with the guest) */
    int d = fcntl(b, F_DUPFD, 200);
    printf("F_DUPFD 200 gives 200: %d\n", d == 200);
    int e = fcntl(b, F_DUPFD_CLOEXEC, 200);
    printf("F_DUPFD_CLOEXEC 200 gives 201: %d\n", e == 201);
    SHOW(fcntl(d, F_GETFD));
    SHOW(fcntl(e, F_GETFD));
    close(b);
    close(c);
    close(d);
    close(e);
    close(solo);
    close(other);

    int low = dup(0);
    printf("lowest free number reused: %d\n", low == a);
    close(low);
    return 0;
}
