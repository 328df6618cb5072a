/*
 * leader_exit.c — the first thread ends with the exit system call (not
 * exit_group) while another thread goes on: the process lives on, the
 * first thread's set_tid_address word is cleared and woken at its exit,
 * getpid is unchanged, and the remaining thread ends the process with
 * exit_group(5).
 *
 * (Why not end with a per-thread exit here too: Linux reports the first
 * thread's status when the last thread exits, qemu-riscv32 the last
 * thread's; exit_group gives the same status everywhere.)
 */
#include "corpus.h"

static volatile int leader_word;
static int pid;

static int survivor(void *arg)
{
    (void)arg;
    for (;;) { /* the kernel's wake at the leader's exit is a shared one */
        int v = __atomic_load_n(&leader_word, __ATOMIC_ACQUIRE);
        if (v == 0)
            break;
        sys_futex(&leader_word, FUTEX_WAIT, v, NULL, NULL, 0);
    }
    print_str("survivor: the first thread is gone\n");
    say("survivor: getpid unchanged", sys_getpid() == pid);
    print_str("survivor: exit_group(5)\n");
    rt_exit(5);
}

int main(void)
{
    pid = sys_getpid();
    leader_word = sys_set_tid_address(&leader_word);
    say("set_tid_address returned the pid", leader_word == pid);
    spawn(survivor, NULL);
    print_str("main: exit(0) from the first thread only\n");
    thread_exit(0);
}
