/*
 * printf.c — the runtime's printf, puts and putchar against known answers
 * (printf.expected, written by hand from the C standard's rules), a line
 * longer than the per-thread line buffer, and an unfinished last line
 * that rt_exit writes out.
 */
#include "faultline-rt.h"

int main(void)
{
    /* volatile: hidden from GCC's format checks, which would refuse them */
    const char *volatile nothing = NULL;
    const char *volatile unknown = "unknown: %q\n";
    printf("d: %d %d %d %d\n", 0, 42, -42, (int)0x80000000);
    printf("i u: %i %u %u\n", -7, 7u, 0xffffffffu);
    printf("x X o: %x %X %o %x\n", 0xbeefu, 0xbeefu, 8u, 0u);
    printf("ld lu lx: %ld %lu %lx\n", -123456L, 4000000000UL, 0xdeadbeefUL);
    printf("lld llu llx: %lld %llu %llx\n", -9223372036854775807LL - 1, 18446744073709551615ULL, 0x123456789abcdefULL);
    printf("lld small: %lld %lld\n", 0LL, -1LL);
    printf("width: [%5d] [%-5d] [%05d] [%05d] [%3d]\n", 42, 42, 42, -42, 12345);
    printf("star: [%*d] [%-*d]\n", 6, 7, 4, 8);
    printf("s: [%s] [%8s] [%-8s] [%.2s] [%.*s] [%s]\n", "abc", "abc", "abc", "abc", 1, "xyz", nothing);
    printf("c: [%c%c%c] [%3c]\n", 'a', 'b', 'c', 'z');
    printf("p: %p\n", (void *)0x1234);
    printf("percent: 100%%\n");
    printf(unknown);
    int n = printf("count me\n");
    printf("printf returned %d\n", n);
    puts("puts adds a newline");
    putchar('p');
    putchar('\n');
    for (int i = 0; i < 300; i++)
        putchar((char)('a' + i % 26));
    putchar('\n');
    print_kv("print_kv", -5);
    print_kx("print_kx", 0xabcu);
    print_str("print_hexn ");
    print_hexn(0x1234u, 2);
    print_nl();
    print_str("unfinished line, written by rt_exit");
    return 0;
}
