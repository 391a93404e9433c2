/*
 * data.c - the public dataset functions: formats/ reads the file, this is the library's face.
 */
#include "clrnn_base.h"
#include "clrnn_formats.h"

clrnn_status clrnn_data_load(const char *path, clrnn_split split, clrnn_labels labels,
                             struct clrnn_data *out) {
    if (!path || !out) return clrnn_fail(CLRNN_E_INVALID_ARG, "clrnn_data_load: NULL argument");
    return clrnn_fmt_data_load(path, split, labels, out);
}

const struct clrnn_array *clrnn_data_inputs(const struct clrnn_data *d, int *n) {
    *n = d->n_x ? d->n_x : 1;
    return d->n_x ? d->xs : &d->x;
}

void clrnn_data_clear(struct clrnn_data *d) { clrnn_fmt_data_clear(d); }
