/*
 * data_reber.c - clrnn-data reber: the embedded Reber grammar task. A valid string is
 * B, then T or P, then a Reber string (B ... E from the 6-node transition graph below), then
 * the same T or P again, then E; remembering that second symbol to the end is what makes the
 * task hard for a recurrent net. Invalid strings are valid ones with one character changed
 * to another symbol, kept only when the grammar rejects the result.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "clrnn_formats.h"
#include "data_tasks.h"

#define SYMBOLS "BTPSXVE"
#define MAX_LEN 256

/* Reber graph: from node n, symbol c leads to next[n][k] (k = 0, 1); node 5 ends (E). */
static const char EDGE_SYMBOL[5][2] = {{'T', 'P'}, {'S', 'X'}, {'T', 'V'}, {'X', 'S'}, {'P', 'V'}};
static const int EDGE_NEXT[5][2] = {{1, 2}, {1, 3}, {2, 4}, {2, 5}, {3, 5}};

/* Appends a Reber string (B ... E) at s; returns its length, or 0 when it would not fit. */
static int reber_string(struct data_rng *r, char *s, int room) {
    int n = 0, node = 0;
    s[n++] = 'B';
    while (node != 5) {
        if (n + 2 > room) return 0;
        int k = (int)data_rng_below(r, 2);
        s[n++] = EDGE_SYMBOL[node][k];
        node = EDGE_NEXT[node][k];
    }
    s[n++] = 'E';
    return n;
}

static int reber_is_valid(const char *s, size_t len) {
    if (len < 2 || s[0] != 'B' || s[len - 1] != 'E') return 0;
    int node = 0;
    for (size_t i = 1; i + 1 < len; i++) {
        if (node == 5) return 0;
        int k = s[i] == EDGE_SYMBOL[node][0] ? 0 : s[i] == EDGE_SYMBOL[node][1] ? 1 : -1;
        if (k < 0) return 0;
        node = EDGE_NEXT[node][k];
    }
    return node == 5;
}

int reber_is_valid_embedded(const char *s) {
    size_t len = strlen(s);
    return len >= 6 && s[0] == 'B' && (s[1] == 'T' || s[1] == 'P') && s[len - 2] == s[1] &&
           s[len - 1] == 'E' && reber_is_valid(s + 2, len - 4);
}

/* An embedded Reber string of at most max_len symbols into s (NUL-terminated). */
static void embedded(struct data_rng *r, char *s, int max_len) {
    for (;;) {
        char c = data_rng_below(r, 2) ? 'P' : 'T';
        s[0] = 'B';
        s[1] = c;
        int n = reber_string(r, s + 2, max_len - 4);
        if (!n) continue; /* too long: draw again rather than cut */
        s[n + 2] = c;
        s[n + 3] = 'E';
        s[n + 4] = '\0';
        return;
    }
}

static void corrupt(struct data_rng *r, char *s) {
    size_t len = strlen(s);
    for (;;) {
        size_t i = data_rng_below(r, (uint32_t)len);
        char old = s[i], c = SYMBOLS[data_rng_below(r, 7)];
        if (c == old) continue;
        s[i] = c;
        if (!reber_is_valid_embedded(s)) return;
        s[i] = old;
    }
}

int data_reber_main(int argc, char **argv) {
    const char *out = NULL, *v;
    long samples = 4000, test = 1000, seed = 1, max_length = 0;
    int print = 0;
    for (int i = 1; i < argc; i++) {
        if ((v = cli_flag_value(argc, argv, &i, "--out"))) out = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--samples"))) samples = cli_long("--samples", v, 1, 10000000);
        else if ((v = cli_flag_value(argc, argv, &i, "--test-samples"))) test = cli_long("--test-samples", v, 0, 10000000);
        else if ((v = cli_flag_value(argc, argv, &i, "--seed"))) seed = cli_long("--seed", v, 0, 0x7fffffffL);
        else if ((v = cli_flag_value(argc, argv, &i, "--max-length"))) max_length = cli_long("--max-length", v, 0, MAX_LEN);
        else if (strcmp(argv[i], "--print") == 0) print = 1;
        else if (strcmp(argv[i], "--help") == 0) cli_help();
        else cli_usage_error("reber: unknown option '%s'", argv[i]);
    }
    if (!out && !print) cli_usage_error("reber: --out is required");
    if (max_length && max_length < 9) cli_usage_error("reber: --max-length must be 0 or at least 9");
    long total = samples + test;
    char *strings = malloc((size_t)total * (MAX_LEN + 1));
    if (!strings) cli_fail("reber: out of memory");
    struct data_rng rng = {(uint64_t)seed * 0x2545F4914F6CDD1DULL + 11};
    int longest = 0, limit = max_length ? (int)max_length : MAX_LEN;
    for (long s = 0; s < total; s++) {
        char *str = strings + (size_t)s * (MAX_LEN + 1);
        embedded(&rng, str, limit);
        if (s % 2) corrupt(&rng, str); /* odd samples invalid: half and half */
        int len = (int)strlen(str);
        if (len > longest) longest = len;
    }
    if (print) {
        for (long s = 0; s < total; s++)
            printf("%s %d %s\n", s < samples ? "train" : "test", s % 2 ? 0 : 1,
                   strings + (size_t)s * (MAX_LEN + 1));
        free(strings);
        return 0;
    }
    int T = max_length ? (int)max_length : longest;
    struct clrnn_array x[2], y[2];
    long counts[2] = {samples, test};
    for (int k = 0; k < 2; k++) {
        int64_t xd[3] = {counts[k], T, 7}, yd[2] = {counts[k], 1};
        clrnn_status st = clrnn_array_alloc(&x[k], CLRNN_DTYPE_FLOAT32, 3, xd);
        if (!st) st = clrnn_array_alloc(&y[k], CLRNN_DTYPE_FLOAT32, 2, yd);
        if (st) cli_fail_status(st);
        for (long i = 0; i < counts[k]; i++) {
            long s = (k ? samples : 0) + i;
            const char *str = strings + (size_t)s * (MAX_LEN + 1);
            /* pre-padding, as Keras's pad_sequences does by default: the string ends at the
             * last timestep, right before the network's output */
            int pad = T - (int)strlen(str);
            for (int t = 0; str[t]; t++)
                ((float *)x[k].data)[((size_t)i * T + pad + t) * 7 +
                                     (strchr(SYMBOLS, str[t]) - SYMBOLS)] = 1;
            ((float *)y[k].data)[i] = s % 2 ? 0.0f : 1.0f;
        }
    }
    struct clrnn_fmt_named_array arrays[4] = {
        {"x_train", &x[0]}, {"y_train", &y[0]}, {"x_test", &x[1]}, {"y_test", &y[1]}};
    clrnn_status st = clrnn_fmt_data_write(out, arrays, 4);
    if (st) cli_fail_status(st);
    printf("reber: %ld training and %ld test strings (half valid), %d timesteps x 7 symbols -> %s\n",
           samples, test, T, out);
    for (int k = 0; k < 2; k++) {
        clrnn_array_clear(&x[k]);
        clrnn_array_clear(&y[k]);
    }
    free(strings);
    return 0;
}
