/*
 * dataset_h5.c - dataset files: HDF5 files of x_train, y_train, x_test, y_test (or x, y),
 * float32 or int32 (design.md "Dataset files").
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "h5_util.h"

static clrnn_status open_data(const char *path, hid_t *out) {
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

int clrnn_fmt_data_has(const char *path, const char *name) {
    hid_t f = -1;
    if (open_data(path, &f)) return -1;
    int has = H5Lexists(f, name, H5P_DEFAULT) > 0;
    H5Fclose(f);
    return has;
}

static clrnn_status read_array(hid_t f, const char *path, const char *name,
                               struct clrnn_array *out) {
    if (H5Lexists(f, name, H5P_DEFAULT) <= 0)
        return clrnn_fail(CLRNN_E_FORMAT, "%s: no dataset '%s'", path, name);
    hid_t ds = H5Dopen2(f, name, H5P_DEFAULT);
    if (ds < 0) return clrnn_fail(CLRNN_E_FORMAT, "%s: '%s' is not a dataset", path, name);
    hid_t type = H5Dget_type(ds), space = H5Dget_space(ds);
    H5T_class_t cls = type >= 0 ? H5Tget_class(type) : H5T_NO_CLASS;
    int rank = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
    clrnn_status s = CLRNN_OK;
    hsize_t hd[H5S_MAX_RANK];
    int64_t dims[CLRNN_MAX_RANK];
    size_t count = 1;
    if (cls != H5T_INTEGER && cls != H5T_FLOAT) {
        s = clrnn_fail(CLRNN_E_FORMAT, "%s: dataset '%s' holds %s, expected numbers (int32 or "
                       "float32)", path, name, cls == H5T_STRING ? "strings" : "non-numbers");
    } else if (rank < 1 || rank > CLRNN_MAX_RANK) {
        s = clrnn_fail(CLRNN_E_FORMAT, "%s: dataset '%s' has rank %d, expected 1 to %d", path,
                       name, rank, CLRNN_MAX_RANK);
    } else {
        H5Sget_simple_extent_dims(space, hd, NULL);
        for (int i = 0; i < rank && !s; i++) {
            dims[i] = (int64_t)hd[i];
            if (clrnn_mul_size(count, (size_t)hd[i], &count) || count > (size_t)CLRNN_FMT_MAX_ELEMENTS)
                s = clrnn_fail(CLRNN_E_FORMAT, "%s: dataset '%s' is too large", path, name);
        }
    }
    struct clrnn_array a;
    memset(&a, 0, sizeof a);
    int integer = cls == H5T_INTEGER;
    if (!s) s = clrnn_array_alloc(&a, integer ? CLRNN_DTYPE_INT32 : CLRNN_DTYPE_FLOAT32, rank, dims);
    if (!s && count) {
        /* integers go through int64 so that values outside int32 are caught, not wrapped */
        if (integer) {
            long long *wide = clrnn_malloc(count * sizeof *wide);
            if (!wide) {
                s = clrnn_fail(CLRNN_E_NOMEM, "out of memory reading '%s' of %s", path, name);
            } else if (H5Dread(ds, H5T_NATIVE_LLONG, H5S_ALL, H5S_ALL, H5P_DEFAULT, wide) < 0) {
                s = clrnn_fail(CLRNN_E_FORMAT, "%s: reading dataset '%s' failed (truncated or "
                               "corrupt file?)", path, name);
            } else {
                int32_t *d = a.data;
                for (size_t i = 0; i < count && !s; i++) {
                    if (wide[i] < INT32_MIN || wide[i] > INT32_MAX)
                        s = clrnn_fail(CLRNN_E_FORMAT, "%s: dataset '%s' element %zu = %lld does "
                                       "not fit int32", path, name, i, wide[i]);
                    d[i] = (int32_t)wide[i];
                }
            }
            clrnn_free(wide);
        } else if (H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, a.data) < 0) {
            s = clrnn_fail(CLRNN_E_FORMAT, "%s: reading dataset '%s' failed (truncated or corrupt "
                           "file?)", path, name);
        }
    }
    if (type >= 0) H5Tclose(type);
    if (space >= 0) H5Sclose(space);
    H5Dclose(ds);
    if (s) {
        clrnn_array_clear(&a);
        return s;
    }
    *out = a;
    return CLRNN_OK;
}

clrnn_status clrnn_fmt_data_read(const char *path, const char *name, struct clrnn_array *out) {
    hid_t f = -1;
    clrnn_status s = open_data(path, &f);
    if (s) return s;
    s = read_array(f, path, name, out);
    H5Fclose(f);
    return s;
}

clrnn_status clrnn_data_load(const char *path, clrnn_split split, struct clrnn_data *out) {
    hid_t f = -1;
    clrnn_status s = open_data(path, &f);
    if (s) return s;
    const char *xn = "x", *yn = "y";
    if (split == CLRNN_SPLIT_TRAIN && H5Lexists(f, "x_train", H5P_DEFAULT) > 0) {
        xn = "x_train";
        yn = "y_train";
    } else if (split == CLRNN_SPLIT_TEST && H5Lexists(f, "x_test", H5P_DEFAULT) > 0) {
        xn = "x_test";
        yn = "y_test";
    }
    struct clrnn_data d;
    memset(&d, 0, sizeof d);
    if (H5Lexists(f, xn, H5P_DEFAULT) <= 0 || H5Lexists(f, yn, H5P_DEFAULT) <= 0) {
        const char *want = split == CLRNN_SPLIT_TRAIN ? "x_train/y_train or x/y"
                         : split == CLRNN_SPLIT_TEST ? "x_test/y_test or x/y" : "x/y";
        s = clrnn_fail(CLRNN_E_FORMAT, "%s: no %s datasets", path, want);
    }
    if (!s) s = read_array(f, path, xn, &d.x);
    if (!s) s = read_array(f, path, yn, &d.y);
    H5Fclose(f);
    if (!s && d.x.dims[0] != d.y.dims[0]) {
        char a[96], b[96];
        s = clrnn_fail(CLRNN_E_SHAPE, "%s: %s has shape %s but %s has shape %s: the numbers of "
                       "samples differ", path, xn, clrnn_shape_str(d.x.rank, d.x.dims, a, sizeof a),
                       yn, clrnn_shape_str(d.y.rank, d.y.dims, b, sizeof b));
    }
    if (s) {
        clrnn_data_clear(&d);
        return s;
    }
    snprintf(d.x_name, sizeof d.x_name, "%s", xn);
    snprintf(d.y_name, sizeof d.y_name, "%s", yn);
    *out = d;
    return CLRNN_OK;
}

void clrnn_data_clear(struct clrnn_data *d) {
    if (!d) return;
    clrnn_array_clear(&d->x);
    clrnn_array_clear(&d->y);
}

clrnn_status clrnn_fmt_data_write(const char *path, const struct clrnn_fmt_named_array *arrays,
                                  int n) {
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
    for (int i = 0; !s && i < n; i++) {
        const struct clrnn_array *a = arrays[i].array;
        s = h5u_write_array(f, arrays[i].name,
                            a->dtype == CLRNN_DTYPE_INT32 ? H5T_NATIVE_INT : H5T_NATIVE_FLOAT,
                            a->rank, a->dims, a->data, path);
    }
    if (H5Fclose(f) < 0 && !s) s = clrnn_fail(CLRNN_E_IO, "%s: writing failed (disk full?)", path);
    if (s) {
        remove(tmp);
        return s;
    }
    return h5u_commit(tmp, path);
}
