/*
 * model_steps.c - models of unknown length (Keras's Input((None,)), or a tf.keras 2
 * Sequential built by fit without input_length: batch_input_shape [None, None]). Keras runs
 * them on sequences of any length; so does clrnn: the architecture keeps the time axis
 * unknown (m->free_steps), and each batch's data sets it before the batch runs. The time
 * axis is axis 0 of the model's input and of every tensor of rank 2 or more (without the
 * batch axis) that the layers make from it (in a graph, each input of unknown length has
 * its own, from its own array: an encoder's and a decoder's sequences); no layer's weights
 * depend on it, so a new length re-derives the layers' shapes, and the activations are made
 * again for it at the next clrnn_model_reserve.
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

/* A Functional graph: each layer takes the tensors its node says, of the lengths its inputs
 * now have. */
static clrnn_status graph_rebuild(clrnn_model *m) {
    struct clrnn_graph *g = m->graph;
    for (int i = 0; i < m->n_layers; i++) {
        struct clrnn_layer *l = m->layers[i];
        const struct clrnn_node *nd = &g->nodes[i];
        l->in = g->t[nd->in[0]].shape;
        for (int k = 1; l->ops->takes_several && k < nd->n_in; k++)
            l->aux_in[k - 1].shape = g->t[nd->in[k]].shape;
        clrnn_status s = rebuild_layer(l);
        if (s) return s;
        g->t[nd->out[0]].shape = l->out;
        for (int k = 0; k < l->n_aux_out; k++) g->t[nd->out[k + 1]].shape = l->aux_out[k].shape;
    }
    m->in = g->t[g->inputs[0]].shape;
    return CLRNN_OK;
}

static clrnn_status check_length(const clrnn_model *m, int64_t T) {
    if (T < 1 || T > (int64_t)1 << 30)
        return clrnn_fail(CLRNN_E_SHAPE, "model '%s': a sequence of %lld steps cannot run",
                          m->name, (long long)T);
    return CLRNN_OK;
}

/* Sets the length of each input of unknown length to T[k] (T[k] < 1: kept). */
static clrnn_status graph_set_steps(clrnn_model *m, const int64_t *T) {
    struct clrnn_graph *g = m->graph;
    int changed = 0;
    for (int k = 0; k < g->n_inputs; k++) {
        struct clrnn_tensor *t = &g->t[g->inputs[k]];
        if (!t->free_steps || T[k] < 1 || t->shape.d[0] == T[k]) continue;
        clrnn_status s = check_length(m, T[k]);
        if (s) return s;
        t->shape.d[0] = T[k];
        changed = 1;
    }
    if (!changed) return CLRNN_OK;
    m->steps_built++;
    return graph_rebuild(m);
}

clrnn_status clrnn_model_set_steps(clrnn_model *m, int64_t T) {
    if (!m->free_steps) return CLRNN_OK;
    clrnn_status s = check_length(m, T);
    if (s) return s;
    if (m->graph) {
        int64_t all[CLRNN_MAX_INPUTS];
        for (int k = 0; k < CLRNN_MAX_INPUTS; k++) all[k] = T;
        return graph_set_steps(m, all);
    }
    if (m->in.d[0] == T) return CLRNN_OK;
    struct clrnn_shape shape = m->in;
    shape.d[0] = T;
    for (int i = 0; i < m->n_layers; i++) {
        struct clrnn_layer *l = m->layers[i];
        l->in = shape;
        if ((s = rebuild_layer(l))) return s;
        shape = l->out;
    }
    m->in.d[0] = T;
    m->steps_built++;
    return CLRNN_OK;
}

clrnn_status clrnn_model_take_steps(clrnn_model *m, const struct clrnn_array *xs, int n) {
    if (!m->free_steps || n < 1) return CLRNN_OK;
    /* an array of another rank is left to the input checks, which say what is wrong */
    if (!m->graph) {
        if (xs[0].rank != m->in.rank + 1 || xs[0].dims[1] < 1) return CLRNN_OK;
        return clrnn_model_set_steps(m, xs[0].dims[1]);
    }
    int64_t T[CLRNN_MAX_INPUTS] = {0};
    for (int k = 0; k < n && k < m->graph->n_inputs; k++) {
        const struct clrnn_tensor *t = &m->graph->t[m->graph->inputs[k]];
        if (xs[k].rank == t->shape.rank + 1 && xs[k].dims[1] >= 1) T[k] = xs[k].dims[1];
    }
    return graph_set_steps(m, T);
}

struct clrnn_shape clrnn_model_tensor_shown(const clrnn_model *m, int id) {
    const struct clrnn_tensor *t = &m->graph->t[id];
    struct clrnn_shape shown = t->shape;
    if (t->free_steps) shown.d[0] = -1;
    return shown;
}

cJSON *clrnn_shape_json(const struct clrnn_shape *shown) {
    cJSON *a = cJSON_CreateArray();
    cJSON_AddItemToArray(a, cJSON_CreateNull()); /* the batch */
    for (int i = 0; i < shown->rank; i++)
        cJSON_AddItemToArray(a, shown->d[i] < 0 ? cJSON_CreateNull()
                                                : cJSON_CreateNumber((double)shown->d[i]));
    return a;
}

struct clrnn_shape clrnn_model_shown_shape(const clrnn_model *m, const struct clrnn_shape *s,
                                           int is_input) {
    struct clrnn_shape shown = *s;
    if (m->free_steps && (is_input || s->rank >= 2)) shown.d[0] = -1;
    return shown;
}
