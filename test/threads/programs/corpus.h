/*
 * corpus.h — shared by the threaded C corpus (test/threads/programs).
 *
 * Every program prints only what does not depend on how its threads
 * interleave: totals, facts as yes/no, values a thread hands to the thread
 * that prints (after a join or another happens-before edge). Two threads
 * never print where the order of their lines could vary.
 */
#ifndef CORPUS_H
#define CORPUS_H

#include "faultline-rt.h"

/* Prints "label: yes" or "label: no". */
static inline void say(const char *label, int fact)
{
    printf("%s: %s\n", label, fact ? "yes" : "no");
}

/* Starts a thread or ends the program with status 120 (out of memory or
 * clone refused): a corpus program never goes on with fewer threads. */
static inline thread_t spawn(int (*fn)(void *), void *arg)
{
    thread_t t = thread_create(fn, arg);
    if (t == NULL) {
        printf("thread_create failed\n");
        rt_exit(120);
    }
    return t;
}

#endif
