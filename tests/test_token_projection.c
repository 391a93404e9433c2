/*
 * test_token_projection.c - a recurrent layer right after an Embedding projects the
 * vocabulary instead of the batch's positions when the vocabulary is the smaller
 * (host/token_projection.c). For every cell, with and without bias, mask_zero,
 * return_sequences and inside Bidirectional, the same model is run with the projection on
 * (CLRNN_FUSE_EMBEDDING=1), with the recurrent kernel reading the table by token and reading
 * a gathered copy (CLRNN_TOKEN_DIRECT=1 and 0), and off (CLRNN_FUSE_EMBEDDING=0, the path
 * test_kernels, test_bidirectional and the Keras tests check against the reference and
 * finite differences):
 *   - the forward outputs must be identical: the table's rows are the same sums, in the same
 *     order, as the GEMM's rows;
 *   - every parameter gradient must agree within atol 1e-6 + rtol 1e-5: the same products,
 *     summed per id first (S = dz summed by id, dK = E^T S, dE = S K^T), so only the order
 *     of at most B*T = 48 float additions differs (48 * 2^-24 ~ 3e-6 relative at worst);
 *   - and the path must have been taken (clrnn_embedding_projection: the vocabulary's rows)
 *     or not (RNN dropout, which needs the embedded vectors).
 * A vocabulary larger than the positions (60 ids, 48 positions) projects the batch's distinct
 * ids instead when it repeats enough of them (layer_embedding.c distinct_pays: ids drawn from
 * the first 20), with the same checks (the projected rows must be the distinct ids); a batch
 * repeating fewer (ids drawn from all 60, or 1000) takes the GEMM path.
 * An id at 3/4 of 400 positions takes the GPU forms' segmented sums by id (test_hot_id).
 * Then 30 Adam steps on a small task both ways end at losses within 1e-4 of each other.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clrnn_impl.h"
#include "model_pass.h"
#include "test.h"

/* the batch's size, steps and ids (make_ids, or hot_ids for test_hot_id) */
static int B = 6, T = 8;
static int hot_ids;

static clrnn_ctx *ctx;

struct run {
    float *y, *grads;
    long ny, np;
    int fused;
};

/* Token ids that repeat (so sums by id have several terms), zeros as padding at the ends of
 * some rows when masked. */
/* the gradient arriving at output i */
static float output_grad(long i) { return (float)sin(0.7 * (double)i + 0.3); }

static void make_ids(int vocab, int masked, struct clrnn_array *x) {
    int64_t d[2] = {B, T};
    clrnn_array_alloc(x, CLRNN_DTYPE_INT32, 2, d);
    int32_t *ids = x->data;
    uint64_t s = 12345;
    for (int i = 0; i < B * T; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        ids[i] = 1 + (int)((s >> 33) % (uint64_t)(vocab - 1));
        if (masked && i % T >= T - i / T % 3) ids[i] = 0;
        if (hot_ids) ids[i] = i % 4 ? 1 : 2 + (i / 4) % (vocab - 2); /* id 1 at 3/4 */
    }
}

/* Forward (training) and backward from a fixed output gradient, with the projection on or
 * off; the outputs and gradients into *r. */
static void run_model(const char *spec, int vocab, int masked, int fuse, int direct,
                      struct run *r) {
    const int64_t in[1] = {T};
    clrnn_model *m = NULL;
    setenv("CLRNN_FUSE_EMBEDDING", fuse ? "1" : "0", 1);
    setenv("CLRNN_TOKEN_DIRECT", direct ? "1" : "0", 1);
    clrnn_options_reread(ctx); /* options are read when a context is made */
    CHECK(clrnn_model_from_spec(ctx, spec, in, 1, CLRNN_DTYPE_INT32, 7, &m) == CLRNN_OK);
    if (!m) {
        fprintf(stderr, "%s: %s\n", spec, clrnn_last_error());
        exit(1);
    }
    struct clrnn_array x;
    make_ids(vocab, masked, &x);
    test_model_pass(m, &x, output_grad, &r->y, &r->ny, &r->grads, &r->np);
    r->fused = clrnn_embedding_projection(m->layers[0], NULL, NULL);
    clrnn_array_clear(&x);
    clrnn_model_free(m);
    unsetenv("CLRNN_FUSE_EMBEDDING");
    unsetenv("CLRNN_TOKEN_DIRECT");
    clrnn_options_reread(ctx);
}

/* The distinct ids of make_ids's batch */
static int distinct_ids(int vocab, int masked) {
    struct clrnn_array x;
    make_ids(vocab, masked, &x);
    int n = 0, *seen = calloc((size_t)vocab, sizeof *seen);
    for (int i = 0; i < B * T; i++) n += seen[((int32_t *)x.data)[i]]++ == 0;
    free(seen);
    clrnn_array_clear(&x);
    return n;
}

static void check_reads(const char *spec, int vocab, int masked, int expect_fused, int direct) {
    struct run on, off;
    run_model(spec, vocab, masked, 1, direct, &on);
    run_model(spec, vocab, masked, 0, direct, &off);
    if (on.fused != expect_fused || off.fused)
        fprintf(stderr, "%s (vocab %d): took the tokens %d, expected %d\n", spec, vocab, on.fused,
                expect_fused);
    CHECK_INT_EQ(on.fused, expect_fused);
    CHECK_INT_EQ(off.fused, 0);
    CHECK_INT_EQ(on.ny, off.ny);
    CHECK_INT_EQ(on.np, off.np);
    long ydiff = 0;
    for (long i = 0; i < on.ny && i < off.ny; i++) ydiff += memcmp(&on.y[i], &off.y[i], 4) != 0;
    if (ydiff) fprintf(stderr, "%s: %ld outputs differ\n", spec, ydiff);
    CHECK_INT_EQ(ydiff, 0);
    double *a = malloc(sizeof *a * (size_t)on.np), *b = malloc(sizeof *b * (size_t)on.np);
    for (long i = 0; i < on.np; i++) a[i] = on.grads[i], b[i] = off.grads[i];
    char label[256];
    /* (the distinct ids' table is gathered on CPUs, read by index on GPUs, whatever
     * CLRNN_TOKEN_DIRECT says: layer_rnn.c distinct_table) */
    snprintf(label, sizeof label, "%s (ids below %d%s, %s) gradients", spec, vocab,
             masked ? ", masked" : "",
             expect_fused && expect_fused < vocab ? "distinct ids"
             : direct                             ? "table read by token"
                                                  : "gathered");
    /* the sums' order differs by at most B*T additions: 1e-5 at 48 of them (~3.5x the worst
     * case, 48 * 2^-24), in proportion beyond */
    double rtol = 1e-5 * (B * T > 48 ? B * T / 48.0 : 1.0);
    check_arrays_close(__FILE__, __LINE__, label, a, b, on.np, 1e-6, rtol);
    free(a), free(b), free(on.y), free(on.grads), free(off.y), free(off.grads);
}

static void check_case(const char *spec, int vocab, int masked, int expect_fused) {
    for (int direct = 0; direct < 2; direct++)
        check_reads(spec, vocab, masked, expect_fused, direct);
}

/* An id at 3/4 of 20 x 20 positions. In the GPU forms the sums by id cut its positions into
 * segments (layer_embedding.c segment_positions), which the token projection's sums (time
 * major, backwards for Bidirectional's second layer) reach only here: the same checks as
 * above, on a profiled context of its own that counts the segmented sums. */
static void test_hot_id(void) {
    char profile[64]; /* the test's variants run at once in one folder */
    snprintf(profile, sizeof profile, "test_token_projection_profile_%ld.txt", (long)getpid());
    setenv("CLRNN_PROFILE", profile, 1);
    clrnn_ctx *shared = ctx;
    CHECK(clrnn_ctx_create(NULL, &ctx) == CLRNN_OK);
    if (!ctx) exit(1);
    B = 20, T = 20, hot_ids = 1;
    check_case("embedding(11,4) lstm(5) dense(2)", 11, 0, 11);
    check_case("embedding(11,4) bidirectional(lstm(5)) dense(2)", 11, 0, 11);
    long segs = clrnn_profile_calls(ctx, "embedding_sum_segments");
    printf("an id at 3/4 of %d positions: %ld segmented sums by id\n", B * T, segs);
    /* a backward pass each run: with the projection one sum by id per layer reading the
     * tokens (1 and 2), without it the Embedding's; twice (CLRNN_TOKEN_DIRECT 0 and 1) */
    CHECK_INT_EQ(segs, ctx->cpu_forms ? 0 : 2 * ((1 + 1) + (2 + 1)));
    B = 6, T = 8, hot_ids = 0;
    clrnn_ctx_free(ctx); /* writes the profile */
    ctx = shared;
    remove(profile);
    unsetenv("CLRNN_PROFILE");
}

/* Adam on "is token 3 in the sequence", 30 steps both ways: the loss curves stay together */
static double train_loss(int fuse) {
    const int64_t in[1] = {T};
    clrnn_model *m = NULL;
    setenv("CLRNN_FUSE_EMBEDDING", fuse ? "1" : "0", 1);
    CHECK(clrnn_model_from_spec(ctx, "embedding(9,4) lstm(5) dense(1,sigmoid)", in, 1,
                                CLRNN_DTYPE_INT32, 11, &m) == CLRNN_OK);
    struct clrnn_compile_config cc;
    memset(&cc, 0, sizeof cc);
    snprintf(cc.loss, sizeof cc.loss, "binary_crossentropy");
    CHECK(clrnn_optimizer_from_name("adam", &cc.optimizer) == CLRNN_OK);
    cc.optimizer.learning_rate = 0.01;
    CHECK(clrnn_model_compile(m, &cc) == CLRNN_OK);
    struct clrnn_array x, y;
    make_ids(9, 0, &x);
    int64_t yd[2] = {B, 1};
    clrnn_array_alloc(&y, CLRNN_DTYPE_FLOAT32, 2, yd);
    for (int b = 0; b < B; b++) {
        int has = 0;
        for (int t = 0; t < T; t++) has |= ((int32_t *)x.data)[b * T + t] == 3;
        ((float *)y.data)[b] = (float)has;
    }
    double loss = 0;
    for (int step = 0; step < 30; step++) {
        CHECK(clrnn_model_train_on_batch(m, &x, 1, &y, &loss) == CLRNN_OK);
    }
    clrnn_array_clear(&x), clrnn_array_clear(&y);
    clrnn_model_free(m);
    unsetenv("CLRNN_FUSE_EMBEDDING");
    return loss;
}

int main(void) {
    TEST_OPEN_DEVICE(ctx);
    static const char *const cells[] = {
        "simple_rnn(5)",
        "lstm(5)",
        "lstm(5,use_bias=false)",
        "gru(5)",
        "gru(5,reset_after=false)",
        "lstm(5,return_sequences=true)",
        "lstm(5,recurrent_dropout=0.3)",
        "bidirectional(lstm(5))",
        "bidirectional(gru(5,return_sequences=true),merge_mode=sum)",
    };
    char spec[256];
    for (size_t c = 0; c < sizeof cells / sizeof *cells; c++)
        for (int masked = 0; masked < 2; masked++) {
            snprintf(spec, sizeof spec, "embedding(11,4%s) %s dense(2)",
                     masked ? ",mask_zero=true" : "", cells[c]);
            check_case(spec, 11, masked, 11);
        }
    /* more vocabulary than positions (B*T = 48): the batch's distinct ids, which repeat */
    int d20 = distinct_ids(20, 0), d20m = distinct_ids(20, 1);
    printf("ids 1-19 in %d positions: %d distinct, %d with padding\n", B * T, d20, d20m);
    CHECK(d20 * 2 <= B * T && d20m * 2 <= B * T && d20 > 11);
    check_case("embedding(60,4) lstm(5) dense(2)", 20, 0, d20);
    check_case("embedding(60,4,mask_zero=true) gru(5,return_sequences=true) dense(2)", 20, 1,
               d20m);
    check_case("embedding(60,4) bidirectional(lstm(5)) dense(2)", 20, 0, d20);
    check_case("embedding(60,4) lstm(5,recurrent_dropout=0.3,use_bias=false) dense(2)", 20, 0,
               d20);
    /* ... and ones repeating fewer: the GEMM path */
    CHECK(distinct_ids(60, 0) * 2 > B * T && distinct_ids(1000, 0) * 2 > B * T);
    check_case("embedding(60,4) lstm(5) dense(2)", 60, 0, 0);
    check_case("embedding(1000,4) lstm(5) dense(2)", 1000, 0, 0);
    /* input dropout needs the embedded vectors; recurrent dropout does not */
    check_case("embedding(11,4) lstm(5,dropout=0.3) dense(2)", 11, 0, 0);
    /* stacked: only the first recurrent layer reads the Embedding */
    check_case("embedding(11,4) gru(5,return_sequences=true) lstm(3) dense(1)", 11, 0, 11);
    test_hot_id();
    double on = train_loss(1), off = train_loss(0);
    printf("30 Adam steps: loss %.7f with the token projection, %.7f without\n", on, off);
    CHECK_NEAR(on, off, 1e-4);
    CHECK(on < 0.6); /* it learned something: ln 2 = 0.693 at the start */
    clrnn_ctx_free(ctx);
    TEST_MAIN_END();
}
