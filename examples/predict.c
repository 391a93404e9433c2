/*
 * predict.c - a program that embeds clrnn: loads a saved model (any file clrnn_model_load
 * reads: a Keras .h5 or .keras, or an architecture .json with its weights) and prints its
 * predictions for the inputs of a dataset file, one sample a line, outputs comma-separated
 * (the CSV that `clrnn-eval --predictions FILE.csv` writes).
 *
 *   predict MODEL DATA.h5 [WEIGHTS.h5]
 */
#include <stdio.h>
#include <stdlib.h>

#include "clrnn.h"

static int fail(const char *what, clrnn_status s) {
    fprintf(stderr, "predict: %s: %s: %s\n", what, clrnn_status_str(s), clrnn_last_error());
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: predict MODEL DATA.h5 [WEIGHTS.h5]\n");
        return 2;
    }
    clrnn_ctx *ctx = NULL;
    clrnn_model *model = NULL;
    struct clrnn_data data = {0};
    struct clrnn_array out = {0};
    int rc = 1;
    clrnn_status s;
    if ((s = clrnn_ctx_create(NULL, &ctx))) /* $CLRNN_DEVICE, else a GPU, else any device */
        return fail("opening a device", s);
    if ((s = clrnn_model_load(ctx, argv[1], argc > 3 ? argv[3] : NULL, &model))) {
        rc = fail(argv[1], s);
        goto done;
    }
    /* x_test when the file has it, else x */
    if ((s = clrnn_data_load(argv[2], CLRNN_SPLIT_TEST, CLRNN_LABELS_REQUIRED, &data))) {
        rc = fail(argv[2], s);
        goto done;
    }
    int n_inputs;
    const struct clrnn_array *inputs = clrnn_data_inputs(&data, &n_inputs);
    if ((s = clrnn_model_predict(model, inputs, n_inputs, 32, &out))) {
        rc = fail("predicting", s);
        goto done;
    }
    /* out is float32 (samples, output shape...): one line a sample */
    int64_t rows = out.dims[0], per = rows ? clrnn_array_count(&out) / rows : 0;
    const float *p = out.data;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t c = 0; c < per; c++)
            printf("%.9g%c", p[r * per + c], c + 1 == per ? '\n' : ',');
    rc = 0;
done:
    clrnn_array_clear(&out);
    clrnn_data_clear(&data);
    clrnn_model_free(model);
    clrnn_ctx_free(ctx);
    return rc;
}
