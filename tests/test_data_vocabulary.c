/*
 * test_data_vocabulary.c - the vocabulary of a text dataset file (formats/dataset_h5.c):
 * clrnn_fmt_data_write_vocabulary writes the arrays and a 1-D vlen UTF-8 string dataset
 * "vocabulary" in one atomic write, clrnn_fmt_data_read_vocabulary reads it back exactly
 * (empty strings and multi-byte characters included), fixed-length strings as h5py may write
 * them are read too, and files without one or with numbers there give clear errors. No device.
 */
#include <hdf5.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clrnn_base.h"
#include "clrnn_formats.h"
#include "test.h"

static long open_ids(void) { return (long)H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL); }

static void expect_fail(clrnn_status got, clrnn_status want, const char *text) {
    CHECK_INT_EQ(got, want);
    CHECK_STR_CONTAINS(clrnn_last_error(), text);
}

int main(void) {
    const char *path = "vocab_test.h5";
    struct clrnn_array x, y;
    int64_t xd[2] = {2, 3}, yd[1] = {2};
    CHECK(clrnn_array_alloc(&x, CLRNN_DTYPE_INT32, 2, xd) == CLRNN_OK);
    CHECK(clrnn_array_alloc(&y, CLRNN_DTYPE_INT32, 1, yd) == CLRNN_OK);
    for (int i = 0; i < 6; i++) ((int32_t *)x.data)[i] = i % 4;
    ((int32_t *)y.data)[0] = 3, ((int32_t *)y.data)[1] = 1;
    struct clrnn_fmt_named_array arrays[2] = {{"x_train", &x}, {"y_train", &y}};
    const char *tokens[4] = {"", "[UNK]", "caf\xc3\xa9", "\xe2\x82\xac"};

    CHECK_INT_EQ(clrnn_fmt_data_write_vocabulary(path, arrays, 2, tokens, 4), CLRNN_OK);
    CHECK_INT_EQ(open_ids(), 0);
    char **got = NULL;
    int n = -1;
    CHECK_INT_EQ(clrnn_fmt_data_read_vocabulary(path, &got, &n), CLRNN_OK);
    CHECK_INT_EQ(n, 4);
    for (int i = 0; got && i < n && i < 4; i++) CHECK(strcmp(got[i], tokens[i]) == 0);
    clrnn_fmt_vocabulary_free(got, n);
    CHECK_INT_EQ(open_ids(), 0);
    struct clrnn_array r;
    CHECK_INT_EQ(clrnn_fmt_data_read(path, "y_train", &r), CLRNN_OK);
    CHECK_INT_EQ(r.dtype, CLRNN_DTYPE_INT32);
    CHECK_INT_EQ(((int32_t *)r.data)[0], 3);
    clrnn_array_clear(&r);

    /* an empty vocabulary is a valid (0,) dataset */
    CHECK_INT_EQ(clrnn_fmt_data_write_vocabulary(path, arrays, 2, NULL, 0), CLRNN_OK);
    CHECK_INT_EQ(clrnn_fmt_data_read_vocabulary(path, &got, &n), CLRNN_OK);
    CHECK_INT_EQ(n, 0);
    clrnn_fmt_vocabulary_free(got, n);

    /* a failed write leaves the existing file as it was (atomic) */
    CHECK_INT_EQ(clrnn_fmt_data_write_vocabulary(path, arrays, 2, tokens, 4), CLRNN_OK);
    const char *bad[2] = {"a", NULL};
    expect_fail(clrnn_fmt_data_write_vocabulary(path, arrays, 2, bad, 2), CLRNN_E_INVALID_ARG,
                "vocabulary token 1 is NULL");
    struct clrnn_fmt_named_array clash[1] = {{"vocabulary", &x}};
    expect_fail(clrnn_fmt_data_write_vocabulary(path, clash, 1, tokens, 4), CLRNN_E_INVALID_ARG,
                "dataset 'vocabulary' given twice");
    CHECK_INT_EQ(clrnn_fmt_data_read_vocabulary(path, &got, &n), CLRNN_OK);
    CHECK_INT_EQ(n, 4);
    clrnn_fmt_vocabulary_free(got, n);

    /* fixed-length NULLPAD ASCII strings, as h5py writes a numpy 'S' array */
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    H5Ldelete(f, "vocabulary", H5P_DEFAULT);
    hsize_t dim = 3;
    hid_t type = H5Tcopy(H5T_C_S1), space = H5Screate_simple(1, &dim, NULL);
    H5Tset_size(type, 4);
    H5Tset_strpad(type, H5T_STR_NULLPAD);
    hid_t ds = H5Dcreate2(f, "vocabulary", type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, "ab\0\0wxyzq\0\0\0");
    H5Dclose(ds), H5Sclose(space), H5Tclose(type), H5Fclose(f);
    CHECK_INT_EQ(clrnn_fmt_data_read_vocabulary(path, &got, &n), CLRNN_OK);
    CHECK_INT_EQ(n, 3);
    if (n == 3) {
        CHECK(strcmp(got[0], "ab") == 0);
        CHECK(strcmp(got[1], "wxyz") == 0);
        CHECK(strcmp(got[2], "q") == 0);
    }
    clrnn_fmt_vocabulary_free(got, n);

    /* no vocabulary; numbers where the vocabulary should be */
    CHECK_INT_EQ(clrnn_fmt_data_write(path, arrays, 2), CLRNN_OK);
    expect_fail(clrnn_fmt_data_read_vocabulary(path, &got, &n), CLRNN_E_FORMAT,
                "vocab_test.h5: no vocabulary (the file has: x_train, y_train)");
    CHECK(got == NULL && n == 0);
    struct clrnn_fmt_named_array numbers[1] = {{"vocabulary", &y}};
    CHECK_INT_EQ(clrnn_fmt_data_write(path, numbers, 1), CLRNN_OK);
    expect_fail(clrnn_fmt_data_read_vocabulary(path, &got, &n), CLRNN_E_FORMAT,
                "vocab_test.h5: dataset 'vocabulary': holds int32 of rank 1, expected a 1-D list "
                "of strings");
    expect_fail(clrnn_fmt_data_read_vocabulary("vocab_missing.h5", &got, &n), CLRNN_E_IO,
                "vocab_missing.h5");
    CHECK_INT_EQ(open_ids(), 0);

    clrnn_array_clear(&x);
    clrnn_array_clear(&y);
    unlink(path);
    TEST_MAIN_END();
}
