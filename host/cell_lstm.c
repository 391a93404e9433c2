/*
 * cell_lstm.c - the LSTM cell (Keras's LSTMCell), gates i, f, c, o:
 * i, f, o = rec(z_i, z_f, z_o), g = act(z_c), c_t = f c_{t-1} + i g, h_t = o act(c_t), with
 * z = x_t K + h_{t-1} R + b. Its two states are h and c. Kernels: cl/lstm.cl (group
 * variant), cl/lstm_rows.cl (rows), cl/rnn_steps.cl (per-step path).
 */
#include "cell.h"
#include "layer_rnn.h"

static const char *const SOURCES[] = {"common.cl", "rnn_common.cl", "lstm.cl", "rnn_group.cl",
                                      NULL};
static const char *const STEPS[] = {"common.cl", "rnn_common.cl", "lstm.cl", "rnn_steps.cl", NULL};
static const char *const ROWS[] = {"common.cl",   "rnn_common.cl", "lstm.cl",
                                   "rnn_rows.cl", "lstm_rows.cl",  "rnn_rows_kernels.cl", NULL};

static clrnn_status configure(struct rnn_cfg *r, const cJSON *cc, const char *layer,
                              int keras_major) {
    r->unit_forget_bias = 1;
    clrnn_status s = clrnn_cfg_act(cc, layer, keras_major, "recurrent_activation", &r->rec_act);
    return s ? s : clrnn_cfg_bool(cc, layer, "unit_forget_bias", &r->unit_forget_bias);
}

/* Keras's LSTMCell.get_config */
static void config_json(const struct rnn_cfg *r, cJSON *o) {
    clrnn_cell_json_units(r, o);
    cJSON_AddStringToObject(o, "recurrent_activation", clrnn_act_name(r->rec_act));
    clrnn_cell_json_initializers(r, o);
    cJSON_AddBoolToObject(o, "unit_forget_bias", r->unit_forget_bias);
    clrnn_cell_json_rest(r, o);
    cJSON_AddNumberToObject(o, "implementation", 2);
}

/* unit_forget_bias: Keras starts the forget block at ones when the bias initializer is
 * zeros (LSTMCell.build) */
static clrnn_init_kind bias_init(const struct rnn_cfg *r) {
    return r->unit_forget_bias && r->bias_init == CLRNN_INIT_ZEROS ? CLRNN_INIT_LSTM_BIAS
                                                                   : r->bias_init;
}

const struct clrnn_cell_ops clrnn_cell_lstm = {
    .name = "lstm",
    .label = "LSTM",
    .keras_class = "LSTM",
    .cell_class = "LSTMCell",
    .cell_scope = "lstm_cell",
    .gates = 4,
    .states = 2,
    .state_names = "[h, c]",
    .bias_rows = 1,
    .gates_kept = 4, /* i, f, g, o after their activations */
    .h_product_gates = 4,
    .dzx_is_dzh = 1,
    .fwd_local_per_unit = 2,
    .bwd_local_per_unit = 6, /* dh, dc, dz of the 4 gates */
    .sources = SOURCES,
    .rows_sources = ROWS,
    .steps_sources = STEPS,
    .build_options = "",
    .kernels = {"lstm_fwd", "lstm_bwd", "lstm_step_fwd", "lstm_step_bwd", NULL, NULL},
    .configure = configure,
    .config_json = config_json,
    .bias_init = bias_init,
};
