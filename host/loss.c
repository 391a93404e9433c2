/*
 * loss.c - the losses of compile(): names, target checks, and the loss kernels of
 * cl/loss.cl.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "model_impl.h"

static const char *const LOSS_SOURCES[] = {"loss.cl", NULL};

static const struct {
    const char *name;
    clrnn_loss_kind kind;
} LOSS_NAMES[] = {
    {"binary_crossentropy", CLRNN_LOSS_BCE},
    {"categorical_crossentropy", CLRNN_LOSS_CCE},
    {"sparse_categorical_crossentropy", CLRNN_LOSS_SPARSE_CCE},
    {"mean_squared_error", CLRNN_LOSS_MSE},
    {"mse", CLRNN_LOSS_MSE},
    /* Keras class names, as training_config may hold them */
    {"BinaryCrossentropy", CLRNN_LOSS_BCE},
    {"CategoricalCrossentropy", CLRNN_LOSS_CCE},
    {"SparseCategoricalCrossentropy", CLRNN_LOSS_SPARSE_CCE},
    {"MeanSquaredError", CLRNN_LOSS_MSE},
};

clrnn_status clrnn_loss_parse(const char *name, clrnn_loss_kind *out) {
    for (size_t i = 0; i < sizeof LOSS_NAMES / sizeof *LOSS_NAMES; i++) {
        if (strcmp(name, LOSS_NAMES[i].name) == 0) {
            *out = LOSS_NAMES[i].kind;
            return CLRNN_OK;
        }
    }
    return clrnn_fail(CLRNN_E_UNSUPPORTED,
                      "loss '%s' is not supported (supported: binary_crossentropy, "
                      "categorical_crossentropy, sparse_categorical_crossentropy, "
                      "mean_squared_error)",
                      name);
}

const char *clrnn_loss_name(clrnn_loss_kind k) { return LOSS_NAMES[k].name; }

clrnn_status clrnn_loss_check_targets(clrnn_loss_kind k, const int64_t *out, int out_rank,
                                      const struct clrnn_array *y) {
    char want[96], got[96];
    struct clrnn_shape os = {out_rank, {0}}, ys = {y->rank > 0 ? y->rank - 1 : 0, {0}};
    for (int i = 0; i < out_rank; i++) os.d[i] = out[i];
    for (int i = 0; i < ys.rank && i < 4; i++) ys.d[i] = y->dims[i + 1];
    int ok;
    if (k == CLRNN_LOSS_SPARSE_CCE) {
        /* integer labels: the output's shape without its class axis (or with a 1 there) */
        ok = ys.rank == os.rank - 1 || (ys.rank == os.rank && ys.d[ys.rank - 1] == 1);
        for (int i = 0; ok && i < os.rank - 1; i++) ok = ys.d[i] == os.d[i];
    } else {
        /* same shape; (N,) targets also fit an output of (N, 1) as in Keras */
        ok = ys.rank == os.rank || (ys.rank == os.rank - 1 && os.d[os.rank - 1] == 1);
        for (int i = 0; ok && i < ys.rank; i++) ok = ys.d[i] == os.d[i];
    }
    if (!ok)
        return clrnn_fail(CLRNN_E_SHAPE, "targets y have shape %s but the model output is %s "
                          "(loss %s)", clrnn_batch_shape_str(&ys, got, sizeof got),
                          clrnn_batch_shape_str(&os, want, sizeof want), clrnn_loss_name(k));
    if (k == CLRNN_LOSS_SPARSE_CCE) {
        int64_t n = clrnn_array_count(y), classes = os.d[os.rank - 1];
        for (int64_t i = 0; i < n; i++) {
            double v = y->dtype == CLRNN_DTYPE_INT32 ? ((const int32_t *)y->data)[i]
                                                     : ((const float *)y->data)[i];
            if (!(v >= 0 && v < (double)classes && v == floor(v)))
                return clrnn_fail(CLRNN_E_SHAPE, "label %g of target row %lld is not a class "
                                  "index in [0, %lld) (loss %s)", v,
                                  (long long)(y->dims[0] ? i / (n / y->dims[0]) : 0),
                                  (long long)classes, clrnn_loss_name(k));
        }
    }
    return CLRNN_OK;
}

clrnn_status clrnn_loss_run(clrnn_ctx *ctx, clrnn_loss_kind k, int from_logits, cl_mem pred,
                            cl_mem y, cl_mem dpred, cl_mem row_loss, cl_mem row_acc,
                            cl_mem row_extra, int top_k, size_t rows, size_t cols, cl_mem mask,
                            cl_mem weights, cl_mem metric, size_t slot) {
    cl_kernel kern, reduce, count;
    const char *name = k == CLRNN_LOSS_BCE ? "loss_bce" : k == CLRNN_LOSS_MSE ? "loss_mse" : "loss_cce";
    char opts[64];
    size_t lanes = clrnn_reduce_lanes(ctx, opts, sizeof opts);
    size_t used = strlen(opts);
    snprintf(opts + used, sizeof opts - used, " -DSLOT_FLOATS=%d", CLRNN_SLOT_FLOATS);
    clrnn_status s = clrnn_kernel_get(ctx, LOSS_SOURCES, opts, name, &kern);
    if (!s) s = clrnn_kernel_get(ctx, LOSS_SOURCES, opts, "loss_reduce", &reduce);
    if (!s) s = clrnn_kernel_get(ctx, LOSS_SOURCES, opts, "mask_sum", &count);
    if (s) return s;
    int r = (int)rows, c = (int)cols, logits = from_logits, sparse = k == CLRNN_LOSS_SPARSE_CCE;
    int masked = mask != NULL, weighted = weights != NULL, sl = (int)slot;
    int k_top = top_k > 0 ? top_k : CLRNN_DEFAULT_TOP_K;
    /* not read when unmasked or unweighted, but must be buffers */
    cl_mem m = masked ? mask : pred, w = weighted ? weights : pred;
    size_t g = rows;
    /* the valid count comes first: the loss kernels scale their gradients by it */
    if (masked && (s = CLRNN_LAUNCH(ctx, count, "mask_sum", 1, &lanes, &lanes, KARG(mask), KARG(r),
                                    KARG(metric), KARG(sl))))
        return s;
    if (k == CLRNN_LOSS_BCE)
        s = CLRNN_LAUNCH(ctx, kern, name, 1, &g, NULL, KARG(pred), KARG(y), KARG(dpred), KARG(r),
                         KARG(c), KARG(logits), KARG(row_loss), KARG(row_acc), KARG(row_extra),
                         KARG(masked), KARG(m), KARG(weighted), KARG(w), KARG(metric), KARG(sl));
    else if (k == CLRNN_LOSS_MSE)
        s = CLRNN_LAUNCH(ctx, kern, name, 1, &g, NULL, KARG(pred), KARG(y), KARG(dpred), KARG(r),
                         KARG(c), KARG(row_loss), KARG(row_acc), KARG(row_extra), KARG(masked),
                         KARG(m), KARG(weighted), KARG(w), KARG(metric), KARG(sl));
    else
        s = CLRNN_LAUNCH(ctx, kern, name, 1, &g, NULL, KARG(pred), KARG(y), KARG(dpred), KARG(r),
                         KARG(c), KARG(logits), KARG(sparse), KARG(row_loss), KARG(row_acc),
                         KARG(row_extra), KARG(k_top), KARG(masked), KARG(m), KARG(weighted),
                         KARG(w), KARG(metric), KARG(sl));
    if (s) return s;
    return CLRNN_LAUNCH(ctx, reduce, "loss_reduce", 1, &lanes, &lanes, KARG(row_loss),
                        KARG(row_acc), KARG(row_extra), KARG(r), KARG(metric), KARG(sl),
                        KARG(masked));
}
