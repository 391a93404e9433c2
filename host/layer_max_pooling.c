/*
 * layer_max_pooling.c - MaxPooling1D(pool_size, strides, padding): (B, T, F) -> (B, To, F),
 * the max of each window of pool_size steps, every strides steps (strides default to
 * pool_size). "valid" keeps whole windows only, To = floor((T - P) / S) + 1; "same" gives
 * To = floor((T - 1) / S) + 1 windows, padded at both ends (the smaller half before the
 * first step, as Keras's backends pad) with steps that never win.
 */
#include <string.h>

#include "layer_interface.h"

struct max_pool_cfg {
    int pool, strides, same;
};

static const char *const MAX_POOL_POSITIONAL[] = {"pool_size", "strides", "padding", NULL};
static const char *const MAX_POOL_SOURCES[] = {"max_pooling.cl", NULL};

/* An int, or a list of one int as Keras writes pool_size and strides; null keeps *out. */
static clrnn_status one_int(const cJSON *c, const char *layer, const char *key, int *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(c, key);
    if (!v || cJSON_IsNull(v)) return CLRNN_OK;
    if (cJSON_IsArray(v) && cJSON_GetArraySize(v) == 1) v = cJSON_GetArrayItem(v, 0);
    if (!cJSON_IsNumber(v) || v->valuedouble != (double)(int)v->valuedouble ||
        v->valuedouble < 1 || v->valuedouble > 1e6)
        return clrnn_fail(CLRNN_E_FORMAT, "layer '%s' (MaxPooling1D): \"%s\" must be a positive "
                          "integer or a list of one", layer, key);
    *out = (int)v->valuedouble;
    return CLRNN_OK;
}

static clrnn_status max_pool_configure(struct clrnn_layer *l, const cJSON *c) {
    struct max_pool_cfg *m = l->cfg;
    m->pool = 2;
    m->strides = 0; /* pool_size */
    clrnn_status s;
    if ((s = one_int(c, l->name, "pool_size", &m->pool)) ||
        (s = one_int(c, l->name, "strides", &m->strides)))
        return s;
    if (!m->strides) m->strides = m->pool;
    const cJSON *pad = cJSON_GetObjectItemCaseSensitive(c, "padding");
    if (pad && !cJSON_IsNull(pad)) {
        if (!cJSON_IsString(pad) || (strcmp(pad->valuestring, "valid") != 0 &&
                                     strcmp(pad->valuestring, "same") != 0))
            return clrnn_fail(CLRNN_E_UNSUPPORTED, "layer '%s' (MaxPooling1D): padding must be "
                              "\"valid\" or \"same\"", l->name);
        m->same = strcmp(pad->valuestring, "same") == 0;
    }
    const cJSON *df = cJSON_GetObjectItemCaseSensitive(c, "data_format");
    if (df && !cJSON_IsNull(df) &&
        !(cJSON_IsString(df) && strcmp(df->valuestring, "channels_last") == 0))
        return clrnn_fail(CLRNN_E_UNSUPPORTED, "layer '%s' (MaxPooling1D): data_format is "
                          "supported as \"channels_last\" only", l->name);
    return CLRNN_OK;
}

/* Output steps and the padding before the first step, for T input steps. */
static int out_steps(const struct max_pool_cfg *m, int T, int *pad_before) {
    int To = m->same ? (T - 1) / m->strides + 1
                     : (T >= m->pool ? (T - m->pool) / m->strides + 1 : 0);
    int total = m->same ? (To - 1) * m->strides + m->pool - T : 0;
    *pad_before = total > 0 ? total / 2 : 0;
    return To;
}

static clrnn_status max_pool_build(struct clrnn_layer *l) {
    struct max_pool_cfg *m = l->cfg;
    char buf[64];
    if (l->in.rank != 2)
        return clrnn_fail(CLRNN_E_SHAPE, "layer '%s' (MaxPooling1D) expects input (batch, steps, "
                          "features), found %s", l->name,
                          clrnn_batch_shape_str(&l->in, buf, sizeof buf));
    if (l->in_dtype != CLRNN_DTYPE_FLOAT32)
        return clrnn_fail(CLRNN_E_SHAPE, "layer '%s' (MaxPooling1D) needs float input", l->name);
    int pad, To = out_steps(m, (int)l->in.d[0], &pad);
    if (To <= 0)
        return clrnn_fail(CLRNN_E_SHAPE, "layer '%s' (MaxPooling1D): %lld steps are fewer than "
                          "pool_size %d", l->name, (long long)l->in.d[0], m->pool);
    l->out = l->in;
    l->out.d[0] = To;
    return CLRNN_OK;
}

static clrnn_status max_pool_alloc(struct clrnn_layer *l, clrnn_ctx *ctx, int max_batch) {
    clrnn_buf_release(&l->y);
    return clrnn_buf_create(ctx, (size_t)max_batch * (size_t)clrnn_shape_count(&l->out) * 4,
                            &l->y);
}

static clrnn_status launch(const struct clrnn_layer *l, const struct clrnn_pass *p,
                           const char *name, const struct clrnn_karg *bufs, int n_bufs,
                           size_t count) {
    const struct max_pool_cfg *m = l->cfg;
    cl_kernel k;
    clrnn_status s = clrnn_kernel_get(p->ctx, MAX_POOL_SOURCES, "", name, &k);
    size_t g = count, lsz = 0;
    if (s || count == 0) return s;
    if (!p->ctx->cpu_forms && (s = clrnn_element_shape(p->ctx, k, name, count, &g, &lsz)))
        return s;
    int B = p->B, T = (int)l->in.d[0], F = (int)l->in.d[1], L, To = out_steps(m, T, &L);
    int P = m->pool, S = m->strides;
    struct clrnn_karg all[12];
    memcpy(all, bufs, (size_t)n_bufs * sizeof *bufs);
    struct clrnn_karg rest[] = {KARG(B), KARG(T), KARG(F), KARG(To), KARG(P), KARG(S), KARG(L)};
    memcpy(all + n_bufs, rest, sizeof rest);
    return clrnn_launch_args(p->ctx, k, name, 1, &g, p->ctx->cpu_forms ? NULL : &lsz, all,
                             n_bufs + 7);
}

static clrnn_status max_pool_forward(struct clrnn_layer *l, const struct clrnn_pass *p,
                                     cl_mem x) {
    struct clrnn_karg bufs[] = {KARG(x), KARG(l->y)};
    return launch(l, p, "max_pool1d_fwd", bufs, 2,
                  (size_t)p->B * (size_t)clrnn_shape_count(&l->out));
}

static clrnn_status max_pool_backward(struct clrnn_layer *l, const struct clrnn_pass *p,
                                      cl_mem x, cl_mem dy, cl_mem dx) {
    if (!dx) return CLRNN_OK;
    struct clrnn_karg bufs[] = {KARG(x), KARG(dy), KARG(dx)};
    return launch(l, p, "max_pool1d_bwd", bufs, 3,
                  (size_t)p->B * (size_t)clrnn_shape_count(&l->in));
}

static clrnn_status max_pool_config_json(const struct clrnn_layer *l, cJSON *o) {
    const struct max_pool_cfg *m = l->cfg;
    cJSON *ps = cJSON_AddArrayToObject(o, "pool_size");
    cJSON_AddItemToArray(ps, cJSON_CreateNumber(m->pool));
    cJSON_AddStringToObject(o, "padding", m->same ? "same" : "valid");
    cJSON *st = cJSON_AddArrayToObject(o, "strides");
    cJSON_AddItemToArray(st, cJSON_CreateNumber(m->strides));
    cJSON_AddStringToObject(o, "data_format", "channels_last");
    return CLRNN_OK;
}

const struct clrnn_layer_ops clrnn_layer_max_pooling_1d = {
    .keras_class = "MaxPooling1D",
    .spec_name = "max_pooling1d",
    .positional = MAX_POOL_POSITIONAL,
    .cfg_size = sizeof(struct max_pool_cfg),
    .configure = max_pool_configure,
    .build = max_pool_build,
    .alloc = max_pool_alloc,
    .forward = max_pool_forward,
    .backward = max_pool_backward,
    .config_json = max_pool_config_json,
};
