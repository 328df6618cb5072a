/* reads stdin to its end: lines, words, bytes, and a checksum */
#include "files.h"
int main(void)
{
    static char buf[333];
    unsigned lines = 0, words = 0, bytes = 0, sum = 0;
    int in_word = 0;
    long n;
    while ((n = f_read(0, buf, sizeof buf)) > 0) {
        for (long k = 0; k < n; k++) {
            char c = buf[k];
            bytes++;
            sum = sum * 33 + (unsigned char)c;
            if (c == '\n') lines++;
            if (c == ' ' || c == '\n' || c == '\t') in_word = 0;
            else if (!in_word) { in_word = 1; words++; }
        }
    }
    f_show("end", n);
    printf("%u lines %u words %u bytes sum %u\n", lines, words, bytes, sum);
    f_show("read again", f_read(0, buf, sizeof buf));
    return 0;
}
