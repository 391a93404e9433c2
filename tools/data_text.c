/*
 * data_text.c - clrnn-data text: a text corpus (a file, or a text built into the tool) cut
 * into fixed windows of tokens, each labelled with the token that follows it, as in Keras's
 * character-level text generation example: windows text[i : i+T] for i in
 * range(0, len - T, step), targets text[i+T]. Tokens are Unicode characters (code points of
 * the UTF-8 text) or words (lower-cased, ASCII punctuation stripped and split on whitespace,
 * as TextVectorization's default standardize does). The vocabulary is stored in the file,
 * one string per id, so that generation can map ids back to text.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "clrnn_formats.h"
#include "data_tasks.h"

#define MAX_CODEPOINT 0x10ffff
#define MAX_CORPUS ((size_t)64 << 20) /* bytes, the limit cli_read_text() has too */
#define MAX_OUTPUT_BYTES ((double)((int64_t)2 << 30))

/* ---- reading and decoding ---- */

/* The whole file and its length: unlike cli_read_text() the length does not stop at a NUL,
 * so that a NUL byte is reported where it is instead of silently ending the text. */
static unsigned char *read_corpus(const char *path, size_t *len_out) {
    FILE *f = fopen(path, "rb");
    if (!f) cli_fail("text: %s: %s", path, strerror(errno));
    size_t cap = 1 << 16, len = 0;
    unsigned char *buf = malloc(cap);
    for (;;) {
        if (!buf) cli_fail("text: %s: out of memory reading it", path);
        len += fread(buf + len, 1, cap - len, f);
        if (len < cap) break;
        if (cap >= MAX_CORPUS) cli_fail("text: %s: larger than 64 MiB", path);
        cap *= 2;
        unsigned char *grown = realloc(buf, cap);
        if (!grown) free(buf);
        buf = grown;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) cli_fail("text: %s: read error", path);
    *len_out = len;
    return buf;
}

/* Strict UTF-8 (RFC 3629): no overlong forms, surrogates or values above U+10FFFF. Returns
 * the number of code points written to cp (which has room for len), or exits naming the
 * byte offset of the first bad sequence. */
static size_t decode_utf8(const unsigned char *s, size_t len, uint32_t *cp, const char *name) {
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        unsigned c = s[i], need;
        uint32_t v, min;
        if (c == 0) cli_fail("text: %s: a NUL byte at byte offset %zu; expected text", name, i);
        if (c < 0x80) {
            cp[n++] = c;
            i++;
            continue;
        }
        if ((c & 0xe0) == 0xc0) need = 1, v = c & 0x1f, min = 0x80;
        else if ((c & 0xf0) == 0xe0) need = 2, v = c & 0x0f, min = 0x800;
        else if ((c & 0xf8) == 0xf0) need = 3, v = c & 0x07, min = 0x10000;
        else goto bad;
        if (len - i <= need) goto bad;
        for (unsigned k = 1; k <= need; k++) {
            if ((s[i + k] & 0xc0) != 0x80) goto bad;
            v = v << 6 | (s[i + k] & 0x3f);
        }
        if (v < min || v > MAX_CODEPOINT || (v >= 0xd800 && v <= 0xdfff)) goto bad;
        cp[n++] = v;
        i += need + 1;
        continue;
    bad:
        cli_fail("text: %s: not valid UTF-8 at byte offset %zu (byte 0x%02x)", name, i, c);
    }
    return n;
}

/* UTF-8 of one code point into out (room for 5), NUL-terminated; returns the length. */
static int encode_utf8(uint32_t v, char *out) {
    int n;
    if (v < 0x80) out[0] = (char)v, n = 1;
    else if (v < 0x800) out[0] = (char)(0xc0 | v >> 6), out[1] = (char)(0x80 | (v & 0x3f)), n = 2;
    else if (v < 0x10000)
        out[0] = (char)(0xe0 | v >> 12), out[1] = (char)(0x80 | (v >> 6 & 0x3f)),
        out[2] = (char)(0x80 | (v & 0x3f)), n = 3;
    else
        out[0] = (char)(0xf0 | v >> 18), out[1] = (char)(0x80 | (v >> 12 & 0x3f)),
        out[2] = (char)(0x80 | (v >> 6 & 0x3f)), out[3] = (char)(0x80 | (v & 0x3f)), n = 4;
    out[n] = '\0';
    return n;
}

/* Simple (one to one) lower-casing for the scripts that have case and a fixed offset:
 * Latin (ASCII, Latin-1, Latin Extended-A), Greek and Cyrillic. Other characters pass. */
static uint32_t lower_cp(uint32_t c) {
    if (c >= 'A' && c <= 'Z') return c + 32;
    if (c < 0xc0) return c;
    if (c <= 0xde && c != 0xd7) return c + 32;
    if (c >= 0x100 && c <= 0x137 && !(c & 1)) return c + 1;
    if (c >= 0x139 && c <= 0x148 && (c & 1)) return c + 1;
    if (c >= 0x14a && c <= 0x177 && !(c & 1)) return c + 1;
    if (c == 0x178) return 0xff;
    if (c >= 0x179 && c <= 0x17e && (c & 1)) return c + 1;
    if (c >= 0x391 && c <= 0x3ab && c != 0x3a2) return c + 32;
    if (c >= 0x400 && c <= 0x40f) return c + 80;
    if (c >= 0x410 && c <= 0x42f) return c + 32;
    return c;
}

static int is_space(uint32_t c) {
    return c == ' ' || (c >= '\t' && c <= '\r') || c == 0x85 || c == 0xa0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f ||
           c == 0x205f || c == 0x3000;
}

/* The characters TextVectorization's "lower_and_strip_punctuation" removes (string.punctuation). */
static int is_punct(uint32_t c) {
    return c < 0x80 && strchr("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", (int)c) && c != 0;
}

/* strdup is POSIX, not C11 */
static char *dup_str(const char *s) {
    size_t len = strlen(s) + 1;
    char *d = malloc(len);
    if (!d) cli_fail("text: out of memory for the vocabulary");
    return memcpy(d, s, len);
}

/* ---- word vocabulary: an open-addressing hash table of the distinct words ---- */

struct word {
    char *text;
    long count;
    int32_t id;
};

struct word_table {
    struct word *slots;
    size_t cap, used;
};

static uint64_t hash_str(const char *s) { /* FNV-1a */
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return h;
}

static struct word *table_find(struct word_table *t, const char *s) {
    size_t at = (size_t)hash_str(s) & (t->cap - 1);
    while (t->slots[at].text && strcmp(t->slots[at].text, s) != 0) at = (at + 1) & (t->cap - 1);
    return &t->slots[at];
}

static void table_grow(struct word_table *t) {
    struct word_table g = {calloc(t->cap * 2, sizeof(struct word)), t->cap * 2, t->used};
    if (!g.slots) cli_fail("text: out of memory for the vocabulary");
    for (size_t i = 0; i < t->cap; i++)
        if (t->slots[i].text) *table_find(&g, t->slots[i].text) = t->slots[i];
    free(t->slots);
    *t = g;
}

/* The word's slot, added with count 0 when new. */
static struct word *table_add(struct word_table *t, const char *s) {
    if (2 * (t->used + 1) > t->cap) table_grow(t); /* at most half full keeps probes short */
    struct word *w = table_find(t, s);
    if (!w->text) {
        w->text = dup_str(s);
        t->used++;
    }
    return w;
}

/* Most frequent first, ties in byte order (code point order for UTF-8). */
static int by_count(const void *a, const void *b) {
    const struct word *x = *(const struct word *const *)a, *y = *(const struct word *const *)b;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    return strcmp(x->text, y->text);
}

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
    int32_t *id_of = malloc((MAX_CODEPOINT + 1) * sizeof *id_of);
    uint32_t *distinct = malloc((n ? n : 1) * sizeof *distinct);
    out->ids = malloc((n ? n : 1) * sizeof *out->ids);
    if (!id_of || !distinct || !out->ids) cli_fail("text: out of memory for %zu characters", n);
    memset(id_of, 0xff, (MAX_CODEPOINT + 1) * sizeof *id_of);
    int v = 0;
    for (size_t i = 0; i < n; i++)
        if (id_of[cp[i]] < 0) id_of[cp[i]] = 0, distinct[v++] = cp[i];
    qsort(distinct, (size_t)v, sizeof *distinct, cmp_u32);
    out->vocab = malloc((size_t)v * sizeof *out->vocab);
    if (!out->vocab) cli_fail("text: out of memory for the vocabulary");
    for (int k = 0; k < v; k++) {
        char utf8[5];
        encode_utf8(distinct[k], utf8);
        out->vocab[k] = dup_str(utf8);
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
    struct word_table t = {calloc(1024, sizeof(struct word)), 1024, 0};
    size_t cap_words = n / 2 + 1, n_words = 0;
    const char **seq = malloc(cap_words * sizeof *seq); /* a word needs a char and a space */
    char *buf = malloc(n * 4 + 1);
    if (!t.slots || !seq || !buf) cli_fail("text: out of memory for %zu characters", n);
    for (size_t i = 0; i < n;) {
        while (i < n && is_space(cp[i])) i++;
        size_t len = 0;
        for (; i < n && !is_space(cp[i]); i++)
            if (!is_punct(cp[i])) len += (size_t)encode_utf8(lower_cp(cp[i]), buf + len);
        buf[len] = '\0';
        if (!len) continue; /* only punctuation */
        struct word *w = table_add(&t, buf);
        w->count++;
        /* slots move when the table grows but the strings do not: keep those, look up later */
        seq[n_words++] = w->text;
    }
    free(buf);
    struct word **order = malloc((t.used ? t.used : 1) * sizeof *order);
    if (!order) cli_fail("text: out of memory for the vocabulary");
    size_t k = 0;
    for (size_t i = 0; i < t.cap; i++)
        if (t.slots[i].text) order[k++] = &t.slots[i];
    qsort(order, t.used, sizeof *order, by_count);
    size_t keep = t.used;
    if (max_tokens > 0 && keep > (size_t)max_tokens - 2) keep = (size_t)max_tokens - 2;
    out->v = (int)keep + 2;
    out->vocab = malloc((size_t)out->v * sizeof *out->vocab);
    if (!out->vocab) cli_fail("text: out of memory for the vocabulary");
    out->vocab[0] = dup_str("");
    out->vocab[1] = dup_str("[UNK]");
    for (size_t j = 0; j < t.used; j++) {
        order[j]->id = j < keep ? (int32_t)j + 2 : 1;
        if (j < keep) out->vocab[j + 2] = order[j]->text;
    }
    out->ids = malloc((n_words ? n_words : 1) * sizeof *out->ids);
    if (!out->ids) cli_fail("text: out of memory");
    for (size_t j = 0; j < n_words; j++) out->ids[j] = table_find(&t, seq[j])->id;
    out->n = n_words;
    for (size_t j = keep; j < t.used; j++) free(order[j]->text); /* words not kept */
    free(order);
    free((void *)seq);
    free(t.slots);
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
    const char *out = NULL, *in = NULL, *builtin = NULL, *v;
    long window = 40, step = 3, max_tokens = 0;
    double test_fraction = 0;
    int word = 0, onehot = 0, lower = 0, print = 0;
    for (int i = 1; i < argc; i++) {
        if ((v = cli_flag_value(argc, argv, &i, "--out"))) out = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--in"))) in = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--builtin"))) builtin = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--level"))) {
            if (strcmp(v, "char") == 0) word = 0;
            else if (strcmp(v, "word") == 0) word = 1;
            else cli_usage_error("text: --level must be char or word, not '%s'", v);
        } else if ((v = cli_flag_value(argc, argv, &i, "--encoding"))) {
            if (strcmp(v, "ids") == 0) onehot = 0;
            else if (strcmp(v, "onehot") == 0) onehot = 1;
            else cli_usage_error("text: --encoding must be ids or onehot, not '%s'", v);
        } else if ((v = cli_flag_value(argc, argv, &i, "--window")))
            window = cli_long("--window", v, 1, 100000);
        else if ((v = cli_flag_value(argc, argv, &i, "--step")))
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

    /* the corpus as bytes, then as code points */
    const unsigned char *bytes = NULL;
    unsigned char *owned = NULL;
    size_t n_bytes = 0;
    char name[256];
    if (in) {
        bytes = owned = read_corpus(in, &n_bytes);
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
    size_t n_cp = decode_utf8(bytes, n_bytes, cp, name);
    free(owned);
    if (lower || word)
        for (size_t i = 0; i < n_cp; i++) cp[i] = lower_cp(cp[i]);

    struct tokens tok = {0};
    if (word) word_tokens(cp, n_cp, max_tokens, &tok);
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
