/*
 * rng.c - the one seeded random generator (xoshiro256**, seeded through splitmix64) used for
 * initializers, shuffling and dropout, so that a run with a given --seed repeats exactly.
 */
#include <math.h>

#include "runtime.h"

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void clrnn_rng_seed(clrnn_rng *r, uint64_t seed) {
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t clrnn_rng_next(clrnn_rng *r) {
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double clrnn_rng_uniform(clrnn_rng *r) { return (double)(clrnn_rng_next(r) >> 11) * 0x1.0p-53; }

double clrnn_rng_normal(clrnn_rng *r) {
    /* Box-Muller; u1 in (0, 1] so the log is finite */
    double u1 = 1.0 - clrnn_rng_uniform(r), u2 = clrnn_rng_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586476925 * u2);
}

uint64_t clrnn_rng_below(clrnn_rng *r, uint64_t n) {
    if (n <= 1) return 0;
    uint64_t limit = UINT64_MAX - UINT64_MAX % n; /* reject the biased tail */
    uint64_t v;
    do v = clrnn_rng_next(r);
    while (v >= limit);
    return v % n;
}

void clrnn_rng_shuffle(clrnn_rng *r, int64_t *items, int64_t n) {
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)clrnn_rng_below(r, (uint64_t)i + 1);
        int64_t t = items[i];
        items[i] = items[j];
        items[j] = t;
    }
}
