/*
 * h5_util.h - HDF5 helpers for formats/: string and name-list attributes in every encoding
 * Keras and h5py have written (keras-format.md 1.2, 1.3), float arrays with limit checks,
 * and the atomic temp-file-and-rename for writers. Every function reports errors through
 * clrnn_fail with the file name given as `file`.
 */
#ifndef CLRNN_H5_UTIL_H
#define CLRNN_H5_UTIL_H

#include <hdf5.h>

#include "clrnn_formats.h"
#include "clrnn_err.h"

/* Turns off HDF5's own error printing (the library never prints). Call before any H5 use. */
void h5u_quiet(void);

/* 1 when obj has attribute name, else 0. */
int h5u_has_attr(hid_t obj, const char *name);
/* Reads a string attribute (scalar or one element; vlen or fixed; any charset/padding) into a
 * new NUL-terminated string. */
clrnn_status h5u_read_string_attr(hid_t obj, const char *name, const char *file, char **out);
/* Reads a list of names: attribute `name`, or name0, name1, ... when it was split. A
 * non-string empty array means no names. *out is an array of *n new strings. */
clrnn_status h5u_read_name_list(hid_t obj, const char *name, const char *file, char ***out,
                                int *n);
void h5u_free_names(char **names, int n);

clrnn_status h5u_write_string_attr(hid_t obj, const char *name, const char *value,
                                   const char *file);
/* Writes names as fixed-length NULLPAD ASCII (split into name0, name1... above 64512 bytes,
 * as Keras does); an empty list as a float64 array of shape (0,). */
clrnn_status h5u_write_name_list(hid_t obj, const char *name, char *const *names, int n,
                                 const char *file);

/* Reads a numeric dataset at path (relative to loc) as float32. */
clrnn_status h5u_read_floats(hid_t loc, const char *path, const char *file, int *rank,
                             int64_t *dims, float **data);
/* Writes a float32 or int32 dataset at path, creating intermediate groups. */
clrnn_status h5u_write_array(hid_t loc, const char *path, hid_t mem_type, int rank,
                             const int64_t *dims, const void *data, const char *file);

/* "<path>.tmp-<pid>" into buf. */
void h5u_temp_name(const char *path, char *buf, size_t size);
/* Renames tmp to path; on failure removes tmp and reports. */
clrnn_status h5u_commit(const char *tmp, const char *path);

#endif
