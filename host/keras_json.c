/*
 * keras_json.c - what every reader of Keras configuration JSON shares: parsing with the
 * place of an error, an input's batch shape and dtype.
 */
#include <math.h>
#include <string.h>

#include "model_impl.h"

cJSON *clrnn_json_parse(const char *text, const char *what) {
    cJSON *j = cJSON_Parse(text);
    if (!j) {
        const char *at = cJSON_GetErrorPtr();
        size_t off = at && at >= text ? (size_t)(at - text) : 0;
        clrnn_fail(CLRNN_E_FORMAT, "%s: invalid JSON near byte %zu", what, off);
    }
    return j;
}

int clrnn_json_read_batch_shape(const cJSON *arr, struct clrnn_shape *shape) {
    if (!cJSON_IsArray(arr)) return 0;
    int n = cJSON_GetArraySize(arr);
    if (n < 2 || n > 5) return 0;
    shape->rank = n - 1;
    for (int i = 1; i < n; i++) {
        const cJSON *d = cJSON_GetArrayItem(arr, i);
        /* -1: unknown; 0 (refused later) for a number that is no dimension: 2.5, or 1e300,
         * which would not even convert */
        double v = cJSON_IsNumber(d) ? d->valuedouble : -1;
        shape->d[i - 1] = v < 0 ? -1 : v <= 1e9 && v == floor(v) ? (int64_t)v : 0;
    }
    return 1;
}

int clrnn_json_batch_shape(const cJSON *cfg, struct clrnn_shape *shape) {
    return clrnn_json_read_batch_shape(cJSON_GetObjectItemCaseSensitive(cfg, "batch_input_shape"),
                                       shape) ||
           clrnn_json_read_batch_shape(cJSON_GetObjectItemCaseSensitive(cfg, "batch_shape"), shape);
}

clrnn_dtype clrnn_json_dtype(const cJSON *cfg, clrnn_dtype fallback) {
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(cfg, "dtype");
    if (cJSON_IsObject(d)) d = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(d, "config"), "name");
    if (cJSON_IsString(d) && strstr(d->valuestring, "int")) return CLRNN_DTYPE_INT32;
    if (cJSON_IsString(d) && strstr(d->valuestring, "float")) return CLRNN_DTYPE_FLOAT32;
    return fallback;
}
