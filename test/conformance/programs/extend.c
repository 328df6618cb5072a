/*
 * extend.c — sign and zero extension as C compiles it: conversions between
 * int8/uint8/int16/uint16/int32/uint32, arithmetic versus logical right
 * shifts, signed versus unsigned comparisons and divisions of the same
 * bits, bit-field extraction, and 64-bit arithmetic built from 32-bit
 * halves (carries through sltu, mulhu).
 */
#include "edge.h"

struct bits {
    int s3 : 3;
    unsigned u5 : 5;
    int s11 : 11;
    unsigned u13 : 13;
};

static volatile uint32_t sink;

__attribute__((noinline)) static int32_t widen_s8(int8_t v) { return v; }
__attribute__((noinline)) static uint32_t widen_u8(uint8_t v) { return v; }
__attribute__((noinline)) static int32_t widen_s16(int16_t v) { return v; }
__attribute__((noinline)) static uint32_t widen_u16(uint16_t v) { return v; }

int main(void)
{
    for (int i = 0; i < EDGE_COUNT; i++) {
        volatile uint32_t x = EDGE[i];
        int32_t s = (int32_t)x;
        print_hexn(x, 8);
        print_char(':');
        print_char(' ');
        print_hexn((uint32_t)widen_s8((int8_t)x), 8);
        print_char(' ');
        print_hexn(widen_u8((uint8_t)x), 8);
        print_char(' ');
        print_hexn((uint32_t)widen_s16((int16_t)x), 8);
        print_char(' ');
        print_hexn(widen_u16((uint16_t)x), 8);
        print_char(' ');
        print_hexn((uint32_t)(s >> 7), 8);
        print_char(' ');
        print_hexn(x >> 7, 8);
        print_char(' ');
        print_dec(s < 1);
        print_dec(x < 1u);
        print_dec(s > -2);
        print_dec(x > (uint32_t)-2);
        print_char(' ');
        print_hexn((uint32_t)(s / 3), 8);
        print_char(' ');
        print_hexn(x / 3u, 8);
        print_char(' ');
        print_hexn((uint32_t)(s % 5), 8);
        print_char(' ');
        print_hexn(x % 5u, 8);
        print_nl();

        struct bits b;
        b.s3 = (int)x;
        b.u5 = x;
        b.s11 = (int)(x >> 3);
        b.u13 = x >> 7;
        print_str("  bits ");
        print_dec(b.s3);
        print_char(' ');
        print_udec(b.u5);
        print_char(' ');
        print_dec(b.s11);
        print_char(' ');
        print_udec(b.u13);
        print_nl();
    }

    /* 64-bit arithmetic from 32-bit instructions. */
    uint64_t acc = 0x0123456789abcdefull;
    int64_t sacc = -1234567890123ll;
    for (int i = 0; i < EDGE_COUNT; i++) {
        volatile uint32_t x = EDGE[i];
        acc = acc * 6364136223846793005ull + x;
        acc ^= acc >> 29;
        sacc = sacc * -3 + (int32_t)x;
        sacc >>= 1;
        print_hexn((uint32_t)(acc >> 32), 8);
        print_hexn((uint32_t)acc, 8);
        print_char(' ');
        print_hexn((uint32_t)((uint64_t)sacc >> 32), 8);
        print_hexn((uint32_t)sacc, 8);
        print_char(' ');
        print_dec(sacc < 0);
        print_dec((int64_t)acc < sacc);
        print_nl();
    }
    sink = (uint32_t)acc;
    return 0;
}
