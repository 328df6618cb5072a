/* Debugger sessions: breakpoints, stepping, registers, memory, set var. */
#include <faultline-rt/print.h>

int counter = 5;
int values[16];

int add(int a, int b)
{
	return a + b;
}

int scale(int v)
{
	int twice = add(v, v);
	return twice * 3;
}

int main(void)
{
	for (int i = 0; i < 16; i++)
		values[i] = i * 3 + 1;
	counter = add(counter, 7);
	counter = scale(counter);
	print_dec(counter);
	print_nl();
	print_flush();
	return counter == 72 ? 0 : 3;
}
