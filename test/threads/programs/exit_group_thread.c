/*
 * exit_group_thread.c — exit_group from a thread that is not the first:
 * it ends every thread of the process, including the first thread (blocked
 * in thread_join on it) and a thread asleep in FUTEX_WAIT with no timeout,
 * and the process exits with the status it gave (42). Nothing prints after.
 */
#include "corpus.h"

static volatile int never_changes;
static volatile int sleeper_waiting;

static int sleeper(void *arg)
{
    (void)arg;
    __atomic_store_n(&sleeper_waiting, 1, __ATOMIC_RELEASE);
    while (never_changes == 0)
        futex_wait(&never_changes, 0, NULL);
    return 0;
}

static int ender(void *arg)
{
    (void)arg;
    while (__atomic_load_n(&sleeper_waiting, __ATOMIC_ACQUIRE) == 0)
        sys_sched_yield();
    print_str("ender: exit_group(42)\n");
    rt_exit(42);
}

int main(void)
{
    print_str("main: starting a sleeper and an ender, then joining the ender\n");
    spawn(sleeper, NULL);
    thread_join(spawn(ender, NULL));
    print_str("main: not reached\n");
    return 0;
}
