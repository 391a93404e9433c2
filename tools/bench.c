/*
 * bench.c - clrnn-bench: training and inference throughput of fixed model configurations
 * (the rows of the cuDNN reference table in docs/gpu.md), on synthetic data made in memory.
 *
 * For each configuration: N random token sequences and labels (fixed seed); a warm-up
 * training epoch (kernel builds, allocation); one timed training epoch (adam, shuffled);
 * a warm-up predict over the first inference batch; one timed predict over the same N samples. tests/bench/keras_bench.py runs the same
 * configurations in Keras and tests/bench/compare.sh puts the two side by side.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "cli.h"

static const char USAGE[] =
    "usage: clrnn-bench [options]\n"
    "\n"
    "Times one training epoch (adam, shuffled, after warm-up) and one predict pass of\n"
    "fixed model configurations on synthetic random tokens, and prints samples/s.\n"
    "  --config NAME[,NAME...]  configurations to run (default: all; see --list)\n"
    "  --samples N              samples per configuration (default: per configuration,\n"
    "                           small enough for a CPU; see --list)\n"
    "  --epochs-warmup N        warm-up training epochs before the timed one (1)\n"
    "  --json                   one JSON object per configuration\n"
    "  --list                   print the configurations and exit\n"
    "  --device SPEC            index, cpu, gpu or part of a name (default $CLRNN_DEVICE)\n";

/* One benchmark configuration. The default sample counts keep a run of every
 * configuration under about 3 minutes on 2 CPU cores through PoCL, so several are below
 * the batch size (then the epoch is one batch of N); on a GPU give --samples the N of
 * docs/gpu.md's table (ref_samples, shown by --list). */
struct bench_config {
    const char *name;
    const char *layers; /* clrnn_model_from_spec text */
    int vocab;          /* token ids are drawn from [0, vocab) */
    int zipf;           /* with weight 1/(id + 1), as words in text, else uniformly */
    int T, batch;
    const char *loss;
    int from_logits;
    int classes;         /* labels: 0/1 (2) or class ids [0, classes) */
    long default_samples;
    long ref_samples;    /* docs/gpu.md */
    int infer_batch;
    const char *what;
};

static const struct bench_config CONFIGS[] = {
    {"seed_lstm", "embedding(10000,100) lstm(32,return_sequences=true) lstm(32) dense(1,sigmoid)",
     10000, 0, 500, 512, "binary_crossentropy", 0, 2, 128, 20000, 1024,
     "Embedding(10000,100) LSTM(32)x2 Dense(1,sigmoid), T=500 batch 512"},
    {"seed_gru", "embedding(10000,100) gru(32,return_sequences=true) gru(32) dense(1,sigmoid)",
     10000, 0, 500, 512, "binary_crossentropy", 0, 2, 128, 20000, 1024,
     "Embedding(10000,100) GRU(32)x2 Dense(1,sigmoid), T=500 batch 512"},
    {"lstm32", "embedding(10000,50) lstm(32) dense(1)",
     10000, 0, 500, 512, "binary_crossentropy", 1, 2, 128, 20000, 1024,
     "Embedding(10000,50) LSTM(32) Dense(1) (logits), T=500 batch 512"},
    {"lstm128_b32", "embedding(20000,128) lstm(128) dense(1)",
     20000, 0, 80, 32, "binary_crossentropy", 1, 2, 128, 25000, 1024,
     "Embedding(20000,128) LSTM(128) Dense(1) (logits), T=80 batch 32"},
    {"lstm128_b80", "embedding(20000,128) lstm(128) dense(1)",
     20000, 0, 80, 80, "binary_crossentropy", 1, 2, 160, 25000, 1024,
     "Embedding(20000,128) LSTM(128) Dense(1) (logits), T=80 batch 80"},
    {"text_b80", "embedding(20000,128) lstm(128) dense(1)",
     20000, 1, 80, 80, "binary_crossentropy", 1, 2, 160, 0, 1024,
     "lstm128_b80 on Zipf-distributed ids (text-like: ~38% of a batch's ids distinct)"},
    {"bilstm", "embedding(1000,64) bidirectional(lstm(64)) dense(1)",
     1000, 0, 200, 128, "binary_crossentropy", 1, 2, 128, 4000, 1024,
     "Embedding(1000,64) Bidirectional(LSTM(64)) Dense(1) (logits), T=200 batch 128"},
    {"lstm512x2", "embedding(20000,256) lstm(512,return_sequences=true) lstm(512) dense(1)",
     20000, 0, 200, 256, "binary_crossentropy", 1, 2, 4, 8192, 1024,
     "Embedding(20000,256) LSTM(512)x2 Dense(1) (logits), T=200 batch 256"},
    {"charlm", "embedding(60,32) lstm(128) dense(60,softmax)",
     60, 0, 40, 128, "sparse_categorical_crossentropy", 0, 60, 512, 0, 1024,
     "Embedding(60,32) LSTM(128) Dense(60,softmax), T=40 batch 128 (character generator)"},
};
#define N_CONFIGS ((int)(sizeof CONFIGS / sizeof CONFIGS[0]))

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* splitmix64: the data depends only on the configuration and N */
static uint64_t next_u64(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* An id drawn with weight 1/(id + 1): the first with cdf[id] above a uniform draw in
 * [0, total) */
static int32_t zipf_id(const double *cdf, int vocab, double total, uint64_t *st) {
    double u = (double)(next_u64(st) >> 11) * 0x1p-53 * total;
    int lo = 0, hi = vocab - 1;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (cdf[mid] <= u) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

static void make_data(const struct bench_config *c, long n, struct clrnn_array *x,
                      struct clrnn_array *y) {
    int64_t xd[2] = {n, c->T}, yd[1] = {n};
    clrnn_status s = clrnn_array_alloc(x, CLRNN_DTYPE_INT32, 2, xd);
    if (!s) s = clrnn_array_alloc(y, CLRNN_DTYPE_FLOAT32, 1, yd);
    if (s) cli_fail_status(s);
    uint64_t st = 12345;
    for (const char *p = c->name; *p; p++) st = st * 131 + (unsigned char)*p;
    int32_t *xv = x->data;
    float *yv = y->data;
    double *cdf = c->zipf ? malloc(sizeof *cdf * (size_t)c->vocab) : NULL, total = 0;
    if (c->zipf && !cdf) cli_fail("out of memory");
    for (int v = 0; cdf && v < c->vocab; v++) cdf[v] = total += 1.0 / (v + 1);
    for (int64_t i = 0; i < (int64_t)n * c->T; i++)
        xv[i] = cdf ? zipf_id(cdf, c->vocab, total, &st)
                    : (int32_t)(next_u64(&st) % (uint64_t)c->vocab);
    free(cdf);
    for (long i = 0; i < n; i++) yv[i] = (float)(next_u64(&st) % (uint64_t)c->classes);
}

static double last_loss;
static int on_epoch(const struct clrnn_epoch_logs *logs, void *user) {
    (void)user;
    last_loss = logs->loss;
    return 0;
}

/* Peak resident memory of this process so far, MiB (cumulative over configurations). */
static double peak_rss_mib(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
    return (double)ru.ru_maxrss / 1024.0; /* kilobytes on Linux */
}

static void list_configs(void) {
    printf("%-12s %5s %5s %8s %8s  %s\n", "name", "T", "batch", "samples", "gpu.md", "model");
    for (int i = 0; i < N_CONFIGS; i++) {
        const struct bench_config *c = &CONFIGS[i];
        char ref[24] = "-";
        if (c->ref_samples) snprintf(ref, sizeof ref, "%ld", c->ref_samples);
        printf("%-12s %5d %5d %8ld %8s  %s\n", c->name, c->T, c->batch, c->default_samples, ref,
               c->what);
    }
    printf("(samples: the default N here; gpu.md: the N of the cuDNN reference table)\n");
}

static const struct bench_config *find_config(const char *name, size_t len) {
    for (int i = 0; i < N_CONFIGS; i++)
        if (strlen(CONFIGS[i].name) == len && strncmp(CONFIGS[i].name, name, len) == 0)
            return &CONFIGS[i];
    char known[512] = "";
    for (int i = 0; i < N_CONFIGS; i++) {
        strcat(known, i ? ", " : "");
        strcat(known, CONFIGS[i].name);
    }
    cli_fail("unknown configuration '%.*s' (known: %s)", (int)len, name, known);
}

static void json_string(const char *s) {
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') printf("\\%c", *s);
        else if ((unsigned char)*s < 0x20) printf("\\u%04x", *s);
        else putchar(*s);
    }
    putchar('"');
}

static void run_config(clrnn_ctx *ctx, const struct bench_config *c, long samples, int warmup,
                       int json) {
    long n = samples > 0 ? samples : c->default_samples;
    struct clrnn_array x = {0}, y = {0}, p = {0};
    make_data(c, n, &x, &y);
    int64_t in[1] = {c->T};
    clrnn_model *m;
    clrnn_status s = clrnn_model_from_spec(ctx, c->layers, in, 1, CLRNN_DTYPE_INT32, 1, &m);
    if (s) {
        fprintf(stderr, "%s: configuration %s:\n", cli_prog(), c->name);
        cli_fail_status(s);
    }
    struct clrnn_compile_config cc;
    memset(&cc, 0, sizeof cc);
    snprintf(cc.loss, sizeof cc.loss, "%s", c->loss);
    cc.from_logits = c->from_logits;
    cc.optimizer = clrnn_optimizer_default(CLRNN_OPT_ADAM);
    if ((s = clrnn_model_compile(m, &cc))) cli_fail_status(s);

    struct clrnn_fit_params fp = clrnn_fit_params_default();
    fp.batch_size = c->batch;
    fp.shuffle = 1;
    fp.seed = 7;
    fp.on_epoch = on_epoch;
    double t0 = now();
    if (warmup > 0) {
        fp.epochs = warmup;
        if ((s = clrnn_model_fit(m, &x, 1, &y, NULL, NULL, &fp))) cli_fail_status(s);
    }
    double t1 = now();
    fp.initial_epoch = warmup;
    fp.epochs = warmup + 1;
    if ((s = clrnn_model_fit(m, &x, 1, &y, NULL, NULL, &fp))) cli_fail_status(s);
    double t2 = now(), t2b;
    if (warmup > 0) { /* the first inference batch: any kernels only inference uses */
        struct clrnn_array head = {0};
        int64_t rows = n < c->infer_batch ? n : c->infer_batch;
        if ((s = clrnn_array_slice(&x, 0, rows, &head)) ||
            (s = clrnn_model_predict(m, &head, 1, c->infer_batch, &p)))
            cli_fail_status(s);
        clrnn_array_clear(&head);
        clrnn_array_clear(&p);
    }
    t2b = now();
    if ((s = clrnn_model_predict(m, &x, 1, c->infer_batch, &p))) cli_fail_status(s);
    double t3 = now();

    double train_s = t2 - t1, infer_s = t3 - t2b;
    double train_rate = train_s > 0 ? (double)n / train_s : 0;
    double infer_rate = infer_s > 0 ? (double)n / infer_s : 0;
    const char *device = clrnn_ctx_device(ctx)->name;
    double rss = peak_rss_mib();
    /* what clrnn's buffers held at most: the model, its batch buffers and the scratch */
    double device_mib = (double)clrnn_ctx_device_bytes_peak(ctx) / (1024.0 * 1024.0);
    if (json) {
        printf("{\"config\": ");
        json_string(c->name);
        printf(", \"layers\": ");
        json_string(c->layers);
        printf(", \"T\": %d, \"batch\": %d, \"samples\": %ld, \"warmup_epochs\": %d, "
               "\"warmup_seconds\": %.6f, \"train_seconds\": %.6f, \"train_samples_per_s\": %.1f, "
               "\"loss\": %.6g, \"infer_batch\": %d, \"infer_seconds\": %.6f, "
               "\"infer_samples_per_s\": %.1f, \"device\": ",
               c->T, c->batch, n, warmup, t1 - t0, train_s, train_rate, last_loss, c->infer_batch,
               infer_s, infer_rate);
        json_string(device);
        printf(", \"peak_device_memory\": %.1f, \"peak_rss_mib\": %.1f}\n", device_mib, rss);
    } else {
        printf("%s: %s\n", c->name, c->what);
        printf("  samples %ld, warm-up %d epoch(s) %.2fs\n", n, warmup, t1 - t0);
        printf("  train:     %8.3fs  %10.1f samples/s  (loss %.4f)\n", train_s, train_rate,
               last_loss);
        printf("  inference: %8.3fs  %10.1f samples/s  (batch %d)\n", infer_s, infer_rate,
               c->infer_batch);
        printf("  device: %s; peak device memory so far: %.0f MiB; peak process RSS so far: "
               "%.0f MiB\n", device, device_mib, rss);
    }
    fflush(stdout);
    clrnn_array_clear(&p);
    clrnn_array_clear(&x);
    clrnn_array_clear(&y);
    clrnn_model_free(m);
}

int main(int argc, char **argv) {
    cli_start("clrnn-bench", USAGE, argc, argv);
    const char *configs = NULL, *device = NULL, *v;
    long samples = 0, warmup = 1;
    int json = 0, list = 0;
    for (int i = 1; i < argc; i++) {
        if ((v = cli_flag_value(argc, argv, &i, "--config"))) configs = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--device"))) device = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--samples"))) samples = cli_long("--samples", v, 1, 1L << 30);
        else if ((v = cli_flag_value(argc, argv, &i, "--epochs-warmup"))) warmup = cli_long("--epochs-warmup", v, 0, 100);
        else if (strcmp(argv[i], "--json") == 0) json = 1;
        else if (strcmp(argv[i], "--list") == 0) list = 1;
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) cli_help();
        else if (argv[i][0] == '-') cli_usage_error("unknown option '%s'", argv[i]);
        else cli_usage_error("unexpected argument '%s'", argv[i]);
    }
    if (list) {
        list_configs();
        return 0;
    }
    /* resolve the names before opening the device, so that a typo fails at once */
    const struct bench_config *chosen[N_CONFIGS * 4];
    int n_chosen = 0;
    if (!configs || !*configs) {
        for (int i = 0; i < N_CONFIGS; i++) chosen[n_chosen++] = &CONFIGS[i];
    } else {
        for (const char *p = configs; *p;) {
            size_t len = strcspn(p, ",");
            if (len > 0) {
                if (n_chosen == N_CONFIGS * 4) cli_usage_error("too many names in --config");
                chosen[n_chosen++] = find_config(p, len);
            }
            p += len;
            if (*p == ',') p++;
        }
        if (n_chosen == 0) cli_usage_error("--config needs at least one name");
    }
    clrnn_ctx *ctx = cli_open_device(device);
    for (int i = 0; i < n_chosen; i++) run_config(ctx, chosen[i], samples, (int)warmup, json);
    clrnn_ctx_free(ctx);
    return 0;
}
