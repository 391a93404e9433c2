/*
 * train_weights.h - clrnn-train's --class-weight and the sample_weight dataset of a data
 * file (Keras's fit(class_weight=...) and fit(sample_weight=...)).
 */
#ifndef CLRNN_TRAIN_WEIGHTS_H
#define CLRNN_TRAIN_WEIGHTS_H

#include "clrnn.h"

/* Parses "CLASS:WEIGHT,..." (e.g. "0:1,1:3") into *weights, malloc'd, the weight of class c
 * at [c] and 1 for classes not named; returns their number. A bad spec is a usage error. */
int class_weight_parse(const char *spec, double **weights);

/* Reads the sample weights that go with the targets y_name of path ("y_train":
 * "sample_weight_train", "y": "sample_weight") into *out as float32; 0 when the file has
 * none. A dataset that cannot be read fails the tool. */
int sample_weight_read(const char *path, const char *y_name, struct clrnn_array *out);

#endif
