/*
 * test_bidirectional.c - Bidirectional around each recurrent layer, with each merge mode,
 * return_sequences both ways, with and without a mask from Embedding(mask_zero=True): the
 * forward output against the reference (two runs of tests/ref/ref_rnn.c, the backward one
 * with go_backwards, flipped back in time and merged as Keras 3 does, with
 * zero_output_for_mask = return_sequences), and every gradient against central differences
 * of that reference. Also the two layers run as one launch (host/rnn_pair.c) against the
 * same layers run apart, bit for bit; the config written back, the weight names, and
 * refusals.
 *
 * Tolerances as in test_kernels.c (atol 5e-5 + rtol 1e-4), for the same reasons.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clrnn_impl.h"
#include "numeric.h"
#include "ref.h"
#include "test.h"

#define ATOL 5e-5
#define RTOL 1e-4
#define VOCAB 6

static clrnn_ctx *ctx;
static uint64_t lcg = 4242;
static double uniform(double lo, double hi) { return test_uniform(&lcg, lo, hi); }

static const char *const MERGES[] = {"concat", "sum", "ave", "mul"};
static const char *const CLASSES[] = {"SimpleRNN", "LSTM", "GRU", "GRU"};

struct problem {
    ref_cell cell;
    int merge, seq, masked, B, T, I, U, G, emb;
    double *p, *x, *mask, *dy;
    int *ids;
};

static int out_width(const struct problem *pb) { return pb->merge == 0 ? 2 * pb->U : pb->U; }
static int out_count(const struct problem *pb) {
    return pb->B * (pb->seq ? pb->T : 1) * out_width(pb);
}

static double objective(const struct problem *pb, double *y) {
    int B = pb->B, T = pb->T, I = pb->I, U = pb->U, G = pb->G, Tn = pb->seq ? T : 1;
    double *x = pb->x, *xe = NULL;
    if (pb->masked) {
        xe = malloc(sizeof *xe * (size_t)B * T * I);
        for (int k = 0; k < B * T; k++)
            for (int i = 0; i < I; i++) xe[(long)k * I + i] = pb->p[(long)pb->ids[k] * I + i];
        x = xe;
    }
    size_t per = (size_t)I * G * U + (size_t)U * G * U + (size_t)(pb->cell == REF_CELL_GRU ? 2 : 1) * G * U;
    double *yo[2];
    for (int d = 0; d < 2; d++) {
        const double *K = pb->p + pb->emb + d * per, *Rk = K + (long)I * G * U;
        struct ref_rnn r = {pb->cell, B, T, I, U, K, Rk, Rk + (long)U * G * U, REF_ACT_TANH,
                            REF_ACT_SIGMOID, pb->seq, d, pb->seq, pb->mask, NULL, NULL, NULL, NULL};
        yo[d] = malloc(sizeof *yo[d] * (size_t)B * Tn * U);
        ref_rnn_forward(&r, x, yo[d], NULL, NULL);
    }
    int W = out_width(pb);
    for (int b = 0; b < B; b++)
        for (int t = 0; t < Tn; t++)
            for (int u = 0; u < U; u++) {
                double f = yo[0][((long)b * Tn + t) * U + u];
                double g = yo[1][((long)b * Tn + (pb->seq ? T - 1 - t : 0)) * U + u];
                double *row = y + ((long)b * Tn + t) * W;
                switch (pb->merge) {
                case 0: row[u] = f, row[U + u] = g; break;
                case 1: row[u] = f + g; break;
                case 2: row[u] = (f + g) / 2; break;
                default: row[u] = f * g; break;
                }
            }
    free(yo[0]), free(yo[1]), free(xe);
    double s = 0;
    for (int i = 0; i < out_count(pb); i++) s += y[i] * pb->dy[i];
    return s;
}

static double objective_of(const void *pb, double *y) { return objective(pb, y); }
static void numeric_grad(struct problem *pb, double *v, int n, double *out, double *scratch) {
    test_central_diff(objective_of, pb, v, n, out, scratch);
}

static clrnn_model *build_model(const struct problem *pb) {
    char json[1200], emb[200] = "", input[160];
    if (pb->masked) {
        snprintf(input, sizeof input, "[null, %d]", pb->T);
        snprintf(emb, sizeof emb, "{\"class_name\": \"Embedding\", \"config\": {\"name\": \"emb\", "
                 "\"input_dim\": %d, \"output_dim\": %d, \"mask_zero\": true}},", VOCAB, pb->I);
    } else {
        snprintf(input, sizeof input, "[null, %d, %d]", pb->T, pb->I);
    }
    snprintf(json, sizeof json,
             "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"bi\", \"layers\": ["
             "{\"class_name\": \"InputLayer\", \"config\": {\"batch_input_shape\": %s, "
             "\"dtype\": \"%s\"}}, %s"
             "{\"class_name\": \"Bidirectional\", \"config\": {\"name\": \"bidirectional\", "
             "\"merge_mode\": \"%s\", \"layer\": {\"class_name\": \"%s\", \"config\": "
             "{\"name\": \"rnn\", \"units\": %d, \"return_sequences\": %s%s}}}}]}}",
             input, pb->masked ? "int32" : "float32", emb, MERGES[pb->merge], CLASSES[pb->cell],
             pb->U, pb->seq ? "true" : "false",
             pb->cell == REF_CELL_GRU_V1 ? ", \"reset_after\": false" : "");
    clrnn_model *m = NULL;
    if (clrnn_model_from_json(ctx, json, NULL, 0, CLRNN_DTYPE_FLOAT32, 1, &m) != CLRNN_OK)
        fprintf(stderr, "%s\n%s\n", json, clrnn_last_error());
    return m;
}

static void check_bidirectional(ref_cell cell, int merge, int seq, int masked, int B) {
    struct problem pb = {cell, merge, seq, masked, B, 6, 3, 4, 0, 0, NULL, NULL, NULL, NULL, NULL};
    pb.G = cell == REF_CELL_SIMPLE ? 1 : cell == REF_CELL_LSTM ? 4 : 3;
    int T = pb.T, I = pb.I;
    char label[160], l2[200];
    snprintf(label, sizeof label, "bidirectional(%s) %s seq=%d masked=%d B=%d",
             cell == REF_CELL_GRU_V1 ? "GRU v1" : CLASSES[cell], MERGES[merge], seq, masked, B);
    clrnn_model *m = build_model(&pb);
    CHECK(m != NULL);
    if (!m) return;
    size_t np = clrnn_model_param_count(m);
    float *pf = malloc(sizeof *pf * np);
    pb.p = malloc(sizeof *pb.p * np);
    for (size_t i = 0; i < np; i++) pb.p[i] = pf[i] = (float)uniform(-0.6, 0.6);
    clrnn_model_set_params(m, pf);
    pb.emb = masked ? VOCAB * I : 0;
    struct clrnn_array x, y, dy, dx = {0};
    if (masked) {
        int64_t d[2] = {B, T};
        clrnn_array_alloc(&x, CLRNN_DTYPE_INT32, 2, d);
        pb.ids = x.data;
        pb.mask = malloc(sizeof *pb.mask * (size_t)B * T);
        for (int k = 0; k < B * T; k++) {
            /* rows b padded at the end by b % 3 steps, and at the start by b % 2 */
            int b = k / T, t = k % T;
            int pad = t >= T - b % 3 || t < b % 2;
            pb.ids[k] = pad ? 0 : 1 + (int)uniform(0, VOCAB - 1);
            pb.mask[k] = !pad;
        }
    } else {
        int64_t d[3] = {B, T, I};
        clrnn_array_alloc(&x, CLRNN_DTYPE_FLOAT32, 3, d);
        pb.x = malloc(sizeof *pb.x * (size_t)B * T * I);
        for (int i = 0; i < B * T * I; i++) pb.x[i] = ((float *)x.data)[i] = (float)uniform(-1, 1);
    }
    int ny = out_count(&pb);
    int64_t dd[3] = {B, seq ? T : out_width(&pb), out_width(&pb)};
    clrnn_array_alloc(&dy, CLRNN_DTYPE_FLOAT32, seq ? 3 : 2, dd);
    pb.dy = malloc(sizeof *pb.dy * (size_t)ny);
    for (int i = 0; i < ny; i++) pb.dy[i] = ((float *)dy.data)[i] = (float)uniform(-1, 1);
    double *yr = malloc(sizeof *yr * (size_t)ny);
    objective(&pb, yr);
    /* twice: the first pass tunes the kernel and runs the layers apart, later ones run
     * them as one launch (rnn_pair.c) */
    for (int pass = 0; pass < 2; pass++) {
        if (pass) clrnn_array_clear(&y);
        CHECK(clrnn_model_forward(m, &x, 1, 1, &y) == CLRNN_OK);
        double *yd = test_to_double(y.data, (size_t)ny);
        snprintf(l2, sizeof l2, "%s forward (pass %d)", label, pass + 1);
        CHECK_ARRAYS_CLOSE(l2, yd, yr, ny, ATOL, RTOL);
        free(yd);
    }
    CHECK(clrnn_model_backward(m, &dy, masked ? NULL : &dx) == CLRNN_OK);
    float *g = malloc(sizeof *g * np);
    clrnn_model_get_grads(m, g);
    double *gd = test_to_double(g, np), *num = malloc(sizeof *num * (np + (size_t)B * T * I));
    numeric_grad(&pb, pb.p, (int)np, num, yr);
    snprintf(l2, sizeof l2, "%s dparams", label);
    CHECK_ARRAYS_CLOSE(l2, gd, num, (long)np, ATOL, RTOL);
    if (!masked) {
        numeric_grad(&pb, pb.x, B * T * I, num, yr);
        double *dxd = test_to_double(dx.data, (size_t)B * T * I);
        snprintf(l2, sizeof l2, "%s dx", label);
        CHECK_ARRAYS_CLOSE(l2, dxd, num, (long)B * T * I, ATOL, RTOL);
        free(dxd);
        clrnn_array_clear(&dx);
    }
    free(pf), free(pb.p), free(pb.x), free(pb.mask), free(pb.dy), free(yr), free(g);
    free(gd), free(num);
    clrnn_array_clear(&x), clrnn_array_clear(&y), clrnn_array_clear(&dy);
    clrnn_model_free(m);
}

#define PAIR_PASSES 3

/* check_pair's passes on model m of context c; returns the launches of both layers at once */
static long run_passes(clrnn_ctx *c, clrnn_model *m, const char *kernel, int tokens, float *y,
                       float *g, size_t ny, size_t np) {
    CHECK_INT_EQ(clrnn_model_param_count(m), np);
    uint64_t seed = 99;
    float *pf = malloc(sizeof *pf * np);
    for (size_t i = 0; i < np; i++) pf[i] = (float)test_uniform(&seed, -0.6, 0.6);
    clrnn_model_set_params(m, pf);
    int B = 6, T = 7, I = 3;
    struct clrnn_array x, out, dy;
    int64_t x_shape[3] = {B, T, I}, dy_shape[2] = {B, (int64_t)ny / B};
    clrnn_array_alloc(&x, tokens ? CLRNN_DTYPE_INT32 : CLRNN_DTYPE_FLOAT32, tokens ? 2 : 3,
                      x_shape);
    clrnn_array_alloc(&dy, CLRNN_DTYPE_FLOAT32, 2, dy_shape);
    for (int k = 0; k < B * T * (tokens ? 1 : I); k++) {
        int b = k / (T * (tokens ? 1 : I)), t = k / (tokens ? 1 : I) % T;
        if (tokens) /* rows padded at the start by b % 3 steps */
            ((int32_t *)x.data)[k] = t < b % 3 ? 0 : 1 + (int)test_uniform(&seed, 0, VOCAB - 1);
        else
            ((float *)x.data)[k] = (float)test_uniform(&seed, -1, 1);
    }
    for (size_t i = 0; i < ny; i++) ((float *)dy.data)[i] = (float)test_uniform(&seed, -1, 1);
    for (int pass = 0; pass < PAIR_PASSES; pass++) {
        CHECK(clrnn_model_forward(m, &x, 1, 1, &out) == CLRNN_OK);
        if (out.data) memcpy(y + (size_t)pass * ny, out.data, ny * sizeof *y);
        clrnn_array_clear(&out);
        CHECK(clrnn_model_backward(m, &dy, NULL) == CLRNN_OK);
        clrnn_model_get_grads(m, g + (size_t)pass * np);
    }
    char fwd[64], bwd[64];
    snprintf(fwd, sizeof fwd, "%s_fwd (both directions)", kernel);
    snprintf(bwd, sizeof bwd, "%s_bwd (both directions)", kernel);
    long pairs = clrnn_profile_calls(c, fwd) + clrnn_profile_calls(c, bwd);
    free(pf);
    clrnn_array_clear(&x), clrnn_array_clear(&dy);
    return pairs;
}

/* One model of check_pair run for three training passes on a context of its own, profiled
 * so that its launches of both layers at once can be counted: every pass's output and
 * gradients into y and g (passes * ny, passes * np floats). */
static long run_pair_model(const char *json, const char *kernel, int separate, int tokens,
                           float *y, float *g, size_t ny, size_t np) {
    char profile[64]; /* the test's variants run at once in one folder */
    snprintf(profile, sizeof profile, "test_bidirectional_profile_%ld.txt", (long)getpid());
    setenv("CLRNN_PROFILE", profile, 1);
    if (separate) setenv("CLRNN_BIDIRECTIONAL", "separate", 1);
    clrnn_ctx *c = NULL;
    clrnn_status s = clrnn_ctx_create(NULL, &c);
    clrnn_model *m = NULL;
    CHECK(s == CLRNN_OK && clrnn_model_from_json(c, json, NULL, 0, tokens ? CLRNN_DTYPE_INT32 :
                                                 CLRNN_DTYPE_FLOAT32, 5, &m) == CLRNN_OK);
    long pairs = m ? run_passes(c, m, kernel, tokens, y, g, ny, np) : -1;
    clrnn_model_free(m);
    clrnn_ctx_free(c); /* writes the profile */
    remove(profile);
    unsetenv("CLRNN_PROFILE");
    unsetenv("CLRNN_BIDIRECTIONAL");
    return pairs;
}

/* The two layers of a Bidirectional run as one launch (rnn_pair.c) from the second training
 * pass on (the first tunes the kernel): the same bits as run apart
 * (CLRNN_BIDIRECTIONAL=separate), outputs and gradients over three passes; with a mask,
 * the Embedding's tokens and recurrent dropout, and with float inputs and input dropout. */
static void check_pair(ref_cell cell, int tokens) {
    static const char *const KERNELS[] = {"simple_rnn", "lstm", "gru", "gru_v1"};
    char json[1400];
    int U = 5, G = cell == REF_CELL_SIMPLE ? 1 : cell == REF_CELL_LSTM ? 4 : 3;
    int gru_after = cell == REF_CELL_GRU;
    snprintf(json, sizeof json,
             "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"s\", \"layers\": ["
             "{\"class_name\": \"InputLayer\", \"config\": {\"batch_input_shape\": [null, 7%s], "
             "\"dtype\": \"%s\"}}%s,"
             "{\"class_name\": \"Bidirectional\", \"config\": {\"name\": \"bi\", "
             "\"layer\": {\"class_name\": \"%s\", \"config\": {\"name\": \"rnn\", \"units\": %d, "
             "\"return_sequences\": %s, \"%s\": 0.3%s}}}}]}}",
             tokens ? "" : ", 3", tokens ? "int32" : "float32",
             tokens ? ", {\"class_name\": \"Embedding\", \"config\": {\"name\": \"emb\", "
                      "\"input_dim\": 6, \"output_dim\": 3, \"mask_zero\": true}}" : "",
             CLASSES[cell], U, tokens ? "true" : "false",
             tokens ? "recurrent_dropout" : "dropout",
             cell == REF_CELL_GRU_V1 ? ", \"reset_after\": false" : "");
    size_t ny = (size_t)6 * (tokens ? 7 : 1) * 2 * (size_t)U;
    size_t per_dir = (size_t)G * U * (3 + U) + (size_t)G * U * (gru_after ? 2 : 1);
    size_t np = (tokens ? (size_t)VOCAB * 3 : 0) + 2 * per_dir;
    size_t ysz = PAIR_PASSES * ny, gsz = PAIR_PASSES * np;
    float *y1 = calloc(ysz, sizeof *y1), *y2 = calloc(ysz, sizeof *y2);
    float *g1 = calloc(gsz, sizeof *g1), *g2 = calloc(gsz, sizeof *g2);
    long together = run_pair_model(json, KERNELS[cell], 0, tokens, y1, g1, ny, np);
    long apart = run_pair_model(json, KERNELS[cell], 1, tokens, y2, g2, ny, np);
    char label[96];
    snprintf(label, sizeof label, "pair of %s, %s", KERNELS[cell], tokens ? "tokens" : "floats");
    /* every backward pass in one launch, and every forward pass but a first one that tunes
     * (with no choice left to tune, as under CLRNN_ROWS_PER_ITEM, the first too); none
     * apart; none on the per-step path, which runs each layer's steps as products */
    const char *rec = getenv("CLRNN_RECURRENCE");
    int steps = rec && strcmp(rec, "steps") == 0;
    long least = steps ? 0 : 2 * PAIR_PASSES - 1, most = steps ? 0 : 2 * PAIR_PASSES;
    if (together < least || together > most || apart != 0)
        fprintf(stderr, "%s: %ld launches of both layers (want %ld to %ld), %ld apart "
                "(want 0)\n", label, together, least, most, apart);
    CHECK(together >= least && together <= most && apart == 0);
    size_t bad_y = 0, bad_g = 0;
    for (size_t i = 0; i < ysz; i++) bad_y += memcmp(&y1[i], &y2[i], sizeof *y1) != 0;
    for (size_t i = 0; i < gsz; i++) bad_g += memcmp(&g1[i], &g2[i], sizeof *g1) != 0;
    if (bad_y || bad_g)
        fprintf(stderr, "%s: %zu outputs and %zu gradients differ from the layers run apart\n",
                label, bad_y, bad_g);
    CHECK(bad_y == 0 && bad_g == 0);
    free(y1), free(y2), free(g1), free(g2);
}

/* The saved config and weight names follow Keras: forward_/backward_ inner layers. */
static void check_names_and_config(void) {
    struct problem pb = {REF_CELL_LSTM, 1, 1, 1, 2, 5, 3, 4, 4, 0, NULL, NULL, NULL, NULL, NULL};
    clrnn_model *m = build_model(&pb);
    CHECK(m != NULL);
    if (!m) return;
    /* Embedding 6*3 + 2 * LSTM(4) on 3 inputs (3*16 + 4*16 + 16) */
    CHECK_INT_EQ(clrnn_model_param_count(m), 18 + 2 * 128);
    struct clrnn_weight_info w;
    CHECK(clrnn_model_weight(m, 1, &w) == CLRNN_OK && strcmp(w.name, "kernel") == 0);
    CHECK(clrnn_model_weight(m, 4, &w) == CLRNN_OK && strcmp(w.name, "kernel") == 0);
    const struct clrnn_layer *l = m->layers[1];
    CHECK(strcmp(l->w[0].scope, "forward_rnn/lstm_cell") == 0);
    CHECK(strcmp(l->w[5].scope, "backward_rnn/lstm_cell") == 0);
    cJSON *cfg = clrnn_model_config_json(m);
    char *text = cJSON_PrintUnformatted(cfg);
    CHECK_STR_CONTAINS(text, "\"merge_mode\":\"sum\"");
    CHECK_STR_CONTAINS(text, "\"name\":\"forward_rnn\"");
    CHECK_STR_CONTAINS(text, "\"name\":\"backward_rnn\"");
    CHECK_STR_CONTAINS(text, "\"go_backwards\":true");
    /* built again from what it wrote: the same names, not forward_forward_rnn */
    clrnn_model *again = NULL;
    CHECK(clrnn_model_from_json(ctx, text, NULL, 0, CLRNN_DTYPE_FLOAT32, 1, &again) == CLRNN_OK);
    if (again) {
        CHECK(strcmp(again->layers[1]->w[0].scope, "forward_rnn/lstm_cell") == 0);
        CHECK(strcmp(again->layers[1]->w[5].scope, "backward_rnn/lstm_cell") == 0);
    }
    char *sum;
    CHECK(clrnn_model_summary(m, &sum) == CLRNN_OK);
    CHECK_STR_CONTAINS(sum, "bidirectional (Bidirectional)");
    CHECK_STR_CONTAINS(sum, "(None, 5, 4)");
    free(sum);
    cJSON_free(text);
    cJSON_Delete(cfg);
    clrnn_model_free(again);
    clrnn_model_free(m);
    /* refusals: not recurrent; merge_mode None */
    const char *bad[][2] = {
        {"{\"class_name\": \"Dense\", \"config\": {\"name\": \"d\", \"units\": 2}}, \"merge_mode\": \"sum\"",
         "not a recurrent layer"},
        {"{\"class_name\": \"LSTM\", \"config\": {\"name\": \"l\", \"units\": 2}}, \"merge_mode\": null",
         "merge_mode None"},
    };
    for (int i = 0; i < 2; i++) {
        char json[800];
        snprintf(json, sizeof json,
                 "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"s\", \"layers\": ["
                 "{\"class_name\": \"InputLayer\", \"config\": {\"batch_input_shape\": [null, 4, 3]}},"
                 "{\"class_name\": \"Bidirectional\", \"config\": {\"name\": \"bidi\", \"layer\": %s}}]}}",
                 bad[i][0]);
        clrnn_model *b = NULL;
        CHECK(clrnn_model_from_json(ctx, json, NULL, 0, CLRNN_DTYPE_FLOAT32, 1, &b) ==
              CLRNN_E_UNSUPPORTED);
        CHECK_STR_CONTAINS(clrnn_last_error(), bad[i][1]);
        CHECK_STR_CONTAINS(clrnn_last_error(), "'bidi' (Bidirectional)");
        CHECK(b == NULL);
    }
}

/* Saved to a legacy .h5 and loaded back: the same config, weights and predictions, for a
 * chain with a mask, a Bidirectional, the RNN wrapper, go_backwards and dropout. */
static void check_save_load(void) {
    const char *json =
        "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"chain\", \"layers\": ["
        "{\"class_name\": \"InputLayer\", \"config\": {\"batch_input_shape\": [null, 7], "
        "\"dtype\": \"int32\"}},"
        "{\"class_name\": \"Embedding\", \"config\": {\"name\": \"emb\", \"input_dim\": 6, "
        "\"output_dim\": 3, \"mask_zero\": true}},"
        "{\"class_name\": \"Bidirectional\", \"config\": {\"name\": \"bi\", \"merge_mode\": "
        "\"ave\", \"layer\": {\"class_name\": \"GRU\", \"config\": {\"name\": \"gru\", "
        "\"units\": 4, \"return_sequences\": true, \"reset_after\": false, \"dropout\": 0.2}}}},"
        "{\"class_name\": \"RNN\", \"config\": {\"name\": \"rnn\", \"go_backwards\": true, "
        "\"cell\": {\"class_name\": \"LSTMCell\", \"config\": {\"name\": \"my_cell\", "
        "\"units\": 3, \"recurrent_dropout\": 0.1}}}},"
        "{\"class_name\": \"Dense\", \"config\": {\"name\": \"out\", \"units\": 1, "
        "\"activation\": \"sigmoid\"}}]}}";
    clrnn_model *m = NULL, *back = NULL;
    CHECK(clrnn_model_from_json(ctx, json, NULL, 0, CLRNN_DTYPE_FLOAT32, 9, &m) == CLRNN_OK);
    if (!m) return;
    CHECK(strcmp(m->layers[2]->w[0].scope, "my_cell") == 0);
    struct clrnn_array x, y1, y2;
    int64_t d[2] = {4, 7};
    clrnn_array_alloc(&x, CLRNN_DTYPE_INT32, 2, d);
    int32_t *ids = x.data;
    for (int k = 0; k < 28; k++) ids[k] = k % 7 < k / 7 ? 0 : 1 + k % 5;
    const char *path = "bidirectional_roundtrip.h5";
    CHECK(clrnn_model_forward(m, &x, 1, 0, &y1) == CLRNN_OK);
    CHECK(clrnn_model_save(m, path) == CLRNN_OK);
    CHECK(clrnn_model_load(ctx, path, NULL, &back) == CLRNN_OK);
    if (back) {
        CHECK_INT_EQ(clrnn_model_param_count(back), clrnn_model_param_count(m));
        CHECK(clrnn_model_forward(back, &x, 1, 0, &y2) == CLRNN_OK);
        CHECK(memcmp(y1.data, y2.data, sizeof(float) * 4) == 0);
        cJSON *a = clrnn_model_config_json(m), *b = clrnn_model_config_json(back);
        char *ta = cJSON_PrintUnformatted(a), *tb = cJSON_PrintUnformatted(b);
        CHECK(strcmp(ta, tb) == 0);
        CHECK_STR_CONTAINS(ta, "\"recurrent_dropout\":0.1");
        CHECK_STR_CONTAINS(ta, "\"class_name\":\"LSTMCell\"");
        cJSON_free(ta), cJSON_free(tb);
        cJSON_Delete(a), cJSON_Delete(b);
        clrnn_array_clear(&y2);
    }
    remove(path);
    clrnn_array_clear(&x), clrnn_array_clear(&y1);
    clrnn_model_free(m), clrnn_model_free(back);
}

int main(void) {
    clrnn_status s = clrnn_ctx_create(NULL, &ctx);
    if (s == CLRNN_E_NO_DEVICE) test_skip_no_device(clrnn_last_error());
    if (s) {
        fprintf(stderr, "%s\n", clrnn_last_error());
        return 1;
    }
    printf("device: %s\n", clrnn_ctx_device(ctx)->name);
    for (int merge = 0; merge < 4; merge++)
        for (int seq = 0; seq < 2; seq++) check_bidirectional(REF_CELL_LSTM, merge, seq, 0, 3);
    for (int cell = 0; cell < 4; cell++)
        for (int seq = 0; seq < 2; seq++)
            check_bidirectional((ref_cell)cell, seq ? 0 : 3, seq, 1, 5);
    check_bidirectional(REF_CELL_GRU, 2, 1, 1, test_small() ? 9 : 33);
    for (int cell = 0; cell < 4; cell++)
        for (int tokens = 0; tokens < 2; tokens++) check_pair((ref_cell)cell, tokens);
    check_names_and_config();
    check_save_load();
    clrnn_ctx_free(ctx);
    TEST_MAIN_END();
}
