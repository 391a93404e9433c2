/*
 * cell_gru.c - the GRU cell (Keras's GRUCell), gates z, r, h, in Keras's two variants
 * (cl/gru.cl has the equations): reset_after=true (clrnn_cell_gru; the tf.keras 2 and
 * Keras 3 default), whose bias is (2, 3U), the second row added to h R inside the cell, and
 * reset_after=false (clrnn_cell_gru_v1; Keras <= 2.3), whose candidate multiplies R_h with
 * r * h_{t-1}. The config key picks the variant. Kernels: cl/gru.cl (group variant),
 * cl/gru_rows.cl (rows), cl/rnn_steps.cl (per-step path).
 */
#include "cell.h"
#include "layer_rnn.h"

static const char *const SOURCES[] = {"common.cl", "rnn_common.cl", "gru.cl", "rnn_group.cl",
                                      NULL};
static const char *const STEPS[] = {"common.cl", "rnn_common.cl", "gru.cl", "rnn_steps.cl", NULL};
static const char *const ROWS[] = {"common.cl",   "rnn_common.cl", "gru.cl",
                                   "rnn_rows.cl", "gru_rows.cl",  "rnn_rows_kernels.cl", NULL};

static clrnn_status configure(struct rnn_cfg *r, const cJSON *cc, const char *layer,
                              int keras_major) {
    r->reset_after = 1; /* the tf.keras 2 and Keras 3 default */
    clrnn_status s;
    if ((s = clrnn_cfg_act(cc, layer, keras_major, "recurrent_activation", &r->rec_act)) ||
        (s = clrnn_cfg_bool(cc, layer, "reset_after", &r->reset_after)))
        return s;
    r->cell = r->reset_after ? &clrnn_cell_gru : &clrnn_cell_gru_v1;
    return CLRNN_OK;
}

/* Keras's GRUCell.get_config */
static void config_json(const struct rnn_cfg *r, cJSON *o) {
    clrnn_cell_json_units(r, o);
    cJSON_AddStringToObject(o, "recurrent_activation", clrnn_act_name(r->rec_act));
    clrnn_cell_json_initializers(r, o);
    clrnn_cell_json_rest(r, o);
    cJSON_AddNumberToObject(o, "implementation", 2);
    cJSON_AddBoolToObject(o, "reset_after", r->reset_after);
}

const struct clrnn_cell_ops clrnn_cell_gru = {
    .name = "gru",
    .label = "GRU",
    .keras_class = "GRU",
    .cell_class = "GRUCell",
    .cell_scope = "gru_cell",
    .gates = 3,
    .states = 1,
    .state_names = "[h]",
    .bias_rows = 2,
    .gates_kept = 4, /* z, r, hh and the candidate's h R_h + b1 */
    .h_product_gates = 3,
    .dzx_is_dzh = 0,
    .fwd_local_per_unit = 2,
    .bwd_local_per_unit = 4, /* dh, dz of the 3 gates */
    .sources = SOURCES,
    .rows_sources = ROWS,
    .steps_sources = STEPS,
    .build_options = "",
    .kernels = {"gru_fwd", "gru_bwd", "gru_step_fwd", "gru_step_bwd", NULL, NULL},
    .configure = configure,
    .config_json = config_json,
};

const struct clrnn_cell_ops clrnn_cell_gru_v1 = {
    .name = "gru_v1",
    .label = "GRU(v1)",
    .keras_class = "GRU",
    .cell_class = "GRUCell",
    .cell_scope = "gru_cell",
    .gates = 3,
    .states = 1,
    .state_names = "[h]",
    .bias_rows = 1,
    .gates_kept = 4, /* z, r, hh and r * h_{t-1} */
    .h_product_gates = 2,   /* z and r read h_{t-1}; the candidate r * h_{t-1} */
    .gated_state_block = 3, /* r * h_{t-1} in gates */
    .dzx_is_dzh = 0,
    .fwd_local_per_unit = 3,
    .bwd_local_per_unit = 4,
    .sources = SOURCES,
    .rows_sources = ROWS,
    .steps_sources = STEPS,
    .build_options = " -DRNN_RESET_AFTER=0",
    .kernels = {"gru_v1_fwd", "gru_v1_bwd", "gru_v1_step_fwd", "gru_v1_step_bwd", "gru_v1_step_gates", "gru_v1_step_reset"},
    .configure = configure,
    .config_json = config_json,
};
