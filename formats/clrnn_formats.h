/*
 * clrnn_formats.h - Keras model files and dataset files, without OpenCL.
 *
 * This module moves model files to and from one neutral in-memory form, struct
 * clrnn_fmt_model: the Keras architecture as JSON text plus, per layer, its weights as
 * named float32 arrays in the order Keras stores them. host/ turns that form into a model.
 *
 * Legacy Keras HDF5 (docs/keras-format.md sections 1 and 2):
 *   /                     attrs keras_version, backend, model_config, [training_config]
 *   /model_weights/       attrs layer_names, backend, keras_version
 *   /model_weights/<layer>/            attr weight_names (empty list: float64 array of shape (0,))
 *   /model_weights/<layer>/<weight name, '/' makes sub-groups>   float32 datasets
 *   /optimizer_weights/   attr weight_names; the optimizer's variables (section 2)
 *   /clrnn_optimizer_weights/  the same, as clrnn writes it (see below)
 * A Keras 2 save_weights file has the model_weights layout at the root instead.
 * Readers accept vlen or fixed-length, ASCII or UTF-8 strings, NULLPAD or NULLTERM, and
 * name lists split into name0, name1, ... (section 1.3).
 *
 * Dataset files (design.md "Dataset files"): HDF5 datasets x_train, y_train, x_test,
 * y_test or x, y; float32 or int32 (other integer and float types are converted).
 */
#ifndef CLRNN_FORMATS_H
#define CLRNN_FORMATS_H

#include "clrnn.h"

/* Where clrnn writes its optimizer's state in a legacy .h5, in optimizer_weights's own
 * layout: a group named optimizer_weights makes Keras 3.15's load_model build the optimizer
 * for no variables (model._trainable_variables), after which fit() fails, its own files
 * included; under this name Keras compiles a fresh optimizer and trains on. */
#define CLRNN_FMT_OPTIMIZER_GROUP "clrnn_optimizer_weights"

/* Limits checked before anything a file declares is allocated. */
#define CLRNN_FMT_MAX_ELEMENTS ((int64_t)1 << 32) /* elements in one array */
#define CLRNN_FMT_MAX_TEXT ((size_t)64 << 20)      /* bytes in one JSON attribute */
#define CLRNN_FMT_MAX_NAMES 100000                 /* entries in one name list */

struct clrnn_fmt_weight {
    char *name;   /* as stored, e.g. "simple_rnn/simple_rnn_cell/kernel:0" */
    int rank;
    int64_t dims[CLRNN_MAX_RANK];
    float *data;  /* row-major float32 */
    int as_int32; /* written as int32 (an optimizer's iteration count); read as float */
};

struct clrnn_fmt_layer {
    char *name;   /* the layer's group name */
    int n_weights;
    struct clrnn_fmt_weight *weights;
};

/* What a model file holds, told by its content (clrnn_fmt_model_read). */
typedef enum {
    CLRNN_FMT_H5_MODEL,       /* a legacy full-model .h5 */
    CLRNN_FMT_H5_WEIGHTS,     /* a Keras 2 save_weights .h5 */
    CLRNN_FMT_KERAS3_WEIGHTS, /* a Keras 3 .weights.h5: a /layers group, no layer_names */
    CLRNN_FMT_KERAS_ARCHIVE,  /* a Keras 3 .keras archive (a zip) */
    CLRNN_FMT_JSON            /* text: an architecture JSON (model.to_json()) */
} clrnn_fmt_kind;

/* A model file in memory. Reading fills it (and owns all of it); writing reads it (and the
 * writer's caller owns what it points at). */
struct clrnn_fmt_model {
    clrnn_fmt_kind kind;    /* reading only */
    char *model_config;     /* {"class_name": ..., "config": ...}; NULL for a weights-only file */
    char *training_config;  /* JSON text or NULL */
    char *keras_version;    /* NULL when absent */
    char *backend;          /* NULL when absent */
    int n_layers;           /* every entry of layer_names, weight-less layers too */
    struct clrnn_fmt_layer *layers;
    /* optimizer_weights of a full-model file (clrnn_optimizer_weights first, when the file
     * has one), in Keras's order (iteration, learning rate,
     * then the optimizer's slots); n_weights 0 when there are none */
    struct clrnn_fmt_layer optimizer;
    /* clrnn's test vector, a fixed input and the output computed for it, kept in the group
     * clrnn_test_vector (x, y), which Keras ignores; empty (rank 0, data NULL) for none */
    struct clrnn_array test_x, test_y;
    /* the vocabulary the model was trained with, kept as the string dataset
     * clrnn_vocabulary; NULL for none */
    char **vocabulary;
    int n_vocabulary;
};

/* Test hook: how many times formats/ has opened a file to read it, on this thread (HDF5's
 * opens and the plain ones that look at a file's first bytes or read its text). */
long clrnn_fmt_read_opens(void);

/* Frees everything inside m and zeroes it. */
void clrnn_fmt_model_clear(struct clrnn_fmt_model *m);

/* 1 when the file starts with the HDF5 signature, 0 when not, -1 when it cannot be read. */
int clrnn_fmt_is_hdf5(const char *path);

/* 1 when path is a Keras 3 weights file (a /layers group, no layer_names or model_config),
 * 0 when it is another HDF5 file, -1 when it cannot be read as one. */
int clrnn_fmt_is_keras3_weights(const char *path);
/* Reads the n float datasets at names[i] ("layers/lstm/cell/vars/0") of a Keras 3 weights
 * file into out[i] (name left NULL; data freed by the caller): the file at path, or when
 * image is not NULL the size bytes there (path then only names it in messages). A missing
 * or non-numeric one is CLRNN_E_FORMAT naming the file and the path; on error nothing is
 * left allocated. */
clrnn_status clrnn_fmt_keras3_weights_read(const char *path, const void *image, size_t size,
                                           const char *const *names, int n,
                                           struct clrnn_fmt_weight *out);

/* In *n, how many datasets group/0, group/1, ... a Keras 3 weights file (at path, or its
 * bytes at image) holds in a row ("optimizer/vars": a compiled model's optimizer). */
clrnn_status clrnn_fmt_keras3_group_size(const char *path, const void *image, size_t size,
                                         const char *group, int *n);

/* Writes a Keras 3 weights file: each ws[i] a float32 dataset at the path ws[i].name
 * ("layers/lstm/cell/vars/0"), and a vocabulary (NULL: none) as the dataset
 * clrnn_vocabulary at the root, which Keras does not read; atomically (a temporary name,
 * then renamed onto path). */
clrnn_status clrnn_fmt_keras3_weights_write(const char *path, const struct clrnn_fmt_weight *ws,
                                            int n, const char *const *vocabulary,
                                            int n_vocabulary);
/* Writes a .keras archive: config.json (the Keras 3 model object), metadata.json with
 * keras_version (and clrnn_epochs_done when epochs_done > 0: Keras reads no more of it),
 * model.weights.h5 made from ws as above, and with n_vocabulary > 0 the vocabulary as the
 * asset assets/clrnn/vocabulary.json (a JSON list of the tokens, which Keras ignores);
 * atomically. */
clrnn_status clrnn_fmt_keras_archive_write(const char *path, const char *config_json,
                                           const char *keras_version, int epochs_done,
                                           const struct clrnn_fmt_weight *ws, int n,
                                           const char *const *vocabulary, int n_vocabulary);
/* Writes text to a new file at path, atomically (a temporary name renamed into place). */
clrnn_status clrnn_fmt_text_write(const char *path, const char *text);

/* A Keras 3 .keras archive (a zip): config.json, metadata.json and model.weights.h5, read
 * into memory (nothing is extracted). Members with absolute or '..' paths, members over
 * the limits below and missing members are CLRNN_E_FORMAT naming the archive. */
#define CLRNN_FMT_MAX_WEIGHTS_BYTES ((uint64_t)4 << 30)
struct clrnn_fmt_keras_archive {
    char *config;        /* config.json text */
    char *keras_version; /* from metadata.json, NULL when absent */
    int epochs_done;     /* metadata.json's clrnn_epochs_done, 0 when absent */
    void *weights;       /* model.weights.h5 bytes */
    size_t weights_size;
    /* the vocabulary.txt asset of a TextVectorization first layer (one token a line), or
     * NULL */
    char *text_vocabulary;
    /* the vocabulary clrnn keeps (assets/clrnn/vocabulary.json), or NULL */
    char **vocabulary;
    int n_vocabulary;
};
/* 1 when the file starts like a zip archive, 0 when not, -1 when it cannot be read. */
int clrnn_fmt_is_zip(const char *path);
clrnn_status clrnn_fmt_keras_archive_read(const char *path, struct clrnn_fmt_keras_archive *out);
void clrnn_fmt_keras_archive_clear(struct clrnn_fmt_keras_archive *a);

/* Reads a legacy full-model .h5 or a Keras 2 save_weights .h5 into *out (zeroed first):
 * everything clrnn_fmt_h5_write writes, the file opened once. On error nothing is left
 * allocated. */
clrnn_status clrnn_fmt_h5_read(const char *path, struct clrnn_fmt_model *out);

/* Any model file, told apart by content and opened once (a legacy .h5 only by HDF5): out
 * (zeroed first) gets its kind and, for the legacy .h5 kinds, what clrnn_fmt_h5_read
 * reads; for CLRNN_FMT_JSON the text in model_config; nothing more for a Keras 3 weights
 * file (read its datasets with clrnn_fmt_keras3_weights_read, by the model's paths) or a
 * .keras archive (clrnn_fmt_keras_archive_read). Text that is not a JSON object is
 * CLRNN_E_FORMAT; on error nothing is left allocated. */
clrnn_status clrnn_fmt_model_read(const char *path, struct clrnn_fmt_model *out);

/* Writes m as a legacy full-model .h5 (m->model_config set) or as a save_weights file
 * (m->model_config NULL). Writes to "<path>.tmp-<pid>" and renames it into place, so an
 * existing file survives any failure. */
clrnn_status clrnn_fmt_h5_write(const char *path, const struct clrnn_fmt_model *m);

/* Dataset files. */
struct clrnn_fmt_named_array {
    const char *name;
    const struct clrnn_array *array;
};
/* Writes the arrays (float32 or int32) as datasets of a new HDF5 file, atomically. */
clrnn_status clrnn_fmt_data_write(const char *path, const struct clrnn_fmt_named_array *arrays,
                                  int n);
/* Reads one dataset as float32 or int32 (integers -> int32, floats -> float32).
 * CLRNN_E_FORMAT naming the file and dataset when it is missing. */
clrnn_status clrnn_fmt_data_read(const char *path, const char *name, struct clrnn_array *out);
/* 1 when the file has a dataset of that name, 0 when not, negative on error. */
int clrnn_fmt_data_has(const char *path, const char *name);
/* One split of a dataset file into *out (clrnn_data_load says how), the file opened once;
 * on error nothing is left allocated. clear frees what load filled and zeroes d. */
clrnn_status clrnn_fmt_data_load(const char *path, clrnn_split split, clrnn_labels labels,
                                 struct clrnn_data *out);
void clrnn_fmt_data_clear(struct clrnn_data *d);

/* The vocabulary of a text dataset (design.md: it lives in the dataset file): dataset
 * "vocabulary", a 1-D array of variable-length UTF-8 strings, one token per entry in id
 * order. write_vocabulary writes the arrays as clrnn_fmt_data_write does plus the
 * vocabulary, all before the rename, so the file appears whole or not at all. */
clrnn_status clrnn_fmt_data_write_vocabulary(const char *path,
                                             const struct clrnn_fmt_named_array *arrays, int n,
                                             const char *const *tokens, int n_tokens);
/* *tokens gets *n new NUL-terminated strings (free with clrnn_fmt_vocabulary_free);
 * CLRNN_E_FORMAT naming the file when there is no vocabulary or it is not strings. */
clrnn_status clrnn_fmt_data_read_vocabulary(const char *path, char ***tokens, int *n);
void clrnn_fmt_vocabulary_free(char **tokens, int n);
/* The 1-D string dataset `name` of any HDF5 file (a dataset's "vocabulary", a model's
 * "clrnn_vocabulary"), as read_vocabulary reads it. */
clrnn_status clrnn_fmt_h5_read_tokens(const char *path, const char *name, char ***tokens,
                                      int *n);

#endif
