/*
 * yield_pingpong.c — two threads take strict turns through an atomic turn
 * word, calling sched_yield while it is not their turn; the log of who
 * went when is the same whatever the scheduler does. Also: sched_yield
 * returns 0, with or without other threads to run.
 */
#include "corpus.h"

#define ROUNDS 150

static volatile int turn; /* 0: ping, 1: pong */
static char turns_log[2 * ROUNDS + 1];
static volatile int log_len;
static volatile int bad_yield;

static int player(void *arg)
{
    int me = (int)(uintptr_t)arg;
    for (int i = 0; i < ROUNDS; i++) {
        while (__atomic_load_n(&turn, __ATOMIC_ACQUIRE) != me)
            if (sys_sched_yield() != 0)
                bad_yield = 1;
        turns_log[log_len] = me == 0 ? 'i' : 'o';
        log_len = log_len + 1;
        __atomic_store_n(&turn, 1 - me, __ATOMIC_RELEASE);
    }
    return 0;
}

int main(void)
{
    printf("sched_yield alone=%ld\n", sys_sched_yield());
    thread_t pong = spawn(player, (void *)1);
    thread_t ping = spawn(player, (void *)0);
    thread_join(ping);
    thread_join(pong);
    turns_log[log_len] = '\0';
    printf("turns=%d\n", log_len);
    for (int i = 0; i < log_len; i += 50)
        printf("%.50s\n", turns_log + i);
    say("sched_yield returned 0 every time", !bad_yield);
    return 0;
}
