/* fuzz_keras_json.c - the Keras architecture JSON reader (clrnn_model_from_json: Sequential
 * and Functional chains, layer configs, TextVectorization), on an OpenCL device made once.
 * Without a device (or with CLRNN_FUZZ_NO_DEVICE set) it only parses the JSON. */
#include "clrnn_impl.h"
#include "fuzz_common.h"

static clrnn_ctx *ctx;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    if (!getenv("CLRNN_FUZZ_NO_DEVICE") && clrnn_ctx_create(NULL, &ctx) != CLRNN_OK) {
        fprintf(stderr, "fuzz_keras_json: no OpenCL device (%s); parsing only\n",
                clrnn_last_error());
        ctx = NULL;
    }
    if (ctx) {
        ctx->info.max_alloc_bytes = FUZZ_DEVICE_BUFFER_BYTES;
        ctx->info.global_mem_bytes = 4 * FUZZ_DEVICE_BUFFER_BYTES;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *json = fuzz_text(data, size);
    if (!ctx) {
        cJSON *j = clrnn_json_parse(json, "fuzz");
        cJSON_Delete(j);
        free(json);
        return 0;
    }
    clrnn_model *m = NULL;
    clrnn_status s = clrnn_model_from_json(ctx, json, NULL, 0, CLRNN_DTYPE_FLOAT32, 1, &m);
    if (s == CLRNN_E_SHAPE) {
        /* the JSON does not fix its input shape: give one as data would */
        static const int64_t shape[2] = {4, 3};
        s = clrnn_model_from_json(ctx, json, shape, 2, CLRNN_DTYPE_FLOAT32, 1, &m);
    }
    if (s == CLRNN_OK) {
        cJSON *back = clrnn_model_config_json(m);
        char *text = cJSON_PrintUnformatted(back);
        free(text);
        cJSON_Delete(back);
        clrnn_model_free(m);
    }
    free(json);
    return 0;
}
