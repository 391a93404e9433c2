/*
 * model_json.c - models from and to Keras architecture JSON (Sequential; keras-format.md 3),
 * and from the --layers one-line syntax (which becomes the same layer objects).
 */
#include <stdio.h>
#include <string.h>

#include "model_impl.h"
#include "layers.h"

/* Whether a declared input leaves only its length unknown: a sequence (ids, or steps of
 * known features) of any length, which the data sets batch by batch (model_steps.c). */
static int unknown_length_only(const struct clrnn_shape *declared, clrnn_dtype dtype) {
    if (declared->rank < 1 || declared->d[0] >= 0) return 0;
    if (declared->rank == 1 && dtype != CLRNN_DTYPE_INT32) return 0; /* unknown features */
    for (int i = 1; i < declared->rank; i++)
        if (declared->d[i] < 1) return 0;
    return 1;
}

/* Combines the input shape the JSON declares (unknown dims -1) with the one given by the
 * caller (from the data). An unknown length stays unknown (*free_steps): the model starts
 * at the data's length, or at one step. */
static clrnn_status merge_shapes(const struct clrnn_shape *declared, int have_declared,
                                 clrnn_dtype dtype, const int64_t *given, int given_rank,
                                 struct clrnn_shape *out, int *free_steps) {
    char a[96], b[96];
    *free_steps = have_declared && unknown_length_only(declared, dtype);
    if (!have_declared && !given)
        return clrnn_fail(CLRNN_E_SHAPE, "the architecture does not say its input shape; give "
                          "data or an input shape");
    if (!given) {
        *out = *declared;
        if (*free_steps) out->d[0] = 1;
        for (int i = 0; i < out->rank; i++)
            if (out->d[i] < 1)
                return clrnn_fail(CLRNN_E_SHAPE, "the architecture's input shape %s leaves "
                                  "more than its length unknown (None); clrnn needs its features",
                                  clrnn_batch_shape_str(declared, a, sizeof a));
        return CLRNN_OK;
    }
    struct clrnn_shape g = {given_rank, {0}};
    for (int i = 0; i < given_rank && i < 4; i++) g.d[i] = given[i];
    if (have_declared) {
        int ok = declared->rank == given_rank;
        for (int i = 0; ok && i < given_rank; i++)
            ok = declared->d[i] < 0 || declared->d[i] == given[i];
        if (!ok)
            return clrnn_fail(CLRNN_E_SHAPE, "the data has shape %s per batch, but the model "
                              "declares input %s", clrnn_batch_shape_str(&g, a, sizeof a),
                              clrnn_batch_shape_str(declared, b, sizeof b));
    }
    *out = g;
    return CLRNN_OK;
}

/* Keras 2 and 3 call a model of layers wired by their calls "Functional" ("Model" before
 * TF 2.4). */
static int is_functional(const char *cls) {
    return strcmp(cls, "Functional") == 0 || strcmp(cls, "Model") == 0;
}

/* The Keras major version a configuration was written by: Keras 2's to_json() names it at
 * the top; Keras 3 serializes each layer with its "module". 0 when it does not say. */
static int keras_major_of_config(const cJSON *root, const cJSON *layers) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "keras_version");
    if (cJSON_IsString(v) && clrnn_keras_major_of(v->valuestring)) return clrnn_keras_major_of(v->valuestring);
    if (cJSON_GetObjectItemCaseSensitive(root, "module")) return 3;
    const cJSON *item;
    cJSON_ArrayForEach(item, layers) if (cJSON_GetObjectItemCaseSensitive(item, "module")) return 3;
    return 0;
}

/* A layer with return_state gives tensors of its own: a Functional model with one is a
 * graph even when its layers form a chain (the next layer may take a state). */
static int has_return_state(const cJSON *layers) {
    const cJSON *item;
    cJSON_ArrayForEach(item, layers) {
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(item, "config");
        /* Bidirectional says it in its wrapped layer's config */
        const cJSON *inner = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(c, "layer"), "config");
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "return_state")) ||
            cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(inner, "return_state")))
            return 1;
    }
    return 0;
}

clrnn_status clrnn_model_from_json(clrnn_ctx *ctx, const char *json, const int64_t *input_shape,
                                   int input_rank, clrnn_dtype input_dtype, uint64_t seed,
                                   clrnn_model **out) {
    return clrnn_model_from_json_keras(ctx, json, 0, input_shape, input_rank, input_dtype, seed,
                                       out);
}

clrnn_status clrnn_model_from_json_keras(clrnn_ctx *ctx, const char *json, int keras_major,
                                         const int64_t *input_shape, int input_rank,
                                         clrnn_dtype input_dtype, uint64_t seed,
                                         clrnn_model **out) {
    cJSON *root = clrnn_json_parse(json, "model architecture");
    if (!root) return CLRNN_E_FORMAT;
    clrnn_status s = CLRNN_OK;
    const cJSON *cls = cJSON_GetObjectItemCaseSensitive(root, "class_name");
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(root, "config");
    const cJSON *layers = cJSON_IsArray(cfg) ? cfg : cJSON_GetObjectItemCaseSensitive(cfg, "layers");
    const cJSON *jname = cJSON_GetObjectItemCaseSensitive(cfg, "name");
    /* the configuration's own word first, else the caller's */
    int major = keras_major_of_config(root, layers);
    if (!major) major = keras_major ? keras_major : CLRNN_KERAS_MAJOR_DEFAULT;
    if (!cJSON_IsString(cls)) {
        s = clrnn_fail(CLRNN_E_FORMAT, "model architecture: no \"class_name\" at the top level");
    } else if (strcmp(cls->valuestring, "Sequential") != 0 && !is_functional(cls->valuestring)) {
        s = clrnn_fail(CLRNN_E_UNSUPPORTED, "model architecture: class '%s' is not supported "
                       "(Sequential models are, and Functional ones whose layers form a chain)",
                       cls->valuestring);
    } else if (!cJSON_IsArray(layers)) {
        s = clrnn_fail(CLRNN_E_FORMAT, "model architecture: no \"layers\" list");
    } else if (is_functional(cls->valuestring) &&
               (has_return_state(layers) ||
                clrnn_functional_check_chain(cfg, cJSON_IsString(jname) ? jname->valuestring : "?"))) {
        /* not a chain: a graph of layers, with the shapes its inputs declare */
        clrnn_clear_error();
        s = clrnn_graph_build(ctx, cfg, cJSON_IsString(jname) ? jname->valuestring : NULL, major,
                              seed, out);
        cJSON_Delete(root);
        return s;
    }
    struct clrnn_shape declared = {0};
    int have_declared = 0;
    clrnn_dtype dtype = input_dtype;
    int n = 0;
    cJSON **objs = NULL;
    if (!s) {
        clrnn_json_read_batch_shape(cJSON_GetObjectItemCaseSensitive(cfg, "build_input_shape"),
                                    &declared) &&
            (have_declared = 1);
        objs = clrnn_calloc((size_t)cJSON_GetArraySize(layers) + 1, sizeof *objs);
        if (!objs) s = clrnn_fail(CLRNN_E_NOMEM, "out of memory reading the architecture");
    }
    const cJSON *item;
    int first = 1;
    cJSON_ArrayForEach(item, layers) {
        if (s) break;
        const cJSON *lc = cJSON_GetObjectItemCaseSensitive(item, "class_name");
        const cJSON *lcfg = cJSON_GetObjectItemCaseSensitive(item, "config");
        if (!cJSON_IsObject(item) || !cJSON_IsString(lc)) {
            s = clrnn_fail(CLRNN_E_FORMAT, "model architecture: layer %d has no \"class_name\"", n + 1);
            break;
        }
        if (first) {
            struct clrnn_shape sh;
            if (clrnn_json_batch_shape(lcfg, &sh)) {
                declared = sh;
                have_declared = 1;
            }
            if (strcmp(lc->valuestring, "InputLayer") == 0 || have_declared)
                dtype = input_shape ? input_dtype : clrnn_json_dtype(lcfg, input_dtype);

        }
        first = 0;
        if (strcmp(lc->valuestring, "InputLayer") == 0) continue;
        objs[n++] = (cJSON *)item;
    }
    /* a TextVectorization first layer: the model runs on the ids it would make */
    int text_length = 0, n_text_vocab = 0, text_vectorized = 0;
    char **text_vocab = NULL;
    if (!s && n > 0 && clrnn_is_text_vectorization(objs[0])) {
        /* without output_sequence_length Keras pads each batch to its longest text */
        s = clrnn_text_vectorization_read(objs[0], &text_length, &text_vocab, &n_text_vocab);
        memmove(objs, objs + 1, (size_t)(--n) * sizeof *objs);
        text_vectorized = 1;
        declared = (struct clrnn_shape){1, {text_length ? text_length : -1}};
        have_declared = 1;
        dtype = CLRNN_DTYPE_INT32;
    }
    /* an Embedding's "dtype" is its weights' type, and tf.keras's automatic InputLayer says
     * float32: an Embedding's input is token ids all the same */
    if (!s && n > 0 && !input_shape) {
        const cJSON *c0 = cJSON_GetObjectItemCaseSensitive(objs[0], "class_name");
        if (strcmp(c0->valuestring, "Embedding") == 0) dtype = CLRNN_DTYPE_INT32;
    }
    struct clrnn_shape in;
    int free_steps = 0;
    if (!s) s = merge_shapes(&declared, have_declared, dtype, input_shape, input_rank, &in, &free_steps);
    clrnn_model *m = NULL;
    if (!s)
        s = clrnn_model_build(ctx, objs, n, &in, dtype,
                              cJSON_IsString(jname) ? jname->valuestring : NULL, major, seed, &m);
    if (!s) m->free_steps = free_steps;
    if (!s && text_vectorized) m->text_pad_post = 1;
    if (!s && text_vocab) s = clrnn_model_set_vocabulary(m, (const char *const *)text_vocab, n_text_vocab);
    if (s) clrnn_model_free(m);
    else *out = m;
    for (int i = 0; i < n_text_vocab; i++) clrnn_free(text_vocab[i]);
    clrnn_free(text_vocab);
    clrnn_free(objs);
    cJSON_Delete(root);
    return s;
}

clrnn_status clrnn_model_from_spec(clrnn_ctx *ctx, const char *spec, const int64_t *input_shape,
                                   int input_rank, clrnn_dtype input_dtype, uint64_t seed,
                                   clrnn_model **out) {
    return clrnn_model_from_spec_keras(ctx, spec, CLRNN_KERAS_MAJOR_DEFAULT, input_shape,
                                       input_rank, input_dtype, seed, out);
}

clrnn_status clrnn_model_from_spec_keras(clrnn_ctx *ctx, const char *spec, int keras_major,
                                         const int64_t *input_shape, int input_rank,
                                         clrnn_dtype input_dtype, uint64_t seed,
                                         clrnn_model **out) {
    cJSON **objs;
    int n;
    clrnn_status s = clrnn_spec_parse(spec, &objs, &n);
    if (s) return s;
    struct clrnn_shape in = {input_rank, {0}};
    if (input_rank < 1 || input_rank > 4)
        s = clrnn_fail(CLRNN_E_SHAPE, "input rank %d is not supported", input_rank + 1);
    for (int i = 0; !s && i < input_rank; i++) in.d[i] = input_shape[i];
    if (!s) s = clrnn_model_build(ctx, objs, n, &in, input_dtype, "sequential", keras_major,
                                         seed, out);
    for (int i = 0; i < n; i++) cJSON_Delete(objs[i]);
    clrnn_free(objs);
    return s;
}

static cJSON *input_layer_json(const clrnn_model *m) {
    cJSON *o = cJSON_CreateObject(), *c = cJSON_CreateObject();
    struct clrnn_shape shown = clrnn_model_shown_shape(m, &m->in, 1); /* None: any length */
    cJSON *shape = clrnn_shape_json(&shown);
    cJSON_AddStringToObject(o, "class_name", "InputLayer");
    cJSON_AddItemToObject(c, "batch_input_shape", shape);
    cJSON_AddStringToObject(c, "dtype", m->in_dtype == CLRNN_DTYPE_INT32 ? "int32" : "float32");
    cJSON_AddFalseToObject(c, "sparse");
    cJSON_AddFalseToObject(c, "ragged");
    cJSON_AddStringToObject(c, "name", "input_1");
    cJSON_AddItemToObject(o, "config", c);
    return o;
}

cJSON *clrnn_model_config_json(const clrnn_model *m) {
    if (m->graph) return clrnn_graph_config_json(m, m->keras_major);
    cJSON *root = cJSON_CreateObject(), *cfg = cJSON_CreateObject(), *layers = cJSON_CreateArray();
    cJSON_AddStringToObject(root, "class_name", "Sequential");
    cJSON_AddStringToObject(cfg, "name", m->name);
    cJSON_AddItemToArray(layers, input_layer_json(m));
    for (int i = 0; i < m->n_layers; i++) {
        const struct clrnn_layer *l = m->layers[i];
        cJSON *o = cJSON_CreateObject(), *c = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "class_name", l->ops->keras_class);
        cJSON_AddStringToObject(c, "name", l->name);
        cJSON_AddTrueToObject(c, "trainable");
        cJSON_AddStringToObject(c, "dtype", "float32");
        l->ops->config_json(l, c);
        cJSON_AddItemToObject(o, "config", c);
        cJSON_AddItemToArray(layers, o);
    }
    cJSON_AddItemToObject(cfg, "layers", layers);
    cJSON_AddItemToObject(root, "config", cfg);
    return root;
}

clrnn_status clrnn_model_to_json(const clrnn_model *m, char **json) {
    cJSON *root = clrnn_model_config_json(m);
    char *text = root ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    /* cJSON allocates with malloc (the caller frees with free, as clrnn_model_summary's) */
    if (!text) return clrnn_fail(CLRNN_E_NOMEM, "out of memory writing the architecture");
    *json = text;
    return CLRNN_OK;
}
