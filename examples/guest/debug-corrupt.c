/*
 * debug-corrupt.c — a guest program to debug with gdb-multiarch
 * (docs/debugging.md): a table in a demand-paged region is filled with
 * squares, then clearing slot 6 clears slot 70 instead (off by 64), and
 * the checksum is wrong. A watchpoint on the slot finds both writes; reverse-continue
 * goes back from the wrong checksum to the corrupting store.
 *
 * Build (with the shipped guest runtime, include/faultline-rt.c):
 *
 *     riscv64-unknown-elf-gcc -march=rv32ima -mabi=ilp32 -static -nostdlib -O0 -g \
 *         -I include -o debug-corrupt examples/guest/debug-corrupt.c include/faultline-rt.c -lgcc
 *
 * Debug (the table's pages appear on first touch, served by the stock
 * demand-paging handler):
 *
 *     faultline run --gdb 1234 --demand-paging 0x50000000:0x10000 debug-corrupt
 *     gdb-multiarch debug-corrupt -ex 'target remote :1234'
 *
 * Run alone it prints "checksum 323450 (expected 328314)" and exits 1.
 */
#include <faultline-rt/print.h>

/* 100 ints in the demand-paged region given with --demand-paging. */
volatile int *const table = (volatile int *)0x50000000;
#define SLOTS 100

static void fill(void)
{
	for (int i = 0; i < SLOTS; i++)
		table[i] = i * i;
}

static void clear(int k)
{
	table[k + 64] = 0; /* the bug: meant table[k] */
}

static int checksum(void)
{
	int sum = 0;
	for (int i = 0; i < SLOTS; i++)
		sum += table[i];
	return sum;
}

int main(void)
{
	fill();
	clear(6);
	int sum = checksum();
	int expected = 328350 - 36; /* squares 0..99 without 6 * 6 */
	print_str("checksum ");
	print_dec(sum);
	print_str(" (expected ");
	print_dec(expected);
	print_str(")\n");
	print_flush();
	return sum == expected ? 0 : 1;
}
