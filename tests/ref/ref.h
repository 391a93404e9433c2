/*
 * ref.h - the plain-C double-precision reference implementation, used only by tests.
 *
 * Written for clarity, never for speed: this is the source of truth the OpenCL kernels are
 * checked against, and its gradients are checked by finite differences. Semantics follow
 * Keras 3 (docs/keras-format.md sections 5 and 6). All arrays are row-major;
 * shape comments use B batch, T steps, I inputs, U units, R rows, C classes.
 * Backward functions overwrite (never accumulate into) their gradient outputs; any gradient
 * output may be NULL when it is not wanted.
 */
#ifndef CLRNN_REF_H
#define CLRNN_REF_H

typedef enum {
    REF_ACT_LINEAR,
    REF_ACT_SIGMOID,
    REF_ACT_TANH,
    REF_ACT_RELU,
    REF_ACT_SOFTMAX, /* over the last axis (cols) */
    REF_ACT_HARD_SIGMOID,   /* Keras 2: clip(0.2 z + 0.5, 0, 1) */
    REF_ACT_HARD_SIGMOID_K3 /* Keras 3: clip(z / 6 + 0.5, 0, 1) */
} ref_act;

/* y = act(z) for z (R, C). */
void ref_act_forward(ref_act a, const double *z, int R, int C, double *y);
/* dz from dy, given z and y = act(z). */
void ref_act_backward(ref_act a, const double *z, const double *y, const double *dy, int R, int C,
                      double *dz);

/* Dense: y (R, U) = act(x (R, I) . W (I, U) + b (U)); b may be NULL (use_bias=false).
 * A 3-D input (B, T, I) is passed as R = B*T rows, as Keras applies Dense per timestep. */
void ref_dense_forward(const double *x, int R, int I, const double *W, const double *b, int U,
                       ref_act act, double *y);
void ref_dense_backward(const double *x, int R, int I, const double *W, const double *b, int U,
                        ref_act act, const double *dy, double *dx, double *dW, double *db);

/* SimpleRNN: h_t = act(x_t K + b + h_{t-1} R), h_{-1} = h0 (B, U) or zeros when h0 is NULL.
 * x (B, T, I), K (I, U), Rk (U, U), b (U) or NULL. y is (B, T, U) with return_sequences,
 * else (B, U) = h_{T-1}. act is linear, sigmoid, tanh or relu. */
void ref_simple_rnn_forward(const double *x, int B, int T, int I, const double *K,
                            const double *Rk, const double *b, int U, ref_act act,
                            int return_sequences, const double *h0, double *y);
/* Backpropagation through time from dy (shaped like y). dh0 (B, U) is the gradient with
 * respect to h0. */
void ref_simple_rnn_backward(const double *x, int B, int T, int I, const double *K,
                             const double *Rk, const double *b, int U, ref_act act,
                             int return_sequences, const double *h0, const double *dy,
                             double *dx, double *dK, double *dRk, double *db, double *dh0);

/* LSTM (Keras gate order i, f, c, o): z = x_t K + h R + b; i, f, o = rec(z_i, z_f, z_o),
 * g = act(z_c); c_t = f c + i g; h_t = o act(c_t). K (I, 4U), Rk (U, 4U), b (4U) or NULL;
 * h0, c0 (B, U) or NULL for zeros. y as for SimpleRNN. The LSTM and GRU gradients are
 * checked against central differences of these forward passes (test_kernels.c). */
void ref_lstm_forward(const double *x, int B, int T, int I, const double *K, const double *Rk,
                      const double *b, int U, ref_act act, ref_act rec, int return_sequences,
                      const double *h0, const double *c0, double *y);
/* GRU (gate order z, r, h). reset_after: b is (2, 3U) = [input bias; recurrent bias] and
 * hh = act(x K_h + b0_h + r (h R_h + b1_h)); otherwise b is (3U) and
 * hh = act(x K_h + b_h + (r h) R_h). h_t = z h + (1 - z) hh. b may be NULL. */
void ref_gru_forward(const double *x, int B, int T, int I, const double *K, const double *Rk,
                     const double *b, int U, ref_act act, ref_act rec, int reset_after,
                     int return_sequences, const double *h0, double *y);

/* Any recurrent layer with all of Keras's options, step by step as Keras's backend rnn()
 * runs it (keras/src/backend/jax/rnn.py) with the cells of Keras 3 (keras/src/layers/rnn/):
 *   step s = 0..T-1 reads timestep t = s, or T-1-s with go_backwards; outputs in step order.
 *   Input dropout: x_t * dmask (B, I); recurrent dropout: d = h_{t-1} * rmask (B, U) replaces
 *   h_{t-1} everywhere in the cell (the GRU's mix z d + (1 - z) hh included); c is not dropped.
 *   mask (B, T) 0 at a timestep: the states stay as they were and the output is the previous
 *   state h_{t-1}, or zeros with zero_output_for_mask.
 * Cells: SimpleRNN h = act(x K + b + d R); LSTM and GRU as ref_lstm_forward/ref_gru_forward;
 * REF_CELL_GRU_V1 is reset_after=false. Weights in Keras layouts; b NULL without bias. */
typedef enum { REF_CELL_SIMPLE, REF_CELL_LSTM, REF_CELL_GRU, REF_CELL_GRU_V1 } ref_cell;
struct ref_rnn {
    ref_cell cell;
    int B, T, I, U;
    const double *K, *Rk, *b;
    ref_act act, rec;
    int return_sequences, go_backwards, zero_output_for_mask;
    const double *mask, *dmask, *rmask; /* each NULL when not used */
    const double *h0, *c0;              /* initial states (B, U), NULL for zeros */
};
/* y as for SimpleRNN; h_last, c_last (B, U) get the final states when not NULL. */
void ref_rnn_forward(const struct ref_rnn *r, const double *x, double *y, double *h_last,
                     double *c_last);

/* The cells of ref_rnn_forward (ref_cells.c), one entry each, keyed by the library's cell
 * names (host/cell_list.h, clrnn_cell_ops.name): test_cells fails for a library cell
 * without an entry, or with other shapes. */
struct ref_cell_info {
    const char *name;    /* "lstm" */
    ref_cell cell;
    int gates, states;   /* G; 1 (h) or 2 (h, c) */
    int bias_rows;       /* 1: b (GU); 2: (2, GU), the second row added to h R (GRU) */
    int h_product_gates; /* gate blocks of h R computed from h_{t-1} before the unit's step
                          * (all G but for the GRU v1, whose candidate reads r * h_{t-1}) */
    /* One unit u of the step for one sample: from the pre-activations zx (x_t K + input
     * bias) and zh (d R + recurrent bias) of the first h_product_gates blocks, x_t, the
     * dropped state d (U) and c (U), the new hn[u] and, with 2 states, cn[u]. */
    void (*unit)(const struct ref_rnn *r, int u, const double *zx, const double *zh,
                 const double *xt, const double *d, const double *c, double *hn, double *cn);
};
int ref_cell_count(void);
const struct ref_cell_info *ref_cell_at(int i);
const struct ref_cell_info *ref_cell_get(ref_cell cell);
const struct ref_cell_info *ref_cell_by_name(const char *name);

/* Losses, reduced as Keras's sum_over_batch_size: the per-row loss (the mean over the last
 * axis for binary cross-entropy and MSE) averaged over all R rows (all axes but the last).
 * pred (R, C); y_true (R, C), or (R) class indices stored as doubles for the sparse loss.
 * Probabilities are clipped to [1e-7, 1 - 1e-7] as Keras does (in float32); the categorical losses first
 * divide pred by its row sum. With from_logits, pred are logits (binary: sigmoid,
 * categorical: softmax). Returns the loss; dpred (R, C) gets d loss / d pred when not NULL
 * (zero where clipping is active). */
typedef enum {
    REF_LOSS_BCE,
    REF_LOSS_CCE,
    REF_LOSS_SPARSE_CCE,
    REF_LOSS_MSE
} ref_loss;
double ref_loss_forward_backward(ref_loss loss, int from_logits, const double *pred,
                                 const double *y_true, int R, int C, double *dpred);
/* Keras's accuracy for that loss, averaged over rows: binary (pred > 0.5 equals y, mean over
 * the last axis; with from_logits the threshold is 0 on logits), categorical (argmax equal),
 * sparse (argmax equals the index). Not defined for MSE (returns 0). */
double ref_accuracy(ref_loss loss, int from_logits, const double *pred, const double *y_true,
                    int R, int C);

/* The same with a Keras mask over the rows (1 = counts, 0 = padding), as Keras reduces a
 * masked output (losses/loss.py apply_mask): loss sum(mask * row loss) / sum(mask), dpred
 * its gradient, *acc the accuracy weighted by the mask; all 0 when no row counts. */
double ref_loss_masked(ref_loss loss, int from_logits, const double *pred, const double *y_true,
                       const double *mask, int R, int C, double *dpred, double *acc);

/* Optimizers, Keras 3 update rules (keras-format.md 6.1). One step on one weight w (n
 * values) with gradient g; state arrays (n values each, zero at the start) as the optimizer
 * needs them: SGD s1 = momentum; RMSprop s1 = velocity, s2 = momentum, s3 = average
 * gradient; Adam s1 = m, s2 = v. iteration counts steps taken before this one (0 first). */
typedef enum { REF_OPT_SGD, REF_OPT_RMSPROP, REF_OPT_ADAM } ref_opt_kind;
struct ref_opt {
    ref_opt_kind kind;
    double lr, momentum, rho, beta_1, beta_2, epsilon;
    int nesterov, centered;
};
void ref_opt_step(const struct ref_opt *o, long iteration, double *w, const double *g, int n,
                  double *s1, double *s2, double *s3);
/* Keras's clipnorm: g *= clipnorm / max(||g||, clipnorm), per weight. */
void ref_clip_by_norm(double *g, int n, double clipnorm);
/* Keras's global_clipnorm over k weights: all scaled by clip / max(global norm, clip). */
void ref_clip_by_global_norm(double *const *gs, const int *ns, int k, double clipnorm);

/* Keras's merge layers over n inputs xs[k], each (R, C[k]): the elementwise ones (all C[k]
 * equal, y (R, C[0])) as Keras computes them, pairwise from the first (Maximum keeps the
 * first of equal values), and Concatenate on the last axis (y (R, sum of C)). */
typedef enum {
    REF_MERGE_ADD,
    REF_MERGE_SUBTRACT, /* two inputs */
    REF_MERGE_MULTIPLY,
    REF_MERGE_AVERAGE,
    REF_MERGE_MAXIMUM,
    REF_MERGE_MINIMUM,
    REF_MERGE_CONCATENATE
} ref_merge;
void ref_merge_forward(ref_merge op, const double *const *xs, int n, int R, const int *C,
                       double *y);
/* The layers around the recurrent ones (ref_shape.c), x (B, T, F) unless said otherwise.
 * RepeatVector(N): x (B, F) -> y (B, N, F), y[b, t] = x[b]. */
void ref_repeat_vector_forward(const double *x, int B, int F, int N, double *y);
void ref_repeat_vector_backward(const double *dy, int B, int F, int N, double *dx);
/* GlobalAveragePooling1D: y (B, F) the mean over t; with mask (B, T) or NULL, the sum over
 * the steps where the mask is 1 over their count (Keras's; 0/0 where none is). */
void ref_global_avg_pool_forward(const double *x, const double *mask, int B, int T, int F,
                                 double *y);
void ref_global_avg_pool_backward(const double *dy, const double *mask, int B, int T, int F,
                                  double *dx);
/* GlobalMaxPooling1D: y (B, F) the max over every t (Keras's ignores masks); the gradient
 * goes to the first step holding the max. */
void ref_global_max_pool_forward(const double *x, int B, int T, int F, double *y);
void ref_global_max_pool_backward(const double *x, const double *dy, int B, int T, int F,
                                  double *dx);
/* Masking(mask_value): mask[b, t] = 1 where any x[b, t, f] != mask_value, else 0, and
 * y = x * mask (steps equal to mask_value everywhere become 0); dx = dy * mask. */
void ref_masking_forward(const double *x, int B, int T, int F, double mask_value, double *y,
                         double *mask);
/* MaxPooling1D(P, S): y (B, To, F), y[b, o] the max over steps [o S - L, o S - L + P) within
 * [0, T), L the padding before the first step (0 for "valid"); the gradient of each window
 * goes to its first step holding the max (summed where windows overlap). */
void ref_max_pool1d_forward(const double *x, int B, int T, int F, int To, int P, int S, int L,
                            double *y);
void ref_max_pool1d_backward(const double *x, const double *dy, int B, int T, int F, int To,
                             int P, int S, int L, double *dx);
/* LayerNormalization over the last axis of x (R, C): y = (x - mean) / sqrt(var + eps) * gamma
 * + beta, var the biased variance of the row; gamma, beta (C) or NULL for 1 and 0.
 * Backward: dx, dgamma, dbeta (each NULL when not wanted). */
void ref_layer_norm_forward(const double *x, int R, int C, const double *gamma,
                            const double *beta, double eps, double *y);
void ref_layer_norm_backward(const double *x, const double *dy, int R, int C,
                             const double *gamma, double eps, double *dx, double *dgamma,
                             double *dbeta);
/* Conv1D: x (B, T, C), K (P, C, F), bias (F) or NULL, stride S, L steps of zeros before the
 * first ("valid": 0); z[b, o, f] = sum_{k, c} x[b, o S - L + k, c] K[k, c, f] + bias[f] over
 * the steps inside [0, T), y = act(z) (B, To, F). Backward from dy: dx, dK, db (NULL when not
 * wanted). */
void ref_conv1d_forward(const double *x, int B, int T, int C, const double *K,
                        const double *bias, int F, int P, int S, int L, int To, ref_act act,
                        double *y);
void ref_conv1d_backward(const double *x, int B, int T, int C, const double *K,
                         const double *bias, int F, int P, int S, int L, int To, ref_act act,
                         const double *dy, double *dx, double *dK, double *db);

#endif
