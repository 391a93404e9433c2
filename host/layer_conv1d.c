/*
 * layer_conv1d.c - Conv1D(filters, kernel_size, strides, padding, activation, use_bias):
 * (B, T, C) -> (B, To, F), y = act(the kernel (P, C, F) slid over the steps + bias). "valid"
 * gives To = floor((T - P) / S) + 1, "same" To = floor((T - 1) / S) + 1 with zeros padded at
 * both ends (the smaller half before the first step, as Keras's backends pad). One work-item
 * an output forward, an input element for dx and a kernel element for dK (sums in a fixed
 * order); the bias gradient is dz's column sums, as Dense's.
 */
#include <string.h>

#include "layer_interface.h"

struct conv1d_cfg {
    int filters, size, strides, same;
    struct clrnn_affine_keys k;
    cl_mem z;  /* act's gradient for backward, (B, To, F) */
};

static const char *const CONV1D_POSITIONAL[] = {"filters", "kernel_size", "strides", "padding",
                                                NULL}; /* Keras's order */
static const char *const CONV1D_SOURCES[] = {"conv1d.cl", NULL};

/* An int, or a list of one int as Keras writes kernel_size, strides and dilation_rate. */
static clrnn_status one_int(const cJSON *c, const char *layer, const char *key, int required,
                            int *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(c, key);
    if (!v || cJSON_IsNull(v)) {
        if (required)
            return clrnn_fail(CLRNN_E_FORMAT, "layer '%s' (Conv1D): \"%s\" is required", layer,
                              key);
        return CLRNN_OK;
    }
    if (cJSON_IsArray(v) && cJSON_GetArraySize(v) == 1) v = cJSON_GetArrayItem(v, 0);
    if (!cJSON_IsNumber(v) || v->valuedouble != (double)(int)v->valuedouble ||
        v->valuedouble < 1 || v->valuedouble > 1e6)
        return clrnn_fail(CLRNN_E_FORMAT, "layer '%s' (Conv1D): \"%s\" must be a positive "
                          "integer or a list of one", layer, key);
    *out = (int)v->valuedouble;
    return CLRNN_OK;
}

static clrnn_status conv1d_configure(struct clrnn_layer *l, const cJSON *c) {
    struct conv1d_cfg *d = l->cfg;
    d->strides = 1;
    int dilation = 1, groups = 1;
    clrnn_status s;
    if ((s = clrnn_cfg_int(c, l->name, "filters", 1, 1, &d->filters)) ||
        (s = one_int(c, l->name, "kernel_size", 1, &d->size)) ||
        (s = one_int(c, l->name, "strides", 0, &d->strides)) ||
        (s = one_int(c, l->name, "dilation_rate", 0, &dilation)) ||
        (s = clrnn_cfg_int(c, l->name, "groups", 0, 1, &groups)) ||
        (s = clrnn_affine_keys_read(c, l, &d->k)))
        return s;
    if (dilation != 1 || groups != 1)
        return clrnn_fail(CLRNN_E_UNSUPPORTED, "layer '%s' (Conv1D): dilation_rate and groups "
                          "are supported as 1 only", l->name);
    const cJSON *pad = cJSON_GetObjectItemCaseSensitive(c, "padding");
    if (pad && !cJSON_IsNull(pad)) {
        if (!cJSON_IsString(pad) || (strcmp(pad->valuestring, "valid") != 0 &&
                                     strcmp(pad->valuestring, "same") != 0))
            return clrnn_fail(CLRNN_E_UNSUPPORTED, "layer '%s' (Conv1D): padding must be "
                              "\"valid\" or \"same\"", l->name);
        d->same = strcmp(pad->valuestring, "same") == 0;
    }
    const cJSON *df = cJSON_GetObjectItemCaseSensitive(c, "data_format");
    if (df && !cJSON_IsNull(df) &&
        !(cJSON_IsString(df) && strcmp(df->valuestring, "channels_last") == 0))
        return clrnn_fail(CLRNN_E_UNSUPPORTED, "layer '%s' (Conv1D): data_format is supported "
                          "as \"channels_last\" only", l->name);
    return CLRNN_OK;
}

/* Output steps and the padding before the first step, for T input steps. */
static int out_steps(const struct conv1d_cfg *d, int T, int *pad_before) {
    int To = d->same ? (T - 1) / d->strides + 1
                     : (T >= d->size ? (T - d->size) / d->strides + 1 : 0);
    int total = d->same ? (To - 1) * d->strides + d->size - T : 0;
    *pad_before = total > 0 ? total / 2 : 0;
    return To;
}

static clrnn_status conv1d_build(struct clrnn_layer *l) {
    struct conv1d_cfg *d = l->cfg;
    char buf[64];
    if (l->in.rank != 2)
        return clrnn_fail(CLRNN_E_SHAPE, "layer '%s' (Conv1D) expects input (batch, steps, "
                          "channels), found %s", l->name,
                          clrnn_batch_shape_str(&l->in, buf, sizeof buf));
    if (l->in_dtype != CLRNN_DTYPE_FLOAT32)
        return clrnn_fail(CLRNN_E_SHAPE, "layer '%s' (Conv1D) needs float input, but gets integer "
                          "token ids (put an Embedding layer first)", l->name);
    int pad, To = out_steps(d, (int)l->in.d[0], &pad);
    if (To <= 0)
        return clrnn_fail(CLRNN_E_SHAPE, "layer '%s' (Conv1D): %lld steps are fewer than "
                          "kernel_size %d", l->name, (long long)l->in.d[0], d->size);
    l->out = l->in;
    l->out.d[0] = To;
    l->out.d[1] = d->filters;
    int64_t kd[3] = {d->size, l->in.d[1], d->filters}, bd[1] = {d->filters};
    clrnn_layer_add_weight(l, "kernel", 3, kd, d->k.kernel_init);
    if (d->k.use_bias) clrnn_layer_add_weight(l, "bias", 1, bd, d->k.bias_init);
    l->mask_out = 0; /* Keras's Conv1D makes no mask */
    return CLRNN_OK;
}

static clrnn_status conv1d_alloc(struct clrnn_layer *l, clrnn_ctx *ctx, int max_batch) {
    struct conv1d_cfg *d = l->cfg;
    size_t bytes = (size_t)max_batch * (size_t)clrnn_shape_count(&l->out) * 4;
    clrnn_buf_release(&l->y);
    clrnn_buf_release(&d->z);
    clrnn_status s = clrnn_buf_create(ctx, bytes, &l->y);
    if (!s) s = clrnn_buf_create(ctx, bytes, &d->z);
    return s;
}

static clrnn_status launch(const struct clrnn_layer *l, const struct clrnn_pass *p,
                           const char *name, const struct clrnn_karg *head, int n_head,
                           size_t count) {
    const struct conv1d_cfg *d = l->cfg;
    cl_kernel k;
    clrnn_status s = clrnn_kernel_get(p->ctx, CONV1D_SOURCES, "", name, &k);
    size_t g = count, lsz = 0;
    if (s || count == 0) return s;
    if (!p->ctx->cpu_forms && (s = clrnn_element_shape(p->ctx, k, name, count, &g, &lsz)))
        return s;
    int B = p->B, T = (int)l->in.d[0], C = (int)l->in.d[1], L, To = out_steps(d, T, &L);
    int F = d->filters, P = d->size, S = d->strides;
    struct clrnn_karg all[16];
    memcpy(all, head, (size_t)n_head * sizeof *head);
    struct clrnn_karg rest[] = {KARG(B), KARG(T), KARG(C), KARG(To), KARG(F), KARG(P), KARG(S),
                                KARG(L)};
    memcpy(all + n_head, rest, sizeof rest);
    return clrnn_launch_args(p->ctx, k, name, 1, &g, p->ctx->cpu_forms ? NULL : &lsz, all,
                             n_head + 8);
}

static clrnn_status conv1d_forward(struct clrnn_layer *l, const struct clrnn_pass *p, cl_mem x) {
    struct conv1d_cfg *d = l->cfg;
    cl_ulong k_off = l->w[0].offset, b_off = d->k.use_bias ? l->w[1].offset : 0;
    size_t n = (size_t)p->B * (size_t)clrnn_shape_count(&l->out);
    struct clrnn_karg head[] = {KARG(x), KARG(p->params), KARG(k_off), KARG(b_off),
                                KARG(d->k.use_bias), KARG(l->y)};
    clrnn_status s = launch(l, p, "conv1d_fwd", head, 6, n);
    if (!s && n) s = clrnn_act_forward(p->ctx, d->k.act, l->y, l->y, n / (size_t)d->filters,
                                       (size_t)d->filters);
    return s;
}

static clrnn_status conv1d_backward(struct clrnn_layer *l, const struct clrnn_pass *p, cl_mem x,
                                    cl_mem dy, cl_mem dx) {
    struct conv1d_cfg *d = l->cfg;
    size_t n = (size_t)p->B * (size_t)clrnn_shape_count(&l->out), F = (size_t)d->filters;
    cl_mem dz = dy;
    clrnn_status s = CLRNN_OK;
    if (d->k.act != CLRNN_ACT_LINEAR && n) {
        dz = d->z;
        s = clrnn_act_backward(p->ctx, d->k.act, l->y, dy, dz, n / F, F);
    }
    cl_ulong k_off = l->w[0].offset;
    struct clrnn_karg kh[] = {KARG(x), KARG(dz), KARG(p->grads), KARG(k_off)};
    if (!s) s = launch(l, p, "conv1d_bwd_kernel", kh, 4, (size_t)l->w[0].count);
    if (!s && d->k.use_bias) s = clrnn_sum_rows(p->ctx, dz, n / F, F, p->grads, l->w[1].offset);
    if (s || !dx) return s;
    struct clrnn_karg xh[] = {KARG(dz), KARG(p->params), KARG(k_off), KARG(dx)};
    return launch(l, p, "conv1d_bwd_x", xh, 4, (size_t)p->B * (size_t)clrnn_shape_count(&l->in));
}

static clrnn_status conv1d_config_json(const struct clrnn_layer *l, cJSON *o) {
    const struct conv1d_cfg *d = l->cfg;
    cJSON_AddNumberToObject(o, "filters", d->filters);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(o, "kernel_size"), cJSON_CreateNumber(d->size));
    cJSON_AddItemToArray(cJSON_AddArrayToObject(o, "strides"), cJSON_CreateNumber(d->strides));
    cJSON_AddStringToObject(o, "padding", d->same ? "same" : "valid");
    cJSON_AddStringToObject(o, "data_format", "channels_last");
    cJSON_AddItemToArray(cJSON_AddArrayToObject(o, "dilation_rate"), cJSON_CreateNumber(1));
    cJSON_AddNumberToObject(o, "groups", 1);
    clrnn_affine_keys_write(&d->k, o);
    return CLRNN_OK;
}

static void conv1d_release(struct clrnn_layer *l) {
    struct conv1d_cfg *d = l->cfg;
    clrnn_buf_release(&d->z);
}

const struct clrnn_layer_ops clrnn_layer_conv1d = {
    .keras_class = "Conv1D",
    .spec_name = "conv1d",
    .positional = CONV1D_POSITIONAL,
    .cfg_size = sizeof(struct conv1d_cfg),
    .configure = conv1d_configure,
    .build = conv1d_build,
    .alloc = conv1d_alloc,
    .forward = conv1d_forward,
    .backward = conv1d_backward,
    .config_json = conv1d_config_json,
    .release = conv1d_release,
};
