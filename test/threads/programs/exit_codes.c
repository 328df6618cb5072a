/*
 * exit_codes.c — per-thread exit against exit_group. A thread's end gives
 * its result to thread_join (by returning, or by thread_exit from deep in
 * a call chain, after which nothing of the thread runs); a thread that
 * calls the exit system call (93) directly with 200 ends alone. None of
 * these end the process or set its status: main returning 3 does, through
 * exit_group, so the process exits with 3.
 */
#include "corpus.h"

static volatile int after_exit_ran;
static volatile int exit_at_bottom = 1;

static int returns_11(void *arg)
{
    (void)arg;
    return 11;
}

static void deep(int depth)
{
    if (depth > 0)
        deep(depth - 1);
    else if (exit_at_bottom)
        thread_exit(22);
    after_exit_ran = 1;
}

static int exits_22_deep(void *arg)
{
    (void)arg;
    deep(5);
    after_exit_ran = 1;
    return 99;
}

static int raw_exit_200(void *arg)
{
    (void)arg;
    print_str("raw exit thread: calling exit(200)\n");
    sys_exit(200);
}

int main(void)
{
    printf("returned -> %d\n", thread_join(spawn(returns_11, NULL)));
    printf("thread_exit deep in calls -> %d\n", thread_join(spawn(exits_22_deep, NULL)));
    say("code after thread_exit ran", after_exit_ran);
    thread_join(spawn(raw_exit_200, NULL));
    printf("main: still here after the thread's exit(200)\n");
    printf("main: returning 3\n");
    return 3;
}
