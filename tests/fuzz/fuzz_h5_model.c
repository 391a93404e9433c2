/* fuzz_h5_model.c - the legacy Keras .h5 reader (full model or save_weights file) and the
 * other readers a model .h5 goes through: the Keras 3 weights probe, the vocabulary and the
 * test vector. With an OpenCL device (PoCL), files that read also go through
 * clrnn_model_load (architecture JSON, weights assignment). */
#include "clrnn_formats.h"
#include "clrnn_impl.h"
#include "fuzz_common.h"

static clrnn_ctx *ctx;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_init_env();
    if (!getenv("CLRNN_FUZZ_NO_DEVICE") && clrnn_ctx_create(NULL, &ctx) != CLRNN_OK) ctx = NULL;
    if (ctx) {
        ctx->info.max_alloc_bytes = FUZZ_DEVICE_BUFFER_BYTES;
        ctx->info.global_mem_bytes = 4 * FUZZ_DEVICE_BUFFER_BYTES;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_write_temp(data, size, ".h5");
    struct clrnn_fmt_model m;
    clrnn_status s = clrnn_fmt_h5_read(path, &m);
    int has_config = !s && m.model_config;
    if (!s) clrnn_fmt_model_clear(&m);
    (void)clrnn_fmt_is_keras3_weights(path);
    char **tokens = NULL;
    int n = 0;
    if (clrnn_fmt_h5_read_tokens(path, "clrnn_vocabulary", &tokens, &n) == CLRNN_OK)
        clrnn_fmt_vocabulary_free(tokens, n);
    struct clrnn_array a;
    if (clrnn_fmt_data_read(path, "clrnn_test_vector/x", &a) == CLRNN_OK) clrnn_array_clear(&a);
    if (ctx && has_config) {
        clrnn_model *model = NULL;
        if (clrnn_model_load(ctx, path, NULL, &model) == CLRNN_OK) clrnn_model_free(model);
    }
    return 0;
}
