/*
 * data_addition_decimal.c - clrnn-data addition-decimal: the data of keras.io's "Sequence to
 * sequence learning for performing number addition" example. Each query is "a+b" with a and
 * b of 1 to D decimal digits (the count drawn first, then each digit, as the example does),
 * padded with spaces to 2D+1 characters and, by default, reversed; the answer is a+b padded
 * with spaces to D+1 characters. Both are one-hot over the example's 12 characters in its
 * sorted order: ' ', '+', '0'..'9'. No pair is drawn twice in either order, as the example
 * keeps them, so the test pairs never occur in training.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "data_tasks.h"

static const char USAGE[] =
    "usage: clrnn-data addition-decimal --out FILE.h5 [--samples N] [--test-samples N]\n"
    "       [--digits D] [--no-reverse] [--seed S] [--print]\n"
    "\n"
    "The data of keras.io's \"Sequence to sequence learning for performing number addition\":\n"
    "queries \"a+b\" of two numbers of 1 to D decimal digits (the count drawn, then each\n"
    "digit), padded with spaces to 2D+1 characters and reversed (not with --no-reverse);\n"
    "answers a+b padded with spaces to D+1 characters. x float32 (N, 2D+1, 12) and y float32\n"
    "(N, D+1, 12), one-hot over ' ', '+', '0'..'9' in that order (the example's sorted\n"
    "characters). No pair occurs twice, in either order, so the test pairs are held out of\n"
    "training. --print writes \"<split> <query>|<answer>\" lines instead of a file.\n"
    "Defaults: --samples 45000 --test-samples 5000 (the example's 50000 and 10% held out)\n"
    "--digits 3 --seed 1.\n";

#define MAX_DIGITS 4
static const char CHARS[] = " +0123456789"; /* sorted, as the example's CharacterTable */
enum { N_CHARS = sizeof CHARS - 1 };

static uint32_t draw_number(struct data_rng *rng, int digits) {
    uint32_t n = 0, count = 1 + data_rng_below(rng, (uint32_t)digits);
    for (uint32_t i = 0; i < count; i++) n = n * 10 + data_rng_below(rng, 10);
    return n;
}

/* The query and answer texts of a pair, NUL-terminated, padded (and the query reversed). */
static void texts(uint32_t a, uint32_t b, int digits, int reverse, char *query, char *answer) {
    int qlen = 2 * digits + 1, alen = digits + 1;
    char q[2 * MAX_DIGITS + 2];
    snprintf(q, sizeof q, "%-*s", qlen, "");
    int n = snprintf(q, sizeof q, "%u+%u", (unsigned)a, (unsigned)b);
    q[n] = ' ';
    for (int i = 0; i < qlen; i++) query[i] = q[reverse ? qlen - 1 - i : i];
    query[qlen] = 0;
    snprintf(answer, (size_t)alen + 1, "%-*u", alen, (unsigned)(a + b));
}

static void one_hot(const char *text, float *out) {
    for (size_t i = 0; text[i]; i++)
        out[i * N_CHARS + (size_t)(strchr(CHARS, text[i]) - CHARS)] = 1.0f;
}

int data_addition_decimal_main(int argc, char **argv) {
    const char *out = NULL, *v;
    long samples = 45000, test = 5000, digits = 3, seed = 1;
    int print = 0, reverse = 1;
    cli_init("clrnn-data", USAGE); /* usage errors and --help show this subcommand's text */
    for (int i = 1; i < argc; i++) {
        if ((v = cli_flag_value(argc, argv, &i, "--out"))) out = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--samples")))
            samples = cli_long("--samples", v, 1, 10000000);
        else if ((v = cli_flag_value(argc, argv, &i, "--test-samples")))
            test = cli_long("--test-samples", v, 0, 10000000);
        else if ((v = cli_flag_value(argc, argv, &i, "--digits")))
            digits = cli_long("--digits", v, 1, MAX_DIGITS);
        else if ((v = cli_flag_value(argc, argv, &i, "--seed")))
            seed = cli_long("--seed", v, 0, 0x7fffffffL);
        else if (strcmp(argv[i], "--no-reverse") == 0) reverse = 0;
        else if (strcmp(argv[i], "--print") == 0) print = 1;
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) cli_help();
        else cli_usage_error("addition-decimal: unknown option '%s'", argv[i]);
    }
    if (!out && !print) cli_usage_error("addition-decimal: --out FILE.h5 is required");
    uint64_t range = 1;
    for (int d = 0; d < digits; d++) range *= 10;
    /* unordered pairs: range (range + 1) / 2; drawing is by rejection, so ask for at most
     * half of them, to keep it fast */
    uint64_t pairs_possible = range * (range + 1) / 2;
    long total = samples + test;
    if ((uint64_t)total > pairs_possible / 2)
        cli_fail("addition-decimal: %ld samples asked for, but %ld-digit numbers make only "
                 "%llu different pairs (at most half of them can be drawn); use fewer samples "
                 "or more --digits", total, digits, (unsigned long long)pairs_possible);

    uint64_t *taken = calloc((size_t)((range * range + 63) / 64), sizeof *taken);
    uint32_t(*pairs)[2] = malloc((size_t)total * sizeof *pairs);
    if (!taken || !pairs) cli_fail("addition-decimal: out of memory for %ld pairs", total);
    struct data_rng rng = data_rng_seeded((uint64_t)seed, 10);
    for (long s = 0; s < total; s++) {
        uint32_t a, b;
        uint64_t key;
        do {
            a = draw_number(&rng, (int)digits);
            b = draw_number(&rng, (int)digits);
            key = a < b ? (uint64_t)a * range + b : (uint64_t)b * range + a;
        } while (taken[key / 64] >> (key % 64) & 1);
        taken[key / 64] |= 1ULL << (key % 64);
        pairs[s][0] = a, pairs[s][1] = b;
    }
    free(taken);

    int qlen = 2 * (int)digits + 1, alen = (int)digits + 1;
    char query[2 * MAX_DIGITS + 2], answer[MAX_DIGITS + 2];
    if (print) { /* "<split> <query>|<answer>", one per line */
        for (long s = 0; s < total; s++) {
            texts(pairs[s][0], pairs[s][1], (int)digits, reverse, query, answer);
            printf("%s %s|%s\n", s < samples ? "train" : "test", query, answer);
        }
        free(pairs);
        return fflush(stdout) ? 1 : 0;
    }

    struct clrnn_array x[2], y[2];
    long counts[2] = {samples, test};
    for (int k = 0; k < 2; k++) {
        int64_t xd[3] = {counts[k], qlen, N_CHARS}, yd[3] = {counts[k], alen, N_CHARS};
        data_alloc_float(&x[k], 3, xd);
        data_alloc_float(&y[k], 3, yd);
        for (long s = 0; s < counts[k]; s++) {
            const uint32_t *p = pairs[(k ? samples : 0) + s];
            texts(p[0], p[1], (int)digits, reverse, query, answer);
            one_hot(query, (float *)x[k].data + (size_t)s * (size_t)qlen * N_CHARS);
            one_hot(answer, (float *)y[k].data + (size_t)s * (size_t)alen * N_CHARS);
        }
    }
    free(pairs);
    data_write_splits(out, x, y);
    printf("addition-decimal: %ld training and %ld test pairs of numbers of up to %ld digits, "
           "queries of %d characters%s, answers of %d, one-hot over \"%s\" -> %s\n",
           samples, test, digits, qlen, reverse ? " (reversed)" : "", alen, CHARS, out);
    return 0;
}
