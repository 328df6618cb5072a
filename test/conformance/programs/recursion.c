/*
 * recursion.c — recursion and the stack: naive Fibonacci, Ackermann,
 * mutual recursion, Towers of Hanoi, recursive quicksort, a recursive
 * descent expression evaluator and one deep recursion (thousands of frames,
 * a few hundred KiB of stack) that must not run out of stack.
 */
#include "faultline-rt.h"

__attribute__((noinline)) static uint32_t fib(uint32_t n)
{
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

__attribute__((noinline)) static uint32_t ack(uint32_t m, uint32_t n)
{
    if (m == 0)
        return n + 1;
    if (n == 0)
        return ack(m - 1, 1);
    return ack(m - 1, ack(m, n - 1));
}

__attribute__((noinline)) static int is_odd(uint32_t n);
__attribute__((noinline)) static int is_even(uint32_t n) { return n == 0 ? 1 : is_odd(n - 1); }
__attribute__((noinline)) static int is_odd(uint32_t n) { return n == 0 ? 0 : is_even(n - 1); }

static uint32_t moves_hash;

__attribute__((noinline)) static uint32_t hanoi(int n, int from, int to, int via)
{
    if (n == 0)
        return 0;
    uint32_t c = hanoi(n - 1, from, via, to);
    moves_hash = moves_hash * 7u + (uint32_t)(from * 3 + to);
    return c + 1 + hanoi(n - 1, via, to, from);
}

static void qsort_rec(int32_t *a, int lo, int hi)
{
    if (lo >= hi)
        return;
    int32_t pivot = a[(lo + hi) / 2];
    int i = lo, j = hi;
    while (i <= j) {
        while (a[i] < pivot)
            i++;
        while (a[j] > pivot)
            j--;
        if (i <= j) {
            int32_t t = a[i];
            a[i] = a[j];
            a[j] = t;
            i++;
            j--;
        }
    }
    qsort_rec(a, lo, j);
    qsort_rec(a, i, hi);
}

/* expr := term {('+'|'-') term}; term := factor {('*'|'/') factor};
 * factor := number | '(' expr ')' | '-' factor */
static const char *src;
static int32_t expr(void);
static int32_t factor(void)
{
    if (*src == '(') {
        src++;
        int32_t v = expr();
        src++; /* ')' */
        return v;
    }
    if (*src == '-') {
        src++;
        return -factor();
    }
    int32_t v = 0;
    while (*src >= '0' && *src <= '9')
        v = v * 10 + (*src++ - '0');
    return v;
}
static int32_t term(void)
{
    int32_t v = factor();
    while (*src == '*' || *src == '/') {
        char op = *src++;
        int32_t r = factor();
        v = op == '*' ? v * r : v / r;
    }
    return v;
}
static int32_t expr(void)
{
    int32_t v = term();
    while (*src == '+' || *src == '-') {
        char op = *src++;
        int32_t r = term();
        v = op == '+' ? v + r : v - r;
    }
    return v;
}

/* About 48 bytes of stack per level: 5000 levels use ~240 KiB, far inside
 * any Linux-like initial stack, yet far more than one page. */
__attribute__((noinline)) static uint32_t deep(uint32_t n, uint32_t acc)
{
    volatile uint32_t pad[4];
    pad[0] = n;
    pad[1] = acc;
    pad[2] = n ^ acc;
    pad[3] = 0;
    if (n == 0)
        return acc;
    uint32_t r = deep(n - 1, acc * 33u + n);
    return r + pad[2] - pad[0] - (pad[1] ^ pad[0] ^ pad[2]) + pad[3];
}

int main(void)
{
    for (uint32_t n = 0; n <= 24; n += 3)
        print_kv("fib", (int32_t)fib(n));
    print_kv("ack(2,3)", (int32_t)ack(2, 3));
    print_kv("ack(3,5)", (int32_t)ack(3, 5));
    print_kv("is_even(1001)", is_even(1001));
    print_kv("is_odd(2023)", is_odd(2023));
    print_kv("hanoi(12)", (int32_t)hanoi(12, 0, 2, 1));
    print_kx("hanoi hash", moves_hash);

    static int32_t arr[500];
    uint32_t seed = 12345;
    for (int i = 0; i < 500; i++) {
        seed = seed * 1103515245u + 12345u;
        arr[i] = (int32_t)seed >> 3;
    }
    qsort_rec(arr, 0, 499);
    int sorted = 1;
    uint32_t h = 0;
    for (int i = 0; i < 500; i++) {
        if (i > 0 && arr[i - 1] > arr[i])
            sorted = 0;
        h = h * 31u + (uint32_t)arr[i];
    }
    print_kv("sorted", sorted);
    print_kx("sorted hash", h);

    static const char *const exprs[] = {
        "1+2*3", "(1+2)*3", "-(4-10)*-(3)", "100/7*7+100-100/7*7", "2*(3*(4*(5*(6+1))))-1",
    };
    for (unsigned i = 0; i < sizeof exprs / sizeof exprs[0]; i++) {
        src = exprs[i];
        print_str(exprs[i]);
        print_str(" = ");
        print_dec(expr());
        print_nl();
    }
    print_kx("deep(5000)", deep(5000, 1));
    return 0;
}
