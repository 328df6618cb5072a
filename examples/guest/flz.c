/*
 * flz.c — a small LZSS archiver: packs files (and stdin) into one
 * compressed archive, lists it, checks it and unpacks it. An ordinary C
 * program — stdio, malloc, string.h — that builds with faultline's C
 * library and with picolibc alike (see docs/c-programs.md):
 *
 *     riscv64-unknown-elf-gcc -march=rv32ima -mabi=ilp32 -static -nostdlib -O2 \
 *         -I include/libc -o flz examples/guest/flz.c include/faultline-libc.c -lgcc
 *
 * Usage:
 *
 *     flz c ARCHIVE FILE...   pack FILEs ("-" is stdin, stored as "stdin")
 *     flz l ARCHIVE           list members: size, packed size, CRC-32, name
 *     flz t ARCHIVE           unpack in memory and check every CRC-32
 *     flz x ARCHIVE PREFIX    unpack member NAME into the file PREFIXNAME
 *
 * The archive, all integers little-endian:
 *
 *     "FLZ1"
 *     per member:  u16 name length (1..255), name bytes,
 *                  u32 original size, u32 packed size, u32 CRC-32 (IEEE),
 *                  packed bytes
 *     end:         u16 0
 *
 * Packed bytes are LZSS: groups of 8 items led by a flag byte (bit i set:
 * item i is a literal byte; clear: a match, two bytes
 * `oooooooo oooollll` — offset 1..4096 back (stored minus 1) and length
 * 3..18 (stored minus 3)). The compressor finds matches through hash
 * chains over the last 4096 bytes.
 *
 * Exit status: 0 on success, 1 on a bad archive or I/O error, 2 on a
 * usage error. Messages go to stderr; what goes to stdout is the same on
 * every machine.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WINDOW 4096
#define MIN_MATCH 3
#define MAX_MATCH 18
#define HASH_BITS 12
#define HASH_SIZE (1 << HASH_BITS)
#define CHAIN_LIMIT 64 /* candidates tried per position */
#define NAME_MAX_LEN 255

/* ---- CRC-32 (IEEE 802.3, reflected, as zlib computes it) ------------------ */

static uint32_t crc_table[256];

static void crc_init(void)
{
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[n] = c;
    }
}

static uint32_t crc32_of(const unsigned char *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++)
        c = crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

/* ---- growable byte buffers ------------------------------------------------ */

struct bytes {
    unsigned char *data;
    size_t len, cap;
};

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "flz: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(1);
}

static void push(struct bytes *b, unsigned char c)
{
    if (b->len == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 4096;
        unsigned char *d = realloc(b->data, cap);
        if (d == NULL)
            die("out of memory", NULL);
        b->data = d;
        b->cap = cap;
    }
    b->data[b->len++] = c;
}

/* Reads all of `f` into a new buffer. */
static struct bytes slurp(FILE *f)
{
    struct bytes b = { NULL, 0, 0 };
    unsigned char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        for (size_t i = 0; i < n; i++)
            push(&b, chunk[i]);
    if (ferror(f))
        die("read error", NULL);
    return b;
}

/* ---- LZSS -------------------------------------------------------------------- */

static unsigned hash3(const unsigned char *p)
{
    return ((unsigned)p[0] * 2654435761u ^ (unsigned)p[1] * 40503u ^ (unsigned)p[2]) & (HASH_SIZE - 1);
}

/*
 * Packs in[0..n) into out. head[h] is the latest position with hash h,
 * prev[pos % WINDOW] the one before it with the same hash (-1: none).
 */
static void compress(const unsigned char *in, size_t n, struct bytes *out)
{
    static int32_t head[HASH_SIZE];
    static int32_t prev[WINDOW];
    for (int i = 0; i < HASH_SIZE; i++)
        head[i] = -1;
    size_t pos = 0;
    while (pos < n) {
        size_t flag_at = out->len;
        push(out, 0);
        unsigned char flags = 0;
        for (int item = 0; item < 8 && pos < n; item++) {
            size_t best_len = 0, best_off = 0;
            if (pos + MIN_MATCH <= n) {
                unsigned h = hash3(in + pos);
                int32_t cand = head[h];
                for (int tries = 0; cand >= 0 && tries < CHAIN_LIMIT; tries++) {
                    size_t off = pos - (size_t)cand;
                    if (off > WINDOW)
                        break;
                    size_t len = 0, max = n - pos < MAX_MATCH ? n - pos : MAX_MATCH;
                    while (len < max && in[cand + len] == in[pos + len])
                        len++;
                    if (len > best_len) {
                        best_len = len;
                        best_off = off;
                        if (len == MAX_MATCH)
                            break;
                    }
                    int32_t next = prev[cand % WINDOW];
                    if (next >= cand)
                        break; /* the slot was reused by a newer position */
                    cand = next;
                }
            }
            size_t advance;
            if (best_len >= MIN_MATCH) {
                unsigned code_off = (unsigned)(best_off - 1), code_len = (unsigned)(best_len - MIN_MATCH);
                push(out, (unsigned char)(code_off >> 4));
                push(out, (unsigned char)(((code_off & 15) << 4) | code_len));
                advance = best_len;
            } else {
                flags |= (unsigned char)(1u << item);
                push(out, in[pos]);
                advance = 1;
            }
            for (size_t k = 0; k < advance; k++, pos++) { /* index every position passed */
                if (pos + MIN_MATCH <= n) {
                    unsigned h = hash3(in + pos);
                    prev[pos % WINDOW] = head[h];
                    head[h] = (int32_t)pos;
                }
            }
        }
        out->data[flag_at] = flags;
    }
}

/* Unpacks `packed` into out, which must come to exactly `size` bytes;
 * returns 0, or -1 when the data is corrupt. */
static int decompress(const unsigned char *packed, size_t plen, size_t size, struct bytes *out)
{
    size_t i = 0;
    while (out->len < size) {
        if (i >= plen)
            return -1;
        unsigned flags = packed[i++];
        for (int item = 0; item < 8 && out->len < size; item++) {
            if (flags & (1u << item)) {
                if (i >= plen)
                    return -1;
                push(out, packed[i++]);
            } else {
                if (i + 2 > plen)
                    return -1;
                size_t off = ((size_t)packed[i] << 4 | packed[i + 1] >> 4) + 1;
                size_t len = (size_t)(packed[i + 1] & 15) + MIN_MATCH;
                i += 2;
                if (off > out->len || out->len + len > size)
                    return -1;
                for (size_t k = 0; k < len; k++) /* byte by byte: a match may overlap itself */
                    push(out, out->data[out->len - off]);
            }
        }
    }
    return i == plen ? 0 : -1;
}

/* ---- the archive --------------------------------------------------------------- */

static void put_u16(FILE *f, unsigned v)
{
    fputc((int)(v & 0xff), f);
    fputc((int)(v >> 8), f);
}

static void put_u32(FILE *f, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        fputc((int)((v >> (8 * i)) & 0xff), f);
}

/* Reads a little-endian integer of `n` bytes; -1 at a short read. */
static int get_le(FILE *f, int n, uint32_t *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        int c = fgetc(f);
        if (c == EOF)
            return -1;
        *v |= (uint32_t)c << (8 * i);
    }
    return 0;
}

/* The member name for a path: its last component ("-" is "stdin"). */
static const char *member_name(const char *path)
{
    if (strcmp(path, "-") == 0)
        return "stdin";
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static int pack(const char *archive, char **paths, int count)
{
    FILE *out = fopen(archive, "wb");
    if (out == NULL)
        die("cannot create", archive);
    fputs("FLZ1", out);
    unsigned long total_in = 0, total_out = 0;
    for (int i = 0; i < count; i++) {
        const char *name = member_name(paths[i]);
        size_t name_len = strlen(name);
        if (name_len == 0 || name_len > NAME_MAX_LEN)
            die("bad member name", paths[i]);
        FILE *in = strcmp(paths[i], "-") == 0 ? stdin : fopen(paths[i], "rb");
        if (in == NULL)
            die("cannot open", paths[i]);
        struct bytes data = slurp(in);
        if (in != stdin)
            fclose(in);
        struct bytes packed = { NULL, 0, 0 };
        compress(data.data, data.len, &packed);
        uint32_t crc = crc32_of(data.data, data.len);
        put_u16(out, (unsigned)name_len);
        fwrite(name, 1, name_len, out);
        put_u32(out, (uint32_t)data.len);
        put_u32(out, (uint32_t)packed.len);
        put_u32(out, crc);
        if (packed.len > 0)
            fwrite(packed.data, 1, packed.len, out);
        unsigned pct = data.len ? (unsigned)((packed.len * 100 + data.len / 2) / data.len) : 100;
        printf("packed %-16s %7lu -> %7lu (%3u%%) crc %08lx\n", name, (unsigned long)data.len,
               (unsigned long)packed.len, pct, (unsigned long)crc);
        total_in += data.len;
        total_out += packed.len;
        free(data.data);
        free(packed.data);
    }
    put_u16(out, 0);
    if (ferror(out) || fclose(out) != 0)
        die("write error", archive);
    printf("%d member%s, %lu bytes in, %lu bytes packed\n", count, count == 1 ? "" : "s", total_in, total_out);
    return 0;
}

/* What to do with each member while walking an archive. */
enum walk_mode { WALK_LIST, WALK_TEST, WALK_EXTRACT };

static int walk(const char *archive, enum walk_mode mode, const char *prefix)
{
    FILE *in = fopen(archive, "rb");
    if (in == NULL)
        die("cannot open", archive);
    char magic[4];
    if (fread(magic, 1, 4, in) != 4 || memcmp(magic, "FLZ1", 4) != 0)
        die("not an flz archive", archive);
    int members = 0, bad = 0;
    unsigned long total = 0;
    for (;;) {
        uint32_t name_len, size, plen, crc;
        if (get_le(in, 2, &name_len) < 0)
            die("truncated archive", archive);
        if (name_len == 0)
            break;
        char name[NAME_MAX_LEN + 1];
        if (name_len > NAME_MAX_LEN || fread(name, 1, name_len, in) != name_len)
            die("bad member name in", archive);
        name[name_len] = '\0';
        if (strchr(name, '/') != NULL)
            die("member name with a '/'", name);
        if (get_le(in, 4, &size) < 0 || get_le(in, 4, &plen) < 0 || get_le(in, 4, &crc) < 0)
            die("truncated archive", archive);
        unsigned char *packed = malloc(plen ? plen : 1);
        if (packed == NULL)
            die("out of memory", NULL);
        if (fread(packed, 1, plen, in) != plen)
            die("truncated archive", archive);
        members++;
        total += size;
        if (mode == WALK_LIST) {
            printf("%7lu %7lu %08lx %s\n", (unsigned long)size, (unsigned long)plen, (unsigned long)crc, name);
        } else {
            struct bytes data = { NULL, 0, 0 };
            int ok = decompress(packed, plen, size, &data) == 0 && crc32_of(data.data, data.len) == crc;
            if (!ok) {
                bad++;
                printf("%s: BAD\n", name);
            } else if (mode == WALK_TEST) {
                printf("%s: ok\n", name);
            } else {
                char path[1024];
                snprintf(path, sizeof path, "%s%s", prefix, name);
                FILE *out = fopen(path, "wb");
                if (out == NULL)
                    die("cannot create", path);
                if (data.len > 0)
                    fwrite(data.data, 1, data.len, out);
                if (ferror(out) || fclose(out) != 0)
                    die("write error", path);
                printf("unpacked %s (%lu bytes)\n", name, (unsigned long)data.len);
            }
            free(data.data);
        }
        free(packed);
    }
    fclose(in);
    printf("%d member%s, %lu bytes%s\n", members, members == 1 ? "" : "s", total, bad ? ", some BAD" : "");
    return bad ? 1 : 0;
}

static int usage(void)
{
    fputs("usage: flz c ARCHIVE FILE... | flz l ARCHIVE | flz t ARCHIVE | flz x ARCHIVE PREFIX\n", stderr);
    return 2;
}

int main(int argc, char **argv)
{
    crc_init();
    if (argc < 3 || strlen(argv[1]) != 1)
        return usage();
    switch (argv[1][0]) {
    case 'c':
        return argc < 4 ? usage() : pack(argv[2], argv + 3, argc - 3);
    case 'l':
        return argc != 3 ? usage() : walk(argv[2], WALK_LIST, NULL);
    case 't':
        return argc != 3 ? usage() : walk(argv[2], WALK_TEST, NULL);
    case 'x':
        return argc != 4 ? usage() : walk(argv[2], WALK_EXTRACT, argv[3]);
    default:
        return usage();
    }
}
