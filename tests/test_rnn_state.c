/*
 * test_rnn_state.c - return_state and initial_state of the recurrent layers, at the layer
 * level (a Functional model passes the states between layers): SimpleRNN, LSTM,
 * GRU (reset_after true and false) and Keras's RNN wrapper, on the device against the
 * reference (tests/ref/ref_rnn.c, whose h_last and c_last are Keras's final states: after
 * the last real step under a mask, in either direction).
 *
 * Forward: the output and the final states. Backward: every gradient (kernel, recurrent
 * kernel, bias, the input, the initial states h0 and c0) against central differences of
 * the reference for the objective sum(dy * y) + sum(dh * h_T) + sum(dc * c_T), so the
 * gradients flow in through the returned states and out into the initial ones.
 * Tolerances as in test_rnn_modes.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clrnn_impl.h"
#include "numeric.h"
#include "ref.h"
#include "test.h"

#define ATOL 5e-5
#define RTOL 1e-4

static clrnn_ctx *ctx;
static uint64_t lcg = 4242;
static double uniform(double lo, double hi) { return test_uniform(&lcg, lo, hi); }

static const char *const CLASSES[] = {"SimpleRNN", "LSTM", "GRU", "GRU"};
static const char *const NAMES[] = {"simple_rnn", "lstm", "gru", "gru_v1"};

struct mode {
    ref_cell cell;
    int seq, backwards, return_state, init;
    int pad;              /* 0 none, 1 post-padded, 2 pre-padded, 3 interior zeros */
    double rec_dropout;   /* training with recurrent dropout */
    int wrapped;          /* RNN(cell) */
};

/* All the variables of the objective in one array: params, then x, h0, c0. */
struct problem {
    struct mode md;
    int B, T, I, U, G, S; /* S states: 2 for the LSTM */
    int np;               /* parameters */
    double *v;
    double *mask, *rmask, *dy, *dh, *dc;
    double *h_last, *c_last;
};

static double *x_of(const struct problem *pb) { return pb->v + pb->np; }
static double *h0_of(const struct problem *pb) { return x_of(pb) + pb->B * pb->T * pb->I; }
static double *c0_of(const struct problem *pb) { return h0_of(pb) + pb->B * pb->U; }

static double objective(const void *vp, double *y) {
    const struct problem *pb = vp;
    int B = pb->B, T = pb->T, I = pb->I, U = pb->U, G = pb->G;
    const double *K = pb->v, *Rk = K + (long)I * G * U, *b = Rk + (long)U * G * U;
    struct ref_rnn r = {pb->md.cell, B, T, I, U, K, Rk, b, REF_ACT_TANH, REF_ACT_SIGMOID,
                        pb->md.seq, pb->md.backwards, 0, pb->mask, NULL, pb->rmask,
                        pb->md.init ? h0_of(pb) : NULL,
                        pb->md.init && pb->S == 2 ? c0_of(pb) : NULL};
    ref_rnn_forward(&r, x_of(pb), y, pb->h_last, pb->c_last);
    long ny = (long)B * (pb->md.seq ? T : 1) * U;
    double s = 0;
    for (long i = 0; i < ny; i++) s += y[i] * pb->dy[i];
    if (pb->md.return_state)
        for (long i = 0; i < (long)B * U; i++)
            s += pb->h_last[i] * pb->dh[i] + (pb->S == 2 ? pb->c_last[i] * pb->dc[i] : 0);
    return s;
}

static cJSON *layer_json(const struct mode *md, int U) {
    char text[600], opts[300];
    snprintf(opts, sizeof opts, "\"return_sequences\": %s, \"go_backwards\": %s, "
             "\"return_state\": %s", md->seq ? "true" : "false",
             md->backwards ? "true" : "false", md->return_state ? "true" : "false");
    char cell[200];
    snprintf(cell, sizeof cell, "\"units\": %d, \"recurrent_dropout\": %g%s", U, md->rec_dropout,
             md->cell == REF_CELL_GRU_V1 ? ", \"reset_after\": false" : "");
    if (md->wrapped)
        snprintf(text, sizeof text, "{\"class_name\": \"RNN\", \"config\": {\"name\": \"rnn\", %s, "
                 "\"cell\": {\"class_name\": \"%sCell\", \"config\": {%s}}}}", opts,
                 CLASSES[md->cell], cell);
    else
        snprintf(text, sizeof text, "{\"class_name\": \"%s\", \"config\": {\"name\": \"%s\", %s, "
                 "%s}}", CLASSES[md->cell], NAMES[md->cell], opts, cell);
    return cJSON_Parse(text);
}

static cl_mem upload(const double *d, size_t n) {
    float *f = malloc(sizeof *f * (n ? n : 1));
    for (size_t i = 0; i < n; i++) f[i] = (float)d[i];
    cl_mem m = NULL;
    CHECK(clrnn_buf_create(ctx, (n ? n : 1) * sizeof *f, &m) == CLRNN_OK);
    CHECK(clrnn_buf_write(ctx, m, 0, n * sizeof *f, f) == CLRNN_OK);
    free(f);
    return m;
}

static double *download(cl_mem m, size_t n) {
    float *f = malloc(sizeof *f * n);
    CHECK(clrnn_buf_read(ctx, m, 0, n * sizeof *f, f) == CLRNN_OK);
    double *d = test_to_double(f, n);
    free(f);
    return d;
}

static void check_close(const char *label, const char *what, const double *a, const double *b,
                        long n) {
    char l[300];
    snprintf(l, sizeof l, "%s %s", label, what);
    CHECK_ARRAYS_CLOSE(l, a, b, n, ATOL, RTOL);
}

static void check_mode(struct mode md, int B) {
    struct problem pb = {.md = md, .B = B, .T = 6, .I = 3, .U = 4};
    pb.G = md.cell == REF_CELL_SIMPLE ? 1 : md.cell == REF_CELL_LSTM ? 4 : 3;
    pb.S = md.cell == REF_CELL_LSTM ? 2 : 1;
    int T = pb.T, I = pb.I, U = pb.U, S = pb.S;
    int training = md.rec_dropout > 0;
    char label[200];
    snprintf(label, sizeof label, "%s%s seq=%d back=%d state=%d init=%d pad=%d rdrop=%g",
             md.wrapped ? "rnn:" : "", NAMES[md.cell], md.seq, md.backwards, md.return_state,
             md.init, md.pad, md.rec_dropout);
    cJSON *obj = layer_json(&md, U);
    struct clrnn_layer *l = NULL;
    CHECK(obj && clrnn_layer_create(obj, CLRNN_KERAS_MAJOR_DEFAULT, &l) == CLRNN_OK);
    cJSON_Delete(obj);
    if (!l) return;
    l->in = (struct clrnn_shape){2, {T, I}};
    l->in_dtype = CLRNN_DTYPE_FLOAT32;
    l->mask_in = l->mask_out = md.pad != 0;
    l->n_aux_in = md.init ? S : 0;
    clrnn_status st = l->ops->build(l);
    if (st) fprintf(stderr, "%s: %s\n", label, clrnn_last_error());
    CHECK(st == CLRNN_OK);
    CHECK_INT_EQ(l->n_aux_out, md.return_state ? S : 0);
    size_t np = 0;
    for (int j = 0; j < l->n_weights; j++) {
        l->w[j].offset = np;
        np += l->w[j].count;
    }
    pb.np = (int)np;
    size_t nx = (size_t)B * T * I, ns = (size_t)B * U, nv = np + nx + 2 * ns;
    size_t ny = (size_t)B * (md.seq ? T : 1) * U;
    pb.v = malloc(sizeof *pb.v * nv);
    for (size_t i = 0; i < nv; i++) pb.v[i] = uniform(-0.7, 0.7);
    pb.dy = malloc(sizeof *pb.dy * ny);
    pb.dh = malloc(sizeof *pb.dh * ns);
    pb.dc = malloc(sizeof *pb.dc * ns);
    pb.h_last = malloc(sizeof *pb.h_last * ns);
    pb.c_last = malloc(sizeof *pb.c_last * ns);
    for (size_t i = 0; i < ny; i++) pb.dy[i] = uniform(-1, 1);
    for (size_t i = 0; i < ns; i++) pb.dh[i] = uniform(-1, 1), pb.dc[i] = uniform(-1, 1);
    /* the device computes in float: the reference takes the float values */
    for (size_t i = 0; i < nv; i++) pb.v[i] = (float)pb.v[i];
    if (md.pad) {
        pb.mask = malloc(sizeof *pb.mask * (size_t)B * T);
        for (int b = 0; b < B; b++)
            for (int t = 0; t < T; t++) {
                int n = b % T, keep = 1;
                if (md.pad == 1) keep = t < T - n;
                if (md.pad == 2) keep = t >= n;
                if (md.pad == 3) keep = uniform(0, 1) >= 0.35;
                pb.mask[b * T + t] = keep;
            }
    }
    cl_mem params = upload(pb.v, np), grads = NULL, x = upload(x_of(&pb), nx);
    cl_mem mask = md.pad ? upload(pb.mask, (size_t)B * T) : NULL;
    cl_mem h0 = upload(h0_of(&pb), ns), c0 = upload(c0_of(&pb), ns);
    cl_mem dy = upload(pb.dy, ny), dh = upload(pb.dh, ns), dc = upload(pb.dc, ns), dx = NULL;
    cl_mem dh0 = NULL, dc0 = NULL;
    CHECK(clrnn_buf_create(ctx, np * sizeof(float), &grads) == CLRNN_OK);
    CHECK(clrnn_buf_create(ctx, nx * sizeof(float), &dx) == CLRNN_OK);
    CHECK(clrnn_buf_create(ctx, ns * sizeof(float), &dh0) == CLRNN_OK);
    CHECK(clrnn_buf_create(ctx, ns * sizeof(float), &dc0) == CLRNN_OK);
    clrnn_rng rng;
    clrnn_rng_seed(&rng, 9);
    struct clrnn_pass p = {ctx, params, grads, B, training, 0, &rng, NULL, 0};
    CHECK(l->ops->alloc(l, ctx, B) == CLRNN_OK);
    l->in_mask = mask;
    l->aux_in[0].val = h0, l->aux_in[1].val = c0;
    l->aux_in[0].grad = dh0, l->aux_in[1].grad = dc0;
    l->aux_out[0].grad = dh, l->aux_out[1].grad = dc;
    st = l->ops->forward(l, &p, x);
    if (st) fprintf(stderr, "%s: %s\n", label, clrnn_last_error());
    CHECK(st == CLRNN_OK);
    if (training) {
        float *rm = calloc(ns, sizeof *rm);
        CHECK(clrnn_rnn_dropout_masks(l, ctx, B, NULL, rm) == CLRNN_OK);
        pb.rmask = test_to_double(rm, ns);
        free(rm);
    }
    double *yr = malloc(sizeof *yr * (ny > nv ? ny : nv));
    objective(&pb, yr);
    double *yd = download(l->y, ny);
    check_close(label, "forward", yd, yr, (long)ny);
    for (int k = 0; k < l->n_aux_out; k++) {
        double *hd = download(l->aux_out[k].val, ns);
        check_close(label, k ? "final c" : "final h", hd, k ? pb.c_last : pb.h_last, (long)ns);
        free(hd);
    }
    st = l->ops->backward(l, &p, x, dy, dx);
    if (st) fprintf(stderr, "%s: %s\n", label, clrnn_last_error());
    CHECK(st == CLRNN_OK);
    double *num = malloc(sizeof *num * nv);
    test_central_diff(objective, &pb, pb.v, (int)nv, num, yr);
    double *gd = download(grads, np), *dxd = download(dx, nx);
    check_close(label, "dparams", gd, num, (long)np);
    check_close(label, "dx", dxd, num + np, (long)nx);
    for (int k = 0; md.init && k < S; k++) {
        double *d0 = download(k ? dc0 : dh0, ns);
        check_close(label, k ? "dc0" : "dh0", d0, num + np + nx + (size_t)k * ns, (long)ns);
        free(d0);
    }
    free(gd), free(dxd), free(num), free(yr), free(yd);
    cl_mem bufs[] = {params, grads, x, mask, h0, c0, dy, dh, dc, dx, dh0, dc0};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) clrnn_buf_release(&bufs[i]);
    clrnn_layer_free(l);
    free(pb.v), free(pb.mask), free(pb.rmask), free(pb.dy), free(pb.dh), free(pb.dc);
    free(pb.h_last), free(pb.c_last);
}

/* initial_state of the wrong count is refused by build, naming the layer. */
static void check_errors(void) {
    struct mode md = {REF_CELL_LSTM, 0, 0, 1, 1, 0, 0, 0};
    cJSON *obj = layer_json(&md, 4);
    struct clrnn_layer *l = NULL;
    CHECK(clrnn_layer_create(obj, CLRNN_KERAS_MAJOR_DEFAULT, &l) == CLRNN_OK);
    cJSON_Delete(obj);
    l->in = (struct clrnn_shape){2, {5, 3}};
    l->in_dtype = CLRNN_DTYPE_FLOAT32;
    l->n_aux_in = 1;
    CHECK(l->ops->build(l) == CLRNN_E_SHAPE);
    CHECK_STR_CONTAINS(clrnn_last_error(), "layer 'lstm' (LSTM) takes 2 tensors [h, c] as "
                       "initial_state, but is given 1");
    clrnn_layer_free(l);
    /* and in a chain, return_state has nowhere to go */
    int64_t in[2] = {5, 3};
    clrnn_model *m = NULL;
    CHECK(clrnn_model_from_spec(ctx, "gru(4,return_state=true) dense(1)", in, 2,
                                CLRNN_DTYPE_FLOAT32, 1, &m) == CLRNN_E_UNSUPPORTED);
    CHECK_STR_CONTAINS(clrnn_last_error(), "layer 'gru' (GRU): return_state=true gives 2 tensors "
                       "(the output (None, 4) and 1 states), but in a Sequential model");
    CHECK(clrnn_model_from_spec(ctx, "bidirectional(lstm(4,return_state=true))", in, 2,
                                CLRNN_DTYPE_FLOAT32, 1, &m) == CLRNN_E_UNSUPPORTED);
    CHECK_STR_CONTAINS(clrnn_last_error(), "return_state");
}

int main(void) {
    TEST_OPEN_DEVICE(ctx);
    for (int cell = 0; cell < 4; cell++) {
        ref_cell c = (ref_cell)cell;
        /* the final states alone; from given states; both, with a mask and go_backwards */
        check_mode((struct mode){c, 0, 0, 1, 0, 0, 0, 0}, 3);
        check_mode((struct mode){c, 1, 0, 0, 1, 0, 0, 0}, 3);
        check_mode((struct mode){c, 0, 1, 1, 1, 1, 0, 0}, 5);
        check_mode((struct mode){c, 1, 0, 1, 1, 2, 0, 0}, 5);
        /* recurrent dropout and interior padding, through Keras's RNN wrapper */
        check_mode((struct mode){c, 1, 1, 1, 1, 3, 0.3, 1}, 4);
    }
    check_errors();
    clrnn_ctx_free(ctx);
    TEST_MAIN_END();
}
