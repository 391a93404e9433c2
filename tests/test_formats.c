/*
 * test_formats.c - formats/ on its own (no device).
 *
 * - Legacy Keras .h5 round trips, full model and weights only: six layers (Embedding,
 *   Bidirectional LSTM, a weight-less Dropout, GRU, odd shapes, Dense), weight names with
 *   '/', a 100 KB UTF-8 model_config; every name, shape and value compared bit for bit; the
 *   on-disk encodings checked with the raw HDF5 API; name lists over 64512 bytes split into
 *   layer_names0, layer_names1 as Keras does.
 * - Files written here with the raw HDF5 API in every encoding Keras and h5py have used:
 *   vlen ASCII and UTF-8, fixed-length NULLPAD, NULLTERM and SPACEPAD, scalar and one-element
 *   string attributes, name lists split into name0, name1, empty lists as float64 (0,) or as
 *   a zero-length string array.
 * - Dataset files: int32 and float32 round trips, other integer and float types converted,
 *   int32 range checks, split selection, and bad datasets.
 * - Bad input: missing, directory, empty, non-HDF5, truncated, non-Keras files, missing
 *   datasets, groups and attributes, wrong types, over-limit shapes and name lists. Each
 *   gives the right status and a message naming the file (and the layer and weight).
 * - Writers leave an existing file untouched and no temporary file behind on failure.
 * - Allocation failures injected at every allocation of a read, a write and a dataset load
 *   give CLRNN_E_NOMEM and never a crash or leak (run under ASan); no HDF5 id stays open
 *   after any call; HDF5 never prints, and the caller's HDF5 error printing is restored.
 */
#include <dirent.h>
#include <fcntl.h>
#include <float.h>
#include <hdf5.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clrnn_base.h"
#include "clrnn_formats.h"
#include "test.h"

/* ---- helpers ---- */

static long open_ids(void) { return (long)H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL); }

#define CHECK_NO_OPEN_IDS() CHECK_INT_EQ(open_ids(), 0)

static void expect_status_(const char *file, int line, clrnn_status got, clrnn_status want,
                           const char *text) {
    const char *msg = clrnn_last_error();
    if (got == want && strstr(msg, text)) {
        test_passed_++;
    } else {
        test_failed_++;
        fprintf(stderr, "%s:%d: got %s \"%s\", expected %s with \"%s\"\n", file, line,
                clrnn_status_str(got), msg, clrnn_status_str(want), text);
    }
    if (open_ids() != 0) {
        test_failed_++;
        fprintf(stderr, "%s:%d: %ld HDF5 ids left open\n", file, line, open_ids());
    }
}
/* The call returns want and clrnn_last_error() contains text; no HDF5 id is left open. */
#define EXPECT_STATUS(call, want, text) expect_status_(__FILE__, __LINE__, (call), (want), (text))

/* Reads path expecting a failure; *out must come back zeroed. */
static void expect_read_fail_(const char *file, int line, const char *path, clrnn_status want,
                              const char *text) {
    struct clrnn_fmt_model r;
    memset(&r, 0xab, sizeof r);
    clrnn_status s = clrnn_fmt_h5_read(path, &r);
    expect_status_(file, line, s, want, text);
    struct clrnn_fmt_model zero;
    memset(&zero, 0, sizeof zero);
    if (memcmp(&r, &zero, sizeof r) != 0) {
        test_failed_++;
        fprintf(stderr, "%s:%d: the output of a failed read is not zeroed\n", file, line);
    }
    if (s == CLRNN_OK) clrnn_fmt_model_clear(&r);
}
#define EXPECT_READ_FAIL(path, want, text) expect_read_fail_(__FILE__, __LINE__, path, want, text)

static int temp_files_left(void) {
    DIR *d = opendir(".");
    int n = 0;
    if (!d) return -1;
    for (struct dirent *e; (e = readdir(d));)
        if (strstr(e->d_name, ".tmp-")) n++;
    closedir(d);
    return n;
}

static int file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* The whole file, malloc'ed; *size gets its length. */
static char *file_bytes(const char *path, long *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    *size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)*size + 1);
    if (buf && fread(buf, 1, (size_t)*size, f) != (size_t)*size) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

static int same_bytes(const char *path, const char *bytes, long size) {
    long n = 0;
    char *now = file_bytes(path, &n);
    int same = now && n == size && memcmp(now, bytes, (size_t)n) == 0;
    free(now);
    return same;
}

static size_t count_of(int rank, const int64_t *dims) {
    size_t n = 1;
    for (int i = 0; i < rank; i++) n *= (size_t)dims[i];
    return n;
}

/* 1 when an injected allocation failure set with clrnn_alloc_fail_after(k) is still
 * waiting (the call did not reach it); switches the injection off. */
static int injection_pending(long k) {
    int pending = 0;
    for (long i = 0; i < k && !pending; i++) {
        void *p = clrnn_malloc(1);
        if (!p) pending = 1;
        clrnn_free(p);
    }
    clrnn_alloc_fail_after(0);
    return pending;
}

/* ---- stderr capture: HDF5 must never print ---- */

static int saved_stderr = -1;

static void capture_begin(void) {
    fflush(stderr);
    int fd = open("fmt_stderr.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return;
    saved_stderr = dup(2);
    dup2(fd, 2);
    close(fd);
}

static void capture_end(void) {
    if (saved_stderr < 0) return;
    fflush(stderr);
    dup2(saved_stderr, 2);
    close(saved_stderr);
    saved_stderr = -1;
    long n = 0;
    char *text = file_bytes("fmt_stderr.txt", &n);
    if (text) {
        text[n] = '\0';
        fputs(text, stderr); /* replay (failed checks print there) */
        CHECK(strstr(text, "HDF5-DIAG") == NULL);
        free(text);
    }
    unlink("fmt_stderr.txt");
}

/* ---- a sample model ---- */

struct wspec {
    const char *name;
    int rank;
    int64_t dims[3];
};
struct lspec {
    const char *name;
    int n;
    struct wspec w[6];
};

#define FWD "bidirectional/forward_lstm/lstm_cell/"
#define BWD "bidirectional/backward_lstm/lstm_cell/"
static const struct lspec SPEC[] = {
    {"embedding", 1, {{"embedding/embeddings:0", 2, {7, 3}}}},
    {"bidirectional", 6, {{FWD "kernel:0", 2, {3, 8}}, {FWD "recurrent_kernel:0", 2, {2, 8}},
                          {FWD "bias:0", 1, {8}}, {BWD "kernel:0", 2, {3, 8}},
                          {BWD "recurrent_kernel:0", 2, {2, 8}}, {BWD "bias:0", 1, {8}}}},
    {"dropout", 0, {{NULL, 0, {0}}}},
    {"gru", 3, {{"gru/gru_cell/kernel:0", 2, {4, 9}},
                {"gru/gru_cell/recurrent_kernel:0", 2, {3, 9}},
                {"gru/gru_cell/bias:0", 2, {2, 9}}}},
    {"odd", 3, {{"odd/cube:0", 3, {2, 3, 4}}, {"odd/none:0", 2, {0, 4}}, {"odd/step:0", 0, {0}}}},
    {"dense", 2, {{"dense/kernel:0", 2, {3, 1}}, {"dense/bias:0", 1, {1}}}},
};
#define N_SAMPLE_LAYERS ((int)(sizeof SPEC / sizeof SPEC[0]))

struct sample {
    struct clrnn_fmt_model m;
    struct clrnn_fmt_layer layers[N_SAMPLE_LAYERS];
    struct clrnn_fmt_weight w[N_SAMPLE_LAYERS][6];
};

/* A JSON-like text of about 100 KB with UTF-8 in it (its content is not parsed here). */
static char *big_config(void) {
    size_t size = 120000, n = 0;
    char *s = malloc(size);
    n += (size_t)snprintf(s + n, size - n, "{\"class_name\": \"Sequential\", \"config\": "
                          "{\"name\": \"s\xc3\xa9quence\", \"layers\": [");
    for (int i = 0; n < 100000; i++)
        n += (size_t)snprintf(s + n, size - n, "%s{\"class_name\": \"Dense\", \"config\": "
                              "{\"name\": \"d%05d\"}}", i ? ", " : "", i);
    snprintf(s + n, size - n, "]}}");
    return s;
}

static void sample_make(struct sample *s, int full) {
    static const float SPECIAL[6] = {0, -0.0f, 1e-40f, FLT_MAX, -FLT_MAX, 1.0f / 3};
    memset(s, 0, sizeof *s);
    for (int li = 0; li < N_SAMPLE_LAYERS; li++) {
        struct clrnn_fmt_layer *l = &s->layers[li];
        l->name = (char *)SPEC[li].name;
        l->n_weights = SPEC[li].n;
        l->weights = SPEC[li].n ? s->w[li] : NULL;
        for (int wi = 0; wi < SPEC[li].n; wi++) {
            struct clrnn_fmt_weight *w = &s->w[li][wi];
            w->name = (char *)SPEC[li].w[wi].name;
            w->rank = SPEC[li].w[wi].rank;
            memcpy(w->dims, SPEC[li].w[wi].dims, sizeof SPEC[li].w[wi].dims);
            size_t n = count_of(w->rank, w->dims);
            w->data = malloc((n ? n : 1) * sizeof *w->data);
            for (size_t i = 0; i < n; i++)
                w->data[i] = (float)sin(0.1 * (double)(i + 1) + li + 0.37 * wi);
            if (strcmp(w->name, "odd/cube:0") == 0) {
                memcpy(w->data, SPECIAL, sizeof SPECIAL);
                w->data[6] = NAN;
                w->data[7] = INFINITY;
                w->data[8] = -INFINITY;
            }
        }
    }
    s->m.n_layers = N_SAMPLE_LAYERS;
    s->m.layers = s->layers;
    s->m.keras_version = (char *)"2.15.0";
    s->m.backend = (char *)"tensorflow";
    if (full) {
        s->m.model_config = big_config();
        s->m.training_config = (char *)"{\"loss\": \"mse\", \"optimizer_config\": "
                                       "{\"class_name\": \"Adam\"}}";
    }
}

static void sample_free(struct sample *s) {
    for (int li = 0; li < N_SAMPLE_LAYERS; li++)
        for (int wi = 0; wi < SPEC[li].n; wi++) free(s->w[li][wi].data);
    free(s->m.model_config);
    memset(s, 0, sizeof *s);
}

static int same_text(const char *a, const char *b) {
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* got must equal want in every name, shape and value (bit for bit). */
static void check_same_model(const char *label, const struct clrnn_fmt_model *got,
                             const struct clrnn_fmt_model *want) {
    int bad = 0;
    if (!same_text(got->model_config, want->model_config) ||
        !same_text(got->training_config, want->training_config) ||
        !same_text(got->keras_version, want->keras_version) ||
        !same_text(got->backend, want->backend)) {
        fprintf(stderr, "%s: the text attributes differ\n", label);
        bad++;
    }
    if (got->n_layers != want->n_layers) {
        fprintf(stderr, "%s: %d layers, expected %d\n", label, got->n_layers, want->n_layers);
        CHECK(0);
        return;
    }
    for (int i = 0; i < got->n_layers; i++) {
        const struct clrnn_fmt_layer *g = &got->layers[i], *w = &want->layers[i];
        if (strcmp(g->name, w->name) != 0 || g->n_weights != w->n_weights) {
            fprintf(stderr, "%s: layer %d is '%s' with %d weights, expected '%s' with %d\n",
                    label, i, g->name, g->n_weights, w->name, w->n_weights);
            bad++;
            continue;
        }
        for (int j = 0; j < g->n_weights; j++) {
            const struct clrnn_fmt_weight *gw = &g->weights[j], *ww = &w->weights[j];
            size_t n = count_of(ww->rank, ww->dims);
            if (strcmp(gw->name, ww->name) != 0 || gw->rank != ww->rank ||
                memcmp(gw->dims, ww->dims, (size_t)ww->rank * sizeof *ww->dims) != 0 ||
                (n && memcmp(gw->data, ww->data, n * sizeof *gw->data) != 0)) {
                fprintf(stderr, "%s: layer '%s' weight %d ('%s') differs\n", label, w->name, j,
                        ww->name);
                bad++;
            }
        }
    }
    CHECK_INT_EQ(bad, 0);
}

/* ---- raw HDF5 inspection and writing ---- */

struct attr_info {
    H5T_class_t cls;
    int vlen, scalar;
    H5T_cset_t cset;
    H5T_str_t pad;
    size_t size;
    long long n;
};

static int attr_info(hid_t f, const char *obj, const char *name, struct attr_info *ai) {
    memset(ai, 0, sizeof *ai);
    hid_t a = H5Aopen_by_name(f, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0) return -1;
    hid_t t = H5Aget_type(a), sp = H5Aget_space(a);
    ai->cls = H5Tget_class(t);
    ai->size = H5Tget_size(t);
    if (ai->cls == H5T_STRING) {
        ai->vlen = H5Tis_variable_str(t) > 0;
        ai->cset = H5Tget_cset(t);
        ai->pad = H5Tget_strpad(t);
    }
    ai->scalar = H5Sget_simple_extent_type(sp) == H5S_SCALAR;
    ai->n = (long long)H5Sget_simple_extent_npoints(sp);
    H5Sclose(sp);
    H5Tclose(t);
    H5Aclose(a);
    return 0;
}

enum enc {
    VLEN_ASCII, VLEN_UTF8, FIXED_NULLPAD, FIXED_NULLTERM, FIXED_SPACEPAD, FIXED_UTF8, N_ENC
};
static const char *const ENC_NAME[N_ENC] = {"vlen ASCII",  "vlen UTF-8",     "fixed NULLPAD",
                                            "fixed NULLTERM", "fixed SPACEPAD", "fixed UTF-8"};

/* String attribute attr of obj holding v[0..n) in encoding e; scalar: a scalar dataspace
 * (n must be 1). Fixed-length strings get 3 bytes of padding beyond the longest. */
static void put_strings(hid_t obj, const char *attr, const char *const *v, int n, enum enc e,
                        int scalar) {
    hsize_t dims[1] = {(hsize_t)n};
    hid_t type = H5Tcopy(H5T_C_S1);
    hid_t space = scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, dims, NULL);
    herr_t err;
    H5Tset_cset(type, e == VLEN_UTF8 || e == FIXED_UTF8 ? H5T_CSET_UTF8 : H5T_CSET_ASCII);
    if (e == VLEN_ASCII || e == VLEN_UTF8) {
        H5Tset_size(type, H5T_VARIABLE);
        hid_t a = H5Acreate2(obj, attr, type, space, H5P_DEFAULT, H5P_DEFAULT);
        err = n ? H5Awrite(a, type, v) : a >= 0 ? 0 : -1; /* HDF5 wants a buffer even for 0 */
        H5Aclose(a);
    } else {
        size_t width = 1;
        for (int i = 0; i < n; i++)
            if (strlen(v[i]) > width) width = strlen(v[i]);
        width += 3;
        char *buf = malloc((size_t)n * width + 1);
        memset(buf, e == FIXED_SPACEPAD ? ' ' : '\0', (size_t)n * width);
        for (int i = 0; i < n; i++) memcpy(buf + (size_t)i * width, v[i], strlen(v[i]));
        H5Tset_size(type, width);
        H5Tset_strpad(type, e == FIXED_NULLTERM   ? H5T_STR_NULLTERM
                            : e == FIXED_SPACEPAD ? H5T_STR_SPACEPAD
                                                  : H5T_STR_NULLPAD);
        hid_t a = H5Acreate2(obj, attr, type, space, H5P_DEFAULT, H5P_DEFAULT);
        err = H5Awrite(a, type, buf);
        H5Aclose(a);
        free(buf);
    }
    H5Sclose(space);
    H5Tclose(type);
    CHECK(err >= 0);
}

/* What Keras writes for an empty list: a float64 attribute of shape (0,). */
static void put_empty_f64(hid_t obj, const char *attr) {
    hsize_t zero[1] = {0};
    hid_t sp = H5Screate_simple(1, zero, NULL);
    hid_t a = H5Acreate2(obj, attr, H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
    CHECK(a >= 0);
    H5Aclose(a);
    H5Sclose(sp);
}

/* A dataset at path (intermediate groups created) of file type ftype from memory data. */
static void put_dataset(hid_t loc, const char *path, hid_t ftype, hid_t mtype, int rank,
                        const hsize_t *dims, const void *data) {
    hid_t sp = rank ? H5Screate_simple(rank, dims, NULL) : H5Screate(H5S_SCALAR);
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(lcpl, 1);
    hid_t ds = H5Dcreate2(loc, path, ftype, sp, lcpl, H5P_DEFAULT, H5P_DEFAULT);
    CHECK(ds >= 0 && H5Dwrite(ds, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0);
    H5Dclose(ds);
    H5Pclose(lcpl);
    H5Sclose(sp);
}

/* ---- model files ---- */

static void test_model_round_trip(void) {
    struct sample s;
    struct clrnn_fmt_model r;
    struct attr_info ai;

    /* full model */
    sample_make(&s, 1);
    CHECK(clrnn_fmt_h5_write("fmt_full.h5", &s.m) == CLRNN_OK);
    CHECK_NO_OPEN_IDS();
    CHECK_INT_EQ(clrnn_fmt_is_hdf5("fmt_full.h5"), 1);
    CHECK(clrnn_fmt_h5_read("fmt_full.h5", &r) == CLRNN_OK);
    CHECK_NO_OPEN_IDS();
    check_same_model("full model", &r, &s.m);
    clrnn_fmt_model_clear(&r);
    CHECK(r.layers == NULL && r.n_layers == 0 && r.model_config == NULL);
    clrnn_fmt_model_clear(NULL);

    /* what is on disk (keras-format.md 1.2, 2) */
    hid_t f = H5Fopen("fmt_full.h5", H5F_ACC_RDONLY, H5P_DEFAULT);
    CHECK(attr_info(f, "/", "model_config", &ai) == 0 && ai.cls == H5T_STRING && ai.vlen &&
          ai.scalar && ai.cset == H5T_CSET_ASCII);
    CHECK(attr_info(f, "/", "training_config", &ai) == 0 && ai.vlen && ai.scalar);
    CHECK(attr_info(f, "/", "keras_version", &ai) == 0 && ai.vlen && ai.scalar);
    CHECK(attr_info(f, "/", "backend", &ai) == 0 && ai.vlen && ai.scalar);
    CHECK(attr_info(f, "/model_weights", "layer_names", &ai) == 0 && ai.cls == H5T_STRING &&
          !ai.vlen && ai.pad == H5T_STR_NULLPAD && ai.cset == H5T_CSET_ASCII &&
          ai.n == N_SAMPLE_LAYERS && ai.size == strlen("bidirectional"));
    CHECK(attr_info(f, "/model_weights", "keras_version", &ai) == 0 && ai.vlen);
    CHECK(attr_info(f, "/model_weights", "backend", &ai) == 0 && ai.vlen);
    CHECK(attr_info(f, "/model_weights/dropout", "weight_names", &ai) == 0 &&
          ai.cls == H5T_FLOAT && ai.size == 8 && ai.n == 0);
    CHECK(attr_info(f, "/model_weights/bidirectional", "weight_names", &ai) == 0 && ai.n == 6);
    hid_t ds = H5Dopen2(f, "/model_weights/bidirectional/" FWD "kernel:0", H5P_DEFAULT);
    hid_t t = H5Dget_type(ds), sp = H5Dget_space(ds);
    hsize_t d[2] = {0, 0};
    CHECK(H5Tequal(t, H5T_IEEE_F32LE) > 0 && H5Sget_simple_extent_dims(sp, d, NULL) == 2 &&
          d[0] == 3 && d[1] == 8);
    H5Sclose(sp), H5Tclose(t), H5Dclose(ds);
    ds = H5Dopen2(f, "/model_weights/odd/odd/step:0", H5P_DEFAULT);
    sp = H5Dget_space(ds);
    CHECK(H5Sget_simple_extent_type(sp) == H5S_SCALAR);
    H5Sclose(sp), H5Dclose(ds);
    H5Fclose(f);

    /* no training_config; no keras_version/backend given: defaults are written */
    s.m.training_config = NULL;
    s.m.keras_version = s.m.backend = NULL;
    CHECK(clrnn_fmt_h5_write("fmt_full.h5", &s.m) == CLRNN_OK); /* over an existing file */
    CHECK(clrnn_fmt_h5_read("fmt_full.h5", &r) == CLRNN_OK);
    CHECK(r.training_config == NULL && r.keras_version && r.backend &&
          strcmp(r.backend, "tensorflow") == 0);
    clrnn_fmt_model_clear(&r);
    sample_free(&s);

    /* weights only (save_weights layout at the root) */
    sample_make(&s, 0);
    CHECK(clrnn_fmt_h5_write("fmt_weights.h5", &s.m) == CLRNN_OK);
    CHECK(clrnn_fmt_h5_read("fmt_weights.h5", &r) == CLRNN_OK);
    CHECK(r.model_config == NULL && r.training_config == NULL);
    check_same_model("weights only", &r, &s.m);
    clrnn_fmt_model_clear(&r);
    f = H5Fopen("fmt_weights.h5", H5F_ACC_RDONLY, H5P_DEFAULT);
    CHECK(H5Lexists(f, "model_weights", H5P_DEFAULT) == 0);
    CHECK(H5Aexists(f, "model_config") == 0 && H5Aexists(f, "layer_names") > 0 &&
          H5Aexists(f, "keras_version") > 0 && H5Aexists(f, "backend") > 0);
    CHECK(H5Lexists(f, "/gru/gru/gru_cell/bias:0", H5P_DEFAULT) > 0);
    H5Fclose(f);

    /* an empty model */
    struct clrnn_fmt_model empty;
    memset(&empty, 0, sizeof empty);
    CHECK(clrnn_fmt_h5_write("fmt_empty.h5", &empty) == CLRNN_OK);
    CHECK(clrnn_fmt_h5_read("fmt_empty.h5", &r) == CLRNN_OK);
    CHECK(r.n_layers == 0 && r.layers == NULL && r.keras_version);
    clrnn_fmt_model_clear(&r);
    sample_free(&s);
    CHECK_INT_EQ(temp_files_left(), 0);
    CHECK_NO_OPEN_IDS();
}

/* Over 64512 bytes of names: split into layer_names0, layer_names1 as Keras does. */
static void test_split_name_lists(void) {
    enum { N = 700, LEN = 100 };
    static char names[N][LEN + 1];
    static struct clrnn_fmt_layer layers[N];
    for (int i = 0; i < N; i++) {
        memset(names[i], 'a' + i % 26, LEN);
        snprintf(names[i], LEN + 1, "layer_%04d", i);
        names[i][strlen(names[i])] = 'x'; /* keep the full LEN bytes */
        names[i][LEN] = '\0';
        layers[i].name = names[i];
        layers[i].n_weights = 0;
        layers[i].weights = NULL;
    }
    struct clrnn_fmt_model m, r;
    memset(&m, 0, sizeof m);
    m.n_layers = N;
    m.layers = layers;
    CHECK(clrnn_fmt_h5_write("fmt_split.h5", &m) == CLRNN_OK);
    struct attr_info ai;
    hid_t f = H5Fopen("fmt_split.h5", H5F_ACC_RDONLY, H5P_DEFAULT);
    /* 700 x 100 bytes > 64512: two chunks of 350 */
    CHECK(H5Aexists(f, "layer_names") == 0 && H5Aexists(f, "layer_names2") == 0);
    CHECK(attr_info(f, "/", "layer_names0", &ai) == 0 && ai.n == 350 && ai.size == LEN &&
          !ai.vlen);
    CHECK(attr_info(f, "/", "layer_names1", &ai) == 0 && ai.n == 350);
    H5Fclose(f);
    CHECK(clrnn_fmt_h5_read("fmt_split.h5", &r) == CLRNN_OK);
    CHECK_INT_EQ(r.n_layers, N);
    int bad = 0;
    for (int i = 0; i < r.n_layers && i < N; i++)
        bad += strcmp(r.layers[i].name, names[i]) != 0 || r.layers[i].n_weights != 0;
    CHECK_INT_EQ(bad, 0);
    clrnn_fmt_model_clear(&r);
    unlink("fmt_split.h5");
    CHECK_NO_OPEN_IDS();
}

/* A file in encoding e, written with the raw API: full (model_config at the root and a
 * model_weights group) or weights only; split: name lists as name0, name1, ... */
static void write_encoded(const char *path, enum enc e, int full, int split,
                          const char *config, const char *dense) {
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t root = f;
    const char *version[1] = {"2.2.5"}, *backend[1] = {"tensorflow"};
    const char *layer_names[3] = {"embedding", "dropout", dense};
    if (full) {
        const char *cfg[1] = {config}, *tc[1] = {"{\"loss\": \"mse\"}"};
        put_strings(f, "model_config", cfg, 1, e, 1);
        put_strings(f, "training_config", tc, 1, e, 0); /* a one-element array */
        root = H5Gcreate2(f, "model_weights", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    }
    put_strings(f, "keras_version", version, 1, e, 1);
    put_strings(f, "backend", backend, 1, e, 0);
    if (split) {
        put_strings(root, "layer_names0", layer_names, 2, e, 0);
        put_strings(root, "layer_names1", layer_names + 2, 1, e, 0);
    } else {
        put_strings(root, "layer_names", layer_names, 3, e, 0);
    }
    hid_t g = H5Gcreate2(root, "embedding", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    const char *ew[1] = {"embedding/embeddings:0"};
    put_strings(g, "weight_names", ew, 1, e, 0);
    static const double EMB[4] = {0.5, -1.25, 3.0, 1e-3};
    hsize_t d22[2] = {2, 2}, d21[2] = {2, 1}, d1[1] = {1};
    put_dataset(g, ew[0], H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, d22, EMB);
    H5Gclose(g);
    g = H5Gcreate2(root, "dropout", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (split)
        put_strings(g, "weight_names", NULL, 0, VLEN_ASCII, 0); /* a zero-length string list */
    else
        put_empty_f64(g, "weight_names");
    H5Gclose(g);
    g = H5Gcreate2(root, dense, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    const char *dw[2] = {"dense/kernel:0", "dense/bias:0"};
    if (split) {
        put_strings(g, "weight_names0", dw, 1, e, 0);
        put_strings(g, "weight_names1", dw + 1, 1, e, 0);
    } else {
        put_strings(g, "weight_names", dw, 2, e, 0);
    }
    static const double KERNEL[2] = {2.5, -7};
    static const int BIAS[1] = {42};
    put_dataset(g, dw[0], H5T_IEEE_F64BE, H5T_NATIVE_DOUBLE, 2, d21, KERNEL);
    put_dataset(g, dw[1], H5T_STD_I32LE, H5T_NATIVE_INT, 1, d1, BIAS);
    H5Gclose(g);
    if (root != f) H5Gclose(root);
    H5Fclose(f);
}

static void test_encodings(void) {
    const char *config = "{\"class_name\": \"Sequential\", \"note\": \"caf\xc3\xa9\"}";
    for (int e = 0; e < N_ENC; e++) {
        for (int variant = 0; variant < 4; variant++) {
            int full = variant & 1, split = variant >> 1;
            const char *dense = e == VLEN_UTF8 || e == FIXED_UTF8 ? "d\xc3\xa9nse" : "dense";
            write_encoded("fmt_enc.h5", (enum enc)e, full, split, config, dense);
            struct clrnn_fmt_model r;
            clrnn_status s = clrnn_fmt_h5_read("fmt_enc.h5", &r);
            if (s != CLRNN_OK)
                fprintf(stderr, "%s, %s%s: %s\n", ENC_NAME[e], full ? "full" : "weights",
                        split ? ", split" : "", clrnn_last_error());
            CHECK(s == CLRNN_OK);
            CHECK_NO_OPEN_IDS();
            int ok = s == CLRNN_OK && r.n_layers == 3;
            ok = ok && same_text(r.keras_version, "2.2.5") && same_text(r.backend, "tensorflow");
            ok = ok && (full ? same_text(r.model_config, config) &&
                                   same_text(r.training_config, "{\"loss\": \"mse\"}")
                             : !r.model_config && !r.training_config);
            ok = ok && strcmp(r.layers[0].name, "embedding") == 0 &&
                 strcmp(r.layers[1].name, "dropout") == 0 && strcmp(r.layers[2].name, dense) == 0;
            ok = ok && r.layers[0].n_weights == 1 && r.layers[1].n_weights == 0 &&
                 r.layers[2].n_weights == 2;
            if (ok) {
                const struct clrnn_fmt_weight *emb = &r.layers[0].weights[0];
                const struct clrnn_fmt_weight *k = &r.layers[2].weights[0];
                const struct clrnn_fmt_weight *b = &r.layers[2].weights[1];
                ok = strcmp(emb->name, "embedding/embeddings:0") == 0 && emb->rank == 2 &&
                     emb->dims[0] == 2 && emb->dims[1] == 2 && emb->data[0] == 0.5f &&
                     emb->data[1] == -1.25f && emb->data[2] == 3.0f && emb->data[3] == (float)1e-3;
                ok = ok && strcmp(k->name, "dense/kernel:0") == 0 && k->rank == 2 &&
                     k->dims[0] == 2 && k->dims[1] == 1 && k->data[0] == 2.5f && k->data[1] == -7;
                ok = ok && strcmp(b->name, "dense/bias:0") == 0 && b->rank == 1 &&
                     b->dims[0] == 1 && b->data[0] == 42.0f;
            }
            if (!ok)
                fprintf(stderr, "%s, %s%s: wrong content\n", ENC_NAME[e],
                        full ? "full" : "weights", split ? ", split" : "");
            CHECK(ok);
            if (s == CLRNN_OK) clrnn_fmt_model_clear(&r);
        }
    }
    unlink("fmt_enc.h5");
}

/* Writes the full sample to path, then lets the caller damage it. */
static hid_t sample_file(const char *path) {
    struct sample s;
    sample_make(&s, 1);
    CHECK(clrnn_fmt_h5_write(path, &s.m) == CLRNN_OK);
    sample_free(&s);
    return H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
}

#define KERNEL_PATH "model_weights/dense/dense/kernel:0"

static void test_bad_model_files(void) {
    /* files that cannot be read, or are not HDF5 */
    EXPECT_READ_FAIL("fmt_missing.h5", CLRNN_E_IO, "fmt_missing.h5: No such file or directory");
    CHECK_INT_EQ(clrnn_fmt_is_hdf5("fmt_missing.h5"), -1);
    mkdir("fmt_dir.h5", 0755);
    EXPECT_READ_FAIL("fmt_dir.h5", CLRNN_E_IO, "fmt_dir.h5: Is a directory");
    FILE *t = fopen("fmt_empty_file.h5", "w");
    fclose(t);
    EXPECT_READ_FAIL("fmt_empty_file.h5", CLRNN_E_FORMAT, "fmt_empty_file.h5: not an HDF5 file");
    t = fopen("fmt_text.h5", "w");
    fputs("{\"class_name\": \"Sequential\"}\n", t);
    fclose(t);
    EXPECT_READ_FAIL("fmt_text.h5", CLRNN_E_FORMAT, "fmt_text.h5: not an HDF5 file");
    CHECK_INT_EQ(clrnn_fmt_is_hdf5("fmt_text.h5"), 0);

    /* a good file cut in half */
    H5Fclose(sample_file("fmt_trunc.h5"));
    long size = 0;
    free(file_bytes("fmt_trunc.h5", &size));
    CHECK(truncate("fmt_trunc.h5", size / 2) == 0);
    EXPECT_READ_FAIL("fmt_trunc.h5", CLRNN_E_FORMAT,
                     "fmt_trunc.h5: HDF5 cannot open it (truncated");

    /* HDF5, but not Keras */
    struct clrnn_array a;
    int64_t dims[1] = {3};
    CHECK(clrnn_array_alloc(&a, CLRNN_DTYPE_FLOAT32, 1, dims) == CLRNN_OK);
    struct clrnn_fmt_named_array na = {"x", &a};
    CHECK(clrnn_fmt_data_write("fmt_notkeras.h5", &na, 1) == CLRNN_OK);
    clrnn_array_clear(&a);
    EXPECT_READ_FAIL("fmt_notkeras.h5", CLRNN_E_FORMAT, "fmt_notkeras.h5: not a Keras model or "
                     "weights file (no model_config or layer_names)");

    /* damaged Keras files */
    hid_t f = sample_file("fmt_bad.h5");
    H5Ldelete(f, KERNEL_PATH, H5P_DEFAULT);
    H5Fclose(f);
    EXPECT_READ_FAIL("fmt_bad.h5", CLRNN_E_FORMAT,
                     "fmt_bad.h5: layer 'dense' weight 'dense/kernel:0': dataset missing");

    f = sample_file("fmt_bad.h5");
    H5Ldelete(f, "model_weights/dropout", H5P_DEFAULT);
    H5Fclose(f);
    EXPECT_READ_FAIL("fmt_bad.h5", CLRNN_E_FORMAT, "fmt_bad.h5: layer 'dropout': group missing");

    f = sample_file("fmt_bad.h5");
    H5Ldelete(f, "model_weights/dropout", H5P_DEFAULT);
    hsize_t one[1] = {1};
    float zero = 0;
    put_dataset(f, "model_weights/dropout", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 1, one, &zero);
    H5Fclose(f);
    EXPECT_READ_FAIL("fmt_bad.h5", CLRNN_E_FORMAT, "fmt_bad.h5: layer 'dropout': not a group");

    f = sample_file("fmt_bad.h5"); /* strings where numbers are expected */
    H5Ldelete(f, KERNEL_PATH, H5P_DEFAULT);
    hid_t st = H5Tcopy(H5T_C_S1);
    H5Tset_size(st, 4);
    hsize_t two[1] = {2};
    put_dataset(f, KERNEL_PATH, st, st, 1, two, "abcdefgh");
    H5Tclose(st);
    H5Fclose(f);
    EXPECT_READ_FAIL("fmt_bad.h5", CLRNN_E_FORMAT,
                     "fmt_bad.h5: layer 'dense' weight 'dense/kernel:0': holds strings");

    f = sample_file("fmt_bad.h5");
    H5Ldelete(f, KERNEL_PATH, H5P_DEFAULT);
    H5Gclose(H5Gcreate2(f, KERNEL_PATH, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    H5Fclose(f);
    EXPECT_READ_FAIL("fmt_bad.h5", CLRNN_E_FORMAT,
                     "fmt_bad.h5: layer 'dense' weight 'dense/kernel:0': a group, not a dataset");

    f = sample_file("fmt_bad.h5"); /* rank 9 */
    H5Ldelete(f, KERNEL_PATH, H5P_DEFAULT);
    hsize_t d9[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    put_dataset(f, KERNEL_PATH, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 9, d9, &zero);
    H5Fclose(f);
    EXPECT_READ_FAIL("fmt_bad.h5", CLRNN_E_FORMAT,
                     "fmt_bad.h5: layer 'dense' weight 'dense/kernel:0': rank 9, more than the 8");

    f = sample_file("fmt_bad.h5"); /* 2^40 elements declared (chunked, never written) */
    H5Ldelete(f, KERNEL_PATH, H5P_DEFAULT);
    hsize_t huge[2] = {1u << 20, 1u << 20}, chunk[2] = {16, 16};
    hid_t sp = H5Screate_simple(2, huge, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 2, chunk);
    hid_t ds = H5Dcreate2(f, KERNEL_PATH, H5T_IEEE_F32LE, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    CHECK(ds >= 0);
    H5Dclose(ds), H5Pclose(dcpl), H5Sclose(sp), H5Fclose(f);
    EXPECT_READ_FAIL("fmt_bad.h5", CLRNN_E_FORMAT,
                     "fmt_bad.h5: layer 'dense' weight 'dense/kernel:0': shape (1048576, "
                     "1048576) has more than 4294967296 elements");

    f = sample_file("fmt_bad.h5");
    H5Adelete_by_name(f, "model_weights/gru", "weight_names", H5P_DEFAULT);
    H5Fclose(f);
    EXPECT_READ_FAIL("fmt_bad.h5", CLRNN_E_FORMAT,
                     "fmt_bad.h5: layer 'gru': attribute 'weight_names' is missing");

    f = sample_file("fmt_bad.h5");
    H5Adelete_by_name(f, "model_weights/gru", "weight_names", H5P_DEFAULT);
    hid_t g = H5Gopen2(f, "model_weights/gru", H5P_DEFAULT);
    sp = H5Screate_simple(1, two, NULL);
    H5Aclose(H5Acreate2(g, "weight_names", H5T_STD_I32LE, sp, H5P_DEFAULT, H5P_DEFAULT));
    H5Sclose(sp), H5Gclose(g), H5Fclose(f);
    EXPECT_READ_FAIL("fmt_bad.h5", CLRNN_E_FORMAT,
                     "fmt_bad.h5: layer 'gru': attribute 'weight_names' holds 2 values of int32");

    f = sample_file("fmt_bad.h5");
    H5Adelete(f, "model_config");
    sp = H5Screate(H5S_SCALAR);
    H5Aclose(H5Acreate2(f, "model_config", H5T_STD_I32LE, sp, H5P_DEFAULT, H5P_DEFAULT));
    H5Sclose(sp), H5Fclose(f);
    EXPECT_READ_FAIL("fmt_bad.h5", CLRNN_E_FORMAT,
                     "fmt_bad.h5: attribute 'model_config' holds int32, expected text");

    f = sample_file("fmt_bad.h5");
    H5Adelete(f, "model_config");
    const char *two_texts[2] = {"{}", "{}"};
    put_strings(f, "model_config", two_texts, 2, VLEN_ASCII, 0);
    H5Fclose(f);
    EXPECT_READ_FAIL("fmt_bad.h5", CLRNN_E_FORMAT,
                     "fmt_bad.h5: attribute 'model_config' holds 2 strings, expected one");

    f = sample_file("fmt_bad.h5");
    H5Ldelete(f, "model_weights", H5P_DEFAULT);
    H5Fclose(f);
    EXPECT_READ_FAIL("fmt_bad.h5", CLRNN_E_FORMAT, "fmt_bad.h5: no model_weights group");

    /* a name list over CLRNN_FMT_MAX_NAMES, in two chunks that each fit a header */
    f = H5Fcreate("fmt_bad.h5", H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t many[1] = {60000};
    char *ones = malloc(60000);
    memset(ones, 'a', 60000);
    st = H5Tcopy(H5T_C_S1);
    H5Tset_size(st, 1);
    sp = H5Screate_simple(1, many, NULL);
    for (int c = 0; c < 2; c++) {
        hid_t at = H5Acreate2(f, c ? "layer_names1" : "layer_names0", st, sp, H5P_DEFAULT,
                              H5P_DEFAULT);
        CHECK(at >= 0 && H5Awrite(at, st, ones) >= 0);
        H5Aclose(at);
    }
    H5Sclose(sp), H5Tclose(st), H5Fclose(f);
    free(ones);
    EXPECT_READ_FAIL("fmt_bad.h5", CLRNN_E_FORMAT,
                     "fmt_bad.h5: name list 'layer_names' has more than 100000 entries");

    EXPECT_STATUS(clrnn_fmt_h5_read(NULL, &(struct clrnn_fmt_model){0}), CLRNN_E_INVALID_ARG,
                  "path is NULL");
    unlink("fmt_bad.h5"), unlink("fmt_trunc.h5"), unlink("fmt_text.h5");
    unlink("fmt_empty_file.h5"), unlink("fmt_notkeras.h5"), rmdir("fmt_dir.h5");
}

/* Writers check their input, and a failed write leaves the old file and no temp file. */
static void test_write_failures(void) {
    struct sample s;
    sample_make(&s, 1);
    CHECK(clrnn_fmt_h5_write("fmt_keep.h5", &s.m) == CLRNN_OK);
    long size = 0;
    char *before = file_bytes("fmt_keep.h5", &size);

    s.layers[3].name = (char *)"embedding"; /* two layers named embedding: found mid-write */
    EXPECT_STATUS(clrnn_fmt_h5_write("fmt_keep.h5", &s.m), CLRNN_E_INVALID_ARG,
                  "fmt_keep.h5: layer 'embedding': two layers have this name");
    CHECK(same_bytes("fmt_keep.h5", before, size));
    CHECK_INT_EQ(temp_files_left(), 0);
    s.layers[3].name = (char *)"a/b";
    EXPECT_STATUS(clrnn_fmt_h5_write("fmt_keep.h5", &s.m), CLRNN_E_INVALID_ARG,
                  "fmt_keep.h5: layer 3: the name 'a/b' cannot be an HDF5 group name");
    s.layers[3].name = (char *)SPEC[3].name;

    s.w[5][1].name = s.w[5][0].name; /* two weights of one name */
    EXPECT_STATUS(clrnn_fmt_h5_write("fmt_keep.h5", &s.m), CLRNN_E_INVALID_ARG,
                  "fmt_keep.h5: layer 'dense' weight 'dense/kernel:0': the layer has two weights");
    s.w[5][1].name = (char *)SPEC[5].w[1].name;

    float *data = s.w[0][0].data;
    s.w[0][0].data = NULL;
    EXPECT_STATUS(clrnn_fmt_h5_write("fmt_keep.h5", &s.m), CLRNN_E_INVALID_ARG,
                  "fmt_keep.h5: layer 'embedding' weight 'embedding/embeddings:0': no data");
    s.w[0][0].data = data;
    s.w[0][0].rank = 9;
    EXPECT_STATUS(clrnn_fmt_h5_write("fmt_keep.h5", &s.m), CLRNN_E_INVALID_ARG,
                  "weight 'embedding/embeddings:0': rank 9 is not in [0, 8]");
    s.w[0][0].rank = 2;
    s.w[0][0].dims[1] = -3;
    EXPECT_STATUS(clrnn_fmt_h5_write("fmt_keep.h5", &s.m), CLRNN_E_INVALID_ARG,
                  "weight 'embedding/embeddings:0': dimension 1 is -3");
    s.w[0][0].dims[1] = 3;
    CHECK(same_bytes("fmt_keep.h5", before, size));
    CHECK_INT_EQ(temp_files_left(), 0);

    EXPECT_STATUS(clrnn_fmt_h5_write("fmt_no_dir/m.h5", &s.m), CLRNN_E_IO,
                  "fmt_no_dir/m.h5: cannot create the temporary file fmt_no_dir/m.h5.tmp-");
    CHECK_STR_CONTAINS(clrnn_last_error(), "No such file or directory");
    EXPECT_STATUS(clrnn_fmt_h5_write(NULL, &s.m), CLRNN_E_INVALID_ARG, "path is NULL");
    free(before);
    sample_free(&s);
    unlink("fmt_keep.h5");
}

/* ---- allocation failures ---- */

/* Runs op with the k-th allocation failing, for k = 1, 2, ... until op succeeds without
 * reaching the injected failure. Every failed run must be CLRNN_E_NOMEM with no HDF5 id
 * left open (ASan checks for leaks and crashes); after_fail checks what a failed run left. */
static void check_alloc_failures(const char *label, clrnn_status (*op)(void),
                                 void (*after_ok)(void), void (*after_fail)(void)) {
    int nomem = 0, bad = 0, done = 0;
    for (long k = 1; k <= 100000 && !done; k++) {
        clrnn_alloc_fail_after(k);
        clrnn_status s = op();
        int pending = injection_pending(k);
        if (open_ids() != 0) {
            fprintf(stderr, "%s: allocation %ld: %ld HDF5 ids left open\n", label, k, open_ids());
            bad++;
        }
        if (s == CLRNN_OK) {
            if (!pending) {
                fprintf(stderr, "%s: allocation %ld failed, yet the call succeeded\n", label, k);
                bad++;
            }
            after_ok();
            done = 1;
        } else {
            if (s != CLRNN_E_NOMEM || pending) {
                fprintf(stderr, "%s: allocation %ld: %s: %s\n", label, k, clrnn_status_str(s),
                        clrnn_last_error());
                bad++;
            }
            nomem++;
            after_fail();
        }
    }
    printf("  %-28s %d injected allocation failures\n", label, nomem);
    CHECK(done);
    CHECK(nomem > 0);
    CHECK_INT_EQ(bad, 0);
}

static struct sample alloc_sample;
static struct clrnn_fmt_model alloc_read;

static clrnn_status op_read_full(void) {
    return clrnn_fmt_h5_read("fmt_alloc_full.h5", &alloc_read);
}
static clrnn_status op_read_weights(void) {
    return clrnn_fmt_h5_read("fmt_alloc_weights.h5", &alloc_read);
}
static void ok_read(void) {
    check_same_model("read under injection", &alloc_read, &alloc_sample.m);
    clrnn_fmt_model_clear(&alloc_read);
}
static void fail_read(void) {
    struct clrnn_fmt_model zero;
    memset(&zero, 0, sizeof zero);
    if (memcmp(&alloc_read, &zero, sizeof zero) != 0) CHECK(!"failed read left output");
}
static clrnn_status op_write(void) {
    return clrnn_fmt_h5_write("fmt_alloc_out.h5", &alloc_sample.m);
}
static void ok_write(void) {
    struct clrnn_fmt_model r;
    CHECK(clrnn_fmt_h5_read("fmt_alloc_out.h5", &r) == CLRNN_OK);
    check_same_model("written under injection", &r, &alloc_sample.m);
    clrnn_fmt_model_clear(&r);
    unlink("fmt_alloc_out.h5");
}
static void fail_write(void) {
    if (file_exists("fmt_alloc_out.h5") || temp_files_left() != 0)
        CHECK(!"a failed write left a file behind");
}

static struct clrnn_data alloc_data;
static clrnn_status op_load(void) {
    return clrnn_data_load("fmt_alloc_data.h5", CLRNN_SPLIT_TEST, CLRNN_LABELS_REQUIRED,
                           &alloc_data);
}
static void ok_load(void) {
    CHECK(strcmp(alloc_data.x_name, "x_test") == 0 && alloc_data.x.dims[0] == 4);
    clrnn_data_clear(&alloc_data);
}
static void fail_load(void) { CHECK_INT_EQ(alloc_data.x.rank, 77); }

static void test_alloc_failures(void) {
    sample_make(&alloc_sample, 1);
    CHECK(clrnn_fmt_h5_write("fmt_alloc_full.h5", &alloc_sample.m) == CLRNN_OK);
    check_alloc_failures("read a full model", op_read_full, ok_read, fail_read);
    check_alloc_failures("write a full model", op_write, ok_write, fail_write);
    sample_free(&alloc_sample);
    sample_make(&alloc_sample, 0);
    CHECK(clrnn_fmt_h5_write("fmt_alloc_weights.h5", &alloc_sample.m) == CLRNN_OK);
    check_alloc_failures("read a weights file", op_read_weights, ok_read, fail_read);
    sample_free(&alloc_sample);

    struct clrnn_array x, y;
    int64_t xd[2] = {4, 5}, yd[1] = {4};
    CHECK(clrnn_array_alloc(&x, CLRNN_DTYPE_INT32, 2, xd) == CLRNN_OK);
    CHECK(clrnn_array_alloc(&y, CLRNN_DTYPE_FLOAT32, 1, yd) == CLRNN_OK);
    struct clrnn_fmt_named_array arrays[2] = {{"x_test", &x}, {"y_test", &y}};
    CHECK(clrnn_fmt_data_write("fmt_alloc_data.h5", arrays, 2) == CLRNN_OK);
    clrnn_array_clear(&x), clrnn_array_clear(&y);
    memset(&alloc_data, 0, sizeof alloc_data);
    alloc_data.x.rank = 77; /* a failed load leaves *out untouched */
    check_alloc_failures("load a dataset split", op_load, ok_load, fail_load);
    unlink("fmt_alloc_full.h5"), unlink("fmt_alloc_weights.h5"), unlink("fmt_alloc_data.h5");
}

/* ---- dataset files ---- */

static void fill_array(struct clrnn_array *a, clrnn_dtype dtype, int64_t rows, int64_t cols,
                       int seed) {
    int64_t dims[2] = {rows, cols};
    CHECK(clrnn_array_alloc(a, dtype, cols ? 2 : 1, dims) == CLRNN_OK);
    for (int64_t i = 0; i < clrnn_array_count(a); i++) {
        if (dtype == CLRNN_DTYPE_INT32)
            ((int32_t *)a->data)[i] = (int32_t)(i * 7919 + seed) * (i % 2 ? -1 : 1);
        else
            ((float *)a->data)[i] = (float)(i + seed) / 8 - 3;
    }
}

static int same_array(const struct clrnn_array *a, const struct clrnn_array *b) {
    return a->dtype == b->dtype && a->rank == b->rank &&
           memcmp(a->dims, b->dims, (size_t)a->rank * sizeof *a->dims) == 0 &&
           memcmp(a->data, b->data, (size_t)clrnn_array_count(a) * 4) == 0;
}

static void check_split(const char *path, clrnn_split split, const char *xn, const char *yn,
                        const struct clrnn_array *x, const struct clrnn_array *y) {
    struct clrnn_data d;
    clrnn_status s = clrnn_data_load(path, split, CLRNN_LABELS_REQUIRED, &d);
    if (s) fprintf(stderr, "%s: %s\n", path, clrnn_last_error());
    CHECK(s == CLRNN_OK);
    CHECK_NO_OPEN_IDS();
    if (s) return;
    CHECK(strcmp(d.x_name, xn) == 0 && strcmp(d.y_name, yn) == 0);
    CHECK(same_array(&d.x, x) && same_array(&d.y, y));
    clrnn_data_clear(&d);
}

static void test_datasets(void) {
    struct clrnn_array xtr, ytr, xte, yte, x, y, y2, sc, zx, zy;
    fill_array(&xtr, CLRNN_DTYPE_INT32, 5, 4, 1);
    fill_array(&ytr, CLRNN_DTYPE_FLOAT32, 5, 0, 2);
    fill_array(&xte, CLRNN_DTYPE_FLOAT32, 3, 6, 3);
    fill_array(&yte, CLRNN_DTYPE_INT32, 3, 2, 4);
    fill_array(&x, CLRNN_DTYPE_INT32, 2, 4, 5);
    fill_array(&y, CLRNN_DTYPE_INT32, 2, 0, 6);
    fill_array(&y2, CLRNN_DTYPE_FLOAT32, 2, 0, 7);
    fill_array(&zx, CLRNN_DTYPE_INT32, 0, 4, 0);
    fill_array(&zy, CLRNN_DTYPE_FLOAT32, 0, 0, 0);
    CHECK(clrnn_array_alloc(&sc, CLRNN_DTYPE_FLOAT32, 0, NULL) == CLRNN_OK);

    struct clrnn_fmt_named_array all[7] = {{"x_train", &xtr}, {"y_train", &ytr}, {"x_test", &xte},
                                           {"y_test", &yte},  {"x", &x},         {"y", &y},
                                           {"grp/inner", &y2}};
    CHECK(clrnn_fmt_data_write("fmt_data.h5", all, 7) == CLRNN_OK);
    CHECK_NO_OPEN_IDS();
    check_split("fmt_data.h5", CLRNN_SPLIT_TRAIN, "x_train", "y_train", &xtr, &ytr);
    check_split("fmt_data.h5", CLRNN_SPLIT_TEST, "x_test", "y_test", &xte, &yte);
    check_split("fmt_data.h5", CLRNN_SPLIT_ALL, "x", "y", &x, &y);
    for (int i = 0; i < 7; i++) {
        struct clrnn_array r;
        CHECK(clrnn_fmt_data_read("fmt_data.h5", all[i].name, &r) == CLRNN_OK);
        CHECK(same_array(&r, all[i].array));
        clrnn_array_clear(&r);
    }
    CHECK_INT_EQ(clrnn_fmt_data_has("fmt_data.h5", "x_test"), 1);
    CHECK_INT_EQ(clrnn_fmt_data_has("fmt_data.h5", "grp/inner"), 1);
    CHECK_INT_EQ(clrnn_fmt_data_has("fmt_data.h5", "grp"), 0); /* a group, not a dataset */
    CHECK_INT_EQ(clrnn_fmt_data_has("fmt_data.h5", "nope/deeper"), 0);
    CHECK_INT_EQ(clrnn_fmt_data_has("fmt_nofile.h5", "x"), CLRNN_E_IO);
    CHECK_NO_OPEN_IDS();

    /* only x/y: both splits fall back to them; zero rows and a scalar are fine to store */
    struct clrnn_fmt_named_array xy[3] = {{"x", &x}, {"y", &y2}, {"scalar", &sc}};
    CHECK(clrnn_fmt_data_write("fmt_xy.h5", xy, 3) == CLRNN_OK);
    check_split("fmt_xy.h5", CLRNN_SPLIT_TRAIN, "x", "y", &x, &y2);
    check_split("fmt_xy.h5", CLRNN_SPLIT_TEST, "x", "y", &x, &y2);
    struct clrnn_array r;
    CHECK(clrnn_fmt_data_read("fmt_xy.h5", "scalar", &r) == CLRNN_OK && r.rank == 0);
    clrnn_array_clear(&r);
    struct clrnn_fmt_named_array zero_rows[2] = {{"x", &zx}, {"y", &zy}};
    CHECK(clrnn_fmt_data_write("fmt_zero.h5", zero_rows, 2) == CLRNN_OK);
    check_split("fmt_zero.h5", CLRNN_SPLIT_ALL, "x", "y", &zx, &zy);

    /* missing pairs and halves */
    struct clrnn_data d;
    memset(&d, 0, sizeof d);
    d.x.rank = 55;
    CHECK(clrnn_fmt_data_write("fmt_train_only.h5", all, 2) == CLRNN_OK);
    EXPECT_STATUS(clrnn_data_load("fmt_train_only.h5", CLRNN_SPLIT_TEST, CLRNN_LABELS_REQUIRED,
                                  &d), CLRNN_E_FORMAT,
                  "fmt_train_only.h5: no x_test/y_test or x/y datasets (the file has: x_train, "
                  "y_train)");
    EXPECT_STATUS(clrnn_data_load("fmt_train_only.h5", CLRNN_SPLIT_ALL, CLRNN_LABELS_REQUIRED,
                                  &d), CLRNN_E_FORMAT,
                  "fmt_train_only.h5: no x/y datasets");
    CHECK(clrnn_fmt_data_write("fmt_half.h5", all, 1) == CLRNN_OK);
    EXPECT_STATUS(clrnn_data_load("fmt_half.h5", CLRNN_SPLIT_TRAIN, CLRNN_LABELS_REQUIRED,
                                  &d), CLRNN_E_FORMAT,
                  "fmt_half.h5: has x_train but no y_train");
    CHECK_INT_EQ(d.x.rank, 55); /* untouched by failures */

    /* x and y with different numbers of rows; a scalar x */
    struct clrnn_fmt_named_array rows[2] = {{"x", &xtr}, {"y", &y2}};
    CHECK(clrnn_fmt_data_write("fmt_rows.h5", rows, 2) == CLRNN_OK);
    EXPECT_STATUS(clrnn_data_load("fmt_rows.h5", CLRNN_SPLIT_ALL, CLRNN_LABELS_REQUIRED,
                                  &d), CLRNN_E_SHAPE,
                  "fmt_rows.h5: x has shape (5, 4) but y has shape (2,)");
    rows[0].array = &sc;
    CHECK(clrnn_fmt_data_write("fmt_rows.h5", rows, 2) == CLRNN_OK);
    EXPECT_STATUS(clrnn_data_load("fmt_rows.h5", CLRNN_SPLIT_ALL, CLRNN_LABELS_REQUIRED,
                                  &d), CLRNN_E_SHAPE,
                  "fmt_rows.h5: x has shape () and y has shape (2,)");
    CHECK_INT_EQ(d.x.rank, 55);

    /* other types, converted on reading, and types that cannot be */
    hid_t f = H5Fcreate("fmt_types.h5", H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t n3[1] = {3}, n22[2] = {2, 2};
    static const long long I64[3] = {5, -3, 2147483647};
    static const long long I64_HIGH[3] = {1, 3000000000LL, 2};
    static const long long I64_LOW[3] = {1, -3000000000LL, 2};
    static const unsigned U32_HIGH[3] = {1, 4000000000u, 2};
    static const double F64[4] = {0.25, -4, 1e-3, 65504};
    static const unsigned char U8[3] = {0, 200, 255};
    static const short I16[3] = {-32768, 0, 32767};
    put_dataset(f, "x", H5T_STD_I64LE, H5T_NATIVE_LLONG, 1, n3, I64);
    put_dataset(f, "y", H5T_IEEE_F64BE, H5T_NATIVE_DOUBLE, 2, n22, F64);
    put_dataset(f, "u8", H5T_STD_U8LE, H5T_NATIVE_UCHAR, 1, n3, U8);
    put_dataset(f, "i16", H5T_STD_I16BE, H5T_NATIVE_SHORT, 1, n3, I16);
    put_dataset(f, "high", H5T_STD_I64LE, H5T_NATIVE_LLONG, 1, n3, I64_HIGH);
    put_dataset(f, "low", H5T_STD_I64LE, H5T_NATIVE_LLONG, 1, n3, I64_LOW);
    put_dataset(f, "u32", H5T_STD_U32LE, H5T_NATIVE_UINT, 1, n3, U32_HIGH);
    hid_t st = H5Tcopy(H5T_C_S1);
    H5Tset_size(st, 4);
    put_dataset(f, "s", st, st, 1, n3, "abcdefghijkl");
    H5Tclose(st);
    hid_t ct = H5Tcreate(H5T_COMPOUND, 8);
    H5Tinsert(ct, "a", 0, H5T_NATIVE_FLOAT);
    H5Tinsert(ct, "b", 4, H5T_NATIVE_FLOAT);
    static const float PAIRS[6] = {1, 2, 3, 4, 5, 6};
    put_dataset(f, "c", ct, ct, 1, n3, PAIRS);
    H5Tclose(ct);
    H5Fclose(f);
    CHECK(clrnn_data_load("fmt_types.h5", CLRNN_SPLIT_ALL, CLRNN_LABELS_REQUIRED,
                          &d) == CLRNN_E_SHAPE); /* 3 vs 2 */
    CHECK(clrnn_fmt_data_read("fmt_types.h5", "x", &r) == CLRNN_OK);
    CHECK(r.dtype == CLRNN_DTYPE_INT32 && r.rank == 1 && r.dims[0] == 3 &&
          ((int32_t *)r.data)[0] == 5 && ((int32_t *)r.data)[1] == -3 &&
          ((int32_t *)r.data)[2] == 2147483647);
    clrnn_array_clear(&r);
    CHECK(clrnn_fmt_data_read("fmt_types.h5", "y", &r) == CLRNN_OK);
    CHECK(r.dtype == CLRNN_DTYPE_FLOAT32 && r.rank == 2 && r.dims[1] == 2 &&
          ((float *)r.data)[0] == 0.25f && ((float *)r.data)[1] == -4 &&
          ((float *)r.data)[2] == (float)1e-3 && ((float *)r.data)[3] == 65504);
    clrnn_array_clear(&r);
    CHECK(clrnn_fmt_data_read("fmt_types.h5", "u8", &r) == CLRNN_OK);
    CHECK(r.dtype == CLRNN_DTYPE_INT32 && ((int32_t *)r.data)[1] == 200 &&
          ((int32_t *)r.data)[2] == 255);
    clrnn_array_clear(&r);
    CHECK(clrnn_fmt_data_read("fmt_types.h5", "i16", &r) == CLRNN_OK);
    CHECK(r.dtype == CLRNN_DTYPE_INT32 && ((int32_t *)r.data)[0] == -32768 &&
          ((int32_t *)r.data)[2] == 32767);
    clrnn_array_clear(&r);
    EXPECT_STATUS(clrnn_fmt_data_read("fmt_types.h5", "high", &r), CLRNN_E_FORMAT,
                  "fmt_types.h5: dataset 'high': holds int64 values above the int32 range");
    EXPECT_STATUS(clrnn_fmt_data_read("fmt_types.h5", "low", &r), CLRNN_E_FORMAT,
                  "fmt_types.h5: dataset 'low': holds int64 values below the int32 range");
    EXPECT_STATUS(clrnn_fmt_data_read("fmt_types.h5", "u32", &r), CLRNN_E_FORMAT,
                  "fmt_types.h5: dataset 'u32': holds uint32 values above the int32 range");
    EXPECT_STATUS(clrnn_fmt_data_read("fmt_types.h5", "s", &r), CLRNN_E_FORMAT,
                  "fmt_types.h5: dataset 's': holds strings, expected numbers");
    EXPECT_STATUS(clrnn_fmt_data_read("fmt_types.h5", "c", &r), CLRNN_E_FORMAT,
                  "fmt_types.h5: dataset 'c': holds a compound type, expected numbers");
    EXPECT_STATUS(clrnn_fmt_data_read("fmt_types.h5", "nope", &r), CLRNN_E_FORMAT,
                  "fmt_types.h5: no dataset 'nope' (the file has: c, high, i16, low, s, u32, "
                  "u8, x, y)");

    /* files that cannot be read */
    EXPECT_STATUS(clrnn_data_load("fmt_nofile.h5", CLRNN_SPLIT_TRAIN, CLRNN_LABELS_REQUIRED,
                                  &d), CLRNN_E_IO,
                  "fmt_nofile.h5: No such file or directory");
    FILE *t = fopen("fmt_text.txt", "w");
    fputs("1,2,3\n", t);
    fclose(t);
    EXPECT_STATUS(clrnn_data_load("fmt_text.txt", CLRNN_SPLIT_TRAIN, CLRNN_LABELS_REQUIRED,
                                  &d), CLRNN_E_FORMAT,
                  "fmt_text.txt: not an HDF5 file");
    EXPECT_STATUS(clrnn_fmt_data_read("fmt_text.txt", "x", &r), CLRNN_E_FORMAT,
                  "fmt_text.txt: not an HDF5 file");
    CHECK_INT_EQ(d.x.rank, 55);

    /* a 512-byte user block before the superblock */
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
    H5Pset_userblock(fcpl, 512);
    f = H5Fcreate("fmt_userblock.h5", H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
    put_dataset(f, "x", H5T_STD_I64LE, H5T_NATIVE_LLONG, 1, n3, I64);
    H5Fclose(f), H5Pclose(fcpl);
    CHECK_INT_EQ(clrnn_fmt_is_hdf5("fmt_userblock.h5"), 1);
    CHECK(clrnn_fmt_data_read("fmt_userblock.h5", "x", &r) == CLRNN_OK && r.dims[0] == 3);
    clrnn_array_clear(&r);

    /* bad arrays to write; a failed write keeps the old file */
    long size = 0;
    char *before = file_bytes("fmt_data.h5", &size);
    struct clrnn_fmt_named_array twice[2] = {{"x", &x}, {"x", &y}};
    EXPECT_STATUS(clrnn_fmt_data_write("fmt_data.h5", twice, 2), CLRNN_E_INVALID_ARG,
                  "fmt_data.h5: dataset 'x': given twice");
    struct clrnn_array bad = x;
    bad.dtype = (clrnn_dtype)7;
    struct clrnn_fmt_named_array wrong[1] = {{"x", &bad}};
    EXPECT_STATUS(clrnn_fmt_data_write("fmt_data.h5", wrong, 1), CLRNN_E_INVALID_ARG,
                  "fmt_data.h5: dataset 'x': unknown dtype 7");
    bad = x;
    bad.data = NULL;
    EXPECT_STATUS(clrnn_fmt_data_write("fmt_data.h5", wrong, 1), CLRNN_E_INVALID_ARG,
                  "fmt_data.h5: dataset 'x': no data");
    CHECK(same_bytes("fmt_data.h5", before, size));
    CHECK_INT_EQ(temp_files_left(), 0);
    free(before);

    struct clrnn_array *arrays[] = {&xtr, &ytr, &xte, &yte, &x, &y, &y2, &sc, &zx, &zy};
    for (size_t i = 0; i < sizeof arrays / sizeof *arrays; i++) clrnn_array_clear(arrays[i]);
    clrnn_data_clear(NULL);
    const char *files[] = {"fmt_data.h5", "fmt_xy.h5",    "fmt_zero.h5",     "fmt_train_only.h5",
                           "fmt_half.h5", "fmt_rows.h5", "fmt_types.h5",    "fmt_text.txt",
                           "fmt_userblock.h5"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) unlink(files[i]);
    CHECK_NO_OPEN_IDS();
}

/* ---- main ---- */

/* Removes every entry of the directory (one level) and the directory itself. */
static void remove_dir(const char *path) {
    DIR *d = opendir(path);
    if (!d) return;
    char entry[1024];
    for (struct dirent *e; (e = readdir(d));) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(entry, sizeof entry, "%s/%s", path, e->d_name);
        remove(entry);
    }
    closedir(d);
    rmdir(path);
}

int main(void) {
    char dir[] = "fmt_test_XXXXXX";
    if (!mkdtemp(dir) || chdir(dir) != 0) {
        perror("test_formats: temporary directory");
        return 1;
    }
    /* HDF5's own error printing stays on here: the library must silence it for its calls
     * and give it back. */
    H5E_auto2_t caller_fn = NULL, fn = NULL;
    void *caller_data = NULL, *data = NULL;
    H5Eget_auto2(H5E_DEFAULT, &caller_fn, &caller_data);
    capture_begin();
    test_model_round_trip();
    test_split_name_lists();
    test_encodings();
    test_bad_model_files();
    test_write_failures();
    test_datasets();
    test_alloc_failures();
    H5Eget_auto2(H5E_DEFAULT, &fn, &data);
    CHECK(fn == caller_fn && data == caller_data && fn != NULL);
    CHECK_INT_EQ(temp_files_left(), 0);
    capture_end();
    unlink("fmt_full.h5"), unlink("fmt_weights.h5"), unlink("fmt_empty.h5");
    if (chdir("..") == 0) remove_dir(dir);
    TEST_MAIN_END();
}
