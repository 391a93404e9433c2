/*
 * dataset_h5.c - dataset files: HDF5 files whose root holds x_train, y_train, x_test,
 * y_test or x, y (design.md "Dataset files"). Integer datasets are read as int32 (values
 * outside its range are an error, never wrapped), float datasets as float32; files are
 * written as little-endian int32 or float32 datasets, atomically.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "h5_util.h"

#define WHERE_SIZE 1024

/* ---- helpers ---- */

struct name_list {
    char *buf;
    size_t size, used;
    int cut;
};

static herr_t add_name(hid_t g, const char *name, const H5L_info_t *info, void *data) {
    struct name_list *l = data;
    (void)g;
    (void)info;
    size_t len = strlen(name) + (l->used ? 2 : 0);
    if (l->used + len + 8 >= l->size) {
        l->cut = 1;
        return 1; /* stop */
    }
    l->used += (size_t)snprintf(l->buf + l->used, l->size - l->used, "%s%s",
                                l->used ? ", " : "", name);
    return 0;
}

/* "x_train, y_train" (the names at the root, for messages), into buf. */
static const char *root_names(hid_t f, char *buf, size_t size) {
    struct name_list l = {buf, size, 0, 0};
    buf[0] = '\0';
    H5Literate(f, H5_INDEX_NAME, H5_ITER_INC, NULL, add_name, &l);
    if (l.cut) snprintf(buf + l.used, size - l.used, ", ...");
    if (!buf[0]) snprintf(buf, size, "nothing");
    return buf;
}

int clrnn_h5_has_dataset(hid_t f, const char *name) {
    if (!clrnn_h5_link_exists(f, name)) return 0;
    hid_t obj = H5Oopen(f, name, H5P_DEFAULT);
    if (obj < 0) return 0;
    int is_dataset = H5Iget_type(obj) == H5I_DATASET;
    H5Oclose(obj);
    return is_dataset;
}

/* Integer conversion exceptions: stop at the first value outside int32. */
struct range {
    int high, low;
};

static H5T_conv_ret_t out_of_range(H5T_conv_except_t e, hid_t src, hid_t dst, void *src_buf,
                                   void *dst_buf, void *data) {
    struct range *r = data;
    (void)src;
    (void)dst;
    (void)src_buf;
    (void)dst_buf;
    if (e == H5T_CONV_EXCEPT_RANGE_HI) r->high = 1;
    else if (e == H5T_CONV_EXCEPT_RANGE_LOW) r->low = 1;
    else return H5T_CONV_UNHANDLED;
    return H5T_CONV_ABORT;
}

/* Reads dataset name of the open file f (path for messages) into a new array. */
clrnn_status clrnn_h5_read_array(hid_t f, const char *path, const char *name,
                                 struct clrnn_array *out) {
    char where[WHERE_SIZE], why[256], tname[64];
    snprintf(where, sizeof where, "%s: dataset '%s'", path, name);
    if (!clrnn_h5_link_exists(f, name))
        return clrnn_fail(CLRNN_E_FORMAT, "%s: no dataset '%s' (the file has: %s)", path, name,
                          root_names(f, why, sizeof why));
    hid_t ds = -1;
    clrnn_status s = clrnn_h5_open_dataset(f, name, where, &ds);
    if (s) return s;
    hid_t type = H5Dget_type(ds), dxpl = -1;
    H5T_class_t cls = type >= 0 ? H5Tget_class(type) : H5T_NO_CLASS;
    int rank = 0, integer = cls == H5T_INTEGER;
    int64_t dims[CLRNN_MAX_RANK];
    size_t count = 0;
    struct clrnn_array a;
    memset(&a, 0, sizeof a);
    if (type < 0) {
        clrnn_h5_error_text(why, sizeof why);
        s = clrnn_fail(CLRNN_E_FORMAT, "%s: its type cannot be read (%s)", where, why);
    } else if (cls != H5T_INTEGER && cls != H5T_FLOAT) {
        s = clrnn_fail(CLRNN_E_FORMAT, "%s: holds %s, expected numbers (int32 or float32)", where,
                       clrnn_h5_type_str(type, tname, sizeof tname));
    }
    if (!s) s = clrnn_h5_dataset_shape(ds, where, &rank, dims, &count);
    if (!s) {
        s = clrnn_array_alloc(&a, integer ? CLRNN_DTYPE_INT32 : CLRNN_DTYPE_FLOAT32, rank, dims);
        if (s) clrnn_fail_context(s, "%s", where);
    }
    struct range r = {0, 0};
    herr_t err = 0;
    if (!s && count > 0 && integer) {
        if ((dxpl = H5Pcreate(H5P_DATASET_XFER)) < 0 ||
            H5Pset_type_conv_cb(dxpl, out_of_range, &r) < 0)
            err = -1;
        else
            err = H5Dread(ds, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, dxpl, a.data);
    } else if (!s && count > 0) {
        err = H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, a.data);
    }
    if (err < 0) {
        clrnn_h5_error_text(why, sizeof why);
        if (r.high || r.low)
            s = clrnn_fail(CLRNN_E_FORMAT, "%s: holds %s values %s the int32 range; token ids and "
                           "labels must fit int32", where,
                           clrnn_h5_type_str(type, tname, sizeof tname),
                           r.high ? "above" : "below");
        else
            s = clrnn_fail(CLRNN_E_FORMAT, "%s: reading failed (%s); the file may be truncated or "
                           "corrupt", where, why);
    }
    if (dxpl >= 0) H5Pclose(dxpl);
    if (type >= 0) H5Tclose(type);
    H5Oclose(ds);
    if (s) {
        clrnn_array_clear(&a);
        return s;
    }
    *out = a;
    return CLRNN_OK;
}

/* ---- reading ---- */

clrnn_status clrnn_fmt_data_read(const char *path, const char *name, struct clrnn_array *out) {
    if (!path || !name || !out)
        return clrnn_fail(CLRNN_E_INVALID_ARG, "clrnn_fmt_data_read: NULL argument");
    struct clrnn_h5_quiet q;
    clrnn_h5_quiet_begin(&q);
    hid_t f = -1;
    clrnn_status s = clrnn_h5_open_read(path, &f);
    if (!s) {
        s = clrnn_h5_read_array(f, path, name, out);
        H5Fclose(f);
    }
    clrnn_h5_quiet_end(&q);
    return s;
}

int clrnn_fmt_data_has(const char *path, const char *name) {
    if (!path || !name)
        return clrnn_fail(CLRNN_E_INVALID_ARG, "clrnn_fmt_data_has: NULL argument");
    struct clrnn_h5_quiet q;
    clrnn_h5_quiet_begin(&q);
    hid_t f = -1;
    clrnn_status s = clrnn_h5_open_read(path, &f);
    int has = 0;
    if (!s) {
        has = clrnn_h5_has_dataset(f, name);
        H5Fclose(f);
    }
    clrnn_h5_quiet_end(&q);
    return s ? (int)s : has;
}

/* Picks the datasets of a split: the split's own pair when the file has both, else x/y.
 * A pair with one half missing is an error rather than a silent fall back to x/y, except
 * for inputs without labels when unlabelled (*yn NULL then). */
static clrnn_status pick_pair(hid_t f, const char *path, clrnn_split split, int unlabelled,
                              const char **xn, const char **yn) {
    static const char *const PAIRS[][2] = {{"x_train", "y_train"}, {"x_test", "y_test"}};
    char have[256];
    const char *const *own = split == CLRNN_SPLIT_TRAIN ? PAIRS[0]
                             : split == CLRNN_SPLIT_TEST ? PAIRS[1] : NULL;
    if (own) {
        int hx = clrnn_h5_has_dataset(f, own[0]), hy = clrnn_h5_has_dataset(f, own[1]);
        if (hx && (hy || unlabelled)) {
            *xn = own[0];
            *yn = hy ? own[1] : NULL;
            return CLRNN_OK;
        }
        if (hx || hy)
            return clrnn_fail(CLRNN_E_FORMAT, "%s: has %s but no %s", path, hx ? own[0] : own[1],
                              hx ? own[1] : own[0]);
    }
    int hx = clrnn_h5_has_dataset(f, "x"), hy = clrnn_h5_has_dataset(f, "y");
    if (hx && (hy || unlabelled)) {
        *xn = "x";
        *yn = hy ? "y" : NULL;
        return CLRNN_OK;
    }
    if (hx || hy)
        return clrnn_fail(CLRNN_E_FORMAT, "%s: has %s but no %s", path, hx ? "x" : "y",
                          hx ? "y" : "x");
    if (own)
        return clrnn_fail(CLRNN_E_FORMAT, "%s: no %s/%s or x/y datasets (the file has: %s)", path,
                          own[0], own[1], root_names(f, have, sizeof have));
    return clrnn_fail(CLRNN_E_FORMAT, "%s: no x/y datasets (the file has: %s)", path,
                      root_names(f, have, sizeof have));
}

/* Several inputs: x0<suffix>, x1<suffix>, ... (suffix "_train", "_test" or "") with
 * y<suffix>; *suffix NULL when the split has none. */
static const char *multi_suffix(hid_t f, clrnn_split split) {
    const char *own = split == CLRNN_SPLIT_TRAIN ? "_train" : split == CLRNN_SPLIT_TEST ? "_test" : NULL;
    char name[24];
    if (own) {
        snprintf(name, sizeof name, "x0%s", own);
        if (clrnn_h5_has_dataset(f, name)) return own;
        snprintf(name, sizeof name, "x%s", own);
        if (clrnn_h5_has_dataset(f, name)) return NULL; /* the split's own single input comes first */
    }
    return !clrnn_h5_has_dataset(f, "x") && clrnn_h5_has_dataset(f, "x0") ? "" : NULL;
}

static clrnn_status load_inputs(hid_t f, const char *path, const char *suffix, int unlabelled,
                                struct clrnn_data *d) {
    char xn[24], yn[24], a[160], b[160];
    snprintf(yn, sizeof yn, "y%s", suffix);
    clrnn_status s = CLRNN_OK;
    for (int k = 0; !s && k < CLRNN_DATA_MAX_INPUTS; k++) {
        snprintf(xn, sizeof xn, "x%d%s", k, suffix);
        if (!clrnn_h5_has_dataset(f, xn)) break;
        s = clrnn_h5_read_array(f, path, xn, &d->xs[k]);
        if (!s) d->n_x++;
    }
    int labelled = clrnn_h5_has_dataset(f, yn);
    if (!s && !labelled && !unlabelled)
        s = clrnn_fail(CLRNN_E_FORMAT, "%s: has x0%s but no %s", path, suffix, yn);
    if (!s && labelled) s = clrnn_h5_read_array(f, path, yn, &d->y);
    for (int k = 0; !s && k < d->n_x; k++)
        if (d->xs[k].rank < 1 || (labelled && (d->y.rank < 1 || d->xs[k].dims[0] != d->y.dims[0])))
            s = clrnn_fail(CLRNN_E_SHAPE, "%s: x%d%s has shape %s and %s has shape %s: the "
                           "numbers of samples (first axis) differ", path, k, suffix,
                           clrnn_shape_str(d->xs[k].rank, d->xs[k].dims, a, sizeof a), yn,
                           clrnn_shape_str(d->y.rank, d->y.dims, b, sizeof b));
    snprintf(d->x_name, sizeof d->x_name, "x0%.8s", suffix);
    if (labelled) snprintf(d->y_name, sizeof d->y_name, "y%.8s", suffix);
    return s;
}

static clrnn_status load_split(const char *path, clrnn_split split, int unlabelled,
                               struct clrnn_data *d) {
    hid_t f = -1;
    clrnn_status s = clrnn_h5_open_read(path, &f);
    if (s) return s;
    const char *suffix = multi_suffix(f, split);
    if (suffix) {
        s = load_inputs(f, path, suffix, unlabelled, d);
        H5Fclose(f);
        return s;
    }
    const char *xn = NULL, *yn = NULL;
    s = pick_pair(f, path, split, unlabelled, &xn, &yn);
    if (!s) s = clrnn_h5_read_array(f, path, xn, &d->x);
    if (!s && yn) s = clrnn_h5_read_array(f, path, yn, &d->y);
    H5Fclose(f);
    if (s) return s;
    char a[160], b[160];
    if (!yn) { /* inputs only: to predict */
        snprintf(d->x_name, sizeof d->x_name, "%s", xn);
        if (d->x.rank >= 1) return CLRNN_OK;
        return clrnn_fail(CLRNN_E_SHAPE, "%s: %s has shape %s; it needs samples along its first "
                          "axis", path, xn, clrnn_shape_str(d->x.rank, d->x.dims, a, sizeof a));
    }
    if (d->x.rank < 1 || d->y.rank < 1)
        return clrnn_fail(CLRNN_E_SHAPE, "%s: %s has shape %s and %s has shape %s; both need "
                          "samples along their first axis", path, xn,
                          clrnn_shape_str(d->x.rank, d->x.dims, a, sizeof a), yn,
                          clrnn_shape_str(d->y.rank, d->y.dims, b, sizeof b));
    if (d->x.dims[0] != d->y.dims[0])
        return clrnn_fail(CLRNN_E_SHAPE, "%s: %s has shape %s but %s has shape %s: the numbers of "
                          "samples (first axis) differ", path, xn,
                          clrnn_shape_str(d->x.rank, d->x.dims, a, sizeof a), yn,
                          clrnn_shape_str(d->y.rank, d->y.dims, b, sizeof b));
    snprintf(d->x_name, sizeof d->x_name, "%s", xn);
    snprintf(d->y_name, sizeof d->y_name, "%s", yn);
    return CLRNN_OK;
}

clrnn_status clrnn_fmt_data_load(const char *path, clrnn_split split, clrnn_labels labels,
                                 struct clrnn_data *out) {
    int unlabelled = labels == CLRNN_LABELS_OPTIONAL;
    if (split != CLRNN_SPLIT_TRAIN && split != CLRNN_SPLIT_TEST && split != CLRNN_SPLIT_ALL)
        return clrnn_fail(CLRNN_E_INVALID_ARG, "%s: unknown split %d", path, (int)split);
    struct clrnn_data d;
    memset(&d, 0, sizeof d);
    struct clrnn_h5_quiet q;
    clrnn_h5_quiet_begin(&q);
    clrnn_status s = load_split(path, split, unlabelled, &d);
    clrnn_h5_quiet_end(&q);
    if (s) {
        clrnn_fmt_data_clear(&d);
        return s;
    }
    *out = d;
    return CLRNN_OK;
}

void clrnn_fmt_data_clear(struct clrnn_data *d) {
    if (!d) return;
    for (int k = 0; k < d->n_x; k++) clrnn_array_clear(&d->xs[k]);
    clrnn_array_clear(&d->x);
    clrnn_array_clear(&d->y);
    memset(d, 0, sizeof *d);
}

/* ---- writing ---- */

static clrnn_status check_arrays(const char *path, const struct clrnn_fmt_named_array *arrays,
                                 int n) {
    if (n < 0 || (n > 0 && !arrays))
        return clrnn_fail(CLRNN_E_INVALID_ARG, "%s: %d arrays given", path, n);
    char where[WHERE_SIZE];
    for (int i = 0; i < n; i++) {
        const struct clrnn_fmt_named_array *na = &arrays[i];
        if (!na->name || !na->name[0] || !na->array)
            return clrnn_fail(CLRNN_E_INVALID_ARG, "%s: array %d has no %s", path, i,
                              na->array ? "name" : "data");
        snprintf(where, sizeof where, "%s: dataset '%s'", path, na->name);
        const struct clrnn_array *a = na->array;
        if (a->dtype != CLRNN_DTYPE_FLOAT32 && a->dtype != CLRNN_DTYPE_INT32)
            return clrnn_fail(CLRNN_E_INVALID_ARG, "%s: unknown dtype %d", where, (int)a->dtype);
        clrnn_status s = clrnn_h5_check_array(a->rank, a->dims, a->data, where);
        if (s) return s;
    }
    return CLRNN_OK;
}

static clrnn_status write_arrays(hid_t f, const char *path,
                                 const struct clrnn_fmt_named_array *arrays, int n) {
    char where[WHERE_SIZE];
    for (int i = 0; i < n; i++) {
        const struct clrnn_array *a = arrays[i].array;
        snprintf(where, sizeof where, "%s: dataset '%s'", path, arrays[i].name);
        if (clrnn_h5_link_exists(f, arrays[i].name))
            return clrnn_fail(CLRNN_E_INVALID_ARG, "%s: given twice", where);
        clrnn_status s = clrnn_h5_write_dataset(f, arrays[i].name, a->dtype, a->rank, a->dims,
                                                a->data, where);
        if (s) return s;
    }
    return CLRNN_OK;
}

clrnn_status clrnn_fmt_data_write(const char *path, const struct clrnn_fmt_named_array *arrays,
                                  int n) {
    if (!path) return clrnn_fail(CLRNN_E_INVALID_ARG, "clrnn_fmt_data_write: path is NULL");
    clrnn_status s = check_arrays(path, arrays, n);
    if (s) return s;
    struct clrnn_h5_quiet q;
    clrnn_h5_quiet_begin(&q);
    struct clrnn_h5_writer w;
    s = clrnn_h5_create(path, &w);
    if (!s) s = clrnn_h5_finish(&w, write_arrays(w.file, path, arrays, n));
    clrnn_h5_quiet_end(&q);
    return s;
}

/* ---- the vocabulary of a text dataset ---- */

#define VOCABULARY "vocabulary"
/* Entries read from a file at most: far above any real vocabulary, low enough that a bad
 * header cannot make the reader allocate gigabytes of pointers. */
#define MAX_VOCABULARY ((int64_t)1 << 24)

clrnn_status clrnn_h5_write_tokens(hid_t f, const char *path, const char *name,
                                   const char *const *tokens, int n) {
    char why[256];
    hsize_t dim = (hsize_t)n;
    hid_t type = H5Tcopy(H5T_C_S1), space = -1, ds = -1;
    herr_t err = type < 0 ? -1 : 0;
    if (!err) err = H5Tset_size(type, H5T_VARIABLE);
    if (!err) err = H5Tset_cset(type, H5T_CSET_UTF8);
    if (!err && (space = H5Screate_simple(1, &dim, NULL)) < 0) err = -1;
    if (!err && (ds = H5Dcreate2(f, name, type, space, H5P_DEFAULT, H5P_DEFAULT,
                                 H5P_DEFAULT)) < 0)
        err = -1;
    /* an empty dataset has nothing to write (and HDF5 would read tokens for nothing) */
    if (!err && n > 0) err = H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, tokens);
    if (ds >= 0) H5Dclose(ds);
    if (space >= 0) H5Sclose(space);
    if (type >= 0) H5Tclose(type);
    if (err < 0)
        return clrnn_fail(CLRNN_E_IO, "%s: dataset '%s': writing failed (%s)", path, name,
                          clrnn_h5_error_text(why, sizeof why));
    return CLRNN_OK;
}

clrnn_status clrnn_fmt_data_write_vocabulary(const char *path,
                                             const struct clrnn_fmt_named_array *arrays, int n,
                                             const char *const *tokens, int n_tokens) {
    if (!path)
        return clrnn_fail(CLRNN_E_INVALID_ARG, "clrnn_fmt_data_write_vocabulary: path is NULL");
    clrnn_status s = check_arrays(path, arrays, n);
    if (s) return s;
    if (n_tokens < 0 || (n_tokens > 0 && !tokens))
        return clrnn_fail(CLRNN_E_INVALID_ARG, "%s: %d vocabulary tokens given", path, n_tokens);
    for (int i = 0; i < n_tokens; i++)
        if (!tokens[i])
            return clrnn_fail(CLRNN_E_INVALID_ARG, "%s: vocabulary token %d is NULL", path, i);
    for (int i = 0; i < n; i++)
        if (strcmp(arrays[i].name, VOCABULARY) == 0)
            return clrnn_fail(CLRNN_E_INVALID_ARG, "%s: dataset '" VOCABULARY "' given twice",
                              path);
    struct clrnn_h5_quiet q;
    clrnn_h5_quiet_begin(&q);
    struct clrnn_h5_writer w;
    s = clrnn_h5_create(path, &w);
    if (!s) {
        clrnn_status ws = write_arrays(w.file, path, arrays, n);
        if (!ws) ws = clrnn_h5_write_tokens(w.file, path, VOCABULARY, tokens, n_tokens);
        s = clrnn_h5_finish(&w, ws); /* renames only when everything was written */
    }
    clrnn_h5_quiet_end(&q);
    return s;
}

void clrnn_fmt_vocabulary_free(char **tokens, int n) {
    if (!tokens) return;
    for (int i = 0; i < n; i++) clrnn_free(tokens[i]);
    clrnn_free(tokens);
}

/* Reads the open dataset ds (1-D strings, vlen or fixed-length) into new strings. */
static clrnn_status read_tokens(hid_t ds, const char *where, char ***out, int *count) {
    char why[256], tname[64];
    clrnn_status s = CLRNN_OK;
    hid_t type = H5Dget_type(ds), space = type >= 0 ? H5Dget_space(ds) : -1, mem = -1;
    int rank = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
    hssize_t np = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
    char **tokens = NULL, **raw = NULL, *fixed = NULL;
    size_t n = np > 0 ? (size_t)np : 0, width = 0;
    if (type < 0 || space < 0 || rank < 0 || np < 0) {
        s = clrnn_fail(CLRNN_E_FORMAT, "%s: cannot be read (%s)", where,
                       clrnn_h5_error_text(why, sizeof why));
        goto done;
    }
    if (H5Tget_class(type) != H5T_STRING || rank != 1) {
        s = clrnn_fail(CLRNN_E_FORMAT, "%s: holds %s of rank %d, expected a 1-D list of strings",
                       where, clrnn_h5_type_str(type, tname, sizeof tname), rank);
        goto done;
    }
    if ((int64_t)n > MAX_VOCABULARY) {
        s = clrnn_fail(CLRNN_E_FORMAT, "%s: has %zu entries, more than %lld", where, n,
                       (long long)MAX_VOCABULARY);
        goto done;
    }
    tokens = clrnn_calloc(n ? n : 1, sizeof *tokens);
    if (!tokens) {
        s = clrnn_fail(CLRNN_E_NOMEM, "%s: out of memory for %zu tokens", where, n);
        goto done;
    }
    if (n == 0) goto done;
    /* the memory type keeps the file's charset: HDF5 will not convert ASCII <-> UTF-8 */
    htri_t vlen = H5Tis_variable_str(type);
    if ((mem = H5Tcopy(type)) < 0 || vlen < 0) {
        s = clrnn_fail(CLRNN_E_FORMAT, "%s: its string type cannot be read (%s)", where,
                       clrnn_h5_error_text(why, sizeof why));
        goto done;
    }
    if (vlen) {
        raw = clrnn_calloc(n, sizeof *raw);
        if (!raw) s = clrnn_fail(CLRNN_E_NOMEM, "%s: out of memory for %zu tokens", where, n);
        else if (H5Dread(ds, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) < 0)
            s = clrnn_fail(CLRNN_E_FORMAT, "%s: reading failed (%s)", where,
                           clrnn_h5_error_text(why, sizeof why));
        for (size_t i = 0; !s && i < n; i++)
            if (!(tokens[i] = clrnn_strdup(raw[i] ? raw[i] : "")))
                s = clrnn_fail(CLRNN_E_NOMEM, "%s: out of memory", where);
        if (raw) H5Dvlen_reclaim(mem, space, H5P_DEFAULT, raw); /* NULLs are skipped */
    } else {
        width = H5Tget_size(type);
        fixed = width && n <= SIZE_MAX / width ? clrnn_malloc(n * width) : NULL;
        if (!fixed) s = clrnn_fail(CLRNN_E_NOMEM, "%s: out of memory for %zu tokens", where, n);
        else if (H5Dread(ds, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, fixed) < 0)
            s = clrnn_fail(CLRNN_E_FORMAT, "%s: reading failed (%s)", where,
                           clrnn_h5_error_text(why, sizeof why));
        for (size_t i = 0; !s && i < n; i++) {
            const char *e = fixed + i * width;
            size_t len = 0;
            while (len < width && e[len]) len++; /* NULLPAD or NULLTERM */
            if (!(tokens[i] = clrnn_malloc(len + 1))) {
                s = clrnn_fail(CLRNN_E_NOMEM, "%s: out of memory", where);
                break;
            }
            memcpy(tokens[i], e, len);
            tokens[i][len] = '\0';
        }
    }
done:
    clrnn_free(raw);
    clrnn_free(fixed);
    if (mem >= 0) H5Tclose(mem);
    if (space >= 0) H5Sclose(space);
    if (type >= 0) H5Tclose(type);
    if (s) {
        clrnn_fmt_vocabulary_free(tokens, (int)n);
        return s;
    }
    *out = tokens;
    *count = (int)n;
    return CLRNN_OK;
}

clrnn_status clrnn_fmt_h5_read_tokens(const char *path, const char *name, char ***tokens,
                                      int *n) {
    if (!path || !name || !tokens || !n)
        return clrnn_fail(CLRNN_E_INVALID_ARG, "clrnn_fmt_h5_read_tokens: NULL argument");
    *tokens = NULL;
    *n = 0;
    char have[256];
    struct clrnn_h5_quiet q;
    clrnn_h5_quiet_begin(&q);
    hid_t f = -1;
    clrnn_status s = clrnn_h5_open_read(path, &f);
    if (!s && !clrnn_h5_has_dataset(f, name))
        s = clrnn_fail(CLRNN_E_FORMAT, "%s: no %s (the file has: %s)", path, name,
                       root_names(f, have, sizeof have));
    if (!s) s = clrnn_h5_read_tokens(f, path, name, tokens, n);
    if (f >= 0) H5Fclose(f);
    clrnn_h5_quiet_end(&q);
    return s;
}

clrnn_status clrnn_h5_read_tokens(hid_t f, const char *path, const char *name, char ***tokens,
                                  int *n) {
    char where[WHERE_SIZE];
    snprintf(where, sizeof where, "%s: dataset '%s'", path, name);
    hid_t ds = -1;
    clrnn_status s = clrnn_h5_open_dataset(f, name, where, &ds);
    if (!s) s = read_tokens(ds, where, tokens, n);
    if (ds >= 0) H5Oclose(ds);
    return s;
}

clrnn_status clrnn_fmt_data_read_vocabulary(const char *path, char ***tokens, int *n) {
    return clrnn_fmt_h5_read_tokens(path, VOCABULARY, tokens, n);
}
