/*
 * sample_weight.c - Keras's sample_weight and class_weight for fit and train_on_batch:
 * checking a sample weight array against the model's output, and turning class weights into
 * sample weights as Keras's data adapters do (class_weight_to_sample_weights).
 */
#include <math.h>
#include <string.h>

#include "model_impl.h"

/* output rows (loss terms) of one sample: 1, or T for an output of (T, C) */
static int64_t rows_per_sample(const clrnn_model *m) {
    const struct clrnn_shape *o = &m->layers[m->n_layers - 1]->out;
    return clrnn_shape_count(o) / clrnn_shape_last(o);
}

clrnn_status clrnn_sample_weight_check(const clrnn_model *m, const struct clrnn_array *sw,
                                       int64_t samples, const char *what) {
    int64_t per = rows_per_sample(m);
    if (sw->dtype != CLRNN_DTYPE_FLOAT32)
        return clrnn_fail(CLRNN_E_SHAPE, "%s sample_weight must be float32", what);
    int shape_ok = sw->rank >= 1 && sw->dims[0] == samples &&
                   (per == 1 ? clrnn_array_count(sw) == samples
                             : sw->rank == 2 && sw->dims[1] == per);
    if (!shape_ok) {
        if (per == 1)
            return clrnn_fail(CLRNN_E_SHAPE, "%s sample_weight must have shape (%lld,): one "
                              "weight a sample", what, (long long)samples);
        return clrnn_fail(CLRNN_E_SHAPE, "%s sample_weight must have shape (%lld, %lld): the "
                          "model's output has %lld timesteps, each weighted (as in Keras)",
                          what, (long long)samples, (long long)per, (long long)per);
    }
    int64_t n = clrnn_array_count(sw);
    for (int64_t i = 0; i < n; i++) {
        float w = ((const float *)sw->data)[i];
        if (!isfinite(w))
            return clrnn_fail(CLRNN_E_SHAPE, "%s sample_weight of sample %lld is %g: weights "
                              "must be finite", what, (long long)(i / (n / samples)), w);
    }
    return CLRNN_OK;
}

clrnn_status clrnn_class_sample_weights(const clrnn_model *m, const struct clrnn_array *y,
                                        const double *class_weight, int classes,
                                        struct clrnn_array *out) {
    if (rows_per_sample(m) != 1)
        return clrnn_fail(CLRNN_E_UNSUPPORTED, "class weights need one target per sample; the "
                          "model predicts a sequence (give per-timestep weights as "
                          "sample_weight (N, T) instead)");
    int64_t n = y->dims[0], per = n ? clrnn_array_count(y) / n : 0;
    int64_t dims[1] = {n};
    clrnn_status s = clrnn_array_alloc(out, CLRNN_DTYPE_FLOAT32, 1, dims);
    if (s) return s;
    for (int64_t i = 0; i < n; i++) {
        double best = -INFINITY;
        int64_t cls = 0;
        /* Keras: one-hot rows by their argmax (the first largest), a single value rounded */
        for (int64_t c = 0; c < per; c++) {
            int64_t k = i * per + c;
            double v = y->dtype == CLRNN_DTYPE_INT32 ? ((const int32_t *)y->data)[k]
                                                     : ((const float *)y->data)[k];
            if (per == 1) cls = (int64_t)nearbyint(v);
            else if (v > best) best = v, cls = c;
        }
        ((float *)out->data)[i] = cls >= 0 && cls < classes ? (float)class_weight[cls] : 1.0f;
    }
    return CLRNN_OK;
}
