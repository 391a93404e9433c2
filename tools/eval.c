/*
 * eval.c - clrnn-eval: loss and metrics of a saved model on a dataset file, the confusion
 * matrix of a classifier, its throughput, and its predictions to HDF5 or CSV.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "clrnn_formats.h"
#include "data_tasks.h"
#include "eval_text.h"

static const char USAGE[] =
    "usage: clrnn-eval MODEL --data DATA.h5 [options]\n"
    "\n"
    "Evaluates on x_test/y_test when the file has them, otherwise on x/y (x0_test,\n"
    "x1_test, ... or x0, x1, ... for a model of several inputs). A dataset with a vocabulary\n"
    "must have the model's (clrnn-data ... --vocabulary-from MODEL makes one). The loss is\n"
    "the one the model file records (or --loss); a model without one (a Keras 2 to_json +\n"
    "save_weights pair, a model saved uncompiled), or data without labels (x but no y), is\n"
    "only predicted: give --predictions.\n"
    "  --weights FILE.h5       weights for a JSON MODEL (default: NAME.weights.h5 or NAME.h5\n"
    "                          beside NAME.json)\n"
    "  --split test|train|all  which split to use (test)\n"
    "  --batch-size N          32\n"
    "  --loss NAME             the loss, when the model file has none (to evaluate)\n"
    "  --from-logits           with --loss: the model outputs logits\n"
    "  --metrics LIST          metrics beyond loss and accuracy, by Keras's names (default:\n"
    "                          those the model file records): top_k_categorical_accuracy\n"
    "                          (sparse_top_k_categorical_accuracy), precision, recall\n"
    "  --json                  print one JSON object\n"
    "  --predictions OUT       write the predictions: .h5 (dataset 'predictions') or .csv;\n"
    "                          without a loss or labels, only these\n"
    "  --device SPEC           index, cpu, gpu or part of a name (default $CLRNN_DEVICE)\n"
    "  --text TEXT             score raw text instead (repeatable), with the vocabulary the\n"
    "                          model carries, split as clrnn-data split the training text\n"
    "                          (words or characters, lower-cased where it was); prints for\n"
    "                          each text its score (one sigmoid output), the most likely\n"
    "                          next token (a model over its vocabulary) or class, and its\n"
    "                          probability; with --json one object, \"predictions\": [...];\n"
    "                          a model of unknown length pads 32 texts at a time to the\n"
    "                          longest\n"
    "  --text-file FILE        the same for every line of FILE\n";

static void write_csv(const char *path, const struct clrnn_array *p) {
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) cli_fail("%s: cannot write", path);
    int64_t rows = p->dims[0], per = rows ? clrnn_array_count(p) / rows : 0;
    const float *d = p->data;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t c = 0; c < per; c++)
            fprintf(f, "%.9g%c", d[r * per + c], c + 1 == per ? '\n' : ',');
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        remove(tmp);
        cli_fail("%s: write failed", path);
    }
}

#define MAX_MATRIX_CLASSES 20

/* The value of y (float32 or int32) at i. */
static double y_at(const struct clrnn_array *y, int64_t i) {
    return y->dtype == CLRNN_DTYPE_INT32 ? ((const int32_t *)y->data)[i]
                                         : ((const float *)y->data)[i];
}

/* The confusion matrix of a classifier (rows: true class, columns: predicted), counted over
 * every output row (every timestep for per-timestep outputs): one sigmoid output is two
 * classes split at 0.5 (0 for logits), several outputs their argmax; targets one-hot or
 * class indices. counts has room for MAX_MATRIX_CLASSES^2; returns the classes, 0 when
 * there are too many or the targets are not classes. */
static int confusion(const struct clrnn_array *p, const struct clrnn_array *y, int logits,
                     long *counts) {
    int64_t C = p->dims[p->rank - 1], R = clrnn_array_count(p) / C, ny = clrnn_array_count(y);
    int classes = C == 1 ? 2 : (int)C;
    if (classes > MAX_MATRIX_CLASSES || (ny != R && ny != R * C)) return 0;
    memset(counts, 0, sizeof(long) * MAX_MATRIX_CLASSES * MAX_MATRIX_CLASSES);
    const float *pv = p->data;
    for (int64_t r = 0; r < R; r++) {
        int predicted = 0, truth = 0;
        if (C == 1) {
            predicted = pv[r] > (logits ? 0.0f : 0.5f);
            truth = y_at(y, r) > 0.5;
        } else {
            for (int64_t c = 1; c < C; c++)
                if (pv[r * C + c] > pv[r * C + predicted]) predicted = (int)c;
            if (ny == R) {
                truth = (int)y_at(y, r);
            } else {
                for (int64_t c = 1; c < C; c++)
                    if (y_at(y, r * C + c) > y_at(y, r * C + truth)) truth = (int)c;
            }
            if (truth < 0 || truth >= classes) return 0;
        }
        counts[truth * MAX_MATRIX_CLASSES + predicted]++;
    }
    return classes;
}

/* Seconds on a monotonic clock. */
static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

/* Writes the predictions p to path: .csv, else HDF5 (dataset "predictions"). */
static void write_predictions(const char *path, const struct clrnn_array *p) {
    const char *dot = strrchr(path, '.');
    if (dot && strcmp(dot, ".csv") == 0) {
        write_csv(path, p);
    } else {
        struct clrnn_fmt_named_array a = {"predictions", p};
        clrnn_status s = clrnn_fmt_data_write(path, &a, 1);
        if (s) cli_fail_status(s);
    }
}

/* Without a loss or without labels: the predictions only, as Keras's predict needs
 * neither, and what it did. */
static void predict_only(clrnn_model *m, const char *model, const struct clrnn_data *data,
                         const char *preds, long batch, int json, const char *why) {
    if (!preds) cli_fail("%s; give --predictions OUT to predict", why);
    int n_x;
    const struct clrnn_array *xs = clrnn_data_inputs(data, &n_x);
    struct clrnn_array p;
    double t0 = now();
    clrnn_status s = clrnn_model_predict(m, xs, n_x, (int)batch, &p);
    double seconds = now() - t0;
    if (s) cli_fail_status(s);
    write_predictions(preds, &p);
    long long samples = (long long)p.dims[0];
    double rate = seconds > 0 ? (double)samples / seconds : 0;
    if (json)
        printf("{\"samples\": %lld, \"seconds\": %.6f, \"samples_per_second\": %.1f, "
               "\"data\": \"%s\", \"predictions\": \"%s\"}\n", samples, seconds, rate,
               data->x_name, preds);
    else
        printf("%s: %lld samples (%s) predicted to %s - %.3fs, %.0f samples/s (no loss: %s)\n",
               model, samples, data->x_name, preds, seconds, rate, why);
    clrnn_array_clear(&p);
}

/* --text and --text-file: the texts (and the file's non-empty lines) scored by the model. */
static int score_text(const char *model, const char *weights, const char *device, char **texts,
                      int n_text, char *file, int json) {
    for (char *save = NULL, *line = file ? strtok_r(file, "\r\n", &save) : NULL; line;
         line = strtok_r(NULL, "\r\n", &save)) {
        char **grown = realloc(texts, (size_t)(n_text + 1) * sizeof *texts);
        if (!grown) cli_fail("out of memory");
        texts = grown;
        texts[n_text++] = line;
    }
    if (n_text == 0) cli_fail("no text to score (the file is empty)");
    clrnn_ctx *ctx = cli_open_device(device);
    clrnn_model *m;
    clrnn_status s = cli_load_model(ctx, model, weights, &m);
    if (s) cli_fail_status(s);
    eval_text_lines(m, model, texts, n_text, json);
    clrnn_model_free(m);
    clrnn_ctx_free(ctx);
    free(texts);
    free(file);
    return 0;
}

int main(int argc, char **argv) {
    cli_start("clrnn-eval", USAGE, argc, argv);
    cli_guard(); /* the files it reads may be hostile */
    const char *model = NULL, *weights = NULL, *data_path = NULL, *preds = NULL, *device = NULL;
    const char *split = "test", *loss = NULL, *metrics = NULL, *v;
    long batch = 32;
    int json = 0, from_logits = 0, n_text = 0;
    char **texts = calloc((size_t)argc, sizeof *texts), *text_file = NULL;
    if (!texts) cli_fail("out of memory");
    for (int i = 1; i < argc; i++) {
        if ((v = cli_flag_value(argc, argv, &i, "--text"))) texts[n_text++] = (char *)v;
        else if ((v = cli_flag_value(argc, argv, &i, "--text-file"))) text_file = cli_read_text(v);
        else if ((v = cli_flag_value(argc, argv, &i, "--weights"))) weights = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--data"))) data_path = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--predictions"))) preds = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--device"))) device = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--split"))) split = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--loss"))) loss = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--metrics"))) metrics = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--batch-size"))) batch = cli_long("--batch-size", v, 1, 1 << 24);
        else if (strcmp(argv[i], "--json") == 0) json = 1;
        else if (strcmp(argv[i], "--from-logits") == 0) from_logits = 1;
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) cli_help();
        else if (argv[i][0] == '-') cli_usage_error("unknown option '%s'", argv[i]);
        else if (!model) model = argv[i];
        else cli_usage_error("unexpected argument '%s'", argv[i]);
    }
    if (!model) cli_usage_error("MODEL is required");
    if (n_text || text_file) {
        if (data_path) cli_usage_error("give --data or --text/--text-file, not both");
        return score_text(model, weights, device, texts, n_text, text_file, json);
    }
    free(texts);
    if (!data_path) cli_usage_error("--data is required");
    clrnn_split sp;
    if (strcmp(split, "test") == 0) sp = CLRNN_SPLIT_TEST;
    else if (strcmp(split, "train") == 0) sp = CLRNN_SPLIT_TRAIN;
    else if (strcmp(split, "all") == 0) sp = CLRNN_SPLIT_ALL;
    else cli_usage_error("--split must be test, train or all");

    struct clrnn_data data;
    cli_reading(data_path, cli_read_limit(data_path));
    clrnn_status s = clrnn_data_load(data_path, sp, CLRNN_LABELS_OPTIONAL, &data);
    cli_reading(NULL, 0);
    if (s) cli_fail_status(s);
    clrnn_ctx *ctx = cli_open_device(device);
    clrnn_model *m;
    if ((s = cli_load_model(ctx, model, weights, &m))) cli_fail_status(s);
    data_vocab_carry(m, model, data_path, 0); /* the ids must mean the model's tokens */
    struct clrnn_compile_config cc;
    int known = clrnn_model_compile_config(m, &cc);
    if (!data.y_name[0] || (!loss && !known)) {
        char why[600];
        if (!data.y_name[0])
            snprintf(why, sizeof why, "%.300s has no labels (%s but no y)", data_path, data.x_name);
        else
            snprintf(why, sizeof why, "%.300s records none (--loss NAME evaluates)", model);
        predict_only(m, model, &data, preds, batch, json, why);
        clrnn_model_free(m);
        clrnn_data_clear(&data);
        clrnn_ctx_free(ctx);
        return 0;
    }
    if (loss) {
        memset(&cc, 0, sizeof cc);
        snprintf(cc.loss, sizeof cc.loss, "%s", loss);
        cc.from_logits = from_logits;
        cc.optimizer = clrnn_optimizer_default(CLRNN_OPT_ADAM);
        if ((s = clrnn_model_compile(m, &cc))) cli_fail_status(s);
    }
    unsigned bits;
    if (metrics && clrnn_model_compile_config(m, &cc) &&
        ((s = clrnn_metrics_parse(metrics, cc.loss, &bits)) ||
         (s = clrnn_model_set_metrics(m, bits, cc.top_k))))
        cli_usage_error("%s", clrnn_last_error());
    struct clrnn_eval_result r;
    int n_x;
    const struct clrnn_array *xs = clrnn_data_inputs(&data, &n_x);
    if ((s = clrnn_model_evaluate(m, xs, n_x, &data.y, (int)batch, &r))) {
        fprintf(stderr, "%s: on %s/%s of %s:\n", cli_prog(), data.x_name, data.y_name, data_path);
        cli_fail_status(s);
    }
    long counts[MAX_MATRIX_CLASSES * MAX_MATRIX_CLASSES];
    int classes = 0;
    int64_t out[4];
    int out_rank = clrnn_model_output_shape(m, out);
    /* the matrix needs the predictions: worth another pass only when it can be shown */
    int classifier = r.has_accuracy && out[out_rank - 1] <= MAX_MATRIX_CLASSES;
    if (preds || classifier) {
        struct clrnn_array p;
        if ((s = clrnn_model_predict(m, xs, n_x, (int)batch, &p))) cli_fail_status(s);
        if (classifier) classes = confusion(&p, &data.y, cc.from_logits, counts);
        if (preds) write_predictions(preds, &p);
        clrnn_array_clear(&p);
    }
    double rate = r.seconds > 0 ? (double)r.samples / r.seconds : 0;
    if (json) {
        printf("{\"loss\": %.9g", r.loss);
        if (r.has_accuracy) printf(", \"accuracy\": %.9g", r.accuracy);
        for (unsigned bit = CLRNN_METRIC_TOP_K; bit <= CLRNN_METRIC_RECALL; bit <<= 1)
            if (r.more.metrics & bit)
                printf(", \"%s\": %.9g", clrnn_metric_name(bit, r.more.sparse),
                       clrnn_metric_value(&r.more, bit));
        printf(", \"samples\": %lld, \"seconds\": %.6f, \"samples_per_second\": %.1f, "
               "\"data\": \"%s\"", (long long)r.samples, r.seconds, rate, data.x_name);
        if (classes) {
            printf(", \"confusion_matrix\": [");
            for (int t = 0; t < classes; t++) {
                printf("%s[", t ? ", " : "");
                for (int k = 0; k < classes; k++)
                    printf("%s%ld", k ? ", " : "", counts[t * MAX_MATRIX_CLASSES + k]);
                printf("]");
            }
            printf("]");
        }
        printf("}\n");
    } else {
        printf("%s: %lld samples (%s) - loss: %.4f", model, (long long)r.samples, data.x_name, r.loss);
        if (r.has_accuracy) printf(" - accuracy: %.4f", r.accuracy);
        char more[256];
        cli_metrics_text(&r.more, "", more, sizeof more);
        fputs(more, stdout);
        printf(" - %.3fs, %.0f samples/s\n", r.seconds, rate);
        if (classes) {
            printf("confusion matrix (rows: true class, columns: predicted)\n%8s", "");
            for (int k = 0; k < classes; k++) printf(" %8d", k);
            printf("\n");
            for (int t = 0; t < classes; t++) {
                printf("%8d", t);
                for (int k = 0; k < classes; k++) printf(" %8ld", counts[t * MAX_MATRIX_CLASSES + k]);
                printf("\n");
            }
        }
    }
    clrnn_model_free(m);
    clrnn_data_clear(&data);
    clrnn_ctx_free(ctx);
    return 0;
}
