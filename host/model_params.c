/*
 * model_params.c - a model's packed parameters and gradients as the public API shows them:
 * counts, each weight's place, and copies to and from the device.
 */
#include <string.h>

#include "model_impl.h"

size_t clrnn_model_param_count(const clrnn_model *m) { return m->n_params; }

int clrnn_model_weight_count(const clrnn_model *m) {
    int n = 0;
    for (int i = 0; i < m->n_layers; i++) n += m->layers[i]->n_weights;
    return n;
}

clrnn_status clrnn_model_weight(const clrnn_model *m, int index, struct clrnn_weight_info *out) {
    for (int i = 0; i < m->n_layers; i++) {
        const struct clrnn_layer *l = m->layers[i];
        if (index < l->n_weights) {
            const struct clrnn_weight *w = &l->w[index];
            out->layer = l->name;
            out->name = w->name;
            out->rank = w->rank;
            for (int k = 0; k < 4; k++) out->dims[k] = k < w->rank ? w->d[k] : 0;
            out->offset = w->offset;
            out->count = w->count;
            return CLRNN_OK;
        }
        index -= l->n_weights;
    }
    return clrnn_fail(CLRNN_E_INVALID_ARG, "weight index out of range");
}

clrnn_status clrnn_model_get_params(clrnn_model *m, float *out) {
    return clrnn_buf_read(m->ctx, m->params, 0, m->n_params * sizeof(float), out);
}

clrnn_status clrnn_model_set_params(clrnn_model *m, const float *in) {
    memcpy(m->host_params, in, m->n_params * sizeof(float));
    return clrnn_buf_write(m->ctx, m->params, 0, m->n_params * sizeof(float), in);
}

clrnn_status clrnn_model_get_grads(clrnn_model *m, float *out) {
    return clrnn_buf_read(m->ctx, m->grads, 0, m->n_params * sizeof(float), out);
}
