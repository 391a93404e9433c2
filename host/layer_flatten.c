/*
 * layer_flatten.c - Flatten: (B, d1, d2, ...) -> (B, d1 d2 ...). Row-major arrays have the
 * same layout both ways, so forward and backward are copies on the device. A mask on the
 * input stops here, as in Keras 3 and tf.keras 2.
 */
#include <string.h>

#include "layer_interface.h"

static clrnn_status flatten_configure(struct clrnn_layer *l, const cJSON *c) {
    const cJSON *df = cJSON_GetObjectItemCaseSensitive(c, "data_format");
    if (df && !cJSON_IsNull(df) &&
        !(cJSON_IsString(df) && strcmp(df->valuestring, "channels_last") == 0))
        return clrnn_fail(CLRNN_E_UNSUPPORTED, "layer '%s' (Flatten): data_format is supported "
                          "as \"channels_last\" only", l->name);
    return CLRNN_OK;
}

static clrnn_status flatten_build(struct clrnn_layer *l) {
    if (l->in_dtype != CLRNN_DTYPE_FLOAT32)
        return clrnn_fail(CLRNN_E_SHAPE, "layer '%s' (Flatten) needs float input, but gets "
                          "integer token ids (put an Embedding layer first)", l->name);
    l->out.rank = 1;
    l->out.d[0] = clrnn_shape_count(&l->in);
    l->mask_out = 0;
    return CLRNN_OK;
}

static clrnn_status flatten_alloc(struct clrnn_layer *l, clrnn_ctx *ctx, int max_batch) {
    clrnn_buf_release(&l->y);
    return clrnn_buf_create(ctx, (size_t)max_batch * (size_t)clrnn_shape_count(&l->in) * 4, &l->y);
}

static clrnn_status flatten_forward(struct clrnn_layer *l, const struct clrnn_pass *p, cl_mem x) {
    size_t bytes = (size_t)p->B * (size_t)clrnn_shape_count(&l->in) * 4;
    return bytes ? clrnn_buf_copy(p->ctx, x, 0, l->y, 0, bytes) : CLRNN_OK;
}

static clrnn_status flatten_backward(struct clrnn_layer *l, const struct clrnn_pass *p, cl_mem x,
                                     cl_mem dy, cl_mem dx) {
    (void)x;
    size_t bytes = (size_t)p->B * (size_t)clrnn_shape_count(&l->in) * 4;
    return dx && bytes ? clrnn_buf_copy(p->ctx, dy, 0, dx, 0, bytes) : CLRNN_OK;
}

static clrnn_status flatten_config_json(const struct clrnn_layer *l, cJSON *o) {
    (void)l;
    cJSON_AddStringToObject(o, "data_format", "channels_last");
    return CLRNN_OK;
}

const struct clrnn_layer_ops clrnn_layer_flatten = {
    .keras_class = "Flatten",
    .spec_name = "flatten",
    .configure = flatten_configure,
    .build = flatten_build,
    .alloc = flatten_alloc,
    .forward = flatten_forward,
    .backward = flatten_backward,
    .config_json = flatten_config_json,
    .supports_masking = 1, /* takes a mask and drops it */
};
