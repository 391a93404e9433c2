/*
 * test_model_io.c - models through real files: a trained model saved as a legacy Keras
 * full-model .h5 loads back with the same weights, predictions, loss and optimizer; the
 * file holds what Keras expects (model_config JSON with an InputLayer, training_config,
 * model_weights with tf.keras weight names); an architecture JSON plus a save_weights file
 * loads too; and bad files give clear errors: wrong weight shapes, missing layers, unknown
 * and Lambda layers, not a model file; hard_sigmoid keeps its Keras 2 or Keras 3 meaning;
 * the Keras 3 .keras and .weights.h5 files clrnn writes load back the same; the test vector
 * saved with a model refuses a device that computes it wrong; loading a .h5 opens it once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>

#include "clrnn_formats.h"
#include "clrnn_impl.h"
#include "test.h"

static clrnn_ctx *ctx;

static void sample_input(struct clrnn_array *x, int n, int T, int I) {
    int64_t d[3] = {n, T, I};
    clrnn_array_alloc(x, CLRNN_DTYPE_FLOAT32, 3, d);
    for (int i = 0; i < n * T * I; i++) ((float *)x->data)[i] = (float)((i * 37 % 19) - 9) / 10.0f;
}

static void test_round_trip(void) {
    int64_t in[2] = {6, 3};
    clrnn_model *m, *back;
    CHECK(clrnn_model_from_spec(ctx, "simple_rnn(5,activation=relu,return_sequences=true) "
                                "dense(4,tanh) activation(softmax)", in, 2, CLRNN_DTYPE_FLOAT32,
                                4, &m) == CLRNN_OK);
    struct clrnn_compile_config cc;
    memset(&cc, 0, sizeof cc);
    snprintf(cc.loss, sizeof cc.loss, "categorical_crossentropy");
    cc.optimizer = clrnn_optimizer_default(CLRNN_OPT_RMSPROP);
    cc.optimizer.learning_rate = 0.0025;
    cc.optimizer.centered = 1;
    CHECK(clrnn_model_compile(m, &cc) == CLRNN_OK);
    struct clrnn_array x, y1, y2;
    sample_input(&x, 7, 6, 3);
    CHECK(clrnn_model_predict(m, &x, 1, 3, &y1) == CLRNN_OK);
    CHECK(clrnn_model_save(m, "io_model.h5") == CLRNN_OK);
    CHECK(clrnn_model_load(ctx, "io_model.h5", NULL, &back) == CLRNN_OK);
    CHECK(clrnn_model_predict(back, &x, 1, 5, &y2) == CLRNN_OK);
    CHECK(y1.rank == y2.rank && clrnn_array_count(&y1) == clrnn_array_count(&y2));
    CHECK(memcmp(y1.data, y2.data, (size_t)clrnn_array_count(&y1) * 4) == 0);
    struct clrnn_compile_config c2;
    CHECK(clrnn_model_compile_config(back, &c2));
    CHECK(strcmp(c2.loss, "categorical_crossentropy") == 0);
    CHECK(c2.optimizer.kind == CLRNN_OPT_RMSPROP && c2.optimizer.centered);
    CHECK_NEAR(c2.optimizer.learning_rate, 0.0025, 1e-12);
    char *a, *b;
    clrnn_model_summary(m, &a);
    clrnn_model_summary(back, &b);
    CHECK(strcmp(a, b) == 0);
    free(a), free(b);

    /* what is in the file */
    struct clrnn_fmt_model f;
    CHECK(clrnn_fmt_h5_read("io_model.h5", &f) == CLRNN_OK);
    CHECK_STR_CONTAINS(f.model_config, "\"class_name\":\"Sequential\"");
    CHECK_STR_CONTAINS(f.model_config, "\"class_name\":\"InputLayer\"");
    CHECK_STR_CONTAINS(f.model_config, "\"batch_input_shape\":[null,6,3]");
    CHECK_STR_CONTAINS(f.model_config, "\"activation\":\"relu\"");
    CHECK_STR_CONTAINS(f.training_config, "\"class_name\":\"RMSprop\"");
    CHECK(f.keras_version && f.backend && strcmp(f.backend, "tensorflow") == 0);
    CHECK_INT_EQ(f.n_layers, 3);
    CHECK(strcmp(f.layers[0].name, "simple_rnn") == 0 && f.layers[0].n_weights == 3);
    CHECK(strcmp(f.layers[0].weights[1].name, "simple_rnn/simple_rnn_cell/recurrent_kernel:0") == 0);
    CHECK(f.layers[0].weights[1].rank == 2 && f.layers[0].weights[1].dims[0] == 5);
    CHECK(strcmp(f.layers[1].weights[0].name, "dense/kernel:0") == 0);
    CHECK_INT_EQ(f.layers[2].n_weights, 0);

    /* the same weights as a save_weights file, with the architecture as JSON */
    char *json = f.model_config;
    FILE *jf = fopen("io_arch.json", "w");
    fputs(json, jf);
    fclose(jf);
    char *tc = f.training_config;
    f.model_config = NULL;
    f.training_config = NULL;
    CHECK(clrnn_fmt_h5_write("io_weights.h5", &f) == CLRNN_OK);
    f.model_config = json;
    f.training_config = tc;
    clrnn_model *c;
    CHECK(clrnn_model_load(ctx, "io_arch.json", "io_weights.h5", &c) == CLRNN_OK);
    struct clrnn_array y3;
    CHECK(clrnn_model_predict(c, &x, 1, 7, &y3) == CLRNN_OK);
    CHECK(memcmp(y1.data, y3.data, (size_t)clrnn_array_count(&y1) * 4) == 0);
    clrnn_array_clear(&y3);
    clrnn_model_free(c);
    CHECK(clrnn_model_load(ctx, "io_arch.json", NULL, &c) == CLRNN_E_INVALID_ARG);
    CHECK_STR_CONTAINS(clrnn_last_error(), "needs its weights file");
    CHECK(clrnn_model_load(ctx, "io_weights.h5", NULL, &c) == CLRNN_E_FORMAT);
    CHECK_STR_CONTAINS(clrnn_last_error(), "weights-only file has no architecture");

    /* a weight of the wrong shape */
    f.layers[1].weights[0].dims[0] = 4; /* (5, 4) -> (4, 5): same count, wrong shape */
    f.layers[1].weights[0].dims[1] = 5;
    CHECK(clrnn_fmt_h5_write("io_bad_shape.h5", &f) == CLRNN_OK);
    CHECK(clrnn_model_load(ctx, "io_bad_shape.h5", NULL, &c) == CLRNN_E_SHAPE);
    CHECK_STR_CONTAINS(clrnn_last_error(), "io_bad_shape.h5: layer 'dense' weight 'dense/kernel:0': "
                       "shape (4, 5) in the file, expected (5, 4)");
    f.layers[1].weights[0].dims[0] = 5;
    f.layers[1].weights[0].dims[1] = 4;
    /* a layer's weights missing */
    f.layers[1].n_weights = 0;
    CHECK(clrnn_fmt_h5_write("io_missing.h5", &f) == CLRNN_OK);
    CHECK(clrnn_model_load(ctx, "io_missing.h5", NULL, &c) == CLRNN_E_FORMAT);
    CHECK_STR_CONTAINS(clrnn_last_error(), "the file has weights for 1 layers, the model has 2");
    f.layers[1].n_weights = 2;
    clrnn_fmt_model_clear(&f);
    unlink("io_bad_shape.h5"), unlink("io_missing.h5"), unlink("io_weights.h5");
    unlink("io_arch.json"), unlink("io_model.h5");
    clrnn_array_clear(&x), clrnn_array_clear(&y1), clrnn_array_clear(&y2);
    clrnn_model_free(m);
    clrnn_model_free(back);
}

static void expect_json_error(const char *json, clrnn_status want, const char *text) {
    clrnn_model *m = NULL;
    int64_t in[2] = {4, 2};
    CHECK_INT_EQ(clrnn_model_from_json(ctx, json, in, 2, CLRNN_DTYPE_FLOAT32, 1, &m), want);
    CHECK(m == NULL);
    CHECK_STR_CONTAINS(clrnn_last_error(), text);
}

/* A size a file declares is checked against the device before anything is allocated: a
 * unit count of 9551615 (found by fuzz_keras_json) asks for 3.7e14 parameters. */
static void test_huge_model(void) {
    int64_t in[2] = {5, 3};
    clrnn_model *m = NULL;
    CHECK(clrnn_model_from_spec(ctx, "lstm(9551615) dense(1)", in, 2, CLRNN_DTYPE_FLOAT32, 1, &m) ==
          CLRNN_E_SHAPE && m == NULL);
    CHECK_STR_CONTAINS(clrnn_last_error(), "layer 'lstm' (LSTM): its weight");
    CHECK_STR_CONTAINS(clrnn_last_error(), "holds in one buffer");
    CHECK(clrnn_model_from_spec(ctx, "embedding(1000000000,1000000000)", in, 1, CLRNN_DTYPE_INT32,
                                1, &m) == CLRNN_E_SHAPE && m == NULL);
}

static void test_bad_architectures(void) {
    expect_json_error("{\"class_name\": \"Sequential\", \"config\": {\"layers\": [{\"class_name\": "
                      "\"Lambda\", \"config\": {\"name\": \"lambda\", \"function\": \"x\"}}]}}",
                      CLRNN_E_UNSUPPORTED, "layer 'lambda' is a Lambda layer: refused");
    expect_json_error("{\"class_name\": \"Sequential\", \"config\": {\"layers\": [{\"class_name\": "
                      "\"Conv2D\", \"config\": {\"name\": \"conv\"}}]}}",
                      CLRNN_E_UNSUPPORTED, "layer 'conv' has class 'Conv2D'");
    expect_json_error("{\"class_name\": \"Sequential\", \"config\": {\"layers\": [",
                      CLRNN_E_FORMAT, "invalid JSON");
    expect_json_error("{\"class_name\": \"Sequential\", \"config\": {\"layers\": [{\"class_name\": "
                      "\"InputLayer\", \"config\": {\"batch_input_shape\": [null, 4, 3]}}, "
                      "{\"class_name\": \"Dense\", \"config\": {\"units\": 2}}]}}",
                      CLRNN_E_SHAPE, "the data has shape (None, 4, 2) per batch, but the model "
                      "declares input (None, 4, 3)");
    expect_json_error("{\"class_name\": \"Sequential\", \"config\": {\"layers\": [{\"class_name\": "
                      "\"Dense\", \"config\": {\"name\": \"d\", \"units\": 2, \"kernel_regularizer\":"
                      " {\"class_name\": \"L2\"}}}]}}",
                      CLRNN_E_UNSUPPORTED, "layer 'd': \"kernel_regularizer\" is set");
    /* a LoRA Dense (Keras 3's lora_rank) has weights clrnn's Dense does not */
    expect_json_error("{\"class_name\": \"Sequential\", \"config\": {\"layers\": [{\"class_name\": "
                      "\"Dense\", \"config\": {\"name\": \"d\", \"units\": 2, \"lora_rank\": 4}}]}}",
                      CLRNN_E_UNSUPPORTED, "layer 'd': \"lora_rank\" is set");
    /* Keras 2.2 style: no InputLayer, batch_input_shape on the first layer, nulls allowed */
    clrnn_model *m;
    const char *ok = "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"s\", \"layers\": "
                     "[{\"class_name\": \"SimpleRNN\", \"config\": {\"name\": \"rnn\", \"units\": 3, "
                     "\"batch_input_shape\": [null, null, 2]}}, {\"class_name\": \"Dense\", "
                     "\"config\": {\"name\": \"out\", \"units\": 1, \"activation\": \"sigmoid\"}}]}}";
    int64_t in[2] = {4, 2};
    CHECK(clrnn_model_from_json(ctx, ok, in, 2, CLRNN_DTYPE_FLOAT32, 1, &m) == CLRNN_OK);
    CHECK_INT_EQ(clrnn_model_param_count(m), 3 * 2 + 3 * 3 + 3 + 3 + 1);
    clrnn_model_free(m);
    /* without data: a model of unknown length (None), which takes any */
    CHECK(clrnn_model_from_json(ctx, ok, NULL, 0, CLRNN_DTYPE_FLOAT32, 1, &m) == CLRNN_OK);
    int64_t shown[4];
    CHECK(m && clrnn_model_input_shape(m, shown, NULL) == 2 && shown[0] == -1 && shown[1] == 2);
    clrnn_model_free(m);
    /* only the length may be unknown */
    const char *features = "{\"class_name\": \"Sequential\", \"config\": {\"layers\": [{"
                           "\"class_name\": \"SimpleRNN\", \"config\": {\"units\": 3, "
                           "\"batch_input_shape\": [null, null, null]}}]}}";
    m = NULL;
    CHECK(clrnn_model_from_json(ctx, features, NULL, 0, CLRNN_DTYPE_FLOAT32, 1, &m) == CLRNN_E_SHAPE);
    CHECK(m == NULL);
    CHECK_STR_CONTAINS(clrnn_last_error(),
                       "input shape (None, None, None) leaves more than its length unknown");

    /* not model files */
    FILE *t = fopen("io_text.h5", "w");
    fputs("hello\n", t);
    fclose(t);
    CHECK(clrnn_model_load(ctx, "io_text.h5", NULL, &m) == CLRNN_E_FORMAT);
    CHECK_STR_CONTAINS(clrnn_last_error(), "io_text.h5: not a model file");
    CHECK(clrnn_model_load(ctx, "io_nothere.h5", NULL, &m) == CLRNN_E_IO);
    CHECK_STR_CONTAINS(clrnn_last_error(), "io_nothere.h5");
    unlink("io_text.h5");
}

/* hard_sigmoid means clip(0.2 z + 0.5) in Keras 1 and 2 and clip(z / 6 + 0.5) in Keras 3:
 * a model keeps the meaning it was built with through a file (keras_version says which),
 * and the same configuration read as Keras 2 or Keras 3 gives the two different values. */
static void test_hard_sigmoid_versions(void) {
    int64_t in[1] = {1};
    struct clrnn_array x, y2, y3, back2, back3;
    int64_t xd[2] = {1, 1};
    clrnn_array_alloc(&x, CLRNN_DTYPE_FLOAT32, 2, xd);
    ((float *)x.data)[0] = 1.5f;
    clrnn_model *m2, *m3, *r2, *r3;
    const char *spec = "dense(1,activation=hard_sigmoid)";
    float w[2] = {1.0f, 0.0f}; /* kernel 1, bias 0: the output is hard_sigmoid(1.5) */
    CHECK(clrnn_model_from_spec(ctx, spec, in, 1, CLRNN_DTYPE_FLOAT32, 1, &m2) == CLRNN_OK);
    CHECK(clrnn_model_from_spec_keras(ctx, spec, 3, in, 1, CLRNN_DTYPE_FLOAT32, 1, &m3) ==
          CLRNN_OK);
    CHECK(clrnn_model_set_params(m2, w) == CLRNN_OK && clrnn_model_set_params(m3, w) == CLRNN_OK);
    CHECK(clrnn_model_predict(m2, &x, 1, 1, &y2) == CLRNN_OK);
    CHECK(clrnn_model_predict(m3, &x, 1, 1, &y3) == CLRNN_OK);
    CHECK_NEAR(((float *)y2.data)[0], 0.2 * 1.5 + 0.5, 1e-7);
    CHECK_NEAR(((float *)y3.data)[0], 1.5 / 6 + 0.5, 1e-7);
    CHECK(clrnn_model_save(m2, "io_hs2.h5") == CLRNN_OK && clrnn_model_save(m3, "io_hs3.h5") == CLRNN_OK);
    struct clrnn_fmt_model f;
    CHECK(clrnn_fmt_h5_read("io_hs3.h5", &f) == CLRNN_OK);
    CHECK(f.keras_version && f.keras_version[0] == '3');
    clrnn_fmt_model_clear(&f);
    CHECK(clrnn_fmt_h5_read("io_hs2.h5", &f) == CLRNN_OK);
    CHECK(f.keras_version && f.keras_version[0] == '2');
    clrnn_fmt_model_clear(&f);
    CHECK(clrnn_model_load(ctx, "io_hs2.h5", NULL, &r2) == CLRNN_OK);
    CHECK(clrnn_model_load(ctx, "io_hs3.h5", NULL, &r3) == CLRNN_OK);
    CHECK(clrnn_model_predict(r2, &x, 1, 1, &back2) == CLRNN_OK);
    CHECK(clrnn_model_predict(r3, &x, 1, 1, &back3) == CLRNN_OK);
    CHECK(((float *)back2.data)[0] == ((float *)y2.data)[0]);
    CHECK(((float *)back3.data)[0] == ((float *)y3.data)[0]);
    unlink("io_hs2.h5"), unlink("io_hs3.h5");
    clrnn_array_clear(&x), clrnn_array_clear(&y2), clrnn_array_clear(&y3);
    clrnn_array_clear(&back2), clrnn_array_clear(&back3);
    clrnn_model_free(m2), clrnn_model_free(m3), clrnn_model_free(r2), clrnn_model_free(r3);
}

/* The Keras 3 formats clrnn writes come back with the same predictions (Keras reads them
 * too: tests/test_keras_interop.sh); the archive keeps the compile configuration. */
static void test_keras3_round_trip(void) {
    int64_t in[2] = {5, 3};
    clrnn_model *m, *back, *arch;
    CHECK(clrnn_model_from_spec(ctx, "bidirectional(gru(4,return_sequences=true)) "
                                "time_distributed(dense(3)) lstm(2) dense(2,softmax)",
                                in, 2, CLRNN_DTYPE_FLOAT32, 9, &m) == CLRNN_OK);
    struct clrnn_compile_config cc;
    memset(&cc, 0, sizeof cc);
    snprintf(cc.loss, sizeof cc.loss, "categorical_crossentropy");
    cc.optimizer = clrnn_optimizer_default(CLRNN_OPT_SGD);
    cc.optimizer.learning_rate = 0.03;
    cc.optimizer.momentum = 0.5;
    CHECK(clrnn_model_compile(m, &cc) == CLRNN_OK);
    struct clrnn_array x, y1, y2, y3;
    sample_input(&x, 6, 5, 3);
    CHECK(clrnn_model_predict(m, &x, 1, 6, &y1) == CLRNN_OK);
    CHECK(clrnn_model_save(m, "io_k3.keras") == CLRNN_OK);
    CHECK(clrnn_model_load(ctx, "io_k3.keras", NULL, &back) == CLRNN_OK);
    CHECK(clrnn_model_predict(back, &x, 1, 4, &y2) == CLRNN_OK);
    CHECK(memcmp(y1.data, y2.data, (size_t)clrnn_array_count(&y1) * 4) == 0);
    struct clrnn_compile_config c2;
    CHECK(clrnn_model_compile_config(back, &c2));
    CHECK(strcmp(c2.loss, "categorical_crossentropy") == 0 && c2.optimizer.kind == CLRNN_OPT_SGD);
    CHECK_NEAR(c2.optimizer.momentum, 0.5, 1e-12);
    /* weights only, into the architecture written as JSON */
    CHECK(clrnn_model_save(m, "io_k3.weights.h5") == CLRNN_OK);
    cJSON *cfg = clrnn_model_config_json(m);
    char *json = cJSON_PrintUnformatted(cfg);
    FILE *f = fopen("io_k3.json", "w");
    fputs(json, f);
    fclose(f);
    free(json);
    cJSON_Delete(cfg);
    CHECK(clrnn_model_load(ctx, "io_k3.json", "io_k3.weights.h5", &arch) == CLRNN_OK);
    CHECK(clrnn_model_predict(arch, &x, 1, 3, &y3) == CLRNN_OK);
    CHECK(memcmp(y1.data, y3.data, (size_t)clrnn_array_count(&y1) * 4) == 0);
    clrnn_model_free(m), clrnn_model_free(back), clrnn_model_free(arch);
    clrnn_array_clear(&y1), clrnn_array_clear(&y2), clrnn_array_clear(&y3);
    /* Keras 2's hard_sigmoid has no Keras 3 spelling: refused, not silently changed */
    CHECK(clrnn_model_from_spec(ctx, "lstm(3,recurrent_activation=hard_sigmoid)", in, 2,
                                CLRNN_DTYPE_FLOAT32, 1, &m) == CLRNN_OK);
    CHECK(clrnn_model_save(m, "io_k2hs.keras") == CLRNN_E_UNSUPPORTED);
    CHECK_STR_CONTAINS(clrnn_last_error(), "Keras 2's hard_sigmoid");
    CHECK(access("io_k2hs.keras", F_OK) != 0);
    clrnn_model_free(m);
    clrnn_array_clear(&x);
    unlink("io_k3.keras"), unlink("io_k3.weights.h5"), unlink("io_k3.json");
}

/* The test vector: saved with every .h5, recomputed on load; a file whose stored output no
 * longer matches what the device computes (as a wrong kernel or driver would make it) is
 * refused, saying by how much. */
static void test_test_vector(void) {
    int64_t ids[1] = {9};
    clrnn_model *m, *back;
    CHECK(clrnn_model_from_spec(ctx, "embedding(30,4,mask_zero=true) gru(5) dense(2,softmax)", ids,
                                1, CLRNN_DTYPE_INT32, 2, &m) == CLRNN_OK);
    CHECK(clrnn_model_save(m, "io_tv.h5") == CLRNN_OK);
    CHECK(clrnn_fmt_data_has("io_tv.h5", "clrnn_test_vector/x") == 1);
    double diff = -2;
    CHECK(clrnn_model_load(ctx, "io_tv.h5", NULL, &back) == CLRNN_OK);
    CHECK(clrnn_model_verify_test_vector(back, "io_tv.h5", &diff) == CLRNN_OK);
    CHECK(diff >= 0 && diff <= 1e-6);
    clrnn_model_free(back);
    /* the stored output moved by 0.01: as if this device computed it wrong */
    struct clrnn_array y;
    CHECK(clrnn_fmt_data_read("io_tv.h5", "clrnn_test_vector/y", &y) == CLRNN_OK);
    ((float *)y.data)[1] += 0.01f;
    hid_t f = H5Fopen("io_tv.h5", H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t d = H5Dopen2(f, "clrnn_test_vector/y", H5P_DEFAULT);
    CHECK(H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, y.data) >= 0);
    H5Dclose(d), H5Fclose(f);
    back = NULL;
    CHECK(clrnn_model_load(ctx, "io_tv.h5", NULL, &back) == CLRNN_E_NUMERIC && back == NULL);
    CHECK_STR_CONTAINS(clrnn_last_error(), "computes this model's test vector off by 0.01");
    /* a stateful model gets no vector: predicting would move the state it keeps */
    clrnn_model_free(m);
    CHECK(clrnn_model_from_spec(ctx, "embedding(30,4) lstm(3,stateful=true)", ids, 1,
                                CLRNN_DTYPE_INT32, 2, &m) == CLRNN_OK);
    CHECK(clrnn_model_save(m, "io_tv.h5") == CLRNN_OK);
    CHECK(clrnn_fmt_data_has("io_tv.h5", "clrnn_test_vector/x") == 0);
    clrnn_model_free(m);
    clrnn_array_clear(&y);
    unlink("io_tv.h5");
}

/* Loading a legacy .h5 opens it once: its configuration, weights, optimizer state, test
 * vector and vocabulary are read in one pass (formats/ counts its opens). */
static void test_opened_once(void) {
    int64_t ids[1] = {9};
    clrnn_model *m, *back;
    CHECK(clrnn_model_from_spec(ctx, "embedding(30,4) gru(5) dense(2,softmax)", ids, 1,
                                CLRNN_DTYPE_INT32, 2, &m) == CLRNN_OK);
    struct clrnn_compile_config cc = {"sparse_categorical_crossentropy", 0,
                                      clrnn_optimizer_default(CLRNN_OPT_ADAM), 0, 0};
    const char *const tokens[] = {"", "[UNK]", "a", "b"};
    CHECK(clrnn_model_compile(m, &cc) == CLRNN_OK);
    CHECK(clrnn_model_set_vocabulary(m, tokens, 4) == CLRNN_OK);
    CHECK(clrnn_model_save(m, "io_once.h5") == CLRNN_OK);
    CHECK(clrnn_fmt_data_has("io_once.h5", "clrnn_test_vector/x") == 1);
    long before = clrnn_fmt_read_opens();
    CHECK(clrnn_model_load(ctx, "io_once.h5", NULL, &back) == CLRNN_OK);
    long opens = clrnn_fmt_read_opens() - before;
    CHECK_INT_EQ(opens, 1); /* times loading io_once.h5 opened it */
    int n = 0;
    const char *const *got = clrnn_model_vocabulary(back, &n);
    CHECK(n == 4 && strcmp(got[2], "a") == 0);
    CHECK(clrnn_model_compile_config(back, &cc) && cc.optimizer.kind == CLRNN_OPT_ADAM);
    clrnn_model_free(back);
    clrnn_model_free(m);
    unlink("io_once.h5");
}

int main(void) {
    clrnn_status s = clrnn_ctx_create(NULL, &ctx);
    if (s == CLRNN_E_NO_DEVICE) test_skip_no_device(clrnn_last_error());
    if (s) return fprintf(stderr, "%s\n", clrnn_last_error()), 1;
    test_round_trip();
    test_bad_architectures();
    test_huge_model();
    test_hard_sigmoid_versions();
    test_keras3_round_trip();
    test_test_vector();
    test_opened_once();
    clrnn_ctx_free(ctx);
    TEST_MAIN_END();
}
