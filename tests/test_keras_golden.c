/*
 * test_keras_golden.c - models saved by real Keras (tests/keras/golden, made by
 * tests/keras/make_golden.sh with Keras 3 on JAX) load in clrnn and predict what Keras
 * predicted for the same fixed inputs (io.h5: x, and y = Keras's model.predict(x)) to 1e-5:
 * every layer and option of the seed models, from each format clrnn reads: Keras 3's
 * (.keras, legacy .h5, JSON + .weights.h5) and tf.keras 2.15's (legacy .h5, to_json +
 * save_weights .h5; tests/keras/golden-tf2). No Python runs here; the files are committed.
 * Compiled models (compiled_*, tests/keras/make_golden_compiled.py) come back with the
 * loss and optimizer each file records, in string, object or function form, and with the
 * optimizer's state where the file keeps it. Broken .keras archives (a member outside the archive's
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
static char golden[512];   /* Keras 3 files (make_golden.sh) */
static char golden2[512];  /* tf.keras 2.15 files (make_golden_tf2.py) */

/* The cases: every folder of golden/ with an io.h5, sorted (train_* are for optimizers). */
static int list_cases(const char *root, char names[][64], int max) {
    DIR *d = opendir(root);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) && n < max) {
        char io[1024];
        snprintf(io, sizeof io, "%s/%s/io.h5", root, e->d_name);
        if (e->d_name[0] != '.' &&
            (clrnn_fmt_data_has(io, "x") == 1 || clrnn_fmt_data_has(io, "x0") == 1))
            snprintf(names[n++], 64, "%.63s", e->d_name);
    }
    if (d) closedir(d);
    qsort(names, (size_t)n, 64, (int (*)(const void *, const void *))strcmp);
    return n;
}

/* The largest difference between clrnn's predictions (got) and Keras's (want). */
static double worst_diff(const struct clrnn_array *got, const struct clrnn_array *want) {
    int64_t n = clrnn_array_count(want);
    double worst = clrnn_array_count(got) == n ? 0 : INFINITY;
    for (int64_t i = 0; i < n && isfinite(worst); i++) {
        double d = fabs((double)((float *)got->data)[i] - ((float *)want->data)[i]);
        if (!(d <= worst)) worst = d; /* NaN counts as the worst */
    }
    return worst;
}

/* A model of unknown length (Input((None,))): io.h5 also holds x_long, longer sequences,
 * and Keras's y_long for them; the model that just predicted x predicts them too. A model
 * of several inputs of unknown length: x0_long, x1_long, ..., each input longer by its own
 * steps (keras.io's lstm_seq2seq). */
static void check_long(clrnn_model *m, const char *io, const char *name, const char *file) {
    struct clrnn_array x[4], want, got;
    int n = 0;
    if (clrnn_fmt_data_has(io, "x_long") == 1) {
        CHECK(clrnn_fmt_data_read(io, "x_long", &x[n++]) == CLRNN_OK);
    } else {
        char key[16];
        for (; n < 4; n++) {
            snprintf(key, sizeof key, "x%d_long", n);
            if (clrnn_fmt_data_has(io, key) != 1) break;
            CHECK(clrnn_fmt_data_read(io, key, &x[n]) == CLRNN_OK);
        }
    }
    if (n == 0) return;
    CHECK(clrnn_fmt_data_read(io, "y_long", &want) == CLRNN_OK);
    char lengths[64] = "";
    for (int k = 0; k < n; k++) {
        int64_t in[4];
        CHECK(clrnn_model_input_shape_at(m, k, in, NULL) >= 1 && in[0] == -1); /* None */
        snprintf(lengths + strlen(lengths), sizeof lengths - strlen(lengths), "%s%lld",
                 k ? "," : "", (long long)x[k].dims[1]);
    }
    if (clrnn_model_predict(m, x, n, 2, &got)) {
        printf("  %-30s %-28s PREDICT FAILED at length %s: %s\n", name, file, lengths,
               clrnn_last_error());
        CHECK(0);
    } else {
        double worst = worst_diff(&got, &want);
        printf("  %-30s %-28s length %s: max |clrnn - keras| %.2e\n", name, file, lengths,
               worst);
        CHECK(worst <= TOL);
        clrnn_array_clear(&got);
    }
    for (int k = 0; k < n; k++) clrnn_array_clear(&x[k]);
    clrnn_array_clear(&want);
}

/* Loads one file (and weights file) of a case and compares its predictions with Keras's. */
static void check_case(const char *root, const char *name, const char *file,
                       const char *weights) {
    char dir[600], path[700], wpath[700], io[700];
    snprintf(dir, sizeof dir, "%s/%s", root, name);
    snprintf(path, sizeof path, "%s/%s", dir, file);
    snprintf(wpath, sizeof wpath, "%s/%s", dir, weights ? weights : "");
    snprintf(io, sizeof io, "%s/io.h5", dir);
    /* x, or x0, x1, ... for a model of several inputs (the encoder-decoder cases) */
    struct clrnn_array xs[4], want, got;
    int n_x = 0;
    if (clrnn_fmt_data_has(io, "x") == 1) {
        CHECK(clrnn_fmt_data_read(io, "x", &xs[n_x++]) == CLRNN_OK);
    } else {
        char key[8];
        for (; n_x < 4; n_x++) {
            snprintf(key, sizeof key, "x%d", n_x);
            if (clrnn_fmt_data_has(io, key) != 1) break;
            CHECK(clrnn_fmt_data_read(io, key, &xs[n_x]) == CLRNN_OK);
        }
    }
    CHECK(clrnn_fmt_data_read(io, "y", &want) == CLRNN_OK);
    clrnn_model *m = NULL;
    clrnn_status s = clrnn_model_load(ctx, path, weights ? wpath : NULL, &m);
    if (s) {
        printf("  %-30s %-28s LOAD FAILED: %s\n", name, file, clrnn_last_error());
        CHECK(s == CLRNN_OK);
    } else if ((s = clrnn_model_predict(m, xs, n_x, 2, &got))) {
        printf("  %-30s %-28s PREDICT FAILED: %s\n", name, file, clrnn_last_error());
        CHECK(s == CLRNN_OK);
    } else {
        double worst = worst_diff(&got, &want);
        printf("  %-30s %-28s max |clrnn - keras| %.2e\n", name, file, worst);
        CHECK(worst <= TOL);
        clrnn_array_clear(&got);
        check_long(m, io, name, file);
    }
    clrnn_model_free(m);
    for (int k = 0; k < n_x; k++) clrnn_array_clear(&xs[k]);
    clrnn_array_clear(&want);
}

/* A model on raw strings (TextVectorization first): clrnn keeps the vocabulary asset and
 * runs the rest on the ids; Keras's predictions for those ids were checked above. */
static void test_text_vectorization(void) {
    char path[700];
    snprintf(path, sizeof path, "%s/text_vectorization/model.keras", golden2);
    clrnn_model *m = NULL;
    CHECK(clrnn_model_load(ctx, path, NULL, &m) == CLRNN_OK);
    if (!m) return;
    int n;
    const char *const *vocab = clrnn_model_vocabulary(m, &n);
    CHECK(n == 16 && strcmp(vocab[0], "") == 0 && strcmp(vocab[1], "[UNK]") == 0 &&
          strcmp(vocab[2], "great") == 0 && strcmp(vocab[15], "a") == 0);
    int64_t in[4];
    clrnn_dtype dtype;
    CHECK(clrnn_model_input_shape(m, in, &dtype) == 1 && in[0] == 6 && dtype == CLRNN_DTYPE_INT32);
    printf("  text_vectorization: vocabulary of %d from the archive's asset, input (None, %lld) "
           "ids\n", n, (long long)in[0]);
    clrnn_model_free(m);
}

/* TextVectorization without output_sequence_length: Keras's predict(texts) pads each batch
 * of 32 texts to its longest (io.h5 y_text); io.h5's x pads all of them to the longest of
 * all, so a batch is x's rows cut after their last id (ids are never 0 but for padding). */
static void test_text_vectorization_any_length(void) {
    char path[700], io[700];
    snprintf(path, sizeof path, "%s/text_vectorization_any_length/model.keras", golden2);
    snprintf(io, sizeof io, "%s/text_vectorization_any_length/io.h5", golden2);
    clrnn_model *m = NULL;
    struct clrnn_array x, want;
    CHECK(clrnn_model_load(ctx, path, NULL, &m) == CLRNN_OK);
    CHECK(clrnn_fmt_data_read(io, "x", &x) == CLRNN_OK);
    CHECK(clrnn_fmt_data_read(io, "y_text", &want) == CLRNN_OK);
    if (!m) return;
    int64_t in[4], N = x.dims[0], T = x.dims[1];
    CHECK(clrnn_model_input_shape(m, in, NULL) == 1 && in[0] == -1);
    double worst = 0;
    for (int64_t first = 0; first < N; first += 32) {
        int64_t B = N - first < 32 ? N - first : 32, longest = 1;
        const int32_t *ids = (const int32_t *)x.data + first * T;
        for (int64_t i = 0; i < B; i++)
            for (int64_t t = 0; t < T; t++)
                if (ids[i * T + t] && t + 1 > longest) longest = t + 1;
        struct clrnn_array batch, got;
        int64_t dims[2] = {B, longest};
        CHECK(clrnn_array_alloc(&batch, CLRNN_DTYPE_INT32, 2, dims) == CLRNN_OK);
        for (int64_t i = 0; i < B; i++)
            memcpy((int32_t *)batch.data + i * longest, ids + i * T, (size_t)longest * 4);
        CHECK(clrnn_model_predict(m, &batch, 1, 32, &got) == CLRNN_OK);
        for (int64_t i = 0; i < B; i++) {
            double d = fabs((double)((float *)got.data)[i] - ((float *)want.data)[first + i]);
            if (!(d <= worst)) worst = d;
        }
        printf("  text_vectorization_any_length: texts %lld..%lld padded to %lld ids\n",
               (long long)first + 1, (long long)(first + B), (long long)longest);
        clrnn_array_clear(&batch), clrnn_array_clear(&got);
    }
    printf("  text_vectorization_any_length: max |clrnn - keras predict(texts)| %.2e\n", worst);
    CHECK(worst <= TOL);
    clrnn_array_clear(&x), clrnn_array_clear(&want);
    clrnn_model_free(m);
}

static int warnings;
static void count_warnings(int level, const char *msg, void *user) {
    (void)user;
    if (level >= 1) {
        warnings++;
        printf("  warning: %s\n", msg);
    }
}

/* tf.keras 2 models saved after 3 training steps: their optimizer comes back compiled with
 * its state (TF 2.11+ layout: iteration, then each weight's slots; legacy optimizers: iter,
 * then slot by slot), without a warning. */
static void check_optimizer_state(const char *name, clrnn_optimizer_kind kind) {
    char path[700];
    snprintf(path, sizeof path, "%s/%s/model.h5", golden2, name);
    clrnn_model *m = NULL;
    warnings = 0;
    clrnn_log_set(count_warnings, NULL);
    CHECK(clrnn_model_load(ctx, path, NULL, &m) == CLRNN_OK);
    clrnn_log_set(NULL, NULL);
    struct clrnn_compile_config cc;
    CHECK(m && clrnn_model_compile_config(m, &cc) && cc.optimizer.kind == kind);
    CHECK(warnings == 0);
    CHECK(m && m->optim && clrnn_optim_iterations(m->optim) == 3);
    printf("  %-30s optimizer state restored: %ld steps taken\n", name,
           m && m->optim ? clrnn_optim_iterations(m->optim) : -1L);
    clrnn_model_free(m);
}

/* A compiled case (compiled_*): file (with weights) loads compiled as compile.json says
 * (keras_json: Keras 3's to_json, which records the loss but not the optimizer: then
 * Keras's compile() default, RMSprop), with `iterations` optimizer steps restored (-1: not
 * checked); uncompiled (the loss unknown) when compiled is 0, as tf.keras 2's to_json. */
static void check_compiled(const char *root, const char *name, const char *file,
                           const char *weights, int compiled, int keras_json, long iterations) {
    char path[700], wpath[700], expect_path[700];
    snprintf(path, sizeof path, "%s/%s/%s", root, name, file);
    snprintf(wpath, sizeof wpath, "%s/%s/%s", root, name, weights ? weights : "");
    snprintf(expect_path, sizeof expect_path, "%s/%s/compile.json", root, name);
    FILE *f = fopen(expect_path, "rb");
    char text[1024] = {0};
    CHECK(f && fread(text, 1, sizeof text - 1, f) > 0);
    if (f) fclose(f);
    cJSON *expect = cJSON_Parse(text);
    const char *loss = cJSON_GetStringValue(cJSON_GetObjectItem(expect, "loss"));
    const char *opt = cJSON_GetStringValue(cJSON_GetObjectItem(expect, "optimizer"));
    double lr = cJSON_GetNumberValue(cJSON_GetObjectItem(expect, "learning_rate"));
    int logits = cJSON_IsTrue(cJSON_GetObjectItem(expect, "from_logits"));
    clrnn_model *m = NULL;
    CHECK(loss && opt && clrnn_model_load(ctx, path, weights ? wpath : NULL, &m) == CLRNN_OK);
    struct clrnn_compile_config cc;
    int got = m && clrnn_model_compile_config(m, &cc);
    CHECK(got == compiled);
    if (got && compiled) {
        struct clrnn_optimizer_config want;
        CHECK(clrnn_optimizer_from_name(keras_json ? "rmsprop" : opt, &want) == CLRNN_OK);
        CHECK(strcmp(cc.loss, loss) == 0 && cc.from_logits == logits);
        CHECK(cc.optimizer.kind == want.kind);
        /* (load_weights then sets RMSprop's rate from the file's variables, as in Keras) */
        if (!keras_json) CHECK(fabs(cc.optimizer.learning_rate - lr) < 1e-8);
        if (!keras_json && want.kind == CLRNN_OPT_SGD)
            CHECK(fabs(cc.optimizer.momentum -
                       cJSON_GetNumberValue(cJSON_GetObjectItem(expect, "momentum"))) < 1e-8);
        long steps = m->optim ? clrnn_optim_iterations(m->optim) : -1;
        if (iterations >= 0) CHECK(steps == iterations);
        printf("  %-30s %-28s compiled: %s%s, %s lr %g, %ld steps restored\n", name, file,
               cc.loss, cc.from_logits ? " (logits)" : "", keras_json ? "rmsprop" : opt,
               cc.optimizer.learning_rate,
               steps);
    } else {
        printf("  %-30s %-28s %s\n", name, file, got ? "compiled" : "no loss: predicts only");
    }
    clrnn_model_free(m);
    cJSON_Delete(expect);
}

static void test_compiled(void) {
    static const char *const cases[] = {"compiled_strings", "compiled_objects",
                                        "compiled_loss_function"};
    for (int i = 0; i < 3; i++) {
        check_compiled(golden, cases[i], "model.keras", NULL, 1, 0, 2);
        check_compiled(golden, cases[i], "model.h5", NULL, 1, 0, 2);
        check_compiled(golden, cases[i], "model.json", "model.weights.h5", 1, 1, -1);
        check_compiled(golden2, cases[i], "model.keras", NULL, 1, 0, 2);
        check_compiled(golden2, cases[i], "model.h5", NULL, 1, 0, 2);
        check_compiled(golden2, cases[i], "model.json", "weights.h5", 0, 0, -1);
    }
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
    snprintf(golden2, sizeof golden2, "%s/keras/golden-tf2", data ? data : "../../tests");
    static char names[64][64];
    int n = list_cases(golden, names, 64);
    printf("%d Keras 3 cases in %s\n", n, golden);
    CHECK(n >= 27);
    for (int i = 0; i < n; i++) {
        check_case(golden, names[i], "model.h5", NULL);
        check_case(golden, names[i], "model.json", "model.weights.h5");
        check_case(golden, names[i], "model.keras", NULL);
    }
    n = list_cases(golden2, names, 64);
    printf("%d tf.keras 2 cases in %s\n", n, golden2);
    CHECK(n >= 20);
    for (int i = 0; i < n; i++) {
        char keras_file[700];
        snprintf(keras_file, sizeof keras_file, "%s/%s/model.keras", golden2, names[i]);
        char h5_file[700];
        snprintf(h5_file, sizeof h5_file, "%s/%s/model.h5", golden2, names[i]);
        if (access(keras_file, F_OK) == 0) check_case(golden2, names[i], "model.keras", NULL);
        if (access(h5_file, F_OK) != 0) continue; /* the TextVectorization model: .keras only */
        check_case(golden2, names[i], "model.h5", NULL);
        check_case(golden2, names[i], "model.json", "weights.h5");
    }
    test_text_vectorization();
    test_compiled();
    test_text_vectorization_any_length();
    check_optimizer_state("seed_imdb_lstm", CLRNN_OPT_ADAM);
    check_optimizer_state("seed_imdb_lstm_legacy_adam", CLRNN_OPT_ADAM);
    check_optimizer_state("seed_stacked_gru", CLRNN_OPT_RMSPROP);
    test_bad_archives();
    clrnn_ctx_free(ctx);
    TEST_MAIN_END();
}
