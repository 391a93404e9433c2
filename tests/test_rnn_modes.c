/*
 * test_rnn_modes.c - the recurrent layers in every mode Keras gives them, on the device,
 * against the reference (tests/ref/ref_rnn.c): go_backwards, masking from
 * Embedding(mask_zero=True) with pre-, post- and interior padding, zero_output_for_mask,
 * dropout and recurrent_dropout with the masks the layer drew, stateful layers, and Keras's
 * RNN wrapper around each cell. Forward outputs against the reference, and every gradient
 * (embeddings or input, kernel, recurrent kernel, bias) against central differences of the
 * reference forward for the objective sum(dy * y).
 *
 * Tolerances as in test_kernels.c (atol 5e-5 + rtol 1e-4): float32 sums of ~40 products
 * through T = 7 contracting steps stay near 3e-5; a wrong term shows up at 1e-2 or more.
 * Central differences with step 1e-6 in double are accurate to ~1e-9.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clrnn_impl.h"
#include "numeric.h"
#include "ref.h"
#include "test.h"

#define ATOL 5e-5
#define RTOL 1e-4
#define VOCAB 6 /* token ids 0..5; 0 is padding with mask_zero */

static clrnn_ctx *ctx;

static uint64_t lcg = 777;
static double uniform(double lo, double hi) { return test_uniform(&lcg, lo, hi); }

enum padding { PAD_NONE, PAD_PRE, PAD_POST, PAD_INSIDE };
static const char *const PAD_NAMES[] = {"none", "pre", "post", "inside"};
static const char *const CELL_SPECS[] = {"simple_rnn", "lstm", "gru", "gru"};
static const char *const CELL_NAMES[] = {"simple_rnn", "lstm", "gru", "gru_v1"};

struct mode {
    ref_cell cell;
    int seq, backwards, zero_out;
    enum padding pad;     /* PAD_NONE: float input; otherwise ids through a masking Embedding */
    double dropout, rec_dropout;
    int wrapped;          /* rnn(lstm_cell, ...) rather than lstm(...) */
};

/* What the objective needs: the model's parameters and inputs in double. */
struct problem {
    struct mode md;
    int B, T, I, U, G;
    double *p;            /* [embeddings (VOCAB, I)] kernel, recurrent kernel, bias */
    int emb;              /* floats of embeddings in p, 0 without */
    double *x;            /* float input (B, T, I) without an Embedding */
    int *ids;             /* (B, T) with one */
    double *mask, *dmask, *rmask, *dy;
    int has_bias;
};

static double objective(const struct problem *pb, double *y) {
    int B = pb->B, T = pb->T, I = pb->I, U = pb->U, G = pb->G;
    double *x = pb->x, *xe = NULL;
    if (pb->emb) {
        xe = malloc(sizeof *xe * (size_t)B * T * I);
        for (int k = 0; k < B * T; k++)
            for (int i = 0; i < I; i++) xe[(long)k * I + i] = pb->p[(long)pb->ids[k] * I + i];
        x = xe;
    }
    const double *K = pb->p + pb->emb, *Rk = K + (long)I * G * U;
    struct ref_rnn r = {pb->md.cell, B, T, I, U, K, Rk, pb->has_bias ? Rk + (long)U * G * U : NULL,
                        REF_ACT_TANH, REF_ACT_SIGMOID, pb->md.seq, pb->md.backwards,
                        pb->md.zero_out, pb->mask, pb->dmask, pb->rmask, NULL, NULL};
    ref_rnn_forward(&r, x, y, NULL, NULL);
    free(xe);
    int ny = B * (pb->md.seq ? T : 1) * U;
    double s = 0;
    for (int i = 0; i < ny; i++) s += y[i] * pb->dy[i];
    return s;
}

static double objective_of(const void *pb, double *y) { return objective(pb, y); }
static void numeric_grad(struct problem *pb, double *v, int n, double *out, double *scratch) {
    test_central_diff(objective_of, pb, v, n, out, scratch);
}

/* ids with padding: PAD_PRE zeros at the start, PAD_POST at the end (row b gets b % T
 * padded steps, so one row is fully real), PAD_INSIDE zeros scattered. */
static void make_ids(int *ids, int B, int T, enum padding pad) {
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            int n = b % T, id = 1 + (int)uniform(0, VOCAB - 1);
            if (pad == PAD_PRE && t < n) id = 0;
            if (pad == PAD_POST && t >= T - n) id = 0;
            if (pad == PAD_INSIDE && uniform(0, 1) < 0.3) id = 0;
            ids[b * T + t] = id;
        }
}

static void spec_of(const struct mode *md, int I, int U, char *spec, size_t size) {
    char cell[300], opts[200];
    snprintf(opts, sizeof opts, "return_sequences=%s,go_backwards=%s,dropout=%g,"
             "recurrent_dropout=%g%s%s",
             md->seq ? "true" : "false", md->backwards ? "true" : "false", md->dropout,
             md->rec_dropout, md->zero_out ? ",zero_output_for_mask=true" : "",
             md->cell == REF_CELL_GRU_V1 ? ",reset_after=false" : "");
    if (md->wrapped)
        snprintf(cell, sizeof cell, "rnn(%s_cell,%d,%s)",
                 md->cell == REF_CELL_GRU_V1 ? "gru" : CELL_SPECS[md->cell], U, opts);
    else
        snprintf(cell, sizeof cell, "%s(%d,%s)", CELL_SPECS[md->cell], U, opts);
    if (md->pad == PAD_NONE)
        snprintf(spec, size, "%s", cell);
    else
        snprintf(spec, size, "embedding(%d,%d,mask_zero=true) %s", VOCAB, I, cell);
}

static void check_mode(struct mode md, int B) {
    struct problem pb = {.md = md, .B = B, .T = 7, .I = 3, .U = 5, .has_bias = 1};
    pb.G = md.cell == REF_CELL_SIMPLE ? 1 : md.cell == REF_CELL_LSTM ? 4 : 3;
    int T = pb.T, I = pb.I, U = pb.U;
    int training = md.dropout > 0 || md.rec_dropout > 0;
    char spec[400], label[300], l2[360];
    spec_of(&md, I, U, spec, sizeof spec);
    snprintf(label, sizeof label, "%s%s seq=%d back=%d zero_out=%d pad=%s drop=%g/%g B=%d",
             md.wrapped ? "rnn:" : "", CELL_NAMES[md.cell], md.seq, md.backwards, md.zero_out,
             PAD_NAMES[md.pad], md.dropout, md.rec_dropout, B);
    int64_t in[2] = {T, I};
    clrnn_model *m;
    clrnn_status st = clrnn_model_from_spec(ctx, spec, in, md.pad ? 1 : 2,
                                            md.pad ? CLRNN_DTYPE_INT32 : CLRNN_DTYPE_FLOAT32, 1, &m);
    if (st) {
        fprintf(stderr, "%s: %s\n", spec, clrnn_last_error());
        CHECK(st == CLRNN_OK);
        return;
    }
    size_t np = clrnn_model_param_count(m);
    float *pf = malloc(sizeof *pf * np);
    pb.p = malloc(sizeof *pb.p * np);
    for (size_t i = 0; i < np; i++) pb.p[i] = pf[i] = (float)uniform(-0.6, 0.6);
    clrnn_model_set_params(m, pf);
    pb.emb = md.pad ? VOCAB * I : 0;

    struct clrnn_array x, y, dy, dx = {0};
    if (md.pad) {
        int64_t xd[2] = {B, T};
        clrnn_array_alloc(&x, CLRNN_DTYPE_INT32, 2, xd);
        pb.ids = x.data;
        make_ids(pb.ids, B, T, md.pad);
        pb.mask = malloc(sizeof *pb.mask * (size_t)B * T);
        for (int k = 0; k < B * T; k++) pb.mask[k] = pb.ids[k] != 0;
    } else {
        int64_t xd[3] = {B, T, I};
        clrnn_array_alloc(&x, CLRNN_DTYPE_FLOAT32, 3, xd);
        pb.x = malloc(sizeof *pb.x * (size_t)B * T * I);
        float *xf = x.data;
        for (int i = 0; i < B * T * I; i++) pb.x[i] = xf[i] = (float)uniform(-1, 1);
    }
    size_t ny = (size_t)B * (md.seq ? T : 1) * U;
    int64_t dyd[3] = {B, md.seq ? T : U, U};
    clrnn_array_alloc(&dy, CLRNN_DTYPE_FLOAT32, md.seq ? 3 : 2, dyd);
    pb.dy = malloc(sizeof *pb.dy * ny);
    float *dyf = dy.data;
    for (size_t i = 0; i < ny; i++) pb.dy[i] = dyf[i] = (float)uniform(-1, 1);

    CHECK(clrnn_model_forward(m, &x, 1, training, &y) == CLRNN_OK);
    if (training) {
        /* the masks this pass drew: one row per sequence, values 0 or 1/(1-rate) */
        float *dm = calloc((size_t)B * I, sizeof *dm), *rm = calloc((size_t)B * U, sizeof *rm);
        const struct clrnn_layer *rl = m->layers[m->n_layers - 1];
        CHECK(clrnn_rnn_dropout_masks(rl, ctx, B, md.dropout > 0 ? dm : NULL,
                                      md.rec_dropout > 0 ? rm : NULL) == CLRNN_OK);
        if (md.dropout > 0) pb.dmask = test_to_double(dm, (size_t)B * I);
        if (md.rec_dropout > 0) pb.rmask = test_to_double(rm, (size_t)B * U);
        int bad = 0, dropped = 0;
        for (int i = 0; i < B * I && pb.dmask; i++) {
            bad += pb.dmask[i] != 0 && fabs(pb.dmask[i] - 1 / (1 - md.dropout)) > 1e-6;
            dropped += pb.dmask[i] == 0;
        }
        for (int i = 0; i < B * U && pb.rmask; i++) {
            bad += pb.rmask[i] != 0 && fabs(pb.rmask[i] - 1 / (1 - md.rec_dropout)) > 1e-6;
            dropped += pb.rmask[i] == 0;
        }
        printf("  %s: %d of the mask values are 0\n", label, dropped);
        CHECK(bad == 0 && dropped > 0);
        free(dm), free(rm);
    }
    double *yr = malloc(sizeof *yr * ny);
    objective(&pb, yr);
    double *yd = test_to_double(y.data, ny);
    snprintf(l2, sizeof l2, "%s forward", label);
    CHECK_ARRAYS_CLOSE(l2, yd, yr, (long)ny, ATOL, RTOL);

    CHECK(clrnn_model_backward(m, &dy, md.pad ? NULL : &dx) == CLRNN_OK);
    float *g = malloc(sizeof *g * np);
    clrnn_model_get_grads(m, g);
    double *gd = test_to_double(g, np);
    size_t nx = (size_t)B * T * I;
    double *num = malloc(sizeof *num * (np > nx ? np : nx));
    numeric_grad(&pb, pb.p, (int)np, num, yr);
    snprintf(l2, sizeof l2, "%s dparams", label);
    CHECK_ARRAYS_CLOSE(l2, gd, num, (long)np, ATOL, RTOL);
    if (!md.pad) {
        numeric_grad(&pb, pb.x, (int)nx, num, yr);
        double *dxd = test_to_double(dx.data, nx);
        snprintf(l2, sizeof l2, "%s dx", label);
        CHECK_ARRAYS_CLOSE(l2, dxd, num, (long)nx, ATOL, RTOL);
        free(dxd);
        clrnn_array_clear(&dx);
    }
    if (training) {
        /* out of training the same layer runs without dropout */
        struct clrnn_array yi;
        CHECK(clrnn_model_forward(m, &x, 1, 0, &yi) == CLRNN_OK);
        free(pb.dmask), free(pb.rmask);
        pb.dmask = pb.rmask = NULL;
        objective(&pb, yr);
        double *yid = test_to_double(yi.data, ny);
        snprintf(l2, sizeof l2, "%s inference", label);
        CHECK_ARRAYS_CLOSE(l2, yid, yr, (long)ny, ATOL, RTOL);
        free(yid);
        clrnn_array_clear(&yi);
    }
    free(pf), free(pb.p), free(pb.x), free(pb.mask), free(pb.dmask), free(pb.rmask), free(pb.dy);
    free(yr), free(yd), free(g), free(gd), free(num);
    clrnn_array_clear(&x), clrnn_array_clear(&y), clrnn_array_clear(&dy);
    clrnn_model_free(m);
}

/* A post-padded, masked sequence gives what its unpadded part gives on its own. */
static void check_post_padding_invariance(const char *cell) {
    int B = 3, T = 9, keep = 5, I = 4, U = 6;
    char spec[200];
    snprintf(spec, sizeof spec, "embedding(%d,%d,mask_zero=true) %s(%d)", VOCAB, I, cell, U);
    int64_t t_long = T, t_short = keep;
    clrnn_model *a, *b;
    CHECK(clrnn_model_from_spec(ctx, spec, &t_long, 1, CLRNN_DTYPE_INT32, 3, &a) == CLRNN_OK);
    CHECK(clrnn_model_from_spec(ctx, spec, &t_short, 1, CLRNN_DTYPE_INT32, 3, &b) == CLRNN_OK);
    struct clrnn_array xl, xs, yl, ys;
    int64_t dl[2] = {B, T}, ds[2] = {B, keep};
    clrnn_array_alloc(&xl, CLRNN_DTYPE_INT32, 2, dl);
    clrnn_array_alloc(&xs, CLRNN_DTYPE_INT32, 2, ds);
    int32_t *il = xl.data, *is = xs.data;
    for (int r = 0; r < B; r++)
        for (int t = 0; t < T; t++) {
            int id = 1 + (int)uniform(0, VOCAB - 1);
            il[r * T + t] = t < keep ? id : 0;
            if (t < keep) is[r * keep + t] = id;
        }
    CHECK(clrnn_model_forward(a, &xl, 1, 0, &yl) == CLRNN_OK);
    CHECK(clrnn_model_forward(b, &xs, 1, 0, &ys) == CLRNN_OK);
    double worst = 0;
    const float *fl = yl.data, *fs = ys.data;
    for (int i = 0; i < B * U; i++) worst = fmax(worst, fabs(fl[i] - fs[i]));
    printf("  %s: post-padded %d of %d steps vs unpadded: max |diff| = %.3g\n", cell, T - keep, T,
           worst);
    CHECK(worst < 1e-6); /* the same operations in the same order */
    clrnn_array_clear(&xl), clrnn_array_clear(&xs), clrnn_array_clear(&yl), clrnn_array_clear(&ys);
    clrnn_model_free(a), clrnn_model_free(b);
}

/* stateful=true: the second batch starts from the state the first ended in, until
 * clrnn_model_reset_states(). */
static void check_stateful(ref_cell cell) {
    int B = 4, T = 5, I = 3, U = 6, G = cell == REF_CELL_SIMPLE ? 1 : cell == REF_CELL_LSTM ? 4 : 3;
    char spec[200];
    snprintf(spec, sizeof spec, "%s(%d,stateful=true,return_sequences=true%s)", CELL_SPECS[cell],
             U, cell == REF_CELL_GRU_V1 ? ",reset_after=false" : "");
    int64_t in[2] = {T, I};
    clrnn_model *m;
    CHECK(clrnn_model_from_spec(ctx, spec, in, 2, CLRNN_DTYPE_FLOAT32, 5, &m) == CLRNN_OK);
    size_t np = clrnn_model_param_count(m);
    float *pf = malloc(sizeof *pf * np);
    double *p = malloc(sizeof *p * np);
    for (size_t i = 0; i < np; i++) p[i] = pf[i] = (float)uniform(-0.6, 0.6);
    clrnn_model_set_params(m, pf);
    struct clrnn_array x[2], y[3];
    double *xd[2], *h = malloc(sizeof *h * B * U), *c = malloc(sizeof *c * B * U);
    double *yr = malloc(sizeof *yr * B * T * U);
    int64_t dims[3] = {B, T, I};
    for (int k = 0; k < 2; k++) {
        clrnn_array_alloc(&x[k], CLRNN_DTYPE_FLOAT32, 3, dims);
        xd[k] = malloc(sizeof *xd[k] * B * T * I);
        float *f = x[k].data;
        for (int i = 0; i < B * T * I; i++) xd[k][i] = f[i] = (float)uniform(-1, 1);
        CHECK(clrnn_model_forward(m, &x[k], 1, 0, &y[k]) == CLRNN_OK);
    }
    const double *K = p, *Rk = p + I * G * U, *b = Rk + U * G * U;
    struct ref_rnn r = {cell, B, T, I, U, K, Rk, b, REF_ACT_TANH, REF_ACT_SIGMOID, 1, 0, 0,
                        NULL, NULL, NULL, NULL, NULL};
    ref_rnn_forward(&r, xd[0], yr, h, c);
    r.h0 = h;
    r.c0 = cell == REF_CELL_LSTM ? c : NULL;
    ref_rnn_forward(&r, xd[1], yr, NULL, NULL);
    double *y1 = test_to_double(y[1].data, (size_t)B * T * U);
    char label[120];
    snprintf(label, sizeof label, "stateful %s second batch", CELL_NAMES[cell]);
    CHECK_ARRAYS_CLOSE(label, y1, yr, (long)B * T * U, ATOL, RTOL);
    /* after a reset the first batch gives what it gave */
    clrnn_model_reset_states(m);
    CHECK(clrnn_model_forward(m, &x[0], 1, 0, &y[2]) == CLRNN_OK);
    CHECK(memcmp(y[0].data, y[2].data, sizeof(float) * B * T * U) == 0);
    /* a batch of another size is refused while a state is kept */
    struct clrnn_array xs, ys;
    int64_t ds[3] = {B - 1, T, I};
    clrnn_array_alloc(&xs, CLRNN_DTYPE_FLOAT32, 3, ds);
    memset(xs.data, 0, sizeof(float) * (B - 1) * T * I);
    CHECK(clrnn_model_forward(m, &xs, 1, 0, &ys) == CLRNN_E_SHAPE);
    CHECK_STR_CONTAINS(clrnn_last_error(), "stateful layer");
    free(pf), free(p), free(h), free(c), free(yr), free(y1), free(xd[0]), free(xd[1]);
    for (int k = 0; k < 2; k++) clrnn_array_clear(&x[k]);
    for (int k = 0; k < 3; k++) clrnn_array_clear(&y[k]);
    clrnn_array_clear(&xs);
    clrnn_model_free(m);
}

/* Keras refuses a mask where a layer cannot take one, and so does clrnn, before training. */
static void check_mask_errors(void) {
    int64_t T = 6;
    clrnn_model *m = NULL;
    /* an LSTM without return_sequences consumes the mask: Dense after it is fine */
    CHECK(clrnn_model_from_spec(ctx, "embedding(10,4,mask_zero=true) lstm(3) dense(1,sigmoid)", &T,
                                1, CLRNN_DTYPE_INT32, 1, &m) == CLRNN_OK);
    clrnn_model_free(m);
    /* the mask goes on through return_sequences and a per-timestep Dense */
    CHECK(clrnn_model_from_spec(ctx, "embedding(10,4,mask_zero=true) gru(3,return_sequences=true) "
                                "dense(2) lstm(2)", &T, 1, CLRNN_DTYPE_INT32, 1, &m) == CLRNN_OK);
    clrnn_model_free(m);
    CHECK(clrnn_model_from_spec(ctx, "embedding(10,4) lstm(3,return_state=true)", &T, 1,
                                CLRNN_DTYPE_INT32, 1, &m) == CLRNN_E_UNSUPPORTED);
    CHECK_STR_CONTAINS(clrnn_last_error(), "return_state");
    CHECK(clrnn_model_from_spec(ctx, "embedding(10,4) lstm(3,dropout=1.5)", &T, 1,
                                CLRNN_DTYPE_INT32, 1, &m) == CLRNN_E_FORMAT);
    CHECK_STR_CONTAINS(clrnn_last_error(), "dropout");
    CHECK(clrnn_model_from_spec(ctx, "embedding(10,4) rnn(conv_cell,3)", &T, 1,
                                CLRNN_DTYPE_INT32, 1, &m) == CLRNN_E_UNSUPPORTED);
    CHECK_STR_CONTAINS(clrnn_last_error(), "conv_cell");
}

int main(void) {
    clrnn_status s = clrnn_ctx_create(NULL, &ctx);
    if (s == CLRNN_E_NO_DEVICE) test_skip_no_device(clrnn_last_error());
    if (s) {
        fprintf(stderr, "%s\n", clrnn_last_error());
        return 1;
    }
    printf("device: %s\n", clrnn_ctx_device(ctx)->name);
    for (int cell = 0; cell < 4; cell++) {
        ref_cell c = (ref_cell)cell;
        /* go_backwards, both output kinds */
        check_mode((struct mode){c, 1, 1, 0, PAD_NONE, 0, 0, 0}, 5);
        check_mode((struct mode){c, 0, 1, 0, PAD_NONE, 0, 0, 0}, 5);
        /* masking: post-padded last output, pre-padded sequences, interior zeros */
        check_mode((struct mode){c, 0, 0, 0, PAD_POST, 0, 0, 0}, 6);
        check_mode((struct mode){c, 1, 0, 0, PAD_PRE, 0, 0, 0}, 6);
        check_mode((struct mode){c, 1, 1, 1, PAD_INSIDE, 0, 0, 0}, 6);
        check_mode((struct mode){c, 0, 1, 1, PAD_POST, 0, 0, 0}, 6);
        /* dropout masks drawn by the layer, with masking and direction on top */
        check_mode((struct mode){c, 1, 0, 0, PAD_NONE, 0.3, 0.4, 0}, 5);
        check_mode((struct mode){c, 0, 1, 0, PAD_INSIDE, 0.25, 0.5, 0}, 6);
        /* the RNN wrapper around the cell */
        check_mode((struct mode){c, 1, 0, 0, PAD_PRE, 0, 0, 1}, 4);
        check_stateful(c);
    }
    check_mode((struct mode){REF_CELL_LSTM, 1, 1, 0, PAD_INSIDE, 0.2, 0.2, 0}, test_small() ? 9 : 37);
    check_post_padding_invariance("lstm");
    check_post_padding_invariance("gru");
    check_post_padding_invariance("simple_rnn");
    check_mask_errors();
    clrnn_ctx_free(ctx);
    TEST_MAIN_END();
}
