/*
 * test_e2e_sentiment.c - end to end on an IMDB-shaped task made here: a vocabulary of 10000
 * ids (0 is padding), reviews of 40 to 200 ids drawn from a Zipf-like word distribution,
 * pre-padded to 200 as Keras's pad_sequences does, with the sentiment carried by a few words
 * from a positive or a negative set of 20 ids each, placed anywhere in the review (and both
 * kinds can occur: the label is the majority). Embedding + LSTM and Embedding + GRU must
 * each reach at least 0.95 accuracy on 600 held-out reviews. The same reviews post-padded
 * (zeros last) need the mask of Embedding(mask_zero=True) to carry the state past the
 * padding: with it, and with dropout on, Embedding + LSTM must reach 0.95 too.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clrnn.h"
#include "test.h"

#define VOCAB 10000
#define T 200

static uint64_t rng = 2024;
static double uniform(void) {
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(rng >> 11) * 0x1.0p-53;
}

/* Zipf-like common words: ids 102.. with probability ~ 1 / rank */
static int32_t common_word(void) {
    double u = uniform();
    int id = (int)exp(u * log((double)(VOCAB - 102))) + 101;
    return id < VOCAB ? id : VOCAB - 1;
}

static void make(struct clrnn_array *x, struct clrnn_array *y, int n, int post_padding) {
    int64_t xd[2] = {n, T}, yd[2] = {n, 1};
    clrnn_array_alloc(x, CLRNN_DTYPE_INT32, 2, xd);
    clrnn_array_alloc(y, CLRNN_DTYPE_FLOAT32, 2, yd);
    int32_t *xv = x->data;
    for (int s = 0; s < n; s++) {
        int len = 40 + (int)(uniform() * 161), label = uniform() < 0.5;
        int strong = 4 + (int)(uniform() * 4), weak = (int)(uniform() * 3);
        /* pre-padding: zeros first, as pad_sequences does by default; or zeros last */
        int32_t *row = xv + (size_t)s * T + (post_padding ? 0 : T - len);
        for (int t = 0; t < len; t++) row[t] = common_word();
        /* sentiment words: 4..7 of the label's set, 0..2 of the other, anywhere */
        for (int k = 0; k < strong + weak; k++) {
            int positive = k < strong ? label : !label;
            row[(int)(uniform() * len)] = (positive ? 2 : 22) + (int)(uniform() * 20);
        }
        ((float *)y->data)[s] = (float)label;
    }
}

static int show_epoch(const struct clrnn_epoch_logs *l, void *user) {
    (void)user;
    printf("    epoch %d: loss %.4f, accuracy %.4f (%.1fs)\n", l->epoch + 1, l->loss, l->accuracy,
           l->seconds);
    return 0;
}

static double train(clrnn_ctx *ctx, const char *spec, const struct clrnn_array *x,
                    const struct clrnn_array *y, const struct clrnn_array *tx,
                    const struct clrnn_array *ty) {
    int64_t in[1] = {T};
    clrnn_model *m;
    if (clrnn_model_from_spec(ctx, spec, in, 1, CLRNN_DTYPE_INT32, 7, &m)) {
        fprintf(stderr, "%s\n", clrnn_last_error());
        return 0;
    }
    struct clrnn_compile_config cc;
    memset(&cc, 0, sizeof cc);
    snprintf(cc.loss, sizeof cc.loss, "binary_crossentropy");
    cc.optimizer = clrnn_optimizer_default(CLRNN_OPT_ADAM);
    cc.optimizer.learning_rate = 0.001;
    clrnn_model_compile(m, &cc);
    struct clrnn_fit_params fp = clrnn_fit_params_default();
    fp.epochs = 4;
    fp.batch_size = 32;
    fp.seed = 3;
    fp.on_epoch = show_epoch;
    struct clrnn_eval_result r = {0};
    CHECK(clrnn_model_fit(m, x, 1, y, NULL, NULL, &fp) == CLRNN_OK);
    CHECK(clrnn_model_evaluate(m, tx, 1, ty, 100, &r) == CLRNN_OK);
    printf("  %-45s test loss %.4f, accuracy %.4f\n", spec, r.loss, r.accuracy);
    clrnn_model_free(m);
    return r.accuracy;
}

int main(void) {
    clrnn_ctx *ctx;
    clrnn_status s = clrnn_ctx_create(NULL, &ctx);
    if (s == CLRNN_E_NO_DEVICE) test_skip_no_device(clrnn_last_error());
    if (s) return fprintf(stderr, "%s\n", clrnn_last_error()), 1;
    struct clrnn_array x, y, tx, ty;
    make(&x, &y, 8000, 0);
    make(&tx, &ty, 600, 0);
    double lstm = train(ctx, "embedding(10000,32) lstm(32) dense(1,sigmoid)", &x, &y, &tx, &ty);
    CHECK(lstm >= 0.95);
    double gru = train(ctx, "embedding(10000,32) gru(32) dense(1,sigmoid)", &x, &y, &tx, &ty);
    CHECK(gru >= 0.95);
    clrnn_array_clear(&x), clrnn_array_clear(&y), clrnn_array_clear(&tx), clrnn_array_clear(&ty);
    make(&x, &y, 8000, 1);
    make(&tx, &ty, 600, 1);
    double masked = train(ctx, "embedding(10000,32,mask_zero=true) lstm(32,dropout=0.2) "
                          "dense(1,sigmoid)", &x, &y, &tx, &ty);
    CHECK(masked >= 0.95);
    clrnn_array_clear(&x), clrnn_array_clear(&y), clrnn_array_clear(&tx), clrnn_array_clear(&ty);
    clrnn_ctx_free(ctx);
    TEST_MAIN_END();
}
