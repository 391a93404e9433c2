/*
 * eval_text.c - clrnn-eval --text / --text-file: raw text scored by a model that carries
 * its vocabulary (trained on a clrnn-data labelled or text dataset, or a Keras model with a
 * TextVectorization first layer). Each line becomes ids as the training data did:
 * TextVectorization's standardization and split, 1 for an unknown word (or the Keras IMDB
 * numbering, with its start id 1 and unknown 2, when the vocabulary says "[START]"),
 * padded and cut to the model's input length at the start (pad_sequences' default) or, for
 * a TextVectorization model, at the end; a model of unknown length (TextVectorization
 * without output_sequence_length) takes the texts in Keras's predict batches of 32, each
 * padded to its longest text. One line of output per line of text: the score (one sigmoid
 * output) or the most likely class and its probability.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "data_tasks.h"
#include "eval_text.h"

/* The ids of one line of text, unpadded (*count of them; the caller frees them). */
static int32_t *line_ids(const char *line, struct data_words *table, int n_vocab, int imdb,
                         int *count) {
    size_t len = strlen(line);
    uint32_t *cp = malloc((len + 1) * sizeof *cp);
    char *word = malloc(len * 4 + 1);
    int32_t *ids = malloc((len + 2) * sizeof *ids);
    if (!cp || !word || !ids) cli_fail("out of memory");
    size_t n = data_text_decode_utf8("--text", (const unsigned char *)line, len, cp, "the text");
    int k = 0;
    if (imdb) ids[k++] = 1; /* the start id */
    for (size_t at = 0; data_text_next_word(cp, n, &at, word, NULL);) {
        int32_t id = data_text_word_index(table, word);
        int known = id < n_vocab && id >= (imdb ? 3 : 2);
        ids[k++] = known ? id : imdb ? 2 : 1;
    }
    free(cp), free(word);
    *count = k;
    return ids;
}

/* ids (count of them) as a row of T: pad_sequences' rule, too long keeps the end (pre) or
 * the start (post); short is padded with 0. */
static void pad_row(const int32_t *ids, int count, int pad_end, int T, int32_t *out) {
    int keep = count < T ? count : T, skip = pad_end ? 0 : count - keep;
    memset(out, 0, (size_t)T * sizeof *out);
    memcpy(out + (pad_end ? 0 : T - keep), ids + skip, (size_t)keep * sizeof *ids);
}

/* Keras's predict batch size, by which a model of unknown length pads its texts */
#define TEXT_BATCH 32

/* One line per text: the score (one sigmoid output) or the most likely class and its
 * probability. */
static void print_scores(const struct clrnn_array *y, int classes, char **lines, int n_lines) {
    const float *p = y->data;
    int64_t per = clrnn_array_count(y) / (n_lines ? n_lines : 1);
    for (int i = 0; i < n_lines; i++) {
        const float *row = p + (size_t)i * (size_t)per;
        if (classes == 1 || per != classes) {
            printf("%.4f\t%s\n", row[per - 1], lines[i]);
        } else {
            int best = 0;
            for (int c = 1; c < classes; c++)
                if (row[c] > row[best]) best = c;
            printf("%d\t%.4f\t%s\n", best, row[best], lines[i]);
        }
    }
}

void eval_text_lines(clrnn_model *m, const char *model, char **lines, int n_lines) {
    int n_vocab;
    const char *const *vocab = clrnn_model_vocabulary(m, &n_vocab);
    if (n_vocab == 0)
        cli_fail("%s carries no vocabulary: --text needs a model trained on a dataset made by "
                 "clrnn-data labelled or text (or a Keras model with TextVectorization)", model);
    int64_t in[4], out[4];
    clrnn_dtype dtype;
    int rank = clrnn_model_input_shape(m, in, &dtype), out_rank = clrnn_model_output_shape(m, out);
    if (rank != 1 || dtype != CLRNN_DTYPE_INT32)
        cli_fail("%s does not take token ids (its input is of rank %d): --text needs one that "
                 "does", model, rank + 1);
    int imdb = n_vocab > 2 && strcmp(vocab[1], "[START]") == 0;
    /* the vocabulary as a table: word -> its id (entries in id order) */
    struct data_words table = {.prefix = "--text"};
    for (int i = 0; i < n_vocab; i++) data_text_word_index(&table, vocab[i]);
    int classes = (int)out[out_rank - 1];
    int32_t **ids = calloc((size_t)n_lines + 1, sizeof *ids);
    int *counts = calloc((size_t)n_lines + 1, sizeof *counts);
    if (!ids || !counts) cli_fail("out of memory");
    for (int i = 0; i < n_lines; i++) ids[i] = line_ids(lines[i], &table, n_vocab, imdb, &counts[i]);
    /* a batch at a time, padded to the model's length, or for a model of unknown length to
     * the batch's longest text (as Keras's TextVectorization pads it) */
    for (int first = 0; first < n_lines; first += TEXT_BATCH) {
        int B = n_lines - first < TEXT_BATCH ? n_lines - first : TEXT_BATCH, T = (int)in[0];
        if (in[0] < 0) {
            T = 1; /* texts without a word: one padding step */
            for (int i = 0; i < B; i++) T = counts[first + i] > T ? counts[first + i] : T;
        }
        struct clrnn_array x, y;
        int64_t xd[2] = {B, T};
        clrnn_status s = clrnn_array_alloc(&x, CLRNN_DTYPE_INT32, 2, xd);
        if (s) cli_fail_status(s);
        for (int i = 0; i < B; i++)
            pad_row(ids[first + i], counts[first + i], clrnn_model_text_pads_at_end(m), T,
                    (int32_t *)x.data + (size_t)i * T);
        if ((s = clrnn_model_predict(m, &x, TEXT_BATCH, &y))) cli_fail_status(s);
        print_scores(&y, classes, lines + first, B);
        clrnn_array_clear(&x), clrnn_array_clear(&y);
    }
    for (int i = 0; i < n_lines; i++) free(ids[i]);
    free(ids), free(counts);
    data_text_words_free(&table);
}
