/*
 * model_io.c - loading and saving models through formats/: the Keras architecture JSON, the
 * weights of each layer in Keras's order and names, and the compile configuration
 * (training_config) so that a saved model evaluates and trains on with the same loss and
 * optimizer.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "clrnn_formats.h"
#include "model_impl.h"

#define KERAS_VERSION "2.15.0"
#define KERAS3_VERSION "3.6.0"
/* The epochs a model has trained, where Keras ignores it: training_config, an archive's
 * metadata.json, the top level of an architecture JSON. */
#define CLRNN_EPOCHS_KEY "clrnn_epochs_done"

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* ---- optimizer state (optimizer_weights) ---- */

/* Keras 3's variable-name prefix: the snake_case class name ("rm_sprop" for RMSprop). */
static const char *optimizer_prefix(clrnn_optimizer_kind k) {
    return k == CLRNN_OPT_SGD ? "sgd" : k == CLRNN_OPT_RMSPROP ? "rm_sprop" : "adam";
}

/* What optimizer_weights holds for a compiled model, as Keras 3 writes it: iteration,
 * learning_rate (none with a schedule), then the slots in Keras's order, named <prefix>/<model>_<weight path>_<kind>.
 * Everything the arrays point to lives in *st (freed with opt_state_free). */
struct opt_state {
    struct clrnn_optim_var *vars;
    struct clrnn_fmt_weight *ws;
    char (*names)[256];
    float *slots[3], scalars[2];
};

static void opt_state_free(struct opt_state *st) {
    clrnn_free(st->vars), clrnn_free(st->ws), clrnn_free(st->names);
    for (int i = 0; i < 3; i++) clrnn_free(st->slots[i]);
}

/* Room for the variables of m's optimizer and its three slots on the host; n gets the count
 * of slot variables. */
static clrnn_status opt_state_alloc(const clrnn_model *m, struct opt_state *st, int *n) {
    memset(st, 0, sizeof *st);
    int W = clrnn_model_weight_count(m);
    st->vars = clrnn_calloc((size_t)(3 * W + 1), sizeof *st->vars);
    st->ws = clrnn_calloc((size_t)(3 * W + 3), sizeof *st->ws);
    st->names = clrnn_calloc((size_t)(3 * W + 3), sizeof *st->names);
    for (int i = 0; i < 3; i++) st->slots[i] = clrnn_calloc(m->n_params + 1, sizeof(float));
    if (!st->vars || !st->ws || !st->names || !st->slots[0] || !st->slots[1] || !st->slots[2]) {
        opt_state_free(st);
        return clrnn_fail(CLRNN_E_NOMEM, "out of memory for the optimizer's state");
    }
    *n = clrnn_optim_variables(m->optim, st->vars);
    return CLRNN_OK;
}

/* Whether any variable lives in state buffer slot (the others are not allocated). */
static int slot_used(const struct clrnn_optim_var *vars, int n, int slot) {
    for (int i = 0; i < n; i++)
        if (vars[i].slot == slot) return 1;
    return 0;
}

/* Fills out (the optimizer_weights group) from the device state of m's optimizer. */
static clrnn_status optimizer_weights_out(clrnn_model *m, struct opt_state *st,
                                          struct clrnn_fmt_layer *out) {
    int n;
    clrnn_status s = opt_state_alloc(m, st, &n);
    for (int slot = 1; !s && slot <= 3; slot++)
        if (slot_used(st->vars, n, slot))
            s = clrnn_optim_read_slot(m->optim, m->ctx, slot, m->n_params, st->slots[slot - 1]);
    if (s) return s;
    const char *prefix = optimizer_prefix(m->compile.optimizer.kind);
    /* an optimizer with a schedule has no learning_rate variable in Keras */
    int first = m->compile.optimizer.schedule.kind == CLRNN_LR_CONSTANT ? 2 : 1;
    st->scalars[0] = (float)clrnn_optim_iterations(m->optim);
    st->scalars[1] = (float)m->compile.optimizer.learning_rate;
    snprintf(st->names[0], sizeof st->names[0], "%s/iteration", prefix);
    snprintf(st->names[1], sizeof st->names[1], "%s/learning_rate", prefix);
    st->ws[0] = (struct clrnn_fmt_weight){st->names[0], 0, {0}, &st->scalars[0], 1};
    st->ws[1] = (struct clrnn_fmt_weight){st->names[1], 0, {0}, &st->scalars[1], 0};
    for (int i = 0; i < n; i++) {
        struct clrnn_weight_info w;
        clrnn_model_weight(m, st->vars[i].weight, &w);
        const struct clrnn_weight *cw = NULL;
        for (int li = 0, k = 0; li < m->n_layers && !cw; li++)
            for (int j = 0; j < m->layers[li]->n_weights && !cw; j++, k++)
                if (k == st->vars[i].weight) cw = &m->layers[li]->w[j];
        char path[200];
        snprintf(path, sizeof path, "%.40s_%.60s_%.60s%s%.30s", m->name, w.layer, cw->scope,
                 cw->scope[0] ? "_" : "", w.name);
        for (char *c = path; *c; c++)
            if (*c == '/') *c = '_';
        snprintf(st->names[i + first], sizeof st->names[i + first], "%s/%s_%s", prefix, path,
                 st->vars[i].kind);
        struct clrnn_fmt_weight *fw = &st->ws[i + first];
        fw->name = st->names[i + first];
        fw->rank = w.rank;
        for (int d = 0; d < w.rank; d++) fw->dims[d] = w.dims[d];
        fw->data = st->slots[st->vars[i].slot - 1] + w.offset;
    }
    out->n_weights = n + first;
    out->weights = st->ws;
    return CLRNN_OK;
}

/* Restores the state of m's (just compiled) optimizer from a file's optimizer_weights, as
 * Keras 3 (iteration, learning_rate, then the slots in Keras's order), TF 2.11+'s tf.keras
 * (iteration:0, then the same order) or TF's legacy optimizers (iter:0, then every weight's
 * first slot, then every weight's second) write it. Like Keras, a state that does not fit
 * (another optimizer, another layout) is skipped with a warning: the model still loads, its
 * optimizer starts afresh. */
static clrnn_status optimizer_weights_in(clrnn_model *m, const struct clrnn_fmt_layer *in,
                                         const char *path) {
    struct opt_state st;
    int n;
    clrnn_status s = opt_state_alloc(m, &st, &n);
    if (s) return s;
    const char *why = NULL;
    /* only iteration (and learning_rate): the optimizer had not been built (no step yet) */
    int counters_only = in->n_weights >= 1 && in->n_weights <= 2 && n > 0;
    int has_lr = in->n_weights == n + 2 || (counters_only && in->n_weights == 2);
    int legacy = in->n_weights == n + 1 && in->weights[0].name &&
                 ends_with(in->weights[0].name, "/iter:0");
    if (in->n_weights != n + 2 && in->n_weights != n + 1 && !counters_only)
        why = "it holds another number of variables";
    if (counters_only) n = 0;
    int first = has_lr ? 2 : 1;
    /* the legacy order: slot by slot, each over the weights in order */
    int *order = clrnn_calloc((size_t)n + 1, sizeof *order);
    if (!order) why = "out of memory";
    for (int i = 0, k = 0; order && k < n; i++)
        for (int j = 0; j < n; j++)
            if (legacy ? st.vars[j].slot == i + 1 : j == i) order[k++] = j;
    for (int i = 0; !why && i < n; i++) {
        const struct clrnn_optim_var *var = &st.vars[order[i]];
        struct clrnn_weight_info w;
        clrnn_model_weight(m, var->weight, &w);
        const struct clrnn_fmt_weight *fw = &in->weights[first + i];
        int same = fw->rank == w.rank;
        for (int d = 0; same && d < w.rank; d++) same = fw->dims[d] == w.dims[d];
        if (!same) why = "a variable's shape does not match the model";
        else memcpy(st.slots[var->slot - 1] + w.offset, fw->data, w.count * sizeof(float));
    }
    if (!why && (in->weights[0].rank != 0 || (has_lr && in->weights[1].rank != 0)))
        why = "iteration and learning_rate are not scalars";
    if (why) {
        clrnn_log(1, "%s: the optimizer's saved state was not restored (%s); training goes on "
                  "from a fresh optimizer state", path, why);
    } else {
        for (int slot = 1; !s && slot <= 3; slot++)
            if (slot_used(st.vars, n, slot))
                s = clrnn_optim_write_slot(m->optim, m->ctx, slot, m->n_params,
                                           st.slots[slot - 1]);
        if (!s) {
            /* the file keeps the rate in float32: the configuration's double when they agree */
            double lr = m->compile.optimizer.learning_rate;
            if (has_lr && (float)lr != in->weights[1].data[0]) lr = in->weights[1].data[0];
            clrnn_optim_restore_counters(m->optim, (long)in->weights[0].data[0], lr);
            m->compile.optimizer.learning_rate = lr;
        }
    }
    clrnn_free(order);
    opt_state_free(&st);
    return s;
}

/* ---- weights ---- */

static int layer_has_weights(const struct clrnn_fmt_layer *l) { return l->n_weights > 0; }

static clrnn_status copy_weights(clrnn_model *m, const struct clrnn_fmt_model *f,
                                 const char *path) {
    int n_file = 0, n_model = 0;
    for (int i = 0; i < f->n_layers; i++) n_file += layer_has_weights(&f->layers[i]);
    for (int i = 0; i < m->n_layers; i++) n_model += m->layers[i]->n_weights > 0;
    if (n_file != n_model)
        return clrnn_fail(CLRNN_E_FORMAT, "%s: the file has weights for %d layers, the model has "
                          "%d layers with weights", path, n_file, n_model);
    int fi = 0;
    for (int i = 0; i < m->n_layers; i++) {
        struct clrnn_layer *l = m->layers[i];
        if (!l->n_weights) continue;
        while (!layer_has_weights(&f->layers[fi])) fi++;
        const struct clrnn_fmt_layer *fl = &f->layers[fi++];
        if (fl->n_weights != l->n_weights)
            return clrnn_fail(CLRNN_E_FORMAT, "%s: layer '%s' has %d weights in the file, the "
                              "model's layer '%s' (%s) needs %d", path, fl->name, fl->n_weights,
                              l->name, l->ops->keras_class, l->n_weights);
        for (int j = 0; j < l->n_weights; j++) {
            const struct clrnn_fmt_weight *fw = &fl->weights[j];
            const struct clrnn_weight *w = &l->w[j];
            int same = fw->rank == w->rank;
            for (int k = 0; same && k < w->rank; k++) same = fw->dims[k] == w->d[k];
            if (!same) {
                char a[96], b[96];
                return clrnn_fail(CLRNN_E_SHAPE, "%s: layer '%s' weight '%s': shape %s in the "
                                  "file, expected %s", path, fl->name, fw->name,
                                  clrnn_shape_str(fw->rank, fw->dims, a, sizeof a),
                                  clrnn_shape_str(w->rank, w->d, b, sizeof b));
            }
            memcpy(m->host_params + w->offset, fw->data, w->count * sizeof(float));
        }
    }
    return clrnn_buf_write(m->ctx, m->params, 0, m->n_params * sizeof(float), m->host_params);
}

/* Where each weight of m lives in a Keras 3 weights file: each layer's group is its
 * snake_case class name, numbered when the class repeats ("lstm", "lstm_1"), as Keras 3's
 * saving_lib walks a model's layers; each weight's path below it is known to the layer
 * (keras3_path). names[k] holds the path of the k-th weight, ws[k] the weight. */
static void keras3_weight_paths(const clrnn_model *m, char (*names)[256],
                                const struct clrnn_weight **ws) {
    int k = 0;
    for (int i = 0; i < m->n_layers; i++) {
        const struct clrnn_layer *l = m->layers[i];
        int repeats = 0; /* earlier layers of the same class */
        for (int j = 0; j < i; j++) repeats += m->layers[j]->ops == l->ops;
        char key[64];
        if (repeats) snprintf(key, sizeof key, "%s_%d", l->ops->spec_name, repeats);
        else snprintf(key, sizeof key, "%s", l->ops->spec_name);
        for (int j = 0; j < l->n_weights; j++, k++) {
            snprintf(names[k], sizeof names[k], "layers/%s/%s", key, l->w[j].keras3_path);
            ws[k] = &l->w[j];
        }
    }
}

/* Weights from a Keras 3 weights file (at path, or its bytes at image). */
static clrnn_status copy_weights_keras3(clrnn_model *m, const char *path, const void *image,
                                        size_t image_size) {
    int total = clrnn_model_weight_count(m);
    char (*names)[256] = clrnn_calloc((size_t)total + 1, sizeof *names);
    const char **list = clrnn_calloc((size_t)total + 1, sizeof *list);
    const struct clrnn_weight **ws = clrnn_calloc((size_t)total + 1, sizeof *ws);
    struct clrnn_fmt_weight *got = clrnn_calloc((size_t)total + 1, sizeof *got);
    clrnn_status s = CLRNN_OK;
    if (!names || !list || !ws || !got) s = clrnn_fail(CLRNN_E_NOMEM, "out of memory loading %s", path);
    if (!s) keras3_weight_paths(m, names, ws);
    for (int k = 0; !s && k < total; k++) list[k] = names[k];
    if (!s) s = clrnn_fmt_keras3_weights_read(path, image, image_size, list, total, got);
    for (int i = 0; !s && i < total; i++) {
        const struct clrnn_weight *w = ws[i];
        int same = got[i].rank == w->rank;
        for (int d = 0; same && d < w->rank; d++) same = got[i].dims[d] == w->d[d];
        if (!same) {
            char a[96], b[96];
            s = clrnn_fail(CLRNN_E_SHAPE, "%s: weight %s (%s): shape %s in the file, expected %s",
                           path, list[i], w->name, clrnn_shape_str(got[i].rank, got[i].dims, a, sizeof a),
                           clrnn_shape_str(w->rank, w->d, b, sizeof b));
        } else {
            memcpy(m->host_params + w->offset, got[i].data, w->count * sizeof(float));
        }
    }
    for (int i = 0; got && i < total; i++) clrnn_free(got[i].data);
    clrnn_free(names), clrnn_free(list), clrnn_free(ws), clrnn_free(got);
    if (s) return s;
    return clrnn_buf_write(m->ctx, m->params, 0, m->n_params * sizeof(float), m->host_params);
}

/* Builds a model from its configuration text, with hard_sigmoid as the Keras version
 * that wrote it means it (keras_version, or the configuration's own form). */
static clrnn_status model_from_config(clrnn_ctx *ctx, const char *json, const char *keras_version,
                                      clrnn_model **m) {
    return clrnn_model_from_json_keras(ctx, json, clrnn_keras_major_of(keras_version), NULL, 0,
                                       CLRNN_DTYPE_FLOAT32, 0, m);
}

/* Compiles m as a training_config or compile_config says, when it names a loss and an
 * optimizer clrnn can use, and restores the optimizer's state from opt (NULL or no
 * variables: none saved). Without a loss the model loads uncompiled: it still predicts. */
static clrnn_status compile_as_saved(clrnn_model *m, const cJSON *config,
                                     const struct clrnn_fmt_layer *opt, const char *path) {
    struct clrnn_compile_config cc;
    if (!clrnn_compile_parse(config, &cc, &m->epochs_done)) return CLRNN_OK;
    clrnn_status s = clrnn_model_compile(m, &cc);
    if (!s && opt && opt->n_weights > 0) s = optimizer_weights_in(m, opt, path);
    return s;
}

/* The compile_config of a Keras 3 model object (config.json, or to_json's output) and what
 * clrnn keeps beside it, compiling m and restoring its optimizer from opt. */
static clrnn_status compile_from_keras3_config(clrnn_model *m, const char *config,
                                               const struct clrnn_fmt_layer *opt,
                                               const char *path) {
    cJSON *root = cJSON_Parse(config);
    clrnn_status s = compile_as_saved(m, cJSON_GetObjectItemCaseSensitive(root, "compile_config"),
                                      opt, path);
    const cJSON *done = cJSON_GetObjectItemCaseSensitive(root, CLRNN_EPOCHS_KEY);
    if (cJSON_IsNumber(done) && done->valuedouble > 0 && done->valuedouble < 1e9)
        m->epochs_done = (int)done->valuedouble;
    cJSON_Delete(root);
    return s;
}

/* The optimizer's variables in a Keras 3 weights file (optimizer/vars/0, 1, ...: those of
 * a compiled model), at path or its bytes at image; n_weights 0 when it has none. */
static clrnn_status keras3_optimizer_vars(const char *path, const void *image, size_t size,
                                          struct clrnn_fmt_layer *opt) {
    memset(opt, 0, sizeof *opt);
    int n = 0;
    clrnn_status s = clrnn_fmt_keras3_group_size(path, image, size, "optimizer/vars", &n);
    if (s || n == 0) return s;
    char (*names)[32] = clrnn_calloc((size_t)n, sizeof *names);
    const char **list = clrnn_calloc((size_t)n, sizeof *list);
    opt->weights = clrnn_calloc((size_t)n, sizeof *opt->weights);
    if (!names || !list || !opt->weights) {
        s = clrnn_fail(CLRNN_E_NOMEM, "out of memory loading %s", path);
    } else {
        for (int i = 0; i < n; i++) {
            snprintf(names[i], sizeof names[i], "optimizer/vars/%d", i);
            list[i] = names[i];
        }
        s = clrnn_fmt_keras3_weights_read(path, image, size, list, n, opt->weights);
    }
    clrnn_free(names), clrnn_free(list);
    if (s) {
        clrnn_free(opt->weights);
        opt->weights = NULL;
        return s;
    }
    opt->n_weights = n;
    return CLRNN_OK;
}

static void optimizer_vars_free(struct clrnn_fmt_layer *opt) {
    for (int i = 0; i < opt->n_weights; i++) clrnn_free(opt->weights[i].data);
    clrnn_free(opt->weights);
    memset(opt, 0, sizeof *opt);
}

/* The weights of a Keras 3 weights file (at path, or its bytes at image) into m, and the
 * compile_config of its model object config with the optimizer's state from the same file. */
static clrnn_status keras3_state_in(clrnn_model *m, const char *config, const char *path,
                                    const void *image, size_t size) {
    struct clrnn_fmt_layer opt;
    clrnn_status s = copy_weights_keras3(m, path, image, size);
    if (!s) s = keras3_optimizer_vars(path, image, size, &opt);
    if (!s) {
        s = compile_from_keras3_config(m, config, &opt, path);
        optimizer_vars_free(&opt);
    }
    return s;
}

/* The model's vocabulary from a vocabulary.txt asset: one token a line (the first, the
 * padding token, empty), the last line ended by a newline or not. */
static clrnn_status vocabulary_from_lines(clrnn_model *m, char *text) {
    int n = 0;
    size_t len = strlen(text);
    if (len && text[len - 1] == '\n') text[--len] = '\0';
    for (size_t i = 0; i <= len; i++) n += text[i] == '\n' || text[i] == '\0';
    const char **tokens = clrnn_calloc((size_t)n, sizeof *tokens);
    if (!tokens) return clrnn_fail(CLRNN_E_NOMEM, "out of memory for the vocabulary");
    char *line = text;
    for (int k = 0; k < n; k++) {
        char *end = strchr(line, '\n');
        if (end) *end = '\0';
        tokens[k] = line;
        line = end ? end + 1 : line + strlen(line);
    }
    clrnn_status s = clrnn_model_set_vocabulary(m, tokens, n);
    clrnn_free(tokens);
    return s;
}

/* A Keras 3 .keras archive: config.json and model.weights.h5, read in memory. */
static clrnn_status load_keras_archive(clrnn_ctx *ctx, const char *path, clrnn_model **out) {
    struct clrnn_fmt_keras_archive a;
    clrnn_status s = clrnn_fmt_keras_archive_read(path, &a);
    if (s) return s;
    clrnn_model *m = NULL;
    s = model_from_config(ctx, a.config, a.keras_version ? a.keras_version : "3", &m);
    if (s) clrnn_fail_context(s, "%s", path);
    if (!s) s = keras3_state_in(m, a.config, path, a.weights, a.weights_size);
    if (!s && a.epochs_done > 0) m->epochs_done = a.epochs_done;
    if (!s && m->text_pad_post && !m->n_vocab && a.text_vocabulary)
        s = vocabulary_from_lines(m, a.text_vocabulary);
    if (!s && !m->n_vocab && a.vocabulary) /* the one clrnn keeps */
        s = clrnn_model_set_vocabulary(m, (const char *const *)a.vocabulary, a.n_vocabulary);
    clrnn_fmt_keras_archive_clear(&a);
    if (s) {
        clrnn_model_free(m);
        return s;
    }
    *out = m;
    return CLRNN_OK;
}

/* The weights file clrnn saves beside an architecture JSON (m.json: m.weights.h5 for
 * Keras 3, m.h5 for Keras 2), or NULL with the error set when neither is there. */
static char *weights_beside(const char *path) {
    size_t n = strlen(path) - (ends_with(path, ".json") ? 5 : 0);
    char *w = clrnn_malloc(n + sizeof ".weights.h5");
    if (!w) {
        clrnn_fail(CLRNN_E_NOMEM, "out of memory");
        return NULL;
    }
    static const char *const suffixes[] = {".weights.h5", ".h5"};
    for (int i = 0; i < 2; i++) {
        snprintf(w, n + sizeof ".weights.h5", "%.*s%s", (int)n, path, suffixes[i]);
        FILE *f = fopen(w, "rb");
        if (f) {
            fclose(f);
            return w;
        }
    }
    clrnn_fail(CLRNN_E_INVALID_ARG, "%s: an architecture JSON needs its weights file (--weights "
               "FILE; none beside it: %.*s.weights.h5 or %.*s.h5)", path, (int)n, path, (int)n,
               path);
    clrnn_free(w);
    return NULL;
}

static clrnn_status verify_test_vector(clrnn_model *m, const char *path,
                                       const struct clrnn_array *x,
                                       const struct clrnn_array *want, double *diff);

clrnn_status clrnn_model_load(clrnn_ctx *ctx, const char *path, const char *weights_path,
                              clrnn_model **out) {
    struct clrnn_fmt_model f, wf;
    memset(&wf, 0, sizeof wf);
    clrnn_status s = clrnn_fmt_model_read(path, &f);
    if (s) return s;
    if (f.kind == CLRNN_FMT_KERAS_ARCHIVE) return load_keras_archive(ctx, path, out);
    char *beside = NULL;
    const char *json = f.model_config;
    /* where the weights, training configuration, test vector and vocabulary come from */
    struct clrnn_fmt_model *w = &f;
    const char *weights_file = path;
    if (f.kind == CLRNN_FMT_H5_WEIGHTS || f.kind == CLRNN_FMT_KERAS3_WEIGHTS) {
        s = clrnn_fail(CLRNN_E_FORMAT, "%s: a weights-only file has no architecture; give "
                       "the architecture JSON as the model and this file as --weights", path);
    } else if (f.kind == CLRNN_FMT_JSON) {
        if (!weights_path && !(weights_path = beside = weights_beside(path)))
            s = CLRNN_E_INVALID_ARG;
        if (!s) s = clrnn_fmt_model_read(weights_path, &wf);
        if (!s && wf.kind != CLRNN_FMT_H5_WEIGHTS && wf.kind != CLRNN_FMT_H5_MODEL &&
            wf.kind != CLRNN_FMT_KERAS3_WEIGHTS)
            s = clrnn_fail(CLRNN_E_FORMAT, "%s: not an HDF5 file", weights_path);
        w = &wf;
        weights_file = weights_path;
    }
    int keras3_weights = w->kind == CLRNN_FMT_KERAS3_WEIGHTS;
    clrnn_model *m = NULL;
    if (!s) {
        s = model_from_config(ctx, json, w->keras_version, &m);
        if (s) clrnn_fail_context(s, "%s", path);
    }
    if (!s) s = keras3_weights ? keras3_state_in(m, json, weights_file, NULL, 0)
                               : copy_weights(m, w, weights_file);
    double diff;
    if (!s && f.kind == CLRNN_FMT_H5_MODEL && f.test_x.data)
        s = verify_test_vector(m, path, &f.test_x, &f.test_y, &diff);
    if (!s && w->vocabulary)
        s = clrnn_model_set_vocabulary(m, (const char *const *)w->vocabulary, w->n_vocabulary);
    /* a legacy file's training_config (a Keras 2 weights file clrnn wrote keeps one too),
     * else the compile_config of a Keras 3 to_json */
    if (!s && w->training_config) {
        cJSON *tc = cJSON_Parse(w->training_config);
        s = compile_as_saved(m, tc, &w->optimizer, weights_file);
        cJSON_Delete(tc);
    } else if (!s && f.kind == CLRNN_FMT_JSON && !keras3_weights) {
        s = compile_from_keras3_config(m, json, NULL, path);
    }
    clrnn_free(beside);
    clrnn_fmt_model_clear(&f);
    clrnn_fmt_model_clear(&wf);
    if (s) {
        clrnn_model_free(m);
        return s;
    }
    *out = m;
    return CLRNN_OK;
}

/* ---- the test vector: a fixed input and the output clrnn computed for it ---- */

/* A device whose output for the test vector is further than this from the saving device's
 * is refused: float32 outputs of O(1) computed in other summation orders differ by ~1e-6,
 * while a miscompiled or broken kernel is off by 1e-2 or more. */
#define TEST_VECTOR_TOLERANCE 1e-3

/* Two fixed samples for m's input: floats in [-1, 1], or token ids 0 and 1 (every
 * Embedding has at least two ids in practice; a model that refuses them gets no vector). */
static clrnn_status test_input(const clrnn_model *m, struct clrnn_array *x) {
    int64_t dims[5] = {2};
    for (int i = 0; i < m->in.rank; i++) dims[i + 1] = m->in.d[i];
    clrnn_status s = clrnn_array_alloc(x, m->in_dtype, m->in.rank + 1, dims);
    if (s) return s;
    uint64_t state = 0x7e57;
    for (int64_t i = 0; i < clrnn_array_count(x); i++) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        if (m->in_dtype == CLRNN_DTYPE_INT32) ((int32_t *)x->data)[i] = (int32_t)(state >> 63);
        else ((float *)x->data)[i] = (float)((double)(state >> 11) * 0x1.0p-53 * 2 - 1);
    }
    return CLRNN_OK;
}

/* The test vector of m, or none (rank 0) for a stateful model, whose predictions would move
 * its kept state, or an input the model refuses. */
static void make_test_vector(clrnn_model *m, struct clrnn_array *x, struct clrnn_array *y) {
    memset(x, 0, sizeof *x);
    memset(y, 0, sizeof *y);
    for (int i = 0; i < m->n_layers; i++)
        if (m->layers[i]->stateful) return;
    if (test_input(m, x) || clrnn_model_predict(m, x, 1, 2, y)) {
        clrnn_array_clear(x);
        clrnn_clear_error();
    }
}

clrnn_status clrnn_model_verify_test_vector(clrnn_model *m, const char *path, double *diff) {
    *diff = -1;
    if (clrnn_fmt_data_has(path, "clrnn_test_vector/x") != 1) return CLRNN_OK;
    struct clrnn_array x = {0}, want = {0};
    clrnn_status s = clrnn_fmt_data_read(path, "clrnn_test_vector/x", &x);
    if (!s) s = clrnn_fmt_data_read(path, "clrnn_test_vector/y", &want);
    if (s) clrnn_fail_context(s, "%s: the test vector", path);
    else s = verify_test_vector(m, path, &x, &want, diff);
    clrnn_array_clear(&x), clrnn_array_clear(&want);
    return s;
}

/* Recomputes the test vector x of the file at path and compares with its output want. */
static clrnn_status verify_test_vector(clrnn_model *m, const char *path,
                                       const struct clrnn_array *x,
                                       const struct clrnn_array *want, double *diff) {
    struct clrnn_array got;
    clrnn_status s = clrnn_model_predict(m, x, 1, 2, &got);
    if (!s && clrnn_array_count(&got) != clrnn_array_count(want))
        s = clrnn_fail(CLRNN_E_FORMAT, "%s: the test vector's output has %lld values, the model "
                       "gives %lld", path, (long long)clrnn_array_count(want),
                       (long long)clrnn_array_count(&got));
    if (!s) {
        double worst = 0;
        for (int64_t i = 0; i < clrnn_array_count(&got); i++) {
            double d = fabs((double)((float *)got.data)[i] - ((float *)want->data)[i]);
            if (!(d <= worst)) worst = d; /* NaN is the worst */
        }
        *diff = worst;
        if (!(worst <= TEST_VECTOR_TOLERANCE))
            s = clrnn_fail(CLRNN_E_NUMERIC, "%s: the device '%s' computes this model's test "
                           "vector off by %.3g (tolerance %g): its results cannot be trusted; "
                           "use another device or driver", path, m->ctx->info.name, worst,
                           TEST_VECTOR_TOLERANCE);
        clrnn_array_clear(&got);
    }
    return s;
}


/* The Keras 3 model object of config.json (and of to_json): the legacy configuration,
 * which Keras 3's Sequential reads layer by layer, under the module Keras 3 finds the class
 * in, with the compile_config of a compiled model; with clrnn's epoch count at its top
 * level when epochs (to_json's form; an archive keeps it in metadata.json). */
static char *keras3_config_text(const clrnn_model *m, int epochs) {
    cJSON *root = m->graph ? clrnn_graph_config_json(m, 3) : clrnn_model_config_json(m);
    if (!root) return NULL;
    if (!m->graph) { /* a graph's configuration says its module itself */
        cJSON_AddStringToObject(root, "module", "keras");
        cJSON_AddNullToObject(root, "registered_name");
    }
    if (m->compiled) cJSON_AddItemToObject(root, "compile_config", clrnn_compile_json(m, 1));
    if (epochs && m->epochs_done > 0) cJSON_AddNumberToObject(root, CLRNN_EPOCHS_KEY, m->epochs_done);
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return text;
}

/* A Keras 3 .keras archive (config: its config.json) or, config NULL, .weights.h5 file from
 * the weights on the host; a compiled model's optimizer variables go with them, as Keras 3
 * keeps them (optimizer/vars/0, 1, ...: iteration, learning_rate, then the slots). */
static clrnn_status save_keras3(clrnn_model *m, const char *path, const char *config) {
    int W = clrnn_model_weight_count(m), total = W;
    char (*names)[256] = clrnn_calloc((size_t)W + 1, sizeof *names);
    const struct clrnn_weight **ws = clrnn_calloc((size_t)W + 1, sizeof *ws);
    struct clrnn_fmt_weight *out = clrnn_calloc((size_t)4 * W + 3, sizeof *out); /* + slots */
    struct opt_state opt;
    memset(&opt, 0, sizeof opt);
    clrnn_status s = CLRNN_OK;
    if (!names || !ws || !out) s = clrnn_fail(CLRNN_E_NOMEM, "out of memory saving %s", path);
    /* Keras 3 has no activation with Keras 2's hard_sigmoid slope: refuse, don't change it */
    if (!s && config && m->keras_major < 3 && strstr(config, "\"hard_sigmoid\""))
        s = clrnn_fail(CLRNN_E_UNSUPPORTED, "%s: the model uses Keras 2's hard_sigmoid (slope "
                       "0.2), which a Keras 3 .keras file would read as Keras 3's (slope 1/6); "
                       "save it as .h5", path);
    if (!s) {
        keras3_weight_paths(m, names, ws);
        for (int k = 0; k < W; k++) {
            out[k].name = names[k];
            out[k].rank = ws[k]->rank;
            for (int d = 0; d < ws[k]->rank; d++) out[k].dims[d] = ws[k]->d[d];
            out[k].data = m->host_params + ws[k]->offset;
        }
    }
    struct clrnn_fmt_layer vars = {0};
    if (!s && m->compiled && m->optim) s = optimizer_weights_out(m, &opt, &vars);
    for (int i = 0; !s && i < vars.n_weights; i++, total++) {
        out[total] = vars.weights[i];
        snprintf(opt.names[i], sizeof opt.names[i], "optimizer/vars/%d", i);
        out[total].name = opt.names[i];
    }
    if (!s)
        s = config ? clrnn_fmt_keras_archive_write(path, config, KERAS3_VERSION, m->epochs_done,
                                                   out, total, (const char *const *)m->vocab,
                                                   m->n_vocab)
                   : clrnn_fmt_keras3_weights_write(path, out, total,
                                                    (const char *const *)m->vocab, m->n_vocab);
    opt_state_free(&opt);
    clrnn_free(names), clrnn_free(ws), clrnn_free(out);
    return s;
}

/* A legacy Keras .h5 from the weights on the host: the full model (model_config, clrnn's
 * test vector) or, weights_only, Keras 2's save_weights layout; both with the
 * training_config and optimizer_weights of a compiled model and the vocabulary, which
 * Keras ignores in a weights file. */
static clrnn_status save_legacy_h5(clrnn_model *m, const char *path, int weights_only) {
    clrnn_status s = CLRNN_OK;
    struct clrnn_fmt_model f;
    memset(&f, 0, sizeof f);
    struct opt_state opt;
    memset(&opt, 0, sizeof opt);
    struct clrnn_array tx = {0}, ty = {0};
    cJSON *cfg = weights_only ? NULL : clrnn_model_config_json(m);
    f.model_config = cfg ? cJSON_PrintUnformatted(cfg) : NULL;
    cJSON_Delete(cfg);
    if (m->compiled) {
        cJSON *tc = clrnn_compile_json(m, 0);
        /* Keras reads the keys of compile() from training_config and ignores this one */
        if (m->epochs_done > 0) cJSON_AddNumberToObject(tc, CLRNN_EPOCHS_KEY, m->epochs_done);
        f.training_config = tc ? cJSON_PrintUnformatted(tc) : NULL;
        cJSON_Delete(tc);
    }
    /* a configuration with Keras 3 semantics must say so, or hard_sigmoid changes meaning */
    f.keras_version = (char *)(m->keras_major >= 3 ? KERAS3_VERSION : KERAS_VERSION);
    f.backend = (char *)"tensorflow";
    f.n_layers = m->n_layers;
    f.layers = clrnn_calloc((size_t)m->n_layers, sizeof *f.layers);
    struct clrnn_fmt_weight *ws = clrnn_calloc((size_t)clrnn_model_weight_count(m) + 1, sizeof *ws);
    char (*names)[400] = clrnn_calloc((size_t)clrnn_model_weight_count(m) + 1, sizeof *names);
    if ((!weights_only && !f.model_config) || !f.layers || !ws || !names ||
        (m->compiled && !f.training_config)) {
        s = clrnn_fail(CLRNN_E_NOMEM, "out of memory saving %s", path);
    } else {
        int wi = 0;
        for (int i = 0; i < m->n_layers; i++) {
            struct clrnn_layer *l = m->layers[i];
            f.layers[i].name = l->name;
            f.layers[i].n_weights = l->n_weights;
            f.layers[i].weights = ws + wi;
            for (int j = 0; j < l->n_weights; j++, wi++) {
                const struct clrnn_weight *w = &l->w[j];
                /* tf.keras 2.13+ names: <layer>/<cell>/kernel:0 or <layer>/kernel:0 */
                if (w->scope[0])
                    snprintf(names[wi], sizeof names[wi], "%s/%s/%s:0", l->name, w->scope,
                             w->name);
                else
                    snprintf(names[wi], sizeof names[wi], "%s/%s:0", l->name, w->name);
                ws[wi].name = names[wi];
                ws[wi].rank = w->rank;
                for (int k = 0; k < w->rank; k++) ws[wi].dims[k] = w->d[k];
                ws[wi].data = m->host_params + w->offset;
            }
        }
        /* the optimizer's state, so that training can go on where it stopped */
        if (m->compiled && m->optim) s = optimizer_weights_out(m, &opt, &f.optimizer);
        if (!weights_only) make_test_vector(m, &tx, &ty);
        f.vocabulary = m->vocab;
        f.n_vocabulary = m->n_vocab;
        if (tx.rank) f.test_x = tx, f.test_y = ty;
        if (!s) s = clrnn_fmt_h5_write(path, &f);
    }
    opt_state_free(&opt);
    clrnn_array_clear(&tx), clrnn_array_clear(&ty);
    cJSON_free(f.model_config);
    cJSON_free(f.training_config);
    clrnn_free(f.layers);
    clrnn_free(ws);
    clrnn_free(names);
    return s;
}

/* The architecture JSON of m, as to_json writes it for the Keras it targets, with its
 * weights beside it (m.json: m.weights.h5 in Keras 3's layout, or m.h5 as Keras 2's
 * save_weights), and clrnn's epoch count at the JSON's top level, which Keras ignores. */
static clrnn_status save_json(clrnn_model *m, const char *path) {
    int keras3 = m->keras_major >= 3;
    size_t n = strlen(path) - (ends_with(path, ".json") ? 5 : 0);
    char *weights = clrnn_malloc(n + sizeof ".weights.h5"), *text = NULL;
    if (!weights) return clrnn_fail(CLRNN_E_NOMEM, "out of memory saving %s", path);
    snprintf(weights, n + sizeof ".weights.h5", "%.*s%s", (int)n, path,
             keras3 ? ".weights.h5" : ".h5");
    if (keras3) {
        text = keras3_config_text(m, 1);
    } else {
        cJSON *root = clrnn_model_config_json(m);
        if (root) {
            cJSON_AddStringToObject(root, "keras_version", KERAS_VERSION);
            cJSON_AddStringToObject(root, "backend", "tensorflow");
            if (m->epochs_done > 0) cJSON_AddNumberToObject(root, CLRNN_EPOCHS_KEY, m->epochs_done);
            text = cJSON_PrintUnformatted(root);
        }
        cJSON_Delete(root);
    }
    clrnn_status s = text ? CLRNN_OK : clrnn_fail(CLRNN_E_NOMEM, "out of memory saving %s", path);
    if (!s) s = keras3 ? save_keras3(m, weights, NULL) : save_legacy_h5(m, weights, 1);
    if (!s) s = clrnn_fmt_text_write(path, text);
    cJSON_free(text);
    clrnn_free(weights);
    return s;
}

clrnn_status clrnn_model_save(clrnn_model *m, const char *path) {
    clrnn_status s = clrnn_buf_read(m->ctx, m->params, 0, m->n_params * sizeof(float), m->host_params);
    if (s) return s;
    if (ends_with(path, ".keras")) {
        char *config = keras3_config_text(m, 0);
        s = config ? save_keras3(m, path, config)
                   : clrnn_fail(CLRNN_E_NOMEM, "out of memory saving %s", path);
        cJSON_free(config);
        return s;
    }
    if (ends_with(path, ".weights.h5")) return save_keras3(m, path, NULL);
    if (ends_with(path, ".json")) return save_json(m, path);
    return save_legacy_h5(m, path, 0);
}
