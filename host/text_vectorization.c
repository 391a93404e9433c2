/*
 * text_vectorization.c - Keras's TextVectorization as a model's first layer (a Keras model
 * that takes raw strings). clrnn runs models on token ids, so the layer is taken apart: its
 * output length becomes the model's input length (none: a model of unknown length, each
 * batch padded at the end to its longest text, as Keras pads it), its vocabulary (inline in the config, or
 * the vocabulary.txt asset of a .keras archive) becomes the model's vocabulary, and tools
 * that read text (clrnn-eval --text) turn strings into ids as it does: lower-case, strip
 * punctuation, split on whitespace, ids by the vocabulary with 1 for unknown words, padded
 * or cut at the end to the output length (or padded to the batch's longest text).
 */
#include <string.h>

#include "model_impl.h"

int clrnn_is_text_vectorization(const cJSON *layer) {
    const cJSON *cls = cJSON_GetObjectItemCaseSensitive(layer, "class_name");
    return cJSON_IsString(cls) && strcmp(cls->valuestring, "TextVectorization") == 0;
}

/* A config key that must be absent, null or the one value clrnn reproduces. */
static clrnn_status expect(const cJSON *c, const char *name, const char *key, const char *want) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(c, key);
    if (!v || cJSON_IsNull(v) || (cJSON_IsString(v) && strcmp(v->valuestring, want) == 0))
        return CLRNN_OK;
    return clrnn_fail(CLRNN_E_UNSUPPORTED, "layer '%s' (TextVectorization): %s must be '%s' "
                      "(clrnn reproduces that one)", name, key, want);
}

clrnn_status clrnn_text_vectorization_read(const cJSON *layer, int *length, char ***vocab,
                                           int *n_vocab) {
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(layer, "config");
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "name"));
    if (!name) name = "?";
    *vocab = NULL;
    *n_vocab = 0;
    clrnn_status s;
    if ((s = expect(c, name, "output_mode", "int")) || (s = expect(c, name, "split", "whitespace")) ||
        (s = expect(c, name, "standardize", "lower_and_strip_punctuation")))
        return s;
    const cJSON *ngrams = cJSON_GetObjectItemCaseSensitive(c, "ngrams");
    if (ngrams && !cJSON_IsNull(ngrams))
        return clrnn_fail(CLRNN_E_UNSUPPORTED, "layer '%s' (TextVectorization): ngrams are not "
                          "supported", name);
    const cJSON *len = cJSON_GetObjectItemCaseSensitive(c, "output_sequence_length");
    *length = 0; /* none: each batch padded to its longest text */
    if (len && !cJSON_IsNull(len) &&
        (!cJSON_IsNumber(len) || len->valuedouble < 1 || len->valuedouble > 1e7))
        return clrnn_fail(CLRNN_E_FORMAT, "layer '%s' (TextVectorization): "
                          "output_sequence_length must be null or a length from 1 to 1e7", name);
    if (cJSON_IsNumber(len)) *length = (int)len->valuedouble;
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(c, "vocabulary"), *t;
    if (!cJSON_IsArray(list)) return CLRNN_OK; /* kept as an asset of the archive */
    int n = cJSON_GetArraySize(list);
    char **tokens = clrnn_calloc((size_t)n + 1, sizeof *tokens);
    if (!tokens) return clrnn_fail(CLRNN_E_NOMEM, "out of memory for the vocabulary");
    int k = 0;
    cJSON_ArrayForEach(t, list) {
        if (!cJSON_IsString(t) || !(tokens[k] = clrnn_strdup(t->valuestring))) {
            while (k--) clrnn_free(tokens[k]);
            clrnn_free(tokens);
            return clrnn_fail(CLRNN_E_FORMAT, "layer '%s' (TextVectorization): its vocabulary "
                              "is not a list of strings", name);
        }
        k++;
    }
    *vocab = tokens;
    *n_vocab = n;
    return CLRNN_OK;
}
