/* stdio on files: fopen modes, fprintf/fgets/fread/fwrite, fseek/ftell, ungetc, errors. */
#include <fcntl.h>
#include "check.h"

int main(int argc, char **argv)
{
    enter_scratch(argc, argv);
    FILE *f = fopen("table.txt", "w");
    MUST(f != NULL);
    for (int i = 1; i <= 12; i++)
        fprintf(f, "%2d %-6s|%6x|%+d\n", i, i % 2 ? "odd" : "even", i * 4099, -i * 1000);
    printf("ftell after writing: %ld\n", ftell(f));
    MUST(fclose(f) == 0);

    f = fopen("table.txt", "r");
    MUST(f != NULL);
    char line[64];
    int n = 0;
    while (fgets(line, sizeof line, f) != NULL)
        if (++n % 5 == 0)
            printf("line %d: %s", n, line);
    printf("feof %d\n", feof(f));
    rewind(f);
    printf("after rewind feof %d, ftell %ld\n", feof(f), ftell(f));
    SHOW(fgetc(f));
    SHOW(fgetc(f));
    printf("ftell %ld\n", ftell(f));
    SHOW(ungetc('#', f));
    printf("ftell after ungetc %ld\n", ftell(f));
    SHOW(fgetc(f));
    SHOW(fseek(f, -8, SEEK_END));
    printf("tail: %s", fgets(line, sizeof line, f));
    SHOW(fputc('x', f)); /* a read-only stream */
    printf("ferror %d\n", ferror(f));
    fclose(f);

    /* binary records with fwrite/fread and an in-place update through "r+" */
    f = fopen("records.bin", "w+");
    MUST(f != NULL);
    for (int i = 0; i < 100; i++) {
        int rec[2] = { i, i * i };
        MUST(fwrite(rec, sizeof rec, 1, f) == 1);
    }
    fclose(f);
    f = fopen("records.bin", "r+");
    MUST(fseek(f, 50 * 8, SEEK_SET) == 0);
    int rec[2];
    SHOW(fread(rec, sizeof rec, 1, f));
    printf("record 50: %d %d\n", rec[0], rec[1]);
    rec[1] = -1;
    MUST(fseek(f, -8, SEEK_CUR) == 0);
    SHOW(fwrite(rec, sizeof rec, 1, f));
    MUST(fseek(f, 0, SEEK_SET) == 0);
    long sum = 0;
    int count = 0;
    while (fread(rec, sizeof rec, 1, f) == 1) {
        sum += rec[1];
        count++;
    }
    printf("%d records, sum %ld, ftell %ld\n", count, sum, ftell(f));
    SHOW(fread(rec, 1, sizeof rec, f));
    fclose(f);

    SHOW(fopen("no/such/file", "r") == NULL);
    printf("errno %s\n", errname(errno));
    SHOW(fopen("table.txt", "wx") == NULL);
    printf("errno %s\n", errname(errno));
    SHOW(fopen("table.txt", "q") == NULL);

    /* a big write through the buffer, read back with getc */
    f = fopen("big.txt", "w");
    for (int i = 0; i < 3000; i++)
        fprintf(f, "%d,", i);
    fclose(f);
    f = fopen("big.txt", "r");
    long commas = 0, chars = 0;
    int c;
    while ((c = getc(f)) != EOF) {
        chars++;
        commas += c == ',';
    }
    printf("big: %ld chars, %ld commas\n", chars, commas);
    fclose(f);
    return 0;
}
