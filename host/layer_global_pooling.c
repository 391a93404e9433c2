/*
 * layer_global_pooling.c - GlobalAveragePooling1D and GlobalMaxPooling1D: (B, T, F) ->
 * (B, F), or (B, 1, F) with keepdims. The average takes a Keras mask: the sum over the real
 * steps over their count, as Keras does. Keras 3's max ignores the mask (it warns and runs
 * over every step); clrnn does the same. Neither passes a mask on.
 */
#include <string.h>

#include "layer_interface.h"

struct global_pool_cfg {
    int keepdims;
};

static const char *const GLOBAL_POOL_SOURCES[] = {"global_pooling.cl", NULL};

static clrnn_status global_pool_configure(struct clrnn_layer *l, const cJSON *c) {
    struct global_pool_cfg *g = l->cfg;
    const cJSON *df = cJSON_GetObjectItemCaseSensitive(c, "data_format");
    if (df && !cJSON_IsNull(df) &&
        !(cJSON_IsString(df) && strcmp(df->valuestring, "channels_last") == 0))
        return clrnn_fail(CLRNN_E_UNSUPPORTED, "layer '%s' (%s): data_format is supported as "
                          "\"channels_last\" only", l->name, l->ops->keras_class);
    return clrnn_cfg_bool(c, l->name, "keepdims", &g->keepdims);
}

static clrnn_status global_pool_build(struct clrnn_layer *l) {
    struct global_pool_cfg *g = l->cfg;
    char buf[64];
    if (l->in.rank != 2)
        return clrnn_fail(CLRNN_E_SHAPE, "layer '%s' (%s) expects input (batch, steps, "
                          "features), found %s", l->name, l->ops->keras_class,
                          clrnn_batch_shape_str(&l->in, buf, sizeof buf));
    if (l->in_dtype != CLRNN_DTYPE_FLOAT32)
        return clrnn_fail(CLRNN_E_SHAPE, "layer '%s' (%s) needs float input, but gets integer "
                          "token ids (put an Embedding layer first)", l->name,
                          l->ops->keras_class);
    l->out.rank = g->keepdims ? 2 : 1;
    l->out.d[0] = g->keepdims ? 1 : l->in.d[1];
    l->out.d[1] = l->in.d[1];
    l->mask_out = 0;
    return CLRNN_OK;
}

static clrnn_status global_pool_alloc(struct clrnn_layer *l, clrnn_ctx *ctx, int max_batch) {
    clrnn_buf_release(&l->y);
    return clrnn_buf_create(ctx, (size_t)max_batch * (size_t)l->in.d[1] * 4, &l->y);
}

/* One work-item an output (b, f): the CPU forms let the driver pick the group, the GPU
 * forms round up to whole element groups. args: the kernel's buffers and flags before
 * (B, T, F). */
static clrnn_status launch(const struct clrnn_layer *l, const struct clrnn_pass *p,
                           const char *name, const struct clrnn_karg *args, int n_args) {
    cl_kernel k;
    clrnn_status s = clrnn_kernel_get(p->ctx, GLOBAL_POOL_SOURCES, "", name, &k);
    size_t count = (size_t)p->B * (size_t)l->in.d[1], g = count, lsz = 0;
    if (s || count == 0) return s;
    if (!p->ctx->cpu_forms && (s = clrnn_element_shape(p->ctx, k, name, count, &g, &lsz)))
        return s;
    int B = p->B, T = (int)l->in.d[0], F = (int)l->in.d[1];
    struct clrnn_karg all[8];
    memcpy(all, args, (size_t)n_args * sizeof *args);
    all[n_args] = KARG(B), all[n_args + 1] = KARG(T), all[n_args + 2] = KARG(F);
    return clrnn_launch_args(p->ctx, k, name, 1, &g, p->ctx->cpu_forms ? NULL : &lsz, all,
                             n_args + 3);
}

static clrnn_status avg_forward(struct clrnn_layer *l, const struct clrnn_pass *p, cl_mem x) {
    int masked = l->in_mask != NULL;
    cl_mem mask = masked ? l->in_mask : x; /* not read when unmasked, but must be a buffer */
    struct clrnn_karg args[] = {KARG(x), KARG(mask), KARG(masked), KARG(l->y)};
    return launch(l, p, "global_avg_pool_fwd", args, 4);
}

static clrnn_status avg_backward(struct clrnn_layer *l, const struct clrnn_pass *p, cl_mem x,
                                 cl_mem dy, cl_mem dx) {
    if (!dx) return CLRNN_OK;
    int masked = l->in_mask != NULL;
    cl_mem mask = masked ? l->in_mask : x;
    struct clrnn_karg args[] = {KARG(dy), KARG(mask), KARG(masked), KARG(dx)};
    return launch(l, p, "global_avg_pool_bwd", args, 4);
}

static clrnn_status max_forward(struct clrnn_layer *l, const struct clrnn_pass *p, cl_mem x) {
    struct clrnn_karg args[] = {KARG(x), KARG(l->y)};
    return launch(l, p, "global_max_pool_fwd", args, 2);
}

static clrnn_status max_backward(struct clrnn_layer *l, const struct clrnn_pass *p, cl_mem x,
                                 cl_mem dy, cl_mem dx) {
    if (!dx) return CLRNN_OK;
    struct clrnn_karg args[] = {KARG(x), KARG(dy), KARG(dx)};
    return launch(l, p, "global_max_pool_bwd", args, 3);
}

static clrnn_status global_pool_config_json(const struct clrnn_layer *l, cJSON *o) {
    const struct global_pool_cfg *g = l->cfg;
    cJSON_AddStringToObject(o, "data_format", "channels_last");
    cJSON_AddBoolToObject(o, "keepdims", g->keepdims);
    return CLRNN_OK;
}

const struct clrnn_layer_ops clrnn_layer_global_average_pooling_1d = {
    .keras_class = "GlobalAveragePooling1D",
    .spec_name = "global_average_pooling1d",
    .cfg_size = sizeof(struct global_pool_cfg),
    .configure = global_pool_configure,
    .build = global_pool_build,
    .alloc = global_pool_alloc,
    .forward = avg_forward,
    .backward = avg_backward,
    .config_json = global_pool_config_json,
    .supports_masking = 1, /* the masked steps are left out of the mean */
};

const struct clrnn_layer_ops clrnn_layer_global_max_pooling_1d = {
    .keras_class = "GlobalMaxPooling1D",
    .spec_name = "global_max_pooling1d",
    .cfg_size = sizeof(struct global_pool_cfg),
    .configure = global_pool_configure,
    .build = global_pool_build,
    .alloc = global_pool_alloc,
    .forward = max_forward,
    .backward = max_backward,
    .config_json = global_pool_config_json,
    .supports_masking = 1, /* takes a mask and ignores it, as Keras 3 */
};
