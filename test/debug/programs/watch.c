/* Watchpoints: a global written and read in a loop. */
#include <faultline-rt/print.h>

volatile int watched = 0;
volatile int neighbour = 0;
int total = 0;

int main(void)
{
	for (int i = 1; i <= 4; i++) {
		neighbour = i;          /* same page, outside the watched range */
		watched = watched + i;  /* read, then write */
		total += neighbour;
	}
	print_dec(watched);
	print_nl();
	print_flush();
	return 0;
}
