/*
 * test_masked_loss.c - a Keras mask that reaches the loss (Embedding(mask_zero=True) through
 * a recurrent layer with return_sequences to a per-timestep output), reduced as Keras does:
 * each batch's loss is sum(mask * loss) / sum(mask), the epoch's loss the mean of the batch
 * losses weighted by their samples (Keras's loss tracker), accuracy weighted by the mask.
 *  - evaluate() against the reference (tests/ref ref_loss_masked) on the model's own
 *    predictions, with pre-, post- and inner padding and an uneven last batch;
 *  - the targets at padded timesteps change nothing: not the loss, not one bit of the
 *    gradients of a training step;
 *  - a batch with nothing but padding has loss 0 and zero gradients, not NaN;
 *  - a tagging task (the tag of every real token, read from the token and the one before
 *    it) is learned through the masked loss to at least 0.98 masked accuracy.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clrnn_impl.h"
#include "numeric.h"
#include "ref.h"
#include "test.h"

enum { V = 12, T = 7, C = 3 };

static clrnn_ctx *ctx;

static clrnn_model *tagger(const char *optimizer, double lr) {
    int64_t in[1] = {T};
    clrnn_model *m = NULL;
    CHECK(clrnn_model_from_spec(ctx, "embedding(12,8,mask_zero=true) "
                                "lstm(16,return_sequences=true) dense(3,softmax)",
                                in, 1, CLRNN_DTYPE_INT32, 5, &m) == CLRNN_OK);
    struct clrnn_compile_config cc;
    memset(&cc, 0, sizeof cc);
    snprintf(cc.loss, sizeof cc.loss, "sparse_categorical_crossentropy");
    CHECK(clrnn_optimizer_from_name(optimizer, &cc.optimizer) == CLRNN_OK);
    cc.optimizer.learning_rate = lr;
    CHECK(clrnn_model_compile(m, &cc) == CLRNN_OK);
    return m;
}

/* Sequences of ids in [1, V) with zero padding before, after or inside (a masked step in the
 * middle, which Keras allows), and the tag of each real token: 0, 1 or 2 from the id and the
 * id of the real token before it. Targets at padded steps get garbage_tag. */
static void make_tagging(int64_t n, uint64_t seed, int garbage_tag, struct clrnn_array *x,
                         struct clrnn_array *y) {
    int64_t xd[2] = {n, T};
    clrnn_array_alloc(x, CLRNN_DTYPE_INT32, 2, xd);
    clrnn_array_alloc(y, CLRNN_DTYPE_INT32, 2, xd);
    int32_t *ids = x->data, *tags = y->data;
    uint64_t st = seed;
    for (int64_t s = 0; s < n; s++) {
        int len = 2 + (int)test_uniform(&st, 0, T - 2 + 0.999), pre = s % 3 == 0 ? T - len : 0;
        int hole = s % 5 == 1 ? pre + 1 : -1, prev = 0;
        for (int t = 0; t < T; t++) {
            int64_t i = s * T + t;
            int real = t >= pre && t < pre + len && t != hole;
            ids[i] = real ? 1 + (int)test_uniform(&st, 0, V - 1 - 1e-9) : 0;
            tags[i] = real ? (ids[i] + prev) % 3 : garbage_tag;
            if (real) prev = ids[i];
        }
    }
}

/* Keras's masked loss and accuracy over batches of bs, from the model's predictions. */
static void reference_metrics(clrnn_model *m, const struct clrnn_array *x,
                              const struct clrnn_array *y, int bs, double *loss, double *acc) {
    struct clrnn_array p;
    CHECK(clrnn_model_predict(m, x, 1, bs, &p) == CLRNN_OK);
    int64_t n = x->dims[0];
    double weighted = 0, hits = 0, valid = 0;
    for (int64_t start = 0; start < n; start += bs) {
        int B = (int)(n - start < bs ? n - start : bs), R = B * T;
        double *pd = test_to_double((const float *)p.data + start * T * C, (size_t)R * C);
        double *yd = malloc(sizeof *yd * (size_t)R), *mask = malloc(sizeof *mask * (size_t)R);
        double batch_valid = 0, batch_acc;
        for (int r = 0; r < R; r++) {
            yd[r] = ((const int32_t *)y->data)[start * T + r];
            mask[r] = ((const int32_t *)x->data)[start * T + r] != 0;
            batch_valid += mask[r];
        }
        weighted += B * ref_loss_masked(REF_LOSS_SPARSE_CCE, 0, pd, yd, mask, R, C, NULL,
                                        &batch_acc);
        hits += batch_acc * batch_valid;
        valid += batch_valid;
        free(pd), free(yd), free(mask);
    }
    *loss = weighted / (double)n;
    *acc = hits / valid;
    clrnn_array_clear(&p);
}

static void test_against_reference(void) {
    clrnn_model *m = tagger("adam", 0.01);
    struct clrnn_array x, y, x_same, y_other;
    make_tagging(11, 3, 0, &x, &y);
    make_tagging(11, 3, 2, &x_same, &y_other); /* the same x; other targets at padded steps */
    CHECK(memcmp(x.data, x_same.data, (size_t)clrnn_array_count(&x) * 4) == 0);
    clrnn_array_clear(&x_same);
    struct clrnn_eval_result r, r_other;
    double loss, acc;
    CHECK(clrnn_model_evaluate(m, &x, 1, &y, 4, &r) == CLRNN_OK); /* batches of 4, 4, 3 */
    reference_metrics(m, &x, &y, 4, &loss, &acc);
    printf("masked evaluate: loss %.7f (reference %.7f), accuracy %.4f (reference %.4f)\n",
           r.loss, loss, r.accuracy, acc);
    CHECK_NEAR(r.loss, loss, 1e-6 * (1 + loss));
    CHECK_NEAR(r.accuracy, acc, 1e-6);
    CHECK(clrnn_model_evaluate(m, &x, 1, &y_other, 4, &r_other) == CLRNN_OK);
    CHECK(r_other.loss == r.loss && r_other.accuracy == r.accuracy);

    /* one training step from the same weights: the padded targets make no difference */
    size_t np = clrnn_model_param_count(m);
    float *p0 = malloc(np * 4), *g1 = malloc(np * 4), *g2 = malloc(np * 4);
    CHECK(clrnn_model_get_params(m, p0) == CLRNN_OK);
    double l1, l2;
    CHECK(clrnn_model_train_on_batch(m, &x, 1, &y, &l1) == CLRNN_OK);
    CHECK(clrnn_model_get_grads(m, g1) == CLRNN_OK);
    CHECK(clrnn_model_set_params(m, p0) == CLRNN_OK);
    clrnn_model_free(m);
    m = tagger("adam", 0.01);
    CHECK(clrnn_model_set_params(m, p0) == CLRNN_OK);
    CHECK(clrnn_model_train_on_batch(m, &x, 1, &y_other, &l2) == CLRNN_OK);
    CHECK(clrnn_model_get_grads(m, g2) == CLRNN_OK);
    CHECK(l1 == l2);
    CHECK(memcmp(g1, g2, np * 4) == 0);
    reference_metrics(m, &x, &y, 11, &loss, &acc); /* after the step: just finite */
    CHECK(isfinite(loss));

    /* a batch of padding only: loss 0 and no gradient, not 0/0 */
    memset(x.data, 0, sizeof(int32_t) * 11 * T);
    double l0;
    CHECK(clrnn_model_train_on_batch(m, &x, 1, &y, &l0) == CLRNN_OK);
    CHECK(l0 == 0);
    CHECK(clrnn_model_get_grads(m, g1) == CLRNN_OK);
    size_t nonzero = 0;
    for (size_t i = 0; i < np; i++) nonzero += g1[i] != 0.0f;
    CHECK(nonzero == 0);
    free(p0), free(g1), free(g2);
    clrnn_array_clear(&x), clrnn_array_clear(&y), clrnn_array_clear(&y_other);
    clrnn_model_free(m);
}

static void test_learns_tagging(void) {
    clrnn_model *m = tagger("adam", 0.01);
    struct clrnn_array x, y, xt, yt;
    make_tagging(2000, 17, 1, &x, &y);
    make_tagging(400, 99, 1, &xt, &yt);
    struct clrnn_fit_params fp = clrnn_fit_params_default();
    fp.epochs = 25;
    fp.batch_size = 32;
    fp.seed = 4;
    CHECK(clrnn_model_fit(m, &x, 1, &y, NULL, NULL, &fp) == CLRNN_OK);
    struct clrnn_eval_result r;
    CHECK(clrnn_model_evaluate(m, &xt, 1, &yt, 64, &r) == CLRNN_OK);
    printf("tagging through the masked loss: test loss %.4f, masked accuracy %.4f\n", r.loss,
           r.accuracy);
    CHECK(r.accuracy >= 0.98);
    clrnn_array_clear(&x), clrnn_array_clear(&y), clrnn_array_clear(&xt), clrnn_array_clear(&yt);
    clrnn_model_free(m);
}

int main(void) {
    clrnn_status s = clrnn_ctx_create(NULL, &ctx);
    if (s == CLRNN_E_NO_DEVICE) test_skip_no_device(clrnn_last_error());
    if (s) return fprintf(stderr, "%s\n", clrnn_last_error()), 1;
    test_against_reference();
    if (!test_small()) test_learns_tagging(); /* training, not kernels: too slow simulated */
    clrnn_ctx_free(ctx);
    TEST_MAIN_END();
}
