/*
 * test_merge.c - Keras's merge layers in Functional graphs (host/layer_merge.c, cl/merge.cl):
 * Add, Subtract, Multiply, Average, Maximum, Minimum and Concatenate, each taking two or
 * three tensors. Each case is a graph of inputs (B, T, F), a Dense(tanh) on each (or the
 * model's input itself, which takes no gradient), the merge, and a Dense: its output
 * against the plain-C reference (tests/ref: ref_dense_forward, ref_merge_forward) and every
 * parameter gradient, which reaches each Dense before the merge through the merge's input
 * gradients, against central differences of the reference for sum(dy * y); tolerances as in
 * test_graph.c. Then the layouts: tf.keras 2's call ([[layer, node, index, kwargs], ...])
 * gives the same model, and a model's config written by clrnn (in Keras 3's layout, or in
 * tf.keras 2's for a model read from tf.keras 2's) reads back the same. Then a
 * Bidirectional encoder's final states [fh, fc, bh, bc] starting a decoder: a Bidirectional
 * one given all four as initial_state (the forward layer the first half, the backward one
 * the second), or an LSTM of twice the units given them joined by Concatenate (keras.io's
 * way), against the reference and central differences the same way. Last, the refusals:
 * Subtract of three, shapes that do not agree, Concatenate on another axis, an odd number of
 * initial states for a Bidirectional.
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
#define B 3
#define T 2
#define F 4
#define OUT 3

static clrnn_ctx *ctx;
static uint64_t lcg = 4242;

struct merge_case {
    const char *cls;
    ref_merge op;
    int n;        /* tensors merged */
    int width[3]; /* each Dense's units (Concatenate: may differ) */
    int raw0;     /* the first tensor merged is the model's first input itself (width F) */
};

#define KT3(name)                                                                             \
    "{\"class_name\": \"__keras_tensor__\", \"config\": {\"keras_history\": [\"" name "\", 0, 0]}}"

/* The case's Functional config, in Keras 3's layout or tf.keras 2's. */
static char *case_json(const struct merge_case *c, int keras2) {
    char *buf = malloc(16384);
    int len = snprintf(buf, 16384, "{\"class_name\": \"Functional\", \"config\": {\"name\": "
                       "\"merges\", \"layers\": [");
    for (int k = 0; k < c->n; k++)
        len += snprintf(buf + len, 16384 - len,
                        "{\"class_name\": \"InputLayer\", \"name\": \"in%d\", \"config\": "
                        "{\"name\": \"in%d\", \"batch_shape\": [null, %d, %d]}, "
                        "\"inbound_nodes\": []},", k, k, T, F);
    char args[1024] = "";
    int alen = 0;
    for (int k = 0; k < c->n; k++) {
        char src[16];
        snprintf(src, sizeof src, k == 0 && c->raw0 ? "in%d" : "d%d", k);
        if (!(k == 0 && c->raw0)) {
            if (keras2)
                len += snprintf(buf + len, 16384 - len,
                                "{\"class_name\": \"Dense\", \"name\": \"d%d\", \"config\": "
                                "{\"name\": \"d%d\", \"units\": %d, \"activation\": \"tanh\"}, "
                                "\"inbound_nodes\": [[[\"in%d\", 0, 0, {}]]]},", k, k,
                                c->width[k], k);
            else
                len += snprintf(buf + len, 16384 - len,
                                "{\"class_name\": \"Dense\", \"name\": \"d%d\", \"config\": "
                                "{\"name\": \"d%d\", \"units\": %d, \"activation\": \"tanh\"}, "
                                "\"inbound_nodes\": [{\"args\": [{\"class_name\": "
                                "\"__keras_tensor__\", \"config\": {\"keras_history\": "
                                "[\"in%d\", 0, 0]}}], \"kwargs\": {}}]},", k, k, c->width[k], k);
        }
        if (keras2)
            alen += snprintf(args + alen, sizeof args - alen, "%s[\"%s\", 0, 0, {}]",
                             k ? ", " : "", src);
        else
            alen += snprintf(args + alen, sizeof args - alen, "%s{\"class_name\": "
                             "\"__keras_tensor__\", \"config\": {\"keras_history\": [\"%s\", 0, "
                             "0]}}", k ? ", " : "", src);
    }
    len += snprintf(buf + len, 16384 - len,
                    "{\"class_name\": \"%s\", \"name\": \"merge\", \"config\": {\"name\": "
                    "\"merge\"%s}, \"inbound_nodes\": [%s%s%s]},", c->cls,
                    c->op == REF_MERGE_CONCATENATE ? ", \"axis\": -1" : "",
                    keras2 ? "[" : "{\"args\": [[", args, keras2 ? "]" : "]], \"kwargs\": {}}");
    len += snprintf(buf + len, 16384 - len,
                    "{\"class_name\": \"Dense\", \"name\": \"out\", \"config\": {\"name\": "
                    "\"out\", \"units\": %d}, \"inbound_nodes\": [%s]}], \"input_layers\": [",
                    OUT, keras2 ? "[[\"merge\", 0, 0, {}]]"
                                : "{\"args\": [" KT3("merge") "], \"kwargs\": {}}");
    for (int k = 0; k < c->n; k++)
        len += snprintf(buf + len, 16384 - len, "%s[\"in%d\", 0, 0]", k ? ", " : "", k);
    snprintf(buf + len, 16384 - len, "], \"output_layers\": [[\"out\", 0, 0]]}%s}",
             keras2 ? ", \"keras_version\": \"2.15.0\"" : "");
    return buf;
}

struct problem {
    const struct merge_case *c;
    const double *x[3];
    size_t off[8]; /* each weight's offset in the packed parameters, in the model's order */
    double *p, *dy;
};

static int merged_width(const struct merge_case *c, int k) {
    return k == 0 && c->raw0 ? F : c->width[k];
}

static double objective(const void *vp, double *out) {
    const struct problem *pb = vp;
    const struct merge_case *c = pb->c;
    int R = B * T, w = 0, widths[3], total = 0;
    double *h[3];
    for (int k = 0; k < c->n; k++) {
        widths[k] = merged_width(c, k);
        total += widths[k];
        h[k] = malloc(sizeof(double) * (size_t)R * widths[k]);
        if (k == 0 && c->raw0) {
            memcpy(h[k], pb->x[k], sizeof(double) * (size_t)R * F);
            continue;
        }
        ref_dense_forward(pb->x[k], R, F, pb->p + pb->off[w], pb->p + pb->off[w + 1], widths[k],
                          REF_ACT_TANH, h[k]);
        w += 2;
    }
    int M = c->op == REF_MERGE_CONCATENATE ? total : widths[0];
    double *m = malloc(sizeof(double) * (size_t)R * M);
    ref_merge_forward(c->op, (const double *const *)h, c->n, R, widths, m);
    ref_dense_forward(m, R, M, pb->p + pb->off[w], pb->p + pb->off[w + 1], OUT, REF_ACT_LINEAR,
                      out);
    double s = 0;
    for (long i = 0; i < (long)R * OUT; i++) s += out[i] * pb->dy[i];
    for (int k = 0; k < c->n; k++) free(h[k]);
    free(m);
    return s;
}

static clrnn_model *load(const char *label, const char *json) {
    clrnn_model *m = NULL;
    clrnn_status st = clrnn_model_from_json(ctx, json, NULL, 0, CLRNN_DTYPE_FLOAT32, 5, &m);
    if (st) fprintf(stderr, "%s: %s\n", label, clrnn_last_error());
    CHECK(st == CLRNN_OK);
    return m;
}

/* Predictions of m on xs. */
static float *predict(clrnn_model *m, const struct clrnn_array *xs, int n) {
    struct clrnn_array y;
    if (clrnn_model_forward(m, xs, n, 0, &y)) return NULL;
    float *out = malloc(sizeof(float) * B * T * OUT);
    memcpy(out, y.data, sizeof(float) * B * T * OUT);
    clrnn_array_clear(&y);
    return out;
}

static void check_case(const struct merge_case *c) {
    char label[160];
    snprintf(label, sizeof label, "%s of %d%s", c->cls, c->n,
             c->raw0 ? " (input 0 a model input)" : "");
    char *json = case_json(c, 0);
    clrnn_model *m = load(label, json);
    free(json);
    if (!m) return;
    struct problem pb = {c, {NULL}, {0}, NULL, NULL};
    int nw = clrnn_model_weight_count(m);
    for (int k = 0; k < nw && k < 8; k++) {
        struct clrnn_weight_info wi;
        CHECK(clrnn_model_weight(m, k, &wi) == CLRNN_OK);
        pb.off[k] = wi.offset;
    }
    size_t np = clrnn_model_param_count(m), ny = (size_t)B * T * OUT;
    float *pf = malloc(sizeof *pf * np);
    pb.p = malloc(sizeof *pb.p * np);
    for (size_t i = 0; i < np; i++) pb.p[i] = pf[i] = (float)test_uniform(&lcg, -0.8, 0.8);
    CHECK(clrnn_model_set_params(m, pf) == CLRNN_OK);
    struct clrnn_array xs[3], y, dy;
    int64_t dims[3] = {B, T, F}, dyd[3] = {B, T, OUT};
    double *xd[3];
    for (int k = 0; k < c->n; k++) {
        clrnn_array_alloc(&xs[k], CLRNN_DTYPE_FLOAT32, 3, dims);
        xd[k] = malloc(sizeof(double) * B * T * F);
        for (int i = 0; i < B * T * F; i++)
            xd[k][i] = ((float *)xs[k].data)[i] = (float)test_uniform(&lcg, -1, 1);
        pb.x[k] = xd[k];
    }
    clrnn_array_alloc(&dy, CLRNN_DTYPE_FLOAT32, 3, dyd);
    pb.dy = malloc(sizeof *pb.dy * ny);
    for (size_t i = 0; i < ny; i++) pb.dy[i] = ((float *)dy.data)[i] = (float)test_uniform(&lcg, -1, 1);
    clrnn_status st = clrnn_model_forward(m, xs, c->n, 1, &y);
    if (st) fprintf(stderr, "%s: %s\n", label, clrnn_last_error());
    CHECK(st == CLRNN_OK);
    double *yr = malloc(sizeof *yr * ny), *num = malloc(sizeof *num * np);
    objective(&pb, yr);
    double *yd = st ? calloc(ny, sizeof *yd) : test_to_double(y.data, ny);
    char l2[200];
    snprintf(l2, sizeof l2, "%s forward", label);
    CHECK_ARRAYS_CLOSE(l2, yd, yr, (long)ny, ATOL, RTOL);
    CHECK(clrnn_model_backward(m, &dy, NULL) == CLRNN_OK);
    float *g = malloc(sizeof *g * np);
    CHECK(clrnn_model_get_grads(m, g) == CLRNN_OK);
    double *gd = test_to_double(g, np);
    test_central_diff(objective, &pb, pb.p, (int)np, num, yr);
    snprintf(l2, sizeof l2, "%s dparams", label);
    CHECK_ARRAYS_CLOSE(l2, gd, num, (long)np, ATOL, RTOL);
    /* tf.keras 2's layout of the same graph, and clrnn's own config of it, read back */
    float *want = predict(m, xs, c->n);
    char *cfg = NULL;
    CHECK(clrnn_model_to_json(m, &cfg) == CLRNN_OK);
    json = case_json(c, 1);
    clrnn_model *k2 = load(label, json), *back = cfg ? load(label, cfg) : NULL;
    CHECK(cfg != NULL);
    free(json), clrnn_free(cfg);
    /* a model from tf.keras 2 is written in tf.keras 2's layout: [[layer, 0, index, {}]] */
    char *cfg2 = NULL, want_node[64];
    CHECK(k2 && clrnn_model_to_json(k2, &cfg2) == CLRNN_OK);
    snprintf(want_node, sizeof want_node, "\"inbound_nodes\":[[[\"%s\",0,0,{}]",
             c->raw0 ? "in0" : "d0");
    CHECK(cfg2 && strstr(cfg2, want_node) && !strstr(cfg2, "\"args\"") &&
          strstr(cfg2, "\"batch_input_shape\""));
    clrnn_model *back2 = cfg2 ? load(label, cfg2) : NULL;
    clrnn_free(cfg2);
    clrnn_model *again[3] = {k2, back, back2};
    for (int i = 0; i < 3; i++) {
        if (!again[i]) continue;
        CHECK(clrnn_model_set_params(again[i], pf) == CLRNN_OK);
        float *got = predict(again[i], xs, c->n);
        CHECK(got && want && memcmp(got, want, sizeof(float) * ny) == 0);
        free(got);
        clrnn_model_free(again[i]);
    }
    free(want);
    free(pf), free(pb.p), free(pb.dy), free(yr), free(num), free(yd), free(g), free(gd);
    for (int k = 0; k < c->n; k++) clrnn_array_clear(&xs[k]), free(xd[k]);
    clrnn_array_clear(&dy), clrnn_array_clear(&y);
    clrnn_model_free(m);
}

/* ---- a Bidirectional encoder's states starting a decoder ---- */

#define TE 4
#define TD 3
#define U 3
#define KTI(name, idx)                                                                        \
    "{\"class_name\": \"__keras_tensor__\", \"config\": {\"keras_history\": [\"" name    \
    "\", 0, " #idx "]}}"

/* join: the decoder is an LSTM(2U) given [Concatenate(fh, bh), Concatenate(fc, bc)];
 * otherwise a Bidirectional(LSTM(U)) given [fh, fc, bh, bc] (states: that list's JSON). */
static char *states_json(int join, const char *states) {
    char *buf = malloc(8192);
    char dec[2048];
    if (join)
        snprintf(dec, sizeof dec,
                 "{\"class_name\": \"Concatenate\", \"name\": \"hcat\", \"config\": {\"name\": "
                 "\"hcat\", \"axis\": -1}, \"inbound_nodes\": [{\"args\": [[" KTI("enc", 1) ", "
                 KTI("enc", 3) "]], \"kwargs\": {}}]},"
                 "{\"class_name\": \"Concatenate\", \"name\": \"ccat\", \"config\": {\"name\": "
                 "\"ccat\", \"axis\": -1}, \"inbound_nodes\": [{\"args\": [[" KTI("enc", 2) ", "
                 KTI("enc", 4) "]], \"kwargs\": {}}]},"
                 "{\"class_name\": \"LSTM\", \"name\": \"dec\", \"config\": {\"name\": \"dec\", "
                 "\"units\": %d, \"return_sequences\": true}, \"inbound_nodes\": [{\"args\": ["
                 KTI("in_d", 0) "], \"kwargs\": {\"initial_state\": [" KTI("hcat", 0) ", "
                 KTI("ccat", 0) "]}}]},", 2 * U);
    else
        snprintf(dec, sizeof dec,
                 "{\"class_name\": \"Bidirectional\", \"name\": \"dec\", \"config\": {\"name\": "
                 "\"dec\", \"layer\": {\"class_name\": \"LSTM\", \"config\": {\"name\": "
                 "\"lstm_d\", \"units\": %d, \"return_sequences\": true}}}, \"inbound_nodes\": "
                 "[{\"args\": [" KTI("in_d", 0) "], \"kwargs\": {\"initial_state\": [%s]}}]},",
                 U, states);
    snprintf(buf, 8192,
             "{\"class_name\": \"Functional\", \"config\": {\"name\": \"bidi_states\", "
             "\"layers\": [{\"class_name\": \"InputLayer\", \"name\": \"in_e\", \"config\": "
             "{\"name\": \"in_e\", \"batch_shape\": [null, %d, %d]}, \"inbound_nodes\": []},"
             "{\"class_name\": \"InputLayer\", \"name\": \"in_d\", \"config\": {\"name\": "
             "\"in_d\", \"batch_shape\": [null, %d, %d]}, \"inbound_nodes\": []},"
             "{\"class_name\": \"Bidirectional\", \"name\": \"enc\", \"config\": {\"name\": "
             "\"enc\", \"layer\": {\"class_name\": \"LSTM\", \"config\": {\"name\": "
             "\"lstm_e\", \"units\": %d, \"return_state\": true}}}, \"inbound_nodes\": "
             "[{\"args\": [" KTI("in_e", 0) "], \"kwargs\": {}}]},"
             "%s"
             "{\"class_name\": \"Dense\", \"name\": \"out\", \"config\": {\"name\": \"out\", "
             "\"units\": %d}, \"inbound_nodes\": [{\"args\": [" KTI("dec", 0) "], "
             "\"kwargs\": {}}]}], \"input_layers\": [[\"in_e\", 0, 0], [\"in_d\", 0, 0]], "
             "\"output_layers\": [[\"out\", 0, 0]]}}",
             TE, F, TD, F, U, dec, OUT);
    return buf;
}

struct states_problem {
    int join;
    const double *xe, *xd;
    size_t off[14];
    double *p, *dy;
};

static struct ref_rnn lstm_ref(int T_, int units, const double *p, const size_t *off, int back,
                               int seq, const double *h0, const double *c0) {
    struct ref_rnn r = {REF_CELL_LSTM, B, T_, F, units, p + off[0], p + off[1], p + off[2],
                        REF_ACT_TANH, REF_ACT_SIGMOID, seq, back, 0, NULL, NULL, NULL, h0, c0};
    return r;
}

static double states_objective(const void *vp, double *out) {
    const struct states_problem *pb = vp;
    const double *p = pb->p;
    double ye[B * U], hf[B * U], cf[B * U], hb[B * U], cb[B * U];
    double *yd = malloc(sizeof(double) * B * TD * 2 * U);
    struct ref_rnn ef = lstm_ref(TE, U, p, pb->off, 0, 0, NULL, NULL);
    struct ref_rnn eb = lstm_ref(TE, U, p, pb->off + 3, 1, 0, NULL, NULL);
    ref_rnn_forward(&ef, pb->xe, ye, hf, cf);
    ref_rnn_forward(&eb, pb->xe, ye, hb, cb);
    int w = 6;
    if (pb->join) {
        double h0[B * 2 * U], c0[B * 2 * U];
        for (int b = 0; b < B; b++)
            for (int u = 0; u < U; u++) {
                h0[b * 2 * U + u] = hf[b * U + u], h0[b * 2 * U + U + u] = hb[b * U + u];
                c0[b * 2 * U + u] = cf[b * U + u], c0[b * 2 * U + U + u] = cb[b * U + u];
            }
        struct ref_rnn d = lstm_ref(TD, 2 * U, p, pb->off + w, 0, 1, h0, c0);
        ref_rnn_forward(&d, pb->xd, yd, NULL, NULL);
        w += 3;
    } else {
        double *ydf = malloc(sizeof(double) * B * TD * U), *ydb = malloc(sizeof(double) * B * TD * U);
        struct ref_rnn df = lstm_ref(TD, U, p, pb->off + w, 0, 1, hf, cf);
        struct ref_rnn db = lstm_ref(TD, U, p, pb->off + w + 3, 1, 1, hb, cb);
        ref_rnn_forward(&df, pb->xd, ydf, NULL, NULL);
        ref_rnn_forward(&db, pb->xd, ydb, NULL, NULL);
        /* the backward layer's sequence flipped back in time, then concat */
        for (int b = 0; b < B; b++)
            for (int t = 0; t < TD; t++)
                for (int u = 0; u < U; u++) {
                    yd[((long)b * TD + t) * 2 * U + u] = ydf[((long)b * TD + t) * U + u];
                    yd[((long)b * TD + t) * 2 * U + U + u] = ydb[((long)b * TD + TD - 1 - t) * U + u];
                }
        free(ydf), free(ydb);
        w += 6;
    }
    ref_dense_forward(yd, B * TD, 2 * U, p + pb->off[w], p + pb->off[w + 1], OUT, REF_ACT_LINEAR,
                      out);
    free(yd);
    double s = 0;
    for (long i = 0; i < (long)B * TD * OUT; i++) s += out[i] * pb->dy[i];
    return s;
}

static void check_bidi_states(int join) {
    const char *label = join ? "Bidirectional states joined by Concatenate into an LSTM"
                             : "Bidirectional states into a Bidirectional";
    char *json = states_json(join, KTI("enc", 1) ", " KTI("enc", 2) ", " KTI("enc", 3) ", "
                                   KTI("enc", 4));
    clrnn_model *m = load(label, json);
    free(json);
    if (!m) return;
    struct states_problem pb = {join, NULL, NULL, {0}, NULL, NULL};
    int nw = clrnn_model_weight_count(m);
    CHECK_INT_EQ(nw, join ? 11 : 14);
    for (int k = 0; k < nw && k < 14; k++) {
        struct clrnn_weight_info wi;
        CHECK(clrnn_model_weight(m, k, &wi) == CLRNN_OK);
        pb.off[k] = wi.offset;
    }
    size_t np = clrnn_model_param_count(m), ny = (size_t)B * TD * OUT;
    float *pf = malloc(sizeof *pf * np);
    pb.p = malloc(sizeof *pb.p * np);
    for (size_t i = 0; i < np; i++) pb.p[i] = pf[i] = (float)test_uniform(&lcg, -0.7, 0.7);
    CHECK(clrnn_model_set_params(m, pf) == CLRNN_OK);
    struct clrnn_array xs[2], y, dy;
    int64_t de[3] = {B, TE, F}, dd[3] = {B, TD, F}, dyd[3] = {B, TD, OUT};
    double xe[B * TE * F], xd[B * TD * F];
    clrnn_array_alloc(&xs[0], CLRNN_DTYPE_FLOAT32, 3, de);
    clrnn_array_alloc(&xs[1], CLRNN_DTYPE_FLOAT32, 3, dd);
    for (int i = 0; i < B * TE * F; i++) xe[i] = ((float *)xs[0].data)[i] = (float)test_uniform(&lcg, -1, 1);
    for (int i = 0; i < B * TD * F; i++) xd[i] = ((float *)xs[1].data)[i] = (float)test_uniform(&lcg, -1, 1);
    pb.xe = xe, pb.xd = xd;
    clrnn_array_alloc(&dy, CLRNN_DTYPE_FLOAT32, 3, dyd);
    pb.dy = malloc(sizeof *pb.dy * ny);
    for (size_t i = 0; i < ny; i++) pb.dy[i] = ((float *)dy.data)[i] = (float)test_uniform(&lcg, -1, 1);
    double *yr = malloc(sizeof *yr * ny), *num = malloc(sizeof *num * np);
    states_objective(&pb, yr);
    char l2[200];
    /* twice: the first pass runs a Bidirectional's layers apart, later ones as one launch */
    for (int pass = 0; pass < 2; pass++) {
        clrnn_status st = clrnn_model_forward(m, xs, 2, 1, &y);
        if (st) fprintf(stderr, "%s: %s\n", label, clrnn_last_error());
        CHECK(st == CLRNN_OK);
        double *yd = st ? calloc(ny, sizeof *yd) : test_to_double(y.data, ny);
        snprintf(l2, sizeof l2, "%s forward (pass %d)", label, pass + 1);
        CHECK_ARRAYS_CLOSE(l2, yd, yr, (long)ny, ATOL, RTOL);
        free(yd);
        CHECK(clrnn_model_backward(m, &dy, NULL) == CLRNN_OK);
        float *g = malloc(sizeof *g * np);
        CHECK(clrnn_model_get_grads(m, g) == CLRNN_OK);
        double *gd = test_to_double(g, np);
        if (pass == 0) test_central_diff(states_objective, &pb, pb.p, (int)np, num, yr);
        snprintf(l2, sizeof l2, "%s dparams (pass %d)", label, pass + 1);
        CHECK_ARRAYS_CLOSE(l2, gd, num, (long)np, ATOL, RTOL);
        free(g), free(gd);
        clrnn_array_clear(&y);
    }
    free(pf), free(pb.p), free(pb.dy), free(yr), free(num);
    clrnn_array_clear(&xs[0]), clrnn_array_clear(&xs[1]), clrnn_array_clear(&dy);
    clrnn_model_free(m);
}

static void expect_refused(const char *what, const char *json, const char *text) {
    clrnn_model *m = NULL;
    clrnn_status st = clrnn_model_from_json(ctx, json, NULL, 0, CLRNN_DTYPE_FLOAT32, 5, &m);
    CHECK(st != CLRNN_OK && m == NULL);
    CHECK_STR_CONTAINS(clrnn_last_error(), text);
    printf("  %s: %s\n", what, clrnn_last_error());
    clrnn_model_free(m);
}

static void check_refusals(void) {
    struct merge_case three = {"Subtract", REF_MERGE_SUBTRACT, 3, {5, 5, 5}, 0};
    char *json = case_json(&three, 0);
    expect_refused("Subtract of three", json,
                   "layer 'merge' (Subtract) takes exactly 2 tensors, but is given 3");
    free(json);
    struct merge_case widths = {"Add", REF_MERGE_ADD, 2, {5, 4, 0}, 0};
    json = case_json(&widths, 0);
    expect_refused("Add of different widths", json,
                   "layer 'merge' (Add): input 1 has shape (None, 2, 4), input 0 (None, 2, 5); "
                   "they must be the same");
    free(json);
    struct merge_case concat = {"Concatenate", REF_MERGE_CONCATENATE, 2, {5, 4, 0}, 0};
    json = case_json(&concat, 0);
    char *axis = strstr(json, "\"axis\": -1");
    if (axis) memcpy(axis, "\"axis\":  1", 10);
    expect_refused("Concatenate on axis 1", json,
                   "layer 'merge' (Concatenate): axis is not -1; clrnn joins on the last axis only");
    free(json);
    json = states_json(0, KTI("enc", 1) ", " KTI("enc", 2) ", " KTI("enc", 3));
    expect_refused("three initial states for a Bidirectional", json,
                   "layer 'dec' (Bidirectional) is given 3 initial states; it takes the forward "
                   "layer's, then as many of the backward layer's");
    free(json);
}

int main(void) {
    TEST_OPEN_DEVICE(ctx);
    static const struct merge_case cases[] = {
        {"Add", REF_MERGE_ADD, 3, {5, 5, 5}, 0},
        {"Subtract", REF_MERGE_SUBTRACT, 2, {5, 5, 0}, 0},
        {"Multiply", REF_MERGE_MULTIPLY, 3, {5, 5, 5}, 0},
        {"Average", REF_MERGE_AVERAGE, 3, {5, 5, 5}, 0},
        {"Maximum", REF_MERGE_MAXIMUM, 3, {5, 5, 5}, 0},
        {"Minimum", REF_MERGE_MINIMUM, 2, {5, 5, 0}, 0},
        {"Concatenate", REF_MERGE_CONCATENATE, 3, {5, 2, 3}, 0},
        {"Concatenate", REF_MERGE_CONCATENATE, 2, {0, 3, 0}, 1},
        {"Add", REF_MERGE_ADD, 2, {0, F, 0}, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) check_case(&cases[i]);
    check_bidi_states(0);
    check_bidi_states(1);
    check_refusals();
    clrnn_ctx_free(ctx);
    TEST_MAIN_END();
}
