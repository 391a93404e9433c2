/*
 * data_text.c - clrnn-data text: a text corpus (a file, or a text built into the tool) cut
 * into fixed windows of tokens, each labelled with the token that follows it, as in Keras's
 * character-level text generation example: windows text[i : i+T] for i in
 * range(0, len - T, step), targets text[i+T]. Tokens are Unicode characters (code points of
 * the UTF-8 text) or words (lower-cased, ASCII punctuation stripped and split on whitespace,
 * as TextVectorization's default standardize does). The vocabulary is stored in the file,
 * one string per id, so that generation can map ids back to text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "clrnn_formats.h"
#include "data_tasks.h"

#define MAX_CORPUS ((size_t)64 << 20) /* bytes, the limit cli_read_text() has too */
#define MAX_OUTPUT_BYTES ((double)((int64_t)2 << 30))

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* ---- tokenizing: both levels end in ids[0..n) and the vocabulary vocab[0..v) ---- */

struct tokens {
    int32_t *ids;
    size_t n;
    char **vocab;
    int v;
};

/* Characters: ids 0..V-1 over the sorted distinct code points. */
static void char_tokens(const uint32_t *cp, size_t n, struct tokens *out) {
    int32_t *id_of = malloc((DATA_TEXT_MAX_CODEPOINT + 1) * sizeof *id_of);
    uint32_t *distinct = malloc((n ? n : 1) * sizeof *distinct);
    out->ids = malloc((n ? n : 1) * sizeof *out->ids);
    if (!id_of || !distinct || !out->ids) cli_fail("text: out of memory for %zu characters", n);
    memset(id_of, 0xff, (DATA_TEXT_MAX_CODEPOINT + 1) * sizeof *id_of);
    int v = 0;
    for (size_t i = 0; i < n; i++)
        if (id_of[cp[i]] < 0) id_of[cp[i]] = 0, distinct[v++] = cp[i];
    qsort(distinct, (size_t)v, sizeof *distinct, cmp_u32);
    out->vocab = malloc((size_t)v * sizeof *out->vocab);
    if (!out->vocab) cli_fail("text: out of memory for the vocabulary");
    for (int k = 0; k < v; k++) {
        char utf8[5];
        data_text_encode_utf8(distinct[k], utf8);
        out->vocab[k] = data_text_dup("text", utf8);
        id_of[distinct[k]] = k;
    }
    for (size_t i = 0; i < n; i++) out->ids[i] = id_of[cp[i]];
    out->n = n;
    out->v = v;
    free(id_of);
    free(distinct);
}

/* Words: lower-cased, punctuation stripped, split on whitespace; id 0 is padding (""), 1 is
 * "[UNK]" (as TextVectorization), then the words by frequency. max_tokens (0: no limit)
 * counts those two, as Keras's max_tokens does; words left out become [UNK]. */
static void word_tokens(const uint32_t *cp, size_t n, long max_tokens, struct tokens *out) {
    struct data_words t = {.prefix = "text"};
    size_t cap_words = n / 2 + 1, n_words = 0;
    int32_t *seq = malloc(cap_words * sizeof *seq); /* a word needs a char and a space */
    char *buf = malloc(n * 4 + 1);
    if (!seq || !buf) cli_fail("text: out of memory for %zu characters", n);
    for (size_t i = 0; data_text_next_word(cp, n, &i, buf, NULL);) {
        int32_t w = data_text_word_index(&t, buf);
        t.words[w].count++;
        seq[n_words++] = w;
    }
    free(buf);
    struct data_word **order = data_text_vocabulary(&t);
    size_t keep = t.n;
    if (max_tokens > 0 && keep > (size_t)max_tokens - 2) keep = (size_t)max_tokens - 2;
    out->v = (int)keep + 2;
    out->vocab = malloc((size_t)out->v * sizeof *out->vocab);
    if (!out->vocab) cli_fail("text: out of memory for the vocabulary");
    out->vocab[0] = data_text_dup("text", "");
    out->vocab[1] = data_text_dup("text", "[UNK]");
    for (size_t j = 0; j < t.n; j++) {
        order[j]->id = j < keep ? (int32_t)j + 2 : 1;
        if (j < keep) out->vocab[j + 2] = order[j]->text, order[j]->text = NULL; /* moved */
    }
    out->ids = malloc((n_words ? n_words : 1) * sizeof *out->ids);
    if (!out->ids) cli_fail("text: out of memory");
    for (size_t j = 0; j < n_words; j++) out->ids[j] = t.words[seq[j]].id;
    out->n = n_words;
    free(order);
    free(seq);
    data_text_words_free(&t); /* the words not kept */
}

/* --vocabulary-from: the ids of a trained model's vocabulary (its level and normalization),
 * and a copy of it. */
static void model_tokens(clrnn_model *m, const uint32_t *cp, size_t n, const char *name,
                         struct tokens *out, int *word) {
    struct data_vocab v;
    int n_vocab;
    const char *const *tokens = clrnn_model_vocabulary(m, &n_vocab);
    data_vocab_init(&v, "text", tokens, n_vocab);
    out->ids = malloc((n + 1) * sizeof *out->ids);
    out->vocab = malloc((size_t)n_vocab * sizeof *out->vocab);
    if (!out->ids || !out->vocab) cli_fail("text: out of memory for %zu characters", n);
    out->n = data_vocab_ids(&v, cp, n, NULL, name, out->ids);
    for (int k = 0; k < n_vocab; k++) out->vocab[k] = data_text_dup("text", tokens[k]);
    out->v = n_vocab;
    *word = v.words;
    data_vocab_free(&v);
}

/* ---- the subcommand ---- */

static void list_builtins(char *buf, size_t size) {
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; data_builtin_texts[i].name && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "",
                                 data_builtin_texts[i].name);
}

int data_text_main(int argc, char **argv) {
    const char *out = NULL, *in = NULL, *builtin = NULL, *vocab_from = NULL, *v;
    long window = 40, step = 3, max_tokens = 0;
    double test_fraction = 0;
    int word = 0, onehot = 0, lower = 0, print = 0, have_level = 0, have_window = 0;
    int have_encoding = 0;
    for (int i = 1; i < argc; i++) {
        if ((v = cli_flag_value(argc, argv, &i, "--out"))) out = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--in"))) in = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--builtin"))) builtin = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--vocabulary-from"))) vocab_from = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--level"))) {
            have_level = 1;
            if (strcmp(v, "char") == 0) word = 0;
            else if (strcmp(v, "word") == 0) word = 1;
            else cli_usage_error("text: --level must be char or word, not '%s'", v);
        } else if ((v = cli_flag_value(argc, argv, &i, "--encoding"))) {
            have_encoding = 1;
            if (strcmp(v, "ids") == 0) onehot = 0;
            else if (strcmp(v, "onehot") == 0) onehot = 1;
            else cli_usage_error("text: --encoding must be ids or onehot, not '%s'", v);
        } else if ((v = cli_flag_value(argc, argv, &i, "--window"))) {
            window = cli_long("--window", v, 1, 100000);
            have_window = 1;
        } else if ((v = cli_flag_value(argc, argv, &i, "--step")))
            step = cli_long("--step", v, 1, 100000000);
        else if ((v = cli_flag_value(argc, argv, &i, "--max-tokens")))
            max_tokens = cli_long("--max-tokens", v, 3, 100000000);
        else if ((v = cli_flag_value(argc, argv, &i, "--test-fraction")))
            test_fraction = cli_double("--test-fraction", v, 0, 0.99);
        else if (strcmp(argv[i], "--lower") == 0) lower = 1;
        else if (strcmp(argv[i], "--print") == 0) print = 1;
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) cli_help();
        else cli_usage_error("text: unknown option '%s'", argv[i]);
    }
    if (!out && !print) cli_usage_error("text: --out FILE.h5 is required");
    if (!in == !builtin) cli_usage_error("text: give one of --in CORPUS.txt and --builtin NAME");
    if (max_tokens && !word) cli_usage_error("text: --max-tokens applies to --level word");
    if (vocab_from && (have_level || lower || max_tokens))
        cli_usage_error("text: --vocabulary-from tokenizes as the model's vocabulary does; "
                        "--level, --lower and --max-tokens do not go with it");

    clrnn_ctx *ctx = NULL;
    clrnn_model *model = vocab_from ? data_vocab_model("text", vocab_from, &ctx) : NULL;
    if (model) { /* the window and encoding the model reads, unless told otherwise */
        int64_t dims[4];
        clrnn_dtype dtype;
        int rank = clrnn_model_input_shape(model, dims, &dtype);
        if (!have_window && rank >= 1) window = (long)dims[0];
        if (!have_encoding) onehot = rank == 2 && dtype == CLRNN_DTYPE_FLOAT32;
    }

    /* the corpus as bytes, then as code points */
    const unsigned char *bytes = NULL;
    unsigned char *owned = NULL;
    size_t n_bytes = 0;
    char name[256];
    if (in) {
        bytes = owned = data_text_read_file("text", in, MAX_CORPUS, &n_bytes);
        snprintf(name, sizeof name, "%s", in);
    } else {
        for (int i = 0; data_builtin_texts[i].name; i++)
            if (strcmp(builtin, data_builtin_texts[i].name) == 0) {
                bytes = (const unsigned char *)data_builtin_texts[i].text;
                n_bytes = data_builtin_texts[i].len;
            }
        if (!bytes) {
            char names[256];
            list_builtins(names, sizeof names);
            cli_fail("text: no built-in text '%s' (there are: %s)", builtin, names);
        }
        snprintf(name, sizeof name, "built-in text '%s'", builtin);
    }
    if (print) { /* the corpus as it is read, for checking it and for the tests */
        int bad = fwrite(bytes, 1, n_bytes, stdout) != n_bytes || fflush(stdout);
        free(owned);
        return bad ? 1 : 0;
    }
    uint32_t *cp = malloc((n_bytes ? n_bytes : 1) * sizeof *cp);
    if (!cp) cli_fail("text: out of memory for %s", name);
    size_t n_cp = data_text_decode_utf8("text", bytes, n_bytes, cp, name);
    free(owned);
    if ((lower || word) && !vocab_from)
        for (size_t i = 0; i < n_cp; i++) cp[i] = data_text_lower(cp[i]);

    struct tokens tok = {0};
    if (model) {
        model_tokens(model, cp, n_cp, name, &tok, &word);
        clrnn_model_free(model);
        clrnn_ctx_free(ctx);
    }
    else if (word) word_tokens(cp, n_cp, max_tokens, &tok);
    else char_tokens(cp, n_cp, &tok);
    free(cp);
    const char *unit = word ? "words" : "characters";
    if (tok.n == 0) cli_fail("text: %s: empty corpus (no %s)", name, unit);
    if (tok.n < (size_t)window + 1)
        cli_fail("text: %s: has %zu %s, but a window of %ld needs at least %ld (the window and "
                 "the token after it); use a smaller --window",
                 name, tok.n, unit, window, window + 1);

    /* windows i = 0, step, ... < n - T, as range(0, len(text) - maxlen, step) */
    size_t total = (tok.n - (size_t)window + (size_t)step - 1) / (size_t)step;
    size_t n_train = (size_t)((double)total * (1 - test_fraction));
    if (n_train == 0)
        cli_fail("text: %s: only %zu windows, none left for training with --test-fraction %g",
                 name, total, test_fraction);
    int64_t V = tok.v;
    double bytes_out = (double)total * (double)(window * (onehot ? V : 1) + (onehot ? V : 1)) * 4;
    if (bytes_out > MAX_OUTPUT_BYTES) {
        if (onehot)
            cli_fail("text: one-hot arrays for %zu windows x %ld x %lld would take %.1f GiB (more "
                     "than 2 GiB); use --encoding ids (an embedding layer reads them)",
                     total, window, (long long)V, bytes_out / (1 << 30));
        cli_fail("text: %zu windows x %ld would take %.1f GiB (more than 2 GiB); use a larger "
                 "--step", total, window, bytes_out / (1 << 30));
    }

    struct clrnn_array x[2], y[2];
    size_t counts[2] = {n_train, total - n_train};
    for (int k = 0; k < 2; k++) {
        int64_t xd[3] = {(int64_t)counts[k], window, V}, yd[2] = {(int64_t)counts[k], V};
        clrnn_dtype dt = onehot ? CLRNN_DTYPE_FLOAT32 : CLRNN_DTYPE_INT32;
        clrnn_status s = clrnn_array_alloc(&x[k], dt, onehot ? 3 : 2, xd);
        if (!s) s = clrnn_array_alloc(&y[k], dt, onehot ? 2 : 1, yd);
        if (s) cli_fail_status(s);
        if (onehot) { /* arrays come zeroed; set the ones */
            float *xv = x[k].data, *yv = y[k].data;
            for (size_t r = 0; r < counts[k]; r++) {
                size_t start = (k ? n_train + r : r) * (size_t)step;
                for (long t = 0; t < window; t++)
                    xv[(r * (size_t)window + (size_t)t) * (size_t)V + (size_t)tok.ids[start + (size_t)t]] = 1;
                yv[r * (size_t)V + (size_t)tok.ids[start + (size_t)window]] = 1;
            }
        } else {
            int32_t *xv = x[k].data, *yv = y[k].data;
            for (size_t r = 0; r < counts[k]; r++) {
                size_t start = (k ? n_train + r : r) * (size_t)step;
                memcpy(xv + r * (size_t)window, tok.ids + start, (size_t)window * sizeof *xv);
                yv[r] = tok.ids[start + (size_t)window];
            }
        }
    }
    free(tok.ids);
    struct clrnn_fmt_named_array arrays[4] = {
        {"x_train", &x[0]}, {"y_train", &y[0]}, {"x_test", &x[1]}, {"y_test", &y[1]}};
    clrnn_status s = clrnn_fmt_data_write_vocabulary(out, arrays, counts[1] > 0 ? 4 : 2,
                                                     (const char *const *)tok.vocab, tok.v);
    if (s) cli_fail_status(s);
    for (int k = 0; k < 2; k++) {
        clrnn_array_clear(&x[k]);
        clrnn_array_clear(&y[k]);
    }
    for (int k = 0; k < tok.v; k++) free(tok.vocab[k]);
    free(tok.vocab);
    printf("text: %zu training and %zu test windows of %ld %s (step %ld), vocabulary of %lld, "
           "%s -> %s\n",
           counts[0], counts[1], window, unit, step, (long long)V, onehot ? "one-hot" : "ids",
           out);
    return 0;
}
