/* Reads stdin line by line: counts, upper-cases into a file, numbers the lines on stdout. */
#include <ctype.h>
#include <fcntl.h>
#include "check.h"

int main(int argc, char **argv)
{
    enter_scratch(argc, argv);
    FILE *out = fopen("upper.txt", "w");
    MUST(out != NULL);
    char line[128];
    int lines = 0, words = 0;
    long bytes = 0;
    while (fgets(line, sizeof line, stdin) != NULL) {
        lines++;
        int inword = 0;
        for (char *p = line; *p != '\0'; p++) {
            bytes++;
            if (isspace((unsigned char)*p))
                inword = 0;
            else if (!inword) {
                inword = 1;
                words++;
            }
            fputc(toupper((unsigned char)*p), out);
        }
        printf("%3d| %s", lines, line);
    }
    printf("\nlines=%d words=%d bytes=%ld eof=%d error=%d\n", lines, words, bytes, feof(stdin), ferror(stdin));
    printf("getchar() at the end: %d\n", getchar());
    fclose(out);
    char buf[8];
    SHOW(read(0, buf, sizeof buf));
    return lines % 256;
}
