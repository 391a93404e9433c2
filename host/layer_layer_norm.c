/*
 * layer_layer_norm.c - LayerNormalization over the last axis: y = (x - mean) / sqrt(var +
 * epsilon) * gamma + beta per row (per timestep on 3-D input), gamma with scale, beta with
 * center (weights in that order, as Keras builds them). One work-item a row forward and for
 * the input gradient, one a column for gamma's and beta's; masks pass through, as in Keras.
 */
#include <string.h>

#include "layer_interface.h"

struct layer_norm_cfg {
    double epsilon;
    int center, scale, axis;
    clrnn_init_kind gamma_init, beta_init;
    cl_mem stats; /* (rows, 2): each row's mean and 1 / sqrt(var + epsilon), for backward */
};

static const char *const LAYER_NORM_SOURCES[] = {"layer_norm.cl", NULL};

/* axis: -1, or [-1], or the last axis counted from the batch's (tf.keras 2 writes [2] for
 * (batch, steps, features)); build checks the count, which needs the input's rank. */
static clrnn_status read_axis(struct clrnn_layer *l, const cJSON *c, int *axis) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(c, "axis");
    *axis = -1;
    if (!v || cJSON_IsNull(v)) return CLRNN_OK;
    if (cJSON_IsArray(v) && cJSON_GetArraySize(v) == 1) v = cJSON_GetArrayItem(v, 0);
    if (!cJSON_IsNumber(v) || v->valuedouble != (double)(int)v->valuedouble)
        return clrnn_fail(CLRNN_E_UNSUPPORTED, "layer '%s' (LayerNormalization): axis is "
                          "supported as the last axis only", l->name);
    *axis = (int)v->valuedouble;
    return CLRNN_OK;
}

static clrnn_status layer_norm_configure(struct clrnn_layer *l, const cJSON *c) {
    struct layer_norm_cfg *n = l->cfg;
    n->epsilon = 1e-3;
    n->center = n->scale = 1;
    n->gamma_init = CLRNN_INIT_ONES;
    n->beta_init = CLRNN_INIT_ZEROS;
    int rms = 0;
    clrnn_status s;
    if ((s = read_axis(l, c, &n->axis)) ||
        (s = clrnn_cfg_double(c, l->name, "epsilon", &n->epsilon)) ||
        (s = clrnn_cfg_bool(c, l->name, "center", &n->center)) ||
        (s = clrnn_cfg_bool(c, l->name, "scale", &n->scale)) ||
        (s = clrnn_cfg_bool(c, l->name, "rms_scaling", &rms)) ||
        (s = clrnn_init_from_json(cJSON_GetObjectItemCaseSensitive(c, "gamma_initializer"),
                                  l->name, "gamma_initializer", &n->gamma_init)) ||
        (s = clrnn_init_from_json(cJSON_GetObjectItemCaseSensitive(c, "beta_initializer"),
                                  l->name, "beta_initializer", &n->beta_init)))
        return s;
    if (rms)
        return clrnn_fail(CLRNN_E_UNSUPPORTED, "layer '%s' (LayerNormalization): rms_scaling "
                          "is not supported", l->name);
    if (!(n->epsilon > 0))
        return clrnn_fail(CLRNN_E_FORMAT, "layer '%s' (LayerNormalization): epsilon %g must be "
                          "positive", l->name, n->epsilon);
    static const char *const unsupported[] = {"beta_regularizer", "gamma_regularizer",
                                              "beta_constraint", "gamma_constraint"};
    for (size_t i = 0; i < sizeof unsupported / sizeof *unsupported; i++)
        if ((s = clrnn_cfg_must_be_null(c, l->name, unsupported[i]))) return s;
    return CLRNN_OK;
}

static clrnn_status layer_norm_build(struct clrnn_layer *l) {
    struct layer_norm_cfg *n = l->cfg;
    if (l->in_dtype != CLRNN_DTYPE_FLOAT32)
        return clrnn_fail(CLRNN_E_SHAPE, "layer '%s' (LayerNormalization) needs float input, but "
                          "gets integer token ids (put an Embedding layer first)", l->name);
    if (n->axis != -1 && n->axis != l->in.rank)
        return clrnn_fail(CLRNN_E_UNSUPPORTED, "layer '%s' (LayerNormalization): axis %d is not "
                          "the last axis; only the last is supported", l->name, n->axis);
    l->out = l->in;
    int64_t d[1] = {clrnn_shape_last(&l->in)};
    if (n->scale) clrnn_layer_add_weight(l, "gamma", 1, d, n->gamma_init);
    if (n->center) clrnn_layer_add_weight(l, "beta", 1, d, n->beta_init);
    return CLRNN_OK;
}

static size_t rows_of(const struct clrnn_layer *l, int B) {
    return (size_t)B * (size_t)(clrnn_shape_count(&l->in) / clrnn_shape_last(&l->in));
}

static clrnn_status layer_norm_alloc(struct clrnn_layer *l, clrnn_ctx *ctx, int max_batch) {
    struct layer_norm_cfg *n = l->cfg;
    clrnn_buf_release(&l->y);
    clrnn_buf_release(&n->stats);
    clrnn_status s = clrnn_buf_create(ctx, (size_t)max_batch * (size_t)clrnn_shape_count(&l->in) * 4,
                                      &l->y);
    if (!s) s = clrnn_buf_create(ctx, rows_of(l, max_batch) * 2 * 4, &n->stats);
    return s;
}

/* The packed offsets of gamma and beta (0 where the layer has none). */
static void offsets(const struct clrnn_layer *l, cl_ulong *g_off, cl_ulong *b_off) {
    const struct layer_norm_cfg *n = l->cfg;
    *g_off = n->scale ? l->w[0].offset : 0;
    *b_off = n->center ? l->w[n->scale ? 1 : 0].offset : 0;
}

static clrnn_status layer_norm_forward(struct clrnn_layer *l, const struct clrnn_pass *p,
                                       cl_mem x) {
    struct layer_norm_cfg *n = l->cfg;
    cl_kernel k;
    clrnn_status s = clrnn_kernel_get(p->ctx, LAYER_NORM_SOURCES, "", "layer_norm_fwd", &k);
    int R = (int)rows_of(l, p->B), C = (int)clrnn_shape_last(&l->in);
    if (s || R == 0) return s;
    cl_float eps = (cl_float)n->epsilon;
    cl_ulong g_off, b_off;
    offsets(l, &g_off, &b_off);
    size_t g = (size_t)R;
    return CLRNN_LAUNCH(p->ctx, k, "layer_norm_fwd", 1, &g, NULL, KARG(x), KARG(l->y),
                        KARG(n->stats), KARG(R), KARG(C), KARG(eps), KARG(p->params),
                        KARG(g_off), KARG(n->scale), KARG(b_off), KARG(n->center));
}

static clrnn_status layer_norm_backward(struct clrnn_layer *l, const struct clrnn_pass *p,
                                        cl_mem x, cl_mem dy, cl_mem dx) {
    struct layer_norm_cfg *n = l->cfg;
    int R = (int)rows_of(l, p->B), C = (int)clrnn_shape_last(&l->in);
    cl_ulong g_off, b_off;
    offsets(l, &g_off, &b_off);
    cl_kernel k;
    clrnn_status s = CLRNN_OK;
    if (n->scale || n->center) {
        size_t g = (size_t)C;
        if (!(s = clrnn_kernel_get(p->ctx, LAYER_NORM_SOURCES, "", "layer_norm_bwd_params", &k)))
            s = CLRNN_LAUNCH(p->ctx, k, "layer_norm_bwd_params", 1, &g, NULL, KARG(x), KARG(dy),
                             KARG(n->stats), KARG(R), KARG(C), KARG(p->grads), KARG(g_off),
                             KARG(n->scale), KARG(b_off), KARG(n->center));
    }
    if (s || !dx || R == 0) return s;
    size_t g = (size_t)R;
    if ((s = clrnn_kernel_get(p->ctx, LAYER_NORM_SOURCES, "", "layer_norm_bwd_x", &k))) return s;
    return CLRNN_LAUNCH(p->ctx, k, "layer_norm_bwd_x", 1, &g, NULL, KARG(x), KARG(dy),
                        KARG(n->stats), KARG(dx), KARG(R), KARG(C), KARG(p->params), KARG(g_off),
                        KARG(n->scale));
}

static clrnn_status layer_norm_config_json(const struct clrnn_layer *l, cJSON *o) {
    const struct layer_norm_cfg *n = l->cfg;
    cJSON_AddNumberToObject(o, "axis", -1);
    cJSON_AddNumberToObject(o, "epsilon", n->epsilon);
    cJSON_AddBoolToObject(o, "center", n->center);
    cJSON_AddBoolToObject(o, "scale", n->scale);
    /* tf.keras 2's LayerNormalization takes no rms_scaling key */
    if (l->keras_major >= 3) cJSON_AddFalseToObject(o, "rms_scaling");
    cJSON_AddItemToObject(o, "beta_initializer", clrnn_init_to_json(n->beta_init));
    cJSON_AddItemToObject(o, "gamma_initializer", clrnn_init_to_json(n->gamma_init));
    static const char *const nulls[] = {"beta_regularizer", "gamma_regularizer",
                                        "beta_constraint", "gamma_constraint"};
    for (size_t i = 0; i < sizeof nulls / sizeof *nulls; i++) cJSON_AddNullToObject(o, nulls[i]);
    return CLRNN_OK;
}

static void layer_norm_release(struct clrnn_layer *l) {
    struct layer_norm_cfg *n = l->cfg;
    clrnn_buf_release(&n->stats);
}

const struct clrnn_layer_ops clrnn_layer_layer_normalization = {
    .keras_class = "LayerNormalization",
    .spec_name = "layer_normalization",
    .cfg_size = sizeof(struct layer_norm_cfg),
    .configure = layer_norm_configure,
    .build = layer_norm_build,
    .alloc = layer_norm_alloc,
    .forward = layer_norm_forward,
    .backward = layer_norm_backward,
    .config_json = layer_norm_config_json,
    .release = layer_norm_release,
    .supports_masking = 1, /* the mask passes through, as in Keras */
};
