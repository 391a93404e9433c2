/*
 * test_hooks.h - what the library shows its tests only: the dropout masks a training pass drew.
 */
#ifndef CLRNN_TEST_HOOKS_H
#define CLRNN_TEST_HOOKS_H

#include "layer_interface.h"

/* The dropout masks the last training pass of recurrent layer l drew (layer_rnn.c), for
 * tests: dmask (B, I) and rmask (B, U), each read only when that dropout was active. */
clrnn_status clrnn_rnn_dropout_masks(const struct clrnn_layer *l, clrnn_ctx *ctx, int B,
                                     float *dmask, float *rmask);

/* The dropout mask the last training pass of Dropout layer l drew (layer_dropout.c), for
 * tests: B rows of the input's size, or (B, features) with noise_shape (None, 1, F). */
clrnn_status clrnn_dropout_layer_mask(const struct clrnn_layer *l, clrnn_ctx *ctx, int B,
                                      float *mask);

#endif
