/*
 * sort.c — sorting and searching: quicksort (median of three, insertion
 * sort for short runs), a bottom-up merge sort and a heap sort of the same
 * 32,768 random keys, then a binary search for 65,536 keys (half present).
 *
 * Usage: sort.elf [ROUNDS]   (default 14)
 * Self-check: the three sorts agree, the result is ordered and a
 * permutation of the input (sum and xor kept), and every search answer is
 * confirmed by looking at its neighbours.
 */
#include "common.h"

#define N 32768u

static uint32_t data[N], a[N], b[N], tmp[N], h[N];

static void insertion(uint32_t *v, int32_t lo, int32_t hi)
{
    for (int32_t i = lo + 1; i <= hi; i++) {
        uint32_t x = v[i];
        int32_t j = i - 1;
        while (j >= lo && v[j] > x) {
            v[j + 1] = v[j];
            j--;
        }
        v[j + 1] = x;
    }
}

static void quicksort(uint32_t *v, int32_t lo, int32_t hi)
{
    while (hi - lo > 16) {
        int32_t mid = lo + (hi - lo) / 2;
        if (v[mid] < v[lo]) { uint32_t t = v[mid]; v[mid] = v[lo]; v[lo] = t; }
        if (v[hi] < v[lo]) { uint32_t t = v[hi]; v[hi] = v[lo]; v[lo] = t; }
        if (v[hi] < v[mid]) { uint32_t t = v[hi]; v[hi] = v[mid]; v[mid] = t; }
        uint32_t pivot = v[mid];
        int32_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot) i++;
            while (v[j] > pivot) j--;
            if (i <= j) {
                uint32_t t = v[i]; v[i] = v[j]; v[j] = t;
                i++;
                j--;
            }
        }
        if (j - lo < hi - i) {
            quicksort(v, lo, j);
            lo = i;
        } else {
            quicksort(v, i, hi);
            hi = j;
        }
    }
    insertion(v, lo, hi);
}

static void mergesort(uint32_t *v, uint32_t n)
{
    uint32_t *src = v, *dst = tmp;
    for (uint32_t width = 1; width < n; width *= 2) {
        for (uint32_t lo = 0; lo < n; lo += 2 * width) {
            uint32_t mid = lo + width < n ? lo + width : n;
            uint32_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            uint32_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                dst[k++] = src[i] <= src[j] ? src[i++] : src[j++];
            while (i < mid)
                dst[k++] = src[i++];
            while (j < hi)
                dst[k++] = src[j++];
        }
        uint32_t *t = src; src = dst; dst = t;
    }
    if (src != v)
        memcpy(v, src, n * sizeof *v);
}

static void sift(uint32_t *v, uint32_t root, uint32_t n)
{
    uint32_t x = v[root];
    for (;;) {
        uint32_t child = 2 * root + 1;
        if (child >= n)
            break;
        if (child + 1 < n && v[child + 1] > v[child])
            child++;
        if (v[child] <= x)
            break;
        v[root] = v[child];
        root = child;
    }
    v[root] = x;
}

static void heapsort(uint32_t *v, uint32_t n)
{
    for (uint32_t i = n / 2; i-- > 0;)
        sift(v, i, n);
    for (uint32_t end = n - 1; end > 0; end--) {
        uint32_t t = v[0]; v[0] = v[end]; v[end] = t;
        sift(v, 0, end);
    }
}

/* First index with v[i] >= key (N when none). */
static uint32_t lower_bound(const uint32_t *v, uint32_t n, uint32_t key)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (v[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int main(int argc, char **argv)
{
    uint32_t rounds = parse_rounds(argc, argv, 14);
    uint32_t sum = 2166136261u;
    int ok = 1;
    const char *why = "";
    for (uint32_t r = 0; r < rounds && ok; r++) {
        uint32_t add = 0, xr = 0;
        for (uint32_t i = 0; i < N; i++) {
            data[i] = rng_next() % (N * 4);
            add += data[i];
            xr ^= data[i];
        }
        memcpy(a, data, sizeof a);
        memcpy(b, data, sizeof b);
        memcpy(h, data, sizeof h);
        quicksort(a, 0, (int32_t)N - 1);
        mergesort(b, N);
        heapsort(h, N);
        uint32_t add2 = 0, xr2 = 0;
        for (uint32_t i = 0; i < N; i++) {
            if (a[i] != b[i] || a[i] != h[i]) { ok = 0; why = "sorts disagree"; break; }
            if (i > 0 && a[i - 1] > a[i]) { ok = 0; why = "not ordered"; break; }
            add2 += a[i];
            xr2 ^= a[i];
        }
        if (add != add2 || xr != xr2) { ok = 0; why = "not a permutation"; }
        uint32_t found = 0;
        for (uint32_t q = 0; q < 2 * N && ok; q++) {
            uint32_t key = (q & 1) ? data[(q * 7919u) % N] : rng_next() % (N * 4);
            uint32_t at = lower_bound(a, N, key);
            if ((at < N && a[at] < key) || (at > 0 && a[at - 1] >= key)) { ok = 0; why = "search"; }
            if ((q & 1) && (at == N || a[at] != key)) { ok = 0; why = "present key not found"; }
            found += at < N && a[at] == key;
        }
        sum = mix(mix(sum, found), a[N / 2]);
    }
    return finish("sort", rounds, sum, ok, why);
}
