/*
 * data_addition.c - clrnn-data addition: binary addition of two numbers in [0, 2^(bits-1)),
 * so that the sum fits in bits bits, least significant bit first, with a target bit at
 * every timestep (the carry is what the network has to learn). No (a, b) pair is drawn
 * twice, so the test pairs never occur in training and the test measures addition, not
 * memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "data_tasks.h"

#define MAX_BITS 16

/* x (n, bits, 2) and y (n, bits, 1) from the pairs, packed as a << 16 | b. */
static void fill(struct clrnn_array *x, struct clrnn_array *y, const uint32_t *pairs, long n,
                 int bits) {
    float *xv = x->data, *yv = y->data;
    for (long s = 0; s < n; s++) {
        uint32_t a = pairs[s] >> 16, b = pairs[s] & 0xffff, c = a + b;
        for (int t = 0; t < bits; t++) {
            size_t at = (size_t)s * (size_t)bits + (size_t)t;
            xv[at * 2] = (float)((a >> t) & 1);
            xv[at * 2 + 1] = (float)((b >> t) & 1);
            yv[at] = (float)((c >> t) & 1);
        }
    }
}

int data_addition_main(int argc, char **argv) {
    const char *out = NULL, *v;
    long samples = 5000, test = 1000, bits = 8, seed = 1;
    int print = 0;
    for (int i = 1; i < argc; i++) {
        if ((v = cli_flag_value(argc, argv, &i, "--out"))) out = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--samples")))
            samples = cli_long("--samples", v, 1, 10000000);
        else if ((v = cli_flag_value(argc, argv, &i, "--test-samples")))
            test = cli_long("--test-samples", v, 0, 10000000);
        else if ((v = cli_flag_value(argc, argv, &i, "--bits")))
            bits = cli_long("--bits", v, 2, MAX_BITS);
        else if ((v = cli_flag_value(argc, argv, &i, "--seed")))
            seed = cli_long("--seed", v, 0, 0x7fffffffL);
        else if (strcmp(argv[i], "--print") == 0) print = 1;
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) cli_help();
        else cli_usage_error("addition: unknown option '%s'", argv[i]);
    }
    if (!out && !print) cli_usage_error("addition: --out FILE.h5 is required");
    uint32_t range = 1u << (bits - 1);
    uint64_t pairs_possible = (uint64_t)range * range;
    long total = samples + test;
    if ((uint64_t)total > pairs_possible)
        cli_fail("addition: %ld samples asked for, but %ld-bit numbers make only %llu "
                 "different pairs; use fewer samples or more --bits",
                 total, bits - 1, (unsigned long long)pairs_possible);

    /* distinct pairs, drawn until new; a bitmap marks those taken (range^2 <= 2^30 bits) */
    size_t words = (size_t)((pairs_possible + 63) / 64);
    uint64_t *taken = calloc(words, sizeof *taken);
    uint32_t *pairs = malloc((size_t)total * sizeof *pairs);
    if (!taken || !pairs) cli_fail("addition: out of memory for %ld pairs", total);
    struct data_rng rng = data_rng_seeded((uint64_t)seed, 7);
    for (long s = 0; s < total; s++) {
        uint32_t a, b;
        uint64_t key;
        do {
            a = data_rng_below(&rng, range);
            b = data_rng_below(&rng, range);
            key = (uint64_t)a * range + b;
        } while (taken[key / 64] >> (key % 64) & 1);
        taken[key / 64] |= 1ULL << (key % 64);
        pairs[s] = a << 16 | b;
    }
    free(taken);

    if (print) { /* "<split> <a> <b> <a+b>", one per line */
        for (long s = 0; s < total; s++)
            printf("%s %u %u %u\n", s < samples ? "train" : "test", pairs[s] >> 16,
                   pairs[s] & 0xffff, (pairs[s] >> 16) + (pairs[s] & 0xffff));
        free(pairs);
        return fflush(stdout) ? 1 : 0;
    }

    struct clrnn_array x[2], y[2];
    long counts[2] = {samples, test};
    for (int k = 0; k < 2; k++) {
        int64_t xd[3] = {counts[k], bits, 2}, yd[3] = {counts[k], bits, 1};
        data_alloc_float(&x[k], 3, xd);
        data_alloc_float(&y[k], 3, yd);
        fill(&x[k], &y[k], pairs + (k ? samples : 0), counts[k], (int)bits);
    }
    free(pairs);
    data_write_splits(out, x, y);
    /* --bits counts the bits of the sum, as the demo and README say "8-bit addition" */
    printf("addition: %ld training and %ld test pairs, %ld-bit binary addition (numbers "
           "below %u, so that each sum fits in %ld bits), %ld timesteps x 2 bits -> %s\n",
           samples, test, bits, range, bits, bits, out);
    return 0;
}
