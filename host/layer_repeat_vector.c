/*
 * layer_repeat_vector.c - RepeatVector(n): (B, F) -> (B, n, F), each sample's vector at every
 * one of n timesteps (the bridge from an encoder's last state to a decoder's steps); the
 * input gradient is the sum of the output gradient over those timesteps.
 */
#include "layer_interface.h"

struct repeat_vector_cfg {
    int n;
};

static const char *const REPEAT_VECTOR_POSITIONAL[] = {"n", NULL};
static const char *const REPEAT_VECTOR_SOURCES[] = {"repeat_vector.cl", NULL};

static clrnn_status repeat_vector_configure(struct clrnn_layer *l, const cJSON *c) {
    struct repeat_vector_cfg *r = l->cfg;
    return clrnn_cfg_int(c, l->name, "n", 1, 1, &r->n);
}

static clrnn_status repeat_vector_build(struct clrnn_layer *l) {
    struct repeat_vector_cfg *r = l->cfg;
    char buf[64];
    if (l->in.rank != 1)
        return clrnn_fail(CLRNN_E_SHAPE, "layer '%s' (RepeatVector) expects input (batch, "
                          "features), found %s", l->name,
                          clrnn_batch_shape_str(&l->in, buf, sizeof buf));
    if (l->in_dtype != CLRNN_DTYPE_FLOAT32)
        return clrnn_fail(CLRNN_E_SHAPE, "layer '%s' (RepeatVector) needs float input", l->name);
    l->out.rank = 2;
    l->out.d[0] = r->n;
    l->out.d[1] = l->in.d[0];
    l->mask_out = 0; /* Keras's RepeatVector makes no mask */
    return CLRNN_OK;
}

static clrnn_status repeat_vector_alloc(struct clrnn_layer *l, clrnn_ctx *ctx, int max_batch) {
    clrnn_buf_release(&l->y);
    return clrnn_buf_create(ctx, (size_t)max_batch * (size_t)clrnn_shape_count(&l->out) * 4,
                            &l->y);
}

/* One work-item an element of `to`: the CPU forms let the driver pick the group, the GPU
 * forms round up to whole element groups. */
static clrnn_status launch(const struct clrnn_layer *l, const struct clrnn_pass *p,
                           const char *name, cl_mem from, cl_mem to, size_t count) {
    struct repeat_vector_cfg *r = l->cfg;
    cl_kernel k;
    clrnn_status s = clrnn_kernel_get(p->ctx, REPEAT_VECTOR_SOURCES, "", name, &k);
    if (s || count == 0) return s;
    size_t g = count, lsz = 0;
    if (!p->ctx->cpu_forms && (s = clrnn_element_shape(p->ctx, k, name, count, &g, &lsz)))
        return s;
    cl_ulong n = count;
    int N = r->n, F = (int)l->in.d[0];
    return CLRNN_LAUNCH(p->ctx, k, name, 1, &g, p->ctx->cpu_forms ? NULL : &lsz, KARG(from),
                        KARG(to), KARG(n), KARG(N), KARG(F));
}

static clrnn_status repeat_vector_forward(struct clrnn_layer *l, const struct clrnn_pass *p,
                                          cl_mem x) {
    return launch(l, p, "repeat_vector_fwd", x, l->y,
                  (size_t)p->B * (size_t)clrnn_shape_count(&l->out));
}

static clrnn_status repeat_vector_backward(struct clrnn_layer *l, const struct clrnn_pass *p,
                                           cl_mem x, cl_mem dy, cl_mem dx) {
    (void)x;
    if (!dx) return CLRNN_OK;
    return launch(l, p, "repeat_vector_bwd", dy, dx, (size_t)p->B * (size_t)l->in.d[0]);
}

static clrnn_status repeat_vector_config_json(const struct clrnn_layer *l, cJSON *o) {
    const struct repeat_vector_cfg *r = l->cfg;
    cJSON_AddNumberToObject(o, "n", r->n);
    return CLRNN_OK;
}

const struct clrnn_layer_ops clrnn_layer_repeat_vector = {
    .keras_class = "RepeatVector",
    .spec_name = "repeat_vector",
    .positional = REPEAT_VECTOR_POSITIONAL,
    .cfg_size = sizeof(struct repeat_vector_cfg),
    .configure = repeat_vector_configure,
    .build = repeat_vector_build,
    .alloc = repeat_vector_alloc,
    .forward = repeat_vector_forward,
    .backward = repeat_vector_backward,
    .config_json = repeat_vector_config_json,
};
