/*
 * h5_util.c - HDF5 helpers shared by the Keras and dataset readers and writers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "h5_util.h"

#define KERAS_HEADER_LIMIT 64512 /* HDF5_OBJECT_HEADER_LIMIT in Keras */

void h5u_quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

int h5u_has_attr(hid_t obj, const char *name) { return H5Aexists(obj, name) > 0; }

static void strip(char *s, size_t n) {
    s[n] = '\0';
    size_t len = strlen(s);
    while (len && (s[len - 1] == ' ')) s[--len] = '\0';
}

/* Reads every element of a string attribute into new strings. */
static clrnn_status read_strings(hid_t attr, const char *name, const char *file, char ***out,
                                 int *count) {
    clrnn_status s = CLRNN_OK;
    hid_t type = H5Aget_type(attr), space = H5Aget_space(attr), mem = -1;
    hssize_t n = H5Sget_simple_extent_npoints(space);
    char **names = NULL;
    if (type < 0 || space < 0 || n < 0) {
        s = clrnn_fail(CLRNN_E_FORMAT, "%s: attribute '%s' cannot be read", file, name);
        goto done;
    }
    if (n > CLRNN_FMT_MAX_NAMES) {
        s = clrnn_fail(CLRNN_E_FORMAT, "%s: attribute '%s' declares %lld names (limit %d)", file,
                       name, (long long)n, CLRNN_FMT_MAX_NAMES);
        goto done;
    }
    if (H5Tget_class(type) != H5T_STRING) {
        if (n == 0) goto done; /* Keras writes an empty list as float64 (0,) */
        s = clrnn_fail(CLRNN_E_FORMAT, "%s: attribute '%s' is not text", file, name);
        goto done;
    }
    names = clrnn_calloc((size_t)n + 1, sizeof *names);
    if (!names) {
        s = clrnn_fail(CLRNN_E_NOMEM, "out of memory reading %s", file);
        goto done;
    }
    mem = H5Tcopy(H5T_C_S1);
    H5Tset_cset(mem, H5Tget_cset(type));
    if (H5Tis_variable_str(type) > 0) {
        H5Tset_size(mem, H5T_VARIABLE);
        char **raw = clrnn_calloc((size_t)n + 1, sizeof *raw);
        if (!raw) {
            s = clrnn_fail(CLRNN_E_NOMEM, "out of memory reading %s", file);
            goto done;
        }
        if (H5Aread(attr, mem, raw) < 0) {
            s = clrnn_fail(CLRNN_E_FORMAT, "%s: attribute '%s' cannot be read", file, name);
        } else {
            for (hssize_t i = 0; i < n && !s; i++) {
                const char *v = raw[i] ? raw[i] : "";
                size_t len = strlen(v);
                if (len > CLRNN_FMT_MAX_TEXT) {
                    s = clrnn_fail(CLRNN_E_FORMAT, "%s: attribute '%s' is too long", file, name);
                    break;
                }
                if (!(names[i] = clrnn_malloc(len + 1))) {
                    s = clrnn_fail(CLRNN_E_NOMEM, "out of memory reading %s", file);
                    break;
                }
                memcpy(names[i], v, len);
                strip(names[i], len);
            }
            H5Dvlen_reclaim(mem, space, H5P_DEFAULT, raw);
        }
        clrnn_free(raw);
    } else {
        size_t size = H5Tget_size(type), total;
        if (size == 0 || size > CLRNN_FMT_MAX_TEXT || clrnn_mul_size(size, (size_t)n, &total) ||
            total > CLRNN_FMT_MAX_TEXT) {
            s = clrnn_fail(CLRNN_E_FORMAT, "%s: attribute '%s' has a bad string size", file, name);
            goto done;
        }
        H5Tset_size(mem, size);
        H5Tset_strpad(mem, H5Tget_strpad(type));
        char *buf = clrnn_malloc(total + 1);
        if (!buf) {
            s = clrnn_fail(CLRNN_E_NOMEM, "out of memory reading %s", file);
            goto done;
        }
        if (H5Aread(attr, mem, buf) < 0) {
            s = clrnn_fail(CLRNN_E_FORMAT, "%s: attribute '%s' cannot be read", file, name);
        } else {
            for (hssize_t i = 0; i < n && !s; i++) {
                if (!(names[i] = clrnn_malloc(size + 1))) {
                    s = clrnn_fail(CLRNN_E_NOMEM, "out of memory reading %s", file);
                    break;
                }
                memcpy(names[i], buf + (size_t)i * size, size);
                strip(names[i], size);
            }
        }
        clrnn_free(buf);
    }
done:
    if (mem >= 0) H5Tclose(mem);
    if (type >= 0) H5Tclose(type);
    if (space >= 0) H5Sclose(space);
    if (s) {
        h5u_free_names(names, (int)(n > 0 ? n : 0));
        return s;
    }
    *out = names;
    *count = names ? (int)n : 0;
    return CLRNN_OK;
}

void h5u_free_names(char **names, int n) {
    if (!names) return;
    for (int i = 0; i < n; i++) clrnn_free(names[i]);
    clrnn_free(names);
}

clrnn_status h5u_read_string_attr(hid_t obj, const char *name, const char *file, char **out) {
    hid_t attr = H5Aopen(obj, name, H5P_DEFAULT);
    if (attr < 0) return clrnn_fail(CLRNN_E_FORMAT, "%s: attribute '%s' is missing", file, name);
    char **v = NULL;
    int n = 0;
    clrnn_status s = read_strings(attr, name, file, &v, &n);
    H5Aclose(attr);
    if (s) return s;
    if (n != 1) {
        h5u_free_names(v, n);
        return clrnn_fail(CLRNN_E_FORMAT, "%s: attribute '%s' is not one string", file, name);
    }
    *out = v[0];
    clrnn_free(v);
    return CLRNN_OK;
}

clrnn_status h5u_read_name_list(hid_t obj, const char *name, const char *file, char ***out,
                                int *n) {
    if (h5u_has_attr(obj, name)) {
        hid_t attr = H5Aopen(obj, name, H5P_DEFAULT);
        if (attr < 0) return clrnn_fail(CLRNN_E_FORMAT, "%s: attribute '%s' unreadable", file, name);
        clrnn_status s = read_strings(attr, name, file, out, n);
        H5Aclose(attr);
        return s;
    }
    /* split into name0, name1, ... */
    char **all = NULL;
    int total = 0;
    for (int chunk = 0;; chunk++) {
        char key[300];
        snprintf(key, sizeof key, "%s%d", name, chunk);
        if (!h5u_has_attr(obj, key)) {
            if (chunk == 0)
                return clrnn_fail(CLRNN_E_FORMAT, "%s: attribute '%s' is missing", file, name);
            break;
        }
        hid_t attr = H5Aopen(obj, key, H5P_DEFAULT);
        char **part = NULL;
        int np = 0;
        clrnn_status s = attr < 0 ? clrnn_fail(CLRNN_E_FORMAT, "%s: '%s' unreadable", file, key)
                                  : read_strings(attr, key, file, &part, &np);
        if (attr >= 0) H5Aclose(attr);
        char **grown = NULL;
        if (!s && total + np > CLRNN_FMT_MAX_NAMES)
            s = clrnn_fail(CLRNN_E_FORMAT, "%s: too many names in '%s'", file, name);
        if (!s && !(grown = clrnn_realloc(all, (size_t)(total + np + 1) * sizeof *all)))
            s = clrnn_fail(CLRNN_E_NOMEM, "out of memory reading %s", file);
        if (s) {
            h5u_free_names(part, np);
            h5u_free_names(all, total);
            return s;
        }
        all = grown;
        for (int i = 0; i < np; i++) all[total++] = part[i];
        clrnn_free(part);
    }
    *out = all;
    *n = total;
    return CLRNN_OK;
}

clrnn_status h5u_write_string_attr(hid_t obj, const char *name, const char *value,
                                   const char *file) {
    hid_t type = H5Tcopy(H5T_C_S1), space = H5Screate(H5S_SCALAR), attr = -1;
    herr_t err = -1;
    H5Tset_size(type, H5T_VARIABLE);
    H5Tset_cset(type, H5T_CSET_ASCII);
    attr = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    if (attr >= 0) err = H5Awrite(attr, type, &value);
    if (attr >= 0) H5Aclose(attr);
    H5Sclose(space);
    H5Tclose(type);
    if (err < 0) return clrnn_fail(CLRNN_E_IO, "%s: writing attribute '%s' failed", file, name);
    return CLRNN_OK;
}

static clrnn_status write_fixed(hid_t obj, const char *name, char *const *names, int n,
                                size_t width, const char *file) {
    char *buf = clrnn_calloc((size_t)n ? (size_t)n : 1, width);
    if (!buf) return clrnn_fail(CLRNN_E_NOMEM, "out of memory writing %s", file);
    for (int i = 0; i < n; i++) memcpy(buf + (size_t)i * width, names[i], strlen(names[i]));
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, width);
    H5Tset_strpad(type, H5T_STR_NULLPAD);
    H5Tset_cset(type, H5T_CSET_ASCII);
    hsize_t dims[1] = {(hsize_t)n};
    hid_t space = H5Screate_simple(1, dims, NULL);
    hid_t attr = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    herr_t err = attr >= 0 ? H5Awrite(attr, type, buf) : -1;
    if (attr >= 0) H5Aclose(attr);
    H5Sclose(space);
    H5Tclose(type);
    clrnn_free(buf);
    if (err < 0) return clrnn_fail(CLRNN_E_IO, "%s: writing attribute '%s' failed", file, name);
    return CLRNN_OK;
}

clrnn_status h5u_write_name_list(hid_t obj, const char *name, char *const *names, int n,
                                 const char *file) {
    if (n == 0) {
        hsize_t dims[1] = {0};
        hid_t space = H5Screate_simple(1, dims, NULL);
        hid_t attr = H5Acreate2(obj, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT);
        herr_t err = attr >= 0 ? 0 : -1;
        if (attr >= 0) H5Aclose(attr);
        H5Sclose(space);
        if (err < 0) return clrnn_fail(CLRNN_E_IO, "%s: writing attribute '%s' failed", file, name);
        return CLRNN_OK;
    }
    size_t width = 1;
    for (int i = 0; i < n; i++)
        if (strlen(names[i]) > width) width = strlen(names[i]);
    if (width > KERAS_HEADER_LIMIT)
        return clrnn_fail(CLRNN_E_INVALID_ARG, "%s: a name in '%s' is longer than %d bytes", file,
                          name, KERAS_HEADER_LIMIT);
    int chunks = 1;
    while ((size_t)((n + chunks - 1) / chunks) * width > KERAS_HEADER_LIMIT) chunks++;
    if (chunks == 1) return write_fixed(obj, name, names, n, width, file);
    /* numpy.array_split: the first n % chunks parts get one extra */
    int start = 0;
    for (int c = 0; c < chunks; c++) {
        int count = n / chunks + (c < n % chunks);
        char key[300];
        snprintf(key, sizeof key, "%s%d", name, c);
        clrnn_status s = write_fixed(obj, key, names + start, count, width, file);
        if (s) return s;
        start += count;
    }
    return CLRNN_OK;
}

clrnn_status h5u_read_floats(hid_t loc, const char *path, const char *file, int *rank,
                             int64_t *dims, float **data) {
    if (H5Lexists(loc, path, H5P_DEFAULT) <= 0)
        return clrnn_fail(CLRNN_E_FORMAT, "%s: dataset '%s' is missing", file, path);
    hid_t ds = H5Dopen2(loc, path, H5P_DEFAULT);
    if (ds < 0) return clrnn_fail(CLRNN_E_FORMAT, "%s: '%s' is not a readable dataset", file, path);
    hid_t type = H5Dget_type(ds), space = H5Dget_space(ds);
    clrnn_status s = CLRNN_OK;
    H5T_class_t cls = type >= 0 ? H5Tget_class(type) : H5T_NO_CLASS;
    int r = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
    hsize_t hd[H5S_MAX_RANK];
    size_t count = 1;
    if (cls != H5T_FLOAT && cls != H5T_INTEGER) {
        s = clrnn_fail(CLRNN_E_FORMAT, "%s: dataset '%s' is not numeric", file, path);
    } else if (r < 0 || r > CLRNN_MAX_RANK) {
        s = clrnn_fail(CLRNN_E_FORMAT, "%s: dataset '%s' has rank %d (at most %d)", file, path,
                       r, CLRNN_MAX_RANK);
    } else {
        H5Sget_simple_extent_dims(space, hd, NULL);
        for (int i = 0; i < r && !s; i++)
            if (clrnn_mul_size(count, (size_t)hd[i], &count) ||
                count > (size_t)CLRNN_FMT_MAX_ELEMENTS)
                s = clrnn_fail(CLRNN_E_FORMAT, "%s: dataset '%s' is too large", file, path);
    }
    float *buf = NULL;
    if (!s && !(buf = clrnn_malloc(count * sizeof *buf)))
        s = clrnn_fail(CLRNN_E_NOMEM, "out of memory reading '%s' of %s", path, file);
    if (!s && count && H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
        s = clrnn_fail(CLRNN_E_FORMAT, "%s: reading dataset '%s' failed (truncated or corrupt "
                       "file?)", file, path);
    if (type >= 0) H5Tclose(type);
    if (space >= 0) H5Sclose(space);
    H5Dclose(ds);
    if (s) {
        clrnn_free(buf);
        return s;
    }
    *rank = r;
    for (int i = 0; i < r; i++) dims[i] = (int64_t)hd[i];
    *data = buf;
    return CLRNN_OK;
}

clrnn_status h5u_write_array(hid_t loc, const char *path, hid_t mem_type, int rank,
                             const int64_t *dims, const void *data, const char *file) {
    hsize_t hd[CLRNN_MAX_RANK];
    for (int i = 0; i < rank; i++) hd[i] = (hsize_t)dims[i];
    hid_t space = rank ? H5Screate_simple(rank, hd, NULL) : H5Screate(H5S_SCALAR);
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    hid_t file_type = mem_type == H5T_NATIVE_INT ? H5T_STD_I32LE : H5T_IEEE_F32LE;
    hid_t ds = H5Dcreate2(loc, path, file_type, space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    herr_t err = ds >= 0 ? H5Dwrite(ds, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) : -1;
    if (ds >= 0) H5Dclose(ds);
    H5Pclose(lcpl);
    H5Sclose(space);
    if (err < 0) return clrnn_fail(CLRNN_E_IO, "%s: writing dataset '%s' failed", file, path);
    return CLRNN_OK;
}

void h5u_temp_name(const char *path, char *buf, size_t size) {
    snprintf(buf, size, "%s.tmp-%ld", path, (long)getpid());
}

clrnn_status h5u_commit(const char *tmp, const char *path) {
    if (rename(tmp, path) != 0) {
        int e = errno;
        remove(tmp);
        return clrnn_fail(CLRNN_E_IO, "%s: %s", path, strerror(e));
    }
    return CLRNN_OK;
}
