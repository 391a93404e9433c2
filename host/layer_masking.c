/*
 * layer_masking.c - Masking(mask_value): for padded float sequences (B, T, F), a step whose
 * every feature equals mask_value is padding; the output is the input with those steps set
 * to 0, and carries the mask (1 at the other steps) to the layers after it, as Keras does.
 * One work-item a step.
 */
#include "layer_interface.h"

struct masking_cfg {
    double mask_value;
};

static const char *const MASKING_POSITIONAL[] = {"mask_value", NULL};
static const char *const MASKING_SOURCES[] = {"masking.cl", NULL};

static clrnn_status masking_configure(struct clrnn_layer *l, const cJSON *c) {
    struct masking_cfg *m = l->cfg;
    m->mask_value = 0.0; /* Keras's default */
    return clrnn_cfg_double(c, l->name, "mask_value", &m->mask_value);
}

static clrnn_status masking_build(struct clrnn_layer *l) {
    char buf[64];
    if (l->in.rank != 2)
        return clrnn_fail(CLRNN_E_SHAPE, "layer '%s' (Masking) expects input (batch, steps, "
                          "features), found %s", l->name,
                          clrnn_batch_shape_str(&l->in, buf, sizeof buf));
    if (l->in_dtype != CLRNN_DTYPE_FLOAT32)
        return clrnn_fail(CLRNN_E_SHAPE, "layer '%s' (Masking) needs float input (for token ids, "
                          "Embedding's mask_zero masks the padding)", l->name);
    l->out = l->in;
    l->mask_out = 1;
    return CLRNN_OK;
}

static clrnn_status masking_alloc(struct clrnn_layer *l, clrnn_ctx *ctx, int max_batch) {
    size_t rows = (size_t)max_batch * (size_t)l->in.d[0];
    clrnn_buf_release(&l->y);
    clrnn_buf_release(&l->mask_y);
    clrnn_status s = clrnn_buf_create(ctx, rows * (size_t)l->in.d[1] * 4, &l->y);
    if (!s) s = clrnn_buf_create(ctx, rows * 4, &l->mask_y);
    return s;
}

static clrnn_status masking_forward(struct clrnn_layer *l, const struct clrnn_pass *p,
                                    cl_mem x) {
    struct masking_cfg *m = l->cfg;
    cl_kernel k;
    clrnn_status s = clrnn_kernel_get(p->ctx, MASKING_SOURCES, "", "masking_fwd", &k);
    if (s) return s;
    int rows = p->B * (int)l->in.d[0], F = (int)l->in.d[1];
    cl_float value = (cl_float)m->mask_value;
    size_t g = (size_t)rows;
    if (g == 0) return CLRNN_OK;
    return CLRNN_LAUNCH(p->ctx, k, "masking_fwd", 1, &g, NULL, KARG(x), KARG(l->y),
                        KARG(l->mask_y), KARG(rows), KARG(F), KARG(value));
}

static clrnn_status masking_backward(struct clrnn_layer *l, const struct clrnn_pass *p, cl_mem x,
                                     cl_mem dy, cl_mem dx) {
    (void)x;
    if (!dx) return CLRNN_OK;
    cl_kernel k;
    clrnn_status s = clrnn_kernel_get(p->ctx, MASKING_SOURCES, "", "masking_bwd", &k);
    if (s) return s;
    int rows = p->B * (int)l->in.d[0], F = (int)l->in.d[1];
    size_t g = (size_t)rows;
    if (g == 0) return CLRNN_OK;
    return CLRNN_LAUNCH(p->ctx, k, "masking_bwd", 1, &g, NULL, KARG(dy), KARG(l->mask_y),
                        KARG(dx), KARG(rows), KARG(F));
}

static clrnn_status masking_config_json(const struct clrnn_layer *l, cJSON *o) {
    const struct masking_cfg *m = l->cfg;
    cJSON_AddNumberToObject(o, "mask_value", m->mask_value);
    return CLRNN_OK;
}

const struct clrnn_layer_ops clrnn_layer_masking = {
    .keras_class = "Masking",
    .spec_name = "masking",
    .positional = MASKING_POSITIONAL,
    .cfg_size = sizeof(struct masking_cfg),
    .configure = masking_configure,
    .build = masking_build,
    .alloc = masking_alloc,
    .forward = masking_forward,
    .backward = masking_backward,
    .config_json = masking_config_json,
    .supports_masking = 1, /* its own mask replaces the input's, as Keras's compute_mask */
};
