/*
 * sha256.c — a hash and a cipher: SHA-256 (FIPS 180-4) and ChaCha20
 * (RFC 8439). Each round hashes one million 'a' characters (a FIPS test
 * vector), encrypts a 32 KiB buffer with ChaCha20 and decrypts it again.
 *
 * Usage: sha256.elf [ROUNDS]   (default 24)
 * Self-check: SHA-256("abc") and SHA-256 of a million 'a's match the
 * published digests; the ChaCha20 block function matches RFC 8439 §2.3.2;
 * every decryption gives back the plaintext.
 */
#include "common.h"

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

struct sha256 {
    uint32_t h[8];
    uint8_t block[64];
    uint32_t used;
    uint32_t total; /* bytes; the inputs here stay under 512 MiB */
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(uint32_t *h, const uint8_t *p)
{
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = hh + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
        uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        hh = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d;
    h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}

static void sha256_init(struct sha256 *s)
{
    static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    for (int i = 0; i < 8; i++)
        s->h[i] = iv[i];
    s->used = 0;
    s->total = 0;
}

static void sha256_update(struct sha256 *s, const uint8_t *p, uint32_t n)
{
    s->total += n;
    while (n > 0) {
        if (s->used == 0 && n >= 64) {
            sha256_block(s->h, p);
            p += 64;
            n -= 64;
            continue;
        }
        uint32_t take = 64 - s->used;
        if (take > n)
            take = n;
        memcpy(s->block + s->used, p, take);
        s->used += take;
        p += take;
        n -= take;
        if (s->used == 64) {
            sha256_block(s->h, s->block);
            s->used = 0;
        }
    }
}

static void sha256_final(struct sha256 *s, uint32_t out[8])
{
    uint32_t bits = s->total * 8;
    uint32_t high = s->total >> 29;
    uint8_t pad = 0x80;
    uint32_t total = s->total;
    sha256_update(s, &pad, 1);
    pad = 0;
    while (s->used != 56)
        sha256_update(s, &pad, 1);
    uint8_t len[8] = {(uint8_t)(high >> 24), (uint8_t)(high >> 16), (uint8_t)(high >> 8), (uint8_t)high,
                      (uint8_t)(bits >> 24), (uint8_t)(bits >> 16), (uint8_t)(bits >> 8), (uint8_t)bits};
    sha256_update(s, len, 8);
    s->total = total;
    for (int i = 0; i < 8; i++)
        out[i] = s->h[i];
}

static const uint32_t ABC[8] = {0xba7816bf, 0x8f01cfea, 0x414140de, 0x5dae2223,
                                0xb00361a3, 0x96177a9c, 0xb410ff61, 0xf20015ad};
static const uint32_t MILLION_A[8] = {0xcdc76e5c, 0x9914fb92, 0x81a1c7e2, 0x84d73e67,
                                      0xf1809a48, 0xa497200e, 0x046d39cc, 0xc7112cd0};

static int same8(const uint32_t *a, const uint32_t *b)
{
    for (int i = 0; i < 8; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

/* ChaCha20 */
#define ROTL(x, n) (((x) << (n)) | ((x) >> (32 - (n))))
#define QR(a, b, c, d) \
    a += b; d ^= a; d = ROTL(d, 16); \
    c += d; b ^= c; b = ROTL(b, 12); \
    a += b; d ^= a; d = ROTL(d, 8); \
    c += d; b ^= c; b = ROTL(b, 7)

static void chacha_block(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3], uint32_t out[16])
{
    uint32_t s[16] = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574,
                      key[0], key[1], key[2], key[3], key[4], key[5], key[6], key[7],
                      counter, nonce[0], nonce[1], nonce[2]};
    uint32_t x[16];
    for (int i = 0; i < 16; i++)
        x[i] = s[i];
    for (int i = 0; i < 10; i++) {
        QR(x[0], x[4], x[8], x[12]);
        QR(x[1], x[5], x[9], x[13]);
        QR(x[2], x[6], x[10], x[14]);
        QR(x[3], x[7], x[11], x[15]);
        QR(x[0], x[5], x[10], x[15]);
        QR(x[1], x[6], x[11], x[12]);
        QR(x[2], x[7], x[8], x[13]);
        QR(x[3], x[4], x[9], x[14]);
    }
    for (int i = 0; i < 16; i++)
        out[i] = x[i] + s[i];
}

/* XORs the keystream into buf (little-endian words), starting at block counter 1. */
static void chacha_xor(const uint32_t key[8], const uint32_t nonce[3], uint8_t *buf, uint32_t n)
{
    uint32_t ks[16];
    for (uint32_t off = 0, counter = 1; off < n; off += 64, counter++) {
        chacha_block(key, counter, nonce, ks);
        for (uint32_t i = 0; i < 64 && off + i < n; i++)
            buf[off + i] ^= (uint8_t)(ks[i >> 2] >> (8 * (i & 3)));
    }
}

#define BUF (32u * 1024u)
static uint8_t chunk[1000];
static uint8_t plain[BUF], crypt[BUF];

int main(int argc, char **argv)
{
    uint32_t rounds = parse_rounds(argc, argv, 24);
    int ok = 1;
    const char *why = "";
    uint32_t digest[8];
    struct sha256 s;

    sha256_init(&s);
    sha256_update(&s, (const uint8_t *)"abc", 3);
    sha256_final(&s, digest);
    if (!same8(digest, ABC)) { ok = 0; why = "sha256(abc)"; }

    /* RFC 8439 2.3.2: key 00..1f, counter 1, nonce 00 00 00 09 00 00 00 4a 00 00 00 00 */
    uint32_t key[8], nonce[3] = {0x09000000, 0x4a000000, 0x00000000}, out[16];
    for (int i = 0; i < 8; i++)
        key[i] = (uint32_t)(4 * i) | (uint32_t)(4 * i + 1) << 8 | (uint32_t)(4 * i + 2) << 16 | (uint32_t)(4 * i + 3) << 24;
    chacha_block(key, 1, nonce, out);
    if (out[0] != 0xe4e7f110 || out[1] != 0x15593bd1 || out[15] != 0x4e3c50a2) { ok = 0; why = "chacha20 block"; }

    memset(chunk, 'a', sizeof chunk);
    uint32_t sum = 2166136261u;
    for (uint32_t r = 0; r < rounds && ok; r++) {
        sha256_init(&s);
        for (int i = 0; i < 1000; i++)
            sha256_update(&s, chunk, sizeof chunk);
        sha256_final(&s, digest);
        if (!same8(digest, MILLION_A)) { ok = 0; why = "sha256(million a)"; }

        for (uint32_t i = 0; i < BUF; i++)
            plain[i] = (uint8_t)rng_next();
        memcpy(crypt, plain, BUF);
        key[0] = r;
        chacha_xor(key, nonce, crypt, BUF);
        sum = mix(sum, crypt[r] | crypt[BUF - 1 - r] << 8);
        if (memcmp(crypt, plain, BUF) == 0) { ok = 0; why = "chacha20 left the data as it was"; }
        chacha_xor(key, nonce, crypt, BUF);
        if (memcmp(crypt, plain, BUF) != 0) { ok = 0; why = "chacha20 round trip"; }
        for (int i = 0; i < 8; i++)
            sum = mix(sum, digest[i]);
    }
    return finish("sha256", rounds, sum, ok, why);
}
