/* O_APPEND: every write lands at the end, whatever the offset says. */
#include <fcntl.h>
#include "check.h"

int main(int argc, char **argv)
{
    enter_scratch(argc, argv);
    int w = open("log.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    MUST(w >= 0);
    put(w, "first\n");
    int ap = open("log.txt", O_WRONLY | O_APPEND);
    MUST(ap >= 0);
    SHOW(lseek(ap, 0, SEEK_CUR));
    put(ap, "second\n");
    SHOW(lseek(ap, 0, SEEK_CUR));
    SHOW(lseek(ap, 0, SEEK_SET));
    put(ap, "third\n");
    SHOW(lseek(ap, 0, SEEK_CUR));
    /* the plain descriptor overwrites from its own offset (6) */
    put(w, "2nd\n");
    SHOW(lseek(w, 0, SEEK_CUR));
    SHOW(fcntl(ap, F_GETFL) & (O_ACCMODE | O_APPEND));
    SHOW(fcntl(w, F_GETFL) & (O_ACCMODE | O_APPEND));
    /* turning O_APPEND on and off with F_SETFL */
    SHOW(fcntl(w, F_SETFL, O_APPEND));
    put(w, "fourth\n");
    SHOW(fcntl(w, F_GETFL) & (O_ACCMODE | O_APPEND));
    SHOW(fcntl(ap, F_SETFL, 0));
    SHOW(lseek(ap, 0, SEEK_SET));
    put(ap, "F");
    close(w);
    close(ap);

    /* pwrite on an O_APPEND descriptor appends too (Linux) */
    int both = open("log.txt", O_RDWR | O_APPEND);
    MUST(both >= 0);
    SHOW(pwrite(both, "[p]\n", 4, 0));
    SHOW(lseek(both, 0, SEEK_SET));
    dump("log", both, 200);
    close(both);

    /* fopen "a" */
    FILE *f = fopen("log2.txt", "a");
    MUST(f != NULL);
    fprintf(f, "one %d\n", 1);
    fclose(f);
    f = fopen("log2.txt", "a+");
    MUST(f != NULL);
    fprintf(f, "two %d\n", 2);
    fseek(f, 0, SEEK_SET);
    char line[64];
    while (fgets(line, sizeof line, f) != NULL)
        printf("log2: %s", line);
    fclose(f);
    return 0;
}
