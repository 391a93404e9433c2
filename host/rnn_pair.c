/*
 * rnn_pair.c - a Bidirectional layer's two recurrent layers run as one launch: the forward
 * and the backward layer have the same cell and options but for their direction, so one
 * program (RNN_PAIR, cl/rnn_common.cl) runs both, the second layer in a second row of
 * work-groups. On a GPU each direction alone leaves most compute units idle at the batch
 * sizes of text models (a work-group per slice of the batch); together they fill twice as
 * many and pay one launch. Each layer still computes exactly what its own launch would, in
 * the same order, so outputs and gradients are the same bits (test_bidirectional).
 *
 * The layers run apart where they cannot share a kernel: either on the per-step path, a
 * choice of the kernel still being tuned (the first pass; the backward layer then takes the
 * forward layer's choice, as the two run the same code), different options (a hand-made
 * backward_layer), or CLRNN_BIDIRECTIONAL=separate.
 */
#include <stdlib.h>
#include <string.h>

#include "clrnn_impl.h"
#include "layer_rnn.h"

/* Whether the two layers run the same kernel, with the same build options and launch shape,
 * in opposite directions. */
static int same_kernel(const clrnn_ctx *ctx, const struct clrnn_layer *la,
                       const struct clrnn_layer *lb) {
    const struct rnn_cfg *a = la->cfg, *b = lb->cfg;
    if (!ctx->opts.pair_kernels) return 0;
    if (a->steps || b->steps || clrnn_rnn_tunes_forward(la) || clrnn_rnn_tunes_forward(lb))
        return 0;
    return a->cell == b->cell && a->units == b->units &&
           a->act == b->act && a->rec_act == b->rec_act && a->use_bias == b->use_bias &&
           a->return_sequences == b->return_sequences && a->return_state == b->return_state &&
           a->zero_output_for_mask == b->zero_output_for_mask &&
           a->go_backwards != b->go_backwards && a->rec_dropped == b->rec_dropped &&
           la->mask_in == lb->mask_in && la->in_mask == lb->in_mask &&
           la->in.d[0] == lb->in.d[0] && a->rows_variant == b->rows_variant &&
           a->rows_per_item == b->rows_per_item && a->group_rows == b->group_rows &&
           a->r_onchip == b->r_onchip &&
           a->emb == b->emb && a->tokens_pass == b->tokens_pass &&
           a->tokens_distinct == b->tokens_distinct && a->tokens_direct == b->tokens_direct &&
           a->step_rows == b->step_rows;
}

/* The backward layer takes the forward layer's tuned choices where it has none yet and runs
 * the same code (a hand-made backward_layer of another cell or size tunes its own). */
static void share_tuning(struct clrnn_layer *to, const struct clrnn_layer *from) {
    struct rnn_cfg *t = to->cfg;
    const struct rnn_cfg *f = from->cfg;
    if (t->cell != f->cell || t->units != f->units ||
        t->act != f->act || t->rec_act != f->rec_act || t->steps != f->steps)
        return;
    if (!t->rows_tuned && f->rows_tuned && t->rows_variant == f->rows_variant) {
        t->rows_per_item = f->rows_per_item;
        t->group_rows = f->group_rows;
        t->rows_tuned = 1;
    }
    if (!t->r_place_fixed && f->r_place_fixed && t->r_onchip && !t->rows_variant) {
        t->r_onchip = f->r_onchip;
        t->r_place_fixed = 1;
    }
    if (!t->tokens_tuned && f->tokens_tuned) {
        t->tokens_direct = f->tokens_direct;
        t->tokens_tuned = 1;
    }
}

clrnn_status clrnn_rnn_forward_pair(struct clrnn_layer *a, struct clrnn_layer *b,
                                    const struct clrnn_pass *p, cl_mem x) {
    clrnn_status s = clrnn_rnn_prepare_forward(a, p, x);
    if (!s) s = clrnn_rnn_prepare_forward(b, p, x);
    if (!s && same_kernel(p->ctx, a, b)) {
        s = clrnn_rnn_launch_forward(a, b, p);
    } else if (!s) {
        s = clrnn_rnn_run_forward(a, p);
        share_tuning(b, a);
        if (!s) s = clrnn_rnn_run_forward(b, p);
    }
    if (!s) s = clrnn_rnn_keep_state(a, p->ctx, p->B);
    return s ? s : clrnn_rnn_keep_state(b, p->ctx, p->B);
}

clrnn_status clrnn_rnn_backward_pair(struct clrnn_layer *a, struct clrnn_layer *b,
                                     const struct clrnn_pass *p, cl_mem x, cl_mem dya,
                                     cl_mem dyb, cl_mem dxa, cl_mem dxb) {
    clrnn_status s;
    if (!same_kernel(p->ctx, a, b)) {
        s = a->ops->backward(a, p, x, dya, dxa);
        return s ? s : b->ops->backward(b, p, x, dyb, dxb);
    }
    s = clrnn_rnn_launch_backward(a, b, p, dya, dyb);
    if (!s) s = clrnn_rnn_backward_weights(a, p, x, dxa);
    return s ? s : clrnn_rnn_backward_weights(b, p, x, dxb);
}
