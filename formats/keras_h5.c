/*
 * keras_h5.c - legacy Keras HDF5 files to and from struct clrnn_fmt_model: the full model
 * of model.save('m.h5') and the weights of model.save_weights('w.h5') (keras-format.md
 * sections 1 and 2).
 *
 * Reading keeps every entry of layer_names (weight-less layers too) and, per layer, the
 * datasets named by its weight_names in that order, as float32. Writing produces what
 * tf.keras 2 writes, in the encodings every Keras and h5py version reads (section 1.2).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "h5_util.h"

/* A file without keras_version is taken by Keras for a Keras 1 file (section 1.2), so one
 * is always written; these stand in when the caller gives none. */
#define DEFAULT_KERAS_VERSION "2.15.0"
#define DEFAULT_BACKEND "tensorflow"

/* Room for "<file>: layer '<name>' weight '<name>'" in messages (longer ones are cut). */
#define WHERE_SIZE 1024

/* The context that starts messages: "<file>: layer 'lstm' weight 'lstm/lstm_cell/kernel:0'",
 * without the weight part when weight is NULL. */
static const char *where_of(char *buf, const char *path, const char *layer, const char *weight) {
    if (weight)
        snprintf(buf, WHERE_SIZE, "%s: layer '%s' weight '%s'", path, layer, weight);
    else
        snprintf(buf, WHERE_SIZE, "%s: layer '%s'", path, layer);
    return buf;
}

static void layer_clear(struct clrnn_fmt_layer *l) {
    for (int j = 0; l->weights && j < l->n_weights; j++) {
        clrnn_free(l->weights[j].name);
        clrnn_free(l->weights[j].data);
    }
    clrnn_free(l->weights);
    clrnn_free(l->name);
}

void clrnn_fmt_model_clear(struct clrnn_fmt_model *m) {
    if (!m) return;
    clrnn_free(m->model_config);
    clrnn_free(m->training_config);
    clrnn_free(m->keras_version);
    clrnn_free(m->backend);
    for (int i = 0; m->layers && i < m->n_layers; i++) layer_clear(&m->layers[i]);
    clrnn_free(m->layers);
    layer_clear(&m->optimizer);
    clrnn_array_clear(&m->test_x);
    clrnn_array_clear(&m->test_y);
    clrnn_fmt_vocabulary_free(m->vocabulary, m->n_vocabulary);
    memset(m, 0, sizeof *m);
}

/* ---- reading ---- */

/* Reads layer `name` (ownership of which passes to l) below the weights root g. */
static clrnn_status read_layer(hid_t root, const char *path, char *name,
                               struct clrnn_fmt_layer *l) {
    char where[WHERE_SIZE], wwhere[WHERE_SIZE];
    l->name = name;
    where_of(where, path, name, NULL);
    if (!clrnn_h5_link_exists(root, name))
        return clrnn_fail(CLRNN_E_FORMAT, "%s: group missing (layer_names lists it)", where);
    hid_t g = H5Gopen2(root, name, H5P_DEFAULT);
    if (g < 0) return clrnn_fail(CLRNN_E_FORMAT, "%s: not a group", where);
    char **names = NULL;
    int n = 0;
    clrnn_status s = clrnn_h5_read_names(g, "weight_names", where, &names, &n);
    if (!s && n > 0) {
        if (!(l->weights = clrnn_calloc((size_t)n, sizeof *l->weights))) {
            s = clrnn_fail(CLRNN_E_NOMEM, "%s: out of memory", where);
        } else {
            l->n_weights = n;
            for (int j = 0; j < n; j++) {
                l->weights[j].name = names[j];
                names[j] = NULL;
            }
        }
    }
    clrnn_h5_free_names(names, n);
    for (int j = 0; !s && j < l->n_weights; j++) {
        struct clrnn_fmt_weight *w = &l->weights[j];
        where_of(wwhere, path, name, w->name);
        s = clrnn_h5_read_floats(g, w->name, wwhere, &w->rank, w->dims, &w->data);
    }
    H5Gclose(g);
    return s;
}

/* What clrnn keeps besides Keras's own: the test vector and the vocabulary. */
static clrnn_status read_extras(hid_t f, const char *path, struct clrnn_fmt_model *m) {
    clrnn_status s = CLRNN_OK;
    if (clrnn_h5_has_dataset(f, "clrnn_test_vector/x")) {
        s = clrnn_h5_read_array(f, path, "clrnn_test_vector/x", &m->test_x);
        if (!s) s = clrnn_h5_read_array(f, path, "clrnn_test_vector/y", &m->test_y);
        if (s) return clrnn_fail_context(s, "%s: the test vector", path);
    }
    if (clrnn_h5_has_dataset(f, "clrnn_vocabulary"))
        s = clrnn_h5_read_tokens(f, path, "clrnn_vocabulary", &m->vocabulary, &m->n_vocabulary);
    return s;
}

/* A Keras 3 weights file: a /layers group, and neither layer_names nor model_config. */
static int is_keras3_weights(hid_t f, const char *path) {
    int names = 0, config = 0;
    clrnn_h5_attr_exists(f, "layer_names", path, &names);
    clrnn_h5_attr_exists(f, "model_config", path, &config);
    return !names && !config && clrnn_h5_link_exists(f, "layers");
}

/* The legacy layout of the open file f into m; keras3 allowed: a Keras 3 weights file is
 * only recognized (m->kind) and its vocabulary read, not its weights. */
static clrnn_status read_model(hid_t f, const char *path, int keras3, struct clrnn_fmt_model *m) {
    if (keras3 && is_keras3_weights(f, path)) {
        m->kind = CLRNN_FMT_KERAS3_WEIGHTS;
        return read_extras(f, path, m); /* the vocabulary clrnn keeps beside the weights */
    }
    hid_t root = -1;
    char where[WHERE_SIZE];
    int has_config = 0, has_names = 0;
    clrnn_status s = clrnn_h5_attr_exists(f, "model_config", path, &has_config);
    m->kind = has_config ? CLRNN_FMT_H5_MODEL : CLRNN_FMT_H5_WEIGHTS;
    if (!s && has_config) {
        snprintf(where, sizeof where, "%s: model_weights", path);
        s = clrnn_h5_read_text(f, "model_config", path, &m->model_config);
        if (!s) s = clrnn_h5_read_text_if(f, "training_config", path, &m->training_config);
        if (!s && !clrnn_h5_link_exists(f, "model_weights"))
            s = clrnn_fail(CLRNN_E_FORMAT, "%s: no model_weights group (a full-model file keeps "
                           "its weights there)", path);
        if (!s && (root = H5Gopen2(f, "model_weights", H5P_DEFAULT)) < 0)
            s = clrnn_fail(CLRNN_E_FORMAT, "%s: model_weights is not a group", path);
    } else if (!s) {
        /* a Keras 2 save_weights file: the model_weights layout at the root */
        snprintf(where, sizeof where, "%s", path);
        s = clrnn_h5_attr_exists(f, "layer_names", path, &has_names);
        if (!s && !has_names) s = clrnn_h5_attr_exists(f, "layer_names0", path, &has_names);
        if (!s && !has_names)
            s = clrnn_fail(CLRNN_E_FORMAT, "%s: not a Keras model or weights file (no "
                           "model_config or layer_names)", path);
        if (!s && (root = H5Gopen2(f, "/", H5P_DEFAULT)) < 0)
            s = clrnn_fail(CLRNN_E_FORMAT, "%s: the root group cannot be opened", path);
        /* clrnn keeps a compiled model's configuration in the weights file it writes beside
         * an architecture JSON */
        if (!s) s = clrnn_h5_read_text_if(f, "training_config", path, &m->training_config);
    }
    if (!s) s = clrnn_h5_read_text_if(f, "keras_version", path, &m->keras_version);
    if (!s) s = clrnn_h5_read_text_if(f, "backend", path, &m->backend);
    char **names = NULL;
    int n = 0;
    if (!s) s = clrnn_h5_read_names(root, "layer_names", where, &names, &n);
    if (!s && n > 0) {
        if (!(m->layers = clrnn_calloc((size_t)n, sizeof *m->layers)))
            s = clrnn_fail(CLRNN_E_NOMEM, "%s: out of memory reading %d layers", path, n);
        else
            m->n_layers = n;
    }
    for (int i = 0; !s && i < m->n_layers; i++) {
        s = read_layer(root, path, names[i], &m->layers[i]);
        names[i] = NULL;
    }
    clrnn_h5_free_names(names, n);
    /* clrnn's own copy of its optimizer's state first, else the one Keras wrote */
    const char *opt_group = clrnn_h5_link_exists(f, CLRNN_FMT_OPTIMIZER_GROUP)
                                ? CLRNN_FMT_OPTIMIZER_GROUP : "optimizer_weights";
    if (!s && clrnn_h5_link_exists(f, opt_group)) {
        size_t len = strlen(opt_group) + 1;
        char *group = clrnn_malloc(len);
        if (!group) s = clrnn_fail(CLRNN_E_NOMEM, "%s: out of memory", path);
        else memcpy(group, opt_group, len);
        if (!s) s = read_layer(f, path, group, &m->optimizer);
    }
    if (root >= 0) H5Gclose(root);
    return s ? s : read_extras(f, path, m);
}

clrnn_status clrnn_h5_read_model(hid_t f, const char *path, int keras3,
                                 struct clrnn_fmt_model *out) {
    struct clrnn_fmt_model m;
    memset(&m, 0, sizeof m);
    clrnn_status s = read_model(f, path, keras3, &m);
    if (s) {
        clrnn_fmt_model_clear(&m);
        return s;
    }
    *out = m;
    return CLRNN_OK;
}

clrnn_status clrnn_fmt_h5_read(const char *path, struct clrnn_fmt_model *out) {
    if (!out) return clrnn_fail(CLRNN_E_INVALID_ARG, "clrnn_fmt_h5_read: out is NULL");
    memset(out, 0, sizeof *out);
    if (!path) return clrnn_fail(CLRNN_E_INVALID_ARG, "clrnn_fmt_h5_read: path is NULL");
    struct clrnn_fmt_model m;
    memset(&m, 0, sizeof m);
    struct clrnn_h5_quiet q;
    clrnn_h5_quiet_begin(&q);
    hid_t f;
    clrnn_status s = clrnn_h5_open_read(path, &f);
    if (!s) {
        s = clrnn_h5_read_model(f, path, 0, &m);
        H5Fclose(f);
    }
    clrnn_h5_quiet_end(&q);
    if (s) {
        clrnn_fmt_model_clear(&m);
        return s;
    }
    *out = m;
    return CLRNN_OK;
}

/* ---- writing ---- */

/* Everything the writer relies on, checked before a file is created. */
/* The weights of one group: a count within limits, names, and arrays that can be written. */
static clrnn_status check_weights(const char *path, const struct clrnn_fmt_layer *l) {
    char where[WHERE_SIZE];
    where_of(where, path, l->name, NULL);
    if (l->n_weights < 0 || l->n_weights > CLRNN_FMT_MAX_NAMES || (l->n_weights && !l->weights))
        return clrnn_fail(CLRNN_E_INVALID_ARG, "%s: %d weights given (at most %d)", where,
                          l->n_weights, CLRNN_FMT_MAX_NAMES);
    for (int j = 0; j < l->n_weights; j++) {
        const struct clrnn_fmt_weight *w = &l->weights[j];
        if (!w->name || !w->name[0])
            return clrnn_fail(CLRNN_E_INVALID_ARG, "%s: weight %d has no name", where, j);
        char wwhere[WHERE_SIZE];
        where_of(wwhere, path, l->name, w->name);
        clrnn_status s = clrnn_h5_check_array(w->rank, w->dims, w->data, wwhere);
        if (s) return s;
    }
    return CLRNN_OK;
}

static clrnn_status check_model(const char *path, const struct clrnn_fmt_model *m) {
    if (m->n_layers < 0 || m->n_layers > CLRNN_FMT_MAX_NAMES || (m->n_layers && !m->layers))
        return clrnn_fail(CLRNN_E_INVALID_ARG, "%s: %d layers given (at most %d)", path,
                          m->n_layers, CLRNN_FMT_MAX_NAMES);
    for (int i = 0; i < m->n_layers; i++) {
        const struct clrnn_fmt_layer *l = &m->layers[i];
        if (!l->name || !l->name[0] || strchr(l->name, '/') || strcmp(l->name, ".") == 0)
            return clrnn_fail(CLRNN_E_INVALID_ARG, "%s: layer %d: the name '%s' cannot be an HDF5 "
                              "group name", path, i, l->name ? l->name : "(null)");
        clrnn_status s = check_weights(path, l);
        if (s) return s;
    }
    if (m->optimizer.n_weights) {
        struct clrnn_fmt_layer opt = m->optimizer;
        opt.name = (char *)CLRNN_FMT_OPTIMIZER_GROUP;
        return check_weights(path, &opt);
    }
    return CLRNN_OK;
}

/* The group of layer l (or the optimizer's) below g: attr weight_names and its datasets,
 * a '/' in a weight's name making sub-groups. names: scratch for n_weights pointers. */
static clrnn_status write_group(hid_t g, const char *path, const struct clrnn_fmt_layer *l,
                                const char **names) {
    char lwhere[WHERE_SIZE], wwhere[WHERE_SIZE];
    where_of(lwhere, path, l->name, NULL);
    hid_t lg = H5Gcreate2(g, l->name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (lg < 0) {
        char why[256];
        clrnn_h5_error_text(why, sizeof why);
        return clrnn_fail(CLRNN_E_IO, "%s: creating its group failed (%s)", lwhere, why);
    }
    for (int j = 0; j < l->n_weights; j++) names[j] = l->weights[j].name;
    clrnn_status s = clrnn_h5_write_names(lg, "weight_names", names, l->n_weights, lwhere);
    for (int j = 0; !s && j < l->n_weights; j++) {
        const struct clrnn_fmt_weight *w = &l->weights[j];
        where_of(wwhere, path, l->name, w->name);
        if (clrnn_h5_link_exists(lg, w->name))
            s = clrnn_fail(CLRNN_E_INVALID_ARG, "%s: the layer has two weights of this name",
                           wwhere);
        else
            s = clrnn_h5_write_weight(lg, w, wwhere);
    }
    H5Gclose(lg);
    return s;
}

/* The section 1 layout in g: attrs layer_names, backend, keras_version; one group per layer
 * with attr weight_names and its datasets. */
static clrnn_status write_weights(hid_t g, const char *path, const char *where,
                                  const struct clrnn_fmt_model *m) {
    int most = 1;
    for (int i = 0; i < m->n_layers; i++)
        if (m->layers[i].n_weights > most) most = m->layers[i].n_weights;
    if (m->n_layers > most) most = m->n_layers;
    const char **names = clrnn_calloc((size_t)most, sizeof *names);
    if (!names) return clrnn_fail(CLRNN_E_NOMEM, "%s: out of memory", where);
    for (int i = 0; i < m->n_layers; i++) names[i] = m->layers[i].name;
    clrnn_status s = clrnn_h5_write_names(g, "layer_names", names, m->n_layers, where);
    if (!s)
        s = clrnn_h5_write_text(g, "backend", m->backend ? m->backend : DEFAULT_BACKEND, where);
    if (!s)
        s = clrnn_h5_write_text(g, "keras_version",
                                m->keras_version ? m->keras_version : DEFAULT_KERAS_VERSION, where);
    char lwhere[WHERE_SIZE];
    for (int i = 0; !s && i < m->n_layers; i++) {
        const struct clrnn_fmt_layer *l = &m->layers[i];
        where_of(lwhere, path, l->name, NULL);
        if (clrnn_h5_link_exists(g, l->name)) {
            s = clrnn_fail(CLRNN_E_INVALID_ARG, "%s: two layers have this name", lwhere);
            break;
        }
        s = write_group(g, path, l, names);
    }
    clrnn_free(names);
    return s;
}

/* What clrnn keeps beside the weights in either layout, and Keras ignores: the training
 * configuration of a weights file, the vocabulary, the test vector, the optimizer. */
static clrnn_status write_extras(hid_t f, const char *path, const struct clrnn_fmt_model *m) {
    clrnn_status s = CLRNN_OK;
    if (!m->model_config && m->training_config)
        s = clrnn_h5_write_text(f, "training_config", m->training_config, path);
    if (!s && m->vocabulary)
        s = clrnn_h5_write_tokens(f, path, "clrnn_vocabulary", (const char *const *)m->vocabulary,
                                  m->n_vocabulary);
    if (!s && m->test_x.data && m->test_y.data) {
        s = clrnn_h5_write_dataset(f, "clrnn_test_vector/x", m->test_x.dtype, m->test_x.rank,
                                   m->test_x.dims, m->test_x.data, path);
        if (!s)
            s = clrnn_h5_write_dataset(f, "clrnn_test_vector/y", m->test_y.dtype, m->test_y.rank,
                                       m->test_y.dims, m->test_y.data, path);
    }
    if (!s && m->optimizer.n_weights > 0) {
        const char **names = clrnn_calloc((size_t)m->optimizer.n_weights, sizeof *names);
        struct clrnn_fmt_layer opt = m->optimizer;
        opt.name = (char *)CLRNN_FMT_OPTIMIZER_GROUP;
        s = names ? write_group(f, path, &opt, names)
                  : clrnn_fail(CLRNN_E_NOMEM, "%s: out of memory", path);
        clrnn_free(names);
    }
    return s;
}

static clrnn_status write_model(hid_t f, const char *path, const struct clrnn_fmt_model *m) {
    if (!m->model_config) { /* save_weights layout */
        clrnn_status s = write_weights(f, path, path, m);
        return s ? s : write_extras(f, path, m);
    }
    clrnn_status s = clrnn_h5_write_text(
        f, "keras_version", m->keras_version ? m->keras_version : DEFAULT_KERAS_VERSION, path);
    if (!s) s = clrnn_h5_write_text(f, "backend", m->backend ? m->backend : DEFAULT_BACKEND, path);
    if (!s) s = clrnn_h5_write_text(f, "model_config", m->model_config, path);
    if (!s && m->training_config)
        s = clrnn_h5_write_text(f, "training_config", m->training_config, path);
    if (s) return s;
    char where[WHERE_SIZE];
    snprintf(where, sizeof where, "%s: model_weights", path);
    hid_t g = H5Gcreate2(f, "model_weights", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) {
        char why[256];
        clrnn_h5_error_text(why, sizeof why);
        return clrnn_fail(CLRNN_E_IO, "%s: creating the group failed (%s)", where, why);
    }
    s = write_weights(g, path, where, m);
    H5Gclose(g);
    return s ? s : write_extras(f, path, m);
}

clrnn_status clrnn_fmt_h5_write(const char *path, const struct clrnn_fmt_model *m) {
    if (!path || !m) return clrnn_fail(CLRNN_E_INVALID_ARG, "clrnn_fmt_h5_write: %s is NULL",
                                       path ? "the model" : "path");
    clrnn_status s = check_model(path, m);
    if (s) return s;
    struct clrnn_h5_quiet q;
    clrnn_h5_quiet_begin(&q);
    struct clrnn_h5_writer w;
    s = clrnn_h5_create(path, &w);
    if (!s) s = clrnn_h5_finish(&w, write_model(w.file, path, m));
    clrnn_h5_quiet_end(&q);
    return s;
}
