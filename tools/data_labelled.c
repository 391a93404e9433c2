/*
 * data_labelled.c - clrnn-data labelled: labelled texts (the aclImdb folder layout, or one
 * sample a line in TSV or CSV) to padded token ids and labels, for text classification with
 * an Embedding layer. Two ways of numbering the words:
 *  - textvectorization (TextVectorization's defaults): lower-cased, ASCII punctuation
 *    stripped, split on whitespace; id 0 is padding (""), 1 is "[UNK]", then the training
 *    split's words by frequency (ties alphabetical), at most max_tokens ids in all.
 *  - imdb (keras.datasets.imdb.load_data): the same words, ranked by frequency from 1; a word
 *    of rank r has id r + index_from, every sequence starts with 1, and an id w becomes the
 *    out-of-vocabulary 2 unless skip_top <= w < num_words (the test applies to the start id
 *    too, as in Keras).
 * The sequences are then cut and padded to maxlen as keras.utils.pad_sequences does.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "clrnn_formats.h"
#include "data_tasks.h"

#define MAX_FILE ((size_t)256 << 20) /* bytes of one input file */
#define MAX_OUTPUT_BYTES ((double)((int64_t)2 << 30))

static const char USAGE[] =
    "usage: clrnn-data labelled --out FILE.h5 (--dir ACLIMDB_DIR | --tsv FILE | --csv FILE)\n"
    "           [--test-tsv FILE | --test-csv FILE] [--maxlen T] [--padding pre|post]\n"
    "           [--truncating pre|post] [--conventions textvectorization|imdb]\n"
    "           [--max-tokens N] [--num-words N] [--skip-top N] [--index-from N] [--seed S]\n"
    "           [--vocabulary-from MODEL]\n"
    "\n"
    "Labelled texts to padded token ids, for text classification.\n"
    "  --dir: the aclImdb layout, DIR/train/neg and DIR/train/pos (labels 0 and 1) and, for a\n"
    "    test split, DIR/test/neg and DIR/test/pos; every *.txt is a review. Files are read\n"
    "    in name order, then each split is shuffled with --seed (as the Keras IMDB loader).\n"
    "  --tsv/--csv: one sample a line, label<TAB>text or label,text (CSV text may be\n"
    "    double-quoted, \"\" for a quote, and then span lines), kept in file order; labels\n"
    "    are integers 0 or more. --test-tsv/--test-csv: the test split, the same way.\n"
    "Texts are UTF-8. Standardizing: the HTML line breaks of aclImdb (\"<br />\", \"<br/>\",\n"
    "\"<br>\") become spaces (this is not in Keras), then lower-case, strip ASCII punctuation\n"
    "(string.punctuation) and split on whitespace, as TextVectorization's default. The words\n"
    "of the training split are numbered by frequency (ties alphabetical); words seen only in\n"
    "the test split are out of vocabulary.\n"
    "  --conventions textvectorization: 0 is padding, 1 [UNK], then the words; --max-tokens\n"
    "    (3 or more) limits the ids, those two included.\n"
    "  --conventions imdb (keras.datasets.imdb.load_data): the word of frequency rank r\n"
    "    (from 1) has id r + --index-from (2 or more), each sequence starts with 1, and\n"
    "    an id w (the start 1 included) becomes the out-of-vocabulary 2 unless\n"
    "    --skip-top <= w < --num-words.\n"
    "  --vocabulary-from MODEL: number the words with the vocabulary a trained model carries\n"
    "    (its conventions too), for new texts scored by it as clrnn-eval --text-file scores\n"
    "    them: words it does not know are out of vocabulary, and --maxlen and the padding\n"
    "    default to the model's (its input length; post for a TextVectorization model).\n"
    "Then pad_sequences: a longer sequence is cut to --maxlen (0: the longest sequence),\n"
    "keeping its end (--truncating pre) or its start (post), and a shorter one padded with\n"
    "0 before (--padding pre) or after it (post).\n"
    "Writes x_train int32 (N, T), y_train float32 (N, 1) when all labels are 0/1 (for\n"
    "Dense(1, sigmoid)) else int32 (N,) (class indices), x_test/y_test when there is a test\n"
    "split, and 'vocabulary', the token of each id (imdb: \"\", [START], [UNK], [UNUSED] up\n"
    "to --index-from, then the words), one summary line.\n"
    "Defaults: --maxlen 200 --padding pre --truncating pre --conventions textvectorization\n"
    "--index-from 3 --skip-top 0 --seed 1; no --max-tokens or --num-words limit.\n";

/* ---- aclImdb's line breaks ---- */

static uint32_t ascii_lower(uint32_t c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/* The length of an HTML line break at cp[i] ("<br />", "<br/>" or "<br>", any case, as the
 * aclImdb reviews have them), or 0. */
static size_t br_tag(const uint32_t *cp, size_t i, size_t n) {
    if (i + 3 >= n || cp[i] != '<' || ascii_lower(cp[i + 1]) != 'b' ||
        ascii_lower(cp[i + 2]) != 'r')
        return 0;
    size_t j = i + 3;
    while (j < n && cp[j] == ' ') j++;
    if (j < n && cp[j] == '/') j++;
    return j < n && cp[j] == '>' ? j + 1 - i : 0;
}

/* ---- the corpus: distinct words, and every sample as a run of word indices ---- */

struct sample {
    int32_t label;
    size_t start, len; /* into corpus.seq */
};

struct corpus {
    struct data_words words; /* distinct words; count: in the training split */
    int32_t *seq; /* word indices of all samples, one after the other */
    size_t n_seq, cap_seq;
    struct sample *samples[2]; /* train, test */
    size_t n_samples[2], cap_samples[2];
    char *buf; /* one word's UTF-8 */
    size_t cap_buf;
    uint32_t *cp; /* one text's code points */
    size_t cap_cp;
};

static void *grow(void *p, size_t *cap, size_t need, size_t size) {
    if (need <= *cap) return p;
    size_t n = *cap ? *cap : 64;
    while (n < need) n *= 2;
    void *q = realloc(p, n * size);
    if (!q) cli_fail("labelled: out of memory");
    *cap = n;
    return q;
}

/* Adds one sample of split k: the text (valid UTF-8, checked by the caller) standardized
 * (line breaks "<br />" as spaces, lower-cased, punctuation stripped) and split on
 * whitespace. */
static void add_sample(struct corpus *c, int k, int32_t label, const unsigned char *text,
                       size_t len, const char *name) {
    c->cp = grow(c->cp, &c->cap_cp, len + 1, sizeof *c->cp);
    size_t n = data_text_decode_utf8("labelled", text, len, c->cp, name);
    c->buf = grow(c->buf, &c->cap_buf, 4 * len + 1, 1);
    size_t start = c->n_seq;
    for (size_t i = 0; data_text_next_word(c->cp, n, &i, c->buf, br_tag);) {
        int32_t idx = data_text_word_index(&c->words, c->buf);
        if (k == 0) c->words.words[idx].count++;
        c->seq = grow(c->seq, &c->cap_seq, c->n_seq + 1, sizeof *c->seq);
        c->seq[c->n_seq++] = idx;
    }
    c->samples[k] = grow(c->samples[k], &c->cap_samples[k], c->n_samples[k] + 1,
                         sizeof *c->samples[k]);
    c->samples[k][c->n_samples[k]++] = (struct sample){label, start, c->n_seq - start};
}

/* ---- aclImdb: DIR/{train,test}/{neg,pos}/NAME.txt ---- */

static int is_dir(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The reviews of one class folder, in sorted name order. */
static void read_class_dir(struct corpus *c, int k, const char *dir, int32_t label) {
    DIR *d = opendir(dir);
    if (!d)
        cli_fail("labelled: %s: %s (expected the aclImdb layout: train/pos, train/neg and, "
                 "for a test split, test/pos, test/neg)",
                 dir, strerror(errno));
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 5 || e->d_name[0] == '.' || strcmp(e->d_name + len - 4, ".txt") != 0) continue;
        names = grow(names, &cap, n + 1, sizeof *names);
        names[n++] = data_text_dup("labelled", e->d_name);
    }
    closedir(d);
    if (n) qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        size_t plen = strlen(dir) + strlen(names[i]) + 2, len;
        char *path = malloc(plen);
        if (!path) cli_fail("labelled: out of memory");
        snprintf(path, plen, "%s/%s", dir, names[i]);
        unsigned char *text = data_text_read_file("labelled", path, MAX_FILE, &len);
        add_sample(c, k, label, text, len, path);
        free(text);
        free(path);
        free(names[i]);
    }
    free(names);
}

static void read_aclimdb(struct corpus *c, const char *dir) {
    struct stat st;
    if (stat(dir, &st) != 0) cli_fail("labelled: %s: %s", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode)) cli_fail("labelled: %s: not a folder (expected the aclImdb layout)", dir);
    size_t plen = strlen(dir) + 16;
    char *path = malloc(plen);
    if (!path) cli_fail("labelled: out of memory");
    static const char *const split[2] = {"train", "test"}, *const cls[2] = {"neg", "pos"};
    for (int k = 0; k < 2; k++) {
        snprintf(path, plen, "%s/%s", dir, split[k]);
        if (k == 1 && !is_dir(path)) break; /* no test split */
        for (int label = 0; label < 2; label++) {
            snprintf(path, plen, "%s/%s/%s", dir, split[k], cls[label]);
            read_class_dir(c, k, path, label);
        }
    }
    free(path);
}

/* ---- TSV and CSV: one sample a line (CSV: or a quoted field over several lines) ---- */

static int32_t parse_label(const char *s, size_t len, const char *name, size_t line) {
    char field[32];
    if (len > 0 && len < sizeof field) {
        memcpy(field, s, len);
        field[len] = '\0';
        char *end;
        errno = 0;
        long v = strtol(field, &end, 10);
        if (*end == '\0' && field[0] >= '0' && field[0] <= '9' && !errno && v <= 0x7fffffffL)
            return (int32_t)v;
    }
    cli_fail("labelled: %s:%zu: bad label '%.*s' (expected an integer, 0 or more)", name, line,
             (int)(len < 40 ? len : 40), s);
}

static void read_delimited(struct corpus *c, int k, const char *path, int csv) {
    size_t len;
    unsigned char *s = data_text_read_file("labelled", path, MAX_FILE, &len);
    data_text_decode_utf8("labelled", s, len, NULL, path); /* offsets within the file */
    size_t line = 1, i = 0;
    if (len >= 3 && s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf) i = 3; /* a byte-order mark */
    unsigned char *field = NULL;
    size_t cap_field = 0;
    const char sep = csv ? ',' : '\t';
    while (i < len) {
        size_t at_line = line, eol = i;
        while (eol < len && s[eol] != '\n') eol++;
        size_t end = eol > i && s[eol - 1] == '\r' ? eol - 1 : eol;
        if (end == i) { /* a blank line */
            i = eol + 1;
            line++;
            continue;
        }
        const unsigned char *sep_at = memchr(s + i, sep, end - i);
        size_t label_end = sep_at ? (size_t)(sep_at - s) : end, label_start = i;
        if (csv && label_end - label_start >= 2 && s[label_start] == '"' &&
            s[label_end - 1] == '"')
            label_start++, label_end--;
        if (!sep_at)
            cli_fail("labelled: %s:%zu: expected label%stext", path, at_line,
                     csv ? "," : "<TAB>");
        int32_t label = parse_label((const char *)s + label_start, label_end - label_start,
                                    path, at_line);
        size_t t = (size_t)(sep_at - s) + 1;
        if (csv && t < len && s[t] == '"') { /* quoted: "" is a quote; may span lines */
            size_t n = 0;
            for (t++;; t++) {
                if (t >= len)
                    cli_fail("labelled: %s:%zu: a quoted field is not closed", path, at_line);
                if (s[t] == '"') {
                    if (t + 1 < len && s[t + 1] == '"') t++;
                    else break;
                }
                if (s[t] == '\n') line++;
                field = grow(field, &cap_field, n + 1, 1);
                field[n++] = s[t];
            }
            t++; /* past the closing quote: only the end of the line may follow */
            size_t after = t;
            while (after < len && (s[after] == '\r' || s[after] == ' ')) after++;
            if (after < len && s[after] != '\n')
                cli_fail("labelled: %s:%zu: text after a closing quote (a quote inside a quoted "
                         "field is written \"\")",
                         path, line);
            add_sample(c, k, label, field, n, path);
            i = after + 1;
        } else {
            add_sample(c, k, label, s + t, end > t ? end - t : 0, path);
            i = eol + 1;
        }
        line++;
    }
    free(field);
    free(s);
}

/* ---- ids ---- */

struct numbering {
    int imdb;
    long max_tokens, num_words, skip_top, index_from;
};

/* Sets words[].id (the id of a word before the out-of-vocabulary test) and returns the
 * vocabulary, one string per id, *v of them. Words of the test split only are out of
 * vocabulary. */
static char **number_words(struct corpus *c, const struct numbering *o, int *v) {
    struct data_word **order = data_text_vocabulary(&c->words);
    size_t seen = 0; /* words of the training split */
    for (size_t k = 0; k < c->words.n; k++) seen += c->words.words[k].count > 0;
    size_t first = o->imdb ? (size_t)o->index_from + 1 : 2, keep = seen;
    long limit = o->imdb ? o->num_words : o->max_tokens;
    if (limit > 0 && first + keep > (size_t)limit)
        keep = (size_t)limit > first ? (size_t)limit - first : 0;
    if (first + keep > 0x7fffffff) cli_fail("labelled: more than 2^31 ids");
    char **vocab = malloc((first + keep) * sizeof *vocab);
    if (!vocab) cli_fail("labelled: out of memory for the vocabulary");
    vocab[0] = data_text_dup("labelled", "");
    if (o->imdb) {
        vocab[1] = data_text_dup("labelled", "[START]");
        vocab[2] = data_text_dup("labelled", "[UNK]");
        for (size_t k = 3; k < first; k++) vocab[k] = data_text_dup("labelled", "[UNUSED]");
    } else {
        vocab[1] = data_text_dup("labelled", "[UNK]");
    }
    int32_t oov = o->imdb ? 2 : 1;
    for (size_t r = 0; r < c->words.n; r++) {
        struct data_word *w = order[r];
        if (r < seen) w->id = (int32_t)(first + r); /* imdb: rank r + 1, plus index_from */
        else w->id = oov;
        if (r < keep) vocab[first + r] = data_text_dup("labelled", w->text);
    }
    free(order);
    *v = (int)(first + keep);
    return vocab;
}

/* number_words for --vocabulary-from: the ids of a trained model's vocabulary (v), a copy
 * of which is returned. */
static char **vocabulary_words(struct corpus *c, struct data_vocab *v, int *n) {
    int first = v->imdb ? 3 : 2, oov = v->imdb ? 2 : 1;
    for (size_t k = 0; k < c->words.n; k++) {
        int32_t id = data_vocab_id(v, c->words.words[k].text);
        c->words.words[k].id = id >= first ? id : oov;
    }
    char **vocab = malloc((size_t)(v->n ? v->n : 1) * sizeof *vocab);
    if (!vocab) cli_fail("labelled: out of memory for the vocabulary");
    for (int i = 0; i < v->n; i++) vocab[i] = data_text_dup("labelled", v->tokens[i]);
    *n = v->n;
    return vocab;
}

/* Token ids of one sample, before padding: the start id first under imdb, and the
 * out-of-vocabulary id for what is not in the vocabulary. Returns the length. */
static size_t sample_ids(const struct corpus *c, const struct sample *s,
                         const struct numbering *o, int v, int32_t *out) {
    size_t n = 0;
    if (o->imdb) out[n++] = 1;
    for (size_t t = 0; t < s->len; t++) out[n++] = c->words.words[c->seq[s->start + t]].id;
    if (o->imdb) { /* w if skip_top <= w < num_words else oov_char, over the whole row */
        for (size_t t = 0; t < n; t++)
            if (out[t] >= v || out[t] < o->skip_top) out[t] = 2;
    } else {
        for (size_t t = 0; t < n; t++)
            if (out[t] >= v) out[t] = 1;
    }
    return n;
}

/* ---- the subcommand ---- */

int data_labelled_main(int argc, char **argv) {
    const char *out = NULL, *dir = NULL, *train[2] = {NULL, NULL}, *test[2] = {NULL, NULL}, *v;
    const char *vocab_from = NULL;
    long maxlen = 200, seed = 1;
    int post_padding = 0, post_truncating = 0, have_tv_flag = 0, have_imdb_flag = 0;
    int have_maxlen = 0, have_padding = 0, have_truncating = 0, have_conventions = 0;
    struct numbering o = {0, 0, 0, 0, 3};
    cli_init("clrnn-data", USAGE); /* usage errors and --help show this subcommand's text */
    for (int i = 1; i < argc; i++) {
        if ((v = cli_flag_value(argc, argv, &i, "--out"))) out = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--dir"))) dir = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--tsv"))) train[0] = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--csv"))) train[1] = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--test-tsv"))) test[0] = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--test-csv"))) test[1] = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--vocabulary-from"))) vocab_from = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--maxlen"))) {
            maxlen = cli_long("--maxlen", v, 0, 1000000);
            have_maxlen = 1;
        } else if ((v = cli_flag_value(argc, argv, &i, "--padding"))) {
            have_padding = 1;
            if (strcmp(v, "pre") == 0) post_padding = 0;
            else if (strcmp(v, "post") == 0) post_padding = 1;
            else cli_usage_error("labelled: --padding must be pre or post, not '%s'", v);
        } else if ((v = cli_flag_value(argc, argv, &i, "--truncating"))) {
            have_truncating = 1;
            if (strcmp(v, "pre") == 0) post_truncating = 0;
            else if (strcmp(v, "post") == 0) post_truncating = 1;
            else cli_usage_error("labelled: --truncating must be pre or post, not '%s'", v);
        } else if ((v = cli_flag_value(argc, argv, &i, "--conventions"))) {
            have_conventions = 1;
            if (strcmp(v, "textvectorization") == 0) o.imdb = 0;
            else if (strcmp(v, "imdb") == 0) o.imdb = 1;
            else
                cli_usage_error("labelled: --conventions must be textvectorization or imdb, "
                                "not '%s'", v);
        } else if ((v = cli_flag_value(argc, argv, &i, "--max-tokens"))) {
            o.max_tokens = cli_long("--max-tokens", v, 3, 0x7fffffffL);
            have_tv_flag = 1;
        } else if ((v = cli_flag_value(argc, argv, &i, "--num-words"))) {
            o.num_words = cli_long("--num-words", v, 1, 0x7fffffffL);
            have_imdb_flag = 1;
        } else if ((v = cli_flag_value(argc, argv, &i, "--skip-top"))) {
            o.skip_top = cli_long("--skip-top", v, 0, 0x7fffffffL);
            have_imdb_flag = 1;
        } else if ((v = cli_flag_value(argc, argv, &i, "--index-from"))) {
            o.index_from = cli_long("--index-from", v, 2, 1000000);
            have_imdb_flag = 1;
        } else if ((v = cli_flag_value(argc, argv, &i, "--seed")))
            seed = cli_long("--seed", v, 0, 0x7fffffffL);
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) cli_help();
        else cli_usage_error("labelled: unknown option '%s'", argv[i]);
    }
    if (!out) cli_usage_error("labelled: --out FILE.h5 is required");
    if ((dir != NULL) + (train[0] != NULL) + (train[1] != NULL) != 1)
        cli_usage_error("labelled: give one of --dir ACLIMDB_DIR, --tsv FILE and --csv FILE");
    if (test[0] && test[1]) cli_usage_error("labelled: give at most one of --test-tsv and --test-csv");
    if (dir && (test[0] || test[1]))
        cli_usage_error("labelled: --dir reads the test split from DIR/test; --test-tsv and "
                        "--test-csv go with --tsv or --csv");
    if (o.imdb && have_tv_flag)
        cli_usage_error("labelled: --max-tokens applies to --conventions textvectorization "
                        "(imdb: --num-words)");
    if (!o.imdb && have_imdb_flag)
        cli_usage_error("labelled: --num-words, --skip-top and --index-from apply to "
                        "--conventions imdb");

    if (vocab_from && (have_conventions || have_tv_flag || have_imdb_flag))
        cli_usage_error("labelled: --vocabulary-from numbers the words as the model's "
                        "vocabulary does; --conventions, --max-tokens, --num-words, --skip-top "
                        "and --index-from do not go with it");
    clrnn_ctx *ctx = NULL;
    clrnn_model *model = vocab_from ? data_vocab_model("labelled", vocab_from, &ctx) : NULL;
    struct data_vocab mv = {0};
    if (model) { /* the model's input length and padding, unless told otherwise */
        int n;
        const char *const *tokens = clrnn_model_vocabulary(model, &n);
        data_vocab_init(&mv, "labelled", tokens, n);
        if (!mv.words)
            cli_fail("labelled: --vocabulary-from %s: the model's vocabulary is of characters; "
                     "labelled texts are numbered by words", vocab_from);
        int64_t in[4];
        clrnn_dtype dtype;
        if (clrnn_model_input_shape(model, in, &dtype) != 1 || dtype != CLRNN_DTYPE_INT32)
            cli_fail("labelled: --vocabulary-from %s: the model does not take token ids",
                     vocab_from);
        if (!have_maxlen) maxlen = (long)in[0];
        if (!have_padding) post_padding = clrnn_model_text_pads_at_end(model);
        if (!have_truncating) post_truncating = clrnn_model_text_pads_at_end(model);
        o.imdb = mv.imdb;
    }

    struct corpus c = {.words = {.prefix = "labelled"}};
    const char *name = dir ? dir : train[0] ? train[0] : train[1];
    if (dir) {
        read_aclimdb(&c, dir);
    } else {
        read_delimited(&c, 0, name, train[1] != NULL);
        if (test[0] || test[1]) read_delimited(&c, 1, test[0] ? test[0] : test[1], test[1] != NULL);
    }
    if (c.n_samples[0] == 0)
        cli_fail("labelled: %s: empty corpus (no training samples%s)", name,
                 dir ? " in train/neg and train/pos" : "");
    size_t train_words = 0;
    for (size_t k = 0; k < c.words.n; k++) train_words += c.words.words[k].count > 0;
    if (train_words == 0) cli_fail("labelled: %s: empty corpus (no words)", name);
    if (dir) { /* the loader shuffles: folders are one class after the other */
        struct data_rng rng = data_rng_seeded((uint64_t)seed, 13);
        for (int k = 0; k < 2; k++)
            for (size_t i = c.n_samples[k]; i > 1; i--) {
                size_t j = data_rng_below(&rng, (uint32_t)i);
                struct sample t = c.samples[k][i - 1];
                c.samples[k][i - 1] = c.samples[k][j];
                c.samples[k][j] = t;
            }
    }

    int V;
    char **vocab = model ? vocabulary_words(&c, &mv, &V) : number_words(&c, &o, &V);
    if (model) {
        data_vocab_free(&mv);
        clrnn_model_free(model);
        clrnn_ctx_free(ctx);
    }
    size_t longest = 0;
    int binary = 1;
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < c.n_samples[k]; i++) {
            size_t len = c.samples[k][i].len + (size_t)o.imdb;
            if (len > longest) longest = len;
            if (c.samples[k][i].label > 1) binary = 0;
        }
    size_t T = maxlen ? (size_t)maxlen : longest ? longest : 1; /* 0: the longest sequence */
    double bytes_out = (double)(c.n_samples[0] + c.n_samples[1]) * (double)T * 4;
    if (bytes_out > MAX_OUTPUT_BYTES)
        cli_fail("labelled: %zu samples x %zu ids would take %.1f GiB (more than 2 GiB); use a "
                 "smaller --maxlen",
                 c.n_samples[0] + c.n_samples[1], T, bytes_out / (1 << 30));

    int32_t *ids = malloc((longest + 1) * sizeof *ids);
    if (!ids) cli_fail("labelled: out of memory");
    struct clrnn_array x[2], y[2];
    for (int k = 0; k < 2; k++) {
        int64_t n = (int64_t)c.n_samples[k], xd[2] = {n, (int64_t)T}, yd[2] = {n, 1};
        clrnn_status s = clrnn_array_alloc(&x[k], CLRNN_DTYPE_INT32, 2, xd);
        /* 0/1 labels: float32 (N, 1) for Dense(1, sigmoid) and binary_crossentropy; class
         * indices: int32 (N,) for sparse_categorical_crossentropy */
        if (!s)
            s = clrnn_array_alloc(&y[k], binary ? CLRNN_DTYPE_FLOAT32 : CLRNN_DTYPE_INT32,
                                  binary ? 2 : 1, yd);
        if (s) cli_fail_status(s);
        int32_t *xv = x[k].data;
        memset(xv, 0, (size_t)n * T * sizeof *xv);
        for (size_t r = 0; r < c.n_samples[k]; r++) {
            const struct sample *sm = &c.samples[k][r];
            size_t len = sample_ids(&c, sm, &o, V, ids);
            /* pad_sequences: truncating pre keeps the end, post the start; then zeros before
             * (pre) or after (post) the ids */
            const int32_t *from = ids;
            if (len > T) {
                if (!post_truncating) from = ids + (len - T);
                len = T;
            }
            int32_t *row = xv + r * T + (post_padding ? 0 : T - len);
            memcpy(row, from, len * sizeof *row);
            if (binary) ((float *)y[k].data)[r] = (float)sm->label;
            else ((int32_t *)y[k].data)[r] = sm->label;
        }
    }
    free(ids);
    size_t counts[2] = {c.n_samples[0], c.n_samples[1]};
    struct clrnn_fmt_named_array arrays[4] = {
        {"x_train", &x[0]}, {"y_train", &y[0]}, {"x_test", &x[1]}, {"y_test", &y[1]}};
    clrnn_status s = clrnn_fmt_data_write_vocabulary(out, arrays, counts[1] > 0 ? 4 : 2,
                                                     (const char *const *)vocab, V);
    if (s) cli_fail_status(s);
    for (int k = 0; k < 2; k++) {
        clrnn_array_clear(&x[k]);
        clrnn_array_clear(&y[k]);
        free(c.samples[k]);
    }
    for (int k = 0; k < V; k++) free(vocab[k]);
    free(vocab);
    data_text_words_free(&c.words);
    free(c.seq);
    free(c.buf);
    free(c.cp);
    printf("labelled: %zu training and %zu test samples, maxlen %zu (%s padding, %s truncating), "
           "vocabulary of %d (%s, %zu distinct training words), %s labels -> %s\n",
           counts[0], counts[1], T, post_padding ? "post" : "pre", post_truncating ? "post" : "pre",
           V, vocab_from ? vocab_from : o.imdb ? "imdb" : "textvectorization", train_words,
           binary ? "0/1 float32" : "class index int32", out);
    return 0;
}
