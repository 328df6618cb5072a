/* clock_gettime, nanosleep and getrandom: only what every machine agrees on. */
#include <fcntl.h>
#include <sys/random.h>
#include <time.h>
#include "check.h"

static long long ns_of(const struct timespec *t)
{
    return (long long)t->tv_sec * 1000000000LL + t->tv_nsec;
}

int main(int argc, char **argv)
{
    enter_scratch(argc, argv);
    struct timespec a, b;
    SHOW(clock_gettime(CLOCK_MONOTONIC, &a));
    SHOW(clock_gettime(CLOCK_MONOTONIC, &b));
    printf("monotonic never goes back: %d\n", ns_of(&b) >= ns_of(&a));
    printf("nanoseconds in range: %d\n", a.tv_nsec >= 0 && a.tv_nsec < 1000000000L);
    struct timespec nap = { 0, 2000000 }; /* 2 ms */
    SHOW(nanosleep(&nap, NULL));
    SHOW(clock_gettime(CLOCK_MONOTONIC, &b));
    printf("slept at least 2 ms: %d\n", ns_of(&b) - ns_of(&a) >= 2000000);
    struct timespec bad = { 0, 1000000000L };
    SHOW(nanosleep(&bad, NULL));
    struct timespec neg = { -1, 0 };
    SHOW(nanosleep(&neg, NULL));
    SHOW(clock_gettime(12345, &a));
    SHOW(clock_gettime(CLOCK_REALTIME, &a));
    printf("realtime nanoseconds in range: %d\n", a.tv_nsec >= 0 && a.tv_nsec < 1000000000L);

    unsigned char buf[64];
    memset(buf, 0, sizeof buf);
    SHOW(getrandom(buf, sizeof buf, 0));
    int nonzero = 0;
    for (unsigned i = 0; i < sizeof buf; i++)
        nonzero += buf[i] != 0;
    printf("random bytes not all zero: %d\n", nonzero > 0);
    SHOW(getrandom(buf, 0, 0));
    SHOW(getrandom(buf, 16, 0x40));

    /* the bytes themselves differ per run: the file records only their count */
    int fd = open("random.bin", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    SHOW(write(fd, buf, 16) == 16);
    close(fd);
    int z = open("random.bin", O_RDONLY);
    char c[32];
    SHOW(read(z, c, sizeof c));
    close(z);
    SHOW(unlink("random.bin"));
    return 0;
}
