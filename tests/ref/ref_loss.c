/* ref_loss.c - reference losses and accuracy, Keras 3 semantics (keras-format.md 6.3). */
#include <math.h>

#include "ref.h"

/* Keras clips probabilities to [1e-7, 1 - 1e-7] in float32, where the bounds round to
 * 1.0000000117e-7 and 1 - 2^-23: the reference uses the bounds Keras actually applies. */
#define EPS_LO ((double)1e-7f)
#define EPS_HI ((double)(1.0f - 1e-7f))

static double clip(double v, int *inside) {
    *inside = v >= EPS_LO && v <= EPS_HI;
    return v < EPS_LO ? EPS_LO : v > EPS_HI ? EPS_HI : v;
}

static double target(ref_loss loss, const double *y, int r, int c, int C) {
    if (loss == REF_LOSS_SPARSE_CCE) return (int)y[r] == c ? 1 : 0;
    return y[(long)r * C + c];
}

double ref_loss_forward_backward(ref_loss loss, int from_logits, const double *pred,
                                 const double *y, int R, int C, double *dpred) {
    double total = 0;
    for (int r = 0; r < R; r++) {
        const double *p = pred + (long)r * C;
        double *d = dpred ? dpred + (long)r * C : 0;
        double row = 0;
        if (loss == REF_LOSS_MSE) {
            for (int c = 0; c < C; c++) {
                double e = p[c] - y[(long)r * C + c];
                row += e * e / C;
                if (d) d[c] = 2 * e / C / R;
            }
        } else if (loss == REF_LOSS_BCE) {
            for (int c = 0; c < C; c++) {
                double t = y[(long)r * C + c], x = p[c];
                if (from_logits) {
                    row += (fmax(x, 0) - x * t + log1p(exp(-fabs(x)))) / C;
                    if (d) d[c] = (1 / (1 + exp(-x)) - t) / C / R;
                } else {
                    int in;
                    double q = clip(x, &in);
                    row += -(t * log(q) + (1 - t) * log(1 - q)) / C;
                    if (d) d[c] = in ? (-t / q + (1 - t) / (1 - q)) / C / R : 0;
                }
            }
        } else if (from_logits) {
            double m = p[0], s = 0, tsum = 0;
            for (int c = 1; c < C; c++) m = fmax(m, p[c]);
            for (int c = 0; c < C; c++) s += exp(p[c] - m);
            double lse = m + log(s);
            for (int c = 0; c < C; c++) {
                double t = target(loss, y, r, c, C);
                row -= t * (p[c] - lse);
                tsum += t;
            }
            if (d)
                for (int c = 0; c < C; c++)
                    d[c] = (exp(p[c] - lse) * tsum - target(loss, y, r, c, C)) / R;
        } else {
            /* q = p / sum(p), clipped; loss = -sum t log q */
            double s = 0, gp = 0, gq[256];
            for (int c = 0; c < C; c++) s += p[c];
            for (int c = 0; c < C; c++) {
                int in;
                double t = target(loss, y, r, c, C), q = clip(p[c] / s, &in);
                row -= t * log(q);
                gq[c] = in ? -t / q : 0;
                gp += gq[c] * p[c];
            }
            if (d)
                for (int c = 0; c < C; c++) d[c] = (gq[c] / s - gp / (s * s)) / R;
        }
        total += row;
    }
    return total / R;
}

static int argmax(const double *v, int C) {
    int best = 0;
    for (int c = 1; c < C; c++)
        if (v[c] > v[best]) best = c;
    return best;
}

double ref_accuracy(ref_loss loss, int from_logits, const double *pred, const double *y, int R,
                    int C) {
    if (loss == REF_LOSS_MSE) return 0;
    double hits = 0;
    for (int r = 0; r < R; r++) {
        const double *p = pred + (long)r * C;
        if (loss == REF_LOSS_BCE) {
            double row = 0;
            for (int c = 0; c < C; c++) {
                double cls = p[c] > (from_logits ? 0 : 0.5) ? 1 : 0;
                row += cls == y[(long)r * C + c];
            }
            hits += row / C;
        } else {
            int truth = loss == REF_LOSS_SPARSE_CCE ? (int)y[r] : argmax(y + (long)r * C, C);
            hits += argmax(p, C) == truth;
        }
    }
    return hits / R;
}
