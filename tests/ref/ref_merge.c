/*
 * ref_merge.c - the merge layers (Add, Subtract, Multiply, Average, Maximum, Minimum,
 * Concatenate) in plain C; their gradients are checked by finite differences of this.
 */
#include "ref.h"

void ref_merge_forward(ref_merge op, const double *const *xs, int n, int R, const int *C,
                       double *y) {
    if (op == REF_MERGE_CONCATENATE) {
        int total = 0;
        for (int k = 0; k < n; k++) total += C[k];
        for (int r = 0; r < R; r++) {
            int off = 0;
            for (int k = 0; k < n; k++) {
                for (int j = 0; j < C[k]; j++)
                    y[(long)r * total + off + j] = xs[k][(long)r * C[k] + j];
                off += C[k];
            }
        }
        return;
    }
    long count = (long)R * C[0];
    for (long i = 0; i < count; i++) {
        double v = xs[0][i];
        for (int k = 1; k < n; k++) {
            double x = xs[k][i];
            switch (op) {
            case REF_MERGE_ADD:
            case REF_MERGE_AVERAGE: v += x; break;
            case REF_MERGE_SUBTRACT: v -= x; break;
            case REF_MERGE_MULTIPLY: v *= x; break;
            case REF_MERGE_MAXIMUM: v = x > v ? x : v; break;
            case REF_MERGE_MINIMUM: v = x < v ? x : v; break;
            default: break;
            }
        }
        y[i] = op == REF_MERGE_AVERAGE ? v / n : v;
    }
}
