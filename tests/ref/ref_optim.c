/* ref_optim.c - reference optimizer steps and gradient clipping, each written in the order
 * of operations of Keras 3's own code ([K3] optimizers/{sgd,rmsprop,adam}.py and
 * base_optimizer.py; keras-format.md 6.1), so that float32 kernels can match it closely. */
#include <math.h>

#include "ref.h"

/* m = momentum m - lr g; w += m, or with Nesterov w += momentum m - lr g; without momentum
 * w -= lr g. s1 = m. */
static void sgd(const struct ref_opt *o, double *w, const double *g, int n, double *m) {
    for (int i = 0; i < n; i++) {
        if (o->momentum != 0) {
            m[i] = o->momentum * m[i] - o->lr * g[i];
            if (o->nesterov)
                w[i] += o->momentum * m[i] - o->lr * g[i];
            else
                w[i] += m[i];
        } else {
            w[i] -= o->lr * g[i];
        }
    }
}

/* v = rho v + (1 - rho) g^2; centered: a = rho a + (1 - rho) g, denominator v - a^2 + eps,
 * else v + eps (epsilon inside the square root); inc = lr g / sqrt(denominator); with
 * momentum mom = momentum mom + inc and w -= mom, else w -= inc. s1 = v, s2 = mom, s3 = a. */
static void rmsprop(const struct ref_opt *o, double *w, const double *g, int n, double *v,
                    double *mom, double *a) {
    for (int i = 0; i < n; i++) {
        v[i] = o->rho * v[i] + (1 - o->rho) * (g[i] * g[i]);
        double denominator;
        if (o->centered) {
            a[i] = o->rho * a[i] + (1 - o->rho) * g[i];
            denominator = v[i] - a[i] * a[i] + o->epsilon;
        } else {
            denominator = v[i] + o->epsilon;
        }
        double increment = o->lr * g[i] / sqrt(denominator);
        if (o->momentum > 0) {
            mom[i] = o->momentum * mom[i] + increment;
            w[i] -= mom[i];
        } else {
            w[i] -= increment;
        }
    }
}

/* t = iteration + 1; alpha = lr sqrt(1 - beta_2^t) / (1 - beta_1^t); m += (g - m)(1 - beta_1);
 * v += (g^2 - v)(1 - beta_2); w -= m alpha / (sqrt(v) + eps) (epsilon added to the root of
 * the uncorrected v). s1 = m, s2 = v. */
static void adam(const struct ref_opt *o, long iteration, double *w, const double *g, int n,
                 double *m, double *v) {
    double t = (double)iteration + 1;
    double alpha = o->lr * sqrt(1 - pow(o->beta_2, t)) / (1 - pow(o->beta_1, t));
    for (int i = 0; i < n; i++) {
        m[i] += (g[i] - m[i]) * (1 - o->beta_1);
        v[i] += (g[i] * g[i] - v[i]) * (1 - o->beta_2);
        w[i] -= m[i] * alpha / (sqrt(v[i]) + o->epsilon);
    }
}

void ref_opt_step(const struct ref_opt *o, long iteration, double *w, const double *g, int n,
                  double *s1, double *s2, double *s3) {
    switch (o->kind) {
    case REF_OPT_SGD: sgd(o, w, g, n, s1); break;
    case REF_OPT_RMSPROP: rmsprop(o, w, g, n, s1, s2, s3); break;
    case REF_OPT_ADAM: adam(o, iteration, w, g, n, s1, s2); break;
    }
}

/* Keras's Optimizer._clip_by_norm: g clip / max(||g||, clip). A zero gradient stays zero. */
void ref_clip_by_norm(double *g, int n, double clipnorm) {
    double sumsq = 0;
    for (int i = 0; i < n; i++) sumsq += g[i] * g[i];
    double norm = sqrt(sumsq);
    for (int i = 0; i < n; i++) g[i] = g[i] * clipnorm / fmax(norm, clipnorm);
}

/* Keras's clip_by_global_norm: scale = clip min(1 / norm, 1 / clip), the same as
 * clip / max(norm, clip) up to rounding; adding norm - norm makes the scale NaN when the
 * norm is not finite, as Keras does. */
void ref_clip_by_global_norm(double *const *gs, const int *ns, int k, double clipnorm) {
    double sumsq = 0;
    for (int j = 0; j < k; j++)
        for (int i = 0; i < ns[j]; i++) sumsq += gs[j][i] * gs[j][i];
    double norm = sqrt(sumsq);
    double scale = clipnorm * fmin(1 / norm, 1 / clipnorm) + (norm - norm);
    for (int j = 0; j < k; j++)
        for (int i = 0; i < ns[j]; i++) gs[j][i] *= scale;
}
