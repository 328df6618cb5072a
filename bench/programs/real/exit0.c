/*
 * exit0.c — exits at once with status 0: the start-up benchmark
 * (startup_ms, qemu_startup_ms) measures loading and starting a program.
 */
int main(void)
{
    return 0;
}
