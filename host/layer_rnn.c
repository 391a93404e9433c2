/*
 * layer_rnn.c - the recurrent layers SimpleRNN, LSTM and GRU (reset_after true and false),
 * and Keras's RNN wrapper around SimpleRNNCell, LSTMCell and GRUCell: one implementation of
 * the time loop around the table of each cell (cell.h, cell_*.c), with Keras's options: return_sequences,
 * go_backwards, stateful, masking (zero_output_for_mask), dropout and recurrent_dropout, and
 * in Functional graphs initial_state (the states to start from, aux inputs) and return_state
 * (the final states as aux outputs after the output: [h] or [h, c]). The final state is
 * hs[T] (and cs[T]): a masked step carries the state over, so it is the state after the last
 * real step, as in Keras, in either direction.
 *
 * Forward: one GEMM projects every timestep (zx = x K + b over B*T rows), then one launch of
 * the cell's persistent kernel runs the recurrence (cl/simple_rnn.cl, lstm.cl, gru.cl).
 * Backward: the cell's backward kernel runs the recurrence in reverse and leaves the
 * gradients of the input projection (dzx, batch-major) and of the recurrent projection
 * (dzh, time-major); the weight and input gradients are then GEMMs and column sums over all
 * timesteps at once. Nothing is read back to the host and nothing syncs per timestep.
 * Right after an Embedding, on batches with more positions than vocabulary entries, the
 * projection and its gradients go through the vocabulary instead (token_projection.c).
 *
 * Dropout (training only, Keras 3's semantics): one mask per sequence, drawn per batch and
 * reused at every step: the input mask (B, I) multiplies x before the projection, the
 * recurrent mask (B, U) multiplies h_{t-1} inside the kernels (cl/rnn_common.cl).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clrnn_impl.h"
#include "layer_rnn.h"


static const char *const RNN_POSITIONAL[] = {"units", "activation", NULL};
static const char *const WRAPPER_POSITIONAL[] = {"cell", "units", "activation", NULL};

/* The keys of the layer around the cell (return_sequences, go_backwards, ...). */
static clrnn_status configure_layer(struct clrnn_layer *l, const cJSON *c) {
    struct rnn_cfg *r = l->cfg;
    clrnn_status s;
    if ((s = clrnn_cfg_bool(c, l->name, "return_sequences", &r->return_sequences)) ||
        (s = clrnn_cfg_bool(c, l->name, "go_backwards", &r->go_backwards)) ||
        (s = clrnn_cfg_bool(c, l->name, "stateful", &r->stateful)) ||
        (s = clrnn_cfg_bool(c, l->name, "zero_output_for_mask", &r->zero_output_for_mask)) ||
        (s = clrnn_cfg_bool(c, l->name, "return_state", &r->return_state)) ||
        (s = clrnn_cfg_must_be_false(c, l->name, "time_major")))
        return s;
    l->stateful = r->stateful;
    /* unroll only changes how Keras builds the loop, not the numbers: accepted either way */
    return CLRNN_OK;
}

/* SimpleRNN, LSTM, GRU: the cell of the layer's class, its keys beside the layer's */
static clrnn_status configure(struct clrnn_layer *l, const cJSON *c) {
    struct rnn_cfg *r = l->cfg;
    r->cell = clrnn_cell_by_keras_class(l->ops->keras_class);
    clrnn_status s = clrnn_cell_configure(r, c, l->name, l->keras_major);
    return s ? s : configure_layer(l, c);
}

/* Keras's RNN(cell): {"cell": {"class_name": "LSTMCell", "config": {...}}, ...layer keys}.
 * --layers writes rnn(lstm_cell,8,...): "cell" a string, the cell's keys beside it. */
static clrnn_status configure_wrapper(struct clrnn_layer *l, const cJSON *c) {
    struct rnn_cfg *r = l->cfg;
    const cJSON *cell = cJSON_GetObjectItemCaseSensitive(c, "cell");
    char list[256];
    if (cJSON_IsString(cell)) {
        r->cell = clrnn_cell_by_scope(cell->valuestring);
        if (!r->cell) r->cell = clrnn_cell_by_cell_class(cell->valuestring);
        if (!r->cell) {
            clrnn_cell_list(list, sizeof list, 1);
            return clrnn_fail(CLRNN_E_UNSUPPORTED, "layer '%s' (RNN): cell '%s' is not supported "
                              "(%s)", l->name, cell->valuestring, list);
        }
        r->wrapped = 1;
        snprintf(r->cell_name, sizeof r->cell_name, "%s", r->cell->cell_scope);
        clrnn_status s = clrnn_cell_configure(r, c, l->name, l->keras_major);
        return s ? s : configure_layer(l, c);
    }
    const cJSON *cls = cJSON_GetObjectItemCaseSensitive(cell, "class_name");
    const cJSON *cc = cJSON_GetObjectItemCaseSensitive(cell, "config");
    if (!cJSON_IsObject(cell) || !cJSON_IsString(cls) || !cJSON_IsObject(cc))
        return clrnn_fail(CLRNN_E_FORMAT, "layer '%s' (RNN): \"cell\" must be an object with "
                          "\"class_name\" and \"config\" (a list of cells, StackedRNNCells, is "
                          "not supported)", l->name);
    if (!(r->cell = clrnn_cell_by_cell_class(cls->valuestring))) {
        clrnn_cell_list(list, sizeof list, 0);
        return clrnn_fail(CLRNN_E_UNSUPPORTED, "layer '%s' (RNN): cell class '%s' is not "
                          "supported (%s)", l->name, cls->valuestring, list);
    }
    r->wrapped = 1;
    const cJSON *cname = cJSON_GetObjectItemCaseSensitive(cc, "name");
    snprintf(r->cell_name, sizeof r->cell_name, "%s",
             cJSON_IsString(cname) ? cname->valuestring : r->cell->cell_scope);
    clrnn_status s = clrnn_cell_configure(r, cc, l->name, l->keras_major);
    return s ? s : configure_layer(l, c);
}

/* Whether the bias has a second row, the recurrent bias (the GRU's reset_after) */
static int recurrent_bias(const struct rnn_cfg *r) { return r->cell->bias_rows == 2; }

/* The cell's states, each (U) ([h], or [h, c] for the LSTM): what initial_state must give,
 * and what return_state gives. */
static clrnn_status build_states(struct clrnn_layer *l) {
    struct rnn_cfg *r = l->cfg;
    int n = r->cell->states;
    if (l->n_aux_in && l->n_aux_in != n)
        return clrnn_fail(CLRNN_E_SHAPE, "layer '%s' (%s) takes %d tensor%s %s as initial_state, "
                          "but is given %d", l->name, l->ops->keras_class, n, n > 1 ? "s" : "",
                          r->cell->state_names, l->n_aux_in);
    if (l->n_aux_in && r->stateful)
        return clrnn_fail(CLRNN_E_UNSUPPORTED, "layer '%s' (%s): initial_state on a stateful "
                          "layer is not supported", l->name, l->ops->keras_class);
    l->n_aux_out = r->return_state ? n : 0;
    for (int k = 0; k < n; k++) {
        struct clrnn_shape st = {1, {r->units}};
        l->aux_in[k].shape = l->aux_out[k].shape = st;
    }
    return CLRNN_OK;
}

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
    int64_t U = r->units, I = l->in.d[1];
    l->mask_out = l->mask_in && r->return_sequences; /* the mask goes on with the sequence */
    l->out.rank = r->return_sequences ? 2 : 1;
    l->out.d[0] = r->return_sequences ? l->in.d[0] : U;
    l->out.d[1] = U;
    struct clrnn_cell_weight cw[CLRNN_CELL_WEIGHTS];
    int n = clrnn_cell_weights(r, I, cw);
    for (int j = 0; j < n; j++)
        clrnn_layer_add_weight(l, cw[j].name, cw[j].rank, cw[j].d, cw[j].init);
    for (int j = 0; j < l->n_weights; j++)
        snprintf(l->w[j].scope, sizeof l->w[j].scope, "%s",
                 r->wrapped ? r->cell_name : r->cell->cell_scope);
    return build_states(l);
}

static void release_buffers(struct rnn_cfg *r) {
    clrnn_buf_release(&r->zx);
    clrnn_buf_release(&r->hs);
    clrnn_buf_release(&r->cs);
    clrnn_buf_release(&r->gates);
    clrnn_buf_release(&r->dzx);
    clrnn_buf_release(&r->dzh);
    clrnn_buf_release(&r->dh0);
    clrnn_buf_release(&r->dc0);
    clrnn_buf_release(&r->dmask);
    clrnn_buf_release(&r->xd);
    clrnn_buf_release(&r->rmask);
    clrnn_buf_release(&r->hsd);
    clrnn_buf_release(&r->state_h);
    clrnn_buf_release(&r->state_c);
    clrnn_buf_release(&r->rt);
    clrnn_buf_release(&r->tok);
    clrnn_buf_release(&r->zh);
    clrnn_buf_release(&r->dd);
    clrnn_buf_release(&r->rp);
    r->state_rows = 0;
}

/* Units up to which the row variant keeps a row's state in private memory: (G + 2) U floats
 * of stack a work-item, 24 KiB at 1024 units. */
#define ROWS_MAX_UNITS 1024

/* Which kernel variant runs the recurrence: the row variant in the CPU forms (ctx.c). */
static int use_rows_variant(const clrnn_ctx *ctx, const struct rnn_cfg *r) {
    return ctx->cpu_forms && r->units <= ROWS_MAX_UNITS;
}

/* Local memory the group kernels may use, and the floats a batch row needs in the backward
 * kernel (the larger of the forward's and the backward's needs): its carries and the G*U
 * pre-activation gradients */
static size_t local_budget(const clrnn_ctx *ctx) {
    return ctx->info.local_mem_bytes ? ctx->info.local_mem_bytes - 1024 : 16384;
}
static size_t backward_local_floats(const struct rnn_cfg *r) {
    return (size_t)r->units * (size_t)r->cell->bwd_local_per_unit;
}

/* The bytes of R (U, GU), and of R^T */
static size_t r_bytes(const struct rnn_cfg *r) {
    return (size_t)r->units * (size_t)r->cell->gates * (size_t)r->units * sizeof(float);
}

/* Whether the group kernels hold R (the backward ones R^T) in local memory, copied once a
 * launch and read there at every step (RNN_R_LOCAL, rnn_common.cl), rather than from global
 * memory through the caches, which each step's other traffic (zx, gates, states) shares:
 * where it fits beside a batch row's backward state (LSTM(32): 16 KiB of NVIDIA's 48). The
 * first forward pass times both (tune_r_place) unless CLRNN_R_LOCAL=0|1 fixes it (*fixed =
 * 1; 1 where it fits) or CLRNN_TUNE=0 asks for this guess: local where it fits. */
static int r_starts_onchip(const clrnn_ctx *ctx, const struct rnn_cfg *r, int *fixed) {
    *fixed = ctx->opts.r_local != CLRNN_OPT_AUTO;
    if (ctx->opts.r_local == 0) return 0;
    if (!*fixed) *fixed = ctx->opts.tune == CLRNN_TUNE_GUESS;
    return r_bytes(r) + backward_local_floats(r) * sizeof(float) <= local_budget(ctx);
}

/* R's size from which the CPU forms run the recurrence step by step: the row kernels read R
 * once a step for every work-item's rows, from L3 once R outgrows L2, while a step's GEMM
 * reads it once for the batch. The GPU forms take it from the same size: every work-group
 * of the group kernels reads all of R from L2 each step, where the step's GEMM reads it
 * once (an estimate, not measured on a GPU yet; docs/performance.md, "The measurements
 * behind the constants", has the figures). */
#define STEPS_MIN_R_BYTES ((size_t)4 << 20)

/* Whether the recurrence runs step by step (rnn_steps.c: a GEMM of the batch by R a step)
 * rather than in one persistent launch. CLRNN_RECURRENCE=steps|persistent says; by default
 * on CPUs from STEPS_MIN_R_BYTES of R and beyond the row kernels' units (where the group
 * kernels would run them, one work-item after another), and on GPUs from the same size of R
 * and where a row's backward state outgrows local memory (the group kernels refuse it). */
static int use_steps(const clrnn_ctx *ctx, const struct rnn_cfg *r) {
    if (ctx->opts.steps != CLRNN_OPT_AUTO) return ctx->opts.steps;
    if (r_bytes(r) >= STEPS_MIN_R_BYTES) return 1;
    if (ctx->cpu_forms) return r->units > ROWS_MAX_UNITS;
    return backward_local_floats(r) * sizeof(float) > local_budget(ctx);
}

/* Rows a work-item of the row variant runs in lockstep. More rows read each block of R once
 * for all of them (it stops fitting in L1 from about 64 units) and keep more sums in
 * registers; fewer leave more work-items to spread over the cores. The first forward pass
 * times 1, 2 and 4 (tune_rows_per_item) unless CLRNN_ROWS_PER_ITEM=1|2|4 fixes the number
 * (*fixed = 1) or CLRNN_TUNE=0 asks for this guess: 4 from 64 units, else 1. */
static int rows_per_item(const clrnn_ctx *ctx, const struct rnn_cfg *r, int B, int *fixed) {
    *fixed = 1;
    if (ctx->opts.rows_per_item) return ctx->opts.rows_per_item;
    *fixed = ctx->opts.tune == CLRNN_TUNE_GUESS;
    return r->units >= 64 && B >= 8 ? 4 : 1;
}

/* Batch rows a work-group of the group variant (GPUs) owns. Fewer rows make more work-groups
 * to spread over the compute units; more rows read each row of R once for all of them and
 * keep more work-items busy when the units are few. The first forward pass times the guess of
 * launch_shape (0: enough groups for twice the compute units) and 1, 2, 4, 8 rows
 * (tune_group_rows) unless CLRNN_GROUP_ROWS=N fixes the number (*fixed = 1) or CLRNN_TUNE=0
 * keeps the guess. */
static int group_rows(const clrnn_ctx *ctx, int *fixed) {
    *fixed = 1;
    if (ctx->opts.group_rows) return ctx->opts.group_rows;
    *fixed = ctx->opts.tune == CLRNN_TUNE_GUESS;
    return 0;
}

/* How the forward kernel reads a projected vocabulary (token_projection.c): straight from
 * the table by token (1), or from zx after a gather kernel copied each position's row (0).
 * The table's rows are read in token order, which the gather does in parallel and the
 * recurrence one step at a time: direct reads pay for small tables only (docs/performance.md).
 * The first forward pass with tokens
 * times both (tune_token_reads) unless CLRNN_TOKEN_DIRECT=0|1 fixes it (*fixed = 1) or
 * CLRNN_TUNE=0 asks for this guess: direct on GPUs, gathered on CPUs. */
static int token_reads(const clrnn_ctx *ctx, int *fixed) {
    *fixed = 1;
    if (ctx->opts.token_direct != CLRNN_OPT_AUTO) return ctx->opts.token_direct;
    *fixed = ctx->opts.tune == CLRNN_TUNE_GUESS;
    return !ctx->cpu_forms;
}

static const char *const *cell_sources(const struct rnn_cfg *r) {
    return r->rows_variant ? r->cell->rows_sources : r->cell->sources;
}

/* The buffers that only a forward pass keeping its steps, and the backward pass after it,
 * use: the gates and the pre-activation gradient in its two layouts. The row kernels predict
 * and evaluate without them (RNN_KEEP_STEPS=0), so they are made for B rows at the first pass
 * that needs them rather than for every batch size a model runs (seed_lstm predicting in
 * batches of 1024 held 1.6 GB of them). */
static clrnn_status step_buffers(struct clrnn_layer *l, clrnn_ctx *ctx, int B) {
    struct rnn_cfg *r = l->cfg;
    if (r->step_rows >= B) return CLRNN_OK;
    size_t bt = (size_t)B * (size_t)l->in.d[0], U = (size_t)r->units, f = sizeof(float);
    size_t GU = (size_t)r->cell->gates * U;
    clrnn_buf_release(&r->gates);
    clrnn_buf_release(&r->dzx);
    clrnn_buf_release(&r->dzh);
    r->step_rows = 0;
    clrnn_status s;
    size_t kept = (size_t)r->cell->gates_kept * U;
    if ((s = clrnn_buf_create(ctx, kept ? bt * kept * f : f, &r->gates)) ||
        (s = clrnn_buf_create(ctx, bt * GU * f, &r->dzx)) ||
        (s = clrnn_buf_create(ctx, bt * GU * f, &r->dzh)))
        return s;
    r->step_rows = B;
    return CLRNN_OK;
}

static clrnn_status alloc(struct clrnn_layer *l, clrnn_ctx *ctx, int B) {
    struct rnn_cfg *r = l->cfg;
    size_t T = (size_t)l->in.d[0], U = (size_t)r->units, GU = (size_t)r->cell->gates * U;
    size_t f = sizeof(float), bt = (size_t)B * T;
    int c_state = r->cell->states > 1;
    release_buffers(r);
    clrnn_buf_release(&l->y);
    clrnn_status s;
    r->alloc_rows = B;
    r->step_rows = 0;
    /* counted with the rest, so that a batch too big to train is refused up front */
    if (ctx->measuring && (s = step_buffers(l, ctx, B))) return s;
    if ((s = clrnn_buf_create(ctx, bt * GU * f, &r->zx)) ||
        (s = clrnn_buf_create(ctx, (T + 1) * (size_t)B * U * f, &r->hs)) ||
        (s = clrnn_buf_create(ctx, c_state ? (T + 1) * (size_t)B * U * f : f, &r->cs)) ||
        (s = clrnn_buf_create(ctx, (size_t)B * U * f, &r->dh0)) ||
        (s = clrnn_buf_create(ctx, c_state ? (size_t)B * U * f : f, &r->dc0)) ||
        (s = clrnn_buf_create(ctx, (size_t)B * (size_t)clrnn_shape_count(&l->out) * f, &l->y)))
        return s;
    size_t I = (size_t)l->in.d[1];
    if (r->dropout > 0 && ((s = clrnn_buf_create(ctx, (size_t)B * I * f, &r->dmask)) ||
                           (s = clrnn_buf_create(ctx, bt * I * f, &r->xd))))
        return s;
    if (r->recurrent_dropout > 0 && ((s = clrnn_buf_create(ctx, (size_t)B * U * f, &r->rmask)) ||
                                     (s = clrnn_buf_create(ctx, bt * U * f, &r->hsd))))
        return s;
    if (r->stateful && ((s = clrnn_buf_create(ctx, (size_t)B * U * f, &r->state_h)) ||
                        (s = clrnn_buf_create(ctx, c_state ? (size_t)B * U * f : f, &r->state_c))))
        return s;
    r->steps = use_steps(ctx, r);
    r->rows_variant = !r->steps && use_rows_variant(ctx, r);
    r->rows_per_item = rows_per_item(ctx, r, B, &r->rows_tuned);
    if (!r->rows_variant) r->group_rows = group_rows(ctx, &r->rows_tuned);
    r->r_onchip = !r->steps && !r->rows_variant && r_starts_onchip(ctx, r, &r->r_place_fixed);
    if (r->steps) r->rows_tuned = 1; /* nothing to tune */
    r->tokens_direct = token_reads(ctx, &r->tokens_tuned);
    if (!r->steps && (s = clrnn_buf_create(ctx, r_bytes(r), &r->rt))) return s;
    if (r->steps && (s = clrnn_rnn_steps_alloc(l, ctx, B))) return s;
    /* the token table, only where a batch can have more positions than vocabulary entries
     * (clrnn_embedding_fused) */
    size_t V = r->emb ? (size_t)r->emb->w[0].d[0] : 0;
    if (r->emb && V < bt && (s = clrnn_buf_create(ctx, V * GU * f, &r->tok))) return s;
    for (int k = 0; k < l->n_aux_out; k++) {
        clrnn_buf_release(&l->aux_out[k].val);
        if ((s = clrnn_buf_create(ctx, (size_t)B * U * f, &l->aux_out[k].val))) return s;
    }
    return CLRNN_OK;
}

/* Build options of the cell kernels: the layer's masking, direction and recurrent dropout,
 * what the row kernels and the per-step path fix at build time, and for the group kernels
 * whether R is read from local memory (r_local: the forward's r_onchip, or
 * backward_r_local), last so that tune_forward can leave it out of a tuning's key. */
static void kernel_options(const struct clrnn_layer *l, int rec_dropout, int r_local, char *buf,
                           size_t n) {
    const struct rnn_cfg *r = l->cfg;
    int k = snprintf(buf, n, "-DRNN_MASK=%d -DRNN_ZERO_OUTPUT=%d -DRNN_BACKWARDS=%d "
                     "-DRNN_REC_DROPOUT=%d%s", l->mask_in, r->zero_output_for_mask, r->go_backwards,
                     rec_dropout, r->cell->build_options);
    if (r->rows_variant && k > 0 && (size_t)k < n)
        snprintf(buf + k, n - (size_t)k,
                 " -DRNN_UNITS=%d -DRNN_ACT=%d -DRNN_REC_ACT=%d -DROWS_PER_ITEM=%d", r->units,
                 (int)r->act, (int)r->rec_act, r->rows_per_item);
    else if (r->steps && k > 0 && (size_t)k < n)
        snprintf(buf + k, n - (size_t)k, " -DRNN_ACT=%d -DRNN_REC_ACT=%d", (int)r->act,
                 (int)r->rec_act);
    else if (r_local && k > 0 && (size_t)k < n)
        snprintf(buf + k, n - (size_t)k, " -DRNN_R_LOCAL=%zu", r_bytes(r) / sizeof(float));
}

/* The initial state: the initial_state tensors, zeros, or what a stateful layer kept from
 * the last batch. */
static clrnn_status initial_state(struct clrnn_layer *l, clrnn_ctx *ctx, int B) {
    struct rnn_cfg *r = l->cfg;
    size_t bytes = (size_t)B * (size_t)r->units * sizeof(float);
    int c_state = r->cell->states > 1;
    clrnn_status s;
    if (l->n_aux_in) {
        if ((s = clrnn_buf_copy(ctx, l->aux_in[0].val, 0, r->hs, 0, bytes))) return s;
        return c_state ? clrnn_buf_copy(ctx, l->aux_in[1].val, 0, r->cs, 0, bytes) : CLRNN_OK;
    }
    if (!r->stateful || r->state_rows == 0) {
        if ((s = clrnn_buf_fill_zero(ctx, r->hs, 0, bytes))) return s;
        return c_state ? clrnn_buf_fill_zero(ctx, r->cs, 0, bytes) : CLRNN_OK;
    }
    if (r->state_rows != B)
        return clrnn_fail(CLRNN_E_SHAPE, "stateful layer '%s' keeps the state of batches of %d "
                          "rows, but got a batch of %d (use one batch size, or reset the states)",
                          l->name, r->state_rows, B);
    if ((s = clrnn_buf_copy(ctx, r->state_h, 0, r->hs, 0, bytes))) return s;
    return c_state ? clrnn_buf_copy(ctx, r->state_c, 0, r->cs, 0, bytes) : CLRNN_OK;
}

/* The final state (hs[T], cs[T]): the return_state outputs, and what a stateful layer keeps
 * for the next batch. */
clrnn_status clrnn_rnn_keep_state(struct clrnn_layer *l, clrnn_ctx *ctx, int B) {
    struct rnn_cfg *r = l->cfg;
    size_t bytes = (size_t)B * (size_t)r->units * sizeof(float);
    size_t last = (size_t)l->in.d[0] * bytes;
    clrnn_status s = CLRNN_OK;
    for (int k = 0; !s && k < l->n_aux_out; k++)
        s = clrnn_buf_copy(ctx, k ? r->cs : r->hs, last, l->aux_out[k].val, 0, bytes);
    if (s || !r->stateful) return s;
    s = clrnn_buf_copy(ctx, r->hs, last, r->state_h, 0, bytes);
    if (!s && r->cell->states > 1) s = clrnn_buf_copy(ctx, r->cs, last, r->state_c, 0, bytes);
    if (!s) r->state_rows = B;
    return s;
}

static void reset_states(struct clrnn_layer *l) { ((struct rnn_cfg *)l->cfg)->state_rows = 0; }

clrnn_status clrnn_rnn_set_zero_output_for_mask(struct clrnn_layer *l) {
    if (!l->ops->is_recurrent || l->ops->cfg_size != sizeof(struct rnn_cfg))
        return clrnn_fail(CLRNN_E_INVALID_ARG, "layer '%s' is not a recurrent layer", l->name);
    struct rnn_cfg *r = l->cfg;
    r->zero_output_for_mask = r->return_sequences;
    return CLRNN_OK;
}

clrnn_status clrnn_rnn_dropout_masks(const struct clrnn_layer *l, clrnn_ctx *ctx, int B,
                                     float *dmask, float *rmask) {
    const struct rnn_cfg *r = l->cfg;
    if (!l->ops->is_recurrent || l->ops->cfg_size != sizeof(struct rnn_cfg))
        return clrnn_fail(CLRNN_E_INVALID_ARG, "layer '%s' is not a recurrent layer", l->name);
    clrnn_status s = CLRNN_OK;
    if (dmask && r->in_dropped)
        s = clrnn_buf_read(ctx, r->dmask, 0, (size_t)B * (size_t)l->in.d[1] * sizeof(float), dmask);
    if (!s && rmask && r->rec_dropped)
        s = clrnn_buf_read(ctx, r->rmask, 0, (size_t)B * (size_t)r->units * sizeof(float), rmask);
    return s;
}

/* Batch rows a work-group of the group kernels owns: group_rows, or enough groups for twice
 * the compute units, fewer where their state (row_bytes a row) does not fit in the local
 * memory left beside `reserved` bytes (R on chip); at least 1. */
static int rows_fitting(const clrnn_ctx *ctx, const struct rnn_cfg *r, int B, size_t row_bytes,
                        size_t reserved) {
    int cu = ctx->info.compute_units > 0 ? ctx->info.compute_units : 1;
    int groups = B < 2 * cu ? B : 2 * cu;
    int rpg = r->group_rows > 0 ? (r->group_rows < B ? r->group_rows : B)
                                : (B + groups - 1) / groups;
    size_t fit = (local_budget(ctx) - reserved) / row_bytes;
    return (size_t)rpg <= fit ? rpg : fit > 1 ? (int)fit : 1;
}

/* Whether the backward kernel reads R^T from local memory: where the forward reads R there
 * and the copy leaves the backward the rows per group it has without it. Its rows take 2-3x
 * the forward's local memory (backward_local_floats), so the copy would cut them first (an
 * LSTM(48)'s 29 rows forward, 9 backward on 48 KiB), and the forward's timing
 * (tune_r_place) would not show it. */
static int backward_r_local(const clrnn_ctx *ctx, const struct rnn_cfg *r, int B) {
    size_t row = backward_local_floats(r) * sizeof(float);
    return r->r_onchip &&
           rows_fitting(ctx, r, B, row, r_bytes(r)) == rows_fitting(ctx, r, B, row, 0);
}

int clrnn_rnn_r_local(const struct clrnn_layer *l, const clrnn_ctx *ctx, int B, int backward) {
    const struct rnn_cfg *r = l->cfg;
    return backward ? backward_r_local(ctx, r, B) : r->r_onchip;
}

int clrnn_rnn_backward_rows(const struct clrnn_layer *l, const clrnn_ctx *ctx, int B) {
    const struct rnn_cfg *r = l->cfg;
    size_t reserved = backward_r_local(ctx, r, B) ? r_bytes(r) : 0;
    return rows_fitting(ctx, r, B, backward_local_floats(r) * sizeof(float), reserved);
}

/* Work-group layout of the persistent kernels: enough groups to fill the device, each with a
 * slice of the batch whose state (local_per_row floats a row) fits in local memory beside R
 * when the kernel reads it there (r_local). */
static clrnn_status launch_shape(clrnn_ctx *ctx, cl_kernel k, const struct clrnn_layer *l, int B,
                                 size_t local_per_row, int r_local, int *rows_per_group,
                                 size_t *global, size_t *local) {
    const struct rnn_cfg *r = l->cfg;
    if (r->rows_variant) { /* rows_per_item rows a work-item, a work-item a work-group */
        *rows_per_group = 1;
        *local = 1;
        *global = ((size_t)B + (size_t)r->rows_per_item - 1) / (size_t)r->rows_per_item;
        return CLRNN_OK;
    }
    size_t reserved = r_local ? r_bytes(r) : 0, row_bytes = local_per_row * sizeof(float);
    int rpg = rows_fitting(ctx, r, B, row_bytes, reserved);
    if (row_bytes > local_budget(ctx) - reserved)
        return clrnn_fail(CLRNN_E_UNSUPPORTED, "layer '%s' (%s) with %d units needs %zu bytes of "
                          "local memory per batch row; %s has %llu", l->name, r->cell->keras_class,
                          r->units, row_bytes, ctx->info.name,
                          (unsigned long long)ctx->info.local_mem_bytes);
    size_t kmax = clrnn_kernel_group_limit(ctx, k);
    if (kmax == 0) kmax = 64;
    size_t want = clrnn_round_up((size_t)rpg * (size_t)r->units, 32);
    if (want > 256) want = 256;
    if (want > kmax) want = kmax;
    *rows_per_group = rpg;
    *local = want;
    *global = want * (size_t)((B + rpg - 1) / rpg);
    return CLRNN_OK;
}

/* Draws this batch's dropout masks (training only) and makes the input the GEMM reads. */
static clrnn_status dropout_masks(struct clrnn_layer *l, const struct clrnn_pass *p, cl_mem x,
                                  cl_mem *x_used) {
    struct rnn_cfg *r = l->cfg;
    int B = p->B, T = (int)l->in.d[0], I = (int)l->in.d[1];
    clrnn_status s = CLRNN_OK;
    r->in_dropped = p->training && r->dropout > 0;
    r->rec_dropped = p->training && r->recurrent_dropout > 0;
    *x_used = x;
    if (r->in_dropped) {
        if ((s = clrnn_dropout_mask(p->ctx, r->dmask, (size_t)B * I, r->dropout,
                                    clrnn_rng_next(p->rng), (uint64_t)p->row0 * (uint64_t)I)) ||
            (s = clrnn_mul_mask_bcast(p->ctx, x, r->dmask, r->xd, B, T, I, 0)))
            return s;
        *x_used = r->xd;
    }
    if (r->rec_dropped)
        s = clrnn_dropout_mask(p->ctx, r->rmask, (size_t)B * (size_t)r->units,
                               r->recurrent_dropout, clrnn_rng_next(p->rng),
                               (uint64_t)p->row0 * (uint64_t)r->units);
    return s;
}

static clrnn_status tune_rows_per_item(struct clrnn_layer *l, const struct clrnn_pass *p);
static clrnn_status tune_r_place(struct clrnn_layer *l, const struct clrnn_pass *p);
static clrnn_status tune_group_rows(struct clrnn_layer *l, const struct clrnn_pass *p);
static clrnn_status tune_token_reads(struct clrnn_layer *l, const struct clrnn_pass *p);

/* Where the projection of a batch's distinct ids goes (as big as zx at most): with the CPU
 * forms in dzh, free until the backward pass, from which it is gathered into zx (a 5450-row
 * table read by token slowed lstm128_b80's forward kernel by 25%); in zx, which the kernel
 * then reads by token, on GPUs and in passes without step buffers (predict). */
static cl_mem distinct_table(const clrnn_ctx *ctx, const struct rnn_cfg *r, int B) {
    return ctx->cpu_forms && r->dzh && r->step_rows >= B ? r->dzh : r->zx;
}

/* zx = xu K (+ the input bias: row 0 of a reset_after GRU's (2, 3U) bias), through the
 * vocabulary when it takes an Embedding's tokens and that is cheaper this batch */
static clrnn_status project_input(struct clrnn_layer *l, const struct clrnn_pass *p, cl_mem xu) {
    struct rnn_cfg *r = l->cfg;
    size_t rows = (size_t)p->B * (size_t)l->in.d[0], I = (size_t)l->in.d[1];
    size_t GU = (size_t)r->cell->gates * (size_t)r->units;
    int projected = r->emb && !r->in_dropped ? clrnn_embedding_projection(r->emb, NULL, NULL) : 0;
    r->tokens_pass = projected > 0;
    r->tokens_distinct = r->tokens_pass && projected < r->emb->w[0].d[0];
    if (r->tokens_pass) /* the forward kernel reads the table by token (launch_forward) */
        return clrnn_tokens_project(p, r->emb, l->w[0].offset, r->use_bias, l->w[2].offset, GU,
                                    r->tokens_distinct ? distinct_table(p->ctx, r, p->B)
                                                       : r->tok);
    return clrnn_gemm_bias(p->ctx, rows, GU, I, xu, 0, I, p->params, l->w[0].offset, GU, r->zx,
                           0, GU, r->use_bias ? p->params : NULL,
                           r->use_bias ? l->w[2].offset : 0);
}

/* Whether a pass no backward pass follows leaves out the step buffers: with the row kernels
 * and the per-step path, but for a per-step cell whose later products read a gated state
 * from the gates (the GRU v1's r * d); the group kernels always keep the steps. */
static int predicts_without_steps(const struct rnn_cfg *r) {
    return r->rows_variant || (r->steps && r->cell->h_product_gates == r->cell->gates);
}

/* Everything of a forward pass before the recurrence: the step buffers it needs, the dropout
 * masks, the input projection and the initial state. */
clrnn_status clrnn_rnn_prepare_forward(struct clrnn_layer *l, const struct clrnn_pass *p,
                                       cl_mem x) {
    struct rnn_cfg *r = l->cfg;
    cl_mem xu;
    int keeps_steps = !p->no_backward || !predicts_without_steps(r);
    clrnn_status s = keeps_steps ? step_buffers(l, p->ctx, r->alloc_rows) : CLRNN_OK;
    if (!s) s = dropout_masks(l, p, x, &xu);
    if (!s) s = project_input(l, p, xu);
    return s ? s : initial_state(l, p->ctx, p->B);
}

/* Whether this pass reads a projected vocabulary by token for the first time, which tunes how */
static int tunes_token_reads(const struct rnn_cfg *r) {
    return r->tokens_pass && !r->tokens_distinct && !r->tokens_tuned;
}

/* Whether this pass tunes where the group kernels read R (tune_r_place) */
static int tunes_r_place(const struct rnn_cfg *r) { return r->r_onchip && !r->r_place_fixed; }

/* Whether this pass tunes a choice of the forward kernel (its first pass, or its first with
 * a projected vocabulary) */
int clrnn_rnn_tunes_forward(const struct clrnn_layer *l) {
    const struct rnn_cfg *r = l->cfg;
    return !r->rows_tuned || tunes_r_place(r) || tunes_token_reads(r);
}

/* The recurrence of a prepared pass: the forward kernel, tuning what is not settled yet
 * (each tuning leaves the chosen variant's outputs). */
clrnn_status clrnn_rnn_run_forward(struct clrnn_layer *l, const struct clrnn_pass *p) {
    struct rnn_cfg *r = l->cfg;
    int tune_tokens = tunes_token_reads(r), tuned = 0;
    clrnn_status s = CLRNN_OK;
    if (!r->rows_tuned) {
        s = r->rows_variant ? tune_rows_per_item(l, p) : tune_group_rows(l, p);
        tuned = 1;
    }
    if (!s && tunes_r_place(r)) {
        s = tune_r_place(l, p);
        tuned = 1;
    }
    if (!s && tune_tokens)
        s = tune_token_reads(l, p);
    else if (!s && !tuned)
        s = clrnn_rnn_launch_forward(l, NULL, p);
    return s;
}

static clrnn_status forward(struct clrnn_layer *l, const struct clrnn_pass *p, cl_mem x) {
    clrnn_status s = clrnn_rnn_prepare_forward(l, p, x);
    if (!s) s = clrnn_rnn_run_forward(l, p);
    return s ? s : clrnn_rnn_keep_state(l, p->ctx, p->B);
}

/* A launch of a cell kernel: its arguments, then with a second layer (RNN_PAIR) that
 * layer's (`second`, n_second of them) and a second row of work-groups for it. */
static clrnn_status launch_cell(clrnn_ctx *ctx, cl_kernel k, const char *name, size_t global,
                                size_t local, const struct clrnn_karg *args, int n,
                                const struct clrnn_karg *second, int n_second) {
    struct clrnn_karg all[48];
    size_t g[2] = {global, 2}, lo[2] = {local, 1};
    if (!second) return clrnn_launch_args(ctx, k, name, 1, g, lo, args, n);
    if (n + n_second > (int)(sizeof all / sizeof all[0]))
        return clrnn_fail(CLRNN_E_INVALID_ARG, "kernel %s: too many arguments", name);
    memcpy(all, args, (size_t)n * sizeof *args);
    memcpy(all + n, second, (size_t)n_second * sizeof *second);
    char pair_name[64]; /* apart in CLRNN_PROFILE's table */
    snprintf(pair_name, sizeof pair_name, "%s (both directions)", name);
    return clrnn_launch_args(ctx, k, pair_name, 2, g, lo, all, n + n_second);
}
#define LAUNCH_CELL(ctx, k, name, global, local, second, n_second, ...)                        \
    launch_cell(ctx, k, name, global, local, (const struct clrnn_karg[]){__VA_ARGS__},         \
                (int)(sizeof((const struct clrnn_karg[]){__VA_ARGS__}) /                        \
                      sizeof(struct clrnn_karg)),                                              \
                second, n_second)

/* What a layer's forward kernel reads and writes in this pass; unused ones are still valid
 * buffers. */
struct forward_args {
    int direct;                 /* it reads the token table by id (RNN_TOKENS) */
    cl_mem zx, ids, mask, rmask, hs, cs, gates;
    cl_ulong r_off, rb_off;
    int has_rbias;              /* rb_off is a recurrent bias: the bias's second row */
};

/* A layer's forward_args, gathering each position's row of a projected vocabulary into zx
 * where the kernel does not read the table directly. */
static clrnn_status forward_args(struct clrnn_layer *l, const struct clrnn_pass *p,
                                 struct forward_args *a) {
    struct rnn_cfg *r = l->cfg;
    size_t GU = (size_t)r->cell->gates * (size_t)r->units;
    cl_mem table = r->tokens_distinct ? distinct_table(p->ctx, r, p->B) : r->tok;
    a->direct = r->tokens_pass && (r->tokens_distinct ? table == r->zx : r->tokens_direct);
    a->ids = r->tokens_pass ? clrnn_embedding_ids(r->emb) : r->hs;
    a->zx = a->direct ? table : r->zx;
    a->mask = l->in_mask ? l->in_mask : r->hs;
    a->rmask = r->rec_dropped ? r->rmask : r->hs;
    a->hs = r->hs;
    a->cs = r->cs; /* a float but for the LSTM */
    a->gates = r->gates ? r->gates : r->hs; /* not written without RNN_KEEP_STEPS */
    a->r_off = l->w[1].offset;
    a->has_rbias = r->use_bias && l->w[2].rank == 2;
    a->rb_off = a->has_rbias ? l->w[2].offset + GU : 0;
    if (r->tokens_pass && !a->direct)
        return clrnn_embedding_gather(p->ctx, a->ids, p->B * (int)l->in.d[0], table, 0, (int)GU,
                                      r->zx);
    return CLRNN_OK;
}

/* Launches the cell's forward kernel over the layer's buffers (zx, or the token table, and
 * the initial state in place); with `second`, the other layer of a Bidirectional pair in the
 * same launch (clrnn_rnn_forward_pair has checked that they run the same kernel). */
clrnn_status clrnn_rnn_launch_forward(struct clrnn_layer *l, struct clrnn_layer *second,
                                      const struct clrnn_pass *p) {
    struct rnn_cfg *r = l->cfg;
    clrnn_ctx *ctx = p->ctx;
    int B = p->B, T = (int)l->in.d[0], U = r->units;
    struct forward_args a, a2 = {0};
    clrnn_status s = forward_args(l, p, &a);
    if (!s && second) s = forward_args(second, p, &a2);
    if (s) return s;
    char opts[256];
    kernel_options(l, r->rec_dropped, r->r_onchip, opts, sizeof opts);
    if (a.direct) strncat(opts, " -DRNN_TOKENS=1", sizeof opts - strlen(opts) - 1);
    if (p->no_backward) strncat(opts, " -DRNN_KEEP_STEPS=0", sizeof opts - strlen(opts) - 1);
    if (r->steps) return clrnn_rnn_steps_forward(l, p, a.zx, a.ids, opts);
    if (second) strncat(opts, " -DRNN_PAIR=1", sizeof opts - strlen(opts) - 1);
    cl_mem y2 = second ? second->y : NULL;
    const struct clrnn_karg pair[] = {KARG(a2.zx), KARG(a2.r_off), KARG(a2.rb_off),
                                      KARG(a2.rmask), KARG(a2.hs), KARG(a2.cs),
                                      KARG(a2.gates), KARG(y2)};
    const struct clrnn_karg *x2 = second ? pair : NULL;
    int n2 = (int)(sizeof pair / sizeof pair[0]);
    int act = (int)r->act, rec = (int)r->rec_act, rs = r->return_sequences;
    const struct clrnn_cell_kernels *kn = &r->cell->kernels;
    cl_kernel k;
    int rpg;
    size_t global, local;
    if ((s = clrnn_kernel_get(ctx, cell_sources(r), opts, kn->fwd, &k)) ||
        (s = launch_shape(ctx, k, l, B, (size_t)r->cell->fwd_local_per_unit * (size_t)U, r->r_onchip, &rpg,
                          &global, &local)))
        return s;
    size_t lb = (size_t)r->cell->fwd_local_per_unit * (size_t)rpg * (size_t)U * sizeof(float);
    return LAUNCH_CELL(ctx, k, kn->fwd, global, local, x2, n2, KARG(a.zx), KARG(a.ids),
                       KARG(p->params), KARG(a.r_off), KARG(a.rb_off), KARG(a.has_rbias),
                       KARG(a.mask), KARG(a.rmask), KARG(a.hs), KARG(a.cs), KARG(a.gates),
                       KARG(l->y), KARG(B), KARG(T), KARG(U), KARG(act), KARG(rec), KARG(rs),
                       KARG(rpg), KARG_LOCAL(lb));
}

/* One variant of a tuned choice: the choice's field set to it, the forward kernel run */
static clrnn_status run_variant(void *arg, int v) {
    void **a = arg;
    *(int *)a[2] = v;
    return clrnn_rnn_launch_forward(a[0], NULL, a[1]);
}

/* Times the forward kernel with each candidate value of *field on this batch (tuning.c: each
 * must reproduce the first candidate's outputs bit for bit) and leaves the fastest in *field.
 * The choice is cached per device under `what`, the cell, units, `extra`, batch, steps and
 * the build options (minus `drop_option`, the option being chosen). */
static clrnn_status tune_forward(struct clrnn_layer *l, const struct clrnn_pass *p,
                                 const char *what, const char *extra, const char *drop_option,
                                 const int *candidates, int n, int *field) {
    struct rnn_cfg *r = l->cfg;
    char key[320], opts[192];
    kernel_options(l, r->rec_dropped, r->r_onchip, opts, sizeof opts);
    char *drop = drop_option ? strstr(opts, drop_option) : NULL;
    if (drop) *drop = '\0';
    snprintf(key, sizeof key, "%s %s units=%d%s batch=%d steps=%d %s", what, r->cell->label,
             r->units, extra, p->B, (int)l->in.d[0], opts);
    void *arg[3] = {l, (void *)p, field};
    size_t out_bytes = (size_t)p->B * (size_t)clrnn_shape_count(&l->out) * sizeof(float);
    return clrnn_tune(p->ctx, key, candidates, n, run_variant, arg, l->y, out_bytes, field);
}

/* The first forward pass of a row-variant layer picks its rows per work-item by timing 1, 2
 * and 4 on this batch (each must reproduce the 1-row outputs bit for bit), and runs with it.
 * The backward kernel takes the same number. */
static clrnn_status tune_rows_per_item(struct clrnn_layer *l, const struct clrnn_pass *p) {
    struct rnn_cfg *r = l->cfg;
    static const int candidates[] = {1, 2, 4};
    int n = p->B >= 4 ? 3 : p->B >= 2 ? 2 : 1;
    clrnn_status s = tune_forward(l, p, "rows_per_item", "", " -DROWS_PER_ITEM", candidates, n,
                                  &r->rows_per_item);
    if (!s) r->rows_tuned = 1;
    return s;
}

/* The first forward pass of a group-variant layer picks its batch rows a work-group
 * (group_rows) by timing the guess and 1, 2, 4 and 8 rows on this batch: each row's sums run
 * in the same order whatever its group, so each must reproduce the guess's outputs bit for
 * bit. The backward kernel takes the same number where its local memory allows. */
static clrnn_status tune_group_rows(struct clrnn_layer *l, const struct clrnn_pass *p) {
    struct rnn_cfg *r = l->cfg;
    int candidates[5] = {0}, n = 1;
    for (int rows = 1; rows <= 8 && rows <= p->B; rows *= 2) candidates[n++] = rows;
    clrnn_status s =
        tune_forward(l, p, "group_rows", "", NULL, candidates, n, &r->group_rows);
    if (!s) r->rows_tuned = 1;
    return s;
}

/* The first forward pass of a group-variant layer whose R fits in local memory (after its
 * rows a group, with them) picks where its kernels read R by timing both (r_onchip): the
 * same sums in the same order, so the local copy must reproduce the global reads' outputs
 * bit for bit. The backward kernels take the same place. */
static clrnn_status tune_r_place(struct clrnn_layer *l, const struct clrnn_pass *p) {
    struct rnn_cfg *r = l->cfg;
    static const int candidates[] = {0, 1};
    char rows[32];
    snprintf(rows, sizeof rows, " group_rows=%d", r->group_rows);
    clrnn_status s =
        tune_forward(l, p, "r_local", rows, " -DRNN_R_LOCAL", candidates, 2, &r->r_onchip);
    if (!s) r->r_place_fixed = 1;
    return s;
}

/* The first forward pass that reads a projected vocabulary picks how (token_reads) by timing
 * both; their outputs must agree bit for bit. */
static clrnn_status tune_token_reads(struct clrnn_layer *l, const struct clrnn_pass *p) {
    struct rnn_cfg *r = l->cfg;
    static const int candidates[] = {0, 1};
    char vocab[32];
    snprintf(vocab, sizeof vocab, " vocab=%lld", (long long)r->emb->w[0].d[0]);
    clrnn_status s = tune_forward(l, p, "token reads", vocab, NULL, candidates, 2,
                                  &r->tokens_direct);
    if (!s) r->tokens_tuned = 1;
    return s;
}

/* return_state: the gradients arriving at the final states go where the backward kernel
 * starts its carry (dh0, dc0), zeros for a state nothing used. */
static clrnn_status final_state_grads(struct clrnn_layer *l, clrnn_ctx *ctx, int B) {
    struct rnn_cfg *r = l->cfg;
    size_t bytes = (size_t)B * (size_t)r->units * sizeof(float);
    clrnn_status s = CLRNN_OK;
    for (int k = 0; !s && k < l->n_aux_out; k++) {
        cl_mem d = k ? r->dc0 : r->dh0, g = l->aux_out[k].grad;
        s = g ? clrnn_buf_copy(ctx, g, 0, d, 0, bytes) : clrnn_buf_fill_zero(ctx, d, 0, bytes);
    }
    return s;
}

/* initial_state: the gradients the backward kernel left in dh0 (dc0) go to the inputs. */
static clrnn_status initial_state_grads(struct clrnn_layer *l, clrnn_ctx *ctx, int B) {
    struct rnn_cfg *r = l->cfg;
    size_t bytes = (size_t)B * (size_t)r->units * sizeof(float);
    clrnn_status s = CLRNN_OK;
    for (int k = 0; !s && k < l->n_aux_in; k++)
        if (l->aux_in[k].grad) s = clrnn_buf_copy(ctx, k ? r->dc0 : r->dh0, 0, l->aux_in[k].grad, 0, bytes);
    return s;
}

/* Whether the backward kernel writes dzx, the batch-major copy of dzh: not for a cell that
 * took tokens and whose input and recurrent pre-activations are one (dzx = dzh but for the
 * layout: the LSTM's, SimpleRNN's), so the sums by id read dzh (a GRU's differ by its reset
 * gate). */
static int dzx_needed(const struct rnn_cfg *r) {
    return !(r->tokens_pass && r->cell->dzx_is_dzh);
}

/* What a layer's backward kernel reads and writes in this pass; unused ones are still valid
 * buffers. */
struct backward_args {
    cl_mem dy, hs, cs, gates, rk, mask, rmask, dzx, dzh, dh0, dc0;
    cl_ulong r_off;
};

/* A layer's backward_args, with the gradients of its final states in place and R^T made:
 * the backward kernels read it so that their back-projections run along contiguous units
 * (the row kernels' inner loops; the group kernels' neighbouring work-items, whose reads of
 * R a row of G floats apart touched a cache line each on a GPU). */
static clrnn_status backward_args(struct clrnn_layer *l, const struct clrnn_pass *p, cl_mem dy,
                                  struct backward_args *a) {
    struct rnn_cfg *r = l->cfg;
    int GU = r->cell->gates * r->units;
    a->dy = dy;
    a->hs = r->hs;
    a->cs = r->cs; /* a float but for the LSTM, as dc0 */
    a->gates = r->gates;
    a->rk = p->params;
    a->r_off = l->w[1].offset;
    a->mask = l->in_mask ? l->in_mask : r->hs;
    a->rmask = r->rec_dropped ? r->rmask : r->hs;
    a->dzx = r->dzx;
    a->dzh = r->dzh;
    a->dh0 = r->dh0;
    a->dc0 = r->dc0;
    clrnn_status s = final_state_grads(l, p->ctx, p->B);
    if (s || r->steps) return s; /* the per-step path makes its own R^T (rnn_steps.c) */
    a->rk = r->rt;
    a->r_off = 0;
    return clrnn_transpose(p->ctx, p->params, l->w[1].offset, GU, r->units, GU, r->rt);
}

/* Launches the cell's backward kernel from dy; with `second`, the other layer of a
 * Bidirectional pair from dy2 in the same launch (clrnn_rnn_backward_pair has checked that
 * they run the same kernel). */
clrnn_status clrnn_rnn_launch_backward(struct clrnn_layer *l, struct clrnn_layer *second,
                                       const struct clrnn_pass *p, cl_mem dy, cl_mem dy2) {
    struct rnn_cfg *r = l->cfg;
    clrnn_ctx *ctx = p->ctx;
    int B = p->B, T = (int)l->in.d[0], U = r->units;
    int act = (int)r->act, rec = (int)r->rec_act, rs = r->return_sequences;
    struct backward_args a, a2 = {0};
    clrnn_status s = backward_args(l, p, dy, &a);
    if (!s && second) s = backward_args(second, p, dy2, &a2);
    if (s) return s;
    char opts[256];
    int r_local = backward_r_local(ctx, r, B);
    kernel_options(l, r->rec_dropped, r_local, opts, sizeof opts);
    if (r->return_state) strncat(opts, " -DRNN_STATE_GRAD=1", sizeof opts - strlen(opts) - 1);
    if (!dzx_needed(r)) strncat(opts, " -DRNN_DZX=0", sizeof opts - strlen(opts) - 1);
    if (r->steps) return clrnn_rnn_steps_backward(l, p, dy, opts);
    if (second) strncat(opts, " -DRNN_PAIR=1", sizeof opts - strlen(opts) - 1);
    const struct clrnn_karg pair[] = {KARG(a2.dy), KARG(a2.hs), KARG(a2.cs), KARG(a2.gates),
                                      KARG(a2.rk), KARG(a2.r_off), KARG(a2.rmask),
                                      KARG(a2.dzx), KARG(a2.dzh), KARG(a2.dh0), KARG(a2.dc0)};
    const struct clrnn_karg *x2 = second ? pair : NULL;
    int n2 = (int)(sizeof pair / sizeof pair[0]);
    cl_kernel k;
    int rpg;
    size_t global, local;
    const char *name = r->cell->kernels.bwd;
    if ((s = clrnn_kernel_get(ctx, cell_sources(r), opts, name, &k)) ||
        (s = launch_shape(ctx, k, l, B, backward_local_floats(r), r_local, &rpg, &global,
                          &local)))
        return s;
    size_t lb = backward_local_floats(r) * (size_t)rpg * sizeof(float);
    return LAUNCH_CELL(ctx, k, name, global, local, x2, n2, KARG(a.dy), KARG(a.hs), KARG(a.cs),
                       KARG(a.gates), KARG(a.rk), KARG(a.r_off), KARG(a.mask), KARG(a.rmask),
                       KARG(a.dzx), KARG(a.dzh), KARG(a.dh0), KARG(a.dc0), KARG(B), KARG(T),
                       KARG(U), KARG(act), KARG(rec), KARG(rs), KARG(rpg), KARG_LOCAL(lb));
}

static clrnn_status backward(struct clrnn_layer *l, const struct clrnn_pass *p, cl_mem x,
                             cl_mem dy, cl_mem dx) {
    clrnn_status s = clrnn_rnn_launch_backward(l, NULL, p, dy, NULL);
    return s ? s : clrnn_rnn_backward_weights(l, p, x, dx);
}

/* Everything of a backward pass after the recurrence's kernel: the weight gradients, and
 * the input's (dx, when wanted) or the Embedding's. */
clrnn_status clrnn_rnn_backward_weights(struct clrnn_layer *l, const struct clrnn_pass *p,
                                        cl_mem x, cl_mem dx) {
    struct rnn_cfg *r = l->cfg;
    clrnn_ctx *ctx = p->ctx;
    int B = p->B, Ti = (int)l->in.d[0], Ui = r->units, Ii = (int)l->in.d[1];
    size_t T = (size_t)Ti, U = (size_t)Ui, I = (size_t)Ii;
    size_t rows = (size_t)B * T, GU = (size_t)r->cell->gates * U;
    clrnn_status s = CLRNN_OK;
    cl_mem xu = r->in_dropped ? r->xd : x, hu = r->hs;
    /* dK (I, GU) = x^T dzx, with the input as the forward pass dropped it; with tokens also
     * the input bias and dx = the Embedding's gradient */
    if (!s && r->tokens_pass)
        s = clrnn_tokens_backward(p, r->emb, dzx_needed(r) ? r->dzx : r->dzh, !dzx_needed(r),
                                  r->go_backwards, GU, l->w[0].offset, l->w[0].offset,
                                  r->use_bias, r->use_bias ? l->w[2].offset : 0,
                                  r->tokens_distinct ? r->zx : r->tok, dx);
    else if (!s)
        s = clrnn_gemm(ctx, 1, 0, I, GU, rows, 1.0f, xu, 0, I, r->dzx, 0, GU, 0.0f, p->grads,
                       l->w[0].offset, GU);
    /* dR (U, GU) = (hs[0:T] * rmask)^T dzh; the blocks past h_product_gates (a reset_after=
     * false GRU's candidate) pair with the gated state the forward kept in gates */
    if (!s && r->rec_dropped) {
        s = clrnn_mul_mask_bcast(ctx, r->hs, r->rmask, r->hsd, Ti, B, Ui, 1);
        hu = r->hsd;
    }
    size_t HU = (size_t)r->cell->h_product_gates * U;
    if (!s)
        s = clrnn_gemm(ctx, 1, 0, U, HU, rows, 1.0f, hu, 0, U, r->dzh, 0, GU, 0.0f, p->grads,
                       l->w[1].offset, GU);
    if (!s && HU < GU)
        s = clrnn_gemm(ctx, 1, 0, U, GU - HU, rows, 1.0f, r->gates,
                       (size_t)r->cell->gated_state_block * U, (size_t)r->cell->gates_kept * U,
                       r->dzh, HU, GU, 0.0f, p->grads, l->w[1].offset + HU, GU);
    if (!s && r->use_bias) {
        if (!r->tokens_pass) s = clrnn_sum_rows(ctx, r->dzx, rows, GU, p->grads, l->w[2].offset);
        if (!s && recurrent_bias(r))
            s = clrnn_sum_rows(ctx, r->dzh, rows, GU, p->grads, l->w[2].offset + GU);
    }
    if (!s && dx && !r->tokens_pass)
        s = clrnn_gemm(ctx, 0, 1, rows, I, GU, 1.0f, r->dzx, 0, GU, p->params, l->w[0].offset, GU,
                       0.0f, dx, 0, I);
    if (!s && dx && r->in_dropped) s = clrnn_mul_mask_bcast(ctx, dx, r->dmask, dx, B, Ti, Ii, 0);
    return s ? s : initial_state_grads(l, ctx, B);
}

static clrnn_status config_json(const struct clrnn_layer *l, cJSON *o) {
    const struct rnn_cfg *r = l->cfg;
    cJSON_AddBoolToObject(o, "return_sequences", r->return_sequences);
    cJSON_AddBoolToObject(o, "return_state", r->return_state);
    cJSON_AddBoolToObject(o, "go_backwards", r->go_backwards);
    cJSON_AddBoolToObject(o, "stateful", r->stateful);
    cJSON_AddFalseToObject(o, "unroll");
    if (r->zero_output_for_mask) cJSON_AddTrueToObject(o, "zero_output_for_mask");
    if (!r->wrapped) {
        clrnn_cell_config_json(r, o);
        return CLRNN_OK;
    }
    cJSON *cell = cJSON_AddObjectToObject(o, "cell");
    cJSON *cc = cell ? cJSON_CreateObject() : NULL;
    if (!cc) return clrnn_fail(CLRNN_E_NOMEM, "out of memory writing layer '%s'", l->name);
    /* a nested object: Keras 3 finds its class through the module */
    cJSON_AddStringToObject(cell, "module", "keras.layers");
    cJSON_AddStringToObject(cell, "class_name", r->cell->cell_class);
    cJSON_AddNullToObject(cell, "registered_name");
    cJSON_AddItemToObject(cell, "config", cc);
    cJSON_AddStringToObject(cc, "name", r->cell_name);
    cJSON_AddTrueToObject(cc, "trainable");
    cJSON_AddStringToObject(cc, "dtype", "float32");
    clrnn_cell_config_json(r, cc);
    return CLRNN_OK;
}

/* Takes an Embedding's tokens (token_projection.c) unless input dropout needs the embedded
 * vectors themselves; emb NULL gives them back. */
static int take_tokens(struct clrnn_layer *l, struct clrnn_layer *emb) {
    struct rnn_cfg *r = l->cfg;
    if (!emb || r->dropout > 0 || l->n_aux_in) {
        r->emb = NULL;
        return 0;
    }
    r->emb = emb;
    return 1;
}

size_t clrnn_rnn_dx_count(const struct clrnn_layer *l, int B) {
    const struct rnn_cfg *r = l->cfg;
    if (r->tokens_pass)
        return (size_t)clrnn_embedding_projection(r->emb, NULL, NULL) * (size_t)r->emb->w[0].d[1];
    return (size_t)B * (size_t)clrnn_shape_count(&l->in);
}

static void release(struct clrnn_layer *l) {
    release_buffers(l->cfg);
    for (int k = 0; k < CLRNN_MAX_AUX; k++) clrnn_buf_release(&l->aux_out[k].val);
}

/* The weights' scope is set by build (the cell's, or the wrapped cell's name) */
#define RNN_LAYER_OPS(symbol, cls, spec, positional_names, configure_fn)                        \
    const struct clrnn_layer_ops symbol = {                                                      \
        .keras_class = cls,                                                                      \
        .spec_name = spec,                                                                       \
        .positional = positional_names,                                                          \
        .cfg_size = sizeof(struct rnn_cfg),                                                      \
        .configure = configure_fn,                                                               \
        .build = build,                                                                          \
        .alloc = alloc,                                                                          \
        .forward = forward,                                                                      \
        .backward = backward,                                                                    \
        .take_tokens = take_tokens,                                                              \
        .config_json = config_json,                                                              \
        .release = release,                                                                      \
        .reset_states = reset_states,                                                            \
        .supports_masking = 1,                                                                   \
        .is_recurrent = 1,                                                                       \
    };

/* The Keras layer of each cell that has one (its keras_class, cell.h) */
RNN_LAYER_OPS(clrnn_layer_simple_rnn, "SimpleRNN", "simple_rnn", RNN_POSITIONAL, configure)
RNN_LAYER_OPS(clrnn_layer_lstm, "LSTM", "lstm", RNN_POSITIONAL, configure)
RNN_LAYER_OPS(clrnn_layer_gru, "GRU", "gru", RNN_POSITIONAL, configure)
RNN_LAYER_OPS(clrnn_layer_rnn, "RNN", "rnn", WRAPPER_POSITIONAL, configure_wrapper)
