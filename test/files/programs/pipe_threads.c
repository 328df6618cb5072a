/* A pipe between two threads: a writer sends numbered records, a reader checks them. */
#include <fcntl.h>
#include <faultline-thread.h>
#include "check.h"

#define RECORDS 2000

static int fds[2];

static int writer(void *arg)
{
    (void)arg;
    char rec[32];
    for (int i = 0; i < RECORDS; i++) {
        int n = snprintf(rec, sizeof rec, "record %04d\n", i);
        MUST(write(fds[1], rec, (size_t)n) == n);
    }
    close(fds[1]);
    return RECORDS;
}

int main(int argc, char **argv)
{
    enter_scratch(argc, argv);
    MUST(pipe(fds) == 0);
    thread_t t = thread_create(writer, NULL);
    MUST(t != NULL);
    /* read in odd-sized pieces; records cross read boundaries */
    char buf[97];
    char line[32];
    int used = 0, lines = 0, bad = 0;
    unsigned long total = 0;
    for (;;) {
        ssize_t n = read(fds[0], buf, sizeof buf);
        MUST(n >= 0);
        if (n == 0)
            break;
        total += (unsigned long)n;
        for (ssize_t i = 0; i < n; i++) {
            line[used++] = buf[i];
            if (buf[i] == '\n') {
                line[used] = '\0';
                char want[32];
                snprintf(want, sizeof want, "record %04d\n", lines);
                if (strcmp(line, want) != 0)
                    bad++;
                lines++;
                used = 0;
            }
        }
    }
    int sent = thread_join(t);
    printf("sent %d, received %d lines, %lu bytes, %d out of order\n", sent, lines, total, bad);
    SHOW(read(fds[0], buf, sizeof buf));
    close(fds[0]);

    /* a second pipe through stdio on both ends */
    MUST(pipe(fds) == 0);
    FILE *w = fdopen(fds[1], "w");
    FILE *r = fdopen(fds[0], "r");
    MUST(w != NULL && r != NULL);
    fprintf(w, "via stdio %d\n", 42);
    fclose(w);
    char got[64];
    while (fgets(got, sizeof got, r) != NULL)
        printf("got: %s", got);
    printf("eof: %d\n", feof(r));
    fclose(r);

    /* the file tree records what came through */
    FILE *out = fopen("received.txt", "w");
    fprintf(out, "%d lines, %lu bytes\n", lines, total);
    fclose(out);
    return 0;
}
