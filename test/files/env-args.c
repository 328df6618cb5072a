/*
 * env-args.c — what main receives: argc, argv (with spaces and UTF-8), and
 * the environment through getenv, environ and main's third argument.
 * env-args.test.ts runs it under qemu-riscv32 and faultline (--env).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

int main(int argc, char **argv, char **envp)
{
    printf("argc=%d\n", argc);
    for (int i = 1; i < argc; i++)
        printf("argv[%d]=[%s] (%zu bytes)\n", i, argv[i], strlen(argv[i]));
    printf("argv[argc] is NULL: %d\n", argv[argc] == NULL);
    const char *names[] = { "FL_GREETING", "FL_EMPTY", "FL_MISSING", "FL_GREETING_NOT" };
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *v = getenv(names[i]);
        printf("getenv(%s) = %s%s%s\n", names[i], v ? "[" : "", v ? v : "NULL", v ? "]" : "");
    }
    int seen = 0;
    for (char **e = environ; *e != NULL; e++)
        seen += strncmp(*e, "FL_", 3) == 0;
    printf("FL_ variables in environ: %d, envp is environ: %d\n", seen, envp == environ);
    return argc;
}
