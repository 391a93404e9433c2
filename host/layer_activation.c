/*
 * layer_activation.c - Activation: y = act(x), element-wise (softmax over the last axis).
 */
#include "layer_interface.h"

struct activation_cfg {
    clrnn_act act;
};

static const char *const ACTIVATION_POSITIONAL[] = {"activation", NULL};

static clrnn_status activation_configure(struct clrnn_layer *l, const cJSON *c) {
    struct activation_cfg *a = l->cfg;
    if (!cJSON_GetObjectItemCaseSensitive(c, "activation"))
        return clrnn_fail(CLRNN_E_FORMAT, "layer '%s' (Activation): \"activation\" is required",
                          l->name);
    return clrnn_cfg_act(c, l->name, l->keras_major, "activation", &a->act);
}

static clrnn_status activation_build(struct clrnn_layer *l) {
    if (l->in_dtype != CLRNN_DTYPE_FLOAT32)
        return clrnn_fail(CLRNN_E_SHAPE, "layer '%s' (Activation) needs float input", l->name);
    l->out = l->in;
    return CLRNN_OK;
}

static size_t rows_of(const struct clrnn_layer *l, int B) {
    return (size_t)B * (size_t)(clrnn_shape_count(&l->in) / clrnn_shape_last(&l->in));
}

static clrnn_status activation_alloc(struct clrnn_layer *l, clrnn_ctx *ctx, int max_batch) {
    clrnn_buf_release(&l->y);
    return clrnn_buf_create(ctx, (size_t)max_batch * (size_t)clrnn_shape_count(&l->in) * 4, &l->y);
}

static clrnn_status activation_forward(struct clrnn_layer *l, const struct clrnn_pass *p,
                                       cl_mem x) {
    struct activation_cfg *a = l->cfg;
    size_t R = rows_of(l, p->B), C = (size_t)clrnn_shape_last(&l->in);
    if (a->act == CLRNN_ACT_LINEAR) return clrnn_buf_copy(p->ctx, x, 0, l->y, 0, R * C * 4);
    return clrnn_act_forward(p->ctx, a->act, x, l->y, R, C);
}

static clrnn_status activation_backward(struct clrnn_layer *l, const struct clrnn_pass *p,
                                        cl_mem x, cl_mem dy, cl_mem dx) {
    struct activation_cfg *a = l->cfg;
    (void)x;
    if (!dx) return CLRNN_OK;
    size_t R = rows_of(l, p->B), C = (size_t)clrnn_shape_last(&l->in);
    if (a->act == CLRNN_ACT_LINEAR) return clrnn_buf_copy(p->ctx, dy, 0, dx, 0, R * C * 4);
    return clrnn_act_backward(p->ctx, a->act, l->y, dy, dx, R, C);
}

static clrnn_status activation_config_json(const struct clrnn_layer *l, cJSON *o) {
    const struct activation_cfg *a = l->cfg;
    cJSON_AddStringToObject(o, "activation", clrnn_act_name(a->act));
    return CLRNN_OK;
}

const struct clrnn_layer_ops clrnn_layer_activation = {
    .keras_class = "Activation",
    .spec_name = "activation",
    .positional = ACTIVATION_POSITIONAL,
    .cfg_size = sizeof(struct activation_cfg),
    .configure = activation_configure,
    .build = activation_build,
    .alloc = activation_alloc,
    .forward = activation_forward,
    .backward = activation_backward,
    .config_json = activation_config_json,
    .supports_masking = 1, /* the mask passes through, as in Keras */
};
