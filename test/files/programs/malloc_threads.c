/* malloc/free from four threads at once, each checking its own blocks; each writes a report file. */
#include <fcntl.h>
#include <faultline-thread.h>
#include "check.h"

#define THREADS 4
#define ROUNDS 3000
#define SLOTS 64

static int work(void *arg)
{
    int id = (int)(long)arg;
    unsigned char *slot[SLOTS] = { 0 };
    size_t size[SLOTS] = { 0 };
    unsigned s = 7u + (unsigned)id;
    int bad = 0;
    for (int r = 0; r < ROUNDS; r++) {
        s = s * 1103515245u + 12345u;
        int i = (int)((s >> 16) % SLOTS);
        if (slot[i] != NULL) {
            for (size_t k = 0; k < size[i]; k++)
                if (slot[i][k] != (unsigned char)(id * 31 + i + k))
                    bad++;
            free(slot[i]);
            slot[i] = NULL;
        } else {
            size[i] = 1 + (s >> 8) % (r % 100 == 0 ? 100000 : 700);
            slot[i] = malloc(size[i]);
            MUST(slot[i] != NULL);
            for (size_t k = 0; k < size[i]; k++)
                slot[i][k] = (unsigned char)(id * 31 + i + k);
        }
    }
    for (int i = 0; i < SLOTS; i++)
        free(slot[i]);
    char name[32];
    snprintf(name, sizeof name, "thread-%d.txt", id);
    FILE *f = fopen(name, "w");
    MUST(f != NULL);
    fprintf(f, "thread %d: %d rounds, %d bad bytes\n", id, ROUNDS, bad);
    fclose(f);
    return bad;
}

int main(int argc, char **argv)
{
    enter_scratch(argc, argv);
    thread_t t[THREADS];
    for (long i = 0; i < THREADS; i++) {
        t[i] = thread_create(work, (void *)i);
        MUST(t[i] != NULL);
    }
    int bad = 0;
    for (int i = 0; i < THREADS; i++)
        bad += thread_join(t[i]);
    printf("%d threads, %d bad bytes\n", THREADS, bad);
    for (int i = 0; i < THREADS; i++) {
        char name[32], line[80];
        snprintf(name, sizeof name, "thread-%d.txt", i);
        FILE *f = fopen(name, "r");
        MUST(f != NULL && fgets(line, sizeof line, f) != NULL);
        fputs(line, stdout);
        fclose(f);
    }
    /* calloc and realloc keep contents */
    int *v = calloc(1000, sizeof *v);
    long zeros = 0;
    for (int i = 0; i < 1000; i++)
        zeros += v[i] == 0;
    for (int i = 0; i < 1000; i++)
        v[i] = i;
    v = realloc(v, 200000 * sizeof *v);
    long sum = 0;
    for (int i = 0; i < 1000; i++)
        sum += v[i];
    printf("calloc zeros %ld, realloc kept sum %ld\n", zeros, sum);
    free(v);
    return bad != 0;
}
