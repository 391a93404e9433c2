/*
 * summary.c - model.summary() in Keras's (tf.keras 2) layout.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "clrnn_impl.h"

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

clrnn_status clrnn_model_summary(const clrnn_model *m, char **out) {
    struct text t = {clrnn_malloc(1024), 0, 1024, 0};
    if (!t.buf) return clrnn_fail(CLRNN_E_NOMEM, "out of memory for the summary");
    t.buf[0] = '\0';
    const char *line = "_________________________________________________________________";
    const char *dline = "=================================================================";
    add(&t, "Model: \"%s\"\n%s\n", m->name, line);
    add(&t, " %-28s%-26s%-10s\n%s\n", "Layer (type)", "Output Shape", "Param #", dline);
    for (int i = 0; i < m->n_layers; i++) {
        const struct clrnn_layer *l = m->layers[i];
        char name[200], shape[96];
        size_t params = 0;
        for (int j = 0; j < l->n_weights; j++) params += l->w[j].count;
        snprintf(name, sizeof name, "%s (%s)", l->name, l->ops->keras_class);
        add(&t, " %-28s%-26s%-10zu\n", name, clrnn_batch_shape_str(&l->out, shape, sizeof shape),
            params);
        if (i + 1 < m->n_layers) add(&t, "%65s\n", "");
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
