/*
 * data_reber.c - clrnn-data reber: the embedded Reber grammar task (Reber 1967; embedded
 * form as in Hochreiter and Schmidhuber 1997, "Long Short-Term Memory", section 5.1).
 *
 * A Reber string is B, a walk through the transition graph below from node 0 to node 5,
 * then E. Each node has two edges, taken with probability 1/2:
 *   node 0: T -> 1, P -> 2        node 3: X -> 2, S -> 5 (end)
 *   node 1: S -> 1, X -> 3        node 4: P -> 3, V -> 5 (end)
 *   node 2: T -> 2, V -> 4
 * An embedded Reber string is B, then T or P, then a Reber string, then the same T or P
 * again, then E; remembering that second symbol to the end is what makes the task hard for
 * a recurrent net. Invalid strings are valid ones with one character changed to another
 * symbol, kept only when the grammar rejects the result, so that valid and invalid strings
 * have the same lengths.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "data_tasks.h"

#define SYMBOLS "BTPSXVE" /* one-hot order */
#define N_SYMBOLS 7
#define MIN_LEN 9   /* the shortest embedded string, e.g. BTBTXSETE */
#define MAX_LEN 256 /* longer strings are drawn again (practically never happens) */
#define END_NODE 5

static const char EDGE_SYMBOL[END_NODE][2] = {
    {'T', 'P'}, {'S', 'X'}, {'T', 'V'}, {'X', 'S'}, {'P', 'V'}};
static const int EDGE_NEXT[END_NODE][2] = {{1, 2}, {1, 3}, {2, 4}, {2, 5}, {3, 5}};

/* A Reber string (B ... E) into s, not terminated; its length, or 0 when it would need
 * more than room characters. */
static int reber_string(struct data_rng *r, char *s, int room) {
    int n = 0, node = 0;
    s[n++] = 'B';
    while (node != END_NODE) {
        if (n + 2 > room) return 0; /* this symbol and the closing E must fit */
        int k = (int)data_rng_below(r, 2);
        s[n++] = EDGE_SYMBOL[node][k];
        node = EDGE_NEXT[node][k];
    }
    s[n++] = 'E';
    return n;
}

/* 1 when s[0..len) is a Reber string: B, a walk from node 0 that ends at node 5, E. */
static int reber_is_valid(const char *s, size_t len) {
    if (len < 2 || s[0] != 'B' || s[len - 1] != 'E') return 0;
    int node = 0;
    for (size_t i = 1; i + 1 < len; i++) {
        if (node == END_NODE) return 0; /* the walk ended before the E */
        int k = s[i] == EDGE_SYMBOL[node][0] ? 0 : s[i] == EDGE_SYMBOL[node][1] ? 1 : -1;
        if (k < 0) return 0;
        node = EDGE_NEXT[node][k];
    }
    return node == END_NODE;
}

int reber_is_valid_embedded(const char *s) {
    size_t len = strlen(s);
    return len >= MIN_LEN && s[0] == 'B' && (s[1] == 'T' || s[1] == 'P') &&
           s[len - 2] == s[1] && s[len - 1] == 'E' && reber_is_valid(s + 2, len - 4);
}

/* An embedded Reber string of at most max_len symbols into s (NUL-terminated). A string
 * that would be longer is drawn again from the start rather than cut. */
static void embedded_string(struct data_rng *r, char *s, int max_len) {
    for (;;) {
        char c = data_rng_below(r, 2) ? 'P' : 'T';
        int n = reber_string(r, s + 2, max_len - 4);
        if (!n) continue;
        s[0] = 'B';
        s[1] = c;
        s[n + 2] = c;
        s[n + 3] = 'E';
        s[n + 4] = '\0';
        return;
    }
}

/* Changes one character of the valid string s to another symbol so that the result is not
 * an embedded Reber string. Always ends: changing the first B to anything is invalid. */
static void corrupt(struct data_rng *r, char *s) {
    size_t len = strlen(s);
    for (;;) {
        size_t i = data_rng_below(r, (uint32_t)len);
        char old = s[i], c = SYMBOLS[data_rng_below(r, N_SYMBOLS)];
        if (c == old) continue;
        s[i] = c;
        if (!reber_is_valid_embedded(s)) return;
        s[i] = old;
    }
}

int data_reber_main(int argc, char **argv) {
    const char *out = NULL, *v;
    long samples = 4000, test = 1000, seed = 1, max_length = 0;
    /* Pre-padding is the default, as in Keras's pad_sequences: the string then ends at the
     * last step, right before the output. After post-padding a net must carry its answer
     * through up to ~40 all-zero steps (T is the longest of thousands of strings, the
     * typical one ~12), and with the e2e settings of tests/test_e2e_reber.sh an LSTM then
     * stays at 0.5 accuracy where it reaches 0.99 on pre-padded data. */
    int print = 0, pre = 1;
    for (int i = 1; i < argc; i++) {
        if ((v = cli_flag_value(argc, argv, &i, "--out"))) out = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--samples")))
            samples = cli_long("--samples", v, 1, 10000000);
        else if ((v = cli_flag_value(argc, argv, &i, "--test-samples")))
            test = cli_long("--test-samples", v, 0, 10000000);
        else if ((v = cli_flag_value(argc, argv, &i, "--seed")))
            seed = cli_long("--seed", v, 0, 0x7fffffffL);
        else if ((v = cli_flag_value(argc, argv, &i, "--max-length")))
            max_length = cli_long("--max-length", v, 0, MAX_LEN);
        else if ((v = cli_flag_value(argc, argv, &i, "--padding"))) {
            if (strcmp(v, "pre") != 0 && strcmp(v, "post") != 0)
                cli_usage_error("reber: --padding must be pre or post, not '%s'", v);
            pre = strcmp(v, "pre") == 0;
        } else if (strcmp(argv[i], "--print") == 0 || strcmp(argv[i], "--print-strings") == 0)
            print = 1;
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) cli_help();
        else cli_usage_error("reber: unknown option '%s'", argv[i]);
    }
    if (!out && !print) cli_usage_error("reber: --out FILE.h5 is required");
    if (max_length && max_length < MIN_LEN)
        cli_usage_error("reber: --max-length must be 0 or at least %d (the shortest string)",
                        MIN_LEN);

    /* all strings first: T is the longest of them unless --max-length fixes it */
    long total = samples + test;
    int limit = max_length ? (int)max_length : MAX_LEN, longest = 0;
    size_t stride = (size_t)limit + 1;
    char *strings = malloc((size_t)total * stride);
    if (!strings) cli_fail("reber: out of memory for %ld strings", total);
    struct data_rng rng = data_rng_seeded((uint64_t)seed, 11);
    for (long s = 0; s < total; s++) {
        char *str = strings + (size_t)s * stride;
        embedded_string(&rng, str, limit);
        if (s % 2) corrupt(&rng, str); /* odd samples invalid: half and half */
        int len = (int)strlen(str);
        if (len > longest) longest = len;
    }

    if (print) { /* "<split> <label> <string>", one per line */
        for (long s = 0; s < total; s++)
            printf("%s %d %s\n", s < samples ? "train" : "test", s % 2 ? 0 : 1,
                   strings + (size_t)s * stride);
        free(strings);
        return fflush(stdout) ? 1 : 0;
    }

    int T = max_length ? (int)max_length : longest;
    struct clrnn_array x[2], y[2];
    long counts[2] = {samples, test};
    for (int k = 0; k < 2; k++) {
        int64_t xd[3] = {counts[k], T, N_SYMBOLS}, yd[2] = {counts[k], 1};
        data_alloc_float(&x[k], 3, xd); /* zeroed: the padding rows stay all-zero */
        data_alloc_float(&y[k], 2, yd);
        float *xv = x[k].data, *yv = y[k].data;
        for (long i = 0; i < counts[k]; i++) {
            long s = (k ? samples : 0) + i;
            const char *str = strings + (size_t)s * stride;
            int start = pre ? T - (int)strlen(str) : 0;
            for (int t = 0; str[t]; t++) {
                int sym = (int)(strchr(SYMBOLS, str[t]) - SYMBOLS);
                xv[((size_t)i * (size_t)T + (size_t)(start + t)) * N_SYMBOLS + (size_t)sym] = 1.0f;
            }
            yv[i] = s % 2 ? 0.0f : 1.0f;
        }
    }
    free(strings);
    data_write_splits(out, x, y);
    printf("reber: %ld training and %ld test strings (half valid), %d timesteps x %d symbols "
           "(%s-padded) -> %s\n",
           samples, test, T, N_SYMBOLS, pre ? "pre" : "post", out);
    return 0;
}
