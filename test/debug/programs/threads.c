/* Two threads: a breakpoint in the worker, info threads, thread N. */
#include <faultline-rt/print.h>
#include <faultline-rt/thread.h>

volatile int result = 0;

int worker(void *arg)
{
	int v = (int)(long)arg;
	result = v * 2;
	return 0;
}

int main(void)
{
	thread_t t = thread_create(worker, (void *)21L);
	thread_join(t);
	print_dec(result);
	print_nl();
	print_flush();
	return 0;
}
