/* layer_list.h - every layer kind, one line each: X(ops symbol defined in host/layer_*.c). */
X(clrnn_layer_dense)
X(clrnn_layer_activation)
X(clrnn_layer_simple_rnn)
X(clrnn_layer_lstm)
X(clrnn_layer_gru)
X(clrnn_layer_rnn)
X(clrnn_layer_bidirectional)
X(clrnn_layer_embedding)
