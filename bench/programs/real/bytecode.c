/*
 * bytecode.c — a bytecode interpreter loop: a small stack machine (push,
 * arithmetic, locals, compare, jumps, calls and returns) running three
 * programs — an iterative sieve-free prime count, a recursive Fibonacci
 * and a string-hash loop over its own memory — each checked against the
 * same computation written directly in C.
 *
 * Usage: bytecode.elf [ROUNDS]   (default 3)
 * Self-check: every program's result equals the native one.
 */
#include "common.h"

enum {
    OP_HALT, OP_PUSH, OP_POP, OP_DUP, OP_SWAP, OP_OVER,
    OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD, OP_AND, OP_XOR, OP_SHL, OP_SHR,
    OP_LT, OP_EQ, OP_JMP, OP_JZ, OP_JNZ,
    OP_LOAD, OP_STORE, OP_CALL, OP_RET, OP_MEMB, OP_ARG,
};

#define STACK 1024
#define FRAMES 256

struct frame {
    uint32_t ret;
    uint32_t base;
};

static int32_t stack[STACK];
static struct frame frames[FRAMES];
static int32_t locals[FRAMES][8];
static uint8_t heap[4096];

static int32_t run(const int32_t *code, int32_t arg, uint32_t *steps)
{
    uint32_t pc = 0, sp = 0, fp = 0, n = 0;
    int32_t *loc = locals[0];
    loc[0] = arg;
    for (;;) {
        int32_t op = code[pc++];
        n++;
        switch (op) {
        case OP_HALT: *steps += n; return stack[sp - 1];
        case OP_PUSH: stack[sp++] = code[pc++]; break;
        case OP_POP: sp--; break;
        case OP_DUP: stack[sp] = stack[sp - 1]; sp++; break;
        case OP_SWAP: { int32_t t = stack[sp - 1]; stack[sp - 1] = stack[sp - 2]; stack[sp - 2] = t; break; }
        case OP_OVER: stack[sp] = stack[sp - 2]; sp++; break;
        case OP_ADD: sp--; stack[sp - 1] += stack[sp]; break;
        case OP_SUB: sp--; stack[sp - 1] -= stack[sp]; break;
        case OP_MUL: sp--; stack[sp - 1] *= stack[sp]; break;
        case OP_DIV: sp--; stack[sp - 1] /= stack[sp]; break;
        case OP_MOD: sp--; stack[sp - 1] %= stack[sp]; break;
        case OP_AND: sp--; stack[sp - 1] &= stack[sp]; break;
        case OP_XOR: sp--; stack[sp - 1] ^= stack[sp]; break;
        case OP_SHL: sp--; stack[sp - 1] = (int32_t)((uint32_t)stack[sp - 1] << (stack[sp] & 31)); break;
        case OP_SHR: sp--; stack[sp - 1] = (int32_t)((uint32_t)stack[sp - 1] >> (stack[sp] & 31)); break;
        case OP_LT: sp--; stack[sp - 1] = stack[sp - 1] < stack[sp]; break;
        case OP_EQ: sp--; stack[sp - 1] = stack[sp - 1] == stack[sp]; break;
        case OP_JMP: pc = (uint32_t)code[pc]; break;
        case OP_JZ: sp--; pc = stack[sp] == 0 ? (uint32_t)code[pc] : pc + 1; break;
        case OP_JNZ: sp--; pc = stack[sp] != 0 ? (uint32_t)code[pc] : pc + 1; break;
        case OP_LOAD: stack[sp++] = loc[code[pc++]]; break;
        case OP_STORE: loc[code[pc++]] = stack[--sp]; break;
        case OP_CALL:
            frames[fp].ret = pc + 1;
            fp++;
            loc = locals[fp];
            loc[0] = stack[--sp];
            pc = (uint32_t)code[pc];
            break;
        case OP_RET:
            fp--;
            loc = locals[fp];
            pc = frames[fp].ret;
            break;
        case OP_MEMB: stack[sp - 1] = heap[(uint32_t)stack[sp - 1] & 4095]; break;
        case OP_ARG: stack[sp++] = loc[0]; break;
        default: *steps += n; return -1;
        }
    }
}

/* Built at run time so the jump targets are computed, not hand-counted. */
static int32_t prog_primes[128], prog_fib[64], prog_hash[64];

struct asm_state {
    int32_t *code;
    uint32_t n;
};

static uint32_t emit(struct asm_state *a, int32_t v) { a->code[a->n] = v; return a->n++; }
static uint32_t here(struct asm_state *a) { return a->n; }
static void patch(struct asm_state *a, uint32_t at, uint32_t target) { a->code[at] = (int32_t)target; }

static void build_primes(void)
{
    struct asm_state a = {prog_primes, 0};
    emit(&a, OP_PUSH); emit(&a, 0); emit(&a, OP_STORE); emit(&a, 2);
    emit(&a, OP_PUSH); emit(&a, 2); emit(&a, OP_STORE); emit(&a, 1);
    uint32_t loop = here(&a);
    emit(&a, OP_LOAD); emit(&a, 1); emit(&a, OP_LOAD); emit(&a, 0); emit(&a, OP_LT);
    emit(&a, OP_JZ); uint32_t to_done = emit(&a, 0);
    emit(&a, OP_PUSH); emit(&a, 2); emit(&a, OP_STORE); emit(&a, 3);
    uint32_t inner = here(&a);
    emit(&a, OP_LOAD); emit(&a, 1); emit(&a, OP_LOAD); emit(&a, 3); emit(&a, OP_DUP); emit(&a, OP_MUL);
    emit(&a, OP_LT); emit(&a, OP_JNZ); uint32_t to_prime = emit(&a, 0);
    emit(&a, OP_LOAD); emit(&a, 1); emit(&a, OP_LOAD); emit(&a, 3); emit(&a, OP_MOD);
    emit(&a, OP_JZ); uint32_t to_next = emit(&a, 0);
    emit(&a, OP_LOAD); emit(&a, 3); emit(&a, OP_PUSH); emit(&a, 1); emit(&a, OP_ADD); emit(&a, OP_STORE); emit(&a, 3);
    emit(&a, OP_JMP); emit(&a, (int32_t)inner);
    patch(&a, to_prime, here(&a));
    emit(&a, OP_LOAD); emit(&a, 2); emit(&a, OP_PUSH); emit(&a, 1); emit(&a, OP_ADD); emit(&a, OP_STORE); emit(&a, 2);
    patch(&a, to_next, here(&a));
    emit(&a, OP_LOAD); emit(&a, 1); emit(&a, OP_PUSH); emit(&a, 1); emit(&a, OP_ADD); emit(&a, OP_STORE); emit(&a, 1);
    emit(&a, OP_JMP); emit(&a, (int32_t)loop);
    patch(&a, to_done, here(&a));
    emit(&a, OP_LOAD); emit(&a, 2); emit(&a, OP_HALT);
}

/* fib(n) = n < 2 ? n : fib(n-1) + fib(n-2), with CALL/RET; entry calls fib(arg) */
static void build_fib(void)
{
    struct asm_state a = {prog_fib, 0};
    emit(&a, OP_ARG); emit(&a, OP_CALL); uint32_t to_fib = emit(&a, 0); emit(&a, OP_HALT);
    uint32_t fib = here(&a);
    patch(&a, to_fib, fib);
    emit(&a, OP_ARG); emit(&a, OP_PUSH); emit(&a, 2); emit(&a, OP_LT); emit(&a, OP_JZ); uint32_t to_rec = emit(&a, 0);
    emit(&a, OP_ARG); emit(&a, OP_RET);
    patch(&a, to_rec, here(&a));
    emit(&a, OP_ARG); emit(&a, OP_PUSH); emit(&a, 1); emit(&a, OP_SUB); emit(&a, OP_CALL); emit(&a, (int32_t)fib);
    emit(&a, OP_ARG); emit(&a, OP_PUSH); emit(&a, 2); emit(&a, OP_SUB); emit(&a, OP_CALL); emit(&a, (int32_t)fib);
    emit(&a, OP_ADD); emit(&a, OP_RET);
}

/* h = 0; for i in 0..arg-1: h = (h * 33) ^ heap[i] ; locals 1=i 2=h */
static void build_hash(void)
{
    struct asm_state a = {prog_hash, 0};
    emit(&a, OP_PUSH); emit(&a, 5381); emit(&a, OP_STORE); emit(&a, 2);
    emit(&a, OP_PUSH); emit(&a, 0); emit(&a, OP_STORE); emit(&a, 1);
    uint32_t loop = here(&a);
    emit(&a, OP_LOAD); emit(&a, 1); emit(&a, OP_ARG); emit(&a, OP_LT); emit(&a, OP_JZ); uint32_t to_done = emit(&a, 0);
    emit(&a, OP_LOAD); emit(&a, 2); emit(&a, OP_PUSH); emit(&a, 33); emit(&a, OP_MUL);
    emit(&a, OP_LOAD); emit(&a, 1); emit(&a, OP_MEMB); emit(&a, OP_XOR); emit(&a, OP_STORE); emit(&a, 2);
    emit(&a, OP_LOAD); emit(&a, 1); emit(&a, OP_PUSH); emit(&a, 1); emit(&a, OP_ADD); emit(&a, OP_STORE); emit(&a, 1);
    emit(&a, OP_JMP); emit(&a, (int32_t)loop);
    patch(&a, to_done, here(&a));
    emit(&a, OP_LOAD); emit(&a, 2); emit(&a, OP_HALT);
}

static int32_t native_primes(int32_t n)
{
    int32_t count = 0;
    for (int32_t i = 2; i < n; i++) {
        int32_t d = 2;
        for (; d * d <= i; d++)
            if (i % d == 0)
                break;
        if (d * d > i)
            count++;
    }
    return count;
}

static int32_t native_fib(int32_t n) { return n < 2 ? n : native_fib(n - 1) + native_fib(n - 2); }

static int32_t native_hash(int32_t n)
{
    int32_t h = 5381;
    for (int32_t i = 0; i < n; i++)
        h = (int32_t)((uint32_t)h * 33u) ^ heap[(uint32_t)i & 4095];
    return h;
}

int main(int argc, char **argv)
{
    uint32_t rounds = parse_rounds(argc, argv, 3);
    build_primes();
    build_fib();
    build_hash();
    for (uint32_t i = 0; i < sizeof heap; i++)
        heap[i] = (uint8_t)rng_next();
    uint32_t sum = 2166136261u, steps = 0;
    int ok = 1;
    const char *why = "";
    for (uint32_t r = 0; r < rounds && ok; r++) {
        int32_t n = 30000 + (int32_t)r;
        int32_t p = run(prog_primes, n, &steps);
        if (p != native_primes(n)) { ok = 0; why = "primes"; }
        int32_t f = run(prog_fib, 20 + (int32_t)(r & 1), &steps);
        if (f != native_fib(20 + (int32_t)(r & 1))) { ok = 0; why = "fib"; }
        int32_t h = run(prog_hash, 4000, &steps);
        if (h != native_hash(4000)) { ok = 0; why = "hash"; }
        sum = mix(mix(mix(sum, (uint32_t)p), (uint32_t)f), (uint32_t)h);
    }
    sum = mix(sum, steps);
    return finish("bytecode", rounds, sum, ok, why);
}
