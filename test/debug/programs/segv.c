/* A write through a bad pointer: SIGSEGV. */
#include <faultline-rt/print.h>

int *volatile target = (int *)16;

int poke(int v)
{
	*target = v;
	return v;
}

int main(void)
{
	print_str("before\n");
	print_flush();
	return poke(42);
}
