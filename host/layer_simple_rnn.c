/*
 * layer_simple_rnn.c - SimpleRNN: h_t = act(x_t K + b + h_{t-1} R), h_{-1} = 0.
 *
 * Forward: one GEMM projects every timestep (zx = x K + b over B*T rows), then one launch of
 * the persistent kernel simple_rnn_fwd runs the recurrence (cl/simple_rnn.cl). Backward:
 * simple_rnn_bwd runs the recurrence in reverse and leaves the pre-activation gradient dz;
 * the weight and input gradients are then three GEMMs and a column sum over all timesteps.
 * Nothing is read back to the host.
 */
#include <string.h>

#include "clrnn_impl.h"

static const char *const RNN_SOURCES[] = {"common.cl", "simple_rnn.cl", NULL};
static const char *const SIMPLE_RNN_POSITIONAL[] = {"units", "activation", NULL};

struct simple_rnn_cfg {
    int units;
    clrnn_act act;
    int use_bias, return_sequences;
    clrnn_init_kind kernel_init, recurrent_init, bias_init;
    /* device buffers, for max_batch rows */
    cl_mem zx;    /* (B, T, U) */
    cl_mem hs;    /* (T+1, B, U) */
    cl_mem dz_bm; /* (B, T, U) */
    cl_mem dz_tm; /* (T, B, U) */
    cl_mem dh0;   /* (B, U) */
};

static clrnn_status simple_rnn_configure(struct clrnn_layer *l, const cJSON *c) {
    struct simple_rnn_cfg *r = l->cfg;
    r->act = CLRNN_ACT_TANH;
    r->use_bias = 1;
    r->kernel_init = CLRNN_INIT_GLOROT_UNIFORM;
    r->recurrent_init = CLRNN_INIT_ORTHOGONAL;
    r->bias_init = CLRNN_INIT_ZEROS;
    clrnn_status s;
    if ((s = clrnn_cfg_int(c, l->name, "units", 1, 1, &r->units)) ||
        (s = clrnn_cfg_act(c, l->name, "activation", &r->act)) ||
        (s = clrnn_cfg_bool(c, l->name, "use_bias", &r->use_bias)) ||
        (s = clrnn_cfg_bool(c, l->name, "return_sequences", &r->return_sequences)) ||
        (s = clrnn_init_from_json(cJSON_GetObjectItemCaseSensitive(c, "kernel_initializer"),
                                  l->name, "kernel_initializer", &r->kernel_init)) ||
        (s = clrnn_init_from_json(cJSON_GetObjectItemCaseSensitive(c, "recurrent_initializer"),
                                  l->name, "recurrent_initializer", &r->recurrent_init)) ||
        (s = clrnn_init_from_json(cJSON_GetObjectItemCaseSensitive(c, "bias_initializer"),
                                  l->name, "bias_initializer", &r->bias_init)))
        return s;
    if (r->act == CLRNN_ACT_SOFTMAX)
        return clrnn_fail(CLRNN_E_UNSUPPORTED, "layer '%s' (SimpleRNN): activation softmax is "
                          "not supported for a recurrent state", l->name);
    static const char *const off[] = {"return_state", "go_backwards", "stateful", "time_major",
                                      "dropout", "recurrent_dropout"};
    static const char *const nulls[] = {"kernel_regularizer",   "recurrent_regularizer",
                                        "bias_regularizer",     "activity_regularizer",
                                        "kernel_constraint",    "recurrent_constraint",
                                        "bias_constraint"};
    for (size_t i = 0; i < sizeof off / sizeof *off; i++)
        if ((s = clrnn_cfg_must_be_false(c, l->name, off[i]))) return s;
    for (size_t i = 0; i < sizeof nulls / sizeof *nulls; i++)
        if ((s = clrnn_cfg_must_be_null(c, l->name, nulls[i]))) return s;
    return CLRNN_OK;
}

static clrnn_status simple_rnn_build(struct clrnn_layer *l) {
    struct simple_rnn_cfg *r = l->cfg;
    char buf[64];
    if (l->in.rank != 2)
        return clrnn_fail(CLRNN_E_SHAPE, "layer '%s' (SimpleRNN) expects input (batch, steps, "
                          "features), found %s", l->name,
                          clrnn_batch_shape_str(&l->in, buf, sizeof buf));
    if (l->in_dtype != CLRNN_DTYPE_FLOAT32)
        return clrnn_fail(CLRNN_E_SHAPE, "layer '%s' (SimpleRNN) needs float input, but gets "
                          "integer token ids (put an Embedding layer first)", l->name);
    int64_t U = r->units, I = l->in.d[1];
    l->out.rank = r->return_sequences ? 2 : 1;
    l->out.d[0] = r->return_sequences ? l->in.d[0] : U;
    l->out.d[1] = U;
    int64_t kd[2] = {I, U}, rd[2] = {U, U}, bd[1] = {U};
    clrnn_layer_add_weight(l, "kernel", 2, kd, r->kernel_init);
    clrnn_layer_add_weight(l, "recurrent_kernel", 2, rd, r->recurrent_init);
    if (r->use_bias) clrnn_layer_add_weight(l, "bias", 1, bd, r->bias_init);
    return CLRNN_OK;
}

static void release_buffers(struct simple_rnn_cfg *r) {
    clrnn_buf_release(&r->zx);
    clrnn_buf_release(&r->hs);
    clrnn_buf_release(&r->dz_bm);
    clrnn_buf_release(&r->dz_tm);
    clrnn_buf_release(&r->dh0);
}

static clrnn_status simple_rnn_alloc(struct clrnn_layer *l, clrnn_ctx *ctx, int B) {
    struct simple_rnn_cfg *r = l->cfg;
    size_t T = (size_t)l->in.d[0], U = (size_t)r->units, f = sizeof(float);
    release_buffers(r);
    clrnn_buf_release(&l->y);
    clrnn_status s;
    if ((s = clrnn_buf_create(ctx, (size_t)B * T * U * f, &r->zx)) ||
        (s = clrnn_buf_create(ctx, (T + 1) * (size_t)B * U * f, &r->hs)) ||
        (s = clrnn_buf_create(ctx, (size_t)B * T * U * f, &r->dz_bm)) ||
        (s = clrnn_buf_create(ctx, (size_t)B * T * U * f, &r->dz_tm)) ||
        (s = clrnn_buf_create(ctx, (size_t)B * U * f, &r->dh0)) ||
        (s = clrnn_buf_create(ctx, (size_t)B * (size_t)clrnn_shape_count(&l->out) * f, &l->y)))
        return s;
    return CLRNN_OK;
}

/* Work-group layout of the persistent kernels: enough groups to fill the device, each with
 * a slice of the batch whose state fits in local memory. */
static clrnn_status launch_shape(clrnn_ctx *ctx, cl_kernel k, int B, int U, int *rows_per_group,
                                 size_t *global, size_t *local) {
    int cu = ctx->info.compute_units > 0 ? ctx->info.compute_units : 1;
    int groups = B < 2 * cu ? B : 2 * cu;
    int rpg = (B + groups - 1) / groups;
    size_t local_budget = ctx->info.local_mem_bytes ? ctx->info.local_mem_bytes / 2 : 16384;
    while (rpg > 1 && (size_t)rpg * (size_t)U * 2 * sizeof(float) > local_budget) rpg--;
    if ((size_t)rpg * (size_t)U * 2 * sizeof(float) > local_budget)
        return clrnn_fail(CLRNN_E_UNSUPPORTED, "SimpleRNN with %d units needs %zu bytes of local "
                          "memory per batch row; %s has %llu", U, (size_t)U * 2 * sizeof(float),
                          ctx->info.name, (unsigned long long)ctx->info.local_mem_bytes);
    size_t kmax = 0;
    if (clGetKernelWorkGroupInfo(k, ctx->device, CL_KERNEL_WORK_GROUP_SIZE, sizeof kmax, &kmax,
                                 NULL) != CL_SUCCESS || kmax == 0)
        kmax = 64;
    size_t want = clrnn_round_up((size_t)rpg * (size_t)U, 32);
    if (want > 256) want = 256;
    if (want > kmax) want = kmax;
    *rows_per_group = rpg;
    *local = want;
    *global = want * (size_t)((B + rpg - 1) / rpg);
    return CLRNN_OK;
}

static clrnn_status simple_rnn_forward(struct clrnn_layer *l, const struct clrnn_pass *p,
                                       cl_mem x) {
    struct simple_rnn_cfg *r = l->cfg;
    int B = p->B, T = (int)l->in.d[0], U = r->units, I = (int)l->in.d[1];
    size_t rows = (size_t)B * (size_t)T;
    clrnn_status s = clrnn_gemm(p->ctx, 0, 0, rows, (size_t)U, (size_t)I, 1.0f, x, 0, (size_t)I,
                                p->params, l->w[0].offset, (size_t)U, 0.0f, r->zx, 0, (size_t)U);
    if (!s && r->use_bias) s = clrnn_add_bias(p->ctx, r->zx, rows, (size_t)U, p->params, l->w[2].offset);
    if (!s) s = clrnn_buf_fill_zero(p->ctx, r->hs, 0, (size_t)B * (size_t)U * sizeof(float));
    cl_kernel k;
    if (!s) s = clrnn_kernel_get(p->ctx, RNN_SOURCES, "", "simple_rnn_fwd", &k);
    int rpg;
    size_t global, local;
    if (!s) s = launch_shape(p->ctx, k, B, U, &rpg, &global, &local);
    if (s) return s;
    cl_ulong r_off = l->w[1].offset;
    int act = (int)r->act, rs = r->return_sequences;
    size_t lbytes = (size_t)rpg * (size_t)U * sizeof(float);
    return CLRNN_LAUNCH(p->ctx, k, "simple_rnn_fwd", 1, &global, &local, KARG(r->zx),
                        KARG(p->params), KARG(r_off), KARG(r->hs), KARG(l->y), KARG(B), KARG(T),
                        KARG(U), KARG(act), KARG(rs), KARG(rpg), KARG_LOCAL(lbytes),
                        KARG_LOCAL(lbytes));
}

static clrnn_status simple_rnn_backward(struct clrnn_layer *l, const struct clrnn_pass *p,
                                        cl_mem x, cl_mem dy, cl_mem dx) {
    struct simple_rnn_cfg *r = l->cfg;
    int B = p->B, T = (int)l->in.d[0], U = r->units, I = (int)l->in.d[1];
    size_t rows = (size_t)B * (size_t)T, u = (size_t)U, in = (size_t)I;
    cl_kernel k;
    clrnn_status s = clrnn_kernel_get(p->ctx, RNN_SOURCES, "", "simple_rnn_bwd", &k);
    int rpg;
    size_t global, local;
    if (!s) s = launch_shape(p->ctx, k, B, U, &rpg, &global, &local);
    if (s) return s;
    cl_ulong r_off = l->w[1].offset;
    int act = (int)r->act, rs = r->return_sequences;
    size_t lbytes = (size_t)rpg * u * sizeof(float);
    s = CLRNN_LAUNCH(p->ctx, k, "simple_rnn_bwd", 1, &global, &local, KARG(dy), KARG(r->hs),
                     KARG(p->params), KARG(r_off), KARG(r->dz_bm), KARG(r->dz_tm), KARG(r->dh0),
                     KARG(B), KARG(T), KARG(U), KARG(act), KARG(rs), KARG(rpg),
                     KARG_LOCAL(lbytes), KARG_LOCAL(lbytes));
    /* dK (I, U) = x^T dz;  dR (U, U) = hs[0:T]^T dz (time-major);  db = sums;  dx = dz K^T */
    if (!s)
        s = clrnn_gemm(p->ctx, 1, 0, in, u, rows, 1.0f, x, 0, in, r->dz_bm, 0, u, 0.0f, p->grads,
                       l->w[0].offset, u);
    if (!s)
        s = clrnn_gemm(p->ctx, 1, 0, u, u, rows, 1.0f, r->hs, 0, u, r->dz_tm, 0, u, 0.0f,
                       p->grads, l->w[1].offset, u);
    if (!s && r->use_bias) s = clrnn_sum_rows(p->ctx, r->dz_bm, rows, u, p->grads, l->w[2].offset);
    if (!s && dx)
        s = clrnn_gemm(p->ctx, 0, 1, rows, in, u, 1.0f, r->dz_bm, 0, u, p->params,
                       l->w[0].offset, u, 0.0f, dx, 0, in);
    return s;
}

static clrnn_status simple_rnn_config_json(const struct clrnn_layer *l, cJSON *o) {
    const struct simple_rnn_cfg *r = l->cfg;
    cJSON_AddBoolToObject(o, "return_sequences", r->return_sequences);
    cJSON_AddFalseToObject(o, "return_state");
    cJSON_AddFalseToObject(o, "go_backwards");
    cJSON_AddFalseToObject(o, "stateful");
    cJSON_AddFalseToObject(o, "unroll");
    cJSON_AddNumberToObject(o, "units", r->units);
    cJSON_AddStringToObject(o, "activation", clrnn_act_name(r->act));
    cJSON_AddBoolToObject(o, "use_bias", r->use_bias);
    cJSON_AddItemToObject(o, "kernel_initializer", clrnn_init_to_json(r->kernel_init));
    cJSON_AddItemToObject(o, "recurrent_initializer", clrnn_init_to_json(r->recurrent_init));
    cJSON_AddItemToObject(o, "bias_initializer", clrnn_init_to_json(r->bias_init));
    static const char *const nulls[] = {"kernel_regularizer",   "recurrent_regularizer",
                                        "bias_regularizer",     "activity_regularizer",
                                        "kernel_constraint",    "recurrent_constraint",
                                        "bias_constraint"};
    for (size_t i = 0; i < sizeof nulls / sizeof *nulls; i++) cJSON_AddNullToObject(o, nulls[i]);
    cJSON_AddNumberToObject(o, "dropout", 0.0);
    cJSON_AddNumberToObject(o, "recurrent_dropout", 0.0);
    return CLRNN_OK;
}

static void simple_rnn_release(struct clrnn_layer *l) { release_buffers(l->cfg); }

const struct clrnn_layer_ops clrnn_layer_simple_rnn = {
    .keras_class = "SimpleRNN",
    .spec_name = "simple_rnn",
    .positional = SIMPLE_RNN_POSITIONAL,
    .weight_scope = "simple_rnn_cell",
    .cfg_size = sizeof(struct simple_rnn_cfg),
    .configure = simple_rnn_configure,
    .build = simple_rnn_build,
    .alloc = simple_rnn_alloc,
    .forward = simple_rnn_forward,
    .backward = simple_rnn_backward,
    .config_json = simple_rnn_config_json,
    .release = simple_rnn_release,
};
