/*
 * rnn_steps.c - the per-step path of the recurrent layers (cl/rnn_steps.cl): per timestep a
 * GEMM of all B batch rows by R, which reads R once for the batch however large it is, and
 * element kernels for the gates and the state. It runs where the persistent kernels cannot
 * hold a batch row's state (the group kernels beyond local memory on GPUs; the row kernels
 * beyond their 1024 units on CPUs) or where CLRNN_RECURRENCE=steps asks for it
 * (layer_rnn.c). It reads and leaves the same buffers as the persistent kernels, so the rest
 * of the layer (the input projection, the weight gradients) does not know which ran.
 *
 * The GEMMs are the plain C = A B of clrnn_gemm (gemm.c on CPUs, CLBlast on GPUs); the
 * backward ones read R^T from r->rt, transposed once a pass, rather than transposing R on
 * every step.
 */
#include "layer_rnn.h"

/* The element kernels' global size: a work-item a unit (rounded up to 16) and batch row */
static void element_items(int B, int U, size_t items[2]) {
    items[0] = clrnn_round_up((size_t)U, 16);
    items[1] = (size_t)B;
}

/* Whether the cell's last gate blocks multiply R with a gated state rather than h_{t-1}, a
 * second product a step (the GRU v1's candidate: (r * d) R_h, cell.h h_product_gates) */
static int product_apart(const struct rnn_cfg *r) {
    return r->cell->h_product_gates < r->cell->gates;
}

/* The forward products' columns of R: all GU, or the blocks that read h_{t-1} (a GRU v1's z
 * and r, 2U) and the later ones (its candidate's U) apart. On CPUs R is packed in strips for
 * them (gemm_pack: R is read once a step from memory, and a strip's rows lie a row of R
 * apart), the later block after the first. */
static size_t first_columns(const struct rnn_cfg *r) {
    return (size_t)r->cell->h_product_gates * (size_t)r->units;
}
static size_t candidate_packed_at(const struct rnn_cfg *r) {
    return clrnn_gemm_packed_floats((size_t)r->units, first_columns(r));
}

clrnn_status clrnn_rnn_steps_alloc(struct clrnn_layer *l, clrnn_ctx *ctx, int B) {
    struct rnn_cfg *r = l->cfg;
    size_t U = (size_t)r->units, GU = (size_t)r->cell->gates * U, f = sizeof(float);
    size_t later = GU - first_columns(r); /* the columns of the product apart */
    size_t rp = candidate_packed_at(r) + (later ? clrnn_gemm_packed_floats(U, later) : 0);
    size_t rt = ctx->cpu_forms ? clrnn_gemm_packed_floats(GU, U) : GU * U;
    clrnn_status s;
    if ((s = clrnn_buf_create(ctx, (size_t)B * GU * f, &r->zh)) ||
        (s = clrnn_buf_create(ctx, rt * f, &r->rt)) ||
        (ctx->cpu_forms && (s = clrnn_buf_create(ctx, rp * f, &r->rp))))
        return s;
    return r->recurrent_dropout > 0 ? clrnn_buf_create(ctx, (size_t)B * U * f, &r->dd) : CLRNN_OK;
}

/* zh[:, col..col+n) = A R[:, col..col+n) for col 0 (R's first columns) or 2U (a GRU v1's
 * candidate), A (B, U) with leading dimension lda */
static clrnn_status forward_product(struct clrnn_layer *l, const struct clrnn_pass *p, cl_mem a,
                                    size_t a_off, size_t lda, int col, int n) {
    struct rnn_cfg *r = l->cfg;
    size_t B = (size_t)p->B, U = (size_t)r->units, G = (size_t)r->cell->gates * U;
    if (p->ctx->cpu_forms)
        return clrnn_gemm_packed(p->ctx, B, (size_t)n, U, a, a_off, lda, r->rp,
                                 col ? candidate_packed_at(r) : 0, U, r->zh, (size_t)col, G);
    return clrnn_gemm(p->ctx, 0, 0, B, (size_t)n, U, 1.0f, a, a_off, lda, p->params,
                      (size_t)l->w[1].offset + (size_t)col, G, 0.0f, r->zh, (size_t)col, G);
}

/* R packed for the forward products (CPUs) */
static clrnn_status pack_r(struct clrnn_layer *l, const struct clrnn_pass *p) {
    struct rnn_cfg *r = l->cfg;
    size_t U = (size_t)r->units, G = (size_t)r->cell->gates * U, off = l->w[1].offset;
    if (!p->ctx->cpu_forms) return CLRNN_OK;
    clrnn_status s = clrnn_gemm_pack(p->ctx, 0, U, first_columns(r), p->params, off, G, r->rp, 0);
    if (!s && product_apart(r))
        s = clrnn_gemm_pack(p->ctx, 0, U, G - first_columns(r), p->params,
                            off + first_columns(r), G, r->rp, candidate_packed_at(r));
    return s;
}

clrnn_status clrnn_rnn_steps_forward(struct clrnn_layer *l, const struct clrnn_pass *p,
                                     cl_mem zx, cl_mem ids, const char *opts) {
    struct rnn_cfg *r = l->cfg;
    clrnn_ctx *ctx = p->ctx;
    int B = p->B, T = (int)l->in.d[0], U = r->units, G = r->cell->gates * U;
    int act = (int)r->act, rec = (int)r->rec_act, rs = r->return_sequences;
    cl_mem mask = l->in_mask ? l->in_mask : r->hs, rmask = r->rec_dropped ? r->rmask : r->hs;
    cl_mem dd = r->dd ? r->dd : r->hs; /* written only with recurrent dropout */
    int has_rbias = r->use_bias && l->w[2].rank == 2; /* the bias's second row */
    cl_ulong rb_off = has_rbias ? l->w[2].offset + (cl_ulong)G : 0;
    const struct clrnn_cell_kernels *kn = &r->cell->kernels;
    const char *const *src = r->cell->steps_sources;
    size_t items[2];
    element_items(B, U, items);
    cl_mem d = r->rec_dropped ? r->dd : r->hs; /* what the product reads: h_{t-1} (dropped) */
    cl_mem gates = r->gates ? r->gates : r->hs; /* not written without RNN_KEEP_STEPS */
    cl_kernel k, kg = NULL;
    clrnn_status s = pack_r(l, p);
    if (!s) s = clrnn_kernel_get(ctx, src, opts, kn->step_fwd, &k);
    if (!s && kn->step_gates) s = clrnn_kernel_get(ctx, src, opts, kn->step_gates, &kg);
    if (!s && r->rec_dropped) {
        cl_kernel kd;
        if (!(s = clrnn_kernel_get(ctx, src, opts, "rnn_steps_drop", &kd)))
            s = CLRNN_LAUNCH(ctx, kd, "rnn_steps_drop", 2, items, NULL, KARG(r->hs),
                             KARG(r->rmask), KARG(dd), KARG(B), KARG(U));
    }
#define STEP_FWD_ARGS                                                                           \
    KARG(zx), KARG(ids), KARG(r->zh), KARG(p->params), KARG(rb_off), KARG(has_rbias),          \
        KARG(mask), KARG(rmask), KARG(r->hs), KARG(r->cs), KARG(gates), KARG(l->y), KARG(dd),  \
        KARG(st), KARG(B), KARG(T), KARG(U), KARG(act), KARG(rec), KARG(rs)
    for (int st = 0; !s && st < T; st++) {
        size_t d_off = r->rec_dropped ? 0 : (size_t)st * (size_t)B * (size_t)U;
        s = forward_product(l, p, d, d_off, (size_t)U, 0, (int)first_columns(r));
        /* a second product: the gates before it leave r * d in gates[s][:, 3U:4U] */
        if (!s && kg)
            s = CLRNN_LAUNCH(ctx, kg, kn->step_gates, 2, items, NULL, STEP_FWD_ARGS);
        if (!s && kg)
            s = forward_product(l, p, r->gates,
                                (size_t)st * (size_t)B * 4 * (size_t)U + 3 * (size_t)U,
                                4 * (size_t)U, 2 * U, U);
        if (!s) s = CLRNN_LAUNCH(ctx, k, kn->step_fwd, 2, items, NULL, STEP_FWD_ARGS);
    }
#undef STEP_FWD_ARGS
    return s;
}

/* P (B, U) = dzh[s][:, row..row+n) R^T[row..row+n, :], from rt: R^T, packed on CPUs */
static clrnn_status backward_product(struct clrnn_layer *l, const struct clrnn_pass *p, int s,
                                     int row, int n) {
    struct rnn_cfg *r = l->cfg;
    size_t B = (size_t)p->B, U = (size_t)r->units, G = (size_t)r->cell->gates * U;
    size_t a_off = (size_t)s * B * G + (size_t)row;
    if (p->ctx->cpu_forms)
        return clrnn_gemm_packed(p->ctx, B, U, (size_t)n, r->dzh, a_off, G, r->rt,
                                 (size_t)row * 16, G, r->zh, 0, U);
    return clrnn_gemm(p->ctx, 0, 0, B, U, (size_t)n, 1.0f, r->dzh, a_off, G, r->rt,
                      (size_t)row * U, U, 0.0f, r->zh, 0, U);
}

clrnn_status clrnn_rnn_steps_backward(struct clrnn_layer *l, const struct clrnn_pass *p,
                                      cl_mem dy, const char *opts) {
    struct rnn_cfg *r = l->cfg;
    clrnn_ctx *ctx = p->ctx;
    int B = p->B, T = (int)l->in.d[0], U = r->units, G = r->cell->gates * U;
    int act = (int)r->act, rec = (int)r->rec_act, rs = r->return_sequences;
    cl_mem mask = l->in_mask ? l->in_mask : r->hs, rmask = r->rec_dropped ? r->rmask : r->hs;
    const struct clrnn_cell_kernels *kn = &r->cell->kernels;
    const char *const *src = r->cell->steps_sources;
    size_t items[2];
    element_items(B, U, items);
    cl_kernel k, kr = NULL, kf;
    clrnn_status s;
    if ((s = ctx->cpu_forms ? clrnn_gemm_pack(ctx, 1, (size_t)G, (size_t)U, p->params,
                                              l->w[1].offset, (size_t)G, r->rt, 0)
                            : clrnn_transpose(ctx, p->params, l->w[1].offset, (size_t)G,
                                              (size_t)U, (size_t)G, r->rt)) ||
        (s = clrnn_kernel_get(ctx, src, opts, kn->step_bwd, &k)) ||
        (s = clrnn_kernel_get(ctx, src, opts, "rnn_steps_finish", &kf)) ||
        (kn->step_reset && (s = clrnn_kernel_get(ctx, src, opts, kn->step_reset, &kr))))
        return s;
#define STEP_BWD_ARGS                                                                           \
    KARG(dy), KARG(r->hs), KARG(r->cs), KARG(r->gates), KARG(mask), KARG(rmask), KARG(r->zh),  \
        KARG(r->dzx), KARG(r->dzh), KARG(r->dh0), KARG(r->dc0), KARG(st), KARG(B), KARG(T),    \
        KARG(U), KARG(act), KARG(rec), KARG(rs)
    /* the first step reads P only past the last step: any buffer will do */
    for (int st = T - 1; !s && st >= 0; st--) {
        s = CLRNN_LAUNCH(ctx, k, kn->step_bwd, 2, items, NULL, STEP_BWD_ARGS);
        if (!s && kr) /* the rest of the step, through the second product */
            s = backward_product(l, p, st, 2 * U, U);
        if (!s && kr) s = CLRNN_LAUNCH(ctx, kr, kn->step_reset, 2, items, NULL, STEP_BWD_ARGS);
        if (!s) s = backward_product(l, p, st, 0, (int)first_columns(r));
    }
#undef STEP_BWD_ARGS
    return s ? s : CLRNN_LAUNCH(ctx, kf, "rnn_steps_finish", 2, items, NULL, KARG(mask),
                                KARG(rmask), KARG(r->zh), KARG(r->dh0), KARG(B), KARG(T),
                                KARG(U));
}
