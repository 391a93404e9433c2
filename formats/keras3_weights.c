/*
 * keras3_weights.c - Keras 3 weights files (.weights.h5, and model.weights.h5 inside a
 * .keras archive): no layer or weight names, but one group per object along the attribute
 * path Keras walks, e.g. /layers/lstm/cell/vars/0 for the first weight of the first LSTM
 * (keras-format.md section 3; keys are the snake_case class name, numbered _1, _2... when
 * a class repeats). The model says which paths it needs; this file reads them.
 */
#include <hdf5.h>
#include <stdio.h>
#include <string.h>

#include "clrnn_base.h"
#include "clrnn_formats.h"
#include "h5_util.h"

int clrnn_fmt_is_keras3_weights(const char *path) {
    struct clrnn_h5_quiet q;
    hid_t f = -1;
    clrnn_h5_quiet_begin(&q);
    int answer = -1;
    if (clrnn_h5_open_read(path, &f) == CLRNN_OK) {
        int names = 0, config = 0;
        clrnn_h5_attr_exists(f, "layer_names", path, &names);
        clrnn_h5_attr_exists(f, "model_config", path, &config);
        answer = !names && !config && clrnn_h5_link_exists(f, "layers");
        H5Fclose(f);
    }
    clrnn_h5_quiet_end(&q);
    return answer;
}

/* Reads the datasets from an open file; frees what it read when one fails. */
static clrnn_status read_all(hid_t f, const char *where, const char *const *names, int n,
                             struct clrnn_fmt_weight *out) {
    clrnn_status s = CLRNN_OK;
    for (int i = 0; !s && i < n; i++) {
        char w[1200];
        snprintf(w, sizeof w, "%s: %s", where, names[i]);
        s = clrnn_h5_read_floats(f, names[i], w, &out[i].rank, out[i].dims, &out[i].data);
    }
    if (s)
        for (int i = 0; i < n; i++) {
            clrnn_free(out[i].data);
            out[i].data = NULL;
        }
    return s;
}

clrnn_status clrnn_fmt_keras3_weights_read(const char *path, const void *image, size_t size,
                                           const char *const *names, int n,
                                           struct clrnn_fmt_weight *out) {
    memset(out, 0, (size_t)n * sizeof *out);
    struct clrnn_h5_quiet q;
    hid_t f = -1;
    clrnn_h5_quiet_begin(&q);
    clrnn_status s = image ? clrnn_h5_open_image(image, size, path, &f)
                           : clrnn_h5_open_read(path, &f);
    if (!s) s = read_all(f, path, names, n, out);
    if (f >= 0) H5Fclose(f);
    clrnn_h5_quiet_end(&q);
    return s;
}

clrnn_status clrnn_fmt_keras3_group_size(const char *path, const void *image, size_t size,
                                         const char *group, int *n) {
    *n = 0;
    struct clrnn_h5_quiet q;
    hid_t f = -1;
    clrnn_h5_quiet_begin(&q);
    clrnn_status s = image ? clrnn_h5_open_image(image, size, path, &f)
                           : clrnn_h5_open_read(path, &f);
    char name[1100];
    for (; !s && *n < CLRNN_FMT_MAX_NAMES; (*n)++) {
        snprintf(name, sizeof name, "%.1000s/%d", group, *n);
        if (!clrnn_h5_link_exists(f, name)) break;
    }
    if (f >= 0) H5Fclose(f);
    clrnn_h5_quiet_end(&q);
    return s;
}

clrnn_status clrnn_fmt_keras3_weights_write(const char *path, const struct clrnn_fmt_weight *ws,
                                            int n, const char *const *vocabulary,
                                            int n_vocabulary) {
    struct clrnn_h5_writer w;
    struct clrnn_h5_quiet q;
    clrnn_h5_quiet_begin(&q);
    clrnn_status s = clrnn_h5_create(path, &w);
    /* groups are made along each dataset's path; Keras reads a missing group as a layer
     * without weights, so weight-less layers need none */
    for (int i = 0; !s && i < n; i++) {
        char where[1200];
        snprintf(where, sizeof where, "%s: %s", path, ws[i].name);
        s = clrnn_h5_write_weight(w.file, &ws[i], where);
    }
    /* a dataset beside /layers, which Keras's load_weights does not look at */
    if (!s && vocabulary)
        s = clrnn_h5_write_tokens(w.file, path, "clrnn_vocabulary", vocabulary, n_vocabulary);
    if (w.tmp) s = clrnn_h5_finish(&w, s);
    clrnn_h5_quiet_end(&q);
    return s;
}
