/* clock_nanosleep in threads: they wake in deadline order; monotonic time never goes back */
#include "files.h"
#define SYS_clock_gettime64 403
#define SYS_clock_nanosleep_time64 407
static long long now_ns(void)
{
    struct timespec64 t;
    sys_call6(SYS_clock_gettime64, 1, (long)&t, 0, 0, 0, 0);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}
static void sleep_ms(int ms)
{
    struct timespec64 t = { 0, ms * 1000000LL };
    sys_call6(SYS_clock_nanosleep_time64, 1, 0, (long)&t, 0, 0, 0);
}
static mutex_t lock;
static int order[3], done;
static int sleeper(void *arg)
{
    int ms = (int)(long)arg;
    long long before = now_ns();
    sleep_ms(ms);
    long long slept = now_ns() - before;
    mutex_lock(&lock);
    order[done++] = ms;
    mutex_unlock(&lock);
    return slept >= ms * 1000000LL ? 0 : 1;
}
int main(void)
{
    thread_t a = thread_create(sleeper, (void *)60L);
    thread_t b = thread_create(sleeper, (void *)5L);
    thread_t c = thread_create(sleeper, (void *)30L);
    int bad = thread_join(a) + thread_join(b) + thread_join(c);
    printf("order %d %d %d, short sleeps %d\n", order[0], order[1], order[2], bad);
    struct timespec64 t = { 0, 1000000000LL };
    f_show("bad nsec", sys_call6(SYS_clock_nanosleep_time64, 1, 0, (long)&t, 0, 0, 0));
    f_show("bad clock", sys_call6(SYS_clock_nanosleep_time64, 3, 0, (long)&t, 0, 0, 0));
    return 0;
}
