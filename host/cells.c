/*
 * cells.c - the registry of recurrent cells (cell_list.h), their weights and the Keras
 * config keys every cell shares; each cell's own keys and behaviour are in its cell_*.c.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "cell.h"
#include "layer_rnn.h"

static const struct clrnn_cell_ops *const CELLS[] = {
#define X(ops) &ops,
#include "cell_list.h"
#undef X
};
#define N_CELLS ((int)(sizeof CELLS / sizeof *CELLS))

int clrnn_cell_count(void) { return N_CELLS; }

const struct clrnn_cell_ops *clrnn_cell_at(int i) {
    return i >= 0 && i < N_CELLS ? CELLS[i] : NULL;
}

/* The first cell whose string at `field` (an offset into the table) is s */
static const struct clrnn_cell_ops *find(size_t field, const char *s) {
    for (int i = 0; i < N_CELLS; i++)
        if (strcmp(*(const char *const *)((const char *)CELLS[i] + field), s) == 0)
            return CELLS[i];
    return NULL;
}

const struct clrnn_cell_ops *clrnn_cell_by_keras_class(const char *keras_class) {
    return find(offsetof(struct clrnn_cell_ops, keras_class), keras_class);
}

const struct clrnn_cell_ops *clrnn_cell_by_cell_class(const char *cell_class) {
    return find(offsetof(struct clrnn_cell_ops, cell_class), cell_class);
}

const struct clrnn_cell_ops *clrnn_cell_by_scope(const char *cell_scope) {
    return find(offsetof(struct clrnn_cell_ops, cell_scope), cell_scope);
}

void clrnn_cell_list(char *buf, size_t size, int scopes) {
    size_t n = 0;
    buf[0] = '\0';
    for (int i = 0; i < N_CELLS; i++) {
        if (clrnn_cell_by_cell_class(CELLS[i]->cell_class) != CELLS[i]) continue; /* variant */
        int k = snprintf(buf + n, size - n, "%s%s", n ? ", " : "",
                         scopes ? CELLS[i]->cell_scope : CELLS[i]->cell_class);
        if (k < 0 || (size_t)k >= size - n) return;
        n += (size_t)k;
    }
}

int clrnn_cell_weights(const struct rnn_cfg *r, int64_t I, struct clrnn_cell_weight *w) {
    int64_t U = r->units, GU = r->cell->gates * U;
    w[0] = (struct clrnn_cell_weight){"kernel", 2, {I, GU}, r->kernel_init};
    w[1] = (struct clrnn_cell_weight){"recurrent_kernel", 2, {U, GU}, r->recurrent_init};
    if (!r->use_bias) return 2;
    clrnn_init_kind bi = r->cell->bias_init ? r->cell->bias_init(r) : r->bias_init;
    if (r->cell->bias_rows == 2) /* row 0 the input bias, row 1 the recurrent bias */
        w[2] = (struct clrnn_cell_weight){"bias", 2, {2, GU}, bi};
    else
        w[2] = (struct clrnn_cell_weight){"bias", 1, {GU, 0}, bi};
    return 3;
}

static clrnn_status check_rate(const char *layer, const char *key, double v) {
    if (v >= 0.0 && v < 1.0) return CLRNN_OK;
    return clrnn_fail(CLRNN_E_FORMAT, "layer '%s': \"%s\" must be in [0, 1), found %g", layer,
                      key, v);
}

static const char *const NULL_KEYS[] = {"kernel_regularizer",   "recurrent_regularizer",
                                        "bias_regularizer",     "activity_regularizer",
                                        "kernel_constraint",    "recurrent_constraint",
                                        "bias_constraint"};
#define N_NULL_KEYS (sizeof NULL_KEYS / sizeof *NULL_KEYS)

clrnn_status clrnn_cell_configure(struct rnn_cfg *r, const cJSON *cc, const char *layer,
                                  int keras_major) {
    r->act = CLRNN_ACT_TANH;
    r->rec_act = CLRNN_ACT_SIGMOID; /* also SimpleRNN's, which its kernels' options carry */
    r->use_bias = 1;
    r->kernel_init = CLRNN_INIT_GLOROT_UNIFORM;
    r->recurrent_init = CLRNN_INIT_ORTHOGONAL;
    r->bias_init = CLRNN_INIT_ZEROS;
    clrnn_status s;
    if ((s = clrnn_cfg_int(cc, layer, "units", 1, 1, &r->units)) ||
        (s = clrnn_cfg_act(cc, layer, keras_major, "activation", &r->act)) ||
        (s = clrnn_cfg_bool(cc, layer, "use_bias", &r->use_bias)) ||
        (s = clrnn_cfg_double(cc, layer, "dropout", &r->dropout)) ||
        (s = clrnn_cfg_double(cc, layer, "recurrent_dropout", &r->recurrent_dropout)) ||
        (s = check_rate(layer, "dropout", r->dropout)) ||
        (s = check_rate(layer, "recurrent_dropout", r->recurrent_dropout)) ||
        (s = clrnn_init_from_json(cJSON_GetObjectItemCaseSensitive(cc, "kernel_initializer"),
                                  layer, "kernel_initializer", &r->kernel_init)) ||
        (s = clrnn_init_from_json(cJSON_GetObjectItemCaseSensitive(cc, "recurrent_initializer"),
                                  layer, "recurrent_initializer", &r->recurrent_init)) ||
        (s = clrnn_init_from_json(cJSON_GetObjectItemCaseSensitive(cc, "bias_initializer"),
                                  layer, "bias_initializer", &r->bias_init)))
        return s;
    if (r->cell->configure && (s = r->cell->configure(r, cc, layer, keras_major))) return s;
    if (r->act == CLRNN_ACT_SOFTMAX || r->rec_act == CLRNN_ACT_SOFTMAX)
        return clrnn_fail(CLRNN_E_UNSUPPORTED, "layer '%s' (%s): softmax is not supported inside "
                          "a recurrent cell", layer, r->cell->keras_class);
    for (size_t i = 0; i < N_NULL_KEYS; i++)
        if ((s = clrnn_cfg_must_be_null(cc, layer, NULL_KEYS[i]))) return s;
    return CLRNN_OK;
}

void clrnn_cell_config_json(const struct rnn_cfg *r, cJSON *o) { r->cell->config_json(r, o); }

void clrnn_cell_json_units(const struct rnn_cfg *r, cJSON *o) {
    cJSON_AddNumberToObject(o, "units", r->units);
    cJSON_AddStringToObject(o, "activation", clrnn_act_name(r->act));
}

void clrnn_cell_json_initializers(const struct rnn_cfg *r, cJSON *o) {
    cJSON_AddBoolToObject(o, "use_bias", r->use_bias);
    cJSON_AddItemToObject(o, "kernel_initializer", clrnn_init_to_json(r->kernel_init));
    cJSON_AddItemToObject(o, "recurrent_initializer", clrnn_init_to_json(r->recurrent_init));
    cJSON_AddItemToObject(o, "bias_initializer", clrnn_init_to_json(r->bias_init));
}

void clrnn_cell_json_rest(const struct rnn_cfg *r, cJSON *o) {
    for (size_t i = 0; i < N_NULL_KEYS; i++) cJSON_AddNullToObject(o, NULL_KEYS[i]);
    cJSON_AddNumberToObject(o, "dropout", r->dropout);
    cJSON_AddNumberToObject(o, "recurrent_dropout", r->recurrent_dropout);
}
