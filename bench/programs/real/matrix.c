/*
 * matrix.c — a matrix kernel: 96x96 integer matrix products, blocked
 * (8x8 tiles, i-k-j order), chained C = A*B, D = C*A, and a 2-D 5-point
 * stencil relaxation over a 256x256 grid.
 *
 * Usage: matrix.elf [ROUNDS]   (default 40)
 * Self-check: each product is verified with Freivalds' test against random
 * vectors (A(Bx) == (AB)x, exact in 32-bit modular arithmetic), and the
 * stencil keeps the sum of a conserved quantity.
 */
#include "common.h"

#define M 96
#define T 8
#define G 256

static int32_t A[M][M], B[M][M], C[M][M], D[M][M];
static int32_t grid[2][G][G];

static void matmul(int32_t (*x)[M], int32_t (*y)[M], int32_t (*z)[M])
{
    for (int i = 0; i < M; i++)
        for (int j = 0; j < M; j++)
            z[i][j] = 0;
    for (int ii = 0; ii < M; ii += T)
        for (int kk = 0; kk < M; kk += T)
            for (int jj = 0; jj < M; jj += T)
                for (int i = ii; i < ii + T; i++)
                    for (int k = kk; k < kk + T; k++) {
                        int32_t xv = x[i][k];
                        int32_t *zr = &z[i][jj];
                        const int32_t *yr = &y[k][jj];
                        for (int j = 0; j < T; j++)
                            zr[j] += xv * yr[j];
                    }
}

static void matvec(int32_t (*x)[M], const int32_t *v, int32_t *out)
{
    for (int i = 0; i < M; i++) {
        int32_t s = 0;
        for (int k = 0; k < M; k++)
            s += x[i][k] * v[k];
        out[i] = s;
    }
}

/* Freivalds: x*(y*v) == z*v for a few random v. */
static int freivalds(int32_t (*x)[M], int32_t (*y)[M], int32_t (*z)[M])
{
    int32_t v[M], yv[M], xyv[M], zv[M];
    for (int t = 0; t < 3; t++) {
        for (int i = 0; i < M; i++)
            v[i] = (int32_t)(rng_next() & 0xffff);
        matvec(y, v, yv);
        matvec(x, yv, xyv);
        matvec(z, v, zv);
        for (int i = 0; i < M; i++)
            if (xyv[i] != zv[i])
                return 0;
    }
    return 1;
}

/* Jacobi-like step whose total is kept: each cell gives a quarter of its
 * integer quarter to each neighbour (walls reflect). */
static uint32_t relax(int steps)
{
    int cur = 0;
    for (int s = 0; s < steps; s++) {
        int32_t (*src)[G] = grid[cur], (*dst)[G] = grid[cur ^ 1];
        for (int i = 0; i < G; i++)
            for (int j = 0; j < G; j++) {
                int32_t v = src[i][j];
                int32_t keep = v - 4 * (v >> 3);
                int32_t in = 0;
                in += i > 0 ? src[i - 1][j] >> 3 : v >> 3;
                in += i < G - 1 ? src[i + 1][j] >> 3 : v >> 3;
                in += j > 0 ? src[i][j - 1] >> 3 : v >> 3;
                in += j < G - 1 ? src[i][j + 1] >> 3 : v >> 3;
                dst[i][j] = keep + in;
            }
        cur ^= 1;
    }
    uint32_t total = 0;
    for (int i = 0; i < G; i++)
        for (int j = 0; j < G; j++)
            total += (uint32_t)grid[cur][i][j];
    return total;
}

int main(int argc, char **argv)
{
    uint32_t rounds = parse_rounds(argc, argv, 40);
    uint32_t sum = 2166136261u;
    int ok = 1;
    const char *why = "";
    for (uint32_t r = 0; r < rounds && ok; r++) {
        for (int i = 0; i < M; i++)
            for (int j = 0; j < M; j++) {
                A[i][j] = (int32_t)(rng_next() % 2001) - 1000;
                B[i][j] = (int32_t)(rng_next() % 2001) - 1000;
            }
        matmul(A, B, C);
        matmul(C, A, D);
        if (!freivalds(A, B, C) || !freivalds(C, A, D)) { ok = 0; why = "matrix product"; }
        uint32_t before = 0;
        for (int i = 0; i < G; i++)
            for (int j = 0; j < G; j++) {
                grid[0][i][j] = (int32_t)(rng_next() & 0xfffff);
                before += (uint32_t)grid[0][i][j];
            }
        uint32_t after = relax(8);
        if (after != before) { ok = 0; why = "stencil lost mass"; }
        for (int i = 0; i < M; i++)
            sum = mix(sum, (uint32_t)D[i][(i * 7) % M]);
        sum = mix(sum, after);
    }
    return finish("matrix", rounds, sum, ok, why);
}
