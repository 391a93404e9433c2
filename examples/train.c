/*
 * train.c - a program that embeds clrnn: trains a SimpleRNN to add binary numbers (the
 * dataset of `clrnn-data addition`: two numbers' bits a timestep, least significant first,
 * and the sum's bit at each step), prints Keras-style epoch logs, evaluates it on the test
 * split and saves it as a Keras .h5 file.
 *
 *   train DATA.h5 OUT.h5 [EPOCHS]
 */
#include <stdio.h>
#include <stdlib.h>

#include "clrnn.h"

static int fail(const char *what, clrnn_status s) {
    fprintf(stderr, "train: %s: %s: %s\n", what, clrnn_status_str(s), clrnn_last_error());
    return 1;
}

/* Called after each epoch; returning nonzero would stop training. */
static int on_epoch(const struct clrnn_epoch_logs *l, void *user) {
    (void)user;
    printf("epoch %d/%d - loss: %.4f - accuracy: %.4f", l->epoch + 1, l->epochs, l->loss,
           l->accuracy);
    if (l->has_val) printf(" - val_loss: %.4f - val_accuracy: %.4f", l->val_loss, l->val_accuracy);
    printf("\n");
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: train DATA.h5 OUT.h5 [EPOCHS]\n");
        return 2;
    }
    clrnn_ctx *ctx = NULL;
    clrnn_model *model = NULL;
    struct clrnn_data train = {0}, test = {0};
    int rc = 1;
    clrnn_status s;
    if ((s = clrnn_ctx_create(NULL, &ctx))) return fail("opening a device", s);
    if ((s = clrnn_data_load(argv[1], CLRNN_SPLIT_TRAIN, CLRNN_LABELS_REQUIRED, &train)) ||
        (s = clrnn_data_load(argv[1], CLRNN_SPLIT_TEST, CLRNN_LABELS_REQUIRED, &test))) {
        rc = fail(argv[1], s);
        goto done;
    }
    /* the input shape without the batch axis: (timesteps, features) */
    const int64_t *input_shape = train.x.dims + 1;
    if ((s = clrnn_model_from_spec(ctx,
                                   "simple_rnn(16,activation=sigmoid,return_sequences=true) "
                                   "dense(1,sigmoid)",
                                   input_shape, train.x.rank - 1, train.x.dtype, 1, &model))) {
        rc = fail("building the model", s);
        goto done;
    }
    /* model.compile(loss="binary_crossentropy", optimizer=Adam(learning_rate=0.01)) */
    struct clrnn_compile_config cc = {.loss = "binary_crossentropy",
                                      .optimizer = clrnn_optimizer_default(CLRNN_OPT_ADAM)};
    cc.optimizer.learning_rate = 0.01;
    if ((s = clrnn_model_compile(model, &cc))) {
        rc = fail("compiling", s);
        goto done;
    }
    /* model.fit(x, y, epochs=..., batch_size=32, validation_split=0.1) */
    struct clrnn_fit_params fit = clrnn_fit_params_default();
    fit.epochs = argc > 3 ? atoi(argv[3]) : 20;
    fit.validation_split = 0.1;
    fit.seed = 1;
    fit.on_epoch = on_epoch;
    if ((s = clrnn_model_fit(model, &train.x, 1, &train.y, NULL, NULL, &fit))) {
        rc = fail("training", s);
        goto done;
    }
    struct clrnn_eval_result r;
    if ((s = clrnn_model_evaluate(model, &test.x, 1, &test.y, 32, &r))) {
        rc = fail("evaluating", s);
        goto done;
    }
    printf("test: %lld samples - loss: %.4f - accuracy: %.4f\n", (long long)r.samples, r.loss,
           r.accuracy);
    if ((s = clrnn_model_save(model, argv[2]))) {
        rc = fail(argv[2], s);
        goto done;
    }
    printf("saved %s\n", argv[2]);
    rc = 0;
done:
    clrnn_model_free(model);
    clrnn_data_clear(&train);
    clrnn_data_clear(&test);
    clrnn_ctx_free(ctx);
    return rc;
}
