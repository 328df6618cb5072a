/*
 * atomics.c — the A extension: every amo*.w (swap, add, xor, and, or, min,
 * max, minu, maxu) over edge-value pairs, returning the old value in rd and
 * leaving op(old, rs2) in memory; rd = x0 and rd = rs2 forms; .aq/.rl
 * variants; lr.w/sc.w success (sc writes 0), and the cases where sc.w must
 * fail, write exactly 1 to rd and leave memory alone: no reservation, a
 * second sc after a successful one, sc to a different address than the
 * lr; compare-and-swap loops as gcc emits them for __atomic builtins; AMOs
 * on an mmap'ed page.
 */
#include "edge.h"

static volatile uint32_t word __attribute__((aligned(8)));
static volatile uint32_t other __attribute__((aligned(8)));

#define AMO(name, insn)                                                     \
    static uint32_t do_##name(volatile uint32_t *a, uint32_t v, uint32_t *old) \
    {                                                                       \
        uint32_t r;                                                         \
        __asm__ volatile(insn " %0, %2, (%1)" : "=&r"(r) : "r"(a), "r"(v) : "memory"); \
        *old = r;                                                           \
        return *a;                                                          \
    }

AMO(amoswap_w, "amoswap.w")
AMO(amoadd_w, "amoadd.w")
AMO(amoxor_w, "amoxor.w")
AMO(amoand_w, "amoand.w")
AMO(amoor_w, "amoor.w")
AMO(amomin_w, "amomin.w")
AMO(amomax_w, "amomax.w")
AMO(amominu_w, "amominu.w")
AMO(amomaxu_w, "amomaxu.w")
AMO(amoadd_w_aq, "amoadd.w.aq")
AMO(amoor_w_rl, "amoor.w.rl")
AMO(amomaxu_w_aqrl, "amomaxu.w.aqrl")

typedef uint32_t (*amofn)(volatile uint32_t *, uint32_t, uint32_t *);

static const struct {
    const char *name;
    amofn fn;
} OPS[] = {
    {"amoswap.w", do_amoswap_w}, {"amoadd.w", do_amoadd_w},   {"amoxor.w", do_amoxor_w},
    {"amoand.w", do_amoand_w},   {"amoor.w", do_amoor_w},     {"amomin.w", do_amomin_w},
    {"amomax.w", do_amomax_w},   {"amominu.w", do_amominu_w}, {"amomaxu.w", do_amomaxu_w},
    {"amoadd.w.aq", do_amoadd_w_aq}, {"amoor.w.rl", do_amoor_w_rl},
    {"amomaxu.w.aqrl", do_amomaxu_w_aqrl},
};

static uint32_t lr(volatile uint32_t *a)
{
    uint32_t r;
    __asm__ volatile("lr.w %0, (%1)" : "=r"(r) : "r"(a) : "memory");
    return r;
}

static uint32_t sc(volatile uint32_t *a, uint32_t v)
{
    uint32_t r;
    __asm__ volatile("sc.w %0, %2, (%1)" : "=&r"(r) : "r"(a), "r"(v) : "memory");
    return r;
}

static void run_amos(volatile uint32_t *cell, const char *where)
{
    uint32_t bad_old = 0;
    for (unsigned o = 0; o < sizeof OPS / sizeof OPS[0]; o++) {
        for (int i = 0; i < EDGE_COUNT; i += 2) {
            print_str(where);
            print_str(OPS[o].name);
            print_char(' ');
            print_hexn(EDGE[i], 8);
            print_char(':');
            for (int j = 0; j < EDGE_COUNT; j++) {
                uint32_t old;
                *cell = EDGE[i];
                uint32_t now = OPS[o].fn(cell, EDGE[j], &old);
                if (old != EDGE[i])
                    bad_old++;
                print_char(' ');
                print_hexn(now, 8);
            }
            print_nl();
        }
    }
    print_kv("rd != old value", (int32_t)bad_old);
}

int main(void)
{
    run_amos(&word, "");

    /* rd = x0 discards the old value but still updates memory. */
    word = 40;
    __asm__ volatile("amoadd.w x0, %1, (%0)" ::"r"(&word), "r"(2) : "memory");
    print_kv("amoadd rd=x0", (int32_t)word);
    /* rd = rs2: the old value lands in the register that supplied rs2. */
    word = 0x1111u;
    uint32_t t = 0x2222u;
    __asm__ volatile("amoswap.w %0, %0, (%1)" : "+r"(t) : "r"(&word) : "memory");
    print_kx("amoswap rd=rs2 reg", t);
    print_kx("amoswap rd=rs2 mem", word);

    /* lr/sc success. */
    word = 5;
    uint32_t v = lr(&word);
    uint32_t r = sc(&word, v + 10);
    print_kv("lr value", (int32_t)v);
    print_kv("sc ok result", (int32_t)r);
    print_kv("sc ok memory", (int32_t)word);
    /* A second sc without a new lr fails. */
    r = sc(&word, 99);
    print_kv("sc again result", (int32_t)r);
    print_kv("sc again memory", (int32_t)word);
    /* sc to another address than the reserved one fails. */
    other = 7;
    (void)lr(&word);
    r = sc(&other, 8);
    print_kv("sc other result", (int32_t)r);
    print_kv("sc other memory", (int32_t)other);
    /* ...and that failed sc also ended the reservation. */
    r = sc(&word, 1234);
    print_kv("sc after failed result", (int32_t)r);
    print_kv("sc after failed memory", (int32_t)word);
    /* lr into the address register. */
    word = (uint32_t)&other;
    uint32_t p = (uint32_t)&word;
    __asm__ volatile("lr.w %0, (%0)" : "+r"(p) : : "memory");
    print_kv("lr rd=rs1 loaded own pointer", p == (uint32_t)&other);
    r = sc(&word, 0);
    print_kv("sc after lr rd=rs1", (int32_t)r);

    /* CAS loops and fetch-and-op as gcc emits them. */
    uint32_t counter = 0;
    for (int i = 0; i < 1000; i++) {
        uint32_t cur, seen;
        do {
            cur = __atomic_load_n(&counter, __ATOMIC_RELAXED);
            seen = __sync_val_compare_and_swap(&counter, cur, cur * 3u + 1u);
        } while (seen != cur);
    }
    print_kx("cas counter", counter);
    uint32_t acc = 1;
    for (uint32_t i = 0; i < 100; i++) {
        __atomic_fetch_add(&acc, i, __ATOMIC_SEQ_CST);
        __atomic_fetch_xor(&acc, i << 9, __ATOMIC_ACQ_REL);
        __atomic_fetch_or(&acc, 1u << (i & 31), __ATOMIC_RELEASE);
        __atomic_fetch_and(&acc, ~(1u << ((i * 7) & 31)), __ATOMIC_ACQUIRE);
    }
    print_kx("fetch ops", acc);
    uint32_t expected = 17;
    int ok = __atomic_compare_exchange_n(&acc, &expected, 3, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    print_kv("cmpxchg mismatch ok", ok);
    print_kx("cmpxchg mismatch expected", expected);
    ok = __atomic_compare_exchange_n(&acc, &expected, 3, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    print_kv("cmpxchg match ok", ok);
    print_kx("cmpxchg match value", acc);

    /* The same AMOs on an anonymous mapping. */
    long m = sys_mmap_anon(PAGE_SIZE, PROT_READ | PROT_WRITE);
    if (mmap_failed(m)) {
        print_kv("mmap failed", (int32_t)m);
        return 1;
    }
    run_amos((volatile uint32_t *)(m + PAGE_SIZE - 4), "mmap ");
    return 0;
}
