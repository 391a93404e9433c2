/*
 * train_history.c - clrnn-train's per-epoch metrics: the --history CSV file (the columns of
 * Keras's CSVLogger: epoch, then the metric names sorted) and the series --plot draws. A
 * resumed run appends to the file, as CSVLogger(append=True), and its plot starts with the
 * epochs the file holds from before.
 */
#include "train_history.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

static void add(struct train_history *h, const double vals[4]) {
    int n = h->epochs + 1;
    double **cols[4] = {&h->loss, &h->accuracy, &h->val_loss, &h->val_accuracy};
    for (int k = 0; k < 4; k++) {
        double *grown = realloc(*cols[k], (size_t)n * sizeof **cols[k]);
        if (!grown) cli_fail("out of memory");
        grown[n - 1] = vals[k];
        *cols[k] = grown;
    }
    h->epochs = n;
}

void train_history_add(struct train_history *h, const struct clrnn_epoch_logs *l) {
    double vals[4] = {l->loss, l->accuracy, l->has_val ? l->val_loss : NAN,
                      l->has_val ? l->val_accuracy : NAN};
    add(h, vals);
    h->has_accuracy = l->has_accuracy;
    h->has_val = h->has_val || l->has_val;
}

/* The epochs before `before` of a --history file an earlier run wrote (the columns in any
 * order). */
static void read_csv(const char *path, int before, struct train_history *h) {
    FILE *f = fopen(path, "r");
    if (!f) cli_fail("%s: %s", path, strerror(errno));
    static const char *const names[4] = {"loss", "accuracy", "val_loss", "val_accuracy"};
    int column[4] = {-1, -1, -1, -1}, line_no = 0;
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        line_no++;
        line[strcspn(line, "\r\n")] = '\0';
        if (line_no == 1) {
            int c = 0;
            for (char *cell = strtok(line, ","); cell; cell = strtok(NULL, ","), c++)
                for (int k = 0; k < 4; k++)
                    if (strcmp(cell, names[k]) == 0) column[k] = c;
            if (strncmp(line, "epoch", 5) != 0 || column[0] < 0)
                cli_fail("%s: not a --history file (its first line is not 'epoch,...,loss...')",
                         path);
            continue;
        }
        double vals[4] = {NAN, NAN, NAN, NAN}, epoch = NAN;
        int c = 0;
        for (char *cell = strtok(line, ","); cell; cell = strtok(NULL, ","), c++) {
            char *end;
            double v = strtod(cell, &end);
            if (end == cell) cli_fail("%s:%d: '%s' is not a number", path, line_no, cell);
            if (c == 0) epoch = v;
            for (int k = 0; k < 4; k++)
                if (column[k] == c) vals[k] = v;
        }
        /* the rows of the epochs before the checkpoint's, each once (the last wins) */
        if (!(epoch >= 0 && epoch < before)) continue;
        while (h->epochs > (int)epoch) h->epochs--;
        if (h->epochs < (int)epoch) continue; /* a gap: not this run's past */
        add(h, vals);
    }
    fclose(f);
    h->has_accuracy = column[1] >= 0;
    h->has_val = column[2] >= 0;
}

/* The columns of the metrics beyond accuracy, sorted as CSVLogger sorts them (precision,
 * recall, sparse_top_k..., top_k...: the order of the bits) */
static void more_names(FILE *f, const struct clrnn_metric_values *more, const char *prefix) {
    for (unsigned bit = CLRNN_METRIC_TOP_K; bit <= CLRNN_METRIC_RECALL; bit <<= 1)
        if (more->metrics & bit) fprintf(f, ",%s%s", prefix, clrnn_metric_name(bit, more->sparse));
}
static void more_values(FILE *f, const struct clrnn_metric_values *more) {
    for (unsigned bit = CLRNN_METRIC_TOP_K; bit <= CLRNN_METRIC_RECALL; bit <<= 1)
        if (more->metrics & bit) fprintf(f, ",%.9g", clrnn_metric_value(more, bit));
}

FILE *train_history_open(const char *path, int resumed_after, int accuracy, int validating,
                         int learning_rate, const struct clrnn_metric_values *more,
                         struct train_history *past) {
    struct stat st;
    int append = resumed_after >= 0 && stat(path, &st) == 0 && st.st_size > 0;
    if (append) read_csv(path, resumed_after, past);
    FILE *f = fopen(path, append ? "a" : "w");
    if (!f) cli_fail("%s: cannot write the history file: %s", path, strerror(errno));
    if (!append) {
        fprintf(f, "epoch%s%s,loss", accuracy ? ",accuracy" : "", learning_rate ? ",learning_rate" : "");
        more_names(f, more, "");
        fprintf(f, "%s%s", validating && accuracy ? ",val_accuracy" : "", validating ? ",val_loss" : "");
        if (validating) more_names(f, more, "val_");
        fprintf(f, "\n");
    }
    return f;
}

void train_history_write_row(FILE *f, const struct clrnn_epoch_logs *l, double learning_rate) {
    fprintf(f, "%d", l->epoch);
    if (l->has_accuracy) fprintf(f, ",%.9g", l->accuracy);
    if (!isnan(learning_rate)) fprintf(f, ",%.9g", learning_rate);
    fprintf(f, ",%.9g", l->loss);
    more_values(f, &l->more);
    if (l->has_val) {
        if (l->has_accuracy) fprintf(f, ",%.9g", l->val_accuracy);
        fprintf(f, ",%.9g", l->val_loss);
        more_values(f, &l->val_more);
    }
    fprintf(f, "\n");
    fflush(f);
}

void train_history_free(struct train_history *h) {
    free(h->loss), free(h->accuracy), free(h->val_loss), free(h->val_accuracy);
    memset(h, 0, sizeof *h);
}
