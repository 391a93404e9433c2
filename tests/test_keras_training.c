/*
 * test_keras_training.c - training parity with real Keras (tests/keras/golden/train_*,
 * written by tests/keras/make_golden.py with Keras 3 on JAX): Embedding(20,4) + LSTM(5) +
 * Dense(1, sigmoid), binary_crossentropy, from Keras's initial weights, the same 20 batches
 * of 4 in the same order through train_on_batch, with SGD (momentum 0.9), RMSprop and Adam.
 * Every step's loss (the batch's loss before its update, as Keras returns it) and the final
 * weights must match Keras's; and Keras's saved optimizer state (final.h5's
 * optimizer_weights) restored by clrnn carries training on as clrnn's own state does.
 *
 * Tolerances: losses to 1e-5 absolute, final weights to 1e-4 relative (of the largest
 * weight of the tensor, so that weights near 0 are not held to a relative bound they cannot
 * meet in float32). Both runs are float32 with other summation orders; over 20 steps the
 * differences grow from ~1e-7 to a few 1e-6. A wrong update rule, bias correction or
 * epsilon placement shows at 1e-3 or more. After the 5 steps taken from a restored state,
 * Adam, which divides by sqrt(v) + 1e-7 with v near 0 for some weights, magnifies the
 * differences to ~6e-4 (1e-3 allowed); a fresh state is off by 2 to 15. Then the seq2seq
 * encoder-decoder (two inputs, return_state into initial_state) with Adam, to the same
 * tolerances. Then Keras's class_weight and sample_weight (train_class_weight/,
 * train_sample_weight/ from make_golden_weighted.py): two epochs of fit, every batch's
 * running loss and the final weights, to the same tolerances; accuracy is not weighted.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clrnn_formats.h"
#include "clrnn_impl.h"
#include "test.h"

static clrnn_ctx *ctx;
static char golden[512];

/* The largest difference between the weights of m and want, relative to the largest weight
 * of each tensor. */
static double max_weight_difference(clrnn_model *m, clrnn_model *want) {
    size_t np = clrnn_model_param_count(m);
    float *got = malloc(np * 4), *ref = malloc(np * 4);
    CHECK(clrnn_model_get_params(m, got) == CLRNN_OK);
    CHECK(clrnn_model_get_params(want, ref) == CLRNN_OK);
    double worst_rel = 0;
    for (int w = 0; w < clrnn_model_weight_count(m); w++) {
        struct clrnn_weight_info wi;
        clrnn_model_weight(m, w, &wi);
        double scale = 0, diff = 0;
        for (size_t k = wi.offset; k < wi.offset + wi.count; k++) {
            scale = fmax(scale, fabs(ref[k]));
            diff = fmax(diff, fabs((double)got[k] - ref[k]));
        }
        double rel = diff / scale;
        if (!(rel <= worst_rel)) worst_rel = rel;
    }
    free(got), free(ref);
    return worst_rel;
}

/* Trains initial.h5 of tests/keras/golden/<dir> on its batches with the optimizer `opt`, or
 * with NULL the one the file records, against Keras's losses and final weights. */
static void run(const char *dir, const struct clrnn_optimizer_config *given) {
    char path[700], batches[700], final_path[700];
    snprintf(path, sizeof path, "%s/%s/initial.h5", golden, dir);
    snprintf(batches, sizeof batches, "%s/%s/batches.h5", golden, dir);
    snprintf(final_path, sizeof final_path, "%s/%s/final.h5", golden, dir);
    clrnn_model *m = NULL, *want = NULL;
    CHECK(clrnn_model_load(ctx, path, NULL, &m) == CLRNN_OK);
    CHECK(clrnn_model_load(ctx, final_path, NULL, &want) == CLRNN_OK);
    if (!m || !want) {
        printf("%s: %s\n", dir, clrnn_last_error());
        clrnn_model_free(m), clrnn_model_free(want);
        return;
    }
    struct clrnn_compile_config cc;
    memset(&cc, 0, sizeof cc);
    snprintf(cc.loss, sizeof cc.loss, "binary_crossentropy");
    if (given) cc.optimizer = *given;
    else CHECK(clrnn_model_compile_config(m, &cc)); /* as the file records it */
    struct clrnn_optimizer_config opt = cc.optimizer;
    CHECK(clrnn_model_compile(m, &cc) == CLRNN_OK);
    struct clrnn_array x, y, losses;
    CHECK(clrnn_fmt_data_read(batches, "x", &x) == CLRNN_OK);
    CHECK(clrnn_fmt_data_read(batches, "y", &y) == CLRNN_OK);
    CHECK(clrnn_fmt_data_read(batches, "losses", &losses) == CLRNN_OK);
    int steps = (int)x.dims[0], B = (int)x.dims[1];
    double worst_loss = 0;
    for (int i = 0; i < steps; i++) {
        struct clrnn_array xb, yb;
        int64_t xd[2] = {B, x.dims[2]}, yd[2] = {B, y.dims[2]};
        xb = (struct clrnn_array){CLRNN_DTYPE_INT32, 2, {xd[0], xd[1]},
                                  (int32_t *)x.data + (size_t)i * B * x.dims[2]};
        yb = (struct clrnn_array){CLRNN_DTYPE_FLOAT32, 2, {yd[0], yd[1]},
                                  (float *)y.data + (size_t)i * B * y.dims[2]};
        double loss = NAN;
        CHECK(clrnn_model_train_on_batch(m, &xb, 1, &yb, &loss) == CLRNN_OK);
        double d = fabs(loss - ((float *)losses.data)[i]);
        if (!(d <= worst_loss)) worst_loss = d;
    }
    size_t np = clrnn_model_param_count(m);
    float *got = malloc(np * 4), *ref = malloc(np * 4);
    double worst_rel = max_weight_difference(m, want);
    printf("%-20s %d steps: max |loss - keras| %.2e, max weight difference %.2e of the "
           "tensor's largest weight\n", dir, steps, worst_loss, worst_rel);
    CHECK(worst_loss <= 1e-5);
    CHECK(worst_rel <= 1e-4);

    /* Keras's optimizer state comes with final.h5: 5 more steps from Keras's file go where
     * 5 more steps of clrnn's own run go (a fresh state would not: momentum and Adam's bias
     * correction make the next steps differ by 1e-2 and more) */
    CHECK(clrnn_model_compile_config(want, &cc) && cc.optimizer.kind == opt.kind);
    clrnn_model *fresh = NULL; /* the control: Keras's weights, a new optimizer state */
    CHECK(clrnn_model_load(ctx, final_path, NULL, &fresh) == CLRNN_OK);
    CHECK(clrnn_model_compile(fresh, &cc) == CLRNN_OK);
    for (int i = 0; i < 5; i++) {
        struct clrnn_array xb = {CLRNN_DTYPE_INT32, 2, {B, x.dims[2]},
                                 (int32_t *)x.data + (size_t)i * B * x.dims[2]};
        struct clrnn_array yb = {CLRNN_DTYPE_FLOAT32, 2, {B, y.dims[2]},
                                 (float *)y.data + (size_t)i * B * y.dims[2]};
        CHECK(clrnn_model_train_on_batch(m, &xb, 1, &yb, NULL) == CLRNN_OK);
        CHECK(clrnn_model_train_on_batch(want, &xb, 1, &yb, NULL) == CLRNN_OK);
        CHECK(clrnn_model_train_on_batch(fresh, &xb, 1, &yb, NULL) == CLRNN_OK);
    }
    CHECK(clrnn_model_get_params(m, got) == CLRNN_OK);
    CHECK(clrnn_model_get_params(want, ref) == CLRNN_OK);
    float *ctl = malloc(np * 4);
    CHECK(clrnn_model_get_params(fresh, ctl) == CLRNN_OK);
    double worst_more = 0, worst_fresh = 0;
    for (size_t k = 0; k < np; k++) {
        worst_more = fmax(worst_more, fabs((double)got[k] - ref[k]) / (1e-3 + fabs(got[k])));
        worst_fresh = fmax(worst_fresh, fabs((double)got[k] - ctl[k]) / (1e-3 + fabs(got[k])));
    }
    printf("%-20s 5 more steps: from Keras's saved optimizer state %.2e from clrnn's own run, "
           "from a fresh state %.2e\n", dir, worst_more, worst_fresh);
    CHECK(worst_more <= 1e-3);
    CHECK(worst_fresh >= 10 * worst_more);
    free(ctl);
    clrnn_model_free(fresh);
    free(got), free(ref);
    clrnn_array_clear(&x), clrnn_array_clear(&y), clrnn_array_clear(&losses);
    clrnn_model_free(m), clrnn_model_free(want);
}

/* The seq2seq LSTM (two inputs, the encoder's states starting the decoder) trained by
 * Keras with Adam(0.01) on sparse_categorical_crossentropy (train_seq2seq/): the same
 * batches from Keras's initial weights give Keras's losses and final weights. */
static void run_seq2seq(void) {
    char path[700], batches[700], final_path[700];
    snprintf(path, sizeof path, "%s/train_seq2seq/initial.h5", golden);
    snprintf(batches, sizeof batches, "%s/train_seq2seq/batches.h5", golden);
    snprintf(final_path, sizeof final_path, "%s/train_seq2seq/final.h5", golden);
    clrnn_model *m = NULL, *want = NULL;
    CHECK(clrnn_model_load(ctx, path, NULL, &m) == CLRNN_OK);
    CHECK(clrnn_model_load(ctx, final_path, NULL, &want) == CLRNN_OK);
    struct clrnn_compile_config cc;
    CHECK(m && clrnn_model_compile_config(m, &cc) && cc.optimizer.kind == CLRNN_OPT_ADAM &&
          strcmp(cc.loss, "sparse_categorical_crossentropy") == 0);
    if (!m || !want) {
        printf("train_seq2seq: %s\n", clrnn_last_error());
        clrnn_model_free(m), clrnn_model_free(want);
        return;
    }
    struct clrnn_array x0, x1, y, losses;
    CHECK(clrnn_fmt_data_read(batches, "x0", &x0) == CLRNN_OK);
    CHECK(clrnn_fmt_data_read(batches, "x1", &x1) == CLRNN_OK);
    CHECK(clrnn_fmt_data_read(batches, "y", &y) == CLRNN_OK);
    CHECK(clrnn_fmt_data_read(batches, "losses", &losses) == CLRNN_OK);
    int steps = (int)x0.dims[0], B = (int)x0.dims[1];
    int64_t TE = x0.dims[2], TD = x1.dims[2];
    double worst_loss = 0;
    for (int i = 0; i < steps; i++) {
        struct clrnn_array xs[2] = {
            {CLRNN_DTYPE_INT32, 2, {B, TE}, (int32_t *)x0.data + (size_t)i * B * TE},
            {CLRNN_DTYPE_INT32, 2, {B, TD}, (int32_t *)x1.data + (size_t)i * B * TD}};
        struct clrnn_array yb = {CLRNN_DTYPE_INT32, 2, {B, TD}, (int32_t *)y.data + (size_t)i * B * TD};
        double loss = NAN;
        CHECK(clrnn_model_train_on_batch(m, xs, 2, &yb, &loss) == CLRNN_OK);
        double d = fabs(loss - ((float *)losses.data)[i]);
        if (!(d <= worst_loss)) worst_loss = d;
    }
    double worst_rel = max_weight_difference(m, want);
    printf("%-20s %d steps: max |loss - keras| %.2e, max weight difference %.2e of the "
           "tensor's largest weight\n", "train_seq2seq", steps, worst_loss, worst_rel);
    CHECK(worst_loss <= 1e-5);
    CHECK(worst_rel <= 1e-4);
    clrnn_array_clear(&x0), clrnn_array_clear(&x1), clrnn_array_clear(&y);
    clrnn_array_clear(&losses);
    clrnn_model_free(m), clrnn_model_free(want);
}

/* Keras's learning-rate schedules as its files record them (initial.h5's training_config:
 * Adam(ExponentialDecay(0.02, decay_steps=4, decay_rate=0.5)), SGD(CosineDecay(0.05,
 * decay_steps=15, alpha=0.1, warmup_target=0.2, warmup_steps=4), momentum=0.9)): read from
 * the file, each step's rate as Keras computes it, trained to Keras's losses and weights;
 * and Keras's saved state (iteration, no learning_rate variable) goes on as clrnn's own. */
static void schedules(void) {
    char path[700];
    snprintf(path, sizeof path, "%s/train_adam_exponential_decay/initial.h5", golden);
    clrnn_model *m = NULL;
    struct clrnn_compile_config cc;
    CHECK(clrnn_model_load(ctx, path, NULL, &m) == CLRNN_OK);
    CHECK(m && clrnn_model_compile_config(m, &cc));
    const struct clrnn_optimizer_config *o = &cc.optimizer;
    CHECK(o->kind == CLRNN_OPT_ADAM && o->schedule.kind == CLRNN_LR_EXPONENTIAL_DECAY);
    CHECK_NEAR(o->learning_rate, 0.02, 0);
    CHECK_NEAR(o->schedule.decay_steps, 4, 0);
    CHECK_NEAR(o->schedule.decay_rate, 0.5, 0);
    /* 0.02 * 0.5^(step / 4), in float32 */
    CHECK_NEAR(clrnn_optimizer_learning_rate_at(o, 0), 0.02, 1e-9);
    CHECK_NEAR(clrnn_optimizer_learning_rate_at(o, 6), 0.02 * pow(0.5, 1.5), 1e-9);
    CHECK_NEAR(clrnn_model_learning_rate(m), 0.02, 1e-9);
    CHECK(clrnn_model_set_learning_rate(m, 0.1) == CLRNN_E_INVALID_ARG); /* as Keras */
    clrnn_model_free(m);
    m = NULL;
    snprintf(path, sizeof path, "%s/train_sgd_cosine_decay/initial.h5", golden);
    CHECK(clrnn_model_load(ctx, path, NULL, &m) == CLRNN_OK);
    CHECK(m && clrnn_model_compile_config(m, &cc));
    CHECK(o->kind == CLRNN_OPT_SGD && o->schedule.kind == CLRNN_LR_COSINE_DECAY);
    CHECK_NEAR(o->schedule.warmup_steps, 4, 0);
    CHECK_NEAR(o->schedule.warmup_target, 0.2, 0);
    CHECK_NEAR(o->schedule.alpha, 0.1, 0);
    /* warmup: 0.05 -> 0.2 over 4 steps; then 0.2 down to 0.02 over 15; then flat */
    CHECK_NEAR(clrnn_optimizer_learning_rate_at(o, 2), 0.125, 1e-8);
    CHECK_NEAR(clrnn_optimizer_learning_rate_at(o, 4), 0.2, 1e-8);
    CHECK_NEAR(clrnn_optimizer_learning_rate_at(o, 4 + 7.5 * 0 + 15), 0.02, 1e-8);
    CHECK_NEAR(clrnn_optimizer_learning_rate_at(o, 100), 0.02, 1e-8);
    clrnn_model_free(m);
    run("train_adam_exponential_decay", NULL);
    run("train_sgd_cosine_decay", NULL);
}

/* What fit reports, batch by batch (running means) and epoch by epoch. */
struct fit_record {
    int batches, epochs;
    double batch_loss[64], batch_acc[64], epoch_loss[8], epoch_acc[8];
};
static int record_batch(const struct clrnn_progress *p, void *user) {
    struct fit_record *r = user;
    if (r->batches < 64)
        r->batch_loss[r->batches] = p->loss, r->batch_acc[r->batches++] = p->accuracy;
    return 0;
}
static int record_epoch(const struct clrnn_epoch_logs *l, void *user) {
    struct fit_record *r = user;
    if (r->epochs < 8) r->epoch_loss[r->epochs] = l->loss, r->epoch_acc[r->epochs++] = l->accuracy;
    return 0;
}

/* The largest difference between n values of got and the first n of the float32 dataset
 * `name` of file. */
static double worst_against(const char *file, const char *name, const double *got, int n) {
    struct clrnn_array want;
    if (clrnn_fmt_data_read(file, name, &want) != CLRNN_OK) return INFINITY;
    double worst = clrnn_array_count(&want) >= n ? 0 : INFINITY;
    for (int i = 0; i < n && worst < INFINITY; i++)
        worst = fmax(worst, fabs(got[i] - ((float *)want.data)[i]));
    clrnn_array_clear(&want);
    return worst;
}

/* fit(epochs=2, batch_size=4, shuffle=False) from Keras's initial.h5 with the class or sample
 * weights of batches.h5: the running loss after every batch, the epochs' losses (and the
 * weighted accuracy, where the file records it) and the final weights are Keras's. */
static void run_weighted(const char *dir) {
    char path[700], batches[700], final_path[700];
    snprintf(path, sizeof path, "%s/%s/initial.h5", golden, dir);
    snprintf(batches, sizeof batches, "%s/%s/batches.h5", golden, dir);
    snprintf(final_path, sizeof final_path, "%s/%s/final.h5", golden, dir);
    clrnn_model *m = NULL, *want = NULL;
    struct clrnn_compile_config cc;
    CHECK(clrnn_model_load(ctx, path, NULL, &m) == CLRNN_OK);
    CHECK(clrnn_model_load(ctx, final_path, NULL, &want) == CLRNN_OK);
    CHECK(m && clrnn_model_compile_config(m, &cc) && clrnn_model_compile(m, &cc) == CLRNN_OK);
    if (!m || !want) {
        printf("%s: %s\n", dir, clrnn_last_error());
        clrnn_model_free(m), clrnn_model_free(want);
        return;
    }
    struct clrnn_array x, y, sw = {0}, cw = {0};
    CHECK(clrnn_fmt_data_read(batches, "x", &x) == CLRNN_OK);
    CHECK(clrnn_fmt_data_read(batches, "y", &y) == CLRNN_OK);
    int has_sw = clrnn_fmt_data_read(batches, "sample_weight", &sw) == CLRNN_OK;
    int has_cw = clrnn_fmt_data_read(batches, "class_weight", &cw) == CLRNN_OK;
    CHECK(has_sw != has_cw);
    double class_weight[16];
    struct clrnn_fit_params p = clrnn_fit_params_default();
    p.epochs = 2, p.batch_size = 4, p.shuffle = 0, p.batch_interval = 0;
    struct fit_record r = {0};
    p.on_batch = record_batch, p.on_epoch = record_epoch, p.user = &r;
    if (has_sw) p.sample_weight = &sw;
    for (int c = 0; has_cw && c < clrnn_array_count(&cw) && c < 16; c++) {
        class_weight[c] = ((float *)cw.data)[c];
        p.class_weight = class_weight, p.class_weights = c + 1;
    }
    CHECK(clrnn_model_fit(m, &x, 1, &y, NULL, NULL, &p) == CLRNN_OK);
    double worst_batch = worst_against(batches, "batch_losses", r.batch_loss, r.batches);
    double worst_epoch = worst_against(batches, "epoch_losses", r.epoch_loss, r.epochs);
    double worst_acc = 0;
    if (has_sw) { /* Keras's evaluate with the weights at the initial weights */
        clrnn_model *first = NULL;
        struct clrnn_eval_result e;
        CHECK(clrnn_model_load(ctx, path, NULL, &first) == CLRNN_OK);
        CHECK(first && clrnn_model_compile(first, &cc) == CLRNN_OK);
        CHECK(first && clrnn_model_evaluate(first, &x, 1, &y, 4, &e) == CLRNN_OK);
        worst_acc = worst_against(batches, "initial_accuracy", &e.accuracy, 1);
        clrnn_model_free(first);
    }
    double worst_rel = max_weight_difference(m, want);
    printf("%-20s %d batches: max |loss - keras| %.2e (epochs %.2e), accuracy %.2e, max weight "
           "difference %.2e of the tensor's largest weight\n", dir, r.batches, worst_batch,
           worst_epoch, worst_acc, worst_rel);
    CHECK(r.batches == 12 && r.epochs == 2);
    CHECK(worst_batch <= 1e-5 && worst_epoch <= 1e-5);
    CHECK(worst_acc <= 1e-6); /* counts of rows: exact but for float32's rounding */
    CHECK(worst_rel <= 1e-4);

    /* train_on_batch with the first batch's weights from the same start: Keras's first
     * batch loss */
    if (has_sw) {
        clrnn_model *again = NULL;
        CHECK(clrnn_model_load(ctx, path, NULL, &again) == CLRNN_OK);
        CHECK(again && clrnn_model_compile(again, &cc) == CLRNN_OK);
        int64_t T = x.dims[1];
        struct clrnn_array xb = {CLRNN_DTYPE_INT32, 2, {4, T}, x.data};
        struct clrnn_array yb = {y.dtype, 2, {4, T}, y.data};
        struct clrnn_array wb = {CLRNN_DTYPE_FLOAT32, 2, {4, T}, sw.data};
        double loss = NAN;
        CHECK(again && clrnn_model_train_on_batch_weighted(again, &xb, 1, &yb, &wb, &loss) ==
              CLRNN_OK);
        CHECK(worst_against(batches, "batch_losses", &loss, 1) <= 1e-5);
        /* a weight per sample does not fit a sequence output (Keras refuses it too) */
        struct clrnn_array per_sample = {CLRNN_DTYPE_FLOAT32, 1, {4}, sw.data};
        CHECK(clrnn_model_train_on_batch_weighted(again, &xb, 1, &yb, &per_sample, NULL) ==
              CLRNN_E_SHAPE);
        clrnn_model_free(again);
    }
    clrnn_array_clear(&x), clrnn_array_clear(&y), clrnn_array_clear(&sw), clrnn_array_clear(&cw);
    clrnn_model_free(m), clrnn_model_free(want);
}

int main(void) {
    const char *data = getenv("CLRNN_TEST_DATA");
    snprintf(golden, sizeof golden, "%s/keras/golden", data ? data : "../../tests");
    clrnn_status s = clrnn_ctx_create(NULL, &ctx);
    if (s == CLRNN_E_NO_DEVICE) test_skip_no_device(clrnn_last_error());
    if (s) return fprintf(stderr, "%s\n", clrnn_last_error()), 1;
    /* the optimizers as make_golden.py configured them (MANIFEST.txt) */
    struct clrnn_optimizer_config sgd = clrnn_optimizer_default(CLRNN_OPT_SGD);
    sgd.learning_rate = 0.05;
    sgd.momentum = 0.9;
    run("train_sgd_momentum", &sgd);
    struct clrnn_optimizer_config rms = clrnn_optimizer_default(CLRNN_OPT_RMSPROP);
    rms.learning_rate = 0.01;
    run("train_rmsprop", &rms);
    struct clrnn_optimizer_config adam = clrnn_optimizer_default(CLRNN_OPT_ADAM);
    adam.learning_rate = 0.01;
    run("train_adam", &adam);
    schedules();
    run_seq2seq();
    run_weighted("train_class_weight");
    run_weighted("train_sample_weight");
    clrnn_ctx_free(ctx);
    TEST_MAIN_END();
}
