/* a pipe between two threads: 300 KB through a 64 KiB pipe, then EOF */
#include "files.h"
static int fds[2];
static int writer(void *arg)
{
    (void)arg;
    static unsigned char chunk[7000];
    unsigned total = 0;
    for (int round = 0; round < 43; round++) {
        for (int k = 0; k < (int)sizeof chunk; k++) chunk[k] = (unsigned char)(round * 31 + k);
        long n = f_write(fds[1], chunk, sizeof chunk);
        if (n != (long)sizeof chunk) return 1;
        total += n;
    }
    f_close(fds[1]);
    return total == 43 * 7000 ? 0 : 2;
}
int main(void)
{
    f_show("pipe2", f_pipe2(fds, 0));
    thread_t t = thread_create(writer, 0);
    static unsigned char buf[5000];
    unsigned long sum = 0, total = 0;
    long n;
    while ((n = f_read(fds[0], buf, sizeof buf)) > 0) {
        for (long k = 0; k < n; k++) sum = sum * 31 + buf[k];
        total += n;
    }
    f_show("last read", n);
    printf("total %lu sum %lu\n", total, sum);
    f_show("writer", thread_join(t));
    return 0;
}
