/*
 * start.c — what crt0 hands to main: argc and argv from the initial stack
 * (arguments printed from argv[1]: argv[0] is however the runner names
 * the program), envp right after argv's NULL and NULL-terminated, the
 * auxiliary vector behind it (AT_PAGESZ, AT_PHDR), environ, a tp set up
 * before main, and main's return value as the exit status, truncated to
 * 8 bits as Linux does (263 -> 7).
 */
#include "faultline-rt.h"

#define AT_PHDR 3
#define AT_PAGESZ 6

int main(int argc, char **argv, char **envp)
{
    printf("argc=%d\n", argc);
    for (int i = 1; i < argc; i++)
        printf("argv[%d]=%s\n", i, argv[i]);
    printf("argv[argc] is NULL: %s\n", argv[argc] == NULL ? "yes" : "no");
    printf("envp follows argv's NULL: %s\n", envp == argv + argc + 1 ? "yes" : "no");
    printf("environ is envp: %s\n", environ == envp ? "yes" : "no");
    printf("AT_PAGESZ=%lu\n", (unsigned long)rt_getauxval(AT_PAGESZ));
    printf("AT_PHDR given: %s\n", rt_getauxval(AT_PHDR) != 0 ? "yes" : "no");
    printf("unknown auxv type=%lu\n", (unsigned long)rt_getauxval(0x7fff));
    printf("tp set, descriptor below it: %s\n", thread_pointer() != NULL && (void *)thread_self() < thread_pointer() ? "yes" : "no");
    printf("no output line pending at exit: ");
    printf("yes\n");
    return 263;
}
