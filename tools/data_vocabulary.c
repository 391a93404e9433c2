/*
 * data_vocabulary.c - text turned into the ids of a vocabulary that a model already has
 * (clrnn-data text|labelled --vocabulary-from MODEL, clrnn-eval --text), the way clrnn-data
 * numbered the text the model was trained on. The level and normalization are read off the
 * tokens, as clrnn-data wrote them:
 *  - words when the vocabulary starts with "" and "[UNK]" (TextVectorization's numbering) or
 *    "", "[START]", "[UNK]" (keras.datasets.imdb's): lower-cased, ASCII punctuation
 *    stripped, split on whitespace; an unknown word is [UNK] (1, or 2 for imdb, where every
 *    sequence starts with 1);
 *  - characters otherwise: lower-cased first when the vocabulary has no upper-case letter
 *    (clrnn-data text --lower, or a corpus without capitals); a character not in it is an
 *    error, as it has no id.
 * Also the check that a dataset's vocabulary is the model's (clrnn-train, clrnn-eval).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "clrnn_formats.h"
#include "data_tasks.h"

void data_vocab_init(struct data_vocab *v, const char *prefix, const char *const *tokens,
                     int n) {
    memset(v, 0, sizeof *v);
    v->table.prefix = prefix;
    v->tokens = tokens;
    v->n = n;
    v->imdb = n > 2 && tokens[0][0] == '\0' && strcmp(tokens[1], "[START]") == 0 &&
              strcmp(tokens[2], "[UNK]") == 0;
    v->words = v->imdb || (n >= 2 && tokens[0][0] == '\0' && strcmp(tokens[1], "[UNK]") == 0);
    v->lower = !v->words;
    v->id_of = malloc((size_t)(n ? n : 1) * sizeof *v->id_of);
    if (!v->id_of) cli_fail("%s: out of memory for the vocabulary", prefix);
    for (int i = 0; i < n; i++) {
        /* a repeated token (imdb's "[UNUSED]") keeps its first id */
        size_t k = (size_t)data_text_word_index(&v->table, tokens[i]);
        if (k + 1 == v->table.n) v->id_of[k] = i;
        if (v->lower && !v->words) { /* an upper-case letter: the text kept its case */
            uint32_t cp[2];
            size_t len = strlen(tokens[i]);
            if (len <= 4 && data_text_decode_utf8(prefix, (const unsigned char *)tokens[i], len,
                                                  cp, "the vocabulary") == 1 &&
                data_text_lower(cp[0]) != cp[0])
                v->lower = 0;
        }
    }
    v->distinct = v->table.n;
}

int32_t data_vocab_id(struct data_vocab *v, const char *token) {
    /* an unknown token joins the table after the vocabulary's, and stays unknown */
    size_t k = (size_t)data_text_word_index(&v->table, token);
    return k < v->distinct ? v->id_of[k] : -1;
}

size_t data_vocab_ids(struct data_vocab *v, const uint32_t *cp, size_t n,
                      size_t (*extra_space)(const uint32_t *cp, size_t i, size_t n),
                      const char *name, int32_t *out) {
    size_t count = 0;
    char buf[5];
    if (!v->words) {
        for (size_t i = 0; i < n; i++) {
            uint32_t c = v->lower ? data_text_lower(cp[i]) : cp[i];
            data_text_encode_utf8(c, buf);
            int32_t k = data_vocab_id(v, buf);
            if (k < 0)
                cli_fail("%s: %s: the character '%s' (U+%04X, character %zu) is not in the "
                         "model's vocabulary of %d characters",
                         v->table.prefix, name, c == '\n' ? "\\n" : buf, (unsigned)c, i + 1, v->n);
            out[count++] = k;
        }
        return count;
    }
    char *word = malloc(n * 4 + 1);
    if (!word) cli_fail("%s: out of memory", v->table.prefix);
    int first = v->imdb ? 3 : 2, unknown = v->imdb ? 2 : 1;
    if (v->imdb) out[count++] = 1; /* the start id */
    for (size_t at = 0; data_text_next_word(cp, n, &at, word, extra_space);) {
        int32_t k = data_vocab_id(v, word);
        out[count++] = k >= first ? k : unknown;
    }
    free(word);
    return count;
}

void data_vocab_free(struct data_vocab *v) {
    data_text_words_free(&v->table);
    free(v->id_of);
}

void data_vocab_check(const clrnn_model *m, const char *model, const char *const *tokens,
                      int n, const char *data) {
    int have;
    const char *const *own = clrnn_model_vocabulary(m, &have);
    if (!have) return;
    int i = 0;
    while (i < n && i < have && strcmp(own[i], tokens[i]) == 0) i++;
    if (i == n && i == have) return;
    if (i < n && i < have)
        cli_fail("%s: its vocabulary (%d tokens) is not the one the model was trained with "
                 "(%s, %d tokens): id %d is '%s' there and '%s' in the model, so ids would "
                 "mean other tokens (make the dataset with clrnn-data --vocabulary-from %s)",
                 data, n, model, have, i, tokens[i], own[i], model);
    cli_fail("%s: its vocabulary (%d tokens) is not the one the model was trained with (%s, "
             "%d tokens), so ids would mean other tokens (make the dataset with clrnn-data "
             "--vocabulary-from %s)", data, n, model, have, model);
}

void data_vocab_carry(clrnn_model *m, const char *model, const char *data, int adopt) {
    cli_reading(data, cli_read_limit(data));
    int has = clrnn_fmt_data_has(data, "vocabulary");
    cli_reading(NULL, 0);
    if (has != 1) return;
    char **tokens;
    int n, have;
    cli_reading(data, cli_read_limit(data));
    clrnn_status s = clrnn_fmt_data_read_vocabulary(data, &tokens, &n);
    cli_reading(NULL, 0);
    if (s) cli_fail_status(s);
    data_vocab_check(m, model, (const char *const *)tokens, n, data);
    clrnn_model_vocabulary(m, &have);
    if (adopt && !have && (s = clrnn_model_set_vocabulary(m, (const char *const *)tokens, n)))
        cli_fail_status(s);
    clrnn_fmt_vocabulary_free(tokens, n);
}

clrnn_model *data_vocab_model(const char *prefix, const char *model, clrnn_ctx **ctx) {
    *ctx = cli_open_device(NULL);
    clrnn_model *m;
    clrnn_status s = cli_load_model(*ctx, model, NULL, &m);
    if (s) cli_fail_status(s);
    int n;
    clrnn_model_vocabulary(m, &n);
    if (n == 0)
        cli_fail("%s: --vocabulary-from %s: the model carries no vocabulary (it was not trained "
                 "on a dataset made by clrnn-data text or labelled, nor has a TextVectorization "
                 "layer)", prefix, model);
    return m;
}
