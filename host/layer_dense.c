/*
 * layer_dense.c - Dense: y = act(x K + b), on (B, F) input or per timestep on (B, T, F)
 * input as Keras does (the timesteps are just more rows of one matrix product).
 */
#include <string.h>

#include "layer_interface.h"

struct dense_cfg {
    int units;
    struct clrnn_affine_keys k;
    cl_mem dz; /* (rows, units) scratch for backward */
};

static const char *const DENSE_POSITIONAL[] = {"units", "activation", NULL};

static clrnn_status dense_configure(struct clrnn_layer *l, const cJSON *c) {
    struct dense_cfg *d = l->cfg;
    clrnn_status s = clrnn_cfg_int(c, l->name, "units", 1, 1, &d->units);
    return s ? s : clrnn_affine_keys_read(c, l, &d->k);
}

static clrnn_status dense_build(struct clrnn_layer *l) {
    struct dense_cfg *d = l->cfg;
    char buf[64];
    if (l->in.rank < 1 || l->in.rank > 2)
        return clrnn_fail(CLRNN_E_SHAPE, "layer '%s' (Dense) expects input (batch, features) or "
                          "(batch, steps, features), found %s", l->name,
                          clrnn_batch_shape_str(&l->in, buf, sizeof buf));
    if (l->in_dtype != CLRNN_DTYPE_FLOAT32)
        return clrnn_fail(CLRNN_E_SHAPE, "layer '%s' (Dense) needs float input, but gets integer "
                          "token ids (put an Embedding layer first)", l->name);
    l->out = l->in;
    l->out.d[l->out.rank - 1] = d->units;
    int64_t kd[2] = {clrnn_shape_last(&l->in), d->units}, bd[1] = {d->units};
    clrnn_layer_add_weight(l, "kernel", 2, kd, d->k.kernel_init);
    if (d->k.use_bias) clrnn_layer_add_weight(l, "bias", 1, bd, d->k.bias_init);
    return CLRNN_OK;
}

static size_t rows_of(const struct clrnn_layer *l, int B) {
    return (size_t)B * (size_t)(clrnn_shape_count(&l->in) / clrnn_shape_last(&l->in));
}

static clrnn_status dense_alloc(struct clrnn_layer *l, clrnn_ctx *ctx, int max_batch) {
    struct dense_cfg *d = l->cfg;
    size_t bytes = rows_of(l, max_batch) * (size_t)d->units * sizeof(float);
    clrnn_buf_release(&l->y);
    clrnn_buf_release(&d->dz);
    clrnn_status s = clrnn_buf_create(ctx, bytes, &l->y);
    if (!s) s = clrnn_buf_create(ctx, bytes, &d->dz);
    return s;
}

static clrnn_status dense_forward(struct clrnn_layer *l, const struct clrnn_pass *p, cl_mem x) {
    struct dense_cfg *d = l->cfg;
    size_t R = rows_of(l, p->B), I = (size_t)clrnn_shape_last(&l->in), U = (size_t)d->units;
    clrnn_status s = clrnn_gemm_bias(p->ctx, R, U, I, x, 0, I, p->params, l->w[0].offset, U, l->y,
                                     0, U, d->k.use_bias ? p->params : NULL,
                                     d->k.use_bias ? l->w[1].offset : 0);
    if (!s) s = clrnn_act_forward(p->ctx, d->k.act, l->y, l->y, R, U);
    return s;
}

static clrnn_status dense_backward(struct clrnn_layer *l, const struct clrnn_pass *p, cl_mem x,
                                   cl_mem dy, cl_mem dx) {
    struct dense_cfg *d = l->cfg;
    size_t R = rows_of(l, p->B), I = (size_t)clrnn_shape_last(&l->in), U = (size_t)d->units;
    cl_mem dz = dy;
    clrnn_status s = CLRNN_OK;
    if (d->k.act != CLRNN_ACT_LINEAR) {
        dz = d->dz;
        s = clrnn_act_backward(p->ctx, d->k.act, l->y, dy, dz, R, U);
    }
    /* dK (I, U) = x^T dz;  db = column sums of dz;  dx (R, I) = dz K^T */
    if (!s)
        s = clrnn_gemm(p->ctx, 1, 0, I, U, R, 1.0f, x, 0, I, dz, 0, U, 0.0f, p->grads,
                       l->w[0].offset, U);
    if (!s && d->k.use_bias) s = clrnn_sum_rows(p->ctx, dz, R, U, p->grads, l->w[1].offset);
    if (!s && dx)
        s = clrnn_gemm(p->ctx, 0, 1, R, I, U, 1.0f, dz, 0, U, p->params, l->w[0].offset, U, 0.0f,
                       dx, 0, I);
    return s;
}

static clrnn_status dense_config_json(const struct clrnn_layer *l, cJSON *o) {
    const struct dense_cfg *d = l->cfg;
    cJSON_AddNumberToObject(o, "units", d->units);
    clrnn_affine_keys_write(&d->k, o);
    return CLRNN_OK;
}

static void dense_release(struct clrnn_layer *l) {
    struct dense_cfg *d = l->cfg;
    clrnn_buf_release(&d->dz);
}

const struct clrnn_layer_ops clrnn_layer_dense = {
    .keras_class = "Dense",
    .spec_name = "dense",
    .positional = DENSE_POSITIONAL,
    .weight_scope = NULL,
    .cfg_size = sizeof(struct dense_cfg),
    .configure = dense_configure,
    .build = dense_build,
    .alloc = dense_alloc,
    .forward = dense_forward,
    .backward = dense_backward,
    .config_json = dense_config_json,
    .release = dense_release,
    .supports_masking = 1, /* the mask passes through, as in Keras */
};
