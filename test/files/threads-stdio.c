/*
 * threads-stdio.c — the C library from several threads: printf lines are
 * never torn, malloc'd strings stay intact, and errno is each thread's
 * own. Four threads print 200 lines each; threads-stdio.test.ts checks
 * the lines (in any order) under qemu-riscv32 and faultline.
 */
#include <errno.h>
#include <faultline-thread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define THREADS 4
#define LINES 200

static int worker(void *arg)
{
    int id = (int)(long)arg;
    int errno_mismatches = 0;
    for (int i = 0; i < LINES; i++) {
        char *word = malloc(32 + (size_t)i);
        snprintf(word, 32 + (size_t)i, "w%d-%d", id, i);
        /* a failing call whose errno depends on the thread */
        if (id % 2 == 0)
            write(-1, "x", 1); /* EBADF */
        else
            errno = 1000 + id;
        sched_yield(); /* let the others run between setting and reading errno */
        int want = id % 2 == 0 ? EBADF : 1000 + id;
        if (errno != want)
            errno_mismatches++;
        printf("thread %d line %03d %s %*s|\n", id, i, word, 20 + id, "padded");
        free(word);
    }
    return errno_mismatches;
}

int main(void)
{
    thread_t t[THREADS];
    for (long i = 0; i < THREADS; i++)
        t[i] = thread_create(worker, (void *)i);
    int mismatches = 0;
    for (int i = 0; i < THREADS; i++)
        mismatches += thread_join(t[i]);
    printf("done: %d errno mismatches\n", mismatches);
    return 0;
}
