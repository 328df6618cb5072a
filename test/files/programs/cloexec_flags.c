/* O_CLOEXEC and FD_CLOEXEC through fcntl F_GETFD/F_SETFD; access modes through F_GETFL. */
#include <fcntl.h>
#include "check.h"

int main(int argc, char **argv)
{
    enter_scratch(argc, argv);
    int plain = open("f", O_RDWR | O_CREAT, 0644);
    int ce = open("f", O_RDONLY | O_CLOEXEC);
    MUST(plain >= 0 && ce >= 0);
    SHOW(fcntl(plain, F_GETFD));
    SHOW(fcntl(ce, F_GETFD));
    SHOW(fcntl(plain, F_SETFD, FD_CLOEXEC));
    SHOW(fcntl(plain, F_GETFD));
    SHOW(fcntl(plain, F_SETFD, 0));
    SHOW(fcntl(plain, F_GETFD));
    /* a duplicate never inherits the flag */
    int d = dup(ce);
    SHOW(fcntl(d, F_GETFD));
    int d3 = dup3(plain, 230, O_CLOEXEC);
    SHOW(fcntl(d3, F_GETFD));
    int fd = fcntl(plain, F_DUPFD_CLOEXEC, 0);
    SHOW(fcntl(fd, F_GETFD));
    /* the flag is per descriptor: the original is unchanged */
    SHOW(fcntl(ce, F_GETFD));

    SHOW(fcntl(plain, F_GETFL) & O_ACCMODE);
    SHOW(fcntl(ce, F_GETFL) & O_ACCMODE);
    int wo = open("f", O_WRONLY);
    SHOW(fcntl(wo, F_GETFL) & O_ACCMODE);
    SHOW(fcntl(99, F_GETFD));
    SHOW(fcntl(99, F_SETFD, FD_CLOEXEC));

    int p[2];
    MUST(pipe2(p, O_CLOEXEC) == 0);
    SHOW(fcntl(p[0], F_GETFD));
    SHOW(fcntl(p[1], F_GETFD));
    SHOW(fcntl(p[0], F_GETFL) & O_ACCMODE);
    SHOW(fcntl(p[1], F_GETFL) & O_ACCMODE);
    int q[2];
    MUST(pipe(q) == 0);
    SHOW(fcntl(q[0], F_GETFD));

    /* fopen's 'e' asks for O_CLOEXEC */
    FILE *s = fopen("f", "re");
    MUST(s != NULL);
    SHOW(fcntl(fileno(s), F_GETFD));
    fclose(s);
    return 0;
}
