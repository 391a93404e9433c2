/*
 * test_keras_metrics.c - the metrics beyond accuracy against real Keras (golden/metrics_* from
 * Keras 3 and golden-tf2/metrics_* from tf.keras 2.15, written by make_golden_metrics.py):
 * each model file (the legacy .h5 with its training_config, and Keras 3's .keras with its
 * compile_config) gives the metrics Keras compiled it with (Precision and Recall;
 * sparse_top_k_categorical_accuracy, k 5; TopKCategoricalAccuracy(k=3)); evaluating the same
 * data in batches of 16 gives Keras's evaluate() values under Keras's names; and the files
 * clrnn saves (.keras and .h5) keep them.
 *
 * Tolerances: the metrics are counts over 64 samples, so only float rounding separates them
 * (1e-6); the loss 1e-5 as in the other golden tests.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clrnn_formats.h"
#include "clrnn_impl.h"
#include "test.h"

static clrnn_ctx *ctx;

static double keras_value(const char *data, const char *name) {
    char full[96];
    snprintf(full, sizeof full, "keras_%s", name);
    struct clrnn_array a;
    if (clrnn_fmt_data_read(data, full, &a) != CLRNN_OK) return NAN;
    double v = ((float *)a.data)[0];
    clrnn_array_clear(&a);
    return v;
}

/* The metrics of path's compile configuration are `want` (with top_k k); evaluated on data
 * they are Keras's. */
static void check_file(const char *path, const char *data, unsigned want, int k, int evaluate) {
    clrnn_model *m = NULL;
    struct clrnn_compile_config cc;
    CHECK(clrnn_model_load(ctx, path, NULL, &m) == CLRNN_OK);
    if (!m) {
        printf("%s: %s\n", path, clrnn_last_error());
        return;
    }
    CHECK(clrnn_model_compile_config(m, &cc));
    int got_k = cc.top_k ? cc.top_k : 5;
    printf("%s: metrics %u (want %u), k %d (want %d)\n", path, cc.metrics, want, got_k, k);
    CHECK(cc.metrics == want && got_k == k);
    if (evaluate) {
        struct clrnn_array x, y;
        struct clrnn_eval_result r;
        CHECK(clrnn_fmt_data_read(data, "x", &x) == CLRNN_OK);
        CHECK(clrnn_fmt_data_read(data, "y", &y) == CLRNN_OK);
        CHECK(clrnn_model_compile(m, &cc) == CLRNN_OK);
        CHECK(clrnn_model_evaluate(m, &x, 1, &y, 16, &r) == CLRNN_OK);
        CHECK_NEAR(r.loss, keras_value(data, "loss"), 1e-5);
        CHECK_NEAR(r.accuracy, keras_value(data, "accuracy"), 1e-6);
        for (unsigned bit = CLRNN_METRIC_TOP_K; bit <= CLRNN_METRIC_RECALL; bit <<= 1) {
            if (!(want & bit)) continue;
            const char *name = clrnn_metric_name(bit, r.more.sparse);
            double keras = keras_value(data, name), got = clrnn_metric_value(&r.more, bit);
            printf("  %-34s %.7f (Keras %.7f)\n", name, got, keras);
            CHECK(r.more.metrics & bit);
            CHECK_NEAR(got, keras, 1e-6);
        }
        clrnn_array_clear(&x), clrnn_array_clear(&y);
        /* what clrnn saves keeps them */
        char out[64];
        for (int f = 0; f < 2; f++) {
            snprintf(out, sizeof out, "metrics_%ld.%s", (long)getpid(), f ? "keras" : "h5");
            CHECK(clrnn_model_save(m, out) == CLRNN_OK);
            check_file(out, data, want, k, 0);
            remove(out);
        }
    }
    clrnn_model_free(m);
}

static void check_case(const char *golden, const char *name, unsigned want, int k) {
    char data[600], path[600];
    snprintf(data, sizeof data, "%s/%s/data.h5", golden, name);
    snprintf(path, sizeof path, "%s/%s/model.h5", golden, name);
    check_file(path, data, want, k, 1);
    snprintf(path, sizeof path, "%s/%s/model.keras", golden, name);
    if (access(path, R_OK) == 0) check_file(path, data, want, k, 1);
}

int main(void) {
    const char *root = getenv("CLRNN_TEST_DATA");
    char k3[512], k2[512];
    snprintf(k3, sizeof k3, "%s/keras/golden", root ? root : "../../tests");
    snprintf(k2, sizeof k2, "%s/keras/golden-tf2", root ? root : "../../tests");
    clrnn_status s = clrnn_ctx_create(NULL, &ctx);
    if (s == CLRNN_E_NO_DEVICE) test_skip_no_device(clrnn_last_error());
    if (s) return fprintf(stderr, "%s\n", clrnn_last_error()), 1;
    for (int v = 0; v < 2; v++) {
        const char *g = v ? k2 : k3;
        check_case(g, "metrics_binary", CLRNN_METRIC_PRECISION | CLRNN_METRIC_RECALL, 5);
        check_case(g, "metrics_sparse_top_k", CLRNN_METRIC_TOP_K, 5);
        check_case(g, "metrics_top_k3", CLRNN_METRIC_TOP_K, 3);
    }
    /* --metrics names: Keras's, fitting the loss */
    unsigned bits = 0;
    CHECK(clrnn_metrics_parse("accuracy,precision,recall", "binary_crossentropy", &bits) ==
          CLRNN_OK && bits == (CLRNN_METRIC_PRECISION | CLRNN_METRIC_RECALL));
    CHECK(clrnn_metrics_parse("top_k_categorical_accuracy", "sparse_categorical_crossentropy",
                              &bits) == CLRNN_E_INVALID_ARG);
    CHECK(clrnn_metrics_parse("precision", "categorical_crossentropy", &bits) ==
          CLRNN_E_INVALID_ARG);
    CHECK(clrnn_metrics_parse("f1_score", "binary_crossentropy", &bits) == CLRNN_E_INVALID_ARG);
    clrnn_ctx_free(ctx);
    TEST_MAIN_END();
}
