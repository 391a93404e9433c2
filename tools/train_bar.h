/* train_bar.h - clrnn-train's progress bar on a terminal (train_bar.c). */
#ifndef CLRNN_TRAIN_BAR_H
#define CLRNN_TRAIN_BAR_H

#include "clrnn.h"

/* Redraws the current line of stdout: "Epoch n/N b/B [====>....] - ETA: ... - loss: ...". */
void train_bar_draw(const struct clrnn_progress *p);

#endif
