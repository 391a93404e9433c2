/*
 * loss.cl - losses with their gradient and accuracy, reduced as Keras does
 * (sum_over_batch_size: per-row values averaged over all rows, a row being everything but
 * the last axis). ../shared/docs/keras-format.md 6.3.
 *
 * Kernels, global (rows), one work-item per row; pred, dpred (rows, cols); y (rows, cols)
 * targets, or (rows) class indices as floats for the sparse loss:
 *   loss_bce(pred, y, dpred, rows, cols, from_logits, row_loss, row_acc)
 *   loss_cce(pred, y, dpred, rows, cols, from_logits, sparse, row_loss, row_acc)
 *   loss_mse(pred, y, dpred, rows, cols, row_loss, row_acc)
 * dpred = d(mean loss over the rows of this batch) / d pred. row_loss/row_acc get each row's
 * loss and accuracy; loss_reduce (global 256, local 256) adds their sums, in a fixed order,
 * into metric[2*slot] and metric[2*slot+1].
 */
#define EPSILON 1e-7f

__kernel void loss_bce(__global const float *pred, __global const float *y,
                       __global float *dpred, int rows, int cols, int from_logits,
                       __global float *row_loss, __global float *row_acc) {
    int r = get_global_id(0);
    if (r >= rows) return;
    float scale = 1.0f / ((float)rows * (float)cols);
    float loss = 0.0f, acc = 0.0f;
    for (int c = 0; c < cols; c++) {
        size_t i = (size_t)r * cols + c;
        float p = pred[i], t = y[i];
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
    row_loss[r] = loss / (float)cols;
    row_acc[r] = acc / (float)cols;
}

inline int row_argmax(__global const float *v, int cols) {
    int best = 0;
    for (int c = 1; c < cols; c++)
        if (v[c] > v[best]) best = c;
    return best;
}

__kernel void loss_cce(__global const float *pred, __global const float *y,
                       __global float *dpred, int rows, int cols, int from_logits, int sparse,
                       __global float *row_loss, __global float *row_acc) {
    int r = get_global_id(0);
    if (r >= rows) return;
    float scale = 1.0f / (float)rows;
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
    row_loss[r] = loss;
    row_acc[r] = row_argmax(p, cols) == truth ? 1.0f : 0.0f;
}

__kernel void loss_mse(__global const float *pred, __global const float *y,
                       __global float *dpred, int rows, int cols, __global float *row_loss,
                       __global float *row_acc) {
    int r = get_global_id(0);
    if (r >= rows) return;
    float scale = 1.0f / ((float)rows * (float)cols);
    float loss = 0.0f;
    for (int c = 0; c < cols; c++) {
        size_t i = (size_t)r * cols + c;
        float e = pred[i] - y[i];
        loss += e * e;
        dpred[i] = 2.0f * e * scale;
    }
    row_loss[r] = loss / (float)cols;
    row_acc[r] = 0.0f;
}

#define REDUCE_LANES 256
__kernel __attribute__((reqd_work_group_size(REDUCE_LANES, 1, 1)))
void loss_reduce(__global const float *row_loss, __global const float *row_acc, int rows,
                 __global float *metric, int slot) {
    __local float a[REDUCE_LANES], b[REDUCE_LANES];
    int lane = get_local_id(0);
    float sa = 0.0f, sb = 0.0f;
    for (int r = lane; r < rows; r += REDUCE_LANES) {
        sa += row_loss[r];
        sb += row_acc[r];
    }
    a[lane] = sa;
    b[lane] = sb;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int step = REDUCE_LANES / 2; step > 0; step /= 2) {
        if (lane < step) {
            a[lane] += a[lane + step];
            b[lane] += b[lane + step];
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    if (lane == 0) {
        metric[2 * slot] = a[0];
        metric[2 * slot + 1] = b[0];
    }
}
