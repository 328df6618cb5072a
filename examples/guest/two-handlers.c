/*
 * two-handlers.c — a guest program that handles its own page faults with
 * two handlers in faultline's chain (register_fault_handler, <faultline.h>).
 *
 * What it shows:
 * - `watcher`, registered at the head, sees every fault first. It owns the
 *   page at TABLE: a fault there maps the page, fills it with a computed
 *   table and answers FAULT_FIXED. Any other address is not its business:
 *   it counts the fault and answers FAULT_CONTINUE, so the chain asks the
 *   next handler.
 * - `pager`, registered at the tail, owns the range at POOL: it maps the
 *   faulting page with mmap(MAP_FIXED), fills every word with its own
 *   address and answers FAULT_FIXED; the faulting load or store is retried
 *   and succeeds.
 * - register/unregister errors: a misaligned function gives -EINVAL (-22),
 *   registering twice -EEXIST (-17), unregistering twice -ENOENT (-2).
 *
 * Build and run (with the shipped guest runtime, include/faultline-rt.c):
 *
 *     riscv64-unknown-elf-gcc -march=rv32ima -mabi=ilp32 -static -nostdlib -O2 \
 *         -I include -o /tmp/two-handlers examples/guest/two-handlers.c include/faultline-rt.c -lgcc
 *     node dist/cli/main.js run /tmp/two-handlers
 *
 * Output:
 *
 *     register watcher (head)=0
 *     register pager (tail)=0
 *     register pager again=-17
 *     register misaligned=-22
 *     read  0x50000000 = 0x50000000
 *     read  0x50000ff0 = 0x50000ff0
 *     write 0x50003008 = 7, read back 7
 *     read  0x60000010 = 0x00000010
 *     read  0x60000ffc = 0x00000ffc
 *     watcher: 3 faults seen, 2 passed on, 1 fixed
 *     pager: 2 pages mapped
 *     unregister pager = 0, again = -2
 */
#include "faultline.h"
#include "faultline-rt.h"

#define POOL      0x50000000u /* pager's range: 16 pages              */
#define POOL_SIZE (16 * PAGE_SIZE)
#define TABLE     0x60000000u /* watcher's page: a table of offsets   */

static unsigned int watcher_seen, watcher_passed, watcher_fixed;
static unsigned int pager_pages;

/* Maps the page holding `address` read+write at its own address; 0 or -errno. */
static long map_page(unsigned int address)
{
    unsigned int page = address & ~(PAGE_SIZE - 1);
    long r = sys_mmap((long)page, PAGE_SIZE, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    return mmap_failed(r) ? r : 0;
}

/* Head handler: owns the page at TABLE, passes everything else on. */
static int watcher(struct user_context *ctx, const struct fault_info *info)
{
    (void)ctx;
    watcher_seen++;
    if (info->address - TABLE >= PAGE_SIZE) {
        watcher_passed++;
        return FAULT_CONTINUE;
    }
    if (map_page(info->address) != 0)
        return FAULT_FAIL;
    unsigned int *table = (unsigned int *)TABLE;
    for (unsigned int k = 0; k < PAGE_SIZE / 4; k++)
        table[k] = 4 * k; /* each word holds its offset */
    watcher_fixed++;
    return FAULT_FIXED;
}

/* Tail handler: demand-maps the pool; each word holds its own address. */
static int pager(struct user_context *ctx, const struct fault_info *info)
{
    (void)ctx;
    if (info->address - POOL >= POOL_SIZE || (info->flags & FAULT_FLAG_PROTECTION))
        return FAULT_CONTINUE;
    if (map_page(info->address) != 0)
        return FAULT_FAIL;
    unsigned int *word = (unsigned int *)(info->address & ~(PAGE_SIZE - 1));
    for (unsigned int k = 0; k < PAGE_SIZE / 4; k++)
        word[k] = (unsigned int)&word[k];
    pager_pages++;
    return FAULT_FIXED;
}

static unsigned int read_word(unsigned int address)
{
    return *(volatile unsigned int *)address;
}

static void show_read(unsigned int address)
{
    unsigned int value = read_word(address);
    print_str("read  ");
    print_hex(address);
    print_str(" = ");
    print_hex(value);
    print_nl();
}

int main(void)
{
    print_kv("register watcher (head)", register_fault_handler(watcher, 0));
    print_kv("register pager (tail)", register_fault_handler(pager, 1));
    print_kv("register pager again", register_fault_handler(pager, 1));
    print_kv("register misaligned", register_fault_handler((fault_handler_t)((unsigned int)pager + 2), 0));

    show_read(POOL);          /* fault: watcher passes, pager maps  */
    show_read(POOL + 0xff0);  /* same page: no fault                */

    volatile unsigned int *p = (volatile unsigned int *)(POOL + 3 * PAGE_SIZE + 8);
    *p = 7;                   /* store fault: the store is retried  */
    print_str("write ");
    print_hex((unsigned int)p);
    print_str(" = 7, read back ");
    print_dec((int32_t)*p);
    print_nl();

    show_read(TABLE + 0x10);  /* fault: watcher owns it             */
    show_read(TABLE + 0xffc);

    print_str("watcher: ");
    print_udec(watcher_seen);
    print_str(" faults seen, ");
    print_udec(watcher_passed);
    print_str(" passed on, ");
    print_udec(watcher_fixed);
    print_str(" fixed\n");
    print_str("pager: ");
    print_udec(pager_pages);
    print_str(" pages mapped\n");

    int first = unregister_fault_handler(pager);
    int second = unregister_fault_handler(pager);
    print_str("unregister pager = ");
    print_dec(first);
    print_str(", again = ");
    print_dec(second);
    print_nl();
    return 0;
}
