/* train_history.h - the per-epoch metrics of clrnn-train: kept for --plot, written to and read
 * back from --history (train_history.c). */
#ifndef CLRNN_TRAIN_HISTORY_H
#define CLRNN_TRAIN_HISTORY_H

#include <stdio.h>

#include "clrnn.h"
#include "train_plot.h"

/* Keeps one more epoch. */
void train_history_add(struct train_history *h, const struct clrnn_epoch_logs *l);
/* Opens --history. A run resumed after epoch resumed_after (-1: not resumed) appends to a
 * file that holds rows already, as Keras's CSVLogger(append=True), and its epochs before
 * that one are read into past (for the plot); a file that is not one is a user error. Else
 * the file is written anew with the header of these metrics (learning_rate: the column
 * ReduceLROnPlateau adds in Keras; more: the metrics beyond accuracy, by Keras's names). */
FILE *train_history_open(const char *path, int resumed_after, int accuracy, int validating,
                         int learning_rate, const struct clrnn_metric_values *more,
                         struct train_history *past);
/* Writes one epoch's row: epoch, then the metric names sorted, as CSVLogger; learning_rate
 * NAN when the file has no such column. */
void train_history_write_row(FILE *f, const struct clrnn_epoch_logs *l, double learning_rate);
void train_history_free(struct train_history *h);

#endif
