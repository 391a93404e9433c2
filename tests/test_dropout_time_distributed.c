/*
 * test_dropout_time_distributed.c - the Dropout layer and the TimeDistributed wrapper, and
 * the nested --layers syntax that writes them (and Bidirectional):
 *  - Dropout is the identity in inference; in training y = x * mask with each mask value 0 or
 *    1/(1-rate), about rate of them 0, a new mask every pass, dx = dy * mask; noise_shape
 *    (None, 1, F) shares one mask row across the timesteps; masks pass through it.
 *  - TimeDistributed(Dense) gives the same numbers, bit for bit, as Dense on the same 3-D
 *    input (already checked against the reference in test_kernels), forward and backward,
 *    and against the reference directly; its configuration and weights survive a .h5 round
 *    trip; masks pass through; wrong inputs are refused naming the layer.
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

static clrnn_ctx *ctx;

static clrnn_model *build(const char *spec, const int64_t *in, int rank, clrnn_dtype dtype) {
    clrnn_model *m = NULL;
    if (clrnn_model_from_spec(ctx, spec, in, rank, dtype, 7, &m)) {
        fprintf(stderr, "building '%s' failed: %s\n", spec, clrnn_last_error());
        exit(1);
    }
    return m;
}

static void random_array(struct clrnn_array *a, int rank, const int64_t *dims, uint64_t *state) {
    clrnn_array_alloc(a, CLRNN_DTYPE_FLOAT32, rank, dims);
    float *v = a->data;
    for (int64_t i = 0; i < clrnn_array_count(a); i++) v[i] = (float)test_uniform(state, -1, 1);
}

static void test_dropout(void) {
    enum { B = 64, T = 5, F = 8 };
    const double rate = 0.3;
    int64_t in[2] = {T, F}, xd[3] = {B, T, F};
    uint64_t st = 11;
    clrnn_model *m = build("dropout(0.3)", in, 2, CLRNN_DTYPE_FLOAT32);
    struct clrnn_array x, y, dy, dx;
    random_array(&x, 3, xd, &st);
    random_array(&dy, 3, xd, &st);
    size_t n = (size_t)B * T * F;

    CHECK(clrnn_model_predict(m, &x, 1, 16, &y) == CLRNN_OK);
    CHECK(memcmp(y.data, x.data, n * 4) == 0); /* inference: the identity */
    clrnn_array_clear(&y);

    float *mask = malloc(n * sizeof *mask), *first = malloc(n * sizeof *first);
    CHECK(clrnn_model_forward(m, &x, 1, 1, &y) == CLRNN_OK);
    CHECK(clrnn_dropout_layer_mask(m->layers[0], ctx, B, mask) == CLRNN_OK);
    size_t zeros = 0, bad_values = 0, bad_products = 0;
    float keep = (float)(1.0 / (1.0 - rate));
    for (size_t i = 0; i < n; i++) {
        zeros += mask[i] == 0.0f;
        bad_values += mask[i] != 0.0f && mask[i] != keep;
        bad_products += ((float *)y.data)[i] != ((float *)x.data)[i] * mask[i];
    }
    CHECK(bad_values == 0);
    CHECK(bad_products == 0);
    /* 2560 draws of a Bernoulli(0.3): sd sqrt(0.3 * 0.7 / 2560) = 0.009; 5 sd is 0.045 */
    printf("dropout(0.3): %.4f of %zu elements dropped\n", (double)zeros / (double)n, n);
    CHECK_NEAR((double)zeros / (double)n, rate, 0.045);
    CHECK(clrnn_model_backward(m, &dy, &dx) == CLRNN_OK);
    size_t bad_grads = 0;
    for (size_t i = 0; i < n; i++)
        bad_grads += ((float *)dx.data)[i] != ((float *)dy.data)[i] * mask[i];
    CHECK(bad_grads == 0);
    memcpy(first, mask, n * sizeof *mask);
    clrnn_array_clear(&y);
    CHECK(clrnn_model_forward(m, &x, 1, 1, &y) == CLRNN_OK);
    CHECK(clrnn_dropout_layer_mask(m->layers[0], ctx, B, mask) == CLRNN_OK);
    CHECK(memcmp(first, mask, n * sizeof *mask) != 0); /* a new mask every pass */
    clrnn_array_clear(&y), clrnn_array_clear(&dx);
    clrnn_model_free(m);

    /* noise_shape (None, 1, F): one mask row per sequence, the same at every timestep */
    const char *json =
        "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"s\", \"layers\": ["
        "{\"class_name\": \"InputLayer\", \"config\": {\"batch_input_shape\": [null, 5, 8]}},"
        "{\"class_name\": \"Dropout\", \"config\": {\"name\": \"d\", \"rate\": 0.5, "
        "\"noise_shape\": [null, 1, 8], \"seed\": null}}]}}";
    CHECK(clrnn_model_from_json(ctx, json, NULL, 0, CLRNN_DTYPE_FLOAT32, 3, &m) == CLRNN_OK);
    CHECK(clrnn_model_forward(m, &x, 1, 1, &y) == CLRNN_OK);
    CHECK(clrnn_dropout_layer_mask(m->layers[0], ctx, B, mask) == CLRNN_OK);
    bad_products = 0;
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++)
            for (int f = 0; f < F; f++) {
                size_t i = ((size_t)b * T + t) * F + f;
                bad_products += ((float *)y.data)[i] != ((float *)x.data)[i] * mask[b * F + f];
            }
    CHECK(bad_products == 0);
    char *summary = NULL;
    CHECK(clrnn_model_summary(m, &summary) == CLRNN_OK);
    cJSON *cfg = clrnn_model_config_json(m);
    char *text = cJSON_PrintUnformatted(cfg);
    CHECK_STR_CONTAINS(text, "\"noise_shape\":[null,1,8]");
    free(text), free(summary);
    cJSON_Delete(cfg);
    clrnn_array_clear(&y);
    clrnn_model_free(m);

    /* rate 0 drops nothing; bad rates and noise shapes are refused naming the layer */
    m = build("dropout(0)", in, 2, CLRNN_DTYPE_FLOAT32);
    CHECK(clrnn_model_forward(m, &x, 1, 1, &y) == CLRNN_OK);
    CHECK(memcmp(y.data, x.data, n * 4) == 0);
    clrnn_array_clear(&y);
    clrnn_model_free(m);
    CHECK(clrnn_model_from_spec(ctx, "dropout(1.0)", in, 2, CLRNN_DTYPE_FLOAT32, 1, &m) ==
          CLRNN_E_FORMAT);
    CHECK_STR_CONTAINS(clrnn_last_error(), "rate 1 is outside [0, 1)");
    CHECK(clrnn_model_from_spec(ctx, "dropout(0.2,noise_shape=x)", in, 2, CLRNN_DTYPE_FLOAT32, 1,
                                &m) == CLRNN_E_UNSUPPORTED);
    CHECK_STR_CONTAINS(clrnn_last_error(), "(Dropout): noise_shape");

    /* an Embedding's mask passes through Dropout to the LSTM, as in Keras */
    int64_t ids[1] = {6};
    m = build("embedding(20,4,mask_zero=true) dropout(0.5) lstm(3)", ids, 1, CLRNN_DTYPE_INT32);
    CHECK(m->layers[1]->mask_in && m->layers[1]->mask_out && m->layers[2]->mask_in);
    clrnn_model_free(m);
    free(mask), free(first);
    clrnn_array_clear(&x), clrnn_array_clear(&dy);
}

/* Forward and backward of a model, with fixed parameters p: output, gradients, dx. */
struct run {
    struct clrnn_array y, dx;
    float *grads;
};

static struct run run_model(clrnn_model *m, const float *p, const struct clrnn_array *x,
                            const struct clrnn_array *dy) {
    struct run r;
    size_t np = clrnn_model_param_count(m);
    r.grads = malloc(np * sizeof *r.grads);
    CHECK(clrnn_model_set_params(m, p) == CLRNN_OK);
    CHECK(clrnn_model_forward(m, x, 1, 1, &r.y) == CLRNN_OK);
    CHECK(clrnn_model_backward(m, dy, &r.dx) == CLRNN_OK);
    CHECK(clrnn_model_get_grads(m, r.grads) == CLRNN_OK);
    return r;
}

static void run_clear(struct run *r) {
    clrnn_array_clear(&r->y), clrnn_array_clear(&r->dx);
    free(r->grads);
}

static void test_time_distributed(void) {
    enum { B = 9, T = 6, F = 4, U = 5, K = 3 };
    int64_t in[2] = {T, F}, xd[3] = {B, T, F}, yd[3] = {B, T, K};
    uint64_t st = 5;
    clrnn_model *td = build("lstm(5,return_sequences=true) time_distributed(dense(3,softmax))", in,
                            2, CLRNN_DTYPE_FLOAT32);
    clrnn_model *plain = build("lstm(5,return_sequences=true) dense(3,softmax)", in, 2,
                               CLRNN_DTYPE_FLOAT32);
    size_t np = clrnn_model_param_count(td);
    CHECK(np == clrnn_model_param_count(plain));
    CHECK(np == (size_t)(F * 4 * U + U * 4 * U + 4 * U) + (size_t)(U * K + K));
    struct clrnn_weight_info w;
    CHECK(clrnn_model_weight(td, 3, &w) == CLRNN_OK);
    CHECK(strcmp(w.layer, "time_distributed") == 0 && strcmp(w.name, "kernel") == 0);
    CHECK(w.rank == 2 && w.dims[0] == U && w.dims[1] == K);
    float *p = malloc(np * sizeof *p);
    for (size_t i = 0; i < np; i++) p[i] = (float)test_uniform(&st, -0.5, 0.5);
    struct clrnn_array x, dy;
    random_array(&x, 3, xd, &st);
    random_array(&dy, 3, yd, &st);
    struct run a = run_model(td, p, &x, &dy), b = run_model(plain, p, &x, &dy);
    size_t ny = (size_t)B * T * K, nx = (size_t)B * T * F;
    CHECK(a.y.rank == 3 && a.y.dims[1] == T && a.y.dims[2] == K);
    CHECK(memcmp(a.y.data, b.y.data, ny * 4) == 0);
    CHECK(memcmp(a.grads, b.grads, np * 4) == 0);
    CHECK(memcmp(a.dx.data, b.dx.data, nx * 4) == 0);

    /* and against the reference: the Dense step applied to the LSTM's own output rows */
    struct clrnn_array h;
    clrnn_model *lstm_only = build("lstm(5,return_sequences=true)", in, 2, CLRNN_DTYPE_FLOAT32);
    CHECK(clrnn_model_set_params(lstm_only, p) == CLRNN_OK);
    CHECK(clrnn_model_predict(lstm_only, &x, 1, B, &h) == CLRNN_OK);
    double *hd = test_to_double(h.data, (size_t)B * T * U), *want = malloc(ny * sizeof *want);
    double *Wd = test_to_double(p + np - (size_t)(U * K + K), (size_t)(U * K + K));
    ref_dense_forward(hd, B * T, U, Wd, Wd + U * K, K, REF_ACT_SOFTMAX, want);
    double *got = test_to_double(a.y.data, ny);
    CHECK_ARRAYS_CLOSE("time_distributed(dense) forward vs reference", got, want, (long)ny, 1e-6,
                       1e-5);
    free(hd), free(want), free(Wd), free(got);
    clrnn_array_clear(&h);
    clrnn_model_free(lstm_only);

    /* the Keras configuration, and a .h5 round trip with the same predictions */
    cJSON *cfg = clrnn_model_config_json(td);
    char *text = cJSON_PrintUnformatted(cfg);
    CHECK_STR_CONTAINS(text, "{\"class_name\":\"TimeDistributed\",\"config\":{\"name\":"
                             "\"time_distributed\"");
    CHECK_STR_CONTAINS(text, "\"layer\":{\"module\":\"keras.layers\",\"class_name\":\"Dense\","
                             "\"registered_name\":null,\"config\":{\"name\":\"dense\"");
    free(text);
    cJSON_Delete(cfg);
    clrnn_model *back;
    CHECK(clrnn_model_save(td, "td_model.h5") == CLRNN_OK);
    CHECK(clrnn_model_load(ctx, "td_model.h5", NULL, &back) == CLRNN_OK);
    struct clrnn_array y1, y2;
    CHECK(clrnn_model_predict(td, &x, 1, 4, &y1) == CLRNN_OK);
    CHECK(clrnn_model_predict(back, &x, 1, 5, &y2) == CLRNN_OK);
    CHECK(memcmp(y1.data, y2.data, ny * 4) == 0);
    CHECK(clrnn_model_weight(back, 3, &w) == CLRNN_OK && strcmp(w.layer, "time_distributed") == 0);
    unlink("td_model.h5");
    clrnn_array_clear(&y1), clrnn_array_clear(&y2);
    clrnn_model_free(back);
    run_clear(&a), run_clear(&b);
    free(p);
    clrnn_array_clear(&x), clrnn_array_clear(&dy);
    clrnn_model_free(td), clrnn_model_free(plain);

    /* a mask passes through; wrong inputs and wrapped recurrent layers are refused */
    int64_t ids[1] = {7}, flat[1] = {4};
    clrnn_model *m = build("embedding(30,4,mask_zero=true) lstm(3,return_sequences=true) "
                           "time_distributed(dense(2))", ids, 1, CLRNN_DTYPE_INT32);
    CHECK(m->layers[2]->mask_in && m->layers[2]->mask_out);
    clrnn_model_free(m);
    CHECK(clrnn_model_from_spec(ctx, "time_distributed(dense(2))", flat, 1, CLRNN_DTYPE_FLOAT32, 1,
                                &m) == CLRNN_E_SHAPE);
    CHECK_STR_CONTAINS(clrnn_last_error(), "layer 'time_distributed' (TimeDistributed) expects "
                                           "input (batch, steps, ...), found (None, 4)");
    CHECK(clrnn_model_from_spec(ctx, "time_distributed(lstm(2))", in, 2, CLRNN_DTYPE_FLOAT32, 1,
                                &m) == CLRNN_E_UNSUPPORTED);
    CHECK_STR_CONTAINS(clrnn_last_error(), "wraps 'lstm' (LSTM)");
}

/* The nested --layers syntax: wrappers take a layer written inside their parentheses. */
static void test_nested_spec(void) {
    int64_t in[2] = {6, 3}, out[3];
    clrnn_model *m = build("bidirectional(lstm(4,return_sequences=true),merge_mode=sum) "
                           "bidirectional(gru(2)) dense(1,sigmoid)", in, 2, CLRNN_DTYPE_FLOAT32);
    CHECK(m->n_layers == 3);
    CHECK(clrnn_model_output_shape(m, out) == 1 && out[0] == 1);
    CHECK(m->layers[0]->out.rank == 2 && m->layers[0]->out.d[1] == 4);
    CHECK(m->layers[1]->out.rank == 1 && m->layers[1]->out.d[0] == 4); /* concat of 2 + 2 */
    cJSON *cfg = clrnn_model_config_json(m);
    char *text = cJSON_PrintUnformatted(cfg);
    CHECK_STR_CONTAINS(text, "\"name\":\"forward_lstm\"");
    CHECK_STR_CONTAINS(text, "\"name\":\"backward_gru\"");
    CHECK_STR_CONTAINS(text, "\"merge_mode\":\"sum\"");
    free(text);
    cJSON_Delete(cfg);
    clrnn_model_free(m);
    /* the RNN wrapper's cell name is a plain value, not a nested layer */
    m = build("rnn(gru_cell,3) dense(2)", in, 2, CLRNN_DTYPE_FLOAT32);
    clrnn_model_free(m);
    CHECK(clrnn_model_from_spec(ctx, "bidirectional(lstm(4)", in, 2, CLRNN_DTYPE_FLOAT32, 1, &m) ==
          CLRNN_E_INVALID_ARG);
    CHECK_STR_CONTAINS(clrnn_last_error(), "missing ')'");
    CHECK(clrnn_model_from_spec(ctx, "bidirectional(lstm(4)))", in, 2, CLRNN_DTYPE_FLOAT32, 1,
                                &m) == CLRNN_E_INVALID_ARG);
    CHECK(clrnn_model_from_spec(ctx, "bidirectional(nosuch(4))", in, 2, CLRNN_DTYPE_FLOAT32, 1,
                                &m) == CLRNN_E_INVALID_ARG);
    CHECK_STR_CONTAINS(clrnn_last_error(), "unknown layer 'nosuch'");
    CHECK(clrnn_model_from_spec(ctx, "bidirectional(dense(4))", in, 2, CLRNN_DTYPE_FLOAT32, 1,
                                &m) == CLRNN_E_UNSUPPORTED);
    CHECK_STR_CONTAINS(clrnn_last_error(), "is not a recurrent layer");
}

int main(void) {
    clrnn_status s = clrnn_ctx_create(NULL, &ctx);
    if (s == CLRNN_E_NO_DEVICE) test_skip_no_device(clrnn_last_error());
    if (s) return fprintf(stderr, "%s\n", clrnn_last_error()), 1;
    test_dropout();
    test_time_distributed();
    test_nested_spec();
    clrnn_ctx_free(ctx);
    TEST_MAIN_END();
}
