/*
 * summary.c - model.summary() in Keras's (tf.keras 2) layout: a Sequential model's table, or
 * a Functional graph's with a "Connected to" column (each input and tensor as
 * layer[node][index]) and the inputs as InputLayer rows.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "model_impl.h"

struct text {
    char *buf;
    size_t len, cap;
    int failed;
};

static void add(struct text *t, const char *fmt, ...) CLRNN_PRINTF(2, 3);

static void add(struct text *t, const char *fmt, ...) {
    if (t->failed) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->failed = 1;
            return;
        }
        if ((size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = t->cap * 2 + (size_t)n + 256;
        char *grown = clrnn_realloc(t->buf, cap);
        if (!grown) {
            t->failed = 1;
            return;
        }
        t->buf = grown;
        t->cap = cap;
    }
}

static size_t layer_params(const struct clrnn_layer *l) {
    size_t params = 0;
    for (int j = 0; j < l->n_weights; j++) params += l->w[j].count;
    return params;
}

/* "lstm[0][1]" or an input's name, as Keras's Connected to column writes a tensor. */
static const char *tensor_name(const clrnn_model *m, int id, char *buf, size_t size) {
    const struct clrnn_tensor *t = &m->graph->t[id];
    if (t->node < 0) snprintf(buf, size, "%s[0][0]", m->graph->input_names[t->index]);
    else snprintf(buf, size, "%s[0][%d]", m->layers[t->node]->name, t->index);
    return buf;
}

/* One row of a graph's table: its outputs' shapes and the tensors it takes, one a line. */
static void graph_row(struct text *t, const char *name, const struct clrnn_shape *const *outs,
                      int n_out, size_t params, const char *const *from, int n_from) {
    int lines = n_out > n_from ? n_out : n_from;
    for (int k = 0; k < lines || k == 0; k++) {
        char shape[110] = "", conn[200] = "", pc[24] = "";
        if (k < n_out) {
            char s[96];
            clrnn_batch_shape_str(outs[k], s, sizeof s);
            snprintf(shape, sizeof shape, "%s%s%s", n_out > 1 && k == 0 ? "[" : n_out > 1 ? " " : "",
                     s, n_out > 1 ? (k + 1 == n_out ? "]" : ",") : "");
        }
        if (k < n_from) snprintf(conn, sizeof conn, "%s%s", from[k], k + 1 < n_from ? "," : "");
        else if (k == 0) snprintf(conn, sizeof conn, "[]");
        if (k == 0) snprintf(pc, sizeof pc, "%zu", params);
        add(t, " %-31s%-22s%-12s%s\n", k == 0 ? name : "", shape, pc, conn);
    }
}

static void graph_summary(struct text *t, const clrnn_model *m) {
    const struct clrnn_graph *g = m->graph;
    char name[200], names[1 + CLRNN_MAX_AUX][200];
    const char *from[1 + CLRNN_MAX_AUX];
    struct clrnn_shape shown[1 + CLRNN_MAX_AUX];
    const struct clrnn_shape *outs[1 + CLRNN_MAX_AUX];
    for (int k = 0; k < g->n_inputs; k++) {
        snprintf(name, sizeof name, "%s (InputLayer)", g->input_names[k]);
        shown[0] = clrnn_model_tensor_shown(m, g->inputs[k]);
        outs[0] = &shown[0];
        graph_row(t, name, outs, 1, 0, from, 0);
        add(t, "\n");
    }
    for (int i = 0; i < m->n_layers; i++) {
        const struct clrnn_layer *l = m->layers[i];
        const struct clrnn_node *nd = &g->nodes[i];
        for (int k = 0; k < nd->n_in; k++) from[k] = tensor_name(m, nd->in[k], names[k], sizeof names[k]);
        for (int k = 0; k < nd->n_out; k++) {
            shown[k] = clrnn_model_tensor_shown(m, nd->out[k]);
            outs[k] = &shown[k];
        }
        snprintf(name, sizeof name, "%s (%s)", l->name, l->ops->keras_class);
        graph_row(t, name, outs, nd->n_out, layer_params(l), from, nd->n_in);
        if (i + 1 < m->n_layers) add(t, "\n");
    }
}

clrnn_status clrnn_model_summary(const clrnn_model *m, char **out) {
    struct text t = {clrnn_malloc(1024), 0, 1024, 0};
    if (!t.buf) return clrnn_fail(CLRNN_E_NOMEM, "out of memory for the summary");
    t.buf[0] = '\0';
    const char *line = "_________________________________________________________________";
    const char *dline = "=================================================================";
    if (m->graph) {
        line = "__________________________________________________________________________________"
               "________________";
        dline = "=================================================================================="
                "================";
        add(&t, "Model: \"%s\"\n%s\n", m->name, line);
        add(&t, " %-31s%-22s%-12s%s\n%s\n", "Layer (type)", "Output Shape", "Param #",
            "Connected to", dline);
        graph_summary(&t, m);
    } else {
        add(&t, "Model: \"%s\"\n%s\n", m->name, line);
        add(&t, " %-28s%-26s%-10s\n%s\n", "Layer (type)", "Output Shape", "Param #", dline);
        for (int i = 0; i < m->n_layers; i++) {
            const struct clrnn_layer *l = m->layers[i];
            char name[200], shape[96];
            struct clrnn_shape shown = clrnn_model_shown_shape(m, &l->out, 0);
            snprintf(name, sizeof name, "%s (%s)", l->name, l->ops->keras_class);
            add(&t, " %-28s%-26s%-10zu\n", name, clrnn_batch_shape_str(&shown, shape, sizeof shape),
                layer_params(l));
            if (i + 1 < m->n_layers) add(&t, "%65s\n", "");
        }
    }
    add(&t, "%s\nTotal params: %zu\nTrainable params: %zu\nNon-trainable params: 0\n%s\n", dline,
        m->n_params, m->n_params, line);
    if (t.failed) {
        clrnn_free(t.buf);
        return clrnn_fail(CLRNN_E_NOMEM, "out of memory for the summary");
    }
    *out = t.buf;
    return CLRNN_OK;
}
