/*
 * token_projection.c - the input projection of a recurrent layer that reads an Embedding's
 * output, done on the vocabulary instead of on the batch's positions (clrnn_impl.h).
 *
 * x K + b for a position is (E K + b)[id]: a table of input_dim rows replaces B*T rows of a
 * GEMM, with the same sums in the same order (forward outputs are unchanged), and the
 * recurrent kernel reads each position's row of the table through the ids (RNN_TOKENS in
 * cl/rnn_common.cl), so the (B*T, GU) projection is never written. Backward,
 * dK = x^T dz adds the same products grouped by id: dK = E^T S with S[v] the sum of dz over
 * the positions of id v, and the Embedding's gradient dE[v] = sum of dz K^T over those
 * positions = S[v] K^T. Three GEMMs over B*T rows become two over input_dim rows; they pay
 * off whenever the vocabulary is smaller than the batch's positions (Embedding(1000)
 * feeding 128 sequences of 200 steps: 25 times fewer rows). With a larger vocabulary the same
 * holds for the batch's distinct ids when it repeats enough of them (layer_embedding.c
 * distinct_pays): E is then their embeddings, the table has a row per distinct id, and the
 * recurrent kernel reads it through each position's index among them.
 */
#include "embedding_rnn.h"

clrnn_status clrnn_tokens_project(const struct clrnn_pass *p, struct clrnn_layer *emb,
                                  cl_ulong k_off, int has_bias, cl_ulong b_off, size_t GU,
                                  cl_mem table) {
    cl_mem E;
    cl_ulong e_off;
    size_t rows = (size_t)clrnn_embedding_projection(emb, &E, &e_off), I = (size_t)emb->w[0].d[1];
    return clrnn_gemm_bias(p->ctx, rows, GU, I, E, e_off, I, p->params, k_off, GU, table, 0, GU,
                           has_bias ? p->params : NULL, has_bias ? b_off : 0);
}

clrnn_status clrnn_tokens_backward(const struct clrnn_pass *p, struct clrnn_layer *emb,
                                   cl_mem dz, int time_major, int backwards, size_t GU,
                                   cl_ulong k_off, cl_ulong dk_off, int has_bias,
                                   cl_ulong db_off, cl_mem sum, cl_mem de) {
    cl_mem E;
    cl_ulong e_off;
    size_t rows = (size_t)clrnn_embedding_projection(emb, &E, &e_off), I = (size_t)emb->w[0].d[1];
    clrnn_status s =
        clrnn_embedding_sum_by_id(emb, p, dz, (int)GU, time_major, backwards, sum, 0);
    if (!s)
        s = clrnn_gemm(p->ctx, 1, 0, I, GU, rows, 1.0f, E, e_off, I, sum, 0, GU, 0.0f, p->grads,
                       dk_off, GU);
    if (!s && has_bias) s = clrnn_sum_rows(p->ctx, sum, rows, GU, p->grads, db_off);
    if (!s && de)
        s = clrnn_gemm(p->ctx, 0, 1, rows, I, GU, 1.0f, sum, 0, GU, p->params, k_off, GU, 0.0f,
                       de, 0, I);
    return s;
}
