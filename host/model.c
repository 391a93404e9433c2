/*
 * model.c - a Sequential chain of layers: building it (shapes, packed parameters, Keras's
 * initial values), device buffers for a batch, forward and backward passes, and the
 * accessors of the public API.
 */
#include <stdio.h>
#include <string.h>

#include "clrnn_impl.h"

const char *clrnn_batch_shape_str(const struct clrnn_shape *s, char *buf, size_t size) {
    size_t n = (size_t)snprintf(buf, size, "(None");
    for (int i = 0; i < s->rank && n < size; i++)
        n += (size_t)snprintf(buf + n, size - n, ", %lld", (long long)s->d[i]);
    if (n < size) snprintf(buf + n, size - n, ")");
    return buf;
}

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
            clrnn_status s = clrnn_init_fill(w->init, m->host_params + w->offset, rows, cols, &m->rng);
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

clrnn_status clrnn_model_build(clrnn_ctx *ctx, cJSON *const *objs, int n,
                               const struct clrnn_shape *in, clrnn_dtype in_dtype,
                               const char *name, uint64_t seed, clrnn_model **out) {
    if (n < 1) return clrnn_fail(CLRNN_E_INVALID_ARG, "a model needs at least one layer");
    if (in->rank < 1 || in->rank > 3)
        return clrnn_fail(CLRNN_E_SHAPE, "model input must be (batch, features) or (batch, steps, "
                          "features); got rank %d", in->rank + 1);
    for (int i = 0; i < in->rank; i++)
        if (in->d[i] < 1)
            return clrnn_fail(CLRNN_E_SHAPE, "model input shape has an unknown or empty "
                              "dimension; give the data or an input shape");
    clrnn_model *m = clrnn_calloc(1, sizeof *m);
    if (!m) return clrnn_fail(CLRNN_E_NOMEM, "out of memory creating a model");
    m->ctx = ctx;
    m->keras_major = clrnn_act_keras_major();
    snprintf(m->name, sizeof m->name, "%s", name && *name ? name : "sequential");
    m->in = *in;
    m->in_dtype = in_dtype;
    clrnn_rng_seed(&m->rng, seed);
    clrnn_status s = CLRNN_OK;
    m->layers = clrnn_calloc((size_t)n, sizeof *m->layers);
    if (!m->layers) s = clrnn_fail(CLRNN_E_NOMEM, "out of memory creating a model");
    for (int i = 0; !s && i < n; i++) {
        s = clrnn_layer_create(objs[i], &m->layers[i]);
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
        s = l->ops->build(l);
        if (!s) s = check_mask_taken(m, i);
        if (!s) s = check_single_output(m, i);
        for (int j = 0; !s && j < l->n_weights; j++) {
            l->w[j].offset = m->n_params;
            /* checked before anything is allocated: a file may declare any size */
            size_t room = ctx->info.max_alloc_bytes / sizeof(float) - m->n_params;
            if (m->n_params > ctx->info.max_alloc_bytes / sizeof(float) || l->w[j].count > room) {
                char d[200];
                s = clrnn_fail(CLRNN_E_SHAPE, "%s: its weight '%s' takes the model past %.3g "
                               "parameters, more than the device '%s' holds in one buffer "
                               "(%.3g GiB)", clrnn_layer_desc(l, d, sizeof d), l->w[j].name,
                               (double)m->n_params + (double)l->w[j].count, ctx->info.name,
                               (double)ctx->info.max_alloc_bytes / (1 << 30));
                break;
            }
            m->n_params += l->w[j].count;
        }
        shape = l->out;
        dtype = CLRNN_DTYPE_FLOAT32;
        mask = l->mask_out;
    }
    if (!s) {
        m->host_params = clrnn_calloc(m->n_params ? m->n_params : 1, sizeof(float));
        if (!m->host_params) s = clrnn_fail(CLRNN_E_NOMEM, "out of memory for %zu parameters", m->n_params);
    }
    if (!s) s = init_params(m);
    if (!s) s = clrnn_buf_create(ctx, m->n_params * sizeof(float), &m->params);
    if (!s) s = clrnn_buf_create(ctx, m->n_params * sizeof(float), &m->grads);
    if (!s) s = clrnn_buf_write(ctx, m->params, 0, m->n_params * sizeof(float), m->host_params);
    if (s) {
        clrnn_model_free(m);
        return s;
    }
    *out = m;
    return CLRNN_OK;
}

void clrnn_model_free(clrnn_model *m) {
    if (!m) return;
    if (m->ctx) clFinish(m->ctx->queue);
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
    clrnn_free(m->stage);
    clrnn_free(m->x_host);
    clrnn_free(m->host_params);
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

clrnn_status clrnn_model_reserve(clrnn_model *m, int B) {
    if (B <= m->max_batch) return CLRNN_OK;
    clrnn_ctx *ctx = m->ctx;
    clFinish(ctx->queue);
    const struct clrnn_shape *o = &m->layers[m->n_layers - 1]->out;
    size_t in_bytes = (size_t)B * sample_floats(&m->in) * 4;
    size_t out_bytes = (size_t)B * sample_floats(o) * 4;
    size_t out_rows = (size_t)B * output_rows_per_sample(m);
    size_t stage_bytes = in_bytes > out_bytes ? in_bytes : out_bytes;
    clrnn_buf_release(&m->x_dev);
    clrnn_buf_release(&m->dy_dev);
    clrnn_buf_release(&m->y_dev);
    clrnn_buf_release(&m->dx_in);
    clrnn_buf_release(&m->row_loss);
    clrnn_buf_release(&m->row_acc);
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
        (s = clrnn_buf_create(ctx, out_rows * 4, &m->row_acc)))
        return s;
    if (m->in_dtype == CLRNN_DTYPE_FLOAT32 && (s = clrnn_buf_create(ctx, in_bytes, &m->dx_in)))
        return s;
    for (int i = 0; i < m->n_layers; i++) {
        struct clrnn_layer *l = m->layers[i];
        if ((s = l->ops->alloc(l, ctx, B))) return s;
        clrnn_buf_release(&l->dx);
        if (i > 0 && (s = clrnn_buf_create(ctx, (size_t)B * sample_floats(&l->in) * 4, &l->dx)))
            return s;
        l->max_batch = B;
    }
    m->max_batch = B;
    return CLRNN_OK;
}

clrnn_status clrnn_model_check_x(const clrnn_model *m, const struct clrnn_array *x,
                                 const char *what) {
    char want[96], got[96];
    struct clrnn_shape xs = {0};
    int ok = x->rank == m->in.rank + 1;
    xs.rank = x->rank > 1 ? x->rank - 1 : 0;
    for (int i = 0; i < xs.rank && i < 4; i++) xs.d[i] = x->dims[i + 1];
    for (int i = 0; ok && i < m->in.rank; i++) ok = x->dims[i + 1] == m->in.d[i];
    if (!ok)
        return clrnn_fail(CLRNN_E_SHAPE, "%s has shape %s per batch, but the model expects input %s",
                          what, clrnn_batch_shape_str(&xs, got, sizeof got),
                          clrnn_batch_shape_str(&m->in, want, sizeof want));
    if (x->dtype != m->in_dtype)
        return clrnn_fail(CLRNN_E_SHAPE, "%s is %s, but the model expects %s input", what,
                          x->dtype == CLRNN_DTYPE_INT32 ? "int32" : "float32",
                          m->in_dtype == CLRNN_DTYPE_INT32 ? "int32 token ids" : "float32");
    const struct clrnn_layer *first = m->layers[0];
    if (first->ops->check_input) return first->ops->check_input(first, x, what);
    return CLRNN_OK;
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
    return clrnn_buf_write(m->ctx, dst, 0, (size_t)B * per * 4, m->stage);
}

clrnn_status clrnn_model_forward_dev(clrnn_model *m, int B, int training, cl_mem *y) {
    struct clrnn_pass p = {m->ctx, m->params, m->grads, B, training, &m->rng, m->x_host};
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
    struct clrnn_pass p = {m->ctx, m->params, m->grads, B, 1, &m->rng, m->x_host};
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
    for (int i = 0; i < m->in.rank; i++) dims[i] = m->in.d[i];
    if (dtype) *dtype = m->in_dtype;
    return m->in.rank;
}

int clrnn_model_output_shape(const clrnn_model *m, int64_t *dims) {
    const struct clrnn_shape *o = &m->layers[m->n_layers - 1]->out;
    for (int i = 0; i < o->rank; i++) dims[i] = o->d[i];
    return o->rank;
}

size_t clrnn_model_param_count(const clrnn_model *m) { return m->n_params; }

int clrnn_model_weight_count(const clrnn_model *m) {
    int n = 0;
    for (int i = 0; i < m->n_layers; i++) n += m->layers[i]->n_weights;
    return n;
}

clrnn_status clrnn_model_weight(const clrnn_model *m, int index, struct clrnn_weight_info *out) {
    for (int i = 0; i < m->n_layers; i++) {
        const struct clrnn_layer *l = m->layers[i];
        if (index < l->n_weights) {
            const struct clrnn_weight *w = &l->w[index];
            out->layer = l->name;
            out->name = w->name;
            out->rank = w->rank;
            for (int k = 0; k < 4; k++) out->dims[k] = k < w->rank ? w->d[k] : 0;
            out->offset = w->offset;
            out->count = w->count;
            return CLRNN_OK;
        }
        index -= l->n_weights;
    }
    return clrnn_fail(CLRNN_E_INVALID_ARG, "weight index out of range");
}

clrnn_status clrnn_model_get_params(clrnn_model *m, float *out) {
    return clrnn_buf_read(m->ctx, m->params, 0, m->n_params * sizeof(float), out);
}

clrnn_status clrnn_model_set_params(clrnn_model *m, const float *in) {
    memcpy(m->host_params, in, m->n_params * sizeof(float));
    return clrnn_buf_write(m->ctx, m->params, 0, m->n_params * sizeof(float), in);
}

clrnn_status clrnn_model_get_grads(clrnn_model *m, float *out) {
    return clrnn_buf_read(m->ctx, m->grads, 0, m->n_params * sizeof(float), out);
}

clrnn_status clrnn_model_forward(clrnn_model *m, const struct clrnn_array *x, int training,
                                 struct clrnn_array *y) {
    clrnn_status s = clrnn_model_check_x(m, x, "x");
    int B = (int)x->dims[0];
    if (!s && B < 1) s = clrnn_fail(CLRNN_E_SHAPE, "x has no rows");
    if (!s) s = clrnn_model_reserve(m, B);
    if (!s) s = clrnn_model_upload_rows(m, m->x_dev, x, NULL, 0, B, 0);
    cl_mem out;
    if (!s) s = clrnn_model_forward_dev(m, B, training, &out);
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
    if (m->max_batch < 1 || dy->rank < 1 || dy->dims[0] > m->max_batch)
        return clrnn_fail(CLRNN_E_INVALID_ARG, "clrnn_model_backward: call clrnn_model_forward "
                          "with the same batch first");
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
