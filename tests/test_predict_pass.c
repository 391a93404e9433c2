/*
 * test_predict_pass.c - predict and evaluate run the recurrent kernels with RNN_KEEP_STEPS=0
 * (no backward pass follows, so only the final state is written, not every step's states
 * and gates). Their outputs must be those of clrnn_model_forward(training = 0), which keeps
 * every step, bit for bit: for every cell, masked, returning sequences, inside
 * Bidirectional, stacked, and stateful (the kept final state carries into the next batch,
 * two batches in a row), with the batch's distinct ids projected, in both kernel forms and
 * with 4 rows a work-item (tests/CMakeLists.txt).
 * A backward pass after a predict, or over another batch size than the last forward pass,
 * is refused (CLRNN_E_INVALID_ARG) rather than reading states that were never written.
 *
 * Memory: predict makes none of the buffers only a pass that keeps its steps uses (gates and
 * the pre-activation gradients; the group kernels keep the steps, so there they are made);
 * the first clrnn_model_forward makes exactly those. An Embedding whose recurrent layer takes
 * its tokens holds vectors for only the batches too small for that (vocabulary / timesteps
 * rows): reserved for 5 rows, a 1-row batch still gives the outputs and gradients of a model
 * without the token projection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clrnn_impl.h"
#include "test.h"

#define B 5
#define T 9
#define VOCAB 13

static clrnn_ctx *ctx;

static void make_rows(uint64_t seed, int rows, struct clrnn_array *x) {
    int64_t d[2] = {rows, T};
    clrnn_array_alloc(x, CLRNN_DTYPE_INT32, 2, d);
    int32_t *ids = x->data;
    for (int i = 0; i < rows * T; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        ids[i] = 1 + (int)((seed >> 33) % (VOCAB - 1));
        if (i % T >= T - i / T % 4) ids[i] = 0; /* padding at the end of some rows */
    }
}

static void make_ids(uint64_t seed, struct clrnn_array *x) { make_rows(seed, B, x); }

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
        CHECK(clrnn_model_predict(a, &x, 1, B, &ya) == CLRNN_OK);
        CHECK(clrnn_model_forward(b, &x, 1, 0, &yb) == CLRNN_OK);
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
    CHECK(clrnn_model_predict(a, &x, 1, B, &y) == CLRNN_OK);
    clrnn_array_alloc(&dy, CLRNN_DTYPE_FLOAT32, y.rank, y.dims);
    memset(dy.data, 0, (size_t)clrnn_array_count(&dy) * 4);
    CHECK(clrnn_model_backward(a, &dy, NULL) == CLRNN_E_INVALID_ARG);
    clrnn_array_clear(&y);
    CHECK(clrnn_model_forward(a, &x, 1, 0, &y) == CLRNN_OK);
    CHECK(clrnn_model_backward(a, &dy, NULL) == CLRNN_OK);
    struct clrnn_array dy_short = dy;
    dy_short.dims[0] = B - 1;
    CHECK(clrnn_model_backward(a, &dy_short, NULL) == CLRNN_E_INVALID_ARG);
    clrnn_array_clear(&x), clrnn_array_clear(&y), clrnn_array_clear(&dy);
    clrnn_model_free(a);
    clrnn_model_free(b);
}

/* Device bytes a model's forward pass adds to its predict pass, at B rows: the gates (4U a
 * step, also for the GRU) and the two layouts of the pre-activation gradient of each layer.
 * The row kernels and the per-step path predict without them; the group kernels keep every
 * step. */
static void check_step_buffers(void) {
    clrnn_model *m = build("embedding(13,4) lstm(6,return_sequences=true) gru(5) dense(1)");
    const char *rec = getenv("CLRNN_RECURRENCE");
    int without = ctx->cpu_forms || (rec && strcmp(rec, "steps") == 0);
    size_t bt = (size_t)B * T, want = without ? bt * 4 * (4 * 6 + 2 * 4 * 6) +
                                                           bt * 4 * (4 * 5 + 2 * 3 * 5)
                                                     : 0;
    struct clrnn_array x, y = {0};
    make_ids(3, &x);
    CHECK(clrnn_model_predict(m, &x, 1, B, &y) == CLRNN_OK);
    size_t predicted = clrnn_ctx_bytes_held(ctx);
    clrnn_array_clear(&y);
    CHECK(clrnn_model_forward(m, &x, 1, 0, &y) == CLRNN_OK);
    size_t forwarded = clrnn_ctx_bytes_held(ctx);
    printf("step buffers: predict holds %zu bytes, forward %zu more (want %zu)\n", predicted,
           forwarded - predicted, want);
    CHECK(forwarded - predicted == want);
    clrnn_array_clear(&x), clrnn_array_clear(&y);
    clrnn_model_free(m);
}

/* One row (9 distinct ids, fewer positions than the 13 ids: no token projection) in a model
 * reserved for B rows (projected), against a model that never projects: outputs and
 * gradients equal. */
static void check_small_batch_lookup(void) {
    const char *spec = "embedding(13,4) lstm(6,return_sequences=true) lstm(3) dense(2)";
    clrnn_model *a = build(spec);
    setenv("CLRNN_FUSE_EMBEDDING", "0", 1);
    clrnn_options_reread(ctx); /* options are read when a context is made */
    clrnn_model *b = build(spec);
    unsetenv("CLRNN_FUSE_EMBEDDING");
    clrnn_options_reread(ctx);
    struct clrnn_array big, x, ya = {0}, yb = {0}, dy;
    make_ids(11, &big);
    CHECK(clrnn_model_predict(a, &big, 1, B, &ya) == CLRNN_OK);
    CHECK(clrnn_embedding_fused(a->layers[0], B) && !clrnn_embedding_fused(a->layers[0], 1));
    clrnn_array_clear(&ya);
    make_rows(12, 1, &x);
    for (int t = 0; t < T; t++) ((int32_t *)x.data)[t] = 1 + t; /* distinct: not projected */
    CHECK(clrnn_model_forward(a, &x, 1, 0, &ya) == CLRNN_OK);
    CHECK_INT_EQ(clrnn_embedding_projection(a->layers[0], NULL, NULL), 0);
    CHECK(clrnn_model_forward(b, &x, 1, 0, &yb) == CLRNN_OK);
    long n = (long)clrnn_array_count(&ya), differ = 0;
    CHECK_INT_EQ(n, clrnn_array_count(&yb));
    differ += memcmp(ya.data, yb.data, (size_t)n * 4) != 0;
    clrnn_array_alloc(&dy, CLRNN_DTYPE_FLOAT32, ya.rank, ya.dims);
    for (long i = 0; i < n; i++) ((float *)dy.data)[i] = 0.25f * (float)(i % 5) - 0.5f;
    CHECK(clrnn_model_backward(a, &dy, NULL) == CLRNN_OK);
    CHECK(clrnn_model_backward(b, &dy, NULL) == CLRNN_OK);
    size_t np = clrnn_model_param_count(a);
    float *ga = malloc(np * 4), *gb = malloc(np * 4);
    CHECK(clrnn_model_get_grads(a, ga) == CLRNN_OK && clrnn_model_get_grads(b, gb) == CLRNN_OK);
    differ += memcmp(ga, gb, np * 4) != 0;
    printf("one-row batch after a projected one: %ld outputs, %zu gradients, %ld differ\n", n,
           np, differ);
    CHECK_INT_EQ(differ, 0);
    free(ga), free(gb);
    clrnn_array_clear(&big), clrnn_array_clear(&x), clrnn_array_clear(&ya);
    clrnn_array_clear(&yb), clrnn_array_clear(&dy);
    clrnn_model_free(a);
    clrnn_model_free(b);
}

int main(void) {
    TEST_OPEN_DEVICE(ctx);
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
    /* a vocabulary of 60 with ids below 13 in 45 positions: the batch's distinct ids are
     * projected (token_projection.c), and predict reads that table by index */
    static const char *const distinct[] = {
        "embedding(60,4) lstm(6) dense(2)",
        "embedding(60,4,mask_zero=true) bidirectional(gru(5,return_sequences=true)) lstm(3) "
        "dense(1)",
    };
    for (size_t i = 0; i < sizeof distinct / sizeof *distinct; i++) {
        check(distinct[i]);
        clrnn_model *m = build(distinct[i]);
        struct clrnn_array x, y = {0};
        make_ids(5, &x);
        CHECK(clrnn_model_predict(m, &x, 1, B, &y) == CLRNN_OK);
        int rows = clrnn_embedding_projection(m->layers[0], NULL, NULL);
        CHECK(rows > 0 && rows <= VOCAB);
        clrnn_array_clear(&x), clrnn_array_clear(&y);
        clrnn_model_free(m);
    }
    check_step_buffers();
    check_small_batch_lookup();
    clrnn_ctx_free(ctx);
    TEST_MAIN_END();
}
