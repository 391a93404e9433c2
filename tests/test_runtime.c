/*
 * test_runtime.c - the runtime: device listing and selection (index, cpu, gpu, part of a
 * name, CLRNN_DEVICE), readable OpenCL errors, the program cache, a kernel that fails to
 * build (the message carries the build log), the --layers syntax and its errors, layer
 * shape errors, Keras's initializers (orthogonal rows, glorot limits, seeded repeats), and
 * uploads that do not wait for the device (upload.c).
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clrnn_impl.h"
#include "test.h"

static void test_devices(void) {
    struct clrnn_device_info *list;
    int n;
    clrnn_status s = clrnn_devices_list(&list, &n);
    if (s == CLRNN_E_NO_DEVICE) test_skip_no_device(clrnn_last_error());
    CHECK(s == CLRNN_OK);
    CHECK(n >= 1);
    for (int i = 0; i < n; i++) {
        CHECK_INT_EQ(list[i].index, i);
        CHECK(list[i].name[0] != '\0');
        CHECK(list[i].compute_units > 0);
        CHECK(list[i].global_mem_bytes > 0);
    }
    clrnn_ctx *ctx;
    CHECK(clrnn_ctx_create("0", &ctx) == CLRNN_OK);
    CHECK(strcmp(clrnn_ctx_device(ctx)->name, list[0].name) == 0);
    clrnn_ctx_free(ctx);
    /* part of the name, in another case */
    char part[8] = "";
    for (int i = 0; i < 4 && list[0].name[i]; i++) part[i] = (char)toupper((unsigned char)list[0].name[i]);
    CHECK(clrnn_ctx_create(part, &ctx) == CLRNN_OK);
    clrnn_ctx_free(ctx);
    if (list[0].is_cpu) {
        CHECK(clrnn_ctx_create("cpu", &ctx) == CLRNN_OK);
        clrnn_ctx_free(ctx);
    }
    CHECK(clrnn_ctx_create("99", &ctx) == CLRNN_E_NO_DEVICE);
    CHECK_STR_CONTAINS(clrnn_last_error(), "no device with that index");
    CHECK(clrnn_ctx_create("no-such-device-xyz", &ctx) == CLRNN_E_NO_DEVICE);
    CHECK_STR_CONTAINS(clrnn_last_error(), "'no-such-device-xyz' matches no OpenCL device");
    setenv("CLRNN_DEVICE", "nothing-like-this", 1);
    CHECK(clrnn_ctx_create(NULL, &ctx) == CLRNN_E_NO_DEVICE);
    CHECK_STR_CONTAINS(clrnn_last_error(), "CLRNN_DEVICE 'nothing-like-this'");
    setenv("CLRNN_DEVICE", "0", 1);
    CHECK(clrnn_ctx_create(NULL, &ctx) == CLRNN_OK);
    clrnn_ctx_free(ctx);
    unsetenv("CLRNN_DEVICE");
    clrnn_devices_free(list);
}

static void test_errors(void) {
    CHECK(strcmp(clrnn_cl_error_name(CL_OUT_OF_RESOURCES), "CL_OUT_OF_RESOURCES") == 0);
    CHECK(clrnn_fail_cl(CL_INVALID_KERNEL_ARGS, "clEnqueueNDRangeKernel(x)", "a/b.c", 7) ==
          CLRNN_E_OPENCL);
    CHECK_STR_CONTAINS(clrnn_last_error(), "clEnqueueNDRangeKernel(x) failed: CL_INVALID_KERNEL_ARGS (-52) at b.c:7");
    CHECK(strcmp(clrnn_status_str(CLRNN_E_SHAPE), "shape mismatch") == 0);
}

/* A kernel that does not compile: the error names the file set, the device and the log. */
static void test_build_failure(clrnn_ctx *ctx) {
    char dir[] = "/tmp/clrnn-cl-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[300];
    snprintf(path, sizeof path, "%s/broken.cl", dir);
    FILE *f = fopen(path, "w");
    fputs("__kernel void broken(__global float *x) { x[0] = undefined_name; }\n", f);
    fclose(f);
    setenv("CLRNN_CL_DIR", dir, 1);
    clrnn_options_reread(ctx); /* options are read when a context is made */
    const char *const sources[] = {"broken.cl", NULL};
    cl_kernel k;
    CHECK(clrnn_kernel_get(ctx, sources, "", "broken", &k) == CLRNN_E_BUILD);
    CHECK_STR_CONTAINS(clrnn_last_error(), "building kernels {broken.cl}");
    CHECK_STR_CONTAINS(clrnn_last_error(), "build log");
    CHECK_STR_CONTAINS(clrnn_last_error(), "undefined_name");
    unsetenv("CLRNN_CL_DIR");
    clrnn_options_reread(ctx);
    remove(path);
    rmdir(dir);
}

/* The disk cache: a build writes one binary; a new context loads it and gives the same
 * kernel results. */
static void test_cache(void) {
    char dir[] = "/tmp/clrnn-cache-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    setenv("CLRNN_CACHE_DIR", dir, 1);
    for (int round = 0; round < 2; round++) {
        clrnn_ctx *ctx;
        CHECK(clrnn_ctx_create(NULL, &ctx) == CLRNN_OK);
        cl_mem b;
        float v[4] = {-1, 0, 2, 3}, out[4];
        clrnn_buf_create(ctx, sizeof v, &b);
        clrnn_buf_write(ctx, b, 0, sizeof v, v);
        CHECK(clrnn_act_forward(ctx, CLRNN_ACT_RELU, b, b, 1, 4) == CLRNN_OK);
        clrnn_buf_read(ctx, b, 0, sizeof out, out);
        CHECK(out[0] == 0 && out[1] == 0 && out[2] == 2 && out[3] == 3);
        clrnn_buf_release(&b);
        clrnn_ctx_free(ctx);
        char cmd[400];
        snprintf(cmd, sizeof cmd, "test $(ls %s/*.bin 2>/dev/null | wc -l) -eq 1", dir);
        CHECK(system(cmd) == 0);
    }
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
    unsetenv("CLRNN_CACHE_DIR");
}

static void expect_spec_error(clrnn_ctx *ctx, const char *spec, const int64_t *in, int rank,
                              clrnn_status want, const char *text) {
    clrnn_model *m = NULL;
    clrnn_status s = clrnn_model_from_spec(ctx, spec, in, rank, CLRNN_DTYPE_FLOAT32, 1, &m);
    CHECK_INT_EQ(s, want);
    CHECK(m == NULL);
    CHECK_STR_CONTAINS(clrnn_last_error(), text);
}

static void test_spec(clrnn_ctx *ctx) {
    int64_t in[2] = {7, 3};
    clrnn_model *m;
    CHECK(clrnn_model_from_spec(ctx, "simple_rnn(16,activation=sigmoid,return_sequences=true) "
                                "dense(1,sigmoid)", in, 2, CLRNN_DTYPE_FLOAT32, 1, &m) == CLRNN_OK);
    /* Keras: SimpleRNN 3*16 + 16*16 + 16 = 320, Dense 16 + 1 = 17 */
    CHECK_INT_EQ(clrnn_model_param_count(m), 337);
    int64_t out[4];
    CHECK_INT_EQ(clrnn_model_output_shape(m, out), 2);
    CHECK(out[0] == 7 && out[1] == 1);
    struct clrnn_weight_info w;
    CHECK(clrnn_model_weight(m, 1, &w) == CLRNN_OK);
    CHECK(strcmp(w.layer, "simple_rnn") == 0 && strcmp(w.name, "recurrent_kernel") == 0);
    CHECK(clrnn_model_weight(m, 3, &w) == CLRNN_OK);
    CHECK(strcmp(w.layer, "dense") == 0 && strcmp(w.name, "kernel") == 0);
    char *text;
    CHECK(clrnn_model_summary(m, &text) == CLRNN_OK);
    CHECK_STR_CONTAINS(text, "simple_rnn (SimpleRNN)      (None, 7, 16)             320");
    CHECK_STR_CONTAINS(text, "Total params: 337");
    free(text);
    clrnn_model_free(m);
    /* two layers of a kind get Keras's names */
    CHECK(clrnn_model_from_spec(ctx, "dense(4) activation(relu) dense(2)", in, 2,
                                CLRNN_DTYPE_FLOAT32, 1, &m) == CLRNN_OK);
    CHECK(clrnn_model_weight(m, 2, &w) == CLRNN_OK && strcmp(w.layer, "dense_1") == 0);
    clrnn_model_free(m);

    expect_spec_error(ctx, "simple_rnn(16", in, 2, CLRNN_E_INVALID_ARG, "missing ')'");
    expect_spec_error(ctx, "lstmx(4)", in, 2, CLRNN_E_INVALID_ARG, "unknown layer 'lstmx'");
    expect_spec_error(ctx, "dense(4,relu,3)", in, 2, CLRNN_E_INVALID_ARG, "too many positional");
    expect_spec_error(ctx, "dense(units=4,relu)", in, 2, CLRNN_E_INVALID_ARG, "after a keyword");
    expect_spec_error(ctx, "dense(4,activation=swish)", in, 2, CLRNN_E_UNSUPPORTED,
                      "activation 'swish' is not supported");
    expect_spec_error(ctx, "dense(0)", in, 2, CLRNN_E_FORMAT, "\"units\" must be an integer >= 1");
    expect_spec_error(ctx, "", in, 2, CLRNN_E_INVALID_ARG, "no layers");
    /* shapes that do not chain: a SimpleRNN after a layer that returns (batch, units) */
    expect_spec_error(ctx, "simple_rnn(4) simple_rnn(4)", in, 2, CLRNN_E_SHAPE,
                      "layer 'simple_rnn_1' (SimpleRNN) expects input (batch, steps, features), "
                      "found (None, 4)");
    int64_t flat[1] = {5};
    expect_spec_error(ctx, "simple_rnn(4)", flat, 1, CLRNN_E_SHAPE, "found (None, 5)");
    expect_spec_error(ctx, "simple_rnn(4,return_state=true)", in, 2, CLRNN_E_UNSUPPORTED,
                      "return_state");
}

/* The seed models' parameter counts, as Keras's model.summary() reports them. */
static void test_seed_param_counts(clrnn_ctx *ctx) {
    static const struct {
        const char *spec;
        int64_t T;
        size_t params;
    } SEEDS[] = {
        {"embedding(10000,50) lstm(32) dense(1,sigmoid)", 500, 510657},
        {"embedding(10000,100) lstm(32,return_sequences=true) lstm(32) dense(1,sigmoid)", 500, 1025377},
        {"embedding(10000,100) gru(32,return_sequences=true,reset_after=false) "
         "gru(32,reset_after=false) dense(1,sigmoid)", 500, 1019041},
        {"embedding(10000,100) gru(32,return_sequences=true) gru(32) dense(1,sigmoid)", 500, 1019233},
        {"embedding(10000,3) lstm(10) dense(1,sigmoid)", 100, 30571},
        {"embedding(20000,128) lstm(128) dense(1,sigmoid)", 80, 2691713},
    };
    for (size_t i = 0; i < sizeof SEEDS / sizeof *SEEDS; i++) {
        clrnn_model *m;
        CHECK(clrnn_model_from_spec(ctx, SEEDS[i].spec, &SEEDS[i].T, 1, CLRNN_DTYPE_INT32, 1, &m) == CLRNN_OK);
        CHECK_INT_EQ(clrnn_model_param_count(m), SEEDS[i].params);
        char *text, want[64];
        clrnn_model_summary(m, &text);
        snprintf(want, sizeof want, "Total params: %zu", SEEDS[i].params);
        CHECK_STR_CONTAINS(text, want);
        free(text);
        clrnn_model_free(m);
    }
    /* LSTM's unit_forget_bias: the forget block of the bias starts at ones */
    int64_t T = 4;
    clrnn_model *m;
    CHECK(clrnn_model_from_spec(ctx, "embedding(10,3) lstm(2)", &T, 1, CLRNN_DTYPE_INT32, 1, &m) == CLRNN_OK);
    struct clrnn_weight_info w;
    CHECK(clrnn_model_weight(m, 3, &w) == CLRNN_OK && strcmp(w.name, "bias") == 0);
    float *p = malloc(clrnn_model_param_count(m) * sizeof *p);
    clrnn_model_get_params(m, p);
    const float want_bias[8] = {0, 0, 1, 1, 0, 0, 0, 0};
    CHECK(memcmp(p + w.offset, want_bias, sizeof want_bias) == 0);
    free(p);
    clrnn_model_free(m);
}

static void test_initializers(clrnn_ctx *ctx) {
    /* orthogonal (U, U): R R^T = I;  (U, 4U): orthonormal rows */
    clrnn_rng rng;
    clrnn_rng_seed(&rng, 42);
    float w[6 * 24];
    for (int shape = 0; shape < 2; shape++) {
        int rows = 6, cols = shape ? 24 : 6;
        CHECK(clrnn_init_fill(CLRNN_INIT_ORTHOGONAL, w, rows, cols, &rng) == CLRNN_OK);
        double worst = 0;
        for (int a = 0; a < rows; a++)
            for (int b = 0; b < rows; b++) {
                double dot = 0;
                for (int c = 0; c < cols; c++) dot += (double)w[a * cols + c] * w[b * cols + c];
                worst = fmax(worst, fabs(dot - (a == b)));
            }
        printf("  orthogonal (%d, %d): max |R R^T - I| = %.3g\n", rows, cols, worst);
        CHECK(worst < 1e-5);
    }
    /* glorot_uniform: inside +-sqrt(6 / (fan_in + fan_out)) and spread over it */
    CHECK(clrnn_init_fill(CLRNN_INIT_GLOROT_UNIFORM, w, 6, 24, &rng) == CLRNN_OK);
    double limit = sqrt(6.0 / 30), lo = 1, hi = -1;
    for (int i = 0; i < 144; i++) {
        lo = fmin(lo, w[i]);
        hi = fmax(hi, w[i]);
    }
    CHECK(lo >= -limit && hi <= limit && lo < -0.8 * limit && hi > 0.8 * limit);
    /* the same seed gives the same model; zero biases */
    int64_t in[2] = {4, 3};
    clrnn_model *a, *b;
    CHECK(clrnn_model_from_spec(ctx, "simple_rnn(5) dense(2)", in, 2, CLRNN_DTYPE_FLOAT32, 9, &a) == CLRNN_OK);
    CHECK(clrnn_model_from_spec(ctx, "simple_rnn(5) dense(2)", in, 2, CLRNN_DTYPE_FLOAT32, 9, &b) == CLRNN_OK);
    size_t n = clrnn_model_param_count(a);
    float *pa = malloc(n * 4), *pb = malloc(n * 4);
    clrnn_model_get_params(a, pa);
    clrnn_model_get_params(b, pb);
    CHECK(memcmp(pa, pb, n * 4) == 0);
    struct clrnn_weight_info bias;
    clrnn_model_weight(a, 2, &bias);
    int zero = 1;
    for (size_t i = 0; i < bias.count; i++) zero &= pa[bias.offset + i] == 0.0f;
    CHECK(zero);
    free(pa);
    free(pb);
    clrnn_model_free(a);
    clrnn_model_free(b);
}

/* Asynchronous transfers (CLRNN_TRANSFERS=async, a context of its own): more uploads than
 * the ring has buffers, of growing sizes, each from one host array overwritten as soon as
 * the call returns (the data must have been copied), each into a buffer of its own; read
 * back without waiting and waited for once, every buffer holds what its upload sent. */
static void test_async_uploads(void) {
    enum { N = 40, MAX = 4096 };
    setenv("CLRNN_TRANSFERS", "async", 1);
    clrnn_ctx *ctx = NULL;
    CHECK(clrnn_ctx_create(NULL, &ctx) == CLRNN_OK);
    cl_mem bufs[N] = {0};
    int *src = malloc(MAX * sizeof *src);
    for (int i = 0; ctx && i < N; i++) {
        int n = 64 + i * (MAX - 64) / (N - 1);
        CHECK(clrnn_buf_create(ctx, (size_t)n * sizeof(int), &bufs[i]) == CLRNN_OK);
        for (int k = 0; k < n; k++) src[k] = i * 100003 + k;
        CHECK(clrnn_buf_upload(ctx, bufs[i], 0, (size_t)n * sizeof(int), src) == CLRNN_OK);
        memset(src, 0xff, (size_t)n * sizeof(int));
    }
    /* read back without waiting, into one array, and waited for once */
    int *all = malloc((size_t)N * MAX * sizeof *all);
    for (int i = 0; ctx && i < N; i++) {
        int n = 64 + i * (MAX - 64) / (N - 1);
        CHECK(clrnn_buf_download(ctx, bufs[i], 0, (size_t)n * sizeof(int),
                                 all + (size_t)i * MAX) == CLRNN_OK);
    }
    if (ctx) CHECK(clrnn_downloads_wait(ctx) == CLRNN_OK);
    /* PoCL gives pinned memory (CL_MEM_ALLOC_HOST_PTR) to every copy of the ring */
    if (ctx) CHECK_INT_EQ(clrnn_uploads_pinned(ctx), 16);
    size_t bad = 0;
    for (int i = 0; ctx && i < N; i++) {
        int n = 64 + i * (MAX - 64) / (N - 1);
        for (int k = 0; k < n; k++) bad += all[(size_t)i * MAX + k] != i * 100003 + k;
        clrnn_buf_release(&bufs[i]);
    }
    CHECK_INT_EQ(bad, 0);
    free(src), free(all);
    clrnn_ctx_free(ctx);
    unsetenv("CLRNN_TRANSFERS");
}

/* The GPU forms' element kernels in groups of 256, fewer where a kernel allows fewer */
static void test_element_shape(clrnn_ctx *ctx) {
    CHECK_INT_EQ(clrnn_element_group(4096), 256);
    CHECK_INT_EQ(clrnn_element_group(256), 256);
    CHECK_INT_EQ(clrnn_element_group(200), 128);
    CHECK_INT_EQ(clrnn_element_group(64), 64);
    CHECK_INT_EQ(clrnn_element_group(1), 1);
    static const char *const sources[] = {"common.cl", "dense.cl", NULL};
    cl_kernel k;
    size_t limit = 0, g = 0, l = 0;
    CHECK(clrnn_kernel_get(ctx, sources, "", "dense_add_bias", &k) == CLRNN_OK);
    CHECK(clGetKernelWorkGroupInfo(k, ctx->device, CL_KERNEL_WORK_GROUP_SIZE, sizeof limit,
                                   &limit, NULL) == CL_SUCCESS);
    CHECK(clrnn_element_shape(ctx, k, "dense_add_bias", 1000, &g, &l) == CLRNN_OK);
    CHECK_INT_EQ(l, clrnn_element_group(limit));
    CHECK(g >= 1000 && g < 1000 + l && g % l == 0);
}

int main(void) {
    test_devices();
    test_errors();
    clrnn_ctx *ctx;
    if (clrnn_ctx_create(NULL, &ctx) != CLRNN_OK) {
        fprintf(stderr, "%s\n", clrnn_last_error());
        return 1;
    }
    test_build_failure(ctx);
    test_spec(ctx);
    test_initializers(ctx);
    test_seed_param_counts(ctx);
    test_element_shape(ctx);
    clrnn_ctx_free(ctx);
    test_cache();
    test_async_uploads();
    TEST_MAIN_END();
}
