/* ref_optim.c - reference optimizer steps, written as Keras 3 writes them. */
#include <math.h>

#include "ref.h"

void ref_opt_step(const struct ref_opt *o, long iteration, double *w, const double *g, int n,
                  double *s1, double *s2, double *s3) {
    if (o->kind == REF_OPT_SGD) {
        for (int i = 0; i < n; i++) {
            if (o->momentum != 0) {
                s1[i] = o->momentum * s1[i] - o->lr * g[i];
                w[i] += o->nesterov ? o->momentum * s1[i] - o->lr * g[i] : s1[i];
            } else {
                w[i] -= o->lr * g[i];
            }
        }
    } else if (o->kind == REF_OPT_RMSPROP) {
        for (int i = 0; i < n; i++) {
            s1[i] = o->rho * s1[i] + (1 - o->rho) * g[i] * g[i];
            double denom = s1[i] + o->epsilon;
            if (o->centered) {
                s3[i] = o->rho * s3[i] + (1 - o->rho) * g[i];
                denom = s1[i] - s3[i] * s3[i] + o->epsilon;
            }
            double inc = o->lr * g[i] / sqrt(denom);
            if (o->momentum > 0) {
                s2[i] = o->momentum * s2[i] + inc;
                w[i] -= s2[i];
            } else {
                w[i] -= inc;
            }
        }
    } else {
        double t = (double)iteration + 1;
        double alpha = o->lr * sqrt(1 - pow(o->beta_2, t)) / (1 - pow(o->beta_1, t));
        for (int i = 0; i < n; i++) {
            s1[i] += (g[i] - s1[i]) * (1 - o->beta_1);
            s2[i] += (g[i] * g[i] - s2[i]) * (1 - o->beta_2);
            w[i] -= s1[i] * alpha / (sqrt(s2[i]) + o->epsilon);
        }
    }
}

void ref_clip_by_norm(double *g, int n, double clipnorm) {
    double s = 0;
    for (int i = 0; i < n; i++) s += g[i] * g[i];
    double norm = sqrt(s);
    for (int i = 0; i < n; i++) g[i] = g[i] * clipnorm / fmax(norm, clipnorm);
}

void ref_clip_by_global_norm(double *const *gs, const int *ns, int k, double clipnorm) {
    double s = 0;
    for (int j = 0; j < k; j++)
        for (int i = 0; i < ns[j]; i++) s += gs[j][i] * gs[j][i];
    double norm = sqrt(s);
    for (int j = 0; j < k; j++)
        for (int i = 0; i < ns[j]; i++) gs[j][i] = gs[j][i] * clipnorm / fmax(norm, clipnorm);
}
