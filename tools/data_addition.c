/*
 * data_addition.c - clrnn-data addition: binary addition of two (bits-1)-bit numbers, least
 * significant bit first, with a target bit at every timestep. Test pairs never occur in the
 * training set, so the test measures addition, not memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "clrnn_formats.h"
#include "data_tasks.h"

static void fill(struct clrnn_array *x, struct clrnn_array *y, const uint32_t *pairs, int n,
                 int bits) {
    float *xv = x->data, *yv = y->data;
    for (int s = 0; s < n; s++) {
        uint32_t a = pairs[s] >> 16, b = pairs[s] & 0xffff, c = a + b;
        for (int t = 0; t < bits; t++) {
            xv[(s * bits + t) * 2] = (float)((a >> t) & 1);
            xv[(s * bits + t) * 2 + 1] = (float)((b >> t) & 1);
            yv[s * bits + t] = (float)((c >> t) & 1);
        }
    }
}

int data_addition_main(int argc, char **argv) {
    const char *out = NULL, *v;
    long samples = 5000, test = 1000, bits = 8, seed = 1;
    int print = 0;
    for (int i = 1; i < argc; i++) {
        if ((v = cli_flag_value(argc, argv, &i, "--out"))) out = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--samples"))) samples = cli_long("--samples", v, 1, 10000000);
        else if ((v = cli_flag_value(argc, argv, &i, "--test-samples"))) test = cli_long("--test-samples", v, 0, 10000000);
        else if ((v = cli_flag_value(argc, argv, &i, "--bits"))) bits = cli_long("--bits", v, 2, 16);
        else if ((v = cli_flag_value(argc, argv, &i, "--seed"))) seed = cli_long("--seed", v, 0, 0x7fffffffL);
        else if (strcmp(argv[i], "--print") == 0) print = 1;
        else if (strcmp(argv[i], "--help") == 0) cli_help();
        else cli_usage_error("addition: unknown option '%s'", argv[i]);
    }
    if (!out && !print) cli_usage_error("addition: --out is required");
    uint32_t range = 1u << (bits - 1);
    uint64_t pairs_possible = (uint64_t)range * range;
    if ((uint64_t)(samples + test) > pairs_possible)
        cli_fail("addition: %ld samples, but %u-bit numbers make only %llu different pairs",
                 samples + test, (unsigned)(bits - 1), (unsigned long long)pairs_possible);
    /* distinct pairs: a bitmap of those taken (range^2 <= 2^30 bits) */
    size_t words = (size_t)((pairs_possible + 63) / 64);
    uint64_t *taken = calloc(words, sizeof *taken);
    uint32_t *pairs = malloc((size_t)(samples + test) * sizeof *pairs);
    if (!taken || !pairs) cli_fail("addition: out of memory");
    struct data_rng rng = {(uint64_t)seed * 0x2545F4914F6CDD1DULL + 7};
    for (long s = 0; s < samples + test; s++) {
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
    if (print) {
        for (long s = 0; s < samples + test; s++)
            printf("%s %u %u %u\n", s < samples ? "train" : "test", pairs[s] >> 16,
                   pairs[s] & 0xffff, (pairs[s] >> 16) + (pairs[s] & 0xffff));
        free(pairs);
        return 0;
    }
    struct clrnn_array x[2], y[2];
    long counts[2] = {samples, test};
    for (int k = 0; k < 2; k++) {
        int64_t xd[3] = {counts[k], bits, 2}, yd[3] = {counts[k], bits, 1};
        clrnn_status s = clrnn_array_alloc(&x[k], CLRNN_DTYPE_FLOAT32, 3, xd);
        if (!s) s = clrnn_array_alloc(&y[k], CLRNN_DTYPE_FLOAT32, 3, yd);
        if (s) cli_fail_status(s);
        fill(&x[k], &y[k], pairs + (k ? samples : 0), (int)counts[k], (int)bits);
    }
    struct clrnn_fmt_named_array arrays[4] = {
        {"x_train", &x[0]}, {"y_train", &y[0]}, {"x_test", &x[1]}, {"y_test", &y[1]}};
    clrnn_status s = clrnn_fmt_data_write(out, arrays, 4);
    if (s) cli_fail_status(s);
    printf("addition: %ld training and %ld test pairs of %ld-bit numbers, %ld timesteps -> %s\n",
           samples, test, bits - 1, bits, out);
    for (int k = 0; k < 2; k++) {
        clrnn_array_clear(&x[k]);
        clrnn_array_clear(&y[k]);
    }
    free(pairs);
    return 0;
}
