/*
 * lz77.c — a compression codec: LZ77 with hash chains (4 KiB window, distances 1..4095, matches
 * of 3..258 bytes) whose tokens are then entropy-coded with a canonical
 * Huffman code over literal/length symbols, then decoded and compared with
 * the input. The input is generated text: words drawn from a small
 * vocabulary with skewed frequencies, so that both stages find structure.
 *
 * Usage: lz77.elf [ROUNDS]   (default 60; each round compresses a fresh 64 KiB)
 * Self-check: every round decompresses to exactly its input, and compresses.
 */
#include "common.h"

#define INPUT_SIZE (64u * 1024u)
#define WINDOW 4096u
#define HASH_BITS 12
#define MIN_MATCH 3
#define MAX_MATCH 258
#define MAX_CHAIN 32

static uint8_t input[INPUT_SIZE];
static uint8_t output[INPUT_SIZE];
static uint16_t head[1u << HASH_BITS];
static uint16_t chain[INPUT_SIZE];

/* Tokens: literal byte (0..255), or match: length symbol 256 + (len - 3), distance. */
static uint16_t tok_sym[INPUT_SIZE];
static uint16_t tok_dist[INPUT_SIZE];

#define SYMBOLS (256 + MAX_MATCH - MIN_MATCH + 1)
static uint32_t freq[SYMBOLS];
static uint8_t code_len[SYMBOLS];
static uint32_t code_bits[SYMBOLS];
static uint8_t packed[INPUT_SIZE * 3];

static const char *const words[] = {
    "the ", "fault ", "handler ", "page ", "region ", "map ", "of ", "a ", "and ", "to ",
    "memory ", "guest ", "thread ", "write ", "read ", "dirty ", "log ", "checkpoint ",
    "restore ", "is ", "in ", "when ", "every ", "instruction ", "retired.\n", "compiled ",
};
#define NWORDS (sizeof(words) / sizeof(words[0]))

static void make_input(void)
{
    uint32_t n = 0;
    while (n < INPUT_SIZE) {
        uint32_t r = rng_next();
        /* Skew: low indices far more often. */
        uint32_t k = (r & 0xff) < 160 ? (r >> 8) % 8 : (r >> 8) % NWORDS;
        const char *w = words[k];
        while (*w && n < INPUT_SIZE)
            input[n++] = (uint8_t)*w++;
        if ((r >> 28) == 0 && n < INPUT_SIZE)
            input[n++] = (uint8_t)('0' + (r >> 20) % 10);
    }
}

static uint32_t hash3(const uint8_t *p)
{
    return ((uint32_t)p[0] << 8 ^ (uint32_t)p[1] << 4 ^ p[2]) & ((1u << HASH_BITS) - 1);
}

static uint32_t compress_tokens(void)
{
    for (uint32_t i = 0; i < (1u << HASH_BITS); i++)
        head[i] = 0xffff;
    uint32_t ntok = 0, i = 0;
    while (i < INPUT_SIZE) {
        uint32_t best_len = 0, best_dist = 0;
        if (i + MIN_MATCH <= INPUT_SIZE) {
            uint32_t h = hash3(&input[i]);
            uint32_t cand = head[h];
            uint32_t steps = 0;
            while (cand != 0xffff && i - cand < WINDOW && steps++ < MAX_CHAIN) {
                uint32_t len = 0, max = INPUT_SIZE - i;
                if (max > MAX_MATCH)
                    max = MAX_MATCH;
                while (len < max && input[cand + len] == input[i + len])
                    len++;
                if (len > best_len) {
                    best_len = len;
                    best_dist = i - cand;
                }
                uint16_t next = chain[cand];
                if (next == 0xffff || next >= cand)
                    break;
                cand = next;
            }
        }
        uint32_t advance = best_len >= MIN_MATCH ? best_len : 1;
        if (best_len >= MIN_MATCH) {
            tok_sym[ntok] = (uint16_t)(256 + best_len - MIN_MATCH);
            tok_dist[ntok] = (uint16_t)best_dist;
        } else {
            tok_sym[ntok] = input[i];
            tok_dist[ntok] = 0;
        }
        ntok++;
        for (uint32_t k = 0; k < advance; k++, i++) {
            if (i + MIN_MATCH <= INPUT_SIZE) {
                uint32_t h = hash3(&input[i]);
                chain[i] = head[h];
                head[h] = (uint16_t)i;
            }
        }
    }
    return ntok;
}

/* Code lengths by the package-free heuristic: sort by frequency, build a Huffman tree with two queues. */
static uint32_t node_w[2 * SYMBOLS];
static int32_t node_parent[2 * SYMBOLS];
static uint16_t order[SYMBOLS];

static void build_code(uint32_t ntok)
{
    for (uint32_t s = 0; s < SYMBOLS; s++)
        freq[s] = 0;
    for (uint32_t t = 0; t < ntok; t++)
        freq[tok_sym[t]]++;
    uint32_t n = 0;
    for (uint32_t s = 0; s < SYMBOLS; s++)
        if (freq[s] != 0)
            order[n++] = (uint16_t)s;
    /* insertion sort by frequency (n is a few hundred at most) */
    for (uint32_t a = 1; a < n; a++) {
        uint16_t v = order[a];
        uint32_t b = a;
        while (b > 0 && freq[order[b - 1]] > freq[v]) {
            order[b] = order[b - 1];
            b--;
        }
        order[b] = v;
    }
    for (uint32_t s = 0; s < SYMBOLS; s++)
        code_len[s] = 0;
    if (n == 1) {
        code_len[order[0]] = 1;
    } else {
        for (uint32_t a = 0; a < n; a++) {
            node_w[a] = freq[order[a]];
            node_parent[a] = -1;
        }
        uint32_t leaf = 0, inner = n, next = n;
        for (uint32_t k = 0; k < n - 1; k++) {
            uint32_t pick[2];
            for (int j = 0; j < 2; j++) {
                if (leaf < n && (inner >= next || node_w[leaf] <= node_w[inner]))
                    pick[j] = leaf++;
                else
                    pick[j] = inner++;
            }
            node_w[next] = node_w[pick[0]] + node_w[pick[1]];
            node_parent[next] = -1;
            node_parent[pick[0]] = (int32_t)next;
            node_parent[pick[1]] = (int32_t)next;
            next++;
        }
        for (uint32_t a = 0; a < n; a++) {
            uint32_t depth = 0;
            for (int32_t p = node_parent[a]; p >= 0; p = node_parent[p])
                depth++;
            code_len[order[a]] = (uint8_t)(depth > 24 ? 24 : depth);
        }
    }
    /* canonical codes */
    uint32_t code = 0;
    for (uint32_t len = 1; len <= 24; len++) {
        for (uint32_t s = 0; s < SYMBOLS; s++)
            if (code_len[s] == len)
                code_bits[s] = code++;
        code <<= 1;
    }
}

static uint32_t bitpos;

static void put_bits(uint32_t value, uint32_t count)
{
    for (uint32_t k = count; k-- > 0;) {
        uint32_t bit = (value >> k) & 1u;
        uint32_t byte = bitpos >> 3;
        if ((bitpos & 7) == 0)
            packed[byte] = 0;
        packed[byte] |= (uint8_t)(bit << (7 - (bitpos & 7)));
        bitpos++;
    }
}

static uint32_t get_bit(uint32_t *pos)
{
    uint32_t p = (*pos)++;
    return (packed[p >> 3] >> (7 - (p & 7))) & 1u;
}

static uint32_t encode(uint32_t ntok)
{
    bitpos = 0;
    for (uint32_t t = 0; t < ntok; t++) {
        uint32_t s = tok_sym[t];
        put_bits(code_bits[s], code_len[s]);
        if (s >= 256)
            put_bits(tok_dist[t], 12);
    }
    return bitpos;
}

/* Decoder: canonical first-code per length. */
static uint32_t first_code[25], first_index[25], count_len[25];
static uint16_t sorted_syms[SYMBOLS];

static uint32_t decode(uint32_t ntok)
{
    uint32_t k = 0;
    for (uint32_t len = 1; len <= 24; len++) {
        count_len[len] = 0;
        first_index[len] = k;
        for (uint32_t s = 0; s < SYMBOLS; s++)
            if (code_len[s] == len) {
                sorted_syms[k++] = (uint16_t)s;
                count_len[len]++;
            }
    }
    uint32_t code = 0;
    for (uint32_t len = 1; len <= 24; len++) {
        first_code[len] = code;
        code = (code + count_len[len]) << 1;
    }
    uint32_t pos = 0, out = 0;
    for (uint32_t t = 0; t < ntok; t++) {
        uint32_t c = 0, len = 0;
        for (;;) {
            c = (c << 1) | get_bit(&pos);
            len++;
            if (c - first_code[len] < count_len[len])
                break;
            if (len == 24)
                return 0xffffffffu;
        }
        uint32_t s = sorted_syms[first_index[len] + c - first_code[len]];
        if (s < 256) {
            output[out++] = (uint8_t)s;
        } else {
            uint32_t dist = 0;
            for (int b = 0; b < 12; b++)
                dist = (dist << 1) | get_bit(&pos);
            uint32_t mlen = s - 256 + MIN_MATCH;
            if (dist == 0 || dist > out || out + mlen > INPUT_SIZE)
                return 0xffffffffu;
            for (uint32_t j = 0; j < mlen; j++, out++)
                output[out] = output[out - dist];
        }
    }
    return out;
}

int main(int argc, char **argv)
{
    uint32_t rounds = parse_rounds(argc, argv, 60);
    uint32_t sum = 2166136261u;
    int ok = 1;
    for (uint32_t r = 0; r < rounds && ok; r++) {
        make_input();
        uint32_t ntok = compress_tokens();
        build_code(ntok);
        uint32_t bits = encode(ntok);
        uint32_t n = decode(ntok);
        if (n != INPUT_SIZE || memcmp(output, input, INPUT_SIZE) != 0)
            ok = 0;
        if (bits / 8 >= INPUT_SIZE / 2)
            ok = 0; /* the text is redundant: it must at least halve */
        sum = mix(sum, ntok);
        sum = mix(sum, bits);
    }
    return finish("lz77", rounds, sum, ok, "decompressed data differs or did not compress");
}
