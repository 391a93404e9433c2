/*
 * model.c - a Sequential chain of layers: building it (shapes, packed parameters, Keras's
 * initial values), device buffers for a batch, forward and backward passes, and the
 * accessors of the public API.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embedding_rnn.h"
#include "model_impl.h"

/* Keras-style unique names: "simple_rnn", "simple_rnn_1", ... for layers without one. */
static void name_layers(clrnn_model *m) {
    for (int i = 0; i < m->n_layers; i++) {
        struct clrnn_layer *l = m->layers[i];
        if (l->name[0]) continue;
        for (int k = 0;; k++) {
            char candidate[128];
            if (k == 0)
                snprintf(candidate, sizeof candidate, "%s", l->ops->spec_name);
            else
                snprintf(candidate, sizeof candidate, "%s_%d", l->ops->spec_name, k);
            int taken = 0;
            for (int j = 0; j < m->n_layers; j++)
                if (strcmp(m->layers[j]->name, candidate) == 0) taken = 1;
            if (!taken) {
                snprintf(l->name, sizeof l->name, "%s", candidate);
                break;
            }
        }
    }
}

static clrnn_status init_params(clrnn_model *m) {
    for (int i = 0; i < m->n_layers; i++) {
        struct clrnn_layer *l = m->layers[i];
        for (int j = 0; j < l->n_weights; j++) {
            struct clrnn_weight *w = &l->w[j];
            int64_t rows = w->rank == 2 ? w->d[0] : 1, cols = w->rank == 2 ? w->d[1] : (int64_t)w->count;
            clrnn_status s = w->rank >= 3
                ? clrnn_init_fill_conv(w->init, m->host_params + w->offset, w->rank, w->d, &m->rng)
                : clrnn_init_fill(w->init, m->host_params + w->offset, rows, cols, &m->rng);
            if (s) return s;
        }
    }
    return CLRNN_OK;
}

/* Keras refuses a mask given to a layer that cannot take one; so does clrnn, naming both. */
static clrnn_status check_mask_taken(const clrnn_model *m, int i) {
    const struct clrnn_layer *l = m->layers[i];
    if (!l->mask_in || l->ops->supports_masking) return CLRNN_OK;
    char d[200], shape[96];
    return clrnn_fail(CLRNN_E_UNSUPPORTED, "%s does not support masking, but its input %s "
                      "carries a mask (from Embedding mask_zero=true); put a recurrent layer "
                      "that consumes the mask before it",
                      clrnn_layer_desc(l, d, sizeof d),
                      clrnn_batch_shape_str(&l->in, shape, sizeof shape));
}

/* In a chain each layer passes one tensor on: return_state's several outputs need a
 * Functional model that says where each goes. */
static clrnn_status check_single_output(const clrnn_model *m, int i) {
    const struct clrnn_layer *l = m->layers[i];
    if (!l->n_aux_out) return CLRNN_OK;
    char d[200], shape[96];
    return clrnn_fail(CLRNN_E_UNSUPPORTED, "%s: return_state=true gives %d tensors (the output "
                      "%s and %d states), but in a Sequential model (a chain of layers) %s one "
                      "tensor; use a Functional model that says where each goes",
                      clrnn_layer_desc(l, d, sizeof d), 1 + l->n_aux_out,
                      clrnn_batch_shape_str(&l->out, shape, sizeof shape), l->n_aux_out,
                      i + 1 < m->n_layers ? "the next layer takes" : "the model gives");
}

clrnn_status clrnn_model_new(clrnn_ctx *ctx, const char *name, int keras_major, uint64_t seed,
                             clrnn_model **out) {
    clrnn_model *m = clrnn_calloc(1, sizeof *m);
    if (!m) return clrnn_fail(CLRNN_E_NOMEM, "out of memory creating a model");
    m->ctx = ctx;
    m->keras_major = keras_major;
    snprintf(m->name, sizeof m->name, "%s", name && *name ? name : "sequential");
    clrnn_rng_seed(&m->rng, seed);
    *out = m;
    return CLRNN_OK;
}

clrnn_status clrnn_model_place_layer(clrnn_model *m, int i) {
    struct clrnn_layer *l = m->layers[i];
    clrnn_ctx *ctx = m->ctx;
    clrnn_status s = l->ops->build(l);
    if (!s) s = check_mask_taken(m, i);
    for (int j = 0; !s && j < l->n_weights; j++) {
        l->w[j].offset = m->n_params;
        /* checked before anything is allocated: a file may declare any size */
        size_t room = ctx->info.max_alloc_bytes / sizeof(float) - m->n_params;
        if (m->n_params > ctx->info.max_alloc_bytes / sizeof(float) || l->w[j].count > room) {
            char d[200];
            return clrnn_fail(CLRNN_E_SHAPE, "%s: its weight '%s' takes the model past %.3g "
                              "parameters, more than the device '%s' holds in one buffer "
                              "(%.3g GiB)", clrnn_layer_desc(l, d, sizeof d), l->w[j].name,
                              (double)m->n_params + (double)l->w[j].count, ctx->info.name,
                              (double)ctx->info.max_alloc_bytes / (1 << 30));
        }
        m->n_params += l->w[j].count;
    }
    return s;
}

clrnn_status clrnn_model_finish(clrnn_model *m) {
    clrnn_ctx *ctx = m->ctx;
    m->host_params = clrnn_calloc(m->n_params ? m->n_params : 1, sizeof(float));
    if (!m->host_params)
        return clrnn_fail(CLRNN_E_NOMEM, "out of memory for %zu parameters", m->n_params);
    clrnn_status s = init_params(m);
    if (!s) s = clrnn_buf_create(ctx, m->n_params * sizeof(float), &m->params);
    if (!s) s = clrnn_buf_create(ctx, m->n_params * sizeof(float), &m->grads);
    if (!s) s = clrnn_buf_write(ctx, m->params, 0, m->n_params * sizeof(float), m->host_params);
    return s;
}

clrnn_status clrnn_model_build(clrnn_ctx *ctx, cJSON *const *objs, int n,
                               const struct clrnn_shape *in, clrnn_dtype in_dtype,
                               const char *name, int keras_major, uint64_t seed,
                               clrnn_model **out) {
    if (n < 1) return clrnn_fail(CLRNN_E_INVALID_ARG, "a model needs at least one layer");
    if (in->rank < 1 || in->rank > 3)
        return clrnn_fail(CLRNN_E_SHAPE, "model input must be (batch, features) or (batch, steps, "
                          "features); got rank %d", in->rank + 1);
    for (int i = 0; i < in->rank; i++)
        if (in->d[i] < 1)
            return clrnn_fail(CLRNN_E_SHAPE, "model input shape has an unknown or empty "
                              "dimension; give the data or an input shape");
    clrnn_model *m = NULL;
    clrnn_status s = clrnn_model_new(ctx, name, keras_major, seed, &m);
    if (s) return s;
    m->in = *in;
    m->in_dtype = in_dtype;
    m->layers = clrnn_calloc((size_t)n, sizeof *m->layers);
    if (!m->layers) s = clrnn_fail(CLRNN_E_NOMEM, "out of memory creating a model");
    for (int i = 0; !s && i < n; i++) {
        s = clrnn_layer_create(objs[i], keras_major, &m->layers[i]);
        if (!s) m->n_layers++;
    }
    if (!s) name_layers(m);
    struct clrnn_shape shape = *in;
    clrnn_dtype dtype = in_dtype;
    int mask = 0;
    for (int i = 0; !s && i < m->n_layers; i++) {
        struct clrnn_layer *l = m->layers[i];
        l->in = shape;
        l->in_dtype = dtype;
        l->mask_in = l->mask_out = mask;
        s = clrnn_model_place_layer(m, i);
        if (!s) s = check_single_output(m, i);
        shape = l->out;
        dtype = CLRNN_DTYPE_FLOAT32;
        mask = l->mask_out;
    }
    /* Embedding -> a recurrent layer: that layer may take the tokens (token_projection.c) */
    if (!s && ctx->opts.fuse_embedding && m->n_layers > 1 &&
        strcmp(m->layers[0]->ops->keras_class, "Embedding") == 0 &&
        m->layers[1]->ops->take_tokens && m->layers[1]->ops->take_tokens(m->layers[1], m->layers[0]))
        clrnn_embedding_link(m->layers[0]);
    if (!s) s = clrnn_model_finish(m);
    if (s) {
        clrnn_model_free(m);
        return s;
    }
    *out = m;
    return CLRNN_OK;
}

void clrnn_model_free(clrnn_model *m) {
    if (!m) return;
    if (m->ctx) clrnn_ctx_finish(m->ctx); /* returns at once on a lost device */
    for (int i = 0; i < m->n_layers; i++) clrnn_layer_free(m->layers[i]);
    clrnn_free(m->layers);
    clrnn_optim_free(m->optim);
    clrnn_model_set_vocabulary(m, NULL, 0);
    clrnn_buf_release(&m->params);
    clrnn_buf_release(&m->grads);
    clrnn_buf_release(&m->x_dev);
    clrnn_buf_release(&m->dy_dev);
    clrnn_buf_release(&m->y_dev);
    clrnn_buf_release(&m->metric_dev);
    clrnn_buf_release(&m->dx_in);
    clrnn_buf_release(&m->row_loss);
    clrnn_buf_release(&m->row_acc);
    clrnn_buf_release(&m->weight_dev);
    clrnn_buf_release(&m->row_extra);
    clrnn_free(m->stage);
    clrnn_free(m->x_host);
    clrnn_free(m->host_params);
    clrnn_graph_free(m->graph);
    clrnn_free(m);
}

void clrnn_model_reset_states(clrnn_model *m) {
    for (int i = 0; i < m->n_layers; i++)
        if (m->layers[i]->ops->reset_states) m->layers[i]->ops->reset_states(m->layers[i]);
}

static size_t sample_floats(const struct clrnn_shape *s) { return (size_t)clrnn_shape_count(s); }

static size_t output_rows_per_sample(const clrnn_model *m) {
    const struct clrnn_shape *o = &m->layers[m->n_layers - 1]->out;
    return (size_t)(clrnn_shape_count(o) / clrnn_shape_last(o));
}

static clrnn_status allocate(clrnn_model *m, int B) {
    clrnn_ctx *ctx = m->ctx;
    const struct clrnn_shape *o = &m->layers[m->n_layers - 1]->out;
    size_t in_bytes = (size_t)B * sample_floats(&m->in) * 4;
    size_t out_bytes = (size_t)B * sample_floats(o) * 4;
    size_t out_rows = (size_t)B * output_rows_per_sample(m);
    size_t stage_bytes = in_bytes > out_bytes ? in_bytes : out_bytes;
    for (int k = 1; m->graph && k < m->graph->n_inputs; k++) {
        size_t b = (size_t)B * sample_floats(&m->graph->t[m->graph->inputs[k]].shape) * 4;
        if (b > stage_bytes) stage_bytes = b;
    }
    clrnn_buf_release(&m->x_dev);
    clrnn_buf_release(&m->dy_dev);
    clrnn_buf_release(&m->y_dev);
    clrnn_buf_release(&m->dx_in);
    clrnn_buf_release(&m->row_loss);
    clrnn_buf_release(&m->row_acc);
    clrnn_buf_release(&m->weight_dev);
    clrnn_buf_release(&m->row_extra);
    clrnn_free(m->stage);
    clrnn_free(m->x_host);
    m->max_batch = 0;
    m->stage = clrnn_malloc(stage_bytes);
    m->x_host = clrnn_malloc(in_bytes);
    if (!m->stage || !m->x_host)
        return clrnn_fail(CLRNN_E_NOMEM, "out of memory for a batch of %d", B);
    clrnn_status s;
    if ((s = clrnn_buf_create(ctx, in_bytes, &m->x_dev)) ||
        (s = clrnn_buf_create(ctx, out_bytes, &m->dy_dev)) ||
        (s = clrnn_buf_create(ctx, out_bytes, &m->y_dev)) ||
        (s = clrnn_buf_create(ctx, out_rows * 4, &m->row_loss)) ||
        (s = clrnn_buf_create(ctx, out_rows * 4, &m->row_acc)) ||
        (s = clrnn_buf_create(ctx, out_rows * 4, &m->weight_dev)) ||
        (s = clrnn_buf_create(ctx, out_rows * 3 * 4, &m->row_extra)))
        return s;
    if (m->in_dtype == CLRNN_DTYPE_FLOAT32 && (s = clrnn_buf_create(ctx, in_bytes, &m->dx_in)))
        return s;
    for (int i = 0; i < m->n_layers; i++) {
        struct clrnn_layer *l = m->layers[i];
        if ((s = l->ops->alloc(l, ctx, B))) return s;
        clrnn_buf_release(&l->dx);
        int needs_dx = m->graph ? clrnn_graph_needs_dx(m, i) : i > 0;
        if (needs_dx && (s = clrnn_buf_create(ctx, (size_t)B * sample_floats(&l->in) * 4, &l->dx)))
            return s;
        l->max_batch = B;
    }
    if (m->graph && (s = clrnn_graph_reserve(m, B))) return s;
    m->max_batch = B;
    m->steps_alloc = m->steps_built;
    return CLRNN_OK;
}

clrnn_status clrnn_model_reserve(clrnn_model *m, int B) {
    int same_steps = m->steps_alloc == m->steps_built;
    if (B <= m->max_batch && same_steps) return CLRNN_OK;
    if (B < m->max_batch) B = m->max_batch; /* a new length: room for the batches seen */
    clrnn_status s = clrnn_ctx_finish(m->ctx);
    /* what the batch needs is measured first (nothing allocated), so that too big a batch is
     * one clear error rather than a failure halfway or, on a CPU device, the system's
     * out-of-memory killer */
    size_t total, largest;
    if (!s) s = clrnn_ctx_measure_begin(m->ctx);
    if (!s) {
        s = allocate(m, B);
        clrnn_ctx_measure_end(m->ctx, &total, &largest);
        m->max_batch = 0;
    }
    if (!s) s = clrnn_ctx_check_batch(m->ctx, B, total, largest);
    return s ? s : allocate(m, B);
}

/* x against one input of the model: its shape and dtype, and its values where the layers
 * that take it check them (token ids in range). */
static clrnn_status check_array(const clrnn_model *m, int input, const struct clrnn_array *x,
                                const struct clrnn_shape *in, clrnn_dtype in_dtype,
                                const char *what) {
    char want[96], got[96];
    struct clrnn_shape xs = {0};
    /* a model of unknown length takes any length of at least one step */
    struct clrnn_shape expected = m->graph ? clrnn_model_tensor_shown(m, m->graph->inputs[input])
                                           : clrnn_model_shown_shape(m, in, 1);
    int ok = x->rank == in->rank + 1;
    xs.rank = x->rank > 1 ? x->rank - 1 : 0;
    for (int i = 0; i < xs.rank && i < 4; i++) xs.d[i] = x->dims[i + 1];
    for (int i = 0; ok && i < in->rank; i++)
        ok = expected.d[i] < 0 ? x->dims[i + 1] >= 1 : x->dims[i + 1] == expected.d[i];
    if (!ok)
        return clrnn_fail(CLRNN_E_SHAPE, "%s has shape %s per batch, but the model expects input %s",
                          what, clrnn_batch_shape_str(&xs, got, sizeof got),
                          clrnn_batch_shape_str(&expected, want, sizeof want));
    if (x->dtype != in_dtype)
        return clrnn_fail(CLRNN_E_SHAPE, "%s is %s, but the model expects %s input", what,
                          x->dtype == CLRNN_DTYPE_INT32 ? "int32" : "float32",
                          in_dtype == CLRNN_DTYPE_INT32 ? "int32 token ids" : "float32");
    for (int i = 0; i < m->n_layers; i++) {
        const struct clrnn_layer *l = m->layers[i];
        int takes = m->graph ? m->graph->nodes[i].in[0] == m->graph->inputs[input] : i == 0;
        clrnn_status s = takes && l->ops->check_input ? l->ops->check_input(l, x, what) : CLRNN_OK;
        if (s) return s;
    }
    return CLRNN_OK;
}

/* "model 'm' takes 2 inputs (enc, dec), but 1 array is given; give one array for each" */
static clrnn_status wrong_count(const clrnn_model *m, int n) {
    char names[400] = "";
    int want = clrnn_model_input_count(m);
    for (int k = 0; m->graph && k < want; k++)
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", k ? ", " : " (",
                 m->graph->input_names[k]);
    return clrnn_fail(CLRNN_E_INVALID_ARG, "model '%s' takes %d input%s%s%s, but %d array%s "
                      "given; give one array for each", m->name, want, want == 1 ? "" : "s",
                      names, m->graph ? ")" : "", n, n == 1 ? " is" : "s are");
}

clrnn_status clrnn_model_check_x(const clrnn_model *m, const struct clrnn_array *x,
                                 const char *what) {
    if (clrnn_model_input_count(m) != 1) return wrong_count(m, 1);
    return check_array(m, 0, x, &m->in, m->in_dtype, what);
}

int clrnn_model_input_count(const clrnn_model *m) { return m->graph ? m->graph->n_inputs : 1; }

const char *clrnn_model_input_name(const clrnn_model *m, int k) {
    if (k < 0 || k >= clrnn_model_input_count(m)) return NULL;
    return m->graph ? m->graph->input_names[k] : "input";
}

int clrnn_model_input_shape_at(const clrnn_model *m, int k, int64_t *dims, clrnn_dtype *dtype) {
    if (k < 0 || k >= clrnn_model_input_count(m)) return -1;
    if (!m->graph) return clrnn_model_input_shape(m, dims, dtype);
    const struct clrnn_tensor *t = &m->graph->t[m->graph->inputs[k]];
    struct clrnn_shape shown = clrnn_model_tensor_shown(m, m->graph->inputs[k]);
    for (int i = 0; i < shown.rank; i++) dims[i] = shown.d[i];
    if (dtype) *dtype = t->dtype;
    return shown.rank;
}

clrnn_status clrnn_model_check_inputs(const clrnn_model *m, const struct clrnn_array *xs, int n,
                                      const char *what) {
    if (n != clrnn_model_input_count(m)) return wrong_count(m, n);
    if (!m->graph) return clrnn_model_check_x(m, xs, what);
    for (int k = 0; k < n; k++) {
        const struct clrnn_tensor *t = &m->graph->t[m->graph->inputs[k]];
        char name[200];
        snprintf(name, sizeof name, "%s (input '%s')", what, m->graph->input_names[k]);
        if (xs[k].rank < 1 || xs[k].dims[0] != xs[0].dims[0])
            return clrnn_fail(CLRNN_E_SHAPE, "%s has %lld samples, input '%s' has %lld", name,
                              (long long)(xs[k].rank ? xs[k].dims[0] : 0),
                              m->graph->input_names[0], (long long)xs[0].dims[0]);
        clrnn_status s = check_array(m, k, &xs[k], &t->shape, t->dtype, name);
        if (s) return s;
    }
    return CLRNN_OK;
}

clrnn_status clrnn_model_upload_input(clrnn_model *m, int k, const struct clrnn_array *a,
                                      const int64_t *rows, int64_t begin, int B) {
    if (k == 0) return clrnn_model_upload_rows(m, m->x_dev, a, rows, begin, B, 0);
    struct clrnn_graph *g = m->graph;
    clrnn_status s = clrnn_model_upload_rows(m, g->x_dev[k], a, rows, begin, B, 0);
    size_t per = (size_t)(a->dims[0] ? clrnn_array_count(a) / a->dims[0] : 0);
    if (!s) memcpy(g->x_host[k], m->stage, (size_t)B * per * 4);
    return s;
}

clrnn_status clrnn_model_upload_rows(clrnn_model *m, cl_mem dst, const struct clrnn_array *a,
                                     const int64_t *rows, int64_t begin, int B, int to_float) {
    size_t per = (size_t)(a->dims[0] ? clrnn_array_count(a) / a->dims[0] : 0);
    for (int i = 0; i < B; i++) {
        int64_t r = rows ? rows[begin + i] : begin + i;
        const char *src = (const char *)a->data + (size_t)r * per * 4;
        float *d = (float *)m->stage + (size_t)i * per;
        if (to_float && a->dtype == CLRNN_DTYPE_INT32) {
            const int32_t *si = (const int32_t *)src;
            for (size_t k = 0; k < per; k++) d[k] = (float)si[k];
        } else {
            memcpy(d, src, per * 4);
        }
    }
    if (dst == m->x_dev) memcpy(m->x_host, m->stage, (size_t)B * per * 4);
    return clrnn_buf_upload(m->ctx, dst, 0, (size_t)B * per * 4, m->stage);
}

clrnn_status clrnn_model_forward_dev(clrnn_model *m, int B, int mode, cl_mem *y) {
    m->last_B = B;
    m->last_mode = mode;
    if (m->graph) return clrnn_graph_forward(m, B, mode, y);
    struct clrnn_pass p = {m->ctx, m->params, m->grads, B, mode == CLRNN_FWD_TRAIN,
                           mode == CLRNN_FWD_PREDICT, &m->rng, m->x_host, m->row0};
    cl_mem x = m->x_dev, mask = NULL;
    for (int i = 0; i < m->n_layers; i++) {
        struct clrnn_layer *l = m->layers[i];
        l->in_mask = l->mask_in ? mask : NULL;
        clrnn_status s = l->ops->forward(l, &p, x);
        if (s) {
            char d[200];
            return clrnn_fail_context(s, "%s forward", clrnn_layer_desc(l, d, sizeof d));
        }
        x = l->y;
        mask = !l->mask_out ? NULL : l->mask_y ? l->mask_y : mask;
    }
    m->out_mask = mask;
    *y = x;
    return CLRNN_OK;
}

clrnn_status clrnn_model_backward_dev(clrnn_model *m, int B, cl_mem *dx_out) {
    if (m->graph && dx_out)
        return clrnn_fail(CLRNN_E_INVALID_ARG, "model '%s': no input gradient for a "
                          "Functional graph", m->name);
    if (m->graph) return clrnn_graph_backward(m, B);
    struct clrnn_pass p = {m->ctx, m->params, m->grads, B, 1, 0, &m->rng, m->x_host, m->row0};
    cl_mem dy = m->dy_dev;
    for (int i = m->n_layers - 1; i >= 0; i--) {
        struct clrnn_layer *l = m->layers[i];
        cl_mem x = i ? m->layers[i - 1]->y : m->x_dev;
        cl_mem dx = i ? l->dx : (dx_out ? m->dx_in : NULL);
        clrnn_status s = l->ops->backward(l, &p, x, dy, dx);
        if (s) {
            char d[200];
            return clrnn_fail_context(s, "%s backward", clrnn_layer_desc(l, d, sizeof d));
        }
        dy = dx;
    }
    if (dx_out) *dx_out = m->dx_in;
    return CLRNN_OK;
}

/* ---- public accessors ---- */

int clrnn_model_epochs_done(const clrnn_model *m) { return m->epochs_done; }

clrnn_status clrnn_model_set_vocabulary(clrnn_model *m, const char *const *tokens, int n) {
    char **copy = n > 0 ? clrnn_calloc((size_t)n, sizeof *copy) : NULL;
    if (n > 0 && !copy) return clrnn_fail(CLRNN_E_NOMEM, "out of memory for the vocabulary");
    for (int i = 0; i < n; i++)
        if (!(copy[i] = clrnn_strdup(tokens[i]))) {
            while (i--) clrnn_free(copy[i]);
            clrnn_free(copy);
            return clrnn_fail(CLRNN_E_NOMEM, "out of memory for the vocabulary");
        }
    for (int i = 0; i < m->n_vocab; i++) clrnn_free(m->vocab[i]);
    clrnn_free(m->vocab);
    m->vocab = copy;
    m->n_vocab = n;
    return CLRNN_OK;
}

int clrnn_model_text_pads_at_end(const clrnn_model *m) { return m->text_pad_post; }

const char *const *clrnn_model_vocabulary(const clrnn_model *m, int *n) {
    *n = m->n_vocab;
    return (const char *const *)m->vocab;
}

int clrnn_model_input_shape(const clrnn_model *m, int64_t *dims, clrnn_dtype *dtype) {
    struct clrnn_shape in = m->graph ? clrnn_model_tensor_shown(m, m->graph->inputs[0])
                                     : clrnn_model_shown_shape(m, &m->in, 1);
    for (int i = 0; i < in.rank; i++) dims[i] = in.d[i];
    if (dtype) *dtype = m->in_dtype;
    return m->in.rank;
}

int clrnn_model_output_shape(const clrnn_model *m, int64_t *dims) {
    const struct clrnn_shape *last = &m->layers[m->n_layers - 1]->out;
    struct clrnn_shape o = m->graph ? clrnn_model_tensor_shown(m, m->graph->output)
                                    : clrnn_model_shown_shape(m, last, 0);
    for (int i = 0; i < o.rank; i++) dims[i] = o.d[i];
    return o.rank;
}

clrnn_status clrnn_model_forward(clrnn_model *m, const struct clrnn_array *xs, int n_x,
                                 int training, struct clrnn_array *y) {
    clrnn_status s = clrnn_model_take_steps(m, xs, n_x);
    if (!s) s = clrnn_model_check_inputs(m, xs, n_x, "x");
    int B = s ? 0 : (int)xs[0].dims[0];
    if (!s && B < 1) s = clrnn_fail(CLRNN_E_SHAPE, "x has no rows");
    if (!s) s = clrnn_model_reserve(m, B);
    for (int k = 0; !s && k < n_x; k++) s = clrnn_model_upload_input(m, k, &xs[k], NULL, 0, B);
    cl_mem out;
    if (!s) s = clrnn_model_forward_dev(m, B, training ? CLRNN_FWD_TRAIN : CLRNN_FWD_INFER, &out);
    if (s) return s;
    const struct clrnn_shape *o = &m->layers[m->n_layers - 1]->out;
    int64_t dims[5] = {B};
    for (int i = 0; i < o->rank; i++) dims[i + 1] = o->d[i];
    struct clrnn_array tmp;
    if ((s = clrnn_array_alloc(&tmp, CLRNN_DTYPE_FLOAT32, o->rank + 1, dims))) return s;
    s = clrnn_buf_read(m->ctx, out, 0, (size_t)clrnn_array_count(&tmp) * 4, tmp.data);
    if (s) {
        clrnn_array_clear(&tmp);
        return s;
    }
    *y = tmp;
    return CLRNN_OK;
}

clrnn_status clrnn_model_backward(clrnn_model *m, const struct clrnn_array *dy,
                                  struct clrnn_array *dx) {
    if (m->max_batch < 1 || dy->rank < 1 || dy->dims[0] != m->last_B)
        return clrnn_fail(CLRNN_E_INVALID_ARG, "clrnn_model_backward: call clrnn_model_forward "
                          "with the same batch first (dy has %lld rows, the last forward pass "
                          "had %d)", dy->rank < 1 ? 0LL : (long long)dy->dims[0], m->last_B);
    if (m->last_mode == CLRNN_FWD_PREDICT) /* it kept no step states (RNN_KEEP_STEPS) */
        return clrnn_fail(CLRNN_E_INVALID_ARG, "clrnn_model_backward: the last forward pass was "
                          "a predict or evaluate, which keeps nothing for a backward pass; call "
                          "clrnn_model_forward first");
    int B = (int)dy->dims[0];
    const struct clrnn_shape *o = &m->layers[m->n_layers - 1]->out;
    if (clrnn_array_count(dy) != (int64_t)B * clrnn_shape_count(o) || dy->dtype != CLRNN_DTYPE_FLOAT32)
        return clrnn_fail(CLRNN_E_SHAPE, "dy does not have the shape of the model output");
    if (dx && m->in_dtype != CLRNN_DTYPE_FLOAT32)
        return clrnn_fail(CLRNN_E_INVALID_ARG, "no input gradient for integer inputs");
    clrnn_status s = clrnn_buf_write(m->ctx, m->dy_dev, 0, (size_t)clrnn_array_count(dy) * 4, dy->data);
    cl_mem dxb = NULL;
    if (!s) s = clrnn_model_backward_dev(m, B, dx ? &dxb : NULL);
    if (s || !dx) return s;
    int64_t dims[5] = {B};
    for (int i = 0; i < m->in.rank; i++) dims[i + 1] = m->in.d[i];
    struct clrnn_array tmp;
    if ((s = clrnn_array_alloc(&tmp, CLRNN_DTYPE_FLOAT32, m->in.rank + 1, dims))) return s;
    s = clrnn_buf_read(m->ctx, dxb, 0, (size_t)clrnn_array_count(&tmp) * 4, tmp.data);
    if (s) {
        clrnn_array_clear(&tmp);
        return s;
    }
    *dx = tmp;
    return CLRNN_OK;
}
