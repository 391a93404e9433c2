/*
 * keras_h5.c - legacy Keras HDF5 files: the full model of model.save('m.h5') and the
 * weights of save_weights('w.h5') (keras-format.md sections 1 and 2), to and from
 * struct clrnn_fmt_model.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h5_util.h"

void clrnn_fmt_model_clear(struct clrnn_fmt_model *m) {
    if (!m) return;
    clrnn_free(m->model_config);
    clrnn_free(m->training_config);
    clrnn_free(m->keras_version);
    clrnn_free(m->backend);
    for (int i = 0; i < m->n_layers; i++) {
        struct clrnn_fmt_layer *l = &m->layers[i];
        for (int j = 0; j < l->n_weights; j++) {
            clrnn_free(l->weights[j].name);
            clrnn_free(l->weights[j].data);
        }
        clrnn_free(l->weights);
        clrnn_free(l->name);
    }
    clrnn_free(m->layers);
    memset(m, 0, sizeof *m);
}

int clrnn_fmt_is_hdf5(const char *path) {
    static const unsigned char SIGNATURE[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    unsigned char head[8];
    size_t n = fread(head, 1, sizeof head, f);
    fclose(f);
    return n == sizeof head && memcmp(head, SIGNATURE, sizeof head) == 0;
}

/* Opens path for reading, with a message saying why it cannot be. */
static clrnn_status open_hdf5(const char *path, hid_t *out) {
    h5u_quiet();
    int kind = clrnn_fmt_is_hdf5(path);
    if (kind < 0) return clrnn_fail(CLRNN_E_IO, "%s: %s", path, strerror(errno));
    if (kind == 0) return clrnn_fail(CLRNN_E_FORMAT, "%s: not an HDF5 file", path);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return clrnn_fail(CLRNN_E_FORMAT, "%s: cannot be opened as HDF5 (truncated or corrupt?)",
                          path);
    *out = f;
    return CLRNN_OK;
}

static clrnn_status read_layer(hid_t weights_root, const char *name, const char *path,
                               struct clrnn_fmt_layer *l) {
    l->name = clrnn_strdup(name);
    if (!l->name) return clrnn_fail(CLRNN_E_NOMEM, "out of memory reading %s", path);
    if (H5Lexists(weights_root, name, H5P_DEFAULT) <= 0)
        return clrnn_fail(CLRNN_E_FORMAT, "%s: layer '%s' is listed but has no group", path, name);
    hid_t g = H5Gopen2(weights_root, name, H5P_DEFAULT);
    if (g < 0) return clrnn_fail(CLRNN_E_FORMAT, "%s: layer '%s' is not a group", path, name);
    char **wn = NULL;
    int n = 0;
    clrnn_status s = h5u_read_name_list(g, "weight_names", path, &wn, &n);
    if (s) clrnn_fail_context(s, "layer '%s'", name);
    if (!s && n > 0 && !(l->weights = clrnn_calloc((size_t)n, sizeof *l->weights)))
        s = clrnn_fail(CLRNN_E_NOMEM, "out of memory reading %s", path);
    for (int j = 0; !s && j < n; j++) {
        struct clrnn_fmt_weight *w = &l->weights[j];
        w->name = wn[j];
        wn[j] = NULL;
        l->n_weights = j + 1;
        s = h5u_read_floats(g, w->name, path, &w->rank, w->dims, &w->data);
        if (s)
            clrnn_fail(s, "%s: layer '%s' weight '%s': %s", path, name, w->name,
                       strstr(clrnn_last_error(), ": ") ? strstr(clrnn_last_error(), ": ") + 2
                                                          : clrnn_last_error());
    }
    h5u_free_names(wn, n);
    H5Gclose(g);
    return s;
}

clrnn_status clrnn_fmt_h5_read(const char *path, struct clrnn_fmt_model *out) {
    hid_t f = -1;
    memset(out, 0, sizeof *out);
    clrnn_status s = open_hdf5(path, &f);
    if (s) return s;
    struct clrnn_fmt_model m;
    memset(&m, 0, sizeof m);
    hid_t root = -1;
    if (h5u_has_attr(f, "model_config")) {
        s = h5u_read_string_attr(f, "model_config", path, &m.model_config);
        if (!s && h5u_has_attr(f, "training_config"))
            s = h5u_read_string_attr(f, "training_config", path, &m.training_config);
        if (!s && H5Lexists(f, "model_weights", H5P_DEFAULT) <= 0)
            s = clrnn_fail(CLRNN_E_FORMAT, "%s: a full-model file without a model_weights group",
                           path);
        if (!s && (root = H5Gopen2(f, "model_weights", H5P_DEFAULT)) < 0)
            s = clrnn_fail(CLRNN_E_FORMAT, "%s: model_weights is not a group", path);
    } else if (h5u_has_attr(f, "layer_names") || h5u_has_attr(f, "layer_names0")) {
        root = H5Gopen2(f, "/", H5P_DEFAULT);
    } else {
        s = clrnn_fail(CLRNN_E_FORMAT, "%s: not a Keras model or weights file (no model_config "
                       "or layer_names)", path);
    }
    if (!s && h5u_has_attr(f, "keras_version"))
        s = h5u_read_string_attr(f, "keras_version", path, &m.keras_version);
    if (!s && h5u_has_attr(f, "backend")) s = h5u_read_string_attr(f, "backend", path, &m.backend);
    char **names = NULL;
    int n = 0;
    if (!s) s = h5u_read_name_list(root, "layer_names", path, &names, &n);
    if (!s && n > 0 && !(m.layers = clrnn_calloc((size_t)n, sizeof *m.layers)))
        s = clrnn_fail(CLRNN_E_NOMEM, "out of memory reading %s", path);
    for (int i = 0; !s && i < n; i++) {
        m.n_layers = i + 1;
        s = read_layer(root, names[i], path, &m.layers[i]);
    }
    h5u_free_names(names, n);
    if (root >= 0) H5Gclose(root);
    H5Fclose(f);
    if (s) {
        clrnn_fmt_model_clear(&m);
        return s;
    }
    *out = m;
    return CLRNN_OK;
}

/* The layer groups (layer_names, one group per layer with weight_names and datasets) in g. */
static clrnn_status write_weights(hid_t g, const struct clrnn_fmt_model *m, const char *path) {
    char **names = clrnn_calloc((size_t)m->n_layers + 1, sizeof *names);
    if (!names) return clrnn_fail(CLRNN_E_NOMEM, "out of memory writing %s", path);
    for (int i = 0; i < m->n_layers; i++) names[i] = m->layers[i].name;
    clrnn_status s = h5u_write_name_list(g, "layer_names", names, m->n_layers, path);
    clrnn_free(names);
    const char *version = m->keras_version ? m->keras_version : "2.15.0";
    const char *backend = m->backend ? m->backend : "tensorflow";
    if (!s) s = h5u_write_string_attr(g, "backend", backend, path);
    if (!s) s = h5u_write_string_attr(g, "keras_version", version, path);
    for (int i = 0; !s && i < m->n_layers; i++) {
        const struct clrnn_fmt_layer *l = &m->layers[i];
        hid_t lg = H5Gcreate2(g, l->name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        if (lg < 0) {
            s = clrnn_fail(CLRNN_E_IO, "%s: creating the group of layer '%s' failed", path, l->name);
            break;
        }
        char **wn = clrnn_calloc((size_t)l->n_weights + 1, sizeof *wn);
        if (!wn) s = clrnn_fail(CLRNN_E_NOMEM, "out of memory writing %s", path);
        for (int j = 0; !s && j < l->n_weights; j++) wn[j] = l->weights[j].name;
        if (!s) s = h5u_write_name_list(lg, "weight_names", wn, l->n_weights, path);
        clrnn_free(wn);
        for (int j = 0; !s && j < l->n_weights; j++) {
            const struct clrnn_fmt_weight *w = &l->weights[j];
            s = h5u_write_array(lg, w->name, H5T_NATIVE_FLOAT, w->rank, w->dims, w->data, path);
        }
        H5Gclose(lg);
    }
    return s;
}

clrnn_status clrnn_fmt_h5_write(const char *path, const struct clrnn_fmt_model *m) {
    h5u_quiet();
    char tmp[4200];
    h5u_temp_name(path, tmp, sizeof tmp);
    hid_t f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0) {
        int e = errno;
        return clrnn_fail(CLRNN_E_IO, "%s: cannot create the file (%s)", path,
                          e ? strerror(e) : "HDF5 error");
    }
    clrnn_status s = CLRNN_OK;
    if (m->model_config) {
        const char *version = m->keras_version ? m->keras_version : "2.15.0";
        const char *backend = m->backend ? m->backend : "tensorflow";
        s = h5u_write_string_attr(f, "keras_version", version, path);
        if (!s) s = h5u_write_string_attr(f, "backend", backend, path);
        if (!s) s = h5u_write_string_attr(f, "model_config", m->model_config, path);
        if (!s && m->training_config)
            s = h5u_write_string_attr(f, "training_config", m->training_config, path);
        hid_t g = -1;
        if (!s && (g = H5Gcreate2(f, "model_weights", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)) < 0)
            s = clrnn_fail(CLRNN_E_IO, "%s: creating model_weights failed", path);
        if (!s) s = write_weights(g, m, path);
        if (g >= 0) H5Gclose(g);
    } else {
        s = write_weights(f, m, path);
    }
    if (H5Fclose(f) < 0 && !s) s = clrnn_fail(CLRNN_E_IO, "%s: writing failed (disk full?)", path);
    if (s) {
        remove(tmp);
        return s;
    }
    return h5u_commit(tmp, path);
}
