/*
 * cell_simple_rnn.c - the SimpleRNN cell (Keras's SimpleRNNCell): h_t = act(x_t K + b +
 * h_{t-1} R). Kernels: cl/simple_rnn.cl (group variant), cl/simple_rnn_rows.cl (rows),
 * cl/rnn_steps.cl (per-step path).
 */
#include "cell.h"
#include "layer_rnn.h"

static const char *const SOURCES[] = {"common.cl", "rnn_common.cl", "simple_rnn.cl", "rnn_group.cl",
                                      NULL};
static const char *const STEPS[] = {"common.cl", "rnn_common.cl", "simple_rnn.cl", "rnn_steps.cl", NULL};
static const char *const ROWS[] = {"common.cl",   "rnn_common.cl", "simple_rnn.cl",
                                   "rnn_rows.cl", "simple_rnn_rows.cl",  "rnn_rows_kernels.cl", NULL};

/* Keras's SimpleRNNCell.get_config: no recurrent activation, no implementation */
static void config_json(const struct rnn_cfg *r, cJSON *o) {
    clrnn_cell_json_units(r, o);
    clrnn_cell_json_initializers(r, o);
    clrnn_cell_json_rest(r, o);
}

const struct clrnn_cell_ops clrnn_cell_simple_rnn = {
    .name = "simple_rnn",
    .label = "SimpleRNN",
    .keras_class = "SimpleRNN",
    .cell_class = "SimpleRNNCell",
    .cell_scope = "simple_rnn_cell",
    .gates = 1,
    .states = 1,
    .state_names = "[h]",
    .bias_rows = 1,
    .gates_kept = 0,
    .h_product_gates = 1,
    .dzx_is_dzh = 1,
    .fwd_local_per_unit = 2,
    .bwd_local_per_unit = 2, /* dh, dz */
    .sources = SOURCES,
    .rows_sources = ROWS,
    .steps_sources = STEPS,
    .build_options = "",
    .kernels = {"simple_rnn_fwd", "simple_rnn_bwd", "simple_rnn_step_fwd", "simple_rnn_step_bwd", NULL, NULL},
    .config_json = config_json,
};
