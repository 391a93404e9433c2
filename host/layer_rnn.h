/*
 * layer_rnn.h - what the recurrent layer (layer_rnn.c) shares with its per-step path
 * (rnn_steps.c), its Bidirectional pairs (rnn_pair.c) and its cells (cell_*.c, cell.h): the
 * layer's state.
 */
#ifndef CLRNN_LAYER_RNN_H
#define CLRNN_LAYER_RNN_H

#include "cell.h"
#include "clrnn_impl.h"

struct rnn_cfg {
    const struct clrnn_cell_ops *cell;
    int wrapped;                    /* Keras's RNN(cell) rather than LSTM(...) */
    char cell_name[128];            /* wrapped: the cell's name, its weights' scope */
    /* the cell's options */
    int units;
    clrnn_act act, rec_act;
    int use_bias;
    int unit_forget_bias;           /* LSTM (cell_lstm.c) */
    int reset_after;                /* GRU (cell_gru.c): 0 runs the clrnn_cell_gru_v1 table */
    clrnn_init_kind kernel_init, recurrent_init, bias_init;
    double dropout, recurrent_dropout;
    /* the layer's options */
    int return_sequences, go_backwards, stateful, zero_output_for_mask, return_state;
    /* what the last forward pass did, for backward */
    int in_dropped, rec_dropped;
    int state_rows;                 /* stateful: batch rows of the kept state, 0 = none */
    int rows_variant;               /* the kernels run batch rows a work-item (CPUs) */
    int rows_per_item;              /* how many, in the row variant */
    int group_rows;                 /* batch rows a work-group in the group variant, 0 =
                                     * launch_shape's guess */
    int rows_tuned;                 /* rows_per_item or group_rows is settled (tuned or
                                     * fixed) */
    int r_onchip;                   /* the group variant holds R (R^T) in local memory */
    int r_place_fixed;              /* r_onchip is settled (tuned, or fixed by CLRNN_R_LOCAL
                                     * or CLRNN_TUNE=0) */
    struct clrnn_layer *emb;        /* the Embedding whose tokens it takes, or NULL */
    int tokens_pass;                /* the last forward pass projected the vocabulary or
                                     * the batch's distinct ids */
    int tokens_direct;              /* and the kernel read the table (else a gathered zx) */
    int tokens_tuned;               /* tokens_direct is settled (tuned or fixed) */
    int tokens_distinct;            /* and it projected the batch's distinct ids (the table
                                     * in distinct_table) */
    int alloc_rows;                 /* the batch rows the buffers below are made for */
    int step_rows;                  /* and gates, dzx and dzh, 0 until a pass needs them */
    /* device buffers for max_batch rows */
    cl_mem zx;    /* (B, T, GU) */
    cl_mem hs;    /* (T+1, B, U) */
    cl_mem cs;    /* (T+1, B, U), LSTM */
    cl_mem gates; /* (T, B, 4U), LSTM and GRU; step_buffers */
    cl_mem dzx;   /* (B, T, GU); step_buffers */
    cl_mem dzh;   /* (T, B, GU); step_buffers */
    cl_mem dh0;   /* (B, U); with return_state it first holds the final h's gradient */
    cl_mem dc0;   /* (B, U), LSTM: the same for c */
    cl_mem dmask, xd;   /* dropout: mask (B, I), dropped input (B, T, I) */
    cl_mem rmask, hsd;  /* recurrent_dropout: mask (B, U), dropped states (T, B, U) */
    cl_mem state_h, state_c; /* stateful: (B, U) */
    cl_mem rt;               /* row variant and per-step path: R^T (GU, U) for the backward
                              * kernel or products (packed on CPUs: gemm_pack) */
    cl_mem tok;              /* token projection: the table, then the sums by id (V, GU) */
    int steps;               /* the recurrence runs step by step (rnn_steps.c) */
    cl_mem zh;               /* per-step path: a step's R products (B, GU) */
    cl_mem dd;               /* and h_{t-1} * rmask (B, U) with recurrent dropout */
    cl_mem rp;               /* and R packed for its forward products, on CPUs */
};


/* The per-step path of the recurrence (rnn_steps.c): a GEMM of all batch rows by R and
 * element kernels per step, for hidden sizes the persistent kernels cannot hold. Forward
 * reads zx (or the token table with ids, as `opts` says) and fills hs, cs, gates and y as
 * the persistent kernels do; backward fills dzx, dzh, dh0 and dc0 from dy. _alloc makes its
 * buffers (zh, dd, rt, rp) for B rows. */
clrnn_status clrnn_rnn_steps_alloc(struct clrnn_layer *l, clrnn_ctx *ctx, int B);
clrnn_status clrnn_rnn_steps_forward(struct clrnn_layer *l, const struct clrnn_pass *p,
                                     cl_mem zx, cl_mem ids, const char *opts);
clrnn_status clrnn_rnn_steps_backward(struct clrnn_layer *l, const struct clrnn_pass *p,
                                      cl_mem dy, const char *opts);

/* The steps of a forward and a backward pass, for a Bidirectional layer's pair of recurrent
 * layers (rnn_pair.c), which runs both layers' recurrences in one launch: _prepare_forward
 * does everything before the recurrence (dropout masks, input projection, initial state);
 * _run_forward the recurrence alone, tuning its kernel where _tunes_forward says; _keep_state
 * what follows it. _launch_forward and _launch_backward launch the recurrence's kernel for
 * `l`, and with `second` for both layers at once (RNN_PAIR in cl/rnn_common.cl);
 * _backward_weights does the rest of a backward pass. */
clrnn_status clrnn_rnn_prepare_forward(struct clrnn_layer *l, const struct clrnn_pass *p,
                                       cl_mem x);
int clrnn_rnn_tunes_forward(const struct clrnn_layer *l);
clrnn_status clrnn_rnn_run_forward(struct clrnn_layer *l, const struct clrnn_pass *p);
clrnn_status clrnn_rnn_keep_state(struct clrnn_layer *l, clrnn_ctx *ctx, int B);
clrnn_status clrnn_rnn_launch_forward(struct clrnn_layer *l, struct clrnn_layer *second,
                                      const struct clrnn_pass *p);
clrnn_status clrnn_rnn_launch_backward(struct clrnn_layer *l, struct clrnn_layer *second,
                                       const struct clrnn_pass *p, cl_mem dy, cl_mem dy2);
/* Whether the layer's group kernels read R from local memory at batch B: the forward's
 * choice, or the backward's (layer_rnn.c backward_r_local); for tests */
int clrnn_rnn_r_local(const struct clrnn_layer *l, const clrnn_ctx *ctx, int B, int backward);
/* Batch rows a work-group of the layer's group backward kernel owns at batch B; for tests */
int clrnn_rnn_backward_rows(const struct clrnn_layer *l, const clrnn_ctx *ctx, int B);
clrnn_status clrnn_rnn_backward_weights(struct clrnn_layer *l, const struct clrnn_pass *p,
                                        cl_mem x, cl_mem dx);

#endif
