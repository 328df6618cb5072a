/*
 * loadstore.c — loads and stores of every width: lb/lbu/lh/lhu/lw and
 * sb/sh/sw, sign versus zero extension of loaded bytes and halves with the
 * top bit set and clear, little-endian byte order, positive and negative
 * 12-bit offsets, stores that write only their width, and misaligned loads
 * and stores (performed, not trapped, as Linux does for user programs).
 */
#include "edge.h"

static uint8_t buf[64] __attribute__((aligned(16)));

#define LOAD(op, off)                                                       \
    ({                                                                      \
        uint32_t r_;                                                        \
        __asm__ volatile(#op " %0, %2(%1)" : "=r"(r_) : "r"(p), "i"(off) : "memory"); \
        r_;                                                                 \
    })

static void fill(void)
{
    for (int i = 0; i < 64; i++)
        buf[i] = (uint8_t)(0x81 + i * 0x1d);
}

static void dump(const char *label)
{
    print_str(label);
    print_char(':');
    for (int i = 0; i < 24; i++) {
        print_char(' ');
        print_hexn(buf[i], 2);
    }
    print_nl();
}

int main(void)
{
    uint8_t *p = buf + 16; /* so negative offsets stay inside buf */
    fill();
    dump("initial");

    print_kx("lb 0", LOAD(lb, 0));
    print_kx("lbu 0", LOAD(lbu, 0));
    print_kx("lb 1", LOAD(lb, 1));
    print_kx("lbu 1", LOAD(lbu, 1));
    print_kx("lb -16", LOAD(lb, -16));
    print_kx("lbu -15", LOAD(lbu, -15));
    print_kx("lh 0", LOAD(lh, 0));
    print_kx("lhu 0", LOAD(lhu, 0));
    print_kx("lh 2", LOAD(lh, 2));
    print_kx("lhu 2", LOAD(lhu, 2));
    print_kx("lh -2", LOAD(lh, -2));
    print_kx("lw 0", LOAD(lw, 0));
    print_kx("lw 4", LOAD(lw, 4));
    print_kx("lw -4", LOAD(lw, -4));
    print_kx("lw -16", LOAD(lw, -16));

    /* Misaligned loads: performed. */
    print_kx("lh 1 (misaligned)", LOAD(lh, 1));
    print_kx("lhu 3 (misaligned)", LOAD(lhu, 3));
    print_kx("lw 1 (misaligned)", LOAD(lw, 1));
    print_kx("lw 2 (misaligned)", LOAD(lw, 2));
    print_kx("lw 3 (misaligned)", LOAD(lw, 3));
    print_kx("lw -1 (misaligned)", LOAD(lw, -1));

    /* Stores write exactly their width. */
    for (unsigned k = 0; k < 4; k++) {
        uint32_t v = EDGE[k * 5 + 3] ^ 0xa5a5a5a5u;
        fill();
        __asm__ volatile("sb %0, 0(%1)" ::"r"(v), "r"(p + k) : "memory");
        dump("sb");
        fill();
        __asm__ volatile("sh %0, 0(%1)" ::"r"(v), "r"(p + 2 * k) : "memory");
        dump("sh");
        fill();
        __asm__ volatile("sw %0, -4(%1)" ::"r"(v), "r"(p + 4 * k) : "memory");
        dump("sw");
    }
    /* Misaligned stores: performed. */
    fill();
    __asm__ volatile("sh %0, 1(%1)" ::"r"(0x1234u), "r"(p) : "memory");
    dump("sh misaligned +1");
    fill();
    __asm__ volatile("sw %0, 1(%1)" ::"r"(0xcafef00du), "r"(p) : "memory");
    dump("sw misaligned +1");
    fill();
    __asm__ volatile("sw %0, 2(%1)" ::"r"(0xcafef00du), "r"(p) : "memory");
    dump("sw misaligned +2");
    fill();
    __asm__ volatile("sw %0, 3(%1)" ::"r"(0xcafef00du), "r"(p) : "memory");
    dump("sw misaligned +3");

    /* Loading into the base register itself. */
    fill();
    uint32_t q = (uint32_t)p;
    __asm__ volatile("lw %0, 0(%0)" : "+r"(q) : : "memory");
    print_kx("lw base,0(base)", q);

    /* Every edge value through memory and back, at every width. */
    uint32_t sum = 0;
    for (int i = 0; i < EDGE_COUNT; i++) {
        volatile int8_t b8;
        volatile uint8_t u8;
        volatile int16_t b16;
        volatile uint16_t u16;
        b8 = (int8_t)EDGE[i];
        u8 = (uint8_t)EDGE[i];
        b16 = (int16_t)EDGE[i];
        u16 = (uint16_t)EDGE[i];
        print_hexn((uint32_t)(int32_t)b8, 8);
        print_char(' ');
        print_hexn(u8, 8);
        print_char(' ');
        print_hexn((uint32_t)(int32_t)b16, 8);
        print_char(' ');
        print_hexn(u16, 8);
        print_nl();
        sum += (uint32_t)b8 + u8 + (uint32_t)b16 + u16;
    }
    print_kx("sum", sum);
    return 0;
}
