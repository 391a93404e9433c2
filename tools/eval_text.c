/*
 * eval_text.c - clrnn-eval --text / --text-file: raw text scored by a model that carries
 * its vocabulary (trained on a clrnn-data labelled or text dataset, or a Keras model with a
 * TextVectorization first layer). Each line becomes ids as clrnn-data numbered the training
 * text (data_vocab_ids: the vocabulary's own level and case):
 *  - for a classifier (words): padded and cut to the model's input length at the start
 *    (pad_sequences' default) or, for a TextVectorization model, at the end; a model of
 *    unknown length (TextVectorization without output_sequence_length) takes the texts in
 *    Keras's predict batches of 32, each padded to its longest text;
 *  - for a model of the next token over its vocabulary (characters or words, ids or
 *    one-hot input): the last T tokens, the window the model reads; a shorter text is fed a
 *    token at a time to the stepping copy of the model (clrnn_model_stepper), as
 *    clrnn-generate feeds its seed, since its windows never held padding.
 * One line of output per line of text: the score (one sigmoid output), the most likely next
 * token of a model that predicts one over its vocabulary, or the most likely class, with its
 * probability; or one JSON object with all of them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "data_tasks.h"
#include "eval_text.h"

/* Keras's predict batch size, by which a model of unknown length pads its texts */
#define TEXT_BATCH 32

/* What the model takes: T tokens as ids (T < 0: any number), or one-hot (T, V) when
 * one_hot. */
struct text_input {
    int T, one_hot, V;
};

static void put_token(const struct text_input *in, int32_t id, float *xf, int32_t *xi) {
    if (in->one_hot) xf[id] = 1.0f;
    else *xi = id;
}

/* The model's output row (per floats) for ids fed one at a time to the stepping model. */
static void step_through(clrnn_model *stepper, const struct text_input *in, const int32_t *ids,
                         size_t n, float *row, int64_t per) {
    struct clrnn_array x, y;
    int64_t d[3] = {1, 1, in->V};
    clrnn_status s = clrnn_array_alloc(&x, in->one_hot ? CLRNN_DTYPE_FLOAT32 : CLRNN_DTYPE_INT32,
                                       in->one_hot ? 3 : 2, d);
    if (s) cli_fail_status(s);
    clrnn_model_reset_states(stepper);
    for (size_t t = 0; t < n; t++) {
        if (in->one_hot) memset(x.data, 0, (size_t)in->V * sizeof(float));
        put_token(in, ids[t], x.data, x.data);
        if ((s = clrnn_model_predict(stepper, &x, 1, 1, &y))) cli_fail_status(s);
        if (t + 1 == n) memcpy(row, y.data, (size_t)per * sizeof *row);
        clrnn_array_clear(&y);
    }
    clrnn_array_clear(&x);
}

/* A token as it can be read on one line: a newline or tab as \n or \t. */
static const char *visible(const char *token, char *buf, size_t size) {
    if (strcmp(token, "\n") == 0) return "\\n";
    if (strcmp(token, "\t") == 0) return "\\t";
    if (strcmp(token, "\r") == 0) return "\\r";
    snprintf(buf, size, "%s", token);
    return buf;
}

void eval_text_lines(clrnn_model *m, const char *model, char **lines, int n_lines, int json) {
    int n_vocab;
    const char *const *vocab = clrnn_model_vocabulary(m, &n_vocab);
    if (n_vocab == 0)
        cli_fail("%s carries no vocabulary: --text needs a model trained on a dataset made by "
                 "clrnn-data labelled or text (or a Keras model with TextVectorization)", model);
    struct data_vocab v;
    data_vocab_init(&v, "--text", vocab, n_vocab);
    int64_t dims[4], out[4];
    clrnn_dtype dtype;
    int rank = clrnn_model_input_shape(m, dims, &dtype), out_rank = clrnn_model_output_shape(m, out);
    struct text_input in = {(int)dims[0], rank == 2 && dtype == CLRNN_DTYPE_FLOAT32, n_vocab};
    if (!(rank == 1 && dtype == CLRNN_DTYPE_INT32) && !(in.one_hot && dims[1] == n_vocab && !v.words))
        cli_fail("%s does not take token ids (its input is of rank %d): --text needs one that "
                 "does", model, rank + 1);
    int pad_end = clrnn_model_text_pads_at_end(m), classes = (int)out[out_rank - 1];
    /* a model of the next token over its vocabulary read windows of text, never padding */
    int next_token = classes == n_vocab && out_rank == 1 && in.T > 0;
    int32_t **ids = calloc((size_t)n_lines + 1, sizeof *ids);
    size_t *counts = calloc((size_t)n_lines + 1, sizeof *counts);
    if (!ids || !counts) cli_fail("out of memory");
    for (int i = 0; i < n_lines; i++) {
        size_t len = strlen(lines[i]);
        uint32_t *cp = malloc((len + 1) * sizeof *cp);
        ids[i] = malloc((len + 2) * sizeof *ids[i]);
        if (!cp || !ids[i]) cli_fail("out of memory");
        size_t n_cp = data_text_decode_utf8("--text", (const unsigned char *)lines[i], len, cp,
                                            "the text");
        char name[64]; /* the text, for an error message */
        snprintf(name, sizeof name, "'%.40s%s'", lines[i], len > 40 ? "..." : "");
        counts[i] = data_vocab_ids(&v, cp, n_cp, NULL, name, ids[i]);
        free(cp);
        if (next_token && counts[i] == 0) cli_fail("--text: %s has no tokens to read", name);
    }
    /* a batch at a time: padded to the model's length, or for a model of unknown length to
     * the batch's longest text (as Keras's TextVectorization pads a predict batch) */
    float *p = NULL;
    int64_t per = 0;
    size_t step = in.one_hot ? (size_t)n_vocab : 1;
    clrnn_model *stepper = NULL;
    for (int first = 0; first < n_lines; first += TEXT_BATCH) {
        int B = n_lines - first < TEXT_BATCH ? n_lines - first : TEXT_BATCH, T = in.T;
        if (T < 0) {
            T = 1; /* texts without a word: one padding step */
            for (int i = first; i < first + B; i++) T = (int)counts[i] > T ? (int)counts[i] : T;
        }
        struct clrnn_array x, y;
        int64_t xd[3] = {B, T, n_vocab};
        clrnn_status s = clrnn_array_alloc(&x, in.one_hot ? CLRNN_DTYPE_FLOAT32 : CLRNN_DTYPE_INT32,
                                           in.one_hot ? 3 : 2, xd);
        if (s) cli_fail_status(s);
        for (int r = 0; r < B; r++) {
            size_t count = counts[first + r];
            if (next_token && count < (size_t)T) continue; /* fed to the stepping model below */
            /* pad_sequences: too long keeps the end (pre) or the start (post); short is
             * padded with 0 (for words, padding) */
            size_t keep = count < (size_t)T ? count : (size_t)T, skip = pad_end ? 0 : count - keep;
            size_t at = pad_end ? 0 : (size_t)T - keep;
            for (size_t t = 0; t < keep; t++) {
                size_t cell = ((size_t)r * (size_t)T + at + t) * step;
                put_token(&in, ids[first + r][skip + t], (float *)x.data + cell,
                          (int32_t *)x.data + cell);
            }
        }
        if ((s = clrnn_model_predict(m, &x, 1, TEXT_BATCH, &y))) cli_fail_status(s);
        if (!p) {
            per = clrnn_array_count(&y) / B;
            p = malloc((size_t)n_lines * (size_t)per * sizeof *p);
            if (!p) cli_fail("out of memory");
        }
        if (clrnn_array_count(&y) != (int64_t)B * per)
            cli_fail("%s: its output per text changes with the text's length: --text needs one "
                     "output per text", model);
        memcpy(p + (size_t)first * (size_t)per, y.data, (size_t)B * (size_t)per * sizeof *p);
        for (int r = 0; r < B; r++) {
            int i = first + r;
            if (!next_token || counts[i] >= (size_t)T) continue;
            if (!stepper && (s = clrnn_model_stepper(m, &stepper))) {
                fprintf(stderr, "%s: '%s' has %zu tokens, fewer than the %d the model reads, "
                        "and the model cannot read them one at a time:\n", cli_prog(), lines[i],
                        counts[i], T);
                cli_fail_status(s);
            }
            step_through(stepper, &in, ids[i], counts[i], p + (size_t)i * (size_t)per, per);
        }
        clrnn_array_clear(&x), clrnn_array_clear(&y);
    }
    clrnn_model_free(stepper);
    for (int i = 0; i < n_lines; i++) free(ids[i]);
    free(ids), free(counts);

    cJSON *all = json ? cJSON_CreateArray() : NULL;
    for (int i = 0; i < n_lines; i++) {
        const float *row = p + (size_t)i * (size_t)per;
        int best = 0;
        for (int c = 1; c < per; c++)
            if (row[c] > row[best]) best = c;
        char buf[64];
        if (json) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "text", lines[i]);
            if (classes == 1 || per != classes) {
                cJSON_AddNumberToObject(o, "score", row[per - 1]);
            } else {
                if (next_token) cJSON_AddStringToObject(o, "token", vocab[best]);
                cJSON_AddNumberToObject(o, next_token ? "id" : "class", best);
                cJSON_AddNumberToObject(o, "probability", row[best]);
            }
            cJSON_AddItemToArray(all, o);
        } else if (classes == 1 || per != classes) {
            printf("%.4f\t%s\n", row[per - 1], lines[i]);
        } else if (next_token) {
            printf("%s\t%.4f\t%s\n", visible(vocab[best], buf, sizeof buf), row[best], lines[i]);
        } else {
            printf("%d\t%.4f\t%s\n", best, row[best], lines[i]);
        }
    }
    if (json) {
        cJSON *root = cJSON_CreateObject();
        cJSON_AddStringToObject(root, "level", v.words ? "word" : "char");
        cJSON_AddItemToObject(root, "predictions", all);
        char *text = cJSON_PrintUnformatted(root);
        if (!text) cli_fail("out of memory");
        printf("%s\n", text);
        cJSON_free(text);
        cJSON_Delete(root);
    }
    data_vocab_free(&v);
    free(p);
}
