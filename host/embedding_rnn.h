/*
 * embedding_rnn.h - the pact between an Embedding and the recurrent layer right after it
 * (layer_embedding.c, token_projection.c, layer_rnn.c).
 */
#ifndef CLRNN_EMBEDDING_RNN_H
#define CLRNN_EMBEDDING_RNN_H

#include "layer_interface.h"

/* Embedding -> recurrent layer, projecting the vocabulary instead of the positions
 * (token_projection.c, layer_embedding.c). On a batch with fewer vocabulary entries than
 * positions (clrnn_embedding_fused), the recurrent layer's input projection x K + b is
 * read from the table E K + b by token, and its backward pass sums the projection's gradient per
 * id first: dK = E^T S, db = the column sums of S, dE = S K^T, where S (input_dim, GU) holds
 * each id's summed gradient; its input gradient is then dE itself (input_dim, output_dim).
 * A batch with no more positions than vocabulary entries that repeats its ids enough
 * projects its distinct ids the same way (E their rows, in ascending id order; the ids read
 * through are each position's index among them). */
void clrnn_embedding_link(struct clrnn_layer *emb);
int clrnn_embedding_fused(const struct clrnn_layer *emb, int B);
/* This batch's projected rows, as the Embedding's forward pass chose them: 0 (none: the
 * vectors are looked up), input_dim or the number of distinct ids; *vectors, *vectors_off:
 * where their embeddings are (rows of output_dim floats) */
int clrnn_embedding_projection(const struct clrnn_layer *emb, cl_mem *vectors,
                               cl_ulong *vectors_off);
/* The ids the projection is read with this batch (token ids, or indices of distinct ids) */
cl_mem clrnn_embedding_ids(const struct clrnn_layer *emb);
/* out[p] = table[off + ids[p] D ...] for n positions: D floats each */
clrnn_status clrnn_embedding_gather(clrnn_ctx *ctx, cl_mem ids, int n, cl_mem table,
                                    cl_ulong off, int D, cl_mem out);
/* out[off + v D ...] = the sum of dy's rows (D floats) at the positions of id v, in position
 * order, zeros for ids not in the batch; with the distinct-id projection, row u for the u-th
 * distinct id instead. dy has a row per position (B, T, D), or with time_major a row per
 * step (T, B, D), steps in reverse order when backwards (a recurrent layer's dzh). */
clrnn_status clrnn_embedding_sum_by_id(struct clrnn_layer *emb, const struct clrnn_pass *p,
                                       cl_mem dy, int D, int time_major, int backwards,
                                       cl_mem out, cl_ulong off);
/* table (rows, GU) = E K + b, the projection of every projected row (clrnn_embedding_projection),
 * which the recurrent kernels read through the ids; k_off, b_off: K (I, GU) and b (GU) in
 * p->params, has_bias 0 for none */
clrnn_status clrnn_tokens_project(const struct clrnn_pass *p, struct clrnn_layer *emb,
                                  cl_ulong k_off, int has_bias, cl_ulong b_off, size_t GU,
                                  cl_mem table);
/* From dz, the projection's gradient (B*T, GU; time-major by step as clrnn_embedding_sum_by_id
 * says when time_major): dK into p->grads at dk_off, db at db_off (has_bias), and dE (rows, I)
 * into de when not NULL; s is scratch (rows, GU). */
clrnn_status clrnn_tokens_backward(const struct clrnn_pass *p, struct clrnn_layer *emb,
                                   cl_mem dz, int time_major, int backwards, size_t GU,
                                   cl_ulong k_off, cl_ulong dk_off, int has_bias,
                                   cl_ulong db_off, cl_mem s, cl_mem de);

#endif
