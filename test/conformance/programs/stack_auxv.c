/*
 * stack_auxv.c — the initial stack as the Linux ELF ABI lays it out:
 * sp 16-byte aligned -> argc (1 here: no arguments), argv[0] non-null,
 * argv[argc] == NULL, envp NULL-terminated, then the auxiliary vector with
 * AT_PAGESZ = 4096 and an AT_NULL terminator (AT_ENTRY, when present,
 * equals the ELF entry point). Also: a large stack frame is usable,
 * initialised .data holds its values and .bss/.sbss start zeroed. The
 * environment's size and contents are host-dependent and never printed.
 */
#include "faultline-rt.h"

#define AT_NULL 0
#define AT_PAGESZ 6
#define AT_ENTRY 9

extern void _start(void);

static uint32_t big_bss[4096];
static uint32_t small_bss;
static uint32_t data_words[4] = {0x11111111u, 0x22222222u, 0xdeadbeefu, 7};
static int small_data = -5;

__attribute__((noinline)) static uint32_t big_frame(uint32_t seed)
{
    volatile uint8_t frame[64 * 1024];
    for (uint32_t i = 0; i < sizeof frame; i += 512)
        frame[i] = (uint8_t)(seed + i);
    uint32_t s = 0;
    for (uint32_t i = 0; i < sizeof frame; i += 512)
        s = s * 3u + frame[i];
    return s;
}

int main(int argc, char **argv, char **envp)
{
    uint32_t *sp = (uint32_t *)argv - 1;
    print_kv("sp 16-byte aligned", ((uint32_t)sp & 15u) == 0);
    print_kv("argc", argc);
    print_kv("argc at sp", (int32_t)sp[0]);
    print_kv("argv[0] non-null", argv[0] != 0);
    print_kv("argv[0] non-empty", argv[0] != 0 && argv[0][0] != 0);
    print_kv("argv[argc] null", argv[argc] == 0);
    print_kv("envp follows argv", (uint32_t *)envp == (uint32_t *)&argv[argc + 1]);

    char **e = envp;
    while (*e)
        e++;
    uint32_t *auxv = (uint32_t *)(e + 1);
    int found_null = 0, pagesz_seen = 0, entry_ok = 1;
    uint32_t pagesz = 0;
    for (int i = 0; i < 64; i++) {
        uint32_t key = auxv[2 * i], val = auxv[2 * i + 1];
        if (key == AT_NULL) {
            found_null = 1;
            break;
        }
        if (key == AT_PAGESZ) {
            pagesz_seen = 1;
            pagesz = val;
        }
        if (key == AT_ENTRY && val != (uint32_t)_start)
            entry_ok = 0;
    }
    print_kv("auxv AT_NULL within 64 entries", found_null);
    print_kv("auxv AT_PAGESZ present", pagesz_seen);
    print_kv("auxv AT_PAGESZ", (int32_t)pagesz);
    print_kv("auxv AT_ENTRY absent or entry point", entry_ok);

    uint32_t nz = small_bss;
    for (int i = 0; i < 4096; i++)
        nz |= big_bss[i];
    print_kv("bss zero", nz == 0);
    big_bss[4095] = 9;
    print_kx("data[2]", data_words[2]);
    print_kv("small data", small_data);
    data_words[3] += 1;
    print_kv("data[3]+1", (int32_t)data_words[3]);
    print_kx("64 KiB frame", big_frame(3));
    return 0;
}
