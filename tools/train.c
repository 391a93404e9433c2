/*
 * train.c - clrnn-train: builds or loads a model, trains it on a dataset file with Keras's
 * fit() semantics, shows progress the way Keras does, and saves the model.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "clrnn_formats.h"
#include "data_tasks.h"
#include "dist.h"
#include "train_bar.h"
#include "train_history.h"
#include "train_interrupt.h"
#include "train_plot.h"
#include "train_schedule.h"
#include "train_weights.h"

static const char USAGE_MODEL[] =
    "usage: clrnn-train (--model ARCH | --layers SPEC) --data DATA.h5 --out MODEL [options]\n"
    "       clrnn-train [--model ARCH | --layers SPEC] --resume CKPT --data DATA.h5 --out MODEL\n"
    "\n"
    "  --model ARCH          Keras architecture JSON, or an existing model (.h5, .keras) to\n"
    "                        train on (--epochs 0 converts it to the format of --out)\n"
    "  --weights FILE.h5     weights for a JSON --model (without: new weights; --resume\n"
    "                        NAME.json takes NAME.weights.h5 or NAME.h5 beside it)\n"
    "  --layers SPEC         one-line layer list, e.g. \"simple_rnn(16) dense(1,sigmoid)\";\n"
    "                        keywords are Keras's config keys (unknown ones are refused)\n"
    "  --data DATA.h5        x_train/y_train (or x/y); x0_train, x1_train, ... for a model\n"
    "                        of several inputs\n"
    "  --out MODEL           where to save: .keras (Keras 3 archive), .weights.h5 (Keras 3\n"
    "                        weights only), .json (the architecture as to_json writes it,\n"
    "                        its weights beside: NAME.weights.h5 for a Keras 3 model,\n"
    "                        NAME.h5 as Keras 2's save_weights for a Keras 2 one, such as\n"
    "                        --layers makes), else legacy Keras .h5 (full model)\n"
    "  --epochs N            10\n"
    "  --batch-size N        32\n"
    "  --optimizer NAME      sgd, rmsprop or adam (adam; a loaded model keeps its own)\n"
    "  --lr X                learning rate (Keras's default for the optimizer)\n"
    "  --lr-schedule SPEC    the rate step by step from --lr, as Keras's schedules:\n"
    "                        \"exponential_decay(decay_steps=N,decay_rate=R[,staircase=true])\",\n"
    "                        \"cosine_decay(decay_steps=N[,alpha=A][,warmup_target=LR,\n"
    "                        warmup_steps=N])\"\n"
    "  --momentum X          SGD and RMSprop momentum (0)\n"
    "  --nesterov            SGD with Nesterov momentum\n"
    "  --rho X               RMSprop rho (0.9)\n"
    "  --centered            centered RMSprop\n"
    "  --beta-1 X, --beta-2 X, --epsilon X   Adam and RMSprop constants\n"
    "  --clipnorm X          clip each weight's gradient to this norm\n"
    "  --global-clipnorm X   clip all gradients together to this norm\n"
    "  --loss NAME           binary_crossentropy, categorical_crossentropy,\n"
    "                        sparse_categorical_crossentropy, mean_squared_error\n"
    "                        (default: the one the loaded model's file records, in any\n"
    "                        form Keras writes, else chosen from the output and y)\n"
    "  --from-logits         the model outputs logits (cross-entropy losses)\n"
    "  --validation-split F  validate on the last fraction F of the data (0)\n"
    "  --validation-data F   validate on F's x_test/y_test (or x/y) instead\n"
    "  --no-shuffle          keep the sample order\n"
    "  --metrics LIST        metrics beyond loss and accuracy, by Keras's names:\n"
    "                        top_k_categorical_accuracy (k 5; sparse_top_k_categorical_\n"
    "                        accuracy with integer labels), precision, recall (binary);\n"
    "                        shown, written to --history and kept in the saved file\n"
    "                        (default: those the loaded model's file records)\n"
    "  --class-weight SPEC   weigh each class's samples in the loss, e.g. 0:1,1:3 (Keras's\n"
    "                        class_weight; others 1). A dataset sample_weight_train (or\n"
    "                        sample_weight, with x/y) in --data weighs each sample, (N) or\n"
    "                        (N, T) for a sequence output (Keras's sample_weight)\n"
    "  --seed N              initial weights and shuffling (1)\n"
    ;
static const char USAGE_TRAINING[] =
    "  --history FILE.csv    per-epoch metrics, Keras CSVLogger columns (appended to when\n"
    "                        resuming, as CSVLogger(append=True))\n"
    "  --checkpoint FILE     save the model after every epoch (written whole, then renamed\n"
    "                        into place: the last checkpoint survives a crash)\n"
    "  --save-best-only      with --checkpoint: save only when the monitored metric\n"
    "                        improves (Keras's ModelCheckpoint(save_best_only=True))\n"
    "  --resume FILE         go on from a checkpoint or saved model (weights, optimizer\n"
    "                        state, epochs; --epochs is the total): added to the command\n"
    "                        that made it (the architecture is checked), or alone\n"
    "  --plot FILE.svg       loss and accuracy per epoch, training and validation (resuming\n"
    "                        with --history: from the first epoch)\n"
    "  --early-stopping N    stop when the monitored metric has not improved for N epochs\n"
    "  --monitor NAME        what --early-stopping, --save-best-only and\n"
    "                        --reduce-lr-on-plateau watch: loss, accuracy, a metric of\n"
    "                        --metrics (precision, ...), each also with val_ before it\n"
    "                        (val_loss with validation data, else loss)\n"
    "  --restore-best-weights  with --early-stopping: end with the best epoch's weights\n"
    "  --reduce-lr-on-plateau SETTINGS  ReduceLROnPlateau on the monitored metric:\n"
    "                        \"factor=F,patience=N,min_delta=D,cooldown=N,min_lr=LR\"\n"
    "                        (each optional; Keras's defaults 0.1, 10, 1e-4, 0, 0)\n"
    "  --device SPEC         index, cpu, gpu or part of a name (default $CLRNN_DEVICE)\n"
    "  --quiet               no progress output\n"
    "  --grad-shards S       cut each batch into S shards by row and sum their gradients in\n"
    "                        a fixed order (gradient accumulation; under mpirun -np N, the\n"
    "                        default N, shared by the processes): the same weights bit for bit\n"
    "                        for every N that divides S (docs/scale-out.md)\n"
    "  --dist-timeout SECONDS  under mpirun: end the job when the other processes have not\n"
    "                        answered within this time (600)\n"
    "  --help, --version\n"
    "\n"
    "The files given to --out, --checkpoint, --plot and --history are checked to be writable\n"
    "before training. Ctrl-C stops after the current batch, saves --out (and --history,\n"
    "--plot) and exits 130; a second Ctrl-C stops at once, leaving the last checkpoint.\n";

struct options {
    const char *model, *weights, *layers, *data, *out, *loss, *optimizer, *history, *device;
    const char *checkpoint, *resume, *plot, *monitor, *val_data, *lr_schedule, *reduce_lr;
    const char *class_weight, *metrics;
    long patience;
    int restore_best, save_best_only;
    long epochs, batch_size, seed;
    double lr, momentum, rho, beta_1, beta_2, epsilon, clipnorm, global_clipnorm, val_split;
    int nesterov, centered, from_logits, no_shuffle, quiet;
    long grad_shards;
    double dist_timeout;
    /* --lr-schedule parsed (with parse's other checks, before the data is read), and its
     * initial_learning_rate (NAN: not given) */
    struct clrnn_lr_schedule schedule;
    double schedule_lr;
    const char *watched;     /* the monitored metric: --monitor, else val_loss or loss */
    struct reduce_lr reduce; /* --reduce-lr-on-plateau parsed */
};

/* ---- the monitored metric ---- */

/* The CLRNN_METRIC_* bit named base among the metrics of more, or 0. */
static unsigned monitored_metric(const char *base, const struct clrnn_metric_values *more) {
    static const unsigned bits[] = {CLRNN_METRIC_TOP_K, CLRNN_METRIC_PRECISION,
                                    CLRNN_METRIC_RECALL};
    for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++)
        if ((more->metrics & bits[i]) && strcmp(clrnn_metric_name(bits[i], more->sparse), base) == 0)
            return bits[i];
    return 0;
}

/* Whether name is a metric --monitor can watch on some model: loss, accuracy or a metric
 * of --metrics, with or without val_. */
static int monitor_known(const char *name) {
    const char *base = strncmp(name, "val_", 4) == 0 ? name + 4 : name;
    if (strcmp(base, "loss") == 0 || strcmp(base, "accuracy") == 0) return 1;
    struct clrnn_metric_values all = {CLRNN_METRIC_TOP_K | CLRNN_METRIC_PRECISION |
                                      CLRNN_METRIC_RECALL, 0, 0, 0, 0};
    if (monitored_metric(base, &all)) return 1;
    all.sparse = 1;
    return monitored_metric(base, &all) != 0;
}

static void parse(int argc, char **argv, struct options *o) {
    memset(o, 0, sizeof *o);
    o->epochs = 10;
    o->batch_size = 32;
    o->seed = 1;
    o->dist_timeout = 600;
    o->lr = o->momentum = o->rho = o->beta_1 = o->beta_2 = o->epsilon = NAN;
    const char *v;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if ((v = cli_flag_value(argc, argv, &i, "--model"))) o->model = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--weights"))) o->weights = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--layers"))) o->layers = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--data"))) o->data = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--out"))) o->out = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--loss"))) o->loss = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--optimizer"))) o->optimizer = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--history"))) o->history = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--checkpoint"))) o->checkpoint = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--resume"))) o->resume = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--plot"))) o->plot = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--validation-data"))) o->val_data = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--monitor"))) o->monitor = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--early-stopping")))
            o->patience = cli_long("--early-stopping", v, 1, 1000000);
        else if (strcmp(a, "--restore-best-weights") == 0) o->restore_best = 1;
        else if (strcmp(a, "--save-best-only") == 0) o->save_best_only = 1;
        else if ((v = cli_flag_value(argc, argv, &i, "--lr-schedule"))) o->lr_schedule = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--reduce-lr-on-plateau"))) o->reduce_lr = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--device"))) o->device = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--class-weight"))) o->class_weight = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--metrics"))) o->metrics = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--epochs"))) o->epochs = cli_long("--epochs", v, 0, 1000000);
        else if ((v = cli_flag_value(argc, argv, &i, "--batch-size"))) o->batch_size = cli_long("--batch-size", v, 1, 1 << 24);
        else if ((v = cli_flag_value(argc, argv, &i, "--seed"))) o->seed = cli_long("--seed", v, 0, 0x7fffffffL);
        else if ((v = cli_flag_value(argc, argv, &i, "--lr"))) o->lr = cli_double("--lr", v, 0, 1e6);
        else if ((v = cli_flag_value(argc, argv, &i, "--momentum"))) o->momentum = cli_double("--momentum", v, 0, 1);
        else if ((v = cli_flag_value(argc, argv, &i, "--rho"))) o->rho = cli_double("--rho", v, 0, 1);
        else if ((v = cli_flag_value(argc, argv, &i, "--beta-1"))) o->beta_1 = cli_double("--beta-1", v, 0, 1);
        else if ((v = cli_flag_value(argc, argv, &i, "--beta-2"))) o->beta_2 = cli_double("--beta-2", v, 0, 1);
        else if ((v = cli_flag_value(argc, argv, &i, "--epsilon"))) o->epsilon = cli_double("--epsilon", v, 0, 1);
        else if ((v = cli_flag_value(argc, argv, &i, "--clipnorm"))) o->clipnorm = cli_double("--clipnorm", v, 0, 1e30);
        else if ((v = cli_flag_value(argc, argv, &i, "--global-clipnorm"))) o->global_clipnorm = cli_double("--global-clipnorm", v, 0, 1e30);
        else if ((v = cli_flag_value(argc, argv, &i, "--validation-split"))) o->val_split = cli_double("--validation-split", v, 0, 0.999999);
        else if (strcmp(a, "--nesterov") == 0) o->nesterov = 1;
        else if (strcmp(a, "--centered") == 0) o->centered = 1;
        else if (strcmp(a, "--from-logits") == 0) o->from_logits = 1;
        else if (strcmp(a, "--no-shuffle") == 0) o->no_shuffle = 1;
        else if (strcmp(a, "--quiet") == 0) o->quiet = 1;
        else if ((v = cli_flag_value(argc, argv, &i, "--grad-shards"))) o->grad_shards = cli_long("--grad-shards", v, 1, 1 << 20);
        else if ((v = cli_flag_value(argc, argv, &i, "--dist-timeout"))) o->dist_timeout = cli_double("--dist-timeout", v, 0.001, 1e7);
        else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) cli_help();
        else if (a[0] == '-') cli_usage_error("unknown option '%s'", a);
        else cli_usage_error("unexpected argument '%s'", a);
    }
    if (o->model && o->layers) cli_usage_error("give --model or --layers, not both");
    if (!o->model && !o->layers && !o->resume)
        cli_usage_error("give --model or --layers (and --resume to go on from a checkpoint)");
    if (!o->data) cli_usage_error("--data is required");
    if (o->monitor && !monitor_known(o->monitor))
        cli_usage_error("--monitor %s: give loss, accuracy, %s, %s, %s or %s, or one of them "
                        "with val_ before it", o->monitor,
                        clrnn_metric_name(CLRNN_METRIC_TOP_K, 0),
                        clrnn_metric_name(CLRNN_METRIC_TOP_K, 1),
                        clrnn_metric_name(CLRNN_METRIC_PRECISION, 0),
                        clrnn_metric_name(CLRNN_METRIC_RECALL, 0));
    if (o->restore_best && !o->patience)
        cli_usage_error("--restore-best-weights goes with --early-stopping N");
    if (o->save_best_only && !o->checkpoint)
        cli_usage_error("--save-best-only goes with --checkpoint FILE");
    if (o->monitor && !o->patience && !o->save_best_only && !o->reduce_lr)
        cli_usage_error("--monitor goes with --early-stopping N, --save-best-only or "
                        "--reduce-lr-on-plateau");
    o->schedule_lr = NAN;
    if (o->lr_schedule) lr_schedule_parse(o->lr_schedule, &o->schedule, &o->schedule_lr);
    o->watched = o->monitor ? o->monitor : o->val_split > 0 || o->val_data ? "val_loss" : "loss";
    if (o->reduce_lr) reduce_lr_parse(o->reduce_lr, o->watched, &o->reduce);
    if (o->reduce_lr && o->lr_schedule)
        cli_usage_error("--reduce-lr-on-plateau cannot change a rate that --lr-schedule sets "
                        "(as in Keras)");
    if (o->val_data && o->val_split > 0)
        cli_usage_error("give --validation-split or --validation-data, not both");
    if (o->monitor && strncmp(o->monitor, "val_", 4) == 0 && !(o->val_split > 0) && !o->val_data)
        cli_usage_error("--monitor %s needs validation data (--validation-split)", o->monitor);
    if (!o->out) cli_usage_error("--out is required");
    /* before the work, not after it */
    cli_check_writable("--out", o->out);
    if (o->checkpoint) cli_check_writable("--checkpoint", o->checkpoint);
    if (o->plot) cli_check_writable("--plot", o->plot);
    if (o->history) cli_check_writable("--history", o->history);
}

/* ---- progress, the way Keras prints it ---- */

struct progress {
    int tty, quiet;
    FILE *history;
    clrnn_model *model;
    const char *checkpoint;
    struct train_history plot; /* every epoch, for --plot (a resumed run's earlier ones too) */
    /* Keras's EarlyStopping: the monitored metric, its best value, and the weights then */
    const char *monitor;
    long patience, waited;
    double best;
    int best_epoch;
    float *best_weights;
    /* Keras's ModelCheckpoint(save_best_only=True): the best value of the same metric, kept
     * apart as Keras's callbacks keep theirs */
    int save_best_only, saved_any;
    double saved_best;
    /* ReduceLROnPlateau */
    int reducing;
    struct reduce_lr reduce;
};

static double monitored(const struct clrnn_epoch_logs *l, const char *name) {
    int val = strncmp(name, "val_", 4) == 0;
    const char *base = val ? name + 4 : name;
    if (strcmp(base, "loss") == 0) return val ? l->val_loss : l->loss;
    if (strcmp(base, "accuracy") == 0) return val ? l->val_accuracy : l->accuracy;
    const struct clrnn_metric_values *more = val ? &l->val_more : &l->more;
    return clrnn_metric_value(more, monitored_metric(base, more));
}

/* Whether v improves on best (min_delta 0, Keras's mode "auto"); the first value always
 * does. */
static int improves(const char *monitor, double v, int have_best, double best) {
    if (!have_best) return 1;
    return monitor_higher_is_better(monitor) ? v > best : v < best;
}

/* 1 when training should stop: no improvement of the monitored metric for patience
 * epochs. The best epoch's weights are kept for --restore-best-weights. */
static int early_stop(struct progress *pr, const struct clrnn_epoch_logs *l) {
    double v = monitored(l, pr->monitor);
    if (improves(pr->monitor, v, pr->best_epoch >= 0, pr->best)) {
        pr->best = v;
        pr->best_epoch = l->epoch;
        pr->waited = 0;
        if (pr->best_weights) {
            clrnn_status s = clrnn_model_get_params(pr->model, pr->best_weights);
            if (s) cli_fail_status(s);
        }
        return 0;
    }
    if (++pr->waited < pr->patience) return 0;
    if (!pr->quiet)
        printf("Epoch %d: early stopping (%s has not improved on %.4f, epoch %d, for %ld "
               "epochs)\n", l->epoch + 1, pr->monitor, pr->best, pr->best_epoch + 1, pr->patience);
    return 1;
}

/* Ctrl-C (train_interrupt.c has the rest): training stops after the current batch and
 * the model is saved (main). */
static int on_batch(const struct clrnn_progress *p, void *user) {
    struct progress *pr = user;
    if (interrupt_requested() && dist_ranks() == 1) return 1; /* else the exchange agrees */
    if (!pr->quiet && pr->tty) train_bar_draw(p);
    return 0;
}

/* Every file clrnn-train writes is whole, even when Ctrl-C is pressed twice. */
static clrnn_status save_model(clrnn_model *m, const char *path) {
    interrupt_writing_begins();
    clrnn_status s = clrnn_model_save(m, path);
    interrupt_writing_ends();
    return s;
}

static void save_plot(const char *path, const struct train_history *h) {
    if (!path || h->epochs == 0) return;
    interrupt_writing_begins();
    train_plot_write(path, h);
    interrupt_writing_ends();
}

/* After every epoch, or with --save-best-only when the monitored metric improved, saying
 * so as ModelCheckpoint(verbose=1) does */
static void save_checkpoint(struct progress *pr, const struct clrnn_epoch_logs *l) {
    if (pr->save_best_only) {
        double v = monitored(l, pr->monitor);
        int better = improves(pr->monitor, v, pr->saved_any, pr->saved_best);
        if (!pr->quiet && better)
            printf("Epoch %d: %s improved from %.5f to %.5f, saving model to %s\n",
                   l->epoch + 1, pr->monitor, pr->saved_any ? pr->saved_best :
                   monitor_higher_is_better(pr->monitor) ? -INFINITY : INFINITY, v, pr->checkpoint);
        else if (!pr->quiet)
            printf("Epoch %d: %s did not improve from %.5f\n", l->epoch + 1, pr->monitor,
                   pr->saved_best);
        if (!better) return;
        pr->saved_best = v;
        pr->saved_any = 1;
    }
    clrnn_status s = save_model(pr->model, pr->checkpoint);
    if (s) cli_fail_status(s); /* the previous checkpoint is still in place */
}

/* Keras's ReduceLROnPlateau(verbose=1) after an epoch trained at rate lr */
static void reduce_learning_rate(struct progress *pr, const struct clrnn_epoch_logs *l, double lr) {
    double next = reduce_lr_on_epoch(&pr->reduce, monitored(l, pr->monitor), lr);
    if (next == lr) return;
    clrnn_status s = clrnn_model_set_learning_rate(pr->model, next);
    if (s) cli_fail_status(s);
    if (!pr->quiet)
        printf("Epoch %d: ReduceLROnPlateau reducing learning rate to %.9g.\n", l->epoch + 1, next);
}

static int on_epoch(const struct clrnn_epoch_logs *l, void *user) {
    struct progress *pr = user;
    if (!pr->quiet) {
        if (pr->tty) printf("\r\033[K");
        printf("Epoch %d/%d - %.1fs - loss: %.4f", l->epoch + 1, l->epochs, l->seconds, l->loss);
        char more[256];
        if (l->has_accuracy) printf(" - accuracy: %.4f", l->accuracy);
        cli_metrics_text(&l->more, "", more, sizeof more);
        fputs(more, stdout);
        if (l->has_val) {
            printf(" - val_loss: %.4f", l->val_loss);
            if (l->has_accuracy) printf(" - val_accuracy: %.4f", l->val_accuracy);
            cli_metrics_text(&l->val_more, "val_", more, sizeof more);
            fputs(more, stdout);
        }
        printf(" - %.0f samples/s\n", l->seconds > 0 ? (double)l->samples / l->seconds : 0.0);
        fflush(stdout);
    }
    double lr = clrnn_model_learning_rate(pr->model);
    if (pr->history) train_history_write_row(pr->history, l, pr->reducing ? (float)lr : NAN);
    if (pr->checkpoint) save_checkpoint(pr, l);
    train_history_add(&pr->plot, l);
    if (pr->reducing) reduce_learning_rate(pr, l, lr);
    dist_check_weights(pr->model, l->epoch);
    int decided = pr->patience && early_stop(pr, l);
    return dist_agree_stop(decided, interrupt_requested());
}

/* Under mpirun every process must train the same model on the same data with the same
 * settings: checked at start against rank 0's, naming what differs. */
static void check_same_everywhere(const struct options *o, clrnn_model *m,
                                  const struct clrnn_compile_config *cc,
                                  const struct clrnn_array *xs, int n_x,
                                  const struct clrnn_array *y, int initial_epoch) {
    if (dist_ranks() == 1) return;
    char *json = NULL;
    size_t n = clrnn_model_param_count(m);
    float *w = malloc(n * sizeof *w);
    clrnn_status s = w ? clrnn_model_get_params(m, w) : CLRNN_E_NOMEM;
    if (!s) s = clrnn_model_to_json(m, &json);
    if (s) cli_fail_status(s);
    uint64_t data = DIST_HASH_START;
    for (int i = 0; i <= n_x; i++) {
        const struct clrnn_array *a = i < n_x ? &xs[i] : y;
        data = dist_hash(data, a->dims, sizeof a->dims);
        data = dist_hash(data, a->data, (size_t)clrnn_array_count(a) * 4);
    }
    const struct clrnn_optimizer_config *c = &cc->optimizer;
    double numbers[] = {c->kind, c->learning_rate, c->schedule.kind, c->schedule.decay_steps,
                        c->schedule.decay_rate, c->schedule.staircase, c->schedule.alpha,
                        c->schedule.warmup_target, c->schedule.warmup_steps, c->momentum,
                        c->nesterov, c->rho, c->centered, c->beta_1, c->beta_2, c->epsilon,
                        c->clipnorm, c->global_clipnorm, cc->from_logits, o->val_split,
                        o->no_shuffle};
    uint64_t training = dist_hash(dist_hash(DIST_HASH_START, numbers, sizeof numbers), cc->loss,
                                  strlen(cc->loss));
    struct dist_item items[] = {
        {"model", dist_hash(DIST_HASH_START, json, strlen(json)), 0},
        {"weights", dist_hash(DIST_HASH_START, w, n * sizeof *w), 0},
        {"data", data, 0},
        {"batch size", (uint64_t)o->batch_size, 1},
        {"--grad-shards", (uint64_t)o->grad_shards, 1},
        {"loss, optimizer or validation settings", training, 0},
        {"seed", (uint64_t)o->seed, 1},
        {"epochs", (uint64_t)o->epochs, 1},
        {"epochs done", (uint64_t)initial_epoch, 1},
    };
    free(json);
    free(w);
    dist_check_config(items, (int)(sizeof items / sizeof items[0]));
}

/* The dataset's vocabulary travels into the model; a model that has one already must have
 * the same (ids mean tokens: other tokens would make its predictions meaningless). */
static void carry_vocabulary(clrnn_model *m, const char *model, const char *data) {
    data_vocab_carry(m, model ? model : "the model", data, 1);
}

/* Keras needs an explicit loss; clrnn-train picks the usual one from the output and targets
 * and says so. */
static const char *default_loss(const clrnn_model *m, const struct clrnn_array *y) {
    int64_t out[4];
    int rank = clrnn_model_output_shape(m, out);
    int64_t classes = out[rank - 1];
    if (classes == 1) {
        int64_t n = clrnn_array_count(y);
        for (int64_t i = 0; i < n; i++) {
            double v = y->dtype == CLRNN_DTYPE_INT32 ? ((int32_t *)y->data)[i] : ((float *)y->data)[i];
            if (v < 0 || v > 1) return "mean_squared_error";
        }
        return "binary_crossentropy";
    }
    if (y->dtype == CLRNN_DTYPE_INT32 || y->rank == rank) return "sparse_categorical_crossentropy";
    return "categorical_crossentropy";
}

static int same_compile(const struct clrnn_compile_config *a, const struct clrnn_compile_config *b) {
    const struct clrnn_optimizer_config *p = &a->optimizer, *q = &b->optimizer;
    return strcmp(a->loss, b->loss) == 0 && a->from_logits == b->from_logits &&
           p->kind == q->kind && p->learning_rate == q->learning_rate &&
           p->momentum == q->momentum && p->nesterov == q->nesterov && p->rho == q->rho &&
           p->centered == q->centered && p->beta_1 == q->beta_1 && p->beta_2 == q->beta_2 &&
           p->epsilon == q->epsilon && p->clipnorm == q->clipnorm &&
           p->global_clipnorm == q->global_clipnorm &&
           memcmp(&p->schedule, &q->schedule, sizeof p->schedule) == 0;
}

static void apply_overrides(const struct options *o, struct clrnn_optimizer_config *c) {
    if (!isnan(o->lr)) c->learning_rate = o->lr;
    if (!isnan(o->momentum)) c->momentum = o->momentum;
    if (!isnan(o->rho)) c->rho = o->rho;
    if (!isnan(o->beta_1)) c->beta_1 = o->beta_1;
    if (!isnan(o->beta_2)) c->beta_2 = o->beta_2;
    if (!isnan(o->epsilon)) c->epsilon = o->epsilon;
    if (o->nesterov) c->nesterov = 1;
    if (o->centered) c->centered = 1;
    if (o->clipnorm > 0) c->clipnorm = o->clipnorm;
    if (o->global_clipnorm > 0) c->global_clipnorm = o->global_clipnorm;
}

/* Everything main holds, freed on its way out (LeakSanitizer checks the suite). */
static void release(struct progress *pr, clrnn_model *m, struct clrnn_data *data, clrnn_ctx *ctx) {
    free(pr->best_weights);
    train_history_free(&pr->plot);
    clrnn_model_free(m);
    clrnn_data_clear(data);
    clrnn_ctx_free(ctx);
}

/* The model of --layers or --model: new weights from the seed, or a model file's. */
static clrnn_status build_model(clrnn_ctx *ctx, const struct options *o,
                                const struct clrnn_array *x, clrnn_model **out) {
    if (o->layers)
        return clrnn_model_from_spec(ctx, o->layers, x->dims + 1, x->rank - 1, x->dtype,
                                     (uint64_t)o->seed, out);
    const char *dot = strrchr(o->model, '.');
    if (!(dot && strcmp(dot, ".json") == 0 && !o->weights))
        return cli_load_model(ctx, o->model, o->weights, out);
    char *text = cli_read_text(o->model); /* a bare architecture: new weights */
    clrnn_status s = clrnn_model_from_json(ctx, text, x->dims + 1, x->rank - 1, x->dtype,
                                           (uint64_t)o->seed, out);
    free(text);
    return s;
}

/* A line of n characters of a summary's table, its runs of spaces made one. */
static const char *squeeze(const char *line, size_t n, char *buf, size_t size) {
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < size; i++)
        if (line[i] != ' ' || (k > 0 && buf[k - 1] != ' ')) buf[k++] = line[i];
    while (k > 0 && buf[k - 1] == ' ') k--;
    buf[k] = '\0';
    return buf;
}

/* The command that made a checkpoint, plus --resume, goes on from it: refused only when the
 * checkpoint's architecture is not the one --layers or --model describes. */
static void check_resumed_architecture(clrnn_ctx *ctx, const struct options *o,
                                       const struct clrnn_array *x, const clrnn_model *resumed) {
    clrnn_model *given;
    clrnn_status s = build_model(ctx, o, x, &given);
    if (s) cli_fail_status(s);
    char *a = NULL, *b = NULL, *sum_a = NULL, *sum_b = NULL;
    if ((s = clrnn_model_to_json(resumed, &a)) || (s = clrnn_model_to_json(given, &b)) ||
        (s = clrnn_model_summary(resumed, &sum_a)) || (s = clrnn_model_summary(given, &sum_b)))
        cli_fail_status(s);
    clrnn_model_free(given);
    int same = strcmp(a, b) == 0;
    free(a), free(b);
    if (!same) {
        /* the first line of the summaries that differs says where */
        const char *p = sum_a, *q = sum_b;
        while (*p && *q) {
            size_t n = strcspn(p, "\n"), k = strcspn(q, "\n");
            if (n != k || strncmp(p, q, n) != 0) {
                char had[256], gives[256];
                cli_fail("--resume %s: its architecture is not the one %s gives (the checkpoint "
                         "has '%s' where %s gives '%s')", o->resume,
                         o->layers ? "--layers" : "--model", squeeze(p, n, had, sizeof had),
                         o->layers ? "--layers" : "--model", squeeze(q, k, gives, sizeof gives));
            }
            p += n + (p[n] != 0);
            q += k + (q[k] != 0);
        }
        cli_fail("--resume %s: its layers are those %s gives, but with other settings "
                 "(activations, initializers or options)", o->resume,
                 o->layers ? "--layers" : "--model");
    }
    free(sum_a), free(sum_b);
}

int main(int argc, char **argv) {
    static char usage[sizeof USAGE_MODEL + sizeof USAGE_TRAINING];
    snprintf(usage, sizeof usage, "%s%s", USAGE_MODEL, USAGE_TRAINING);
    cli_start("clrnn-train", usage, argc, argv);
    struct options o;
    parse(argc, argv, &o);
    cli_guard(); /* the files it reads may be hostile (the model, data and checkpoints) */
    int launched = dist_start(o.dist_timeout); /* first: messages name the rank */
    interrupt_install();
    if (launched) interrupt_also_on_sigterm();
    if (dist_rank() != 0) { /* rank 0 speaks and writes */
        o.quiet = 1;
        o.history = o.plot = o.checkpoint = NULL;
    }

    struct clrnn_data data;
    cli_reading(o.data, cli_read_limit(o.data));
    clrnn_status s = clrnn_data_load(o.data, CLRNN_SPLIT_TRAIN, CLRNN_LABELS_REQUIRED, &data);
    cli_reading(NULL, 0);
    if (s) cli_fail_status(s);
    int n_x;
    const struct clrnn_array *xs = clrnn_data_inputs(&data, &n_x);
    if (o.layers && data.n_x)
        cli_fail("%s holds %d inputs (%s...): --layers makes a model of one input; give a "
                 "Functional model with --model", o.data, n_x, data.x_name);
    char device[16];
    clrnn_ctx *ctx = cli_open_device(dist_device(o.device, device, sizeof device));

    clrnn_model *m = NULL;
    if (o.resume) {
        char copy[4200];
        const char *from = dist_copy_from_rank0(o.resume, copy, sizeof copy);
        s = cli_load_model(ctx, from, NULL, &m);
        dist_copy_done(from, o.resume);
    } else {
        s = build_model(ctx, &o, xs, &m);
    }
    if (s) cli_fail_status(s);
    if (o.resume && (o.layers || o.model)) check_resumed_architecture(ctx, &o, xs, m);

    carry_vocabulary(m, o.resume ? o.resume : o.model, o.data);

    struct clrnn_compile_config cc, loaded;
    int had = clrnn_model_compile_config(m, &loaded);
    if (had) cc = loaded;
    else memset(&cc, 0, sizeof cc);
    if (o.loss) snprintf(cc.loss, sizeof cc.loss, "%s", o.loss);
    else if (!had) {
        snprintf(cc.loss, sizeof cc.loss, "%s", default_loss(m, &data.y));
        if (!o.quiet) printf("loss: %s (from the output shape and targets; --loss changes it)\n", cc.loss);
    }
    if (o.optimizer) {
        struct clrnn_optimizer_config named;
        if ((s = clrnn_optimizer_from_name(o.optimizer, &named))) cli_fail_status(s);
        if (!had || named.kind != cc.optimizer.kind) cc.optimizer = named; /* same kind: keep */
    } else if (!had) {
        cc.optimizer = clrnn_optimizer_default(CLRNN_OPT_ADAM);
    }
    if (o.from_logits) cc.from_logits = 1;
    apply_overrides(&o, &cc.optimizer);
    if (o.lr_schedule) {
        cc.optimizer.schedule = o.schedule;
        if (!isnan(o.schedule_lr)) cc.optimizer.learning_rate = o.schedule_lr;
    }
    /* a loaded model keeps its optimizer's state unless the training setup changes */
    if (!(had && same_compile(&loaded, &cc)) && (s = clrnn_model_compile(m, &cc)))
        cli_fail_status(s);
    int initial_epoch = o.resume ? clrnn_model_epochs_done(m) : 0;
    if (o.resume && initial_epoch >= o.epochs)
        cli_fail("%s has trained %d epochs already; --epochs is the total (give more than %d)",
                 o.resume, initial_epoch, initial_epoch);

    check_same_everywhere(&o, m, &cc, xs, n_x, &data.y, initial_epoch);

    struct progress pr;
    memset(&pr, 0, sizeof pr);
    pr.tty = isatty(STDOUT_FILENO);
    pr.quiet = (int)o.quiet;
    pr.model = m;
    pr.checkpoint = o.checkpoint;
    int validating = o.val_split > 0 || o.val_data;
    pr.monitor = o.watched;
    pr.patience = o.patience;
    pr.save_best_only = o.save_best_only;
    if (o.reduce_lr) {
        if (cc.optimizer.schedule.kind != CLRNN_LR_CONSTANT)
            cli_usage_error("--reduce-lr-on-plateau: the model's optimizer follows a learning-rate "
                            "schedule, which cannot be changed (as in Keras)");
        pr.reduce = o.reduce;
        pr.reducing = 1;
    }
    pr.best_epoch = -1;
    if (o.restore_best && !(pr.best_weights = malloc(clrnn_model_param_count(m) * sizeof(float))))
        cli_fail("out of memory");
    struct clrnn_metric_values more_metrics = {0};
    unsigned bits;
    if (o.metrics && clrnn_model_compile_config(m, &cc) &&
        ((s = clrnn_metrics_parse(o.metrics, cc.loss, &bits)) ||
         (s = clrnn_model_set_metrics(m, bits, 0))))
        cli_usage_error("%s", clrnn_last_error());
    if (clrnn_model_compile_config(m, &cc)) {
        more_metrics.metrics = cc.metrics;
        more_metrics.sparse = strcmp(cc.loss, "sparse_categorical_crossentropy") == 0;
    }
    const char *base = strncmp(pr.monitor, "val_", 4) == 0 ? pr.monitor + 4 : pr.monitor;
    if (strcmp(base, "loss") != 0 && strcmp(base, "accuracy") != 0 &&
        !monitored_metric(base, &more_metrics))
        cli_usage_error("--monitor %s: the model does not compute %s (give --metrics %s)",
                        pr.monitor, base, base);
    if (o.history)
        pr.history = train_history_open(o.history, o.resume ? initial_epoch : -1,
                                        strcmp(cc.loss, "mean_squared_error") != 0, validating,
                                        pr.reducing, &more_metrics, &pr.plot);
    if (!o.quiet) {
        char *text;
        if (clrnn_model_summary(m, &text) == CLRNN_OK) {
            fputs(text, stdout);
            free(text);
        }
        printf("device: %s\n", clrnn_ctx_device(ctx)->name);
    }
    struct clrnn_fit_params fp = clrnn_fit_params_default();
    fp.epochs = (int)o.epochs;
    fp.initial_epoch = initial_epoch;
    fp.batch_size = (int)o.batch_size;
    fp.validation_split = o.val_split;
    fp.shuffle = !o.no_shuffle;
    fp.seed = (uint64_t)o.seed;
    fp.on_batch = on_batch;
    fp.on_epoch = on_epoch;
    fp.user = &pr;
    double *class_weight = NULL;
    struct clrnn_array sample_weight = {0};
    if (o.class_weight) fp.class_weights = class_weight_parse(o.class_weight, &class_weight);
    fp.class_weight = class_weight;
    if (sample_weight_read(o.data, data.y_name, &sample_weight)) {
        if (o.class_weight)
            cli_usage_error("--class-weight: %s has sample weights already; give one or the "
                            "other (as Keras)", o.data);
        fp.sample_weight = &sample_weight;
    }
    fp.grad_shards = (int)o.grad_shards;
    fp.exchange = dist_exchange(interrupt_requested);
    if (o.resume && !o.quiet) printf("resuming %s after epoch %d\n", o.resume, initial_epoch);
    struct clrnn_data val;
    memset(&val, 0, sizeof val);
    if (o.val_data) {
        cli_reading(o.val_data, cli_read_limit(o.val_data));
        s = clrnn_data_load(o.val_data, CLRNN_SPLIT_TEST, CLRNN_LABELS_REQUIRED, &val);
        cli_reading(NULL, 0);
        if (s) cli_fail_status(s);
    }
    int n_vx;
    const struct clrnn_array *vxs = clrnn_data_inputs(&val, &n_vx);
    if (o.val_data && n_vx != n_x)
        cli_fail("%s holds %d input%s, but %s holds %d", o.val_data, n_vx, n_vx == 1 ? "" : "s",
                 o.data, n_x);
    interrupt_training_begins();
    s = clrnn_model_fit(m, xs, n_x, &data.y, o.val_data ? vxs : NULL,
                               o.val_data ? &val.y : NULL, &fp);
    clrnn_data_clear(&val);
    clrnn_array_clear(&sample_weight);
    free(class_weight);
    if (pr.history) fclose(pr.history);
    if (s == CLRNN_E_INTERRUPTED || (!s && interrupt_requested())) {
        /* Ctrl-C: keep what was learned; the checkpoint stays at the last whole epoch */
        if (pr.tty && !pr.quiet) printf("\r\033[K"); /* a bar drawn after the handler spoke */
        fflush(stdout);
        clrnn_status saved = dist_rank() == 0 ? save_model(m, o.out) : CLRNN_OK;
        if (saved) fprintf(stderr, "%s: error: %s\n", cli_prog(), clrnn_last_error());
        save_plot(o.plot, &pr.plot);
        if (dist_rank() == 0) fprintf(stderr, "%s: interrupted after %d whole epoch%s; %s %s\n", cli_prog(),
                clrnn_model_epochs_done(m), clrnn_model_epochs_done(m) == 1 ? "" : "s",
                saved ? "could not save the weights so far to" : "saved the weights so far to",
                o.out);
        dist_end();
        release(&pr, m, &data, ctx);
        return 130;
    }
    if (s) cli_fail_status(s);
    if (pr.best_weights && pr.best_epoch >= 0) {
        if ((s = clrnn_model_set_params(m, pr.best_weights))) cli_fail_status(s);
        if (!o.quiet) printf("restored the weights of epoch %d (%s %.4f)\n", pr.best_epoch + 1,
                             pr.monitor, pr.best);
    }
    if (dist_rank() == 0 && (s = save_model(m, o.out))) cli_fail_status(s);
    /* after the model is safe: a plot that cannot be written must not lose the training */
    save_plot(o.plot, &pr.plot);
    if (!o.quiet) printf("saved %s\n", o.out);
    dist_end();
    if (interrupt_requested()) { /* Ctrl-C after the last batch: all is saved, but say so */
        if (dist_rank() == 0) fprintf(stderr, "%s: interrupted after the last epoch; saved %s\n", cli_prog(), o.out);
        release(&pr, m, &data, ctx);
        return 130;
    }
    release(&pr, m, &data, ctx);
    return 0;
}
