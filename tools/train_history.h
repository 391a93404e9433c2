/* train_history.h - the per-epoch metrics of clrnn-train: kept for --plot, written to and read
 * back from --history (train_history.c). */
#ifndef CLRNN_TRAIN_HISTORY_H
#define CLRNN_TRAIN_HISTORY_H

#include <stdio.h>

#include "clrnn.h"
#include "train_plot.h"

/* Keeps one more epoch. */
void train_history_add(struct train_history *h, const struct clrnn_epoch_logs *l);
/* The epochs before `before` of a --history file that an earlier run wrote (Keras CSVLogger
 * columns, in any order), for a resumed run's plot; a file that is not one is a user error. */
void train_history_read_csv(const char *path, int before, struct train_history *h);
/* Opens --history: appended to when resuming and it holds rows already (Keras's
 * CSVLogger(append=True)), else written anew with the header of these metrics. */
FILE *train_history_open(const char *path, int resuming, int accuracy, int validating);
/* Writes one epoch's row: epoch, then the metric names sorted, as CSVLogger. */
void train_history_write_row(FILE *f, const struct clrnn_epoch_logs *l);
void train_history_free(struct train_history *h);

#endif
