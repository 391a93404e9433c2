/*
 * clrnn_impl.h - every internal interface of host/ at once, for the files that use most of
 * them. Each concern has its own header, which a file that needs only it includes instead:
 *   runtime.h            context, buffers, programs and launches, GEMM, activations, dropout
 *   layer_interface.h    the layer table, registry, config readers, weights, initializers
 *   model_impl.h         the model and its graph, losses, compile configuration, optimizers
 *   embedding_rnn.h      the Embedding -> recurrent layer pact (token projection)
 *   bidirectional_rnn.h  what Bidirectional uses of the recurrent layers
 *   test_hooks.h         what only the tests read
 */
#ifndef CLRNN_IMPL_H
#define CLRNN_IMPL_H

#include "bidirectional_rnn.h"
#include "embedding_rnn.h"
#include "layer_interface.h"
#include "model_impl.h"
#include "runtime.h"
#include "test_hooks.h"

#endif
