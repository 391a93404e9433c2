/*
 * test_predict_pass.c - predict and evaluate run the recurrent kernels with RNN_KEEP_STEPS=0
 * (no backward pass follows, so only the final state is written, not every step's states
 * and gates). Their outputs must be those of clrnn_model_forward(training = 0), which keeps
 * every step, bit for bit: for every cell, masked, returning sequences, inside
 * Bidirectional, stacked, and stateful (the kept final state carries into the next batch,
 * two batches in a row), in both kernel forms and with 4 rows a work-item (tests/CMakeLists.txt).
 * A backward pass after a predict, or over another batch size than the last forward pass,
 * is refused (CLRNN_E_INVALID_ARG) rather than reading states that were never written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clrnn.h"
#include "test.h"

#define B 5
#define T 9
#define VOCAB 13

static clrnn_ctx *ctx;

static void make_ids(uint64_t seed, struct clrnn_array *x) {
    int64_t d[2] = {B, T};
    clrnn_array_alloc(x, CLRNN_DTYPE_INT32, 2, d);
    int32_t *ids = x->data;
    for (int i = 0; i < B * T; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        ids[i] = 1 + (int)((seed >> 33) % (VOCAB - 1));
        if (i % T >= T - i / T % 4) ids[i] = 0; /* padding at the end of some rows */
    }
}

static clrnn_model *build(const char *spec) {
    const int64_t in[1] = {T};
    clrnn_model *m = NULL;
    if (clrnn_model_from_spec(ctx, spec, in, 1, CLRNN_DTYPE_INT32, 5, &m) != CLRNN_OK) {
        fprintf(stderr, "%s: %s\n", spec, clrnn_last_error());
        exit(1);
    }
    return m;
}

/* Two batches through predict in one model and through forward in a twin; outputs equal. */
static void check(const char *spec) {
    clrnn_model *a = build(spec), *b = build(spec);
    long differ = 0, n = 0;
    for (int batch = 0; batch < 2; batch++) {
        struct clrnn_array x, ya = {0}, yb = {0};
        make_ids(100 + (uint64_t)batch, &x);
        CHECK(clrnn_model_predict(a, &x, B, &ya) == CLRNN_OK);
        CHECK(clrnn_model_forward(b, &x, 0, &yb) == CLRNN_OK);
        CHECK_INT_EQ(clrnn_array_count(&ya), clrnn_array_count(&yb));
        for (int64_t i = 0; i < clrnn_array_count(&ya) && i < clrnn_array_count(&yb); i++, n++)
            differ += memcmp((float *)ya.data + i, (float *)yb.data + i, 4) != 0;
        clrnn_array_clear(&x), clrnn_array_clear(&ya), clrnn_array_clear(&yb);
    }
    printf("%-70s %ld outputs, %ld differ\n", spec, n, differ);
    CHECK_INT_EQ(differ, 0);
    /* a backward pass needs a forward pass that kept the steps, over the same batch */
    struct clrnn_array x, y = {0}, dy;
    make_ids(7, &x);
    CHECK(clrnn_model_predict(a, &x, B, &y) == CLRNN_OK);
    clrnn_array_alloc(&dy, CLRNN_DTYPE_FLOAT32, y.rank, y.dims);
    memset(dy.data, 0, (size_t)clrnn_array_count(&dy) * 4);
    CHECK(clrnn_model_backward(a, &dy, NULL) == CLRNN_E_INVALID_ARG);
    clrnn_array_clear(&y);
    CHECK(clrnn_model_forward(a, &x, 0, &y) == CLRNN_OK);
    CHECK(clrnn_model_backward(a, &dy, NULL) == CLRNN_OK);
    struct clrnn_array dy_short = dy;
    dy_short.dims[0] = B - 1;
    CHECK(clrnn_model_backward(a, &dy_short, NULL) == CLRNN_E_INVALID_ARG);
    clrnn_array_clear(&x), clrnn_array_clear(&y), clrnn_array_clear(&dy);
    clrnn_model_free(a);
    clrnn_model_free(b);
}

int main(void) {
    clrnn_status s = clrnn_ctx_create(NULL, &ctx);
    if (s == CLRNN_E_NO_DEVICE) test_skip_no_device(clrnn_last_error());
    CHECK(s == CLRNN_OK);
    if (s) return 1;
    static const char *const specs[] = {
        "embedding(13,4) simple_rnn(6) dense(2)",
        "embedding(13,4) lstm(6) dense(2)",
        "embedding(13,4,mask_zero=true) lstm(6,return_sequences=true) dense(2)",
        "embedding(13,4) gru(6) dense(2)",
        "embedding(13,4,mask_zero=true) gru(6,reset_after=false) dense(2)",
        "embedding(13,4) bidirectional(lstm(6,return_sequences=true)) lstm(3) dense(1)",
        "embedding(13,4,mask_zero=true) gru(5,return_sequences=true,go_backwards=true) "
        "simple_rnn(4) dense(1)",
        "embedding(13,4) lstm(6,stateful=true) dense(2)",
        "embedding(13,4) gru(6,stateful=true,return_sequences=true) dense(2)",
    };
    for (size_t i = 0; i < sizeof specs / sizeof *specs; i++) check(specs[i]);
    clrnn_ctx_free(ctx);
    TEST_MAIN_END();
}
