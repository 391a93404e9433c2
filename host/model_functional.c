/*
 * model_functional.c - Keras Functional models whose layers form a chain: each layer takes
 * the one tensor the layer before it made, the first is the InputLayer the model names as
 * its input, and the last is its output. Such a model is a Sequential one, and is built as
 * one. Anything else (branches, merges, shared layers, several inputs or outputs) is
 * refused naming the layer where the chain breaks.
 *
 * Keras 3 writes a layer's inputs as nodes {"args": [tensor...], "kwargs": {...}}, each
 * tensor {"class_name": "__keras_tensor__", "config": {"keras_history": [layer, node,
 * index]}}; Keras 2 as [[[layer, node, index, kwargs], ...]].
 */
#include <stdio.h>
#include <string.h>

#include "model_impl.h"

/* Counts the tensors a Keras 3 node value refers to, keeping the layer name of the first. */
static int keras3_sources(const cJSON *v, const char **first) {
    int n = 0;
    const cJSON *h = cJSON_IsObject(v) ? cJSON_GetObjectItemCaseSensitive(v, "keras_history") : NULL;
    if (cJSON_IsArray(h)) {
        const cJSON *name = cJSON_GetArrayItem(h, 0);
        if (!*first && cJSON_IsString(name)) *first = name->valuestring;
        return 1;
    }
    const cJSON *item;
    if (cJSON_IsObject(v) || cJSON_IsArray(v)) cJSON_ArrayForEach(item, v) {
        /* a mask or training flag given in kwargs is not an input of the chain */
        if (item->string && strcmp(item->string, "kwargs") == 0) continue;
        n += keras3_sources(item, first);
    }
    return n;
}

/* The layers a layer object takes its inputs from: their number, and the first one's name. */
static int layer_sources(const cJSON *layer, const char **first) {
    const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(layer, "inbound_nodes");
    *first = NULL;
    if (!cJSON_IsArray(nodes)) return 0;
    if (cJSON_GetArraySize(nodes) > 1) return -1; /* called more than once: a shared layer */
    const cJSON *node = cJSON_GetArrayItem(nodes, 0);
    if (!node) return 0;
    if (cJSON_IsObject(node)) return keras3_sources(node, first);
    int n = 0; /* Keras 2: a list of [layer, node, index, kwargs] */
    const cJSON *entry;
    cJSON_ArrayForEach(entry, node) {
        const cJSON *name = cJSON_GetArrayItem(entry, 0);
        if (!cJSON_IsString(name)) continue;
        if (!*first) *first = name->valuestring;
        n++;
    }
    return n;
}

static const char *layer_name(const cJSON *layer) {
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(layer, "name");
    if (!cJSON_IsString(n)) n = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(layer, "config"), "name");
    return cJSON_IsString(n) ? n->valuestring : "?";
}

/* The single layer name in input_layers / output_layers: [[name, 0, 0]] or [name, 0, 0]. */
static const char *endpoint(const cJSON *cfg, const char *key, int *count) {
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(cfg, key);
    *count = 0;
    if (!cJSON_IsArray(list)) return NULL;
    const cJSON *first = cJSON_GetArrayItem(list, 0);
    if (cJSON_IsString(first)) {
        *count = 1;
        return first->valuestring;
    }
    *count = cJSON_GetArraySize(list);
    const cJSON *name = cJSON_GetArrayItem(first, 0);
    return cJSON_IsString(name) ? name->valuestring : NULL;
}

clrnn_status clrnn_functional_check_chain(const cJSON *cfg, const char *model) {
    const cJSON *layers = cJSON_GetObjectItemCaseSensitive(cfg, "layers");
    int n_in, n_out;
    const char *in = endpoint(cfg, "input_layers", &n_in);
    const char *out = endpoint(cfg, "output_layers", &n_out);
    if (n_in != 1 || n_out != 1)
        return clrnn_fail(CLRNN_E_UNSUPPORTED, "Functional model '%s' has %d inputs and %d "
                          "outputs; clrnn runs models with one input and one output", model,
                          n_in, n_out);
    const cJSON *layer, *prev = NULL;
    cJSON_ArrayForEach(layer, layers) {
        const char *source;
        int n = layer_sources(layer, &source);
        if (!prev) {
            const cJSON *cls = cJSON_GetObjectItemCaseSensitive(layer, "class_name");
            if (!cJSON_IsString(cls) || strcmp(cls->valuestring, "InputLayer") != 0 || n != 0 ||
                !in || strcmp(layer_name(layer), in) != 0)
                return clrnn_fail(CLRNN_E_UNSUPPORTED, "Functional model '%s': the first layer "
                                  "'%s' is not its input layer '%s'", model, layer_name(layer),
                                  in ? in : "?");
        } else if (n != 1 || !source || strcmp(source, layer_name(prev)) != 0) {
            /* source is NULL for a tensor whose keras_history does not start with a name */
            return clrnn_fail(CLRNN_E_UNSUPPORTED, "Functional model '%s' is not a chain of "
                              "layers: layer '%s' takes %s%s%s instead of the output of '%s' "
                              "(clrnn runs chains only)", model, layer_name(layer),
                              n < 0 ? "the outputs of several calls" : n == 1 ? "the output of '" :
                              "several inputs", n == 1 ? (source ? source : "?") : "",
                              n == 1 ? "'" : "",
                              layer_name(prev));
        }
        prev = layer;
    }
    if (!prev || !out || strcmp(layer_name(prev), out) != 0)
        return clrnn_fail(CLRNN_E_UNSUPPORTED, "Functional model '%s': its output '%s' is not "
                          "the end of its chain of layers", model, out ? out : "?");
    return CLRNN_OK;
}
