/*
 * layer_dropout.c - Dropout: in training, each element is zeroed with probability rate and
 * the others scaled by 1 / (1 - rate) (inverted dropout, as Keras does); in inference the
 * layer is the identity. Keras's noise_shape (None, 1, features) shares one mask row across
 * the timesteps of a sequence; masks pass through, as in Keras. SpatialDropout1D is that
 * Dropout with its noise shape fixed at (None, 1, features).
 */
#include <string.h>

#include "test_hooks.h"

struct dropout_cfg {
    double rate;
    int per_sequence; /* noise_shape (None, 1, F): one (B, F) mask for every timestep */
    int dropped;      /* the last forward pass applied a mask, so backward applies it too */
    cl_mem mask;      /* (B, F) with per_sequence, else shaped like the output */
};

static const char *const DROPOUT_POSITIONAL[] = {"rate", NULL};

/* noise_shape: null, or the input shape (each axis null or its size), or (None, 1, F). The
 * input shape is not known yet, so configure keeps what it read and build checks it. */
static clrnn_status read_noise_shape(struct clrnn_layer *l, const cJSON *ns) {
    struct dropout_cfg *d = l->cfg;
    if (!ns || cJSON_IsNull(ns)) return CLRNN_OK;
    if (!cJSON_IsArray(ns))
        return clrnn_fail(CLRNN_E_UNSUPPORTED, "layer '%s' (Dropout): noise_shape must be None "
                          "or a list like (None, 1, features)", l->name);
    int n = cJSON_GetArraySize(ns);
    const cJSON *second = cJSON_GetArrayItem(ns, 1);
    if (n == 3 && cJSON_IsNumber(second) && second->valuedouble == 1) {
        d->per_sequence = 1;
        return CLRNN_OK;
    }
    const cJSON *v;
    cJSON_ArrayForEach(v, ns) if (!cJSON_IsNull(v)) {
        return clrnn_fail(CLRNN_E_UNSUPPORTED, "layer '%s' (Dropout): noise_shape is supported "
                          "as None or (None, 1, features) only", l->name);
    }
    return CLRNN_OK;
}

static clrnn_status dropout_configure(struct clrnn_layer *l, const cJSON *c) {
    struct dropout_cfg *d = l->cfg;
    if (!cJSON_GetObjectItemCaseSensitive(c, "rate"))
        return clrnn_fail(CLRNN_E_FORMAT, "layer '%s' (%s): \"rate\" is required", l->name,
                          l->ops->keras_class);
    clrnn_status s = clrnn_cfg_double(c, l->name, "rate", &d->rate);
    if (s) return s;
    if (!(d->rate >= 0 && d->rate < 1))
        return clrnn_fail(CLRNN_E_FORMAT, "layer '%s' (%s): rate %g is outside [0, 1)",
                          l->name, l->ops->keras_class, d->rate);
    return read_noise_shape(l, cJSON_GetObjectItemCaseSensitive(c, "noise_shape"));
}

static clrnn_status dropout_build(struct clrnn_layer *l) {
    struct dropout_cfg *d = l->cfg;
    char buf[64];
    if (l->in_dtype != CLRNN_DTYPE_FLOAT32)
        return clrnn_fail(CLRNN_E_SHAPE, "layer '%s' (%s) needs float input, but gets "
                          "integer token ids (put an Embedding layer first)", l->name,
                          l->ops->keras_class);
    if (d->per_sequence && l->in.rank != 2)
        return clrnn_fail(CLRNN_E_SHAPE, "layer '%s' (%s): noise_shape (None, 1, features) "
                          "needs input (batch, steps, features), found %s", l->name,
                          l->ops->keras_class, clrnn_batch_shape_str(&l->in, buf, sizeof buf));
    l->out = l->in;
    return CLRNN_OK;
}

static size_t mask_count(const struct clrnn_layer *l, int B) {
    const struct dropout_cfg *d = l->cfg;
    int64_t per_row = d->per_sequence ? clrnn_shape_last(&l->in) : clrnn_shape_count(&l->in);
    return (size_t)B * (size_t)per_row;
}

static clrnn_status dropout_alloc(struct clrnn_layer *l, clrnn_ctx *ctx, int max_batch) {
    struct dropout_cfg *d = l->cfg;
    size_t bytes = (size_t)max_batch * (size_t)clrnn_shape_count(&l->in) * sizeof(float);
    clrnn_buf_release(&l->y);
    clrnn_buf_release(&d->mask);
    clrnn_status s = clrnn_buf_create(ctx, bytes, &l->y);
    if (!s && d->rate > 0) s = clrnn_buf_create(ctx, mask_count(l, max_batch) * sizeof(float), &d->mask);
    return s;
}

/* out = in * mask, the mask repeated over the timesteps when it is one row per sequence */
static clrnn_status apply_mask(const struct clrnn_layer *l, const struct clrnn_pass *p, cl_mem in,
                               cl_mem out) {
    const struct dropout_cfg *d = l->cfg;
    if (d->per_sequence)
        return clrnn_mul_mask_bcast(p->ctx, in, d->mask, out, p->B, (int)l->in.d[0],
                                    (int)l->in.d[1], 0);
    return clrnn_mul_mask_bcast(p->ctx, in, d->mask, out, p->B, 1,
                                (int)clrnn_shape_count(&l->in), 0);
}

static clrnn_status dropout_forward(struct clrnn_layer *l, const struct clrnn_pass *p, cl_mem x) {
    struct dropout_cfg *d = l->cfg;
    d->dropped = p->training && d->rate > 0;
    if (!d->dropped)
        return clrnn_buf_copy(p->ctx, x, 0, l->y, 0,
                              (size_t)p->B * (size_t)clrnn_shape_count(&l->in) * sizeof(float));
    clrnn_status s = clrnn_dropout_mask(p->ctx, d->mask, mask_count(l, p->B), d->rate,
                                        clrnn_rng_next(p->rng), mask_count(l, 1) * (uint64_t)p->row0);
    return s ? s : apply_mask(l, p, x, l->y);
}

static clrnn_status dropout_backward(struct clrnn_layer *l, const struct clrnn_pass *p, cl_mem x,
                                     cl_mem dy, cl_mem dx) {
    const struct dropout_cfg *d = l->cfg;
    (void)x;
    if (!dx) return CLRNN_OK;
    if (!d->dropped)
        return clrnn_buf_copy(p->ctx, dy, 0, dx, 0,
                              (size_t)p->B * (size_t)clrnn_shape_count(&l->in) * sizeof(float));
    return apply_mask(l, p, dy, dx);
}

static clrnn_status dropout_config_json(const struct clrnn_layer *l, cJSON *o) {
    const struct dropout_cfg *d = l->cfg;
    cJSON_AddNumberToObject(o, "rate", d->rate);
    if (d->per_sequence) {
        cJSON *ns = cJSON_AddArrayToObject(o, "noise_shape");
        cJSON_AddItemToArray(ns, cJSON_CreateNull());
        cJSON_AddItemToArray(ns, cJSON_CreateNumber(1));
        cJSON_AddItemToArray(ns, cJSON_CreateNumber((double)clrnn_shape_last(&l->in)));
    } else {
        cJSON_AddNullToObject(o, "noise_shape");
    }
    cJSON_AddNullToObject(o, "seed");
    return CLRNN_OK;
}

static void dropout_release(struct clrnn_layer *l) {
    struct dropout_cfg *d = l->cfg;
    clrnn_buf_release(&d->mask);
}

/* The mask of the last training pass (B rows), for tests: n floats. */
clrnn_status clrnn_dropout_layer_mask(const struct clrnn_layer *l, clrnn_ctx *ctx, int B,
                                      float *mask) {
    const struct dropout_cfg *d = l->cfg;
    if (!d->dropped) return clrnn_fail(CLRNN_E_INVALID_ARG, "layer '%s' dropped nothing", l->name);
    return clrnn_buf_read(ctx, d->mask, 0, mask_count(l, B) * sizeof(float), mask);
}

static clrnn_status spatial_dropout_configure(struct clrnn_layer *l, const cJSON *c) {
    clrnn_status s = dropout_configure(l, c);
    ((struct dropout_cfg *)l->cfg)->per_sequence = 1;
    return s;
}

/* Keras 3's SpatialDropout1D(rate, seed, name, dtype) takes no other key, "trainable" and
 * "noise_shape" included; tf.keras 2's takes these too. */
static clrnn_status spatial_dropout_config_json(const struct clrnn_layer *l, cJSON *o) {
    const struct dropout_cfg *d = l->cfg;
    cJSON_DeleteItemFromObjectCaseSensitive(o, "trainable");
    cJSON_AddNumberToObject(o, "rate", d->rate);
    cJSON_AddNullToObject(o, "seed");
    return CLRNN_OK;
}

const struct clrnn_layer_ops clrnn_layer_spatial_dropout_1d = {
    .keras_class = "SpatialDropout1D",
    .spec_name = "spatial_dropout1d",
    .positional = DROPOUT_POSITIONAL,
    .cfg_size = sizeof(struct dropout_cfg),
    .configure = spatial_dropout_configure,
    .build = dropout_build,
    .alloc = dropout_alloc,
    .forward = dropout_forward,
    .backward = dropout_backward,
    .config_json = spatial_dropout_config_json,
    .release = dropout_release,
    .supports_masking = 1, /* the mask passes through, as in Keras */
};

const struct clrnn_layer_ops clrnn_layer_dropout = {
    .keras_class = "Dropout",
    .spec_name = "dropout",
    .positional = DROPOUT_POSITIONAL,
    .cfg_size = sizeof(struct dropout_cfg),
    .configure = dropout_configure,
    .build = dropout_build,
    .alloc = dropout_alloc,
    .forward = dropout_forward,
    .backward = dropout_backward,
    .config_json = dropout_config_json,
    .release = dropout_release,
    .supports_masking = 1, /* the mask passes through, as in Keras */
};
