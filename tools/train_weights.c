/*
 * train_weights.c - clrnn-train's class weights and the data file's sample weights.
 */
#include "train_weights.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "clrnn_formats.h"

#define MAX_CLASS 1000000

int class_weight_parse(const char *spec, double **weights) {
    int n = 0;
    double *w = NULL;
    const char *p = spec;
    while (*p) {
        char *end;
        errno = 0;
        long c = strtol(p, &end, 10);
        if (end == p || *end != ':' || errno || c < 0 || c >= MAX_CLASS)
            cli_usage_error("--class-weight %s: give CLASS:WEIGHT pairs, e.g. 0:1,1:3 (classes "
                            "are indices from 0)", spec);
        p = end + 1;
        double v = strtod(p, &end);
        if (end == p || (*end && *end != ',') || !isfinite(v) || v < 0)
            cli_usage_error("--class-weight %s: the weight of class %ld must be a number of at "
                            "least 0", spec, c);
        if (c >= n) {
            double *grown = realloc(w, (size_t)(c + 1) * sizeof *w);
            if (!grown) cli_fail("out of memory");
            w = grown;
            for (long k = n; k <= c; k++) w[k] = 1.0;
            n = (int)c + 1;
        }
        w[c] = v;
        p = *end ? end + 1 : end;
    }
    if (!n) cli_usage_error("--class-weight: give CLASS:WEIGHT pairs, e.g. 0:1,1:3");
    *weights = w;
    return n;
}

int sample_weight_read(const char *path, const char *y_name, struct clrnn_array *out) {
    char name[48];
    const char *split = strchr(y_name, '_'); /* "_train", "_test" or none */
    snprintf(name, sizeof name, "sample_weight%s", split ? split : "");
    if (clrnn_fmt_data_has(path, name) <= 0) return 0;
    if (clrnn_fmt_data_read(path, name, out))
        cli_fail("%s: dataset %s: %s", path, name, clrnn_last_error());
    if (out->dtype == CLRNN_DTYPE_INT32) {
        int64_t n = clrnn_array_count(out);
        for (int64_t i = 0; i < n; i++) ((float *)out->data)[i] = (float)((int32_t *)out->data)[i];
        out->dtype = CLRNN_DTYPE_FLOAT32;
    }
    return 1;
}
