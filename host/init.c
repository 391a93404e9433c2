/*
 * init.c - parameter initializers with Keras's defaults (keras-format.md 6.2):
 * glorot_uniform kernels, orthogonal recurrent kernels, zero biases, uniform(-0.05, 0.05)
 * embeddings. Random values come from the model's seeded generator.
 */
#include <math.h>
#include <string.h>

#include "layer_interface.h"

/* Orthogonal (gain 1) as Keras makes it: for a (rows, cols) matrix take a normal matrix of
 * shape (max, min), QR-factorize it, fix the signs by diag(R), and transpose if rows < cols,
 * so the result has orthonormal rows or columns. Householder-free modified Gram-Schmidt in
 * double is enough for these sizes. The normal values are drawn row by row but kept by
 * column, so that every dot product and update runs along contiguous memory (LSTM(1030)'s
 * 4120 x 1030 took a minute with a row-major stride). */
static clrnn_status orthogonal(float *w, int64_t rows, int64_t cols, clrnn_rng *rng) {
    int64_t n = rows > cols ? rows : cols, k = rows > cols ? cols : rows;
    size_t count;
    if (clrnn_mul_size((size_t)n, (size_t)k, &count))
        return clrnn_fail(CLRNN_E_NOMEM, "orthogonal initializer: matrix too large");
    double *a = clrnn_malloc(count * sizeof *a); /* (n, k) by column: a[j*n + i] */
    if (!a) return clrnn_fail(CLRNN_E_NOMEM, "out of memory in the orthogonal initializer");
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < k; j++) a[j * n + i] = clrnn_rng_normal(rng);
    for (int64_t j = 0; j < k; j++) {
        double *aj = a + j * n;
        for (int64_t p = 0; p < j; p++) {
            const double *ap = a + p * n;
            double dot = 0;
            for (int64_t i = 0; i < n; i++) dot += ap[i] * aj[i];
            for (int64_t i = 0; i < n; i++) aj[i] -= dot * ap[i];
        }
        double norm = 0;
        for (int64_t i = 0; i < n; i++) norm += aj[i] * aj[i];
        norm = sqrt(norm);
        /* Gram-Schmidt's R has a positive diagonal, which is what Keras's sign fix gives */
        for (int64_t i = 0; i < n; i++) aj[i] = norm > 0 ? aj[i] / norm : 0;
    }
    for (int64_t r = 0; r < rows; r++)
        for (int64_t c = 0; c < cols; c++)
            w[r * cols + c] = (float)(rows >= cols ? a[c * n + r] : a[r * n + c]);
    clrnn_free(a);
    return CLRNN_OK;
}

clrnn_status clrnn_init_fill(clrnn_init_kind kind, float *w, int64_t rows, int64_t cols,
                             clrnn_rng *rng) {
    int64_t n = rows * cols;
    switch (kind) {
    case CLRNN_INIT_ZEROS:
        memset(w, 0, (size_t)n * sizeof *w);
        return CLRNN_OK;
    case CLRNN_INIT_ONES:
        for (int64_t i = 0; i < n; i++) w[i] = 1.0f;
        return CLRNN_OK;
    case CLRNN_INIT_GLOROT_UNIFORM: {
        /* fan_in = rows, fan_out = cols for 2-D kernels */
        double limit = sqrt(6.0 / (double)(rows + cols));
        for (int64_t i = 0; i < n; i++) w[i] = (float)((2 * clrnn_rng_uniform(rng) - 1) * limit);
        return CLRNN_OK;
    }
    case CLRNN_INIT_UNIFORM_005:
        for (int64_t i = 0; i < n; i++) w[i] = (float)((2 * clrnn_rng_uniform(rng) - 1) * 0.05);
        return CLRNN_OK;
    case CLRNN_INIT_LSTM_BIAS: /* gates i, f, c, o: the second quarter is the forget gate */
        for (int64_t i = 0; i < n; i++) w[i] = (i >= n / 4 && i < n / 2) ? 1.0f : 0.0f;
        return CLRNN_OK;
    case CLRNN_INIT_ORTHOGONAL:
        return orthogonal(w, rows, cols, rng);
    }
    return clrnn_fail(CLRNN_E_INVALID_ARG, "unknown initializer");
}

clrnn_status clrnn_init_fill_conv(clrnn_init_kind kind, float *w, int rank, const int64_t *d,
                                  clrnn_rng *rng) {
    /* Keras's fans for a kernel of rank 3 or more: the receptive field (all axes but the last
     * two) times the input and the output channels */
    int64_t field = 1;
    for (int i = 0; i < rank - 2; i++) field *= d[i];
    int64_t in = field * d[rank - 2], out = field * d[rank - 1], n = field * d[rank - 2] * d[rank - 1];
    if (kind != CLRNN_INIT_GLOROT_UNIFORM) return clrnn_init_fill(kind, w, 1, n, rng);
    double limit = sqrt(6.0 / (double)(in + out));
    for (int64_t i = 0; i < n; i++) w[i] = (float)((2 * clrnn_rng_uniform(rng) - 1) * limit);
    return CLRNN_OK;
}

static const struct {
    const char *name; /* Keras class name */
    const char *alias; /* string form */
    clrnn_init_kind kind;
} INITS[] = {
    {"Zeros", "zeros", CLRNN_INIT_ZEROS},
    {"Ones", "ones", CLRNN_INIT_ONES},
    {"GlorotUniform", "glorot_uniform", CLRNN_INIT_GLOROT_UNIFORM},
    {"Orthogonal", "orthogonal", CLRNN_INIT_ORTHOGONAL},
    {"RandomUniform", "uniform", CLRNN_INIT_UNIFORM_005},
};

clrnn_status clrnn_init_from_json(const cJSON *j, const char *layer, const char *key,
                                  clrnn_init_kind *kind) {
    if (!j || cJSON_IsNull(j)) return CLRNN_OK;
    const char *name = NULL;
    if (cJSON_IsString(j)) {
        name = j->valuestring;
    } else if (cJSON_IsObject(j)) {
        const cJSON *cn = cJSON_GetObjectItemCaseSensitive(j, "class_name");
        if (cJSON_IsString(cn)) name = cn->valuestring;
        /* standalone Keras 2.2 writes glorot_uniform as VarianceScaling(fan_avg, uniform) */
        if (name && strcmp(name, "VarianceScaling") == 0) {
            const cJSON *c = cJSON_GetObjectItemCaseSensitive(j, "config");
            const cJSON *mode = cJSON_GetObjectItemCaseSensitive(c, "mode");
            const cJSON *dist = cJSON_GetObjectItemCaseSensitive(c, "distribution");
            if (cJSON_IsString(mode) && strcmp(mode->valuestring, "fan_avg") == 0 &&
                cJSON_IsString(dist) && strcmp(dist->valuestring, "uniform") == 0) {
                *kind = CLRNN_INIT_GLOROT_UNIFORM;
                return CLRNN_OK;
            }
        }
    }
    if (name) {
        for (size_t i = 0; i < sizeof INITS / sizeof *INITS; i++) {
            if (strcmp(name, INITS[i].name) == 0 || strcmp(name, INITS[i].alias) == 0) {
                *kind = INITS[i].kind;
                return CLRNN_OK;
            }
        }
    }
    /* Unknown initializers only matter for new weights; weights loaded from a file replace
     * them, so keep Keras's default for this key rather than refusing the model. */
    clrnn_log(1, "layer '%s': %s '%s' is not supported; using the default", layer, key,
              name ? name : "?");
    return CLRNN_OK;
}

cJSON *clrnn_init_to_json(clrnn_init_kind kind) {
    const char *name = "Zeros"; /* also the bias_initializer of unit_forget_bias */
    for (size_t i = 0; i < sizeof INITS / sizeof *INITS; i++)
        if (INITS[i].kind == kind) name = INITS[i].name;
    cJSON *o = cJSON_CreateObject();
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "class_name", name);
    if (kind == CLRNN_INIT_GLOROT_UNIFORM) cJSON_AddNullToObject(c, "seed");
    if (kind == CLRNN_INIT_ORTHOGONAL) {
        cJSON_AddNumberToObject(c, "gain", 1.0);
        cJSON_AddNullToObject(c, "seed");
    }
    if (kind == CLRNN_INIT_UNIFORM_005) {
        cJSON_AddNumberToObject(c, "minval", -0.05);
        cJSON_AddNumberToObject(c, "maxval", 0.05);
        cJSON_AddNullToObject(c, "seed");
    }
    cJSON_AddItemToObject(o, "config", c);
    return o;
}
