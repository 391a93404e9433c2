/*
 * test_any_length_batches.c - a model of unknown length given batches of other lengths one
 * after the other (clrnn_model_train_on_batch calls, as a generator of batches gives them):
 * tf.keras 2's Sequential built by fit (golden-tf2/fit_built_any_length: Embedding with
 * mask_zero, Bidirectional(LSTM), Dense; compiled with Adam, as the file says) takes a
 * training step at lengths 7, 12, 4, 12, 7, its activations made again at each new length.
 * After each step, a fresh model loaded from the file and given its weights must predict,
 * run forward and backward at that length exactly as it does, bit for bit (the same kernels
 * on the same numbers): nothing of another length is left behind.
 */
#include <stdio.h>
#include <string.h>

#include "clrnn_impl.h"
#include "test.h"

static clrnn_ctx *ctx;
static char path[600];

static struct clrnn_array ids(int n, int T, uint32_t seed) {
    struct clrnn_array a;
    int64_t dims[2] = {n, T};
    CHECK(clrnn_array_alloc(&a, CLRNN_DTYPE_INT32, 2, dims) == CLRNN_OK);
    for (int64_t i = 0; i < clrnn_array_count(&a); i++) {
        seed = seed * 1664525u + 1013904223u;
        ((int32_t *)a.data)[i] = (int32_t)(seed >> 16) % 40;
    }
    return a;
}

static struct clrnn_array labels(int n) {
    struct clrnn_array a;
    int64_t dims[2] = {n, 1};
    CHECK(clrnn_array_alloc(&a, CLRNN_DTYPE_FLOAT32, 2, dims) == CLRNN_OK);
    for (int i = 0; i < n; i++) ((float *)a.data)[i] = (float)(i % 2);
    return a;
}

static int same(const struct clrnn_array *a, const struct clrnn_array *b) {
    return clrnn_array_count(a) == clrnn_array_count(b) &&
           memcmp(a->data, b->data, (size_t)clrnn_array_count(a) * 4) == 0;
}

/* A (which has run other lengths) and a fresh model with A's weights: the same predictions
 * and the same training step at length T. */
static void check_length(clrnn_model *a, int T) {
    clrnn_model *c = NULL;
    CHECK(clrnn_model_load(ctx, path, NULL, &c) == CLRNN_OK);
    if (!c) return;
    float *w = malloc(clrnn_model_param_count(a) * sizeof *w);
    CHECK(w && clrnn_model_get_params(a, w) == CLRNN_OK && clrnn_model_set_params(c, w) == CLRNN_OK);
    struct clrnn_array x = ids(5, T, (uint32_t)T), y = labels(5), pa, pc;
    CHECK(clrnn_model_predict(a, &x, 1, 3, &pa) == CLRNN_OK);
    CHECK(clrnn_model_predict(c, &x, 1, 3, &pc) == CLRNN_OK);
    CHECK(same(&pa, &pc));
    struct clrnn_array ga = {0}, gc = {0};
    CHECK(clrnn_model_forward(a, &x, 1, 1, &ga) == CLRNN_OK);
    CHECK(clrnn_model_forward(c, &x, 1, 1, &gc) == CLRNN_OK);
    CHECK(same(&ga, &gc));
    /* the output gradient of a BCE-like loss: the same gradients of every weight */
    struct clrnn_array dy = ga;
    float *ga_copy = malloc((size_t)clrnn_array_count(&ga) * 4);
    memcpy(ga_copy, ga.data, (size_t)clrnn_array_count(&ga) * 4);
    for (int64_t i = 0; i < clrnn_array_count(&dy); i++)
        ((float *)dy.data)[i] = ga_copy[i] - ((float *)y.data)[i];
    CHECK(clrnn_model_backward(a, &dy, NULL) == CLRNN_OK);
    CHECK(clrnn_model_backward(c, &dy, NULL) == CLRNN_OK);
    size_t n = clrnn_model_param_count(a);
    float *da = malloc(n * sizeof *da), *dc = malloc(n * sizeof *dc);
    CHECK(clrnn_model_get_grads(a, da) == CLRNN_OK && clrnn_model_get_grads(c, dc) == CLRNN_OK);
    CHECK(memcmp(da, dc, n * sizeof *da) == 0);
    printf("  length %2d: predictions, outputs and gradients as a fresh model's\n", T);
    free(w), free(ga_copy), free(da), free(dc);
    clrnn_array_clear(&x), clrnn_array_clear(&y), clrnn_array_clear(&pa), clrnn_array_clear(&pc);
    clrnn_array_clear(&ga), clrnn_array_clear(&gc);
    clrnn_model_free(c);
}

int main(void) {
    const char *data = getenv("CLRNN_TEST_DATA");
    snprintf(path, sizeof path, "%s/keras/golden-tf2/fit_built_any_length/model.h5",
             data ? data : "../../tests");
    clrnn_status s = clrnn_ctx_create(NULL, &ctx);
    if (s == CLRNN_E_NO_DEVICE) test_skip_no_device(clrnn_last_error());
    if (s) return fprintf(stderr, "%s\n", clrnn_last_error()), 1;
    clrnn_model *a = NULL;
    CHECK(clrnn_model_load(ctx, path, NULL, &a) == CLRNN_OK);
    if (a) {
        const int lengths[] = {7, 12, 4, 12, 7};
        for (int k = 0; k < 5; k++) {
            /* a training step at this length (the batches of a generator), then the check */
            struct clrnn_array x = ids(6, lengths[k], 100u + (uint32_t)k), y = labels(6);
            double loss = -1;
            CHECK(clrnn_model_train_on_batch(a, &x, 1, &y, &loss) == CLRNN_OK);
            CHECK(loss > 0 && loss < 2);
            printf("  train_on_batch at length %2d: loss %.6f\n", lengths[k], loss);
            clrnn_array_clear(&x), clrnn_array_clear(&y);
            check_length(a, lengths[k]);
        }
        /* a length of 0 steps is refused with the shape it has */
        struct clrnn_array x = ids(2, 1, 1), p;
        x.dims[1] = 0;
        CHECK(clrnn_model_predict(a, &x, 1, 2, &p) == CLRNN_E_SHAPE);
        CHECK_STR_CONTAINS(clrnn_last_error(), "has shape (None, 0) per batch, but the model "
                           "expects input (None, None)");
        x.dims[1] = 1;
        clrnn_array_clear(&x);
    }
    clrnn_model_free(a);
    clrnn_ctx_free(ctx);
    TEST_MAIN_END();
}
