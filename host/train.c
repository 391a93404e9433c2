/*
 * train.c - compile, fit, evaluate, predict and train_on_batch.
 *
 * Per batch: upload x and y, forward, loss (its gradient and the per-batch sums of loss and
 * accuracy stay on the device, in one slot per batch), backward, optimizer step. The host
 * reads the sums only to report progress and at the end of an epoch.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "model_impl.h"

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

struct clrnn_fit_params clrnn_fit_params_default(void) {
    struct clrnn_fit_params p;
    memset(&p, 0, sizeof p);
    p.epochs = 1;
    p.batch_size = 32;
    p.shuffle = 1;
    p.batch_interval = 0.25;
    return p;
}

clrnn_status clrnn_model_compile(clrnn_model *m, const struct clrnn_compile_config *cfg) {
    clrnn_loss_kind k;
    clrnn_status s = clrnn_loss_parse(cfg->loss, &k);
    if (s) return s;
    const struct clrnn_shape *o = &m->layers[m->n_layers - 1]->out;
    if ((k == CLRNN_LOSS_CCE || k == CLRNN_LOSS_SPARSE_CCE) && clrnn_shape_last(o) < 2)
        return clrnn_fail(CLRNN_E_SHAPE, "loss %s needs an output with at least 2 classes; the "
                          "model's output has 1 (use binary_crossentropy)", cfg->loss);
    if (m->layers[m->n_layers - 1]->mask_out && o->rank != 2)
        return clrnn_fail(CLRNN_E_UNSUPPORTED, "the model's output %s carries a mask of "
                          "timesteps, but a loss weighted by it needs an output (batch, steps, "
                          "features)", clrnn_batch_shape_str(o, (char[96]){0}, 96));
    if ((s = clrnn_metrics_check(cfg->metrics, clrnn_loss_name(k)))) return s;
    struct clrnn_optim *opt;
    if ((s = clrnn_optim_create(m->ctx, &cfg->optimizer, m, &opt))) return s;
    clrnn_optim_free(m->optim);
    m->optim = opt;
    m->compile = *cfg;
    snprintf(m->compile.loss, sizeof m->compile.loss, "%s", clrnn_loss_name(k));
    m->compiled = 1;
    return CLRNN_OK;
}

clrnn_status clrnn_model_set_metrics(clrnn_model *m, unsigned metrics, int top_k) {
    if (!m->compiled) return clrnn_fail(CLRNN_E_INVALID_ARG, "the model is not compiled");
    if (top_k < 0) return clrnn_fail(CLRNN_E_INVALID_ARG, "top_k %d: must be at least 1", top_k);
    clrnn_status s = clrnn_metrics_check(metrics, m->compile.loss);
    if (s) return s;
    m->compile.metrics = metrics;
    m->compile.top_k = top_k;
    return CLRNN_OK;
}

int clrnn_model_compile_config(const clrnn_model *m, struct clrnn_compile_config *out) {
    if (m->compile.loss[0]) *out = m->compile;
    return m->compile.loss[0] != 0;
}

double clrnn_model_learning_rate(const clrnn_model *m) {
    if (!m->compiled || !m->optim) return NAN;
    return clrnn_optimizer_learning_rate_at(&m->compile.optimizer, clrnn_optim_iterations(m->optim));
}

clrnn_status clrnn_model_set_learning_rate(clrnn_model *m, double lr) {
    if (!m->compiled || !m->optim)
        return clrnn_fail(CLRNN_E_INVALID_ARG, "set the learning rate of a compiled model");
    if (m->compile.optimizer.schedule.kind != CLRNN_LR_CONSTANT)
        return clrnn_fail(CLRNN_E_INVALID_ARG, "the optimizer's learning rate follows a schedule "
                          "and cannot be set (as in Keras)");
    if (!(lr >= 0)) return clrnn_fail(CLRNN_E_INVALID_ARG, "learning rate %g: must not be negative", lr);
    clrnn_optim_restore_counters(m->optim, clrnn_optim_iterations(m->optim), lr);
    m->compile.optimizer.learning_rate = lr;
    return CLRNN_OK;
}

static int has_accuracy(clrnn_loss_kind k) { return k != CLRNN_LOSS_MSE; }

/* x is n_x arrays, one per model input (x[0] for a model of one input). */
static clrnn_status check_pair(clrnn_model *m, const struct clrnn_array *x, int n_x,
                               const struct clrnn_array *y, const char *what) {
    char name[32];
    snprintf(name, sizeof name, "%s x", what);
    clrnn_status s = clrnn_model_take_steps(m, x, n_x);
    if (!s) s = clrnn_model_check_inputs(m, x, n_x, name);
    if (s) return s;
    if (y->rank < 1 || y->dims[0] != x->dims[0])
        return clrnn_fail(CLRNN_E_SHAPE, "%s: x has %lld samples but y has %lld", what,
                          (long long)x->dims[0], (long long)(y->rank ? y->dims[0] : 0));
    clrnn_loss_kind k;
    if ((s = clrnn_loss_parse(m->compile.loss, &k))) return s;
    const struct clrnn_shape *o = &m->layers[m->n_layers - 1]->out;
    return clrnn_loss_check_targets(k, o->d, o->rank, y);
}

/* fit's sample and class weights checked; class weights made into sample weights in *cw */
static clrnn_status fit_sample_weights(clrnn_model *m, const struct clrnn_array *x,
                                       const struct clrnn_array *y,
                                       const struct clrnn_fit_params *p, struct clrnn_array *cw) {
    if (p->sample_weight && p->class_weights > 0)
        return clrnn_fail(CLRNN_E_INVALID_ARG, "give sample weights or class weights, not both "
                          "(as Keras)");
    if (p->sample_weight) return clrnn_sample_weight_check(m, p->sample_weight, x->dims[0],
                                                           "training data");
    if (p->class_weights > 0) return clrnn_class_sample_weights(m, y, p->class_weight,
                                                                p->class_weights, cw);
    return CLRNN_OK;
}

static clrnn_status ensure_metric_slots(clrnn_model *m, size_t slots) {
    if (slots <= m->metric_slots) return CLRNN_OK;
    clrnn_buf_release(&m->metric_dev);
    m->metric_slots = 0;
    clrnn_status s = clrnn_buf_create(m->ctx, slots * CLRNN_SLOT_FLOATS * sizeof(float),
                                      &m->metric_dev);
    if (!s) m->metric_slots = slots;
    return s;
}

/* One batch: upload, forward, loss into slot; with train also backward and an update. sw:
 * sample weights checked by clrnn_sample_weight_check, or NULL. */
static clrnn_status run_batch(clrnn_model *m, const struct clrnn_array *x, int n_x,
                              const struct clrnn_array *y, const struct clrnn_array *sw,
                              const int64_t *order, int64_t begin, int B, size_t slot,
                              int train) {
    clrnn_loss_kind k;
    clrnn_status s = clrnn_loss_parse(m->compile.loss, &k);
    /* training and validation data may differ in length (a model of unknown length) */
    if (!s) s = clrnn_model_take_steps(m, x, n_x);
    if (!s) s = clrnn_model_reserve(m, B);
    const struct clrnn_shape *o = &m->layers[m->n_layers - 1]->out;
    size_t cols = (size_t)clrnn_shape_last(o);
    size_t rows = (size_t)B * (size_t)(clrnn_shape_count(o) / (int64_t)cols);
    cl_mem pred;
    for (int i = 0; !s && i < n_x; i++) s = clrnn_model_upload_input(m, i, &x[i], order, begin, B);
    if (!s) s = clrnn_model_upload_rows(m, m->y_dev, y, order, begin, B, 1);
    if (!s && sw) s = clrnn_model_upload_rows(m, m->weight_dev, sw, order, begin, B, 0);
    if (!s) s = clrnn_model_forward_dev(m, B, train ? CLRNN_FWD_TRAIN : CLRNN_FWD_PREDICT, &pred);
    if (!s)
        s = clrnn_loss_run(m->ctx, k, m->compile.from_logits, pred, m->y_dev, m->dy_dev,
                           m->row_loss, m->row_acc, m->row_extra, m->compile.top_k, rows, cols,
                           m->out_mask, sw ? m->weight_dev : NULL, m->metric_dev, slot);
    if (!s && train) s = clrnn_model_backward_dev(m, B, NULL);
    if (!s && train) s = clrnn_optim_step(m->optim, m);
    return s;
}

/* Keras's loss and accuracy over the first n batches (slots) of batch_size rows out of
 * samples, read from the device: the loss of each batch (its sum over the rows that count,
 * divided by their number) averaged with the batch's samples as weights, as Keras's loss
 * tracker does; accuracy summed over the rows that count, divided by their number. */
static clrnn_status read_means(clrnn_model *m, size_t n, int batch_size, int64_t samples,
                               double *loss, double *acc, struct clrnn_metric_values *more) {
    enum { F = CLRNN_SLOT_FLOATS };
    float buf[256 * F];
    double loss_sum = 0, acc_sum = 0, counted = 0, extra[3] = {0, 0, 0};
    for (size_t done = 0; done < n;) {
        size_t chunk = n - done > 256 ? 256 : n - done;
        clrnn_status s = clrnn_buf_read(m->ctx, m->metric_dev, done * F * sizeof(float),
                                        chunk * F * sizeof(float), buf);
        if (s) return s;
        for (size_t i = 0; i < chunk; i++) {
            const float *slot = buf + F * i;
            int64_t start = (int64_t)(done + i) * batch_size;
            double B = (double)(samples - start < batch_size ? samples - start : batch_size);
            double rows = slot[CLRNN_SLOT_VALID];
            if (rows > 0) loss_sum += B * slot[CLRNN_SLOT_LOSS] / rows; /* none: loss 0 */
            acc_sum += slot[CLRNN_SLOT_ACC];
            counted += rows;
            for (int k = 0; k < 3; k++) extra[k] += slot[CLRNN_SLOT_EXTRA + k];
        }
        done += chunk;
    }
    *loss = samples > 0 ? loss_sum / (double)samples : 0;
    *acc = counted > 0 ? acc_sum / counted : 0;
    if (more) { /* Keras's Precision and Recall: 0 when nothing is predicted (or true) */
        memset(more, 0, sizeof *more);
        more->metrics = m->compile.metrics;
        more->sparse = strcmp(m->compile.loss, "sparse_categorical_crossentropy") == 0;
        more->top_k_accuracy = counted > 0 ? extra[0] / counted : 0;
        more->precision = extra[0] + extra[1] > 0 ? extra[0] / (extra[0] + extra[1]) : 0;
        more->recall = extra[0] + extra[2] > 0 ? extra[0] / (extra[0] + extra[2]) : 0;
    }
    return CLRNN_OK;
}

/* The first of the n batches (slots) whose loss is not finite, counting from 1; 0 when none
 * is or the device cannot say. */
static size_t first_bad_batch(clrnn_model *m, size_t n) {
    enum { F = CLRNN_SLOT_FLOATS };
    float buf[256 * F];
    for (size_t done = 0; done < n;) {
        size_t chunk = n - done > 256 ? 256 : n - done;
        if (clrnn_buf_read(m->ctx, m->metric_dev, done * F * sizeof(float),
                           chunk * F * sizeof(float), buf))
            return 0;
        for (size_t i = 0; i < chunk; i++)
            if (!isfinite(buf[F * i + CLRNN_SLOT_LOSS])) return done + i + 1;
        done += chunk;
    }
    return 0;
}

static clrnn_status evaluate_range(clrnn_model *m, const struct clrnn_array *x, int n_x,
                                   const struct clrnn_array *y, const struct clrnn_array *sw,
                                   int64_t begin, int64_t end, int batch_size, double *loss,
                                   double *acc, struct clrnn_metric_values *more) {
    int64_t n = end - begin;
    size_t batches = (size_t)((n + batch_size - 1) / batch_size);
    clrnn_status s = clrnn_model_reserve(m, (int)(n < batch_size ? n : batch_size));
    if (!s) s = ensure_metric_slots(m, batches);
    for (size_t b = 0; !s && b < batches; b++) {
        int64_t start = begin + (int64_t)b * batch_size;
        int B = (int)(end - start < batch_size ? end - start : batch_size);
        s = run_batch(m, x, n_x, y, sw, NULL, start, B, b, 0);
    }
    return s ? s : read_means(m, batches, batch_size, n, loss, acc, more);
}

/* evaluate_range with the batches shared by the processes of an exchange, their metrics
 * gathered in batch order (clrnn_exchange.gather). */
static clrnn_status evaluate_shared(clrnn_model *m, const struct clrnn_exchange *ex,
                                    const struct clrnn_array *x, int n_x,
                                    const struct clrnn_array *y, const struct clrnn_array *sw,
                                    int64_t begin, int64_t end, int batch_size, double *loss,
                                    double *acc, struct clrnn_metric_values *more) {
    enum { F = CLRNN_SLOT_FLOATS };
    int64_t n = end - begin, batches = (n + batch_size - 1) / batch_size;
    int64_t lo = batches * ex->rank / ex->ranks, hi = batches * (ex->rank + 1) / ex->ranks;
    float *metrics = clrnn_calloc((size_t)batches * F, sizeof(float));
    if (!metrics)
        return clrnn_fail(CLRNN_E_NOMEM, "out of memory for %lld batches", (long long)batches);
    clrnn_status s = clrnn_model_reserve(m, (int)(n < batch_size ? n : batch_size));
    if (!s) s = ensure_metric_slots(m, (size_t)batches);
    for (int64_t b = lo; !s && b < hi; b++) {
        int64_t start = begin + b * batch_size;
        int B = (int)(end - start < batch_size ? end - start : batch_size);
        s = run_batch(m, x, n_x, y, sw, NULL, start, B, (size_t)b, 0);
    }
    if (!s && hi > lo)
        s = clrnn_buf_read(m->ctx, m->metric_dev, (size_t)lo * F * sizeof(float),
                           (size_t)(hi - lo) * F * sizeof(float), metrics + lo * F);
    if (!s && ex->gather(ex->user, metrics, batches, F) < 0)
        s = clrnn_fail(CLRNN_E_INTERRUPTED, "gathering the validation metrics failed");
    if (!s)
        s = clrnn_buf_write(m->ctx, m->metric_dev, 0, (size_t)batches * F * sizeof(float),
                               metrics);
    clrnn_free(metrics);
    return s ? s : read_means(m, (size_t)batches, batch_size, n, loss, acc, more);
}

clrnn_status clrnn_model_evaluate(clrnn_model *m, const struct clrnn_array *x, int n_x,
                                  const struct clrnn_array *y, int batch_size,
                                  struct clrnn_eval_result *out) {
    if (!m->compiled)
        return clrnn_fail(CLRNN_E_INVALID_ARG, "the model is not compiled: it has no loss (give "
                          "--loss)");
    if (batch_size < 1) return clrnn_fail(CLRNN_E_INVALID_ARG, "batch size must be at least 1");
    clrnn_status s = check_pair(m, x, n_x, y, "evaluation data");
    if (s) return s;
    if (x->dims[0] < 1) return clrnn_fail(CLRNN_E_SHAPE, "evaluation data has no samples");
    double t0 = now_seconds(), loss, acc;
    struct clrnn_metric_values more;
    if ((s = evaluate_range(m, x, n_x, y, NULL, 0, x->dims[0], batch_size, &loss, &acc, &more)))
        return s;
    clrnn_loss_kind k;
    clrnn_loss_parse(m->compile.loss, &k);
    memset(out, 0, sizeof *out);
    out->loss = loss;
    out->accuracy = acc;
    out->has_accuracy = has_accuracy(k);
    out->more = more;
    out->samples = x->dims[0];
    out->seconds = now_seconds() - t0;
    return CLRNN_OK;
}

clrnn_status clrnn_model_predict(clrnn_model *m, const struct clrnn_array *xs, int n_x,
                                 int batch_size, struct clrnn_array *out) {
    if (batch_size < 1) return clrnn_fail(CLRNN_E_INVALID_ARG, "batch size must be at least 1");
    clrnn_status s = clrnn_model_take_steps(m, xs, n_x);
    if (!s) s = clrnn_model_check_inputs(m, xs, n_x, "x");
    if (s) return s;
    int64_t n = xs[0].dims[0];
    const struct clrnn_shape *o = &m->layers[m->n_layers - 1]->out;
    int64_t dims[5] = {n};
    for (int i = 0; i < o->rank; i++) dims[i + 1] = o->d[i];
    struct clrnn_array res;
    if ((s = clrnn_array_alloc(&res, CLRNN_DTYPE_FLOAT32, o->rank + 1, dims))) return s;
    size_t per = (size_t)clrnn_shape_count(o);
    s = clrnn_model_reserve(m, (int)(n < batch_size ? (n ? n : 1) : batch_size));
    for (int64_t start = 0; !s && start < n; start += batch_size) {
        int B = (int)(n - start < batch_size ? n - start : batch_size);
        cl_mem y;
        for (int k = 0; !s && k < n_x; k++) s = clrnn_model_upload_input(m, k, &xs[k], NULL, start, B);
        if (!s) s = clrnn_model_forward_dev(m, B, CLRNN_FWD_PREDICT, &y);
        if (!s)
            s = clrnn_buf_download(m->ctx, y, 0, (size_t)B * per * 4,
                                   (float *)res.data + (size_t)start * per);
    }
    if (!s)
        s = clrnn_downloads_wait(m->ctx);
    else
        clrnn_downloads_drain(m->ctx); /* res must outlive the reads into it */
    if (s) {
        clrnn_array_clear(&res);
        return s;
    }
    *out = res;
    return CLRNN_OK;
}

clrnn_status clrnn_model_train_on_batch(clrnn_model *m, const struct clrnn_array *x,
                                        int n_x, const struct clrnn_array *y,
                                        double *loss) {
    return clrnn_model_train_on_batch_weighted(m, x, n_x, y, NULL, loss);
}

clrnn_status clrnn_model_train_on_batch_weighted(clrnn_model *m, const struct clrnn_array *x,
                                                 int n_x, const struct clrnn_array *y,
                                                 const struct clrnn_array *sw, double *loss) {
    if (!m->compiled) return clrnn_fail(CLRNN_E_INVALID_ARG, "the model is not compiled");
    clrnn_status s = check_pair(m, x, n_x, y, "training data");
    if (!s && sw) s = clrnn_sample_weight_check(m, sw, x->dims[0], "training data");
    int B = (int)x->dims[0];
    if (!s && B < 1) s = clrnn_fail(CLRNN_E_SHAPE, "training batch has no samples");
    if (!s) s = clrnn_model_reserve(m, B);
    if (!s) s = ensure_metric_slots(m, 1);
    if (!s) s = run_batch(m, x, n_x, y, sw, NULL, 0, B, 0, 1);
    double mean_loss, acc;
    if (!s) s = read_means(m, 1, B, B, &mean_loss, &acc, NULL);
    if (!s && loss) *loss = mean_loss;
    return s;
}

clrnn_status clrnn_model_fit(clrnn_model *m, const struct clrnn_array *x, int n_x,
                             const struct clrnn_array *y, const struct clrnn_array *val_x,
                             const struct clrnn_array *val_y,
                             const struct clrnn_fit_params *p) {
    if (!m->compiled)
        return clrnn_fail(CLRNN_E_INVALID_ARG, "the model is not compiled: call "
                          "clrnn_model_compile first");
    if (p->batch_size < 1) return clrnn_fail(CLRNN_E_INVALID_ARG, "batch size must be at least 1");
    if (!(p->validation_split >= 0 && p->validation_split < 1))
        return clrnn_fail(CLRNN_E_INVALID_ARG, "validation_split must be in [0, 1)");
    if ((val_x == NULL) != (val_y == NULL))
        return clrnn_fail(CLRNN_E_INVALID_ARG, "give both validation x and y, or neither");
    clrnn_status s = check_pair(m, x, n_x, y, "training data");
    if (!s && val_x) s = check_pair(m, val_x, n_x, val_y, "validation data");
    if (s) return s;
    struct clrnn_array class_sw = {0};
    const struct clrnn_array *sw = p->sample_weight;
    if ((s = fit_sample_weights(m, x, y, p, &class_sw))) return s;
    if (p->class_weights > 0) sw = &class_sw;
    int64_t n = x->dims[0], n_train = n;
    const struct clrnn_array *vx = val_x, *vy = val_y;
    int64_t v_begin = 0, v_end = val_x ? val_x->dims[0] : 0;
    if (!val_x && p->validation_split > 0) {
        /* Keras: the last fraction, taken before shuffling */
        n_train = (int64_t)floor((double)n * (1.0 - p->validation_split));
        if (n_train < 1 || n_train >= n)
            return clrnn_fail(CLRNN_E_INVALID_ARG, "validation_split %g of %lld samples leaves "
                              "an empty training or validation set", p->validation_split,
                              (long long)n);
        vx = x;
        vy = y;
        v_begin = n_train;
        v_end = n;
    }
    if (n_train < 1) return clrnn_fail(CLRNN_E_SHAPE, "training data has no samples");
    int64_t *order = clrnn_malloc((size_t)n_train * sizeof *order);
    if (!order) {
        clrnn_array_clear(&class_sw);
        return clrnn_fail(CLRNN_E_NOMEM, "out of memory for %lld samples", (long long)n_train);
    }
    int bs = p->batch_size;
    size_t batches = (size_t)((n_train + bs - 1) / bs);
    s = clrnn_model_reserve(m, (int)(n_train < bs ? n_train : bs));
    if (!s) s = ensure_metric_slots(m, batches);
    clrnn_loss_kind k;
    if (!s) s = clrnn_loss_parse(m->compile.loss, &k);
    if (!s) s = clrnn_check_shards(m, p);
    int sharded = clrnn_grad_shards(p) > 1 || p->exchange;
    int stop = 0;
    for (int epoch = p->initial_epoch; !s && !stop && epoch < p->epochs; epoch++) {
        /* each epoch's shuffle and dropout masks depend on (seed, epoch) alone, so a run
         * resumed at an epoch draws what the uninterrupted run drew */
        clrnn_rng_seed(&m->rng, (p->seed ^ 0x5deece66dULL) + (uint64_t)epoch * 0x9e3779b97f4a7c15ULL);
        for (int64_t i = 0; i < n_train; i++) order[i] = i;
        if (p->shuffle) clrnn_rng_shuffle(&m->rng, order, n_train);
        double t0 = now_seconds(), last_report = t0;
        for (size_t b = 0; !s && b < batches; b++) {
            int64_t start = (int64_t)b * bs;
            int B = (int)(n_train - start < bs ? n_train - start : bs);
            int agreed_stop = 0; /* every process stops after this batch (the exchange) */
            if (sharded)
                s = clrnn_train_sharded(m, p, x, n_x, y, sw, order, start, B, b, epoch,
                                        (int64_t)b, &agreed_stop);
            else
                s = run_batch(m, x, n_x, y, sw, order, start, B, b, 1);
            if (s) s = clrnn_fail_context(s, "epoch %d, batch %zu", epoch + 1, b + 1);
            double t = now_seconds();
            int last = b + 1 == batches;
            if (!s && agreed_stop) {
                stop = 1;
                if (!last) s = clrnn_fail(CLRNN_E_INTERRUPTED, "training stopped during "
                                          "epoch %d, batch %zu", epoch + 1, b + 1);
            }
            if (!s && p->on_batch && (last || t - last_report >= p->batch_interval)) {
                double ls, as;
                struct clrnn_metric_values more;
                int64_t seen = start + B;
                if ((s = read_means(m, b + 1, bs, seen, &ls, &as, &more))) break;
                struct clrnn_progress pr = {epoch,          p->epochs, (int64_t)b + 1,
                                            (int64_t)batches, seen,    ls,
                                            as,             has_accuracy(k), t - t0, more};
                last_report = t;
                if (p->on_batch(&pr, p->user)) {
                    stop = 1;
                    if (!last) s = clrnn_fail(CLRNN_E_INTERRUPTED, "training stopped during "
                                              "epoch %d, batch %zu", epoch + 1, b + 1);
                }
            }
        }
        if (s) break;
        struct clrnn_epoch_logs logs;
        memset(&logs, 0, sizeof logs);
        logs.epoch = epoch;
        logs.epochs = p->epochs;
        if ((s = read_means(m, batches, bs, n_train, &logs.loss, &logs.accuracy, &logs.more)))
            break;
        logs.has_accuracy = has_accuracy(k);
        logs.samples = n_train;
        if (!isfinite(logs.loss)) {
            size_t bad = first_bad_batch(m, batches);
            s = clrnn_fail(CLRNN_E_NUMERIC, "the training loss became %g in epoch %d (first in "
                           "batch %zu of %zu); try a lower learning rate or --clipnorm",
                           logs.loss, epoch + 1, bad, batches);
            break;
        }
        if (vx && v_end > v_begin) {
            /* Keras: the split keeps its samples' weights; class weights train only */
            const struct clrnn_array *vsw = val_x ? NULL : p->sample_weight;
            if (p->exchange && p->exchange->gather)
                s = evaluate_shared(m, p->exchange, vx, n_x, vy, vsw, v_begin, v_end, bs,
                                    &logs.val_loss, &logs.val_accuracy, &logs.val_more);
            else
                s = evaluate_range(m, vx, n_x, vy, vsw, v_begin, v_end, bs, &logs.val_loss,
                                   &logs.val_accuracy, &logs.val_more);
            if (s) break;
            logs.has_val = 1;
            /* validation reused the slots; keep them sized for training */
        }
        if ((s = clrnn_ctx_finish(m->ctx))) {
            s = clrnn_fail_context(s, "end of epoch %d", epoch + 1);
            break;
        }
        logs.seconds = now_seconds() - t0;
        m->epochs_done = epoch + 1;
        if (p->on_epoch && p->on_epoch(&logs, p->user)) stop = 1;
    }
    if (!s) s = clrnn_buf_read(m->ctx, m->params, 0, m->n_params * sizeof(float), m->host_params);
    clrnn_free(order);
    clrnn_array_clear(&class_sw);
    return s;
}
