/*
 * test_grad_shards.c - gradient shards (clrnn_fit_params.grad_shards, host/train_shards.c):
 * the gradient of one batch trained in S shards is the unsharded batch's up to rounding
 * (within 1e-5 of the largest gradient; the issue measured 4e-7 relative for half + half on
 * the CPU forms), with dropout (the shards draw the unsharded batch's masks: other masks
 * would move it by far more), with a shard left empty, and through a Keras mask that reaches
 * the loss (divided by the whole batch's unmasked steps, not each shard's); and an exchange
 * gets the shards in order and its sum is what the step uses. Stateful layers are refused.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clrnn.h"
#include "model_impl.h"
#include "numeric.h"
#include "test.h"

enum { T = 5, F = 3, V = 9 };

static clrnn_ctx *ctx;

/* A model whose weights a step does not move (SGD at rate 0): its gradients stay readable. */
static clrnn_model *make(const char *spec, int tokens, const char *loss) {
    int64_t in[2] = {T, F};
    clrnn_model *m = NULL;
    CHECK(clrnn_model_from_spec(ctx, spec, in, tokens ? 1 : 2,
                                tokens ? CLRNN_DTYPE_INT32 : CLRNN_DTYPE_FLOAT32, 7, &m) == CLRNN_OK);
    struct clrnn_compile_config cc;
    memset(&cc, 0, sizeof cc);
    snprintf(cc.loss, sizeof cc.loss, "%s", loss);
    cc.optimizer = clrnn_optimizer_default(CLRNN_OPT_SGD);
    cc.optimizer.learning_rate = 0;
    CHECK(clrnn_model_compile(m, &cc) == CLRNN_OK);
    return m;
}

/* One epoch of one batch of all n rows, in S shards, with sample weights sw or none; the
 * gradient into g. */
static double grads_of(clrnn_model *m, const struct clrnn_array *x, const struct clrnn_array *y,
                       const struct clrnn_array *sw, int S, const struct clrnn_exchange *ex,
                       float *g) {
    struct clrnn_fit_params fp = clrnn_fit_params_default();
    fp.batch_size = (int)x->dims[0];
    fp.shuffle = 0;
    fp.seed = 11;
    fp.grad_shards = S;
    fp.exchange = ex;
    fp.sample_weight = sw;
    struct clrnn_eval_result r;
    CHECK(clrnn_model_fit(m, x, 1, y, NULL, NULL, &fp) == CLRNN_OK);
    CHECK(clrnn_model_get_grads(m, g) == CLRNN_OK);
    CHECK(clrnn_model_evaluate(m, x, 1, y, 64, &r) == CLRNN_OK);
    return r.loss;
}

static void check_close(const char *what, const float *a, const float *b, size_t n) {
    double top = 0, worst = 0;
    for (size_t i = 0; i < n; i++) {
        if (fabs(b[i]) > top) top = fabs(b[i]);
        if (fabs(a[i] - b[i]) > worst) worst = fabs(a[i] - b[i]);
    }
    printf("  %-44s largest gradient %.3g, largest difference %.3g\n", what, top, worst);
    CHECK(top > 0);
    CHECK(worst <= 1e-5 * top);
}

static void sharded_equals_whole(const char *spec, int tokens, const char *loss, int n, int S,
                                 int weighted) {
    struct clrnn_array x, y, sw;
    int per_step = tokens; /* the masked model tags every step */
    int64_t xd[3] = {n, T, F}, yd[2] = {n, per_step ? T : 1};
    clrnn_array_alloc(&x, tokens ? CLRNN_DTYPE_INT32 : CLRNN_DTYPE_FLOAT32, tokens ? 2 : 3, xd);
    clrnn_array_alloc(&y, per_step ? CLRNN_DTYPE_INT32 : CLRNN_DTYPE_FLOAT32, 2, yd);
    uint64_t st = 3;
    for (int64_t i = 0; i < clrnn_array_count(&x); i++) {
        if (tokens) /* pre-padding of 0 to 3 steps: the rows count differently in the loss */
            ((int32_t *)x.data)[i] = (int)(i % T) < (int)((i / T) % 4)
                                         ? 0 : 1 + (int)test_uniform(&st, 0, V - 1.001);
        else
            ((float *)x.data)[i] = (float)test_uniform(&st, -1, 1);
    }
    for (int64_t i = 0; i < clrnn_array_count(&y); i++) {
        if (per_step) ((int32_t *)y.data)[i] = (int)(i % 2);
        else ((float *)y.data)[i] = (float)(i % 2);
    }
    /* per-sample weights (per step for per-step targets), 0 to 2.5: they scale the rows'
     * losses, not the divisor, which the shards must keep */
    int64_t swd[2] = {n, T};
    clrnn_array_alloc(&sw, CLRNN_DTYPE_FLOAT32, per_step ? 2 : 1, swd);
    for (int64_t i = 0; i < clrnn_array_count(&sw); i++)
        ((float *)sw.data)[i] = 0.5f * (float)(i % 6);
    const struct clrnn_array *w = weighted ? &sw : NULL;
    clrnn_model *whole = make(spec, tokens, loss), *sharded = make(spec, tokens, loss);
    size_t P = clrnn_model_param_count(whole);
    float *a = malloc(P * sizeof *a), *b = malloc(P * sizeof *b);
    double la = grads_of(sharded, &x, &y, w, S, NULL, a);
    double lb = grads_of(whole, &x, &y, w, 1, NULL, b);
    char what[96];
    snprintf(what, sizeof what, "%d rows in %d shards%s: %.28s", n, S,
             weighted ? ", weighted" : "", spec);
    check_close(what, a, b, P);
    CHECK_NEAR(la, lb, 1e-6);
    free(a), free(b);
    clrnn_model_free(whole), clrnn_model_free(sharded);
    clrnn_array_clear(&x), clrnn_array_clear(&y), clrnn_array_clear(&sw);
}

/* An exchange of one process: it gets all S shards, which it sums in order itself. */
struct seen {
    int calls, n_local;
    size_t count;
    double counted;
};
static int sum_in_order(void *user, int epoch, int64_t batch, const float *local, int n_local,
                        size_t count, float *sum) {
    struct seen *s = user;
    (void)epoch, (void)batch;
    s->calls++;
    s->n_local = n_local;
    s->count = count;
    memcpy(sum, local, count * sizeof *sum);
    for (int j = 1; j < n_local; j++)
        for (size_t i = 0; i < count; i++) sum[i] += local[(size_t)j * count + i];
    s->counted = sum[count - CLRNN_SLOT_FLOATS + CLRNN_SLOT_VALID];
    return 0;
}

static void exchange_gets_the_shards(void) {
    const char *spec = "lstm(4) dense(1,sigmoid)";
    int64_t xd[3] = {6, T, F}, yd[2] = {6, 1};
    struct clrnn_array x, y;
    clrnn_array_alloc(&x, CLRNN_DTYPE_FLOAT32, 3, xd);
    clrnn_array_alloc(&y, CLRNN_DTYPE_FLOAT32, 2, yd);
    uint64_t st = 9;
    for (int64_t i = 0; i < clrnn_array_count(&x); i++)
        ((float *)x.data)[i] = (float)test_uniform(&st, -1, 1);
    for (int i = 0; i < 6; i++) ((float *)y.data)[i] = (float)(i % 2);
    clrnn_model *with = make(spec, 0, "binary_crossentropy");
    clrnn_model *alone = make(spec, 0, "binary_crossentropy");
    size_t P = clrnn_model_param_count(with);
    float *a = malloc(P * sizeof *a), *b = malloc(P * sizeof *b);
    struct seen seen = {0, 0, 0, 0};
    struct clrnn_exchange ex = {0, 1, sum_in_order, NULL, &seen};
    grads_of(with, &x, &y, NULL, 3, &ex, a);
    grads_of(alone, &x, &y, NULL, 3, NULL, b);
    CHECK_INT_EQ(seen.calls, 1);
    CHECK_INT_EQ(seen.n_local, 3);
    CHECK(seen.count == P + CLRNN_SLOT_FLOATS);
    CHECK_NEAR(seen.counted, 6, 0); /* every row counted once */
    CHECK(memcmp(a, b, P * sizeof *a) == 0); /* the exchange's sum is the step's */
    /* 3 shards cannot be shared by 2 processes; a stateful layer cannot be cut */
    struct clrnn_fit_params fp = clrnn_fit_params_default();
    struct clrnn_exchange two = {0, 2, sum_in_order, NULL, &seen};
    fp.grad_shards = 3;
    fp.exchange = &two;
    CHECK(clrnn_model_fit(with, &x, 1, &y, NULL, NULL, &fp) == CLRNN_E_INVALID_ARG);
    CHECK_STR_CONTAINS(clrnn_last_error(), "3 gradient shards cannot be shared by 2 processes");
    free(a), free(b);
    clrnn_model_free(with), clrnn_model_free(alone);
    int64_t in[2] = {T, F};
    clrnn_model *st_m = NULL;
    CHECK(clrnn_model_from_spec(ctx, "lstm(4,stateful=true) dense(1,sigmoid)", in, 2,
                                CLRNN_DTYPE_FLOAT32, 7, &st_m) == CLRNN_OK);
    struct clrnn_compile_config cc;
    memset(&cc, 0, sizeof cc);
    snprintf(cc.loss, sizeof cc.loss, "binary_crossentropy");
    cc.optimizer = clrnn_optimizer_default(CLRNN_OPT_SGD);
    CHECK(clrnn_model_compile(st_m, &cc) == CLRNN_OK);
    fp.exchange = NULL;
    fp.batch_size = 6;
    CHECK(clrnn_model_fit(st_m, &x, 1, &y, NULL, NULL, &fp) == CLRNN_E_UNSUPPORTED);
    CHECK_STR_CONTAINS(clrnn_last_error(), "is stateful");
    clrnn_model_free(st_m);
    clrnn_array_clear(&x), clrnn_array_clear(&y);
}

int main(void) {
    TEST_OPEN_DEVICE(ctx);
    sharded_equals_whole("lstm(6,dropout=0.3,recurrent_dropout=0.2) dense(1,sigmoid)", 0,
                         "binary_crossentropy", 10, 3, 0);
    sharded_equals_whole("lstm(6,dropout=0.6) dense(1,sigmoid)", 0, "binary_crossentropy", 3, 4,
                         0);
    sharded_equals_whole("embedding(9,4,mask_zero=true) gru(5,return_sequences=true) "
                         "dense(2,softmax)", 1, "sparse_categorical_crossentropy", 12, 4, 0);
    /* sample weights (fit's sample_weight and class_weight) cut with the rows */
    sharded_equals_whole("lstm(6,dropout=0.3,recurrent_dropout=0.2) dense(1,sigmoid)", 0,
                         "binary_crossentropy", 10, 3, 1);
    sharded_equals_whole("embedding(9,4,mask_zero=true) gru(5,return_sequences=true) "
                         "dense(2,softmax)", 1, "sparse_categorical_crossentropy", 12, 4, 1);
    exchange_gets_the_shards();
    clrnn_ctx_free(ctx);
    TEST_MAIN_END();
}
