/*
 * graph_run.c - running the layer graph of a Functional model (model_graph.c builds it):
 * its tensors' buffers for a batch, forward in the config's order, and backward in reverse,
 * where a tensor several layers take gets the sum of their gradients and one that no layer
 * takes (the encoder's output sequence in seq2seq) gets zeros.
 */
#include <string.h>

#include "model_impl.h"

static const char *const UTIL_SOURCES[] = {"rnn_util.cl", NULL};

void clrnn_graph_free(struct clrnn_graph *g) {
    if (!g) return;
    for (int k = 1; k < CLRNN_MAX_INPUTS; k++) {
        clrnn_buf_release(&g->x_dev[k]);
        clrnn_free(g->x_host[k]);
    }
    for (int i = 0; g->t && i < g->n_tensors; i++) clrnn_buf_release(&g->t[i].grad);
    for (int i = 0; g->nodes && i < g->n_nodes; i++)
        for (int k = 0; k < CLRNN_MAX_AUX; k++) clrnn_buf_release(&g->nodes[i].dx_aux[k]);
    clrnn_free(g->t);
    clrnn_free(g->nodes);
    clrnn_free(g);
}

static size_t tensor_bytes(const struct clrnn_tensor *t, int B) {
    return (size_t)B * (size_t)clrnn_shape_count(&t->shape) * sizeof(float);
}

int clrnn_graph_needs_dx(const clrnn_model *m, int i) {
    return m->graph->t[m->graph->nodes[i].in[0]].node >= 0;
}

clrnn_status clrnn_graph_reserve(clrnn_model *m, int B) {
    struct clrnn_graph *g = m->graph;
    clrnn_status s;
    g->x_dev[0] = m->x_dev;
    g->x_host[0] = m->x_host;
    for (int k = 1; k < g->n_inputs; k++) {
        const struct clrnn_tensor *t = &g->t[g->inputs[k]];
        clrnn_buf_release(&g->x_dev[k]);
        clrnn_free(g->x_host[k]);
        if (!(g->x_host[k] = clrnn_malloc(tensor_bytes(t, B))))
            return clrnn_fail(CLRNN_E_NOMEM, "out of memory for a batch of %d", B);
        if ((s = clrnn_buf_create(m->ctx, tensor_bytes(t, B), &g->x_dev[k]))) return s;
    }
    for (int i = 0; i < g->n_tensors; i++) {
        struct clrnn_tensor *t = &g->t[i];
        clrnn_buf_release(&t->grad);
        if (t->node >= 0 && (s = clrnn_buf_create(m->ctx, tensor_bytes(t, B), &t->grad))) return s;
    }
    for (int i = 0; i < m->n_layers; i++) {
        struct clrnn_node *nd = &g->nodes[i];
        for (int k = 0; k + 1 < nd->n_in; k++) {
            clrnn_buf_release(&nd->dx_aux[k]);
            const struct clrnn_tensor *t = &g->t[nd->in[k + 1]];
            if (t->node >= 0 && (s = clrnn_buf_create(m->ctx, tensor_bytes(t, B), &nd->dx_aux[k])))
                return s;
        }
    }
    return CLRNN_OK;
}

clrnn_status clrnn_graph_forward(clrnn_model *m, int B, int mode, cl_mem *y) {
    struct clrnn_graph *g = m->graph;
    struct clrnn_pass p = {m->ctx, m->params, m->grads, B, mode == CLRNN_FWD_TRAIN,
                           mode == CLRNN_FWD_PREDICT, &m->rng, NULL, m->row0};
    for (int k = 0; k < g->n_inputs; k++) {
        g->t[g->inputs[k]].val = g->x_dev[k];
        g->t[g->inputs[k]].mask_val = NULL;
    }
    for (int i = 0; i < m->n_layers; i++) {
        struct clrnn_layer *l = m->layers[i];
        const struct clrnn_node *nd = &g->nodes[i];
        const struct clrnn_tensor *x = &g->t[nd->in[0]];
        p.x_host = x->node < 0 ? g->x_host[x->index] : NULL;
        l->in_mask = l->mask_in ? x->mask_val : NULL;
        for (int k = 0; k + 1 < nd->n_in; k++) l->aux_in[k].val = g->t[nd->in[k + 1]].val;
        clrnn_status s = l->ops->forward(l, &p, x->val);
        if (s) {
            char d[200];
            return clrnn_fail_context(s, "%s forward", clrnn_layer_desc(l, d, sizeof d));
        }
        struct clrnn_tensor *o = &g->t[nd->out[0]];
        o->val = l->y;
        o->mask_val = !l->mask_out ? NULL : l->mask_y ? l->mask_y : x->mask_val;
        for (int k = 0; k < l->n_aux_out; k++) {
            g->t[nd->out[k + 1]].val = l->aux_out[k].val;
            g->t[nd->out[k + 1]].mask_val = NULL;
        }
    }
    m->out_mask = g->t[g->output].mask_val;
    *y = g->t[g->output].val;
    return CLRNN_OK;
}

/* Adds a layer's input gradient src into tensor t's (the first one is copied). */
static clrnn_status accumulate(clrnn_model *m, struct clrnn_tensor *t, cl_mem src, int B) {
    size_t bytes = tensor_bytes(t, B);
    if (!t->grad_set) {
        t->grad_set = 1;
        return clrnn_buf_copy(m->ctx, src, 0, t->grad, 0, bytes);
    }
    cl_kernel add;
    cl_ulong n = bytes / sizeof(float);
    size_t gn = (size_t)n;
    clrnn_status s = clrnn_kernel_get(m->ctx, UTIL_SOURCES, "", "add_into", &add);
    return s ? s : CLRNN_LAUNCH(m->ctx, add, "add_into", 1, &gn, NULL, KARG(t->grad), KARG(src),
                                KARG(n));
}

clrnn_status clrnn_graph_backward(clrnn_model *m, int B) {
    struct clrnn_graph *g = m->graph;
    struct clrnn_pass p = {m->ctx, m->params, m->grads, B, 1, 0, &m->rng, NULL, m->row0};
    for (int i = 0; i < g->n_tensors; i++) g->t[i].grad_set = 0;
    clrnn_status s = CLRNN_OK;
    for (int i = m->n_layers - 1; !s && i >= 0; i--) {
        struct clrnn_layer *l = m->layers[i];
        struct clrnn_node *nd = &g->nodes[i];
        struct clrnn_tensor *x = &g->t[nd->in[0]], *o = &g->t[nd->out[0]];
        cl_mem dy = nd->out[0] == g->output ? m->dy_dev : o->grad;
        if (nd->out[0] != g->output && !o->grad_set)
            s = clrnn_buf_fill_zero(m->ctx, o->grad, 0, tensor_bytes(o, B));
        for (int k = 0; k < l->n_aux_out; k++) {
            const struct clrnn_tensor *t = &g->t[nd->out[k + 1]];
            l->aux_out[k].grad = t->grad_set ? t->grad : NULL;
        }
        for (int k = 0; k + 1 < nd->n_in; k++) l->aux_in[k].grad = nd->dx_aux[k];
        p.x_host = x->node < 0 ? g->x_host[x->index] : NULL;
        cl_mem dx = x->node >= 0 ? l->dx : NULL;
        if (!s) s = l->ops->backward(l, &p, x->val, dy, dx);
        if (s) {
            char d[200];
            return clrnn_fail_context(s, "%s backward", clrnn_layer_desc(l, d, sizeof d));
        }
        if (dx) s = accumulate(m, x, dx, B);
        for (int k = 0; !s && k + 1 < nd->n_in; k++)
            if (nd->dx_aux[k]) s = accumulate(m, &g->t[nd->in[k + 1]], nd->dx_aux[k], B);
    }
    return s;
}

/* ---- writing it: Keras 3's Functional layout ---- */
