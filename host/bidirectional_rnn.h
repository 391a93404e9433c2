/*
 * bidirectional_rnn.h - what the Bidirectional wrapper (layer_bidirectional.c) uses of the
 * recurrent layers it wraps (layer_rnn.c, rnn_pair.c).
 */
#ifndef CLRNN_BIDIRECTIONAL_RNN_H
#define CLRNN_BIDIRECTIONAL_RNN_H

#include "layer_interface.h"

/* The floats a recurrent layer's last backward pass wrote as its input gradient: B*T*I, or
 * (projected rows)*I when it took tokens */
size_t clrnn_rnn_dx_count(const struct clrnn_layer *l, int B);

/* Bidirectional's rule for its inner layers: zero_output_for_mask = return_sequences. */
clrnn_status clrnn_rnn_set_zero_output_for_mask(struct clrnn_layer *l);
/* A Bidirectional layer's forward pass over its two recurrent layers a and b, and its
 * backward pass (dya, dyb their output gradients, dxa, dxb where their input gradients go,
 * NULL for none): both recurrences in one launch where they run the same kernel
 * (rnn_pair.c), else one layer after the other. */
clrnn_status clrnn_rnn_forward_pair(struct clrnn_layer *a, struct clrnn_layer *b,
                                    const struct clrnn_pass *p, cl_mem x);
clrnn_status clrnn_rnn_backward_pair(struct clrnn_layer *a, struct clrnn_layer *b,
                                     const struct clrnn_pass *p, cl_mem x, cl_mem dya,
                                     cl_mem dyb, cl_mem dxa, cl_mem dxb);

#endif
