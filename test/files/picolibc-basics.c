/*
 * picolibc-basics.c — what a picolibc program needs from faultline's glue
 * (include/picolibc/faultline-picolibc.c): printf, malloc, fopen and
 * friends on a file in the directory argv[1], errno as picolibc numbers
 * it, stdin, and the exit status. picolibc.test.ts runs it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    printf("argc=%d [%5d|%-5x|%+lld|%08.3f]\n", argc, -42, 0xbeefu, 1234567890123LL, 3.25);

    /* malloc: many sizes, contents kept */
    unsigned long sum = 0;
    char *blocks[50];
    for (int i = 0; i < 50; i++) {
        blocks[i] = malloc((size_t)(i * 97 + 1));
        if (blocks[i] == NULL) {
            printf("malloc failed at %d\n", i);
            return 1;
        }
        memset(blocks[i], i, (size_t)(i * 97 + 1));
    }
    for (int i = 0; i < 50; i++) {
        for (int k = 0; k < i * 97 + 1; k++)
            sum += (unsigned char)blocks[i][k];
        free(blocks[i]);
    }
    printf("malloc: 50 blocks, sum %lu\n", sum);

    /* fopen, fprintf, fgets, fseek, ftell */
    char path[512];
    snprintf(path, sizeof path, "%s/pico.txt", argv[1]);
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        printf("fopen for writing failed: errno %d\n", errno);
        return 1;
    }
    for (int i = 1; i <= 5; i++)
        fprintf(f, "line %d of %d\n", i, 5);
    fclose(f);
    f = fopen(path, "r");
    char line[64];
    int lines = 0;
    while (fgets(line, sizeof line, f) != NULL)
        lines++;
    fseek(f, -12, SEEK_END);
    long at = ftell(f);
    printf("read %d lines; tail at %ld: %s", lines, at, fgets(line, sizeof line, f));
    fclose(f);
    f = fopen(path, "a");
    fputs("appended\n", f);
    fclose(f);
    f = fopen(path, "r");
    fseek(f, 0, SEEK_END);
    printf("size after append: %ld\n", ftell(f));
    fclose(f);

    /* errors arrive as picolibc's errno values */
    snprintf(path, sizeof path, "%s/no/such/file", argv[1]);
    errno = 0;
    f = fopen(path, "r");
    printf("missing file: %s, errno is ENOENT: %d\n", f == NULL ? "NULL" : "opened", errno == ENOENT);
    snprintf(path, sizeof path, "%s/pico.txt", argv[1]);
    int first = unlink(path);
    int second = unlink(path);
    printf("unlink: %d, again: %d errno is ENOENT: %d\n", first, second, errno == ENOENT);

    /* stdin */
    long bytes = 0;
    int c, newlines = 0;
    while ((c = getchar()) != EOF) {
        bytes++;
        newlines += c == '\n';
    }
    printf("stdin: %ld bytes, %d newlines\n", bytes, newlines);
    return 7;
}
