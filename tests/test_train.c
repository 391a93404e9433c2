/*
 * test_train.c - the training loop: a step of train_on_batch equals the optimizer update
 * applied to the gradients of the loss (checked against the reference), fit with the same
 * seed repeats exactly and with another seed differs, validation_split takes the last
 * fraction before shuffling (the validation loss equals evaluate() on those rows), per-
 * timestep targets are averaged over every timestep, and bad data are refused clearly.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clrnn_impl.h"
#include "ref.h"
#include "test.h"

static clrnn_ctx *ctx;

static void make_data(struct clrnn_array *x, struct clrnn_array *y, int n, int T, int I,
                      int per_step, unsigned seed) {
    int64_t xd[3] = {n, T, I}, yd[3] = {n, per_step ? T : 1, 1};
    clrnn_array_alloc(x, CLRNN_DTYPE_FLOAT32, 3, xd);
    clrnn_array_alloc(y, CLRNN_DTYPE_FLOAT32, per_step ? 3 : 2, yd);
    srand(seed);
    float *xv = x->data, *yv = y->data;
    for (int i = 0; i < n * T * I; i++) xv[i] = (float)rand() / RAND_MAX - 0.5f;
    for (int s = 0; s < n; s++) {
        double sum = 0;
        for (int t = 0; t < T; t++) {
            sum += xv[(s * T + t) * I];
            if (per_step) yv[s * T + t] = sum > 0 ? 1.0f : 0.0f;
        }
        if (!per_step) yv[s] = sum > 0 ? 1.0f : 0.0f;
    }
}

static clrnn_model *model(const char *spec, int T, int I, uint64_t seed, const char *opt) {
    int64_t in[2] = {T, I};
    clrnn_model *m;
    if (clrnn_model_from_spec(ctx, spec, in, 2, CLRNN_DTYPE_FLOAT32, seed, &m)) {
        fprintf(stderr, "%s\n", clrnn_last_error());
        exit(1);
    }
    struct clrnn_compile_config cc;
    memset(&cc, 0, sizeof cc);
    snprintf(cc.loss, sizeof cc.loss, "binary_crossentropy");
    clrnn_optimizer_from_name(opt, &cc.optimizer);
    CHECK(clrnn_model_compile(m, &cc) == CLRNN_OK);
    return m;
}

/* train_on_batch with plain SGD: w' = w - lr * dL/dw, where dL/dw is the gradient the model
 * computes for the batch's BCE loss; and the loss it returns is the reference BCE of the
 * model's predictions. */
static void test_train_step(void) {
    int n = 6, T = 4, I = 2;
    struct clrnn_array x, y, pred;
    make_data(&x, &y, n, T, I, 0, 1);
    clrnn_model *m = model("simple_rnn(3) dense(1,sigmoid)", T, I, 2, "sgd");
    size_t np = clrnn_model_param_count(m);
    float *w0 = malloc(np * 4), *w1 = malloc(np * 4), *g = malloc(np * 4);
    clrnn_model_get_params(m, w0);
    CHECK(clrnn_model_forward(m, &x, 1, 0, &pred) == CLRNN_OK);
    double pd[6], yd[6];
    for (int i = 0; i < n; i++) {
        pd[i] = ((float *)pred.data)[i];
        yd[i] = ((float *)y.data)[i];
    }
    double dp[6];
    double want_loss = ref_loss_forward_backward(REF_LOSS_BCE, 0, pd, yd, n, 1, dp);
    double loss = -1;
    CHECK(clrnn_model_train_on_batch(m, &x, 1, &y, &loss) == CLRNN_OK);
    CHECK_NEAR(loss, want_loss, 1e-6);
    clrnn_model_get_grads(m, g);
    clrnn_model_get_params(m, w1);
    double worst = 0;
    for (size_t i = 0; i < np; i++) worst = fmax(worst, fabs((w0[i] - 0.01f * g[i]) - w1[i]));
    CHECK(worst < 1e-7);
    /* and the gradient is that of the loss: backward from dL/dpred gives the same */
    struct clrnn_array dy;
    int64_t dd[2] = {n, 1};
    clrnn_array_alloc(&dy, CLRNN_DTYPE_FLOAT32, 2, dd);
    for (int i = 0; i < n; i++) ((float *)dy.data)[i] = (float)dp[i];
    clrnn_model_set_params(m, w0);
    struct clrnn_array p2;
    clrnn_model_forward(m, &x, 1, 1, &p2);
    CHECK(clrnn_model_backward(m, &dy, NULL) == CLRNN_OK);
    float *g2 = malloc(np * 4);
    clrnn_model_get_grads(m, g2);
    worst = 0;
    for (size_t i = 0; i < np; i++) worst = fmax(worst, fabs(g2[i] - g[i]));
    printf("  train step: loss %.7f (reference %.7f), gradient difference %.3g\n", loss, want_loss, worst);
    CHECK(worst < 1e-6);
    free(w0), free(w1), free(g), free(g2);
    clrnn_array_clear(&x), clrnn_array_clear(&y), clrnn_array_clear(&pred);
    clrnn_array_clear(&dy), clrnn_array_clear(&p2);
    clrnn_model_free(m);
}

static int count_epochs(const struct clrnn_epoch_logs *l, void *user) {
    struct clrnn_epoch_logs *last = user;
    *last = *l;
    return 0;
}

static void test_fit_repeatable(void) {
    struct clrnn_array x, y;
    make_data(&x, &y, 100, 5, 2, 0, 3);
    float *p[3];
    struct clrnn_epoch_logs logs[3];
    for (int run = 0; run < 3; run++) {
        clrnn_model *m = model("simple_rnn(4) dense(1,sigmoid)", 5, 2, 7, "adam");
        struct clrnn_fit_params fp = clrnn_fit_params_default();
        fp.epochs = 3;
        fp.batch_size = 16;
        fp.seed = run == 2 ? 99 : 11;
        fp.validation_split = 0.2;
        fp.on_epoch = count_epochs;
        fp.user = &logs[run];
        CHECK(clrnn_model_fit(m, &x, 1, &y, NULL, NULL, &fp) == CLRNN_OK);
        size_t n = clrnn_model_param_count(m);
        p[run] = malloc(n * 4);
        clrnn_model_get_params(m, p[run]);
        if (run == 0) {
            CHECK_INT_EQ(logs[0].epoch, 2);
            CHECK_INT_EQ(logs[0].samples, 80);
            CHECK(logs[0].has_val && logs[0].has_accuracy);
            /* validation = the last 20 samples, before shuffling */
            struct clrnn_array vx, vy;
            clrnn_array_slice(&x, 80, 100, &vx);
            clrnn_array_slice(&y, 80, 100, &vy);
            struct clrnn_eval_result r;
            CHECK(clrnn_model_evaluate(m, &vx, 1, &vy, 7, &r) == CLRNN_OK);
            CHECK_NEAR(r.loss, logs[0].val_loss, 1e-6);
            CHECK_NEAR(r.accuracy, logs[0].val_accuracy, 1e-9);
            CHECK_INT_EQ(r.samples, 20);
            clrnn_array_clear(&vx);
            clrnn_array_clear(&vy);
        }
        if (run < 2) {
            CHECK(memcmp(p[0], p[run], n * 4) == 0);
        } else {
            CHECK(memcmp(p[0], p[run], n * 4) != 0);
        }
        clrnn_model_free(m);
    }
    CHECK(logs[0].loss == logs[1].loss);
    for (int i = 0; i < 3; i++) free(p[i]);
    clrnn_array_clear(&x), clrnn_array_clear(&y);
}

/* Per-timestep targets: the loss is the mean over all N*T rows. */
static void test_per_timestep(void) {
    int n = 9, T = 6, I = 2;
    struct clrnn_array x, y, pred;
    make_data(&x, &y, n, T, I, 1, 4);
    clrnn_model *m = model("simple_rnn(5,return_sequences=true) dense(1,sigmoid)", T, I, 3, "adam");
    CHECK(clrnn_model_predict(m, &x, 1, 4, &pred) == CLRNN_OK);
    CHECK_INT_EQ(pred.rank, 3);
    double *pd = malloc((size_t)n * T * sizeof *pd), *yd = malloc((size_t)n * T * sizeof *yd);
    for (int i = 0; i < n * T; i++) {
        pd[i] = ((float *)pred.data)[i];
        yd[i] = ((float *)y.data)[i];
    }
    struct clrnn_eval_result r;
    CHECK(clrnn_model_evaluate(m, &x, 1, &y, 4, &r) == CLRNN_OK);
    CHECK_NEAR(r.loss, ref_loss_forward_backward(REF_LOSS_BCE, 0, pd, yd, n * T, 1, NULL), 1e-6);
    CHECK_NEAR(r.accuracy, ref_accuracy(REF_LOSS_BCE, 0, pd, yd, n * T, 1), 1e-9);
    free(pd), free(yd);
    clrnn_array_clear(&x), clrnn_array_clear(&y), clrnn_array_clear(&pred);
    clrnn_model_free(m);
}

static void test_bad_data(void) {
    struct clrnn_array x, y, y2;
    make_data(&x, &y, 10, 5, 2, 0, 5);
    clrnn_model *m = model("simple_rnn(4) dense(1,sigmoid)", 5, 3, 1, "adam");
    struct clrnn_fit_params fp = clrnn_fit_params_default();
    CHECK(clrnn_model_fit(m, &x, 1, &y, NULL, NULL, &fp) == CLRNN_E_SHAPE);
    CHECK_STR_CONTAINS(clrnn_last_error(), "training data x has shape (None, 5, 2) per batch, but "
                       "the model expects input (None, 5, 3)");
    clrnn_model_free(m);
    m = model("simple_rnn(4) dense(2,softmax)", 5, 2, 1, "adam");
    CHECK(clrnn_model_fit(m, &x, 1, &y, NULL, NULL, &fp) == CLRNN_E_SHAPE);
    CHECK_STR_CONTAINS(clrnn_last_error(), "targets y have shape (None, 1) but the model output is (None, 2)");
    clrnn_array_slice(&y, 0, 9, &y2);
    clrnn_model_free(m);
    m = model("simple_rnn(4) dense(1,sigmoid)", 5, 2, 1, "adam");
    CHECK(clrnn_model_fit(m, &x, 1, &y2, NULL, NULL, &fp) == CLRNN_E_SHAPE);
    CHECK_STR_CONTAINS(clrnn_last_error(), "x has 10 samples but y has 9");
    fp.validation_split = 0.95;
    CHECK(clrnn_model_fit(m, &x, 1, &y, NULL, NULL, &fp) == CLRNN_E_INVALID_ARG);
    CHECK_STR_CONTAINS(clrnn_last_error(), "empty training or validation set");
    clrnn_model_free(m);
    clrnn_array_clear(&x), clrnn_array_clear(&y), clrnn_array_clear(&y2);
}

int main(void) {
    clrnn_status s = clrnn_ctx_create(NULL, &ctx);
    if (s == CLRNN_E_NO_DEVICE) test_skip_no_device(clrnn_last_error());
    if (s) return fprintf(stderr, "%s\n", clrnn_last_error()), 1;
    test_train_step();
    test_fit_repeatable();
    test_per_timestep();
    test_bad_data();
    clrnn_ctx_free(ctx);
    TEST_MAIN_END();
}
