/*
 * info.c - clrnn-info: the OpenCL devices, Keras-style summaries of models, and what a model
 * file holds (format, Keras version, layers, weight names and shapes; no device needed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "clrnn_formats.h"
#include "info_file.h"

static const char USAGE[] =
    "usage: clrnn-info devices\n"
    "       clrnn-info summary MODEL [--weights FILE.h5] [--device SPEC]\n"
    "       clrnn-info file MODEL [--weights FILE.h5]\n"
    "       clrnn-info verify MODEL [--device SPEC]\n"
    "\n"
    "devices   list every OpenCL device with the index that --device and CLRNN_DEVICE take\n"
    "summary   print a Keras-style summary of MODEL (.h5, or .json with --weights)\n"
    "file      what a model file holds: its format, Keras version, layers, weight names and\n"
    "          shapes (.h5, .weights.h5, .keras, or .json with optional --weights)\n"
    "verify    recompute the test vector clrnn saved in MODEL (.h5) on the device, and say\n"
    "          whether the device computes it right (exit 1 when not)\n";

static int devices(void) {
    struct clrnn_device_info *list;
    int n;
    clrnn_status s = clrnn_devices_list(&list, &n);
    if (s) cli_fail_status(s);
    for (int i = 0; i < n; i++) {
        const struct clrnn_device_info *d = &list[i];
        printf("%d: %s\n", d->index, d->name);
        printf("   type %s, vendor %s, platform %s\n", d->is_gpu ? "GPU" : d->is_cpu ? "CPU" : "other",
               d->vendor, d->platform);
        printf("   %s, driver %s\n", d->version, d->driver);
        printf("   memory %.1f GiB (largest buffer %.1f GiB), local memory %llu KiB, "
               "compute units %d, max work-group %zu\n",
               (double)d->global_mem_bytes / (1 << 30), (double)d->max_alloc_bytes / (1 << 30),
               (unsigned long long)(d->local_mem_bytes / 1024), d->compute_units,
               d->max_work_group_size);
    }
    clrnn_devices_free(list);
    return 0;
}

/* MODEL [--weights W] [--device D], as summary and verify take them. */
static void model_args(int argc, char **argv, const char **model, const char **weights,
                       const char **device) {
    const char *v;
    for (int i = 0; i < argc; i++) {
        if (weights && (v = cli_flag_value(argc, argv, &i, "--weights"))) *weights = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--device"))) *device = v;
        else if (strcmp(argv[i], "--help") == 0) cli_help();
        else if (argv[i][0] == '-') cli_usage_error("unknown option '%s'", argv[i]);
        else if (!*model) *model = argv[i];
        else cli_usage_error("unexpected argument '%s'", argv[i]);
    }
    if (!*model) cli_usage_error("a MODEL is needed");
}

static int verify(int argc, char **argv) {
    const char *model = NULL, *device = NULL;
    model_args(argc, argv, &model, NULL, &device);
    clrnn_ctx *ctx = cli_open_device(device);
    clrnn_model *m;
    clrnn_status s = cli_load_model(ctx, model, NULL, &m); /* loading checks it too */
    double diff;
    if (!s) s = clrnn_model_verify_test_vector(m, model, &diff);
    if (s) cli_fail_status(s);
    const char *name = clrnn_ctx_device(ctx)->name;
    if (diff < 0) printf("%s: no test vector (not saved by clrnn as .h5)\n", model);
    else printf("%s: test vector recomputed on %s: largest difference %.3g (tolerance 0.001): ok\n",
                model, name, diff);
    clrnn_model_free(m);
    clrnn_ctx_free(ctx);
    return 0;
}

static int summary(int argc, char **argv) {
    const char *model = NULL, *weights = NULL, *device = NULL;
    model_args(argc, argv, &model, &weights, &device);
    clrnn_ctx *ctx = cli_open_device(device);
    clrnn_model *m;
    clrnn_status s = cli_load_model(ctx, model, weights, &m);
    if (s) cli_fail_status(s);
    char *text;
    if ((s = clrnn_model_summary(m, &text))) cli_fail_status(s);
    fputs(text, stdout);
    free(text);
    clrnn_model_free(m);
    clrnn_ctx_free(ctx);
    return 0;
}

int main(int argc, char **argv) {
    cli_start("clrnn-info", USAGE, argc, argv);
    cli_guard(); /* the files it reads may be hostile */
    if (argc < 2) cli_usage_error("missing command");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) cli_help();
    if (strcmp(argv[1], "devices") == 0) {
        if (argc > 2) cli_usage_error("devices takes no arguments");
        return devices();
    }
    if (strcmp(argv[1], "summary") == 0) return summary(argc - 2, argv + 2);
    if (strcmp(argv[1], "file") == 0) return info_file_main(argc - 2, argv + 2);
    if (strcmp(argv[1], "verify") == 0) return verify(argc - 2, argv + 2);
    cli_usage_error("unknown command '%s'", argv[1]);
}
