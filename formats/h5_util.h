/*
 * h5_util.h - HDF5 helpers shared by formats/ (internal to the module).
 *
 * Strings and name lists in every encoding Keras and h5py have written (keras-format.md
 * 1.2, 1.3), float datasets read with their shapes after the module's limits are checked,
 * datasets written with intermediate groups, and files written atomically (a temporary
 * file renamed into place).
 *
 * Messages: every function that can fail records one through clrnn_fail and returns its
 * status. `where` is the context that starts the message, e.g. "m.h5" or
 * "m.h5: layer 'dense'" or "m.h5: layer 'dense' weight 'dense/kernel:0'"; a failure reads
 * "<where>: attribute 'weight_names' is missing" or "<where>: dataset missing".
 * On failure nothing is left allocated and every HDF5 id the helper opened is closed.
 */
#ifndef CLRNN_H5_UTIL_H
#define CLRNN_H5_UTIL_H

#include <hdf5.h>
#include <stdio.h>

#include "clrnn_base.h"
#include "clrnn_formats.h"

/* HDF5 prints its error stack by default. Every entry point of formats/ brackets its HDF5
 * work with begin/end: begin switches the printing off (before the first other HDF5 call)
 * and end restores what the application had. The setting is per thread in a thread-safe
 * HDF5, and so is this. */
struct clrnn_h5_quiet {
    H5E_auto2_t func;
    void *data;
    int restore;
};
void clrnn_h5_quiet_begin(struct clrnn_h5_quiet *q);
void clrnn_h5_quiet_end(const struct clrnn_h5_quiet *q);

/* The innermost description on HDF5's error stack ("truncated file: eof = ..."), into buf. */
const char *clrnn_h5_error_text(char *buf, size_t size);

/* A short name for a datatype: "float64", "int16", "uint8", "strings", "a compound type". */
const char *clrnn_h5_type_str(hid_t type, char *buf, size_t size);

/* fopen(path, "rb") and H5Fopen(path, H5F_ACC_RDONLY, fapl), counted for
 * clrnn_fmt_read_opens(). */
FILE *clrnn_fmt_fopen_read(const char *path);
hid_t clrnn_h5_fopen_read(const char *path, hid_t fapl);

/* Opens an existing file read-only. CLRNN_E_IO "<path>: <strerror>" when it cannot be read,
 * CLRNN_E_FORMAT "<path>: not an HDF5 file", or CLRNN_E_FORMAT with HDF5's reason when HDF5
 * cannot open it (a truncated file). */
clrnn_status clrnn_h5_open_read(const char *path, hid_t *out);
/* The two halves of open_read: try_open opens the file or fails recording nothing (no
 * HDF5 file there, or a broken one) but HDF5's reason in why; open_fails records the
 * message and returns the status open_read gives. */
clrnn_status clrnn_h5_try_open(const char *path, hid_t *out, char *why, size_t size);
clrnn_status clrnn_h5_open_fails(const char *path, const char *why);
/* Opens an HDF5 file held in memory (size bytes at image) read-only: model.weights.h5 of
 * the .keras archive `where`, as messages name it. */
clrnn_status clrnn_h5_open_image(const void *image, size_t size, const char *where,
                                 hid_t *out);

/* Writing a file atomically: create makes "<path>.tmp-<pid>" and an HDF5 file in memory;
 * finish writes the finished bytes to the temporary file (fsync'd) and, when s is CLRNN_OK
 * and that worked, renames it onto path; otherwise it removes the temporary file so that an
 * existing file at path is untouched (a full disk included). finish returns the final
 * status and releases w. */
struct clrnn_h5_writer {
    const char *path;
    char *tmp;
    hid_t file; /* built in memory */
    FILE *out;  /* the temporary file the finished bytes go to */
};
clrnn_status clrnn_h5_create(const char *path, struct clrnn_h5_writer *w);
clrnn_status clrnn_h5_finish(struct clrnn_h5_writer *w, clrnn_status s);

/* *exists = 1 when obj has the attribute, 0 when not. */
clrnn_status clrnn_h5_attr_exists(hid_t obj, const char *name, const char *where, int *exists);
/* 1 when the path below loc names an object; 0 when it or any group on the way is missing. */
int clrnn_h5_link_exists(hid_t loc, const char *path);

/* A text attribute (scalar or one-element array; vlen or fixed-length; ASCII or UTF-8;
 * NULLPAD, NULLTERM or SPACEPAD) as a new NUL-terminated string, padding removed. A
 * missing attribute is CLRNN_E_FORMAT; read_text_if gives *out = NULL for it instead. */
clrnn_status clrnn_h5_read_text(hid_t obj, const char *name, const char *where, char **out);
clrnn_status clrnn_h5_read_text_if(hid_t obj, const char *name, const char *where,
                                   char **out);

/* A name list: attribute `name`, or when it is absent name0, name1, ... concatenated (a
 * list Keras split because of HDF5's 64 KiB object header limit). Elements in any string
 * encoding above; a non-string empty array (Keras writes float64 of shape (0,)) means no
 * names. *out gets *n new strings (NULL when *n is 0); free with clrnn_h5_free_names. */
clrnn_status clrnn_h5_read_names(hid_t obj, const char *name, const char *where, char ***out,
                                 int *n);
void clrnn_h5_free_names(char **names, int n);

/* A scalar vlen ASCII string attribute (how Keras writes keras_version, model_config). */
clrnn_status clrnn_h5_write_text(hid_t obj, const char *name, const char *value,
                                 const char *where);
/* A name list as a fixed-length NULLPAD ASCII array, split into name0, name1, ... when it
 * is over 64512 bytes as Keras does; an empty list as a float64 array of shape (0,). */
clrnn_status clrnn_h5_write_names(hid_t obj, const char *name, const char *const *names,
                                  int n, const char *where);

/* Opens the dataset at path below loc: "<where>: dataset missing" or "<where>: not a
 * dataset" (CLRNN_E_FORMAT). */
clrnn_status clrnn_h5_open_dataset(hid_t loc, const char *path, const char *where,
                                   hid_t *out);
/* The shape of an open dataset after checking rank <= CLRNN_MAX_RANK and every dimension
 * and the element count <= CLRNN_FMT_MAX_ELEMENTS (CLRNN_E_FORMAT otherwise). */
clrnn_status clrnn_h5_dataset_shape(hid_t ds, const char *where, int *rank, int64_t *dims,
                                    size_t *count);
/* A numeric dataset at path below loc as new float32 data (other float and integer types
 * are converted by HDF5). */
clrnn_status clrnn_h5_read_floats(hid_t loc, const char *path, const char *where, int *rank,
                                  int64_t *dims, float **data);
/* Writes a float32 or int32 (little-endian) dataset at path below loc, creating the
 * intermediate groups a '/' in path names. rank 0 is a scalar. */
clrnn_status clrnn_h5_write_dataset(hid_t loc, const char *path, clrnn_dtype dtype, int rank,
                                    const int64_t *dims, const void *data, const char *where);
/* The weight w as a dataset at w->name below g: float32, or int32 when w->as_int32. */
clrnn_status clrnn_h5_write_weight(hid_t g, const struct clrnn_fmt_weight *w, const char *where);

/* Readers of an open file f (dataset_h5.c; path names it in messages): whether it has a
 * dataset at name; one as float32 or int32 (clrnn_fmt_data_read); a 1-D string dataset
 * (clrnn_fmt_h5_read_tokens). */
int clrnn_h5_has_dataset(hid_t f, const char *name);
clrnn_status clrnn_h5_read_array(hid_t f, const char *path, const char *name,
                                 struct clrnn_array *out);
clrnn_status clrnn_h5_read_tokens(hid_t f, const char *path, const char *name, char ***tokens,
                                  int *n);

/* Reads the legacy Keras layout of the open file f into *out (zeroed first), as
 * clrnn_fmt_h5_read does (keras_h5.c); with keras3 set, a Keras 3 weights file is only
 * recognized (out->kind). */
clrnn_status clrnn_h5_read_model(hid_t f, const char *path, int keras3,
                                 struct clrnn_fmt_model *out);

/* The HDF5 signature at offset 0 or after a user block (512, 1024, 2048, ...) of the file
 * open at f: 1 found, 0 not, -1 a read error (errno set). */
int clrnn_h5_signature(FILE *f);

/* Writes tokens at name below f as a 1-D vlen UTF-8 string dataset, h5py's layout for a
 * list of str (dataset_h5.c); path names the file in messages. */
clrnn_status clrnn_h5_write_tokens(hid_t f, const char *path, const char *name,
                                   const char *const *tokens, int n);

/* Checks an array the caller wants written: rank in [0, CLRNN_MAX_RANK], dimensions >= 0,
 * element count within CLRNN_FMT_MAX_ELEMENTS, data present when there are elements.
 * CLRNN_E_INVALID_ARG naming `where` otherwise. */
clrnn_status clrnn_h5_check_array(int rank, const int64_t *dims, const void *data,
                                  const char *where);

#endif
