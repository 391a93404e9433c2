/*
 * loss.cl - losses with their gradient and accuracy, reduced as Keras does
 * (sum_over_batch_size: per-row values averaged over all rows, a row being everything but
 * the last axis). docs/keras-format.md 6.3.
 *
 * Kernels, global (rows), one work-item per row; pred, dpred (rows, cols); y (rows, cols)
 * targets, or (rows) class indices as floats for the sparse loss:
 *   loss_bce(pred, y, dpred, rows, cols, from_logits, row_loss, row_acc, row_extra, masked,
 *            mask, weighted, weights, metric, slot)
 *   loss_cce(pred, y, dpred, rows, cols, from_logits, sparse, row_loss, row_acc, row_extra,
 *            top_k, masked, mask, weighted, weights, metric, slot)
 *   loss_mse(pred, y, dpred, rows, cols, row_loss, row_acc, row_extra, masked, mask,
 *            weighted, weights, metric, slot)
 * dpred = d(batch loss) / d pred. row_loss/row_acc get each row's loss and accuracy;
 * loss_reduce (global = local = REDUCE_LANES) adds their sums, in a fixed order, into the
 * batch's slot of metric (SLOT_FLOATS floats a batch, at the SLOT_* indices below).
 *
 * Metrics beyond accuracy (not weighted, masked as accuracy is): row_extra (3 rows) gets per
 * row, for the binary loss, the true positives, false positives and false negatives of
 * outputs > 0.5 against targets of 1 (Keras's Precision and Recall; summed, not averaged,
 * over the row's columns); for the categorical losses, whether the target class is in the
 * top_k outputs (fewer than top_k are strictly higher: Keras's in_top_k) and two zeros.
 *
 * Sample weights (Keras's fit(sample_weight=...), and class_weight turned into them; weights
 * is (rows) when weighted): a row's loss is multiplied by its weight and still divided by
 * the rows that count (sum_over_batch_size). Accuracy is not weighted: Keras weighs only
 * compile's weighted_metrics, not its metrics.
 *
 * Masked outputs (a Keras mask that reaches the loss, 1 per real timestep, 0 per padded one;
 * mask is NULL-equivalent when not masked): the batch loss is sum(mask * loss) / valid with
 * valid = sum(mask) (Keras's apply_mask, 0 when nothing is valid), accuracy is weighted by
 * the mask. mask_sum (global = local = REDUCE_LANES) first writes valid into the slot, where
 * the loss kernels read it (masked batches only; else loss_reduce writes rows).
 */
#define EPSILON 1e-7f

/* a batch's slot of metric: the host passes SLOT_FLOATS and reads these indices
 * (model_impl.h) */
#define SLOT_LOSS 0   /* sum of the rows' weighted losses */
#define SLOT_ACC 1    /* sum of the rows' accuracies */
#define SLOT_VALID 2  /* rows that count: the divisor of both */
#define SLOT_EXTRA 3  /* row_extra's three sums: true positives (or top-k hits), false
                       * positives, false negatives */

/* The weight of row r in the batch loss, relative to the unmasked 1 / rows: mask / valid
 * instead, so that the gradients are those of sum(mask * loss) / valid; times the sample
 * weight. */
static inline float row_weight(int masked, __global const float *mask, int weighted,
                               __global const float *weights, __global const float *metric,
                               int slot, int r, int rows) {
    float w = weighted ? weights[r] : 1.0f;
    if (!masked) return w;
    float valid = metric[SLOT_FLOATS * slot + SLOT_VALID];
    return valid > 0.0f ? w * mask[r] * (float)rows / valid : 0.0f;
}

__kernel void loss_bce(__global const float *pred, __global const float *y,
                       __global float *dpred, int rows, int cols, int from_logits,
                       __global float *row_loss, __global float *row_acc,
                       __global float *row_extra, int masked,
                       __global const float *mask, int weighted, __global const float *weights,
                       __global const float *metric, int slot) {
    int r = get_global_id(0);
    if (r >= rows) return;
    float scale = row_weight(masked, mask, weighted, weights, metric, slot, r, rows) /
                  ((float)rows * (float)cols);
    float loss = 0.0f, acc = 0.0f, tp = 0.0f, fp = 0.0f, fn = 0.0f;
    for (int c = 0; c < cols; c++) {
        size_t i = (size_t)r * cols + c;
        float p = pred[i], t = y[i];
        /* Keras's Precision and Recall threshold the output as it is, logits too */
        int positive = p > 0.5f, truth = t == 1.0f;
        tp += positive && truth ? 1.0f : 0.0f;
        fp += positive && !truth ? 1.0f : 0.0f;
        fn += !positive && truth ? 1.0f : 0.0f;
        if (from_logits) {
            /* max(x, 0) - x t + log(1 + exp(-|x|)), gradient sigmoid(x) - t */
            loss += fmax(p, 0.0f) - p * t + log1p(exp(-fabs(p)));
            dpred[i] = (1.0f / (1.0f + exp(-p)) - t) * scale;
            acc += ((p > 0.0f ? 1.0f : 0.0f) == t) ? 1.0f : 0.0f;
        } else {
            float q = clamp(p, EPSILON, 1.0f - EPSILON);
            loss += -(t * log(q) + (1.0f - t) * log(1.0f - q));
            /* the clip passes no gradient outside its range */
            float inside = (p >= EPSILON && p <= 1.0f - EPSILON) ? 1.0f : 0.0f;
            dpred[i] = inside * (-t / q + (1.0f - t) / (1.0f - q)) * scale;
            acc += ((p > 0.5f ? 1.0f : 0.0f) == t) ? 1.0f : 0.0f;
        }
    }
    float m = masked ? mask[r] : 1.0f;
    row_loss[r] = m * (weighted ? weights[r] : 1.0f) * loss / (float)cols;
    row_acc[r] = m * acc / (float)cols;
    row_extra[r] = m * tp;
    row_extra[rows + r] = m * fp;
    row_extra[2 * rows + r] = m * fn;
}

static inline int row_argmax(__global const float *v, int cols) {
    int best = 0;
    for (int c = 1; c < cols; c++)
        if (v[c] > v[best]) best = c;
    return best;
}

__kernel void loss_cce(__global const float *pred, __global const float *y,
                       __global float *dpred, int rows, int cols, int from_logits, int sparse,
                       __global float *row_loss, __global float *row_acc,
                       __global float *row_extra, int top_k, int masked,
                       __global const float *mask, int weighted, __global const float *weights,
                       __global const float *metric, int slot) {
    int r = get_global_id(0);
    if (r >= rows) return;
    float scale = row_weight(masked, mask, weighted, weights, metric, slot, r, rows) / (float)rows;
    __global const float *p = pred + (size_t)r * cols;
    __global float *d = dpred + (size_t)r * cols;
    int label = sparse ? (int)y[r] : -1;
    float loss = 0.0f;
    if (from_logits) {
        float m = p[0];
        for (int c = 1; c < cols; c++) m = fmax(m, p[c]);
        float s = 0.0f, tsum = 0.0f;
        for (int c = 0; c < cols; c++) s += exp(p[c] - m);
        float lse = m + log(s);
        for (int c = 0; c < cols; c++) {
            float t = sparse ? (c == label ? 1.0f : 0.0f) : y[(size_t)r * cols + c];
            loss -= t * (p[c] - lse);
            tsum += t;
        }
        for (int c = 0; c < cols; c++) {
            float t = sparse ? (c == label ? 1.0f : 0.0f) : y[(size_t)r * cols + c];
            d[c] = (exp(p[c] - lse) * tsum - t) * scale;
        }
    } else {
        /* q = p / sum(p), clipped to [eps, 1 - eps]; loss = -sum t log q */
        float s = 0.0f;
        for (int c = 0; c < cols; c++) s += p[c];
        float gq_dot_p = 0.0f;
        for (int c = 0; c < cols; c++) {
            float t = sparse ? (c == label ? 1.0f : 0.0f) : y[(size_t)r * cols + c];
            float q = p[c] / s;
            float qc = clamp(q, EPSILON, 1.0f - EPSILON);
            loss -= t * log(qc);
            float gq = (q >= EPSILON && q <= 1.0f - EPSILON) ? -t / qc : 0.0f;
            d[c] = gq; /* d loss / d q for now */
            gq_dot_p += gq * p[c];
        }
        /* dq_i/dp_j = delta_ij / s - p_i / s^2 */
        for (int c = 0; c < cols; c++) d[c] = (d[c] / s - gq_dot_p / (s * s)) * scale;
    }
    int truth = sparse ? label : row_argmax(y + (size_t)r * cols, cols);
    float m = masked ? mask[r] : 1.0f;
    row_loss[r] = m * (weighted ? weights[r] : 1.0f) * loss;
    row_acc[r] = row_argmax(p, cols) == truth ? m : 0.0f;
    int higher = 0;
    for (int c = 0; c < cols; c++) higher += p[c] > p[truth];
    row_extra[r] = higher < top_k ? m : 0.0f;
    row_extra[rows + r] = row_extra[2 * rows + r] = 0.0f;
}

__kernel void loss_mse(__global const float *pred, __global const float *y,
                       __global float *dpred, int rows, int cols, __global float *row_loss,
                       __global float *row_acc, __global float *row_extra, int masked,
                       __global const float *mask,
                       int weighted, __global const float *weights,
                       __global const float *metric, int slot) {
    int r = get_global_id(0);
    if (r >= rows) return;
    float scale = row_weight(masked, mask, weighted, weights, metric, slot, r, rows) /
                  ((float)rows * (float)cols);
    float loss = 0.0f;
    for (int c = 0; c < cols; c++) {
        size_t i = (size_t)r * cols + c;
        float e = pred[i] - y[i];
        loss += e * e;
        dpred[i] = 2.0f * e * scale;
    }
    row_loss[r] = (masked ? mask[r] : 1.0f) * (weighted ? weights[r] : 1.0f) * loss / (float)cols;
    row_acc[r] = row_extra[r] = row_extra[rows + r] = row_extra[2 * rows + r] = 0.0f;
}

/* one work-group's lanes: 256, or fewer where the device allows fewer (clrnn_reduce_lanes) */
#ifndef REDUCE_LANES
#define REDUCE_LANES 256
#endif

/* The sum of v[0..n) in a fixed order (so the same on every run), by one work-group of
 * REDUCE_LANES; the result is valid in lane 0. */
static inline float group_sum(__global const float *v, int n, __local float *a) {
    int lane = get_local_id(0);
    float sum = 0.0f;
    for (int r = lane; r < n; r += REDUCE_LANES) sum += v[r];
    a[lane] = sum;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int step = REDUCE_LANES / 2; step > 0; step /= 2) {
        if (lane < step) a[lane] += a[lane + step];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    return a[0];
}

__kernel __attribute__((reqd_work_group_size(REDUCE_LANES, 1, 1)))
void loss_reduce(__global const float *row_loss, __global const float *row_acc,
                 __global const float *row_extra, int rows, __global float *metric, int slot,
                 int masked) {
    __local float a[REDUCE_LANES];
    float loss = group_sum(row_loss, rows, a);
    barrier(CLK_LOCAL_MEM_FENCE);
    float acc = group_sum(row_acc, rows, a);
    float extra[3];
    for (int k = 0; k < 3; k++) {
        barrier(CLK_LOCAL_MEM_FENCE);
        extra[k] = group_sum(row_extra + (size_t)k * rows, rows, a);
    }
    if (get_local_id(0) == 0) {
        __global float *out = metric + SLOT_FLOATS * slot;
        out[SLOT_LOSS] = loss;
        out[SLOT_ACC] = acc;
        for (int k = 0; k < 3; k++) out[SLOT_EXTRA + k] = extra[k];
        if (!masked) out[SLOT_VALID] = (float)rows; /* mask_sum wrote it otherwise */
    }
}

__kernel __attribute__((reqd_work_group_size(REDUCE_LANES, 1, 1)))
void mask_sum(__global const float *mask, int rows, __global float *metric, int slot) {
    __local float a[REDUCE_LANES];
    float valid = group_sum(mask, rows, a);
    if (get_local_id(0) == 0) metric[SLOT_FLOATS * slot + SLOT_VALID] = valid;
}
