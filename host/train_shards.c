/*
 * train_shards.c - one training batch cut into gradient shards (clrnn_fit_params.grad_shards),
 * the shards of this process trained one after another and their gradients summed in shard
 * order, here or across processes through a clrnn_exchange.
 *
 * What makes the result independent of the number of processes: a shard's rows, dropout
 * masks (every shard draws the seeds the whole batch would, from the same generator state,
 * and takes the mask at its rows' index in the whole batch: the masks of the unsharded
 * batch) and gradient are the same whichever process trains it, and the sum runs over the
 * shards in one fixed order. A shard's gradient comes from the loss kernels scaled by its own
 * rows (or unmasked steps); it is multiplied back by them before the sum, and the sum divided
 * by the whole batch's, which every process knows only after the exchange.
 */
#include <string.h>

#include "model_impl.h"

static int64_t shard_begin(int s, int S, int B) { return (int64_t)s * B / S; }

/* The shard's gradient times its rows counted, then its metric sums, into v (count floats);
 * zeros for an empty shard. */
static clrnn_status train_one_shard(clrnn_model *m, const struct clrnn_array *x, int n_x,
                                    const struct clrnn_array *y, const struct clrnn_array *sw,
                                    const int64_t *order, int64_t begin, int64_t row0,
                                    int rows, size_t slot, const clrnn_rng *batch_rng,
                                    float *v) {
    enum { F = CLRNN_SLOT_FLOATS };
    size_t P = m->n_params;
    memset(v, 0, (P + F) * sizeof(float));
    if (rows == 0) return CLRNN_OK;
    clrnn_loss_kind k;
    clrnn_status s = clrnn_loss_parse(m->compile.loss, &k);
    const struct clrnn_shape *o = &m->layers[m->n_layers - 1]->out;
    size_t cols = (size_t)clrnn_shape_last(o);
    size_t out_rows = (size_t)rows * (size_t)(clrnn_shape_count(o) / (int64_t)cols);
    m->rng = *batch_rng; /* every shard draws the whole batch's dropout seeds */
    m->row0 = row0;
    cl_mem pred;
    for (int i = 0; !s && i < n_x; i++)
        s = clrnn_model_upload_input(m, i, &x[i], order, begin + row0, rows);
    if (!s) s = clrnn_model_upload_rows(m, m->y_dev, y, order, begin + row0, rows, 1);
    if (!s && sw) s = clrnn_model_upload_rows(m, m->weight_dev, sw, order, begin + row0, rows, 0);
    if (!s) s = clrnn_model_forward_dev(m, rows, CLRNN_FWD_TRAIN, &pred);
    if (!s)
        s = clrnn_loss_run(m->ctx, k, m->compile.from_logits, pred, m->y_dev, m->dy_dev,
                           m->row_loss, m->row_acc, m->row_extra, m->compile.top_k, out_rows,
                           cols, m->out_mask, sw ? m->weight_dev : NULL, m->metric_dev, slot);
    if (!s) s = clrnn_model_backward_dev(m, rows, NULL);
    if (!s) s = clrnn_buf_read(m->ctx, m->grads, 0, P * sizeof(float), v);
    if (!s)
        s = clrnn_buf_read(m->ctx, m->metric_dev, slot * F * sizeof(float), F * sizeof(float),
                           v + P);
    m->row0 = 0;
    if (s) return s;
    float counted = v[P + CLRNN_SLOT_VALID];
    for (size_t i = 0; i < P; i++) v[i] *= counted;
    return CLRNN_OK;
}

clrnn_status clrnn_train_sharded(clrnn_model *m, const struct clrnn_fit_params *p,
                                 const struct clrnn_array *x, int n_x, const struct clrnn_array *y,
                                 const struct clrnn_array *sw, const int64_t *order, int64_t begin, int B, size_t slot,
                                 int epoch, int64_t batch, int *stop) {
    const struct clrnn_exchange *ex = p->exchange;
    int ranks = ex ? ex->ranks : 1, rank = ex ? ex->rank : 0;
    int S = clrnn_grad_shards(p);
    int first = rank * (S / ranks), n_local = S / ranks;
    enum { F = CLRNN_SLOT_FLOATS };
    size_t P = m->n_params, count = P + F;
    float *local = clrnn_malloc((size_t)n_local * count * sizeof(float));
    float *sum = clrnn_malloc(count * sizeof(float));
    if (!local || !sum) {
        clrnn_free(local);
        clrnn_free(sum);
        return clrnn_fail(CLRNN_E_NOMEM, "out of memory for %d gradient shards", n_local);
    }
    clrnn_rng batch_rng = m->rng;
    clrnn_status s = CLRNN_OK;
    int ran = 0;
    for (int j = 0; !s && j < n_local; j++) {
        int sh = first + j;
        int64_t lo = shard_begin(sh, S, B), hi = shard_begin(sh + 1, S, B);
        s = train_one_shard(m, x, n_x, y, sw, order, begin, lo, (int)(hi - lo), slot,
                            &batch_rng, local + (size_t)j * count);
        ran |= hi > lo;
    }
    if (!s && !ran) {
        /* only empty shards here: a forward pass over one row moves the generator past this
         * batch's draws, as the other processes' passes do */
        cl_mem ignored;
        m->rng = batch_rng;
        for (int i = 0; !s && i < n_x; i++)
            s = clrnn_model_upload_input(m, i, &x[i], order, begin, 1);
        if (!s) s = clrnn_model_forward_dev(m, 1, CLRNN_FWD_TRAIN, &ignored);
    }
    if (!s && ex) {
        int rc = ex->reduce(ex->user, epoch, batch, local, n_local, count, sum);
        if (rc < 0) s = clrnn_fail(CLRNN_E_INTERRUPTED, "the gradient exchange failed");
        if (rc > 0) *stop = 1;
    } else if (!s) {
        memcpy(sum, local, count * sizeof(float));
        for (int j = 1; j < n_local; j++)
            for (size_t i = 0; i < count; i++) sum[i] += local[(size_t)j * count + i];
    }
    if (!s) {
        float counted = sum[P + CLRNN_SLOT_VALID];
        for (size_t i = 0; i < P; i++) sum[i] = counted > 0 ? sum[i] / counted : 0.0f;
        s = clrnn_buf_write(m->ctx, m->grads, 0, P * sizeof(float), sum);
    }
    if (!s)
        s = clrnn_buf_write(m->ctx, m->metric_dev, slot * F * sizeof(float), F * sizeof(float),
                            sum + P);
    if (!s) s = clrnn_optim_step(m->optim, m);
    clrnn_free(local);
    clrnn_free(sum);
    return s;
}

int clrnn_grad_shards(const struct clrnn_fit_params *p) {
    if (p->grad_shards > 0) return p->grad_shards;
    return p->exchange ? p->exchange->ranks : 1;
}

clrnn_status clrnn_check_shards(const clrnn_model *m, const struct clrnn_fit_params *p) {
    const struct clrnn_exchange *ex = p->exchange;
    int S = clrnn_grad_shards(p);
    if (p->grad_shards < 0)
        return clrnn_fail(CLRNN_E_INVALID_ARG, "grad_shards %d: must be at least 1",
                          p->grad_shards);
    if (ex && (ex->ranks < 1 || ex->rank < 0 || ex->rank >= ex->ranks || !ex->reduce))
        return clrnn_fail(CLRNN_E_INVALID_ARG, "exchange: rank %d of %d ranks, or no reduce",
                          ex->rank, ex->ranks);
    if (ex && S % ex->ranks)
        return clrnn_fail(CLRNN_E_INVALID_ARG, "%d gradient shards cannot be shared by %d "
                          "processes: give a multiple of %d", S, ex->ranks, ex->ranks);
    if (S > 1 || (ex && ex->ranks > 1))
        for (int i = 0; i < m->n_layers; i++)
            if (m->layers[i]->stateful)
                return clrnn_fail(CLRNN_E_UNSUPPORTED, "layer '%s' is stateful: its state runs "
                                  "from batch to batch row by row, which gradient shards and "
                                  "several processes would cut", m->layers[i]->name);
    return CLRNN_OK;
}
