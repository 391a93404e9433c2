/* ref_rnn.c - the reference recurrent layer with every Keras option (ref.h), one sample and
 * one step at a time, written from Keras's semantics rather than from the kernels. */
#include <stdlib.h>
#include <string.h>

#include "ref.h"

/* One step of the cell for one sample: from x_t (already dropped) and the states h, c, the
 * new states hn, cn. d is scratch (U). */
static void cell_step(const struct ref_rnn *r, int n, const double *xt, const double *h,
                      const double *c, double *hn, double *cn, double *d) {
    const struct ref_cell_info *cell = ref_cell_get(r->cell);
    int I = r->I, U = r->U, G = cell->gates;
    for (int j = 0; j < U; j++) d[j] = h[j] * (r->rmask ? r->rmask[(long)n * U + j] : 1.0);
    /* the input projection with the input bias; the recurrent bias apart (GRU reset_after) */
    const double *b_in = r->b, *b_rec = cell->bias_rows == 2 && r->b ? r->b + G * U : NULL;
    for (int u = 0; u < U; u++) {
        double zx[4], zh[4];
        for (int g = 0; g < G; g++) {
            int k = g * U + u;
            zx[g] = b_in ? b_in[k] : 0;
            zh[g] = b_rec ? b_rec[k] : 0;
            for (int i = 0; i < I; i++) zx[g] += xt[i] * r->K[(long)i * G * U + k];
            /* the blocks past h_product_gates need the gates first (the cell's unit) */
            if (g < cell->h_product_gates)
                for (int j = 0; j < U; j++) zh[g] += d[j] * r->Rk[(long)j * G * U + k];
        }
        cell->unit(r, u, zx, zh, xt, d, c, hn, cn);
    }
}

void ref_rnn_forward(const struct ref_rnn *r, const double *x, double *y, double *h_last,
                     double *c_last) {
    int T = r->T, I = r->I, U = r->U;
    double *h = malloc(sizeof *h * (size_t)U), *c = malloc(sizeof *c * (size_t)U);
    double *hn = malloc(sizeof *hn * (size_t)U), *cn = malloc(sizeof *cn * (size_t)U);
    double *d = malloc(sizeof *d * (size_t)U), *xt = malloc(sizeof *xt * (size_t)I);
    double *out = malloc(sizeof *out * (size_t)U);
    for (int n = 0; n < r->B; n++) {
        for (int u = 0; u < U; u++) {
            h[u] = r->h0 ? r->h0[(long)n * U + u] : 0;
            c[u] = r->c0 ? r->c0[(long)n * U + u] : 0;
        }
        for (int s = 0; s < T; s++) {
            int t = r->go_backwards ? T - 1 - s : s;
            for (int i = 0; i < I; i++)
                xt[i] = x[((long)n * T + t) * I + i] * (r->dmask ? r->dmask[(long)n * I + i] : 1.0);
            memcpy(cn, c, sizeof *c * (size_t)U);
            cell_step(r, n, xt, h, c, hn, cn, d);
            int keep = !r->mask || r->mask[(long)n * T + t] != 0;
            for (int u = 0; u < U; u++)
                out[u] = keep ? hn[u] : r->zero_output_for_mask ? 0 : h[u];
            if (keep) {
                memcpy(h, hn, sizeof *h * (size_t)U);
                memcpy(c, cn, sizeof *c * (size_t)U);
            }
            if (r->return_sequences)
                memcpy(y + ((long)n * T + s) * U, out, sizeof *out * (size_t)U);
            else if (s == T - 1)
                memcpy(y + (long)n * U, out, sizeof *out * (size_t)U);
        }
        if (h_last) memcpy(h_last + (long)n * U, h, sizeof *h * (size_t)U);
        if (c_last) memcpy(c_last + (long)n * U, c, sizeof *c * (size_t)U);
    }
    free(h), free(c), free(hn), free(cn), free(d), free(xt), free(out);
}
