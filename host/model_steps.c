/*
 * model_steps.c - models of unknown length (Keras's Input((None,)), or a tf.keras 2
 * Sequential built by fit without input_length: batch_input_shape [None, None]). Keras runs
 * them on sequences of any length; so does clrnn: the architecture keeps the time axis
 * unknown (m->free_steps), and each batch's data sets it before the batch runs. The time
 * axis is axis 0 of the model's input and of every tensor of rank 2 or more (without the
 * batch axis) that the layers make from it; no layer's weights depend on it, so a new length
 * re-derives the layers' shapes, and the activations are made again for it at the next
 * clrnn_model_reserve.
 */
#include <string.h>

#include "model_impl.h"

/* Re-runs layer l's build for its new input shape, keeping the weights it had (their places
 * in the packed parameters included): they must come out the same. */
static clrnn_status rebuild_layer(struct clrnn_layer *l) {
    struct clrnn_weight kept[CLRNN_MAX_WEIGHTS];
    int n = l->n_weights;
    memcpy(kept, l->w, sizeof kept);
    l->n_weights = 0;
    l->mask_out = l->mask_in;
    clrnn_status s = l->ops->build(l);
    int same = !s && l->n_weights == n;
    for (int j = 0; same && j < n; j++) same = l->w[j].count == kept[j].count;
    memcpy(l->w, kept, sizeof kept);
    l->n_weights = n;
    if (!s && !same) {
        char d[200];
        s = clrnn_fail(CLRNN_E_SHAPE, "%s: its weights changed with the input's length",
                       clrnn_layer_desc(l, d, sizeof d));
    }
    return s;
}

/* A Functional graph (of one input): each layer takes the tensors its node says. */
static clrnn_status graph_set_steps(clrnn_model *m, int64_t T) {
    struct clrnn_graph *g = m->graph;
    g->t[g->inputs[0]].shape.d[0] = T;
    for (int i = 0; i < m->n_layers; i++) {
        struct clrnn_layer *l = m->layers[i];
        const struct clrnn_node *nd = &g->nodes[i];
        l->in = g->t[nd->in[0]].shape;
        clrnn_status s = rebuild_layer(l);
        if (s) return s;
        g->t[nd->out[0]].shape = l->out;
    }
    return CLRNN_OK;
}

clrnn_status clrnn_model_set_steps(clrnn_model *m, int64_t T) {
    if (!m->free_steps || m->in.d[0] == T) return CLRNN_OK;
    if (T < 1 || T > (int64_t)1 << 30)
        return clrnn_fail(CLRNN_E_SHAPE, "model '%s': a sequence of %lld steps cannot run",
                          m->name, (long long)T);
    struct clrnn_shape shape = m->in;
    shape.d[0] = T;
    for (int i = 0; !m->graph && i < m->n_layers; i++) {
        struct clrnn_layer *l = m->layers[i];
        l->in = shape;
        clrnn_status s = rebuild_layer(l);
        if (s) return s;
        shape = l->out;
    }
    clrnn_status s = m->graph ? graph_set_steps(m, T) : CLRNN_OK;
    if (!s) m->in.d[0] = T;
    return s;
}

clrnn_status clrnn_model_take_steps(clrnn_model *m, const struct clrnn_array *x) {
    /* an array of another rank is left to the input checks, which say what is wrong */
    if (!m->free_steps || x->rank != m->in.rank + 1 || x->dims[1] < 1) return CLRNN_OK;
    return clrnn_model_set_steps(m, x->dims[1]);
}

cJSON *clrnn_model_shape_json(const clrnn_model *m, const struct clrnn_shape *s, int is_input) {
    struct clrnn_shape shown = clrnn_model_shown_shape(m, s, is_input);
    cJSON *a = cJSON_CreateArray();
    cJSON_AddItemToArray(a, cJSON_CreateNull()); /* the batch */
    for (int i = 0; i < shown.rank; i++)
        cJSON_AddItemToArray(a, shown.d[i] < 0 ? cJSON_CreateNull()
                                               : cJSON_CreateNumber((double)shown.d[i]));
    return a;
}

struct clrnn_shape clrnn_model_shown_shape(const clrnn_model *m, const struct clrnn_shape *s,
                                           int is_input) {
    struct clrnn_shape shown = *s;
    if (m->free_steps && (is_input || s->rank >= 2)) shown.d[0] = -1;
    return shown;
}
