/*
 * shared_memory.c — threads share one address space (CLONE_VM): a
 * thread's mmap is readable by the first thread, and the first thread's
 * globals and stack are writable by a thread; mprotect and munmap from a
 * thread succeed on the first thread's view of the page, and after the
 * munmap a MAP_FIXED mapping at that address is a fresh zeroed page.
 */
#include "corpus.h"

static volatile uint32_t global_word;

struct job {
    volatile uint32_t *main_stack_word;
    long mapped;  /* set by the thread: a page it mapped and filled */
};

static int mapper(void *arg)
{
    struct job *job = arg;
    *job->main_stack_word = 0xfeedu;
    global_word = 0xbeefu;
    long page = sys_mmap_anon(PAGE_SIZE, PROT_READ | PROT_WRITE);
    if (sys_failed(page))
        return 1;
    uint32_t *words = (uint32_t *)page;
    for (uint32_t i = 0; i < PAGE_SIZE / 4; i++)
        words[i] = i * 3u;
    job->mapped = page;
    return 0;
}

static int protector(void *arg)
{
    return (int)sys_mprotect((long)arg, PAGE_SIZE, PROT_READ);
}

static int unmapper(void *arg)
{
    return (int)sys_munmap((long)arg, PAGE_SIZE);
}

int main(void)
{
    volatile uint32_t stack_word = 0;
    struct job job = { &stack_word, 0 };
    printf("mapper returned %d\n", thread_join(spawn(mapper, &job)));
    printf("stack word written by the thread=0x%lx\n", (unsigned long)stack_word);
    printf("global written by the thread=0x%lx\n", (unsigned long)global_word);
    uint32_t sum = 0;
    const uint32_t *words = (const uint32_t *)job.mapped;
    for (uint32_t i = 0; i < PAGE_SIZE / 4; i++)
        sum += words[i];
    printf("sum over the thread's page=%lu\n", (unsigned long)sum);
    printf("mprotect from a thread=%d\n", thread_join(spawn(protector, (void *)job.mapped)));
    printf("munmap from a thread=%d\n", thread_join(spawn(unmapper, (void *)job.mapped)));
    long again = sys_mmap(job.mapped, PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    say("the page is free again and comes back zeroed", again == job.mapped && words[0] == 0 && words[5] == 0);
    return 0;
}
