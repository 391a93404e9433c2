/* cell_list.h - every recurrent cell, one line each: X(ops symbol defined in host/cell_*.c).
 * A variant follows its cell, which its configure chooses from (cell.h). */
X(clrnn_cell_simple_rnn)
X(clrnn_cell_lstm)
X(clrnn_cell_gru)
X(clrnn_cell_gru_v1)
