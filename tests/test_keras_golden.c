/*
 * test_keras_golden.c - models saved by real Keras (tests/keras/golden, made by
 * tests/keras/make_golden.sh with Keras 3 on JAX) load in clrnn and predict what Keras
 * predicted for the same fixed inputs (io.h5: x, and y = Keras's model.predict(x)) to 1e-5:
 * every layer and option of the seed models, from each format clrnn reads. No Python runs
 * here; the files are committed. Broken .keras archives (a member outside the archive's
 * folder, a missing member, a truncated archive, config or weights that are not what they
 * say) are refused with a clear message and no model.
 *
 * The tolerance: Keras computed y in float32 on the CPU, clrnn in float32 on the OpenCL
 * device, with other summation orders; outputs are O(1) sums of a few dozen products over 7
 * timesteps, so they differ by a few float32 epsilons (~1e-7 to 1e-6). 1e-5 is what the
 * issue asks for, and a wrong gate order, bias or mask rule is off by 1e-2 or more.
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

#include "clrnn_formats.h"
#include "clrnn_impl.h"
#include "test.h"

#define TOL 1e-5

static clrnn_ctx *ctx;
static char golden[512];

/* The cases: every folder of golden/ with an io.h5, sorted (train_* are for optimizers). */
static int list_cases(char names[][64], int max) {
    DIR *d = opendir(golden);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) && n < max) {
        char io[1024];
        snprintf(io, sizeof io, "%s/%s/io.h5", golden, e->d_name);
        if (e->d_name[0] != '.' && clrnn_fmt_data_has(io, "x") == 1)
            snprintf(names[n++], 64, "%.63s", e->d_name);
    }
    if (d) closedir(d);
    qsort(names, (size_t)n, 64, (int (*)(const void *, const void *))strcmp);
    return n;
}

/* Loads one file (and weights file) of a case and compares its predictions with Keras's. */
static void check_case(const char *name, const char *file, const char *weights) {
    char dir[600], path[700], wpath[700], io[700];
    snprintf(dir, sizeof dir, "%s/%s", golden, name);
    snprintf(path, sizeof path, "%s/%s", dir, file);
    snprintf(wpath, sizeof wpath, "%s/%s", dir, weights ? weights : "");
    snprintf(io, sizeof io, "%s/io.h5", dir);
    struct clrnn_array x, want, got;
    CHECK(clrnn_fmt_data_read(io, "x", &x) == CLRNN_OK);
    CHECK(clrnn_fmt_data_read(io, "y", &want) == CLRNN_OK);
    clrnn_model *m = NULL;
    clrnn_status s = clrnn_model_load(ctx, path, weights ? wpath : NULL, &m);
    if (s) {
        printf("  %-30s %-28s LOAD FAILED: %s\n", name, file, clrnn_last_error());
        CHECK(s == CLRNN_OK);
    } else if ((s = clrnn_model_predict(m, &x, 2, &got))) {
        printf("  %-30s %-28s PREDICT FAILED: %s\n", name, file, clrnn_last_error());
        CHECK(s == CLRNN_OK);
    } else {
        int64_t n = clrnn_array_count(&want);
        double worst = clrnn_array_count(&got) == n ? 0 : INFINITY;
        for (int64_t i = 0; i < n && isfinite(worst); i++) {
            double d = fabs((double)((float *)got.data)[i] - ((float *)want.data)[i]);
            if (!(d <= worst)) worst = d; /* NaN counts as the worst */
        }
        printf("  %-30s %-28s max |clrnn - keras| %.2e\n", name, file, worst);
        CHECK(worst <= TOL);
        clrnn_array_clear(&got);
    }
    clrnn_model_free(m);
    clrnn_array_clear(&x), clrnn_array_clear(&want);
}

/* Writes a zip at path holding the given (name, text) members. */
static void write_zip(const char *path, const char *const *members, int n) {
    int err;
    unlink(path);
    zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &err);
    for (int i = 0; z && i < n; i++) {
        zip_source_t *src = zip_source_buffer(z, members[2 * i + 1], strlen(members[2 * i + 1]), 0);
        zip_file_add(z, members[2 * i], src, ZIP_FL_OVERWRITE);
    }
    if (z) zip_close(z);
}

static void expect_refused(const char *path, const char *text) {
    clrnn_model *m = NULL;
    clrnn_status s = clrnn_model_load(ctx, path, NULL, &m);
    CHECK(s != CLRNN_OK && m == NULL);
    CHECK_STR_CONTAINS(clrnn_last_error(), text);
    printf("  refused: %s\n", clrnn_last_error());
}

static void test_bad_archives(void) {
    char good[700], config[1 << 15];
    snprintf(good, sizeof good, "%s/lstm/model.keras", golden);
    /* the real config.json of a golden case, to pair with broken weights */
    struct clrnn_fmt_keras_archive a;
    CHECK(clrnn_fmt_keras_archive_read(good, &a) == CLRNN_OK);
    snprintf(config, sizeof config, "%s", a.config);
    clrnn_fmt_keras_archive_clear(&a);
    const char *evil[] = {"config.json", config, "../escape.txt", "x", "model.weights.h5", "x"};
    write_zip("bad_dotdot.keras", evil, 3);
    expect_refused("bad_dotdot.keras", "member named '../escape.txt'");
    const char *absolute[] = {"config.json", config, "/etc/x", "x"};
    write_zip("bad_absolute.keras", absolute, 2);
    expect_refused("bad_absolute.keras", "member named '/etc/x'");
    const char *no_weights[] = {"config.json", config, "metadata.json", "{}"};
    write_zip("bad_noweights.keras", no_weights, 2);
    expect_refused("bad_noweights.keras", "has no model.weights.h5");
    const char *not_h5[] = {"config.json", config, "model.weights.h5", "not hdf5 at all"};
    write_zip("bad_weights.keras", not_h5, 2);
    expect_refused("bad_weights.keras", "not an HDF5 file");
    const char *not_json[] = {"config.json", "{\"class_name\": ", "model.weights.h5", "x"};
    write_zip("bad_config.keras", not_json, 2);
    expect_refused("bad_config.keras", "bad_config.keras");
    /* the first half of a real archive */
    FILE *in = fopen(good, "rb"), *out = fopen("bad_truncated.keras", "wb");
    char buf[1 << 16];
    size_t n = in ? fread(buf, 1, sizeof buf, in) : 0;
    if (out) fwrite(buf, 1, n / 2, out);
    if (in) fclose(in);
    if (out) fclose(out);
    expect_refused("bad_truncated.keras", "bad_truncated.keras");
    const char *names[] = {"bad_dotdot.keras", "bad_absolute.keras", "bad_noweights.keras",
                           "bad_weights.keras", "bad_config.keras", "bad_truncated.keras"};
    for (int i = 0; i < 6; i++) unlink(names[i]);
}

int main(void) {
    const char *data = getenv("CLRNN_TEST_DATA");
    snprintf(golden, sizeof golden, "%s/keras/golden", data ? data : "../../tests");
    clrnn_status s = clrnn_ctx_create(NULL, &ctx);
    if (s == CLRNN_E_NO_DEVICE) test_skip_no_device(clrnn_last_error());
    if (s) return fprintf(stderr, "%s\n", clrnn_last_error()), 1;
    static char names[64][64];
    int n = list_cases(names, 64);
    printf("%d Keras cases in %s\n", n, golden);
    CHECK(n >= 27);
    for (int i = 0; i < n; i++) {
        check_case(names[i], "model.h5", NULL);
        check_case(names[i], "model.json", "model.weights.h5");
        check_case(names[i], "model.keras", NULL);
    }
    test_bad_archives();
    clrnn_ctx_free(ctx);
    TEST_MAIN_END();
}
