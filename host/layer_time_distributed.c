/*
 * layer_time_distributed.c - Keras's TimeDistributed: the wrapped layer applied to every
 * timestep on its own. A batch (B, T, ...) is laid out as B*T samples of shape (...), so the
 * inner layer simply runs on B*T rows: no copies, and any layer can be wrapped (Dense,
 * Activation, Dropout, even a recurrent layer over a 4-D input). Its weights live in this
 * layer's slots of the packed parameters; a mask on the input passes to the output, as
 * Keras does for an inner layer that makes none.
 */
#include <stdio.h>
#include <string.h>

#include "layer_interface.h"

static const char *const TD_POSITIONAL[] = {"layer", NULL};

struct td_cfg {
    struct clrnn_layer *inner;
};

static clrnn_status td_configure(struct clrnn_layer *l, const cJSON *c) {
    struct td_cfg *t = l->cfg;
    const cJSON *inner = cJSON_GetObjectItemCaseSensitive(c, "layer");
    if (!cJSON_IsObject(inner))
        return clrnn_fail(CLRNN_E_FORMAT, "layer '%s' (TimeDistributed) has no \"layer\" object",
                          l->name);
    clrnn_status s = clrnn_layer_create(inner, l->keras_major, &t->inner);
    if (s) return clrnn_fail_context(s, "layer '%s' (TimeDistributed)", l->name);
    if (!t->inner->name[0]) /* unnamed (from --layers): Keras's default name of the class */
        snprintf(t->inner->name, sizeof t->inner->name, "%s", t->inner->ops->spec_name);
    if (t->inner->ops->reset_states) {
        /* a stateful inner layer would carry state from one timestep's rows to the next
         * batch's, which is not what TimeDistributed means */
        const struct clrnn_layer *in = t->inner;
        s = clrnn_fail(CLRNN_E_UNSUPPORTED, "layer '%s' (TimeDistributed) wraps '%s' (%s): "
                       "recurrent layers inside TimeDistributed are not supported", l->name,
                       in->name, in->ops->keras_class);
    }
    return s;
}

static clrnn_status td_build(struct clrnn_layer *l) {
    struct td_cfg *t = l->cfg;
    struct clrnn_layer *in = t->inner;
    char buf[64];
    if (l->in.rank < 2)
        return clrnn_fail(CLRNN_E_SHAPE, "layer '%s' (TimeDistributed) expects input (batch, "
                          "steps, ...), found %s", l->name,
                          clrnn_batch_shape_str(&l->in, buf, sizeof buf));
    in->in.rank = l->in.rank - 1;
    for (int i = 1; i < l->in.rank; i++) in->in.d[i - 1] = l->in.d[i];
    in->in_dtype = l->in_dtype;
    in->mask_in = in->mask_out = 0;
    in->n_weights = 0; /* built again for each length of a model of unknown length */
    clrnn_status s = in->ops->build(in);
    if (s) return clrnn_fail_context(s, "layer '%s' (TimeDistributed)", l->name);
    if (in->out.rank + 1 > 4)
        return clrnn_fail(CLRNN_E_SHAPE, "layer '%s' (TimeDistributed): output rank %d is more "
                          "than clrnn supports", l->name, in->out.rank + 2);
    l->out.rank = in->out.rank + 1;
    l->out.d[0] = l->in.d[0];
    for (int i = 0; i < in->out.rank; i++) l->out.d[i + 1] = in->out.d[i];
    l->mask_out = l->mask_in;
    for (int j = 0; j < in->n_weights; j++) {
        struct clrnn_weight *w = &l->w[l->n_weights++];
        *w = in->w[j];
        snprintf(w->keras3_path, sizeof w->keras3_path, "layer/%.80s", in->w[j].keras3_path);
    }
    return CLRNN_OK;
}

static int steps(const struct clrnn_layer *l) { return (int)l->in.d[0]; }

static clrnn_status td_alloc(struct clrnn_layer *l, clrnn_ctx *ctx, int B) {
    struct td_cfg *t = l->cfg;
    struct clrnn_layer *in = t->inner;
    /* the model placed this layer's weights: the inner layer reads them from there */
    for (int j = 0; j < in->n_weights; j++) in->w[j].offset = l->w[j].offset;
    clrnn_status s = in->ops->alloc(in, ctx, B * steps(l));
    if (s) return s;
    in->max_batch = B * steps(l);
    /* this layer's output is the inner layer's: the same memory, one more reference */
    clrnn_buf_release(&l->y);
    CL_TRY(clRetainMemObject(in->y));
    l->y = in->y;
    return CLRNN_OK;
}

static struct clrnn_pass inner_pass(const struct clrnn_layer *l, const struct clrnn_pass *p) {
    struct clrnn_pass q = *p;
    q.B = p->B * steps(l);
    q.row0 = p->row0 * steps(l);
    q.x_host = NULL;
    return q;
}

static clrnn_status td_forward(struct clrnn_layer *l, const struct clrnn_pass *p, cl_mem x) {
    struct td_cfg *t = l->cfg;
    struct clrnn_pass q = inner_pass(l, p);
    return t->inner->ops->forward(t->inner, &q, x);
}

static clrnn_status td_backward(struct clrnn_layer *l, const struct clrnn_pass *p, cl_mem x,
                                cl_mem dy, cl_mem dx) {
    struct td_cfg *t = l->cfg;
    struct clrnn_pass q = inner_pass(l, p);
    return t->inner->ops->backward(t->inner, &q, x, dy, dx);
}

static clrnn_status td_check_input(const struct clrnn_layer *l, const struct clrnn_array *x,
                                   const char *what) {
    const struct td_cfg *t = l->cfg;
    if (!t->inner->ops->check_input) return CLRNN_OK;
    /* the same values seen as B*T samples of the inner layer's shape */
    struct clrnn_array flat = *x;
    flat.rank = x->rank - 1;
    flat.dims[0] = x->dims[0] * x->dims[1];
    for (int i = 1; i < flat.rank; i++) flat.dims[i] = x->dims[i + 1];
    return t->inner->ops->check_input(t->inner, &flat, what);
}

static clrnn_status td_config_json(const struct clrnn_layer *l, cJSON *o) {
    const struct td_cfg *t = l->cfg;
    cJSON *inner = clrnn_layer_to_json(t->inner);
    if (!inner) return clrnn_fail(CLRNN_E_NOMEM, "out of memory writing layer '%s'", l->name);
    cJSON_AddItemToObject(o, "layer", inner);
    return CLRNN_OK;
}

static void td_release(struct clrnn_layer *l) {
    struct td_cfg *t = l->cfg;
    clrnn_layer_free(t->inner);
}

const struct clrnn_layer_ops clrnn_layer_time_distributed = {
    .keras_class = "TimeDistributed",
    .spec_name = "time_distributed",
    .positional = TD_POSITIONAL,
    .cfg_size = sizeof(struct td_cfg),
    .configure = td_configure,
    .build = td_build,
    .alloc = td_alloc,
    .forward = td_forward,
    .backward = td_backward,
    .check_input = td_check_input,
    .config_json = td_config_json,
    .release = td_release,
    .supports_masking = 1,
};
