/*
 * layer_rnn.c - the recurrent layers SimpleRNN, LSTM and GRU (reset_after true and false):
 * one implementation of the time loop around a small table per cell.
 *
 * Forward: one GEMM projects every timestep (zx = x K + b over B*T rows), then one launch of
 * the cell's persistent kernel runs the recurrence (cl/simple_rnn.cl, lstm.cl, gru.cl).
 * Backward: the cell's backward kernel runs the recurrence in reverse and leaves the
 * gradients of the input projection (dzx, batch-major) and of the recurrent projection
 * (dzh, time-major); the weight and input gradients are then GEMMs and column sums over all
 * timesteps at once. Nothing is read back to the host and nothing syncs per timestep.
 */
#include <string.h>

#include "clrnn_impl.h"

typedef enum { CELL_SIMPLE, CELL_LSTM, CELL_GRU } cell_kind;

struct cell {
    cell_kind kind;
    int gates;                      /* G: 1, 4, 3 */
    const char *const *sources;
    const char *keras_class;
};

static const char *const SIMPLE_SOURCES[] = {"common.cl", "simple_rnn.cl", NULL};
static const char *const LSTM_SOURCES[] = {"common.cl", "lstm.cl", NULL};
static const char *const GRU_SOURCES[] = {"common.cl", "gru.cl", NULL};
static const struct cell SIMPLE = {CELL_SIMPLE, 1, SIMPLE_SOURCES, "SimpleRNN"};
static const struct cell LSTM = {CELL_LSTM, 4, LSTM_SOURCES, "LSTM"};
static const struct cell GRU = {CELL_GRU, 3, GRU_SOURCES, "GRU"};

static const char *const RNN_POSITIONAL[] = {"units", "activation", NULL};

struct rnn_cfg {
    const struct cell *cell;
    int units;
    clrnn_act act, rec_act;
    int use_bias, return_sequences, unit_forget_bias, reset_after;
    clrnn_init_kind kernel_init, recurrent_init, bias_init;
    /* device buffers for max_batch rows */
    cl_mem zx;    /* (B, T, GU) */
    cl_mem hs;    /* (T+1, B, U) */
    cl_mem cs;    /* (T+1, B, U), LSTM */
    cl_mem gates; /* (T, B, 4U), LSTM and GRU */
    cl_mem dzx;   /* (B, T, GU) */
    cl_mem dzh;   /* (T, B, GU) */
    cl_mem dh0;   /* (B, U) */
};

static clrnn_status configure(struct clrnn_layer *l, const cJSON *c, const struct cell *cell) {
    struct rnn_cfg *r = l->cfg;
    r->cell = cell;
    r->act = CLRNN_ACT_TANH;
    r->rec_act = CLRNN_ACT_SIGMOID;
    r->use_bias = 1;
    r->unit_forget_bias = 1;
    r->reset_after = 1; /* the tf.keras 2 and Keras 3 default */
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
    if (cell->kind != CELL_SIMPLE &&
        (s = clrnn_cfg_act(c, l->name, "recurrent_activation", &r->rec_act)))
        return s;
    if (cell->kind == CELL_LSTM &&
        (s = clrnn_cfg_bool(c, l->name, "unit_forget_bias", &r->unit_forget_bias)))
        return s;
    if (cell->kind == CELL_GRU && (s = clrnn_cfg_bool(c, l->name, "reset_after", &r->reset_after)))
        return s;
    if (r->act == CLRNN_ACT_SOFTMAX || r->rec_act == CLRNN_ACT_SOFTMAX)
        return clrnn_fail(CLRNN_E_UNSUPPORTED, "layer '%s' (%s): softmax is not supported inside "
                          "a recurrent cell", l->name, cell->keras_class);
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

static clrnn_status configure_simple(struct clrnn_layer *l, const cJSON *c) {
    return configure(l, c, &SIMPLE);
}
static clrnn_status configure_lstm(struct clrnn_layer *l, const cJSON *c) {
    return configure(l, c, &LSTM);
}
static clrnn_status configure_gru(struct clrnn_layer *l, const cJSON *c) {
    return configure(l, c, &GRU);
}

static int gru_after(const struct rnn_cfg *r) { return r->cell->kind == CELL_GRU && r->reset_after; }

static clrnn_status build(struct clrnn_layer *l) {
    struct rnn_cfg *r = l->cfg;
    char buf[96];
    if (l->in.rank != 2)
        return clrnn_fail(CLRNN_E_SHAPE, "layer '%s' (%s) expects input (batch, steps, features), "
                          "found %s", l->name, r->cell->keras_class,
                          clrnn_batch_shape_str(&l->in, buf, sizeof buf));
    if (l->in_dtype != CLRNN_DTYPE_FLOAT32)
        return clrnn_fail(CLRNN_E_SHAPE, "layer '%s' (%s) needs float input, but gets integer "
                          "token ids (put an Embedding layer first)", l->name, r->cell->keras_class);
    int64_t U = r->units, I = l->in.d[1], GU = r->cell->gates * U;
    l->out.rank = r->return_sequences ? 2 : 1;
    l->out.d[0] = r->return_sequences ? l->in.d[0] : U;
    l->out.d[1] = U;
    int64_t kd[2] = {I, GU}, rd[2] = {U, GU};
    clrnn_layer_add_weight(l, "kernel", 2, kd, r->kernel_init);
    clrnn_layer_add_weight(l, "recurrent_kernel", 2, rd, r->recurrent_init);
    if (r->use_bias) {
        clrnn_init_kind bi = r->bias_init;
        if (r->cell->kind == CELL_LSTM && r->unit_forget_bias && bi == CLRNN_INIT_ZEROS)
            bi = CLRNN_INIT_LSTM_BIAS;
        if (gru_after(r)) {
            int64_t bd[2] = {2, GU}; /* row 0 input bias, row 1 recurrent bias */
            clrnn_layer_add_weight(l, "bias", 2, bd, bi);
        } else {
            int64_t bd[1] = {GU};
            clrnn_layer_add_weight(l, "bias", 1, bd, bi);
        }
    }
    return CLRNN_OK;
}

static void release_buffers(struct rnn_cfg *r) {
    clrnn_buf_release(&r->zx);
    clrnn_buf_release(&r->hs);
    clrnn_buf_release(&r->cs);
    clrnn_buf_release(&r->gates);
    clrnn_buf_release(&r->dzx);
    clrnn_buf_release(&r->dzh);
    clrnn_buf_release(&r->dh0);
}

static clrnn_status alloc(struct clrnn_layer *l, clrnn_ctx *ctx, int B) {
    struct rnn_cfg *r = l->cfg;
    size_t T = (size_t)l->in.d[0], U = (size_t)r->units, GU = (size_t)r->cell->gates * U;
    size_t f = sizeof(float), bt = (size_t)B * T;
    int lstm = r->cell->kind == CELL_LSTM, gated = r->cell->kind != CELL_SIMPLE;
    release_buffers(r);
    clrnn_buf_release(&l->y);
    clrnn_status s;
    if ((s = clrnn_buf_create(ctx, bt * GU * f, &r->zx)) ||
        (s = clrnn_buf_create(ctx, (T + 1) * (size_t)B * U * f, &r->hs)) ||
        (s = clrnn_buf_create(ctx, lstm ? (T + 1) * (size_t)B * U * f : f, &r->cs)) ||
        (s = clrnn_buf_create(ctx, gated ? bt * 4 * U * f : f, &r->gates)) ||
        (s = clrnn_buf_create(ctx, bt * GU * f, &r->dzx)) ||
        (s = clrnn_buf_create(ctx, bt * GU * f, &r->dzh)) ||
        (s = clrnn_buf_create(ctx, (size_t)B * U * f, &r->dh0)) ||
        (s = clrnn_buf_create(ctx, (size_t)B * (size_t)clrnn_shape_count(&l->out) * f, &l->y)))
        return s;
    return CLRNN_OK;
}

/* Work-group layout of the persistent kernels: enough groups to fill the device, each with a
 * slice of the batch whose state (local_per_row floats a row) fits in local memory. */
static clrnn_status launch_shape(clrnn_ctx *ctx, cl_kernel k, const struct clrnn_layer *l, int B,
                                 size_t local_per_row, int *rows_per_group, size_t *global,
                                 size_t *local) {
    const struct rnn_cfg *r = l->cfg;
    int cu = ctx->info.compute_units > 0 ? ctx->info.compute_units : 1;
    int groups = B < 2 * cu ? B : 2 * cu;
    int rpg = (B + groups - 1) / groups;
    size_t budget = ctx->info.local_mem_bytes ? ctx->info.local_mem_bytes - 1024 : 16384;
    size_t row_bytes = local_per_row * sizeof(float);
    while (rpg > 1 && (size_t)rpg * row_bytes > budget) rpg--;
    if (row_bytes > budget)
        return clrnn_fail(CLRNN_E_UNSUPPORTED, "layer '%s' (%s) with %d units needs %zu bytes of "
                          "local memory per batch row; %s has %llu", l->name, r->cell->keras_class,
                          r->units, row_bytes, ctx->info.name,
                          (unsigned long long)ctx->info.local_mem_bytes);
    size_t kmax = 0;
    if (clGetKernelWorkGroupInfo(k, ctx->device, CL_KERNEL_WORK_GROUP_SIZE, sizeof kmax, &kmax,
                                 NULL) != CL_SUCCESS || kmax == 0)
        kmax = 64;
    size_t want = clrnn_round_up((size_t)rpg * (size_t)r->units, 32);
    if (want > 256) want = 256;
    if (want > kmax) want = kmax;
    *rows_per_group = rpg;
    *local = want;
    *global = want * (size_t)((B + rpg - 1) / rpg);
    return CLRNN_OK;
}

static clrnn_status forward(struct clrnn_layer *l, const struct clrnn_pass *p, cl_mem x) {
    struct rnn_cfg *r = l->cfg;
    clrnn_ctx *ctx = p->ctx;
    int B = p->B, T = (int)l->in.d[0], U = r->units, I = (int)l->in.d[1];
    size_t rows = (size_t)B * (size_t)T, GU = (size_t)r->cell->gates * (size_t)U;
    clrnn_status s = clrnn_gemm(ctx, 0, 0, rows, GU, (size_t)I, 1.0f, x, 0, (size_t)I, p->params,
                                l->w[0].offset, GU, 0.0f, r->zx, 0, GU);
    /* the input bias (row 0 of a reset_after GRU's (2, 3U) bias) goes into zx */
    if (!s && r->use_bias) s = clrnn_add_bias(ctx, r->zx, rows, GU, p->params, l->w[2].offset);
    size_t state = (size_t)B * (size_t)U * sizeof(float);
    if (!s) s = clrnn_buf_fill_zero(ctx, r->hs, 0, state);
    if (!s && r->cell->kind == CELL_LSTM) s = clrnn_buf_fill_zero(ctx, r->cs, 0, state);
    if (s) return s;
    int act = (int)r->act, rec = (int)r->rec_act, rs = r->return_sequences;
    cl_ulong r_off = l->w[1].offset, rb_off = r->use_bias ? l->w[2].offset + GU : 0;
    cl_kernel k;
    int rpg;
    size_t global, local, lb;
    switch (r->cell->kind) {
    case CELL_SIMPLE:
        if ((s = clrnn_kernel_get(ctx, SIMPLE_SOURCES, "", "simple_rnn_fwd", &k)) ||
            (s = launch_shape(ctx, k, l, B, 2 * (size_t)U, &rpg, &global, &local)))
            return s;
        lb = (size_t)rpg * (size_t)U * sizeof(float);
        return CLRNN_LAUNCH(ctx, k, "simple_rnn_fwd", 1, &global, &local, KARG(r->zx),
                            KARG(p->params), KARG(r_off), KARG(r->hs), KARG(l->y), KARG(B),
                            KARG(T), KARG(U), KARG(act), KARG(rs), KARG(rpg), KARG_LOCAL(lb),
                            KARG_LOCAL(lb));
    case CELL_LSTM:
        if ((s = clrnn_kernel_get(ctx, LSTM_SOURCES, "", "lstm_fwd", &k)) ||
            (s = launch_shape(ctx, k, l, B, 2 * (size_t)U, &rpg, &global, &local)))
            return s;
        lb = (size_t)rpg * (size_t)U * sizeof(float);
        return CLRNN_LAUNCH(ctx, k, "lstm_fwd", 1, &global, &local, KARG(r->zx), KARG(p->params),
                            KARG(r_off), KARG(rb_off), KARG(r->hs), KARG(r->cs), KARG(r->gates),
                            KARG(l->y), KARG(B), KARG(T), KARG(U), KARG(act), KARG(rec),
                            KARG(rs), KARG(rpg), KARG_LOCAL(lb), KARG_LOCAL(lb));
    case CELL_GRU: {
        const char *name = r->reset_after ? "gru_fwd" : "gru_v1_fwd";
        int has_rbias = gru_after(r) && r->use_bias;
        if ((s = clrnn_kernel_get(ctx, GRU_SOURCES, "", name, &k)) ||
            (s = launch_shape(ctx, k, l, B, 3 * (size_t)U, &rpg, &global, &local)))
            return s;
        lb = (size_t)rpg * (size_t)U * sizeof(float);
        return CLRNN_LAUNCH(ctx, k, name, 1, &global, &local, KARG(r->zx), KARG(p->params),
                            KARG(r_off), KARG(rb_off), KARG(has_rbias), KARG(r->hs),
                            KARG(r->gates), KARG(l->y), KARG(B), KARG(T), KARG(U), KARG(act),
                            KARG(rec), KARG(rs), KARG(rpg), KARG_LOCAL(lb), KARG_LOCAL(lb),
                            KARG_LOCAL(lb));
    }
    }
    return clrnn_fail(CLRNN_E_INVALID_ARG, "unknown cell");
}

static clrnn_status backward_kernel(struct clrnn_layer *l, const struct clrnn_pass *p, cl_mem dy) {
    struct rnn_cfg *r = l->cfg;
    clrnn_ctx *ctx = p->ctx;
    int B = p->B, T = (int)l->in.d[0], U = r->units, G = r->cell->gates;
    int act = (int)r->act, rec = (int)r->rec_act, rs = r->return_sequences;
    cl_ulong r_off = l->w[1].offset;
    cl_kernel k;
    int rpg;
    size_t global, local, lb;
    clrnn_status s;
    const char *name = r->cell->kind == CELL_SIMPLE ? "simple_rnn_bwd"
                     : r->cell->kind == CELL_LSTM   ? "lstm_bwd"
                     : r->reset_after               ? "gru_bwd"
                                                    : "gru_v1_bwd";
    /* local floats a row: dh carry (+ dc for LSTM) + the G*U pre-activation gradients */
    size_t per_row = (size_t)U * (size_t)(1 + G + (r->cell->kind == CELL_LSTM));
    if ((s = clrnn_kernel_get(ctx, r->cell->sources, "", name, &k)) ||
        (s = launch_shape(ctx, k, l, B, per_row, &rpg, &global, &local)))
        return s;
    lb = (size_t)rpg * (size_t)U * sizeof(float);
    size_t lbg = lb * (size_t)G;
    switch (r->cell->kind) {
    case CELL_SIMPLE:
        return CLRNN_LAUNCH(ctx, k, name, 1, &global, &local, KARG(dy), KARG(r->hs),
                            KARG(p->params), KARG(r_off), KARG(r->dzx), KARG(r->dzh), KARG(r->dh0),
                            KARG(B), KARG(T), KARG(U), KARG(act), KARG(rs), KARG(rpg),
                            KARG_LOCAL(lb), KARG_LOCAL(lb));
    case CELL_LSTM:
        return CLRNN_LAUNCH(ctx, k, name, 1, &global, &local, KARG(dy), KARG(r->hs), KARG(r->cs),
                            KARG(r->gates), KARG(p->params), KARG(r_off), KARG(r->dzx),
                            KARG(r->dzh), KARG(r->dh0), KARG(B), KARG(T), KARG(U), KARG(act),
                            KARG(rec), KARG(rs), KARG(rpg), KARG_LOCAL(lb), KARG_LOCAL(lb),
                            KARG_LOCAL(lbg));
    case CELL_GRU:
        return CLRNN_LAUNCH(ctx, k, name, 1, &global, &local, KARG(dy), KARG(r->hs),
                            KARG(r->gates), KARG(p->params), KARG(r_off), KARG(r->dzx),
                            KARG(r->dzh), KARG(r->dh0), KARG(B), KARG(T), KARG(U), KARG(act),
                            KARG(rec), KARG(rs), KARG(rpg), KARG_LOCAL(lb), KARG_LOCAL(lbg));
    }
    return clrnn_fail(CLRNN_E_INVALID_ARG, "unknown cell");
}

static clrnn_status backward(struct clrnn_layer *l, const struct clrnn_pass *p, cl_mem x,
                             cl_mem dy, cl_mem dx) {
    struct rnn_cfg *r = l->cfg;
    clrnn_ctx *ctx = p->ctx;
    size_t T = (size_t)l->in.d[0], U = (size_t)r->units, I = (size_t)l->in.d[1];
    size_t rows = (size_t)p->B * T, GU = (size_t)r->cell->gates * U;
    clrnn_status s = backward_kernel(l, p, dy);
    /* dK (I, GU) = x^T dzx */
    if (!s)
        s = clrnn_gemm(ctx, 1, 0, I, GU, rows, 1.0f, x, 0, I, r->dzx, 0, GU, 0.0f, p->grads,
                       l->w[0].offset, GU);
    /* dR (U, GU) = hs[0:T]^T dzh; a reset_after=false GRU's candidate block pairs with r*h */
    if (!s && r->cell->kind == CELL_GRU && !r->reset_after) {
        s = clrnn_gemm(ctx, 1, 0, U, 2 * U, rows, 1.0f, r->hs, 0, U, r->dzh, 0, GU, 0.0f,
                       p->grads, l->w[1].offset, GU);
        if (!s)
            s = clrnn_gemm(ctx, 1, 0, U, U, rows, 1.0f, r->gates, 3 * U, 4 * U, r->dzh, 2 * U, GU,
                           0.0f, p->grads, l->w[1].offset + 2 * U, GU);
    } else if (!s) {
        s = clrnn_gemm(ctx, 1, 0, U, GU, rows, 1.0f, r->hs, 0, U, r->dzh, 0, GU, 0.0f, p->grads,
                       l->w[1].offset, GU);
    }
    if (!s && r->use_bias) {
        s = clrnn_sum_rows(ctx, r->dzx, rows, GU, p->grads, l->w[2].offset);
        if (!s && gru_after(r))
            s = clrnn_sum_rows(ctx, r->dzh, rows, GU, p->grads, l->w[2].offset + GU);
    }
    if (!s && dx)
        s = clrnn_gemm(ctx, 0, 1, rows, I, GU, 1.0f, r->dzx, 0, GU, p->params, l->w[0].offset, GU,
                       0.0f, dx, 0, I);
    return s;
}

static clrnn_status config_json(const struct clrnn_layer *l, cJSON *o) {
    const struct rnn_cfg *r = l->cfg;
    cJSON_AddBoolToObject(o, "return_sequences", r->return_sequences);
    cJSON_AddFalseToObject(o, "return_state");
    cJSON_AddFalseToObject(o, "go_backwards");
    cJSON_AddFalseToObject(o, "stateful");
    cJSON_AddFalseToObject(o, "unroll");
    cJSON_AddNumberToObject(o, "units", r->units);
    cJSON_AddStringToObject(o, "activation", clrnn_act_name(r->act));
    if (r->cell->kind != CELL_SIMPLE)
        cJSON_AddStringToObject(o, "recurrent_activation", clrnn_act_name(r->rec_act));
    cJSON_AddBoolToObject(o, "use_bias", r->use_bias);
    cJSON_AddItemToObject(o, "kernel_initializer", clrnn_init_to_json(r->kernel_init));
    cJSON_AddItemToObject(o, "recurrent_initializer", clrnn_init_to_json(r->recurrent_init));
    cJSON_AddItemToObject(o, "bias_initializer", clrnn_init_to_json(r->bias_init));
    if (r->cell->kind == CELL_LSTM) cJSON_AddBoolToObject(o, "unit_forget_bias", r->unit_forget_bias);
    static const char *const nulls[] = {"kernel_regularizer",   "recurrent_regularizer",
                                        "bias_regularizer",     "activity_regularizer",
                                        "kernel_constraint",    "recurrent_constraint",
                                        "bias_constraint"};
    for (size_t i = 0; i < sizeof nulls / sizeof *nulls; i++) cJSON_AddNullToObject(o, nulls[i]);
    cJSON_AddNumberToObject(o, "dropout", 0.0);
    cJSON_AddNumberToObject(o, "recurrent_dropout", 0.0);
    if (r->cell->kind != CELL_SIMPLE) cJSON_AddNumberToObject(o, "implementation", 2);
    if (r->cell->kind == CELL_GRU) cJSON_AddBoolToObject(o, "reset_after", r->reset_after);
    return CLRNN_OK;
}

static void release(struct clrnn_layer *l) { release_buffers(l->cfg); }

#define RNN_LAYER_OPS(symbol, cls, spec, scope, configure_fn)                                   \
    const struct clrnn_layer_ops symbol = {                                                      \
        .keras_class = cls,                                                                      \
        .spec_name = spec,                                                                       \
        .positional = RNN_POSITIONAL,                                                            \
        .weight_scope = scope,                                                                   \
        .cfg_size = sizeof(struct rnn_cfg),                                                      \
        .configure = configure_fn,                                                               \
        .build = build,                                                                          \
        .alloc = alloc,                                                                          \
        .forward = forward,                                                                      \
        .backward = backward,                                                                    \
        .config_json = config_json,                                                              \
        .release = release,                                                                      \
    };

RNN_LAYER_OPS(clrnn_layer_simple_rnn, "SimpleRNN", "simple_rnn", "simple_rnn_cell", configure_simple)
RNN_LAYER_OPS(clrnn_layer_lstm, "LSTM", "lstm", "lstm_cell", configure_lstm)
RNN_LAYER_OPS(clrnn_layer_gru, "GRU", "gru", "gru_cell", configure_gru)
