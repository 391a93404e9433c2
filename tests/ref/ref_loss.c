/* ref_loss.c - reference losses and accuracy with Keras 3 semantics (keras-format.md 6.3):
 * the per-row loss averaged over all rows (reduction sum_over_batch_size). */
#include <math.h>
#include <stddef.h>

#include "ref.h"

/* Keras clips probabilities to [epsilon, 1 - epsilon], epsilon = 1e-7, on float32 tensors:
 * the bounds are computed in Python (double) and rounded to float32, 1.0000000117e-7 and
 * 1 - 2^-23. The reference uses the bounds Keras actually applies. */
#define EPS_LO ((double)(float)1e-7)
#define EPS_HI ((double)(float)(1.0 - 1e-7))

/* The clip, and whether v lies inside it: outside, the clip passes no gradient (as TF's
 * clip_by_value and JAX's clip). */
static double clip(double v, int *inside) {
    *inside = v >= EPS_LO && v <= EPS_HI;
    return v < EPS_LO ? EPS_LO : v > EPS_HI ? EPS_HI : v;
}

/* Target for row r, class c: y (R, C), or for the sparse loss a one-hot of y[r] (R). */
static double target(ref_loss loss, const double *y, int r, int c, int C) {
    if (loss == REF_LOSS_SPARSE_CCE) return (int)y[r] == c ? 1 : 0;
    return y[(long)r * C + c];
}

/* Each row function returns the row's loss and, if d is not NULL, writes d row / d p. */

/* mean over c of (p - t)^2 */
static double row_mse(const double *p, const double *t, int C, double *d) {
    double s = 0;
    for (int c = 0; c < C; c++) {
        double e = p[c] - t[c];
        s += e * e;
        if (d) d[c] = 2 * e / C;
    }
    return s / C;
}

/* mean over c of -(t log q + (1 - t) log(1 - q)), q = clip(p); from logits x the stable
 * form max(x, 0) - x t + log(1 + exp(-|x|)), whose derivative is sigmoid(x) - t */
static double row_bce(int from_logits, const double *p, const double *t, int C, double *d) {
    double s = 0;
    for (int c = 0; c < C; c++) {
        if (from_logits) {
            double x = p[c];
            s += fmax(x, 0) - x * t[c] + log1p(exp(-fabs(x)));
            if (d) d[c] = (1 / (1 + exp(-x)) - t[c]) / C;
        } else {
            int in;
            double q = clip(p[c], &in);
            s += -(t[c] * log(q) + (1 - t[c]) * log(1 - q));
            if (d) d[c] = in ? (-t[c] / q + (1 - t[c]) / (1 - q)) / C : 0;
        }
    }
    return s / C;
}

/* -sum_c t_c log_softmax(x)_c; d/dx_k = softmax(x)_k sum_c t_c - t_k */
static double row_cce_logits(ref_loss loss, const double *y, int r, const double *x, int C,
                             double *d) {
    double m = x[0], se = 0, tsum = 0, s = 0;
    for (int c = 1; c < C; c++) m = fmax(m, x[c]);
    for (int c = 0; c < C; c++) se += exp(x[c] - m);
    double lse = m + log(se); /* log sum exp x */
    for (int c = 0; c < C; c++) {
        double t = target(loss, y, r, c, C);
        s -= t * (x[c] - lse);
        tsum += t;
    }
    if (d)
        for (int c = 0; c < C; c++) d[c] = exp(x[c] - lse) * tsum - target(loss, y, r, c, C);
    return s;
}

/* -sum_c t_c log q_c with q_c = clip(p_c / S), S = sum_c p_c. With g_c = d row / d q_c
 * (-t_c / q_c inside the clip, 0 outside), d row / d p_k = g_k / S - sum_c g_c p_c / S^2. */
static double row_cce_probs(ref_loss loss, const double *y, int r, const double *p, int C,
                            double *d) {
    double S = 0, s = 0, gp = 0;
    for (int c = 0; c < C; c++) S += p[c];
    for (int c = 0; c < C; c++) {
        int in;
        double t = target(loss, y, r, c, C), q = clip(p[c] / S, &in);
        s -= t * log(q);
        gp += (in ? -t / q : 0) * p[c];
    }
    if (d)
        for (int c = 0; c < C; c++) {
            int in;
            double t = target(loss, y, r, c, C), q = clip(p[c] / S, &in);
            d[c] = (in ? -t / q : 0) / S - gp / (S * S);
        }
    return s;
}

double ref_loss_forward_backward(ref_loss loss, int from_logits, const double *pred,
                                 const double *y_true, int R, int C, double *dpred) {
    double total = 0;
    for (int r = 0; r < R; r++) {
        const double *p = pred + (long)r * C;
        double *d = dpred ? dpred + (long)r * C : NULL;
        double row;
        if (loss == REF_LOSS_MSE)
            row = row_mse(p, y_true + (long)r * C, C, d);
        else if (loss == REF_LOSS_BCE)
            row = row_bce(from_logits, p, y_true + (long)r * C, C, d);
        else if (from_logits)
            row = row_cce_logits(loss, y_true, r, p, C, d);
        else
            row = row_cce_probs(loss, y_true, r, p, C, d);
        total += row;
        if (d) /* the mean over rows */
            for (int c = 0; c < C; c++) d[c] /= R;
    }
    return total / R;
}

static int argmax(const double *v, int C) {
    int best = 0; /* the first of equal maxima, as argmax does */
    for (int c = 1; c < C; c++)
        if (v[c] > v[best]) best = c;
    return best;
}

double ref_accuracy(ref_loss loss, int from_logits, const double *pred, const double *y_true,
                    int R, int C) {
    if (loss == REF_LOSS_MSE) return 0;
    double hits = 0;
    for (int r = 0; r < R; r++) {
        const double *p = pred + (long)r * C;
        if (loss == REF_LOSS_BCE) {
            /* strict: p = 0.5 counts as class 0 (keras-format.md 6.3) */
            double threshold = from_logits ? 0 : 0.5, row = 0;
            for (int c = 0; c < C; c++)
                row += (p[c] > threshold ? 1.0 : 0.0) == y_true[(long)r * C + c];
            hits += row / C;
        } else {
            int truth = loss == REF_LOSS_SPARSE_CCE ? (int)y_true[r]
                                                    : argmax(y_true + (long)r * C, C);
            hits += argmax(p, C) == truth;
        }
    }
    return hits / R;
}

double ref_loss_masked(ref_loss loss, int from_logits, const double *pred, const double *y_true,
                       const double *mask, int R, int C, double *dpred, double *acc) {
    double valid = 0, total = 0, hits = 0;
    for (int r = 0; r < R; r++) valid += mask[r];
    for (int r = 0; r < R; r++) {
        /* one row at a time: its loss, gradient and accuracy as a batch of one */
        const double *p = pred + (long)r * C;
        const double *t = y_true + (loss == REF_LOSS_SPARSE_CCE ? (long)r : (long)r * C);
        double *d = dpred ? dpred + (long)r * C : NULL;
        double w = valid > 0 ? mask[r] / valid : 0;
        total += w * ref_loss_forward_backward(loss, from_logits, p, t, 1, C, d);
        hits += w * ref_accuracy(loss, from_logits, p, t, 1, C);
        if (d)
            for (int c = 0; c < C; c++) d[c] *= w;
    }
    if (acc) *acc = hits;
    return total;
}
