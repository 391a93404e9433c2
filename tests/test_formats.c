/*
 * test_formats.c - formats/ on its own (no device): legacy Keras .h5 model and weights files
 * round trip; name lists and string attributes in every encoding Keras and h5py have
 * written (vlen ASCII and UTF-8, fixed NULLPAD and NULLTERM, lists split into name0,
 * name1, empty lists as float64 (0,)); dataset files (int32 and float32, int64 and float64
 * converted, split selection); bad files give the right status and name the file; and
 * injected allocation failures never crash or leak (the suite runs under ASan).
 */
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clrnn_formats.h"
#include "clrnn_err.h"
#include "test.h"

static float K0[6] = {1, 2, 3, 4, 5, 6}, B0[3] = {0.5f, -0.5f, 0.25f}, D0[3] = {7, 8, 9};

static void sample_model(struct clrnn_fmt_model *m, struct clrnn_fmt_layer *layers,
                         struct clrnn_fmt_weight *w) {
    memset(m, 0, sizeof *m);
    w[0] = (struct clrnn_fmt_weight){(char *)"rnn/simple_rnn_cell/kernel:0", 2, {2, 3}, K0};
    w[1] = (struct clrnn_fmt_weight){(char *)"rnn/simple_rnn_cell/bias:0", 1, {3}, B0};
    w[2] = (struct clrnn_fmt_weight){(char *)"dense/kernel:0", 2, {3, 1}, D0};
    layers[0] = (struct clrnn_fmt_layer){(char *)"rnn", 2, w};
    layers[1] = (struct clrnn_fmt_layer){(char *)"dropout", 0, NULL};
    layers[2] = (struct clrnn_fmt_layer){(char *)"dense", 1, w + 2};
    m->model_config = (char *)"{\"class_name\": \"Sequential\"}";
    m->training_config = (char *)"{\"loss\": \"mse\"}";
    m->keras_version = (char *)"2.15.0";
    m->backend = (char *)"tensorflow";
    m->n_layers = 3;
    m->layers = layers;
}

static void check_sample(const struct clrnn_fmt_model *r, int full) {
    CHECK_INT_EQ(r->n_layers, 3);
    if (r->n_layers != 3) return;
    if (full) {
        CHECK(r->model_config && strcmp(r->model_config, "{\"class_name\": \"Sequential\"}") == 0);
        CHECK(r->training_config && strcmp(r->training_config, "{\"loss\": \"mse\"}") == 0);
    } else {
        CHECK(r->model_config == NULL);
    }
    CHECK(r->keras_version && strcmp(r->keras_version, "2.15.0") == 0);
    CHECK(strcmp(r->layers[1].name, "dropout") == 0 && r->layers[1].n_weights == 0);
    CHECK_INT_EQ(r->layers[0].n_weights, 2);
    CHECK(strcmp(r->layers[0].weights[0].name, "rnn/simple_rnn_cell/kernel:0") == 0);
    CHECK(r->layers[0].weights[0].rank == 2 && r->layers[0].weights[0].dims[1] == 3);
    CHECK(memcmp(r->layers[0].weights[0].data, K0, sizeof K0) == 0);
    CHECK(memcmp(r->layers[0].weights[1].data, B0, sizeof B0) == 0);
    CHECK(memcmp(r->layers[2].weights[0].data, D0, sizeof D0) == 0);
}

static void test_round_trip(void) {
    struct clrnn_fmt_model m, r;
    struct clrnn_fmt_layer layers[3];
    struct clrnn_fmt_weight w[3];
    sample_model(&m, layers, w);
    CHECK(clrnn_fmt_h5_write("fmt_full.h5", &m) == CLRNN_OK);
    CHECK_INT_EQ(clrnn_fmt_is_hdf5("fmt_full.h5"), 1);
    CHECK(clrnn_fmt_h5_read("fmt_full.h5", &r) == CLRNN_OK);
    check_sample(&r, 1);
    clrnn_fmt_model_clear(&r);
    m.model_config = NULL;
    CHECK(clrnn_fmt_h5_write("fmt_weights.h5", &m) == CLRNN_OK);
    CHECK(clrnn_fmt_h5_read("fmt_weights.h5", &r) == CLRNN_OK);
    check_sample(&r, 0);
    clrnn_fmt_model_clear(&r);
    /* a failed write leaves an existing file alone */
    CHECK(clrnn_fmt_h5_write("/no/such/dir/x.h5", &m) == CLRNN_E_IO);
    CHECK_STR_CONTAINS(clrnn_last_error(), "/no/such/dir/x.h5");
}

/* Writes a weights-only file by hand with name lists in a given encoding. */
enum encoding { VLEN_ASCII, VLEN_UTF8, FIXED_NULLPAD, FIXED_NULLTERM, SPLIT };

static void write_names(hid_t obj, const char *attr, const char *const *names, int n,
                        enum encoding e) {
    hid_t type = H5Tcopy(H5T_C_S1);
    hsize_t dims[1] = {(hsize_t)n};
    if (e == VLEN_ASCII || e == VLEN_UTF8) {
        H5Tset_size(type, H5T_VARIABLE);
        H5Tset_cset(type, e == VLEN_UTF8 ? H5T_CSET_UTF8 : H5T_CSET_ASCII);
        hid_t sp = H5Screate_simple(1, dims, NULL);
        hid_t a = H5Acreate2(obj, attr, type, sp, H5P_DEFAULT, H5P_DEFAULT);
        H5Awrite(a, type, names);
        H5Aclose(a), H5Sclose(sp);
    } else {
        size_t width = 0;
        for (int i = 0; i < n; i++) width = strlen(names[i]) > width ? strlen(names[i]) : width;
        width += e == FIXED_NULLTERM;
        char *buf = calloc((size_t)n, width);
        for (int i = 0; i < n; i++) memcpy(buf + i * width, names[i], strlen(names[i]));
        H5Tset_size(type, width);
        H5Tset_strpad(type, e == FIXED_NULLTERM ? H5T_STR_NULLTERM : H5T_STR_NULLPAD);
        int parts = e == SPLIT ? 2 : 1;
        for (int p = 0; p < parts; p++) {
            int count = parts == 1 ? n : (p == 0 ? (n + 1) / 2 : n / 2);
            int first = p == 0 ? 0 : (n + 1) / 2;
            hsize_t d[1] = {(hsize_t)count};
            char key[64];
            snprintf(key, sizeof key, parts == 1 ? "%s" : "%s%d", attr, p);
            hid_t sp = H5Screate_simple(1, d, NULL);
            hid_t a = H5Acreate2(obj, key, type, sp, H5P_DEFAULT, H5P_DEFAULT);
            H5Awrite(a, type, buf + first * width);
            H5Aclose(a), H5Sclose(sp);
        }
        free(buf);
    }
    H5Tclose(type);
}

static void test_encodings(void) {
    static const char *const NAMES[] = {"embedding", "lstm_1", "d"};
    for (int e = VLEN_ASCII; e <= SPLIT; e++) {
        hid_t f = H5Fcreate("fmt_enc.h5", H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
        write_names(f, "layer_names", NAMES, 3, (enum encoding)e);
        for (int i = 0; i < 3; i++) {
            hid_t g = H5Gcreate2(f, NAMES[i], H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
            if (i == 1) {
                /* empty weight_names: float64 of shape (0,) as Keras writes it */
                hsize_t zero[1] = {0};
                hid_t sp = H5Screate_simple(1, zero, NULL);
                hid_t a = H5Acreate2(g, "weight_names", H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT);
                H5Aclose(a), H5Sclose(sp);
            } else {
                const char *wn[] = {"w:0"};
                write_names(g, "weight_names", wn, 1, (enum encoding)(e == SPLIT ? FIXED_NULLPAD : e));
                hsize_t d[1] = {2};
                hid_t sp = H5Screate_simple(1, d, NULL);
                hid_t ds = H5Dcreate2(g, "w:0", H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
                double v[2] = {1.5, -2.5};
                H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
                H5Dclose(ds), H5Sclose(sp);
            }
            H5Gclose(g);
        }
        H5Fclose(f);
        struct clrnn_fmt_model r;
        CHECK(clrnn_fmt_h5_read("fmt_enc.h5", &r) == CLRNN_OK);
        CHECK_INT_EQ(r.n_layers, 3);
        if (r.n_layers == 3) {
            for (int i = 0; i < 3; i++) CHECK(strcmp(r.layers[i].name, NAMES[i]) == 0);
            CHECK_INT_EQ(r.layers[1].n_weights, 0);
            CHECK(r.layers[0].n_weights == 1 && strcmp(r.layers[0].weights[0].name, "w:0") == 0);
            CHECK(r.layers[2].weights[0].data[1] == -2.5f); /* float64 read as float32 */
        }
        clrnn_fmt_model_clear(&r);
    }
    unlink("fmt_enc.h5");
}

static void test_datasets(void) {
    struct clrnn_array xi, yf;
    int64_t xd[2] = {3, 4}, yd[1] = {3};
    clrnn_array_alloc(&xi, CLRNN_DTYPE_INT32, 2, xd);
    clrnn_array_alloc(&yf, CLRNN_DTYPE_FLOAT32, 1, yd);
    for (int i = 0; i < 12; i++) ((int32_t *)xi.data)[i] = i * 7;
    for (int i = 0; i < 3; i++) ((float *)yf.data)[i] = (float)i / 2;
    struct clrnn_fmt_named_array arr[4] = {{"x_train", &xi}, {"y_train", &yf}, {"x", &xi}, {"y", &yf}};
    CHECK(clrnn_fmt_data_write("fmt_data.h5", arr, 4) == CLRNN_OK);
    struct clrnn_data d;
    CHECK(clrnn_data_load("fmt_data.h5", CLRNN_SPLIT_TRAIN, &d) == CLRNN_OK);
    CHECK(strcmp(d.x_name, "x_train") == 0 && d.x.dtype == CLRNN_DTYPE_INT32 && d.x.rank == 2);
    CHECK(memcmp(d.x.data, xi.data, 48) == 0 && memcmp(d.y.data, yf.data, 12) == 0);
    clrnn_data_clear(&d);
    CHECK(clrnn_data_load("fmt_data.h5", CLRNN_SPLIT_TEST, &d) == CLRNN_OK);
    CHECK(strcmp(d.x_name, "x") == 0); /* no x_test: falls back to x/y */
    clrnn_data_clear(&d);
    CHECK_INT_EQ(clrnn_fmt_data_has("fmt_data.h5", "x_test"), 0);
    CHECK_INT_EQ(clrnn_fmt_data_has("fmt_data.h5", "x"), 1);
    /* rows that differ */
    struct clrnn_array y2;
    int64_t y2d[1] = {2};
    clrnn_array_alloc(&y2, CLRNN_DTYPE_FLOAT32, 1, y2d);
    struct clrnn_fmt_named_array bad[2] = {{"x", &xi}, {"y", &y2}};
    CHECK(clrnn_fmt_data_write("fmt_bad.h5", bad, 2) == CLRNN_OK);
    CHECK(clrnn_data_load("fmt_bad.h5", CLRNN_SPLIT_ALL, &d) == CLRNN_E_SHAPE);
    CHECK_STR_CONTAINS(clrnn_last_error(), "fmt_bad.h5: x has shape (3, 4) but y has shape (2,)");
    /* int64 and float64 datasets, and a string dataset */
    hid_t f = H5Fcreate("fmt_types.h5", H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t n[1] = {2};
    hid_t sp = H5Screate_simple(1, n, NULL);
    long long li[2] = {5, -3};
    double dd[2] = {0.25, 4};
    hid_t ds = H5Dcreate2(f, "x", H5T_STD_I64LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(ds, H5T_NATIVE_LLONG, H5S_ALL, H5S_ALL, H5P_DEFAULT, li);
    H5Dclose(ds);
    ds = H5Dcreate2(f, "y", H5T_IEEE_F64LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, dd);
    H5Dclose(ds);
    hid_t st = H5Tcopy(H5T_C_S1);
    H5Tset_size(st, 4);
    ds = H5Dcreate2(f, "s", st, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(ds, st, H5S_ALL, H5S_ALL, H5P_DEFAULT, "abcdefgh");
    H5Dclose(ds), H5Tclose(st), H5Sclose(sp), H5Fclose(f);
    CHECK(clrnn_data_load("fmt_types.h5", CLRNN_SPLIT_ALL, &d) == CLRNN_OK);
    CHECK(d.x.dtype == CLRNN_DTYPE_INT32 && ((int32_t *)d.x.data)[1] == -3);
    CHECK(d.y.dtype == CLRNN_DTYPE_FLOAT32 && ((float *)d.y.data)[0] == 0.25f);
    clrnn_data_clear(&d);
    struct clrnn_array s;
    CHECK(clrnn_fmt_data_read("fmt_types.h5", "s", &s) == CLRNN_E_FORMAT);
    CHECK_STR_CONTAINS(clrnn_last_error(), "fmt_types.h5: dataset 's' holds strings");
    CHECK(clrnn_fmt_data_read("fmt_types.h5", "nope", &s) == CLRNN_E_FORMAT);
    CHECK_STR_CONTAINS(clrnn_last_error(), "no dataset 'nope'");
    clrnn_array_clear(&xi), clrnn_array_clear(&yf), clrnn_array_clear(&y2);
    unlink("fmt_data.h5"), unlink("fmt_bad.h5"), unlink("fmt_types.h5");
}

static void test_bad_files(void) {
    struct clrnn_fmt_model r;
    struct clrnn_data d;
    CHECK(clrnn_fmt_h5_read("fmt_missing.h5", &r) == CLRNN_E_IO);
    CHECK_STR_CONTAINS(clrnn_last_error(), "fmt_missing.h5: No such file");
    CHECK(clrnn_data_load("fmt_missing.h5", CLRNN_SPLIT_TRAIN, &d) == CLRNN_E_IO);
    FILE *t = fopen("fmt_text.h5", "w");
    fputs("plain text, not HDF5\n", t);
    fclose(t);
    CHECK(clrnn_fmt_h5_read("fmt_text.h5", &r) == CLRNN_E_FORMAT);
    CHECK_STR_CONTAINS(clrnn_last_error(), "fmt_text.h5: not an HDF5 file");
    /* truncated: a good file cut in half */
    struct clrnn_fmt_model m;
    struct clrnn_fmt_layer layers[3];
    struct clrnn_fmt_weight w[3];
    sample_model(&m, layers, w);
    CHECK(clrnn_fmt_h5_write("fmt_trunc.h5", &m) == CLRNN_OK);
    FILE *f = fopen("fmt_trunc.h5", "rb");
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    CHECK(truncate("fmt_trunc.h5", size / 2) == 0);
    CHECK(clrnn_fmt_h5_read("fmt_trunc.h5", &r) == CLRNN_E_FORMAT);
    CHECK_STR_CONTAINS(clrnn_last_error(), "fmt_trunc.h5");
    /* a listed weight that is missing; a dataset file where a model is expected */
    w[2].name = (char *)"dense/kernel:0";
    CHECK(clrnn_fmt_h5_write("fmt_good.h5", &m) == CLRNN_OK);
    hid_t h = H5Fopen("fmt_good.h5", H5F_ACC_RDWR, H5P_DEFAULT);
    H5Ldelete(h, "model_weights/dense/dense/kernel:0", H5P_DEFAULT);
    H5Fclose(h);
    CHECK(clrnn_fmt_h5_read("fmt_good.h5", &r) == CLRNN_E_FORMAT);
    CHECK_STR_CONTAINS(clrnn_last_error(), "fmt_good.h5: layer 'dense' weight 'dense/kernel:0'");
    h = H5Fopen("fmt_good.h5", H5F_ACC_RDWR, H5P_DEFAULT);
    H5Ldelete(h, "model_weights", H5P_DEFAULT);
    H5Fclose(h);
    CHECK(clrnn_fmt_h5_read("fmt_good.h5", &r) == CLRNN_E_FORMAT);
    CHECK_STR_CONTAINS(clrnn_last_error(), "without a model_weights group");
    /* allocation failures: each fails cleanly until the read needs no more */
    CHECK(clrnn_fmt_h5_write("fmt_alloc.h5", &m) == CLRNN_OK);
    int succeeded = 0;
    for (long k = 1; k < 200 && !succeeded; k++) {
        clrnn_alloc_fail_after(k);
        clrnn_status s = clrnn_fmt_h5_read("fmt_alloc.h5", &r);
        clrnn_alloc_fail_after(0);
        if (s == CLRNN_OK) {
            check_sample(&r, 1);
            clrnn_fmt_model_clear(&r);
            succeeded = 1;
        } else if (s != CLRNN_E_NOMEM) {
            fprintf(stderr, "allocation failure %ld gave %s: %s\n", k, clrnn_status_str(s),
                    clrnn_last_error());
            CHECK(s == CLRNN_E_NOMEM);
        }
    }
    CHECK(succeeded);
    unlink("fmt_text.h5"), unlink("fmt_trunc.h5"), unlink("fmt_good.h5"), unlink("fmt_alloc.h5");
    unlink("fmt_full.h5"), unlink("fmt_weights.h5");
}

int main(void) {
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    test_round_trip();
    test_encodings();
    test_datasets();
    test_bad_files();
    TEST_MAIN_END();
}
