/*
 * array.c - host arrays (struct clrnn_array): allocation, slicing, shape text; the text of
 * a per-sample shape (struct clrnn_shape).
 */
#include <stdio.h>
#include <string.h>

#include "clrnn_base.h"

int64_t clrnn_array_count(const struct clrnn_array *a) {
    int64_t n = 1;
    for (int i = 0; i < a->rank; i++) n *= a->dims[i];
    return n;
}

static size_t dtype_size(clrnn_dtype t) { return t == CLRNN_DTYPE_INT32 ? 4 : 4; }

clrnn_status clrnn_array_alloc(struct clrnn_array *a, clrnn_dtype dtype, int rank,
                               const int64_t *dims) {
    if (rank < 0 || rank > CLRNN_MAX_RANK)
        return clrnn_fail(CLRNN_E_INVALID_ARG, "array rank %d is not in [0, %d]", rank,
                          CLRNN_MAX_RANK);
    size_t count = 1;
    for (int i = 0; i < rank; i++) {
        if (dims[i] < 0 || clrnn_mul_size(count, (size_t)dims[i], &count))
            return clrnn_fail(CLRNN_E_INVALID_ARG, "array dimension %lld is too large",
                              (long long)dims[i]);
    }
    size_t bytes;
    if (clrnn_mul_size(count, dtype_size(dtype), &bytes))
        return clrnn_fail(CLRNN_E_NOMEM, "array of %zu elements is too large", count);
    void *data = clrnn_calloc(1, bytes);
    if (!data) return clrnn_fail(CLRNN_E_NOMEM, "out of memory allocating %zu bytes", bytes);
    memset(a, 0, sizeof *a);
    a->dtype = dtype;
    a->rank = rank;
    for (int i = 0; i < rank; i++) a->dims[i] = dims[i];
    a->data = data;
    return CLRNN_OK;
}

void clrnn_array_clear(struct clrnn_array *a) {
    if (!a) return;
    clrnn_free(a->data);
    memset(a, 0, sizeof *a);
}

clrnn_status clrnn_array_slice(const struct clrnn_array *a, int64_t begin, int64_t end,
                               struct clrnn_array *out) {
    if (a->rank < 1 || begin < 0 || end < begin || end > a->dims[0])
        return clrnn_fail(CLRNN_E_INVALID_ARG, "slice [%lld, %lld) outside %lld rows",
                          (long long)begin, (long long)end,
                          (long long)(a->rank ? a->dims[0] : 0));
    int64_t dims[CLRNN_MAX_RANK];
    memcpy(dims, a->dims, sizeof dims);
    dims[0] = end - begin;
    struct clrnn_array tmp;
    clrnn_status s = clrnn_array_alloc(&tmp, a->dtype, a->rank, dims);
    if (s) return s;
    size_t row = (size_t)(a->dims[0] ? clrnn_array_count(a) / a->dims[0] : 0) * 4;
    memcpy(tmp.data, (const char *)a->data + row * (size_t)begin, row * (size_t)(end - begin));
    *out = tmp;
    return CLRNN_OK;
}

char *clrnn_shape_str(int rank, const int64_t *dims, char *buf, size_t size) {
    size_t n = 0;
    n += (size_t)snprintf(buf + n, size - n, "(");
    for (int i = 0; i < rank && n < size; i++)
        n += (size_t)snprintf(buf + n, size > n ? size - n : 0, "%s%lld", i ? ", " : "",
                              (long long)dims[i]);
    if (rank == 1 && n < size) n += (size_t)snprintf(buf + n, size - n, ",");
    if (n < size) snprintf(buf + n, size - n, ")");
    return buf;
}

const char *clrnn_batch_shape_str(const struct clrnn_shape *s, char *buf, size_t size) {
    size_t n = (size_t)snprintf(buf, size, "(None");
    for (int i = 0; i < s->rank && n < size; i++)
        n += s->d[i] < 0 ? (size_t)snprintf(buf + n, size - n, ", None")
                         : (size_t)snprintf(buf + n, size - n, ", %lld", (long long)s->d[i]);
    if (n < size) snprintf(buf + n, size - n, ")");
    return buf;
}
