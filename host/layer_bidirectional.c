/*
 * layer_bidirectional.c - Keras's Bidirectional: a recurrent layer run forward and a copy
 * run with go_backwards, their outputs merged (concat, sum, ave, mul). As in Keras 3: the
 * inner layers are named forward_<name> and backward_<name>; the backward one's sequence
 * output is flipped back in time before the merge; with return_sequences both output zeros
 * on masked steps (zero_output_for_mask); the weights are the forward layer's, then the
 * backward layer's. The inner layers are ordinary recurrent layers (layer_rnn.c) whose
 * weights live in this layer's slots of the packed parameters. With return_state on the
 * wrapped layer it gives [output, forward states..., backward states...] as Keras does (its
 * aux outputs are the inner layers' buffers); given initial_state, the first half of the
 * tensors start the forward layer and the second half the backward one, as in Keras.
 */
#include <stdio.h>
#include <string.h>

#include "bidirectional_rnn.h"

static const char *const UTIL_SOURCES[] = {"rnn_util.cl", NULL};
static const char *const BIDI_POSITIONAL[] = {"layer", "merge_mode", NULL};
static const char *const MERGE_NAMES[] = {"concat", "sum", "ave", "mul"};

struct bidi_cfg {
    struct clrnn_layer *fwd, *bwd;
    int merge;          /* index into MERGE_NAMES, as cl/rnn_util.cl numbers them */
    cl_mem dyf, dyb;    /* the inner layers' output gradients */
    cl_mem dxb;         /* the backward layer's input gradient */
};

/* Creates an inner layer from a copy of obj named prefix + name (without a prefix it already
 * has, as Keras 3 does), with go_backwards flipped when flip. */
static clrnn_status make_inner(const struct clrnn_layer *l, const cJSON *obj, const char *prefix,
                               int flip, struct clrnn_layer **out) {
    cJSON *copy = cJSON_Duplicate(obj, 1);
    cJSON *cfg = cJSON_GetObjectItemCaseSensitive(copy, "config");
    if (!cJSON_IsObject(cfg)) {
        cJSON_Delete(copy);
        return clrnn_fail(CLRNN_E_FORMAT, "layer '%s' (Bidirectional): the wrapped layer has no "
                          "\"config\" object", l->name);
    }
    const cJSON *jname = cJSON_GetObjectItemCaseSensitive(cfg, "name");
    /* unnamed (from --layers): Keras's default name of the class, "lstm" */
    const cJSON *cls = cJSON_GetObjectItemCaseSensitive(copy, "class_name");
    const struct clrnn_layer_ops *ops =
        cJSON_IsString(cls) ? clrnn_layer_ops_by_class(cls->valuestring) : NULL;
    const char *base = cJSON_IsString(jname) ? jname->valuestring : ops ? ops->spec_name : "rnn";
    if (strncmp(base, prefix, strlen(prefix)) == 0) base += strlen(prefix);
    char name[160];
    snprintf(name, sizeof name, "%s%s", prefix, base);
    cJSON_DeleteItemFromObjectCaseSensitive(cfg, "name");
    cJSON_AddStringToObject(cfg, "name", name);
    if (flip) {
        int back = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cfg, "go_backwards"));
        cJSON_DeleteItemFromObjectCaseSensitive(cfg, "go_backwards");
        cJSON_AddBoolToObject(cfg, "go_backwards", !back);
    }
    clrnn_status s = clrnn_layer_create(copy, l->keras_major, out);
    cJSON_Delete(copy);
    if (s) return clrnn_fail_context(s, "layer '%s' (Bidirectional)", l->name);
    if (!(*out)->ops->is_recurrent) {
        s = clrnn_fail(CLRNN_E_UNSUPPORTED, "layer '%s' (Bidirectional) wraps '%s' (%s), which "
                       "is not a recurrent layer", l->name, (*out)->name,
                       (*out)->ops->keras_class);
        clrnn_layer_free(*out);
        *out = NULL;
    }
    return s;
}

static clrnn_status bidi_configure(struct clrnn_layer *l, const cJSON *c) {
    struct bidi_cfg *b = l->cfg;
    const cJSON *inner = cJSON_GetObjectItemCaseSensitive(c, "layer");
    const cJSON *back = cJSON_GetObjectItemCaseSensitive(c, "backward_layer");
    const cJSON *mode = cJSON_GetObjectItemCaseSensitive(c, "merge_mode");
    if (!cJSON_IsObject(inner))
        return clrnn_fail(CLRNN_E_FORMAT, "layer '%s' (Bidirectional) has no \"layer\" object",
                          l->name);
    b->merge = -1;
    if (!mode) b->merge = 0; /* concat, Keras's default */
    for (int i = 0; i < 4 && cJSON_IsString(mode); i++)
        if (strcmp(mode->valuestring, MERGE_NAMES[i]) == 0) b->merge = i;
    if (b->merge < 0)
        return clrnn_fail(CLRNN_E_UNSUPPORTED, "layer '%s' (Bidirectional): merge_mode %s is not "
                          "supported (concat, sum, ave, mul; None gives two outputs, which a "
                          "chain of layers cannot pass on)", l->name,
                          cJSON_IsString(mode) ? mode->valuestring : "None");
    clrnn_status s = make_inner(l, inner, "forward_", 0, &b->fwd);
    if (!s) s = cJSON_IsObject(back) ? make_inner(l, back, "backward_", 0, &b->bwd)
                                     : make_inner(l, inner, "backward_", 1, &b->bwd);
    return s;
}

/* Builds an inner layer for this layer's input. zero_output_for_mask follows
 * return_sequences, as Keras's Bidirectional forces it. */
static clrnn_status build_inner(struct clrnn_layer *l, struct clrnn_layer *in) {
    in->in = l->in;
    in->in_dtype = l->in_dtype;
    in->mask_in = in->mask_out = l->mask_in;
    in->n_weights = 0; /* built again for each length of a model of unknown length */
    clrnn_status s = in->ops->build(in);
    if (s) return clrnn_fail_context(s, "layer '%s' (Bidirectional)", l->name);
    return CLRNN_OK;
}

static clrnn_status bidi_build(struct clrnn_layer *l) {
    struct bidi_cfg *b = l->cfg;
    clrnn_status s;
    if (l->n_aux_in % 2)
        return clrnn_fail(CLRNN_E_SHAPE, "layer '%s' (Bidirectional) is given %d initial states; "
                          "it takes the forward layer's, then as many of the backward layer's",
                          l->name, l->n_aux_in);
    b->fwd->n_aux_in = b->bwd->n_aux_in = l->n_aux_in / 2;
    if ((s = clrnn_rnn_set_zero_output_for_mask(b->fwd)) ||
        (s = clrnn_rnn_set_zero_output_for_mask(b->bwd)) || (s = build_inner(l, b->fwd)) ||
        (s = build_inner(l, b->bwd)))
        return s;
    /* return_state: the forward layer's final states, then the backward layer's, as Keras */
    int n = b->fwd->n_aux_out;
    if (n != b->bwd->n_aux_out || 2 * n > CLRNN_MAX_AUX)
        return clrnn_fail(CLRNN_E_SHAPE, "layer '%s' (Bidirectional): the forward and backward "
                          "layers must both return their states, or neither", l->name);
    l->n_aux_out = 2 * n;
    for (int k = 0; k < n; k++) {
        l->aux_out[k].shape = b->fwd->aux_out[k].shape;
        l->aux_out[n + k].shape = b->bwd->aux_out[k].shape;
    }
    int half = l->n_aux_in / 2;
    for (int k = 0; k < half; k++) {
        l->aux_in[k].shape = b->fwd->aux_in[k].shape;
        l->aux_in[half + k].shape = b->bwd->aux_in[k].shape;
    }
    int same = b->fwd->out.rank == b->bwd->out.rank;
    for (int i = 0; same && i < b->fwd->out.rank; i++) same = b->fwd->out.d[i] == b->bwd->out.d[i];
    if (!same || b->fwd->n_weights + b->bwd->n_weights > CLRNN_MAX_WEIGHTS)
        return clrnn_fail(CLRNN_E_SHAPE, "layer '%s' (Bidirectional): the forward and backward "
                          "layers must have the same shape of output and the same options",
                          l->name);
    l->out = b->fwd->out;
    l->stateful = b->fwd->stateful || b->bwd->stateful;
    if (b->merge == 0) l->out.d[l->out.rank - 1] *= 2;
    l->mask_out = b->fwd->mask_out;
    for (int k = 0; k < 2; k++) {
        const struct clrnn_layer *in = k ? b->bwd : b->fwd;
        for (int j = 0; j < in->n_weights; j++) {
            struct clrnn_weight *w = &l->w[l->n_weights++];
            *w = in->w[j];
            snprintf(w->scope, sizeof w->scope, "%.100s/%.50s", in->name, in->w[j].scope);
            snprintf(w->keras3_path, sizeof w->keras3_path, "%s/%.60s",
                     k ? "backward_layer" : "forward_layer", in->w[j].keras3_path);
        }
    }
    return CLRNN_OK;
}

static void release_buffers(struct bidi_cfg *b) {
    clrnn_buf_release(&b->dyf);
    clrnn_buf_release(&b->dyb);
    clrnn_buf_release(&b->dxb);
}

static clrnn_status bidi_alloc(struct clrnn_layer *l, clrnn_ctx *ctx, int B) {
    struct bidi_cfg *b = l->cfg;
    /* the model placed this layer's weights: the inner layers read them from there */
    for (int j = 0; j < b->fwd->n_weights; j++) b->fwd->w[j].offset = l->w[j].offset;
    for (int j = 0; j < b->bwd->n_weights; j++)
        b->bwd->w[j].offset = l->w[b->fwd->n_weights + j].offset;
    release_buffers(b);
    clrnn_buf_release(&l->y);
    size_t f = sizeof(float), inner_out = (size_t)B * (size_t)clrnn_shape_count(&b->fwd->out);
    clrnn_status s;
    if ((s = b->fwd->ops->alloc(b->fwd, ctx, B)) || (s = b->bwd->ops->alloc(b->bwd, ctx, B)) ||
        (s = clrnn_buf_create(ctx, (size_t)B * (size_t)clrnn_shape_count(&l->out) * f, &l->y)) ||
        (s = clrnn_buf_create(ctx, inner_out * f, &b->dyf)) ||
        (s = clrnn_buf_create(ctx, inner_out * f, &b->dyb)) ||
        (s = clrnn_buf_create(ctx, (size_t)B * (size_t)clrnn_shape_count(&l->in) * f, &b->dxb)))
        return s;
    b->fwd->max_batch = b->bwd->max_batch = B;
    /* the states are the inner layers' buffers, which they own */
    int n = b->fwd->n_aux_out;
    for (int k = 0; k < n; k++) {
        l->aux_out[k].val = b->fwd->aux_out[k].val;
        l->aux_out[n + k].val = b->bwd->aux_out[k].val;
    }
    return CLRNN_OK;
}

static clrnn_status bidi_forward(struct clrnn_layer *l, const struct clrnn_pass *p, cl_mem x) {
    struct bidi_cfg *b = l->cfg;
    b->fwd->in_mask = b->bwd->in_mask = l->in_mask;
    int half = l->n_aux_in / 2;
    for (int k = 0; k < half; k++) {
        b->fwd->aux_in[k].val = l->aux_in[k].val;
        b->bwd->aux_in[k].val = l->aux_in[half + k].val;
    }
    clrnn_status s;
    cl_kernel k;
    if ((s = clrnn_rnn_forward_pair(b->fwd, b->bwd, p, x)) ||
        (s = clrnn_kernel_get(p->ctx, UTIL_SOURCES, "", "bidi_merge", &k)))
        return s;
    const struct clrnn_shape *o = &b->fwd->out;
    int seq = o->rank == 2, T = (int)l->in.d[0], U = (int)clrnn_shape_last(o);
    size_t g = (size_t)p->B * (size_t)clrnn_shape_count(o);
    return CLRNN_LAUNCH(p->ctx, k, "bidi_merge", 1, &g, NULL, KARG(b->fwd->y), KARG(b->bwd->y),
                        KARG(l->y), KARG(p->B), KARG(T), KARG(U), KARG(seq), KARG(b->merge));
}

static clrnn_status bidi_backward(struct clrnn_layer *l, const struct clrnn_pass *p, cl_mem x,
                                  cl_mem dy, cl_mem dx) {
    struct bidi_cfg *b = l->cfg;
    const struct clrnn_shape *o = &b->fwd->out;
    int seq = o->rank == 2, T = (int)l->in.d[0], U = (int)clrnn_shape_last(o);
    size_t g = (size_t)p->B * (size_t)clrnn_shape_count(o);
    cl_kernel split, add;
    clrnn_status s;
    int ns = b->fwd->n_aux_out;
    for (int k = 0; k < ns; k++) {
        b->fwd->aux_out[k].grad = l->aux_out[k].grad;
        b->bwd->aux_out[k].grad = l->aux_out[ns + k].grad;
    }
    int half = l->n_aux_in / 2;
    for (int k = 0; k < half; k++) {
        b->fwd->aux_in[k].grad = l->aux_in[k].grad;
        b->bwd->aux_in[k].grad = l->aux_in[half + k].grad;
    }
    if ((s = clrnn_kernel_get(p->ctx, UTIL_SOURCES, "", "bidi_split", &split)) ||
        (s = clrnn_kernel_get(p->ctx, UTIL_SOURCES, "", "add_into", &add)) ||
        (s = CLRNN_LAUNCH(p->ctx, split, "bidi_split", 1, &g, NULL, KARG(dy), KARG(b->fwd->y),
                          KARG(b->bwd->y), KARG(b->dyf), KARG(b->dyb), KARG(p->B), KARG(T),
                          KARG(U), KARG(seq), KARG(b->merge))) ||
        (s = clrnn_rnn_backward_pair(b->fwd, b->bwd, p, x, b->dyf, b->dyb, dx,
                                     dx ? b->dxb : NULL)))
        return s;
    if (!dx) return CLRNN_OK;
    /* B*T*I, or the Embedding's gradient when the inner layers took its tokens */
    cl_ulong n = (cl_ulong)clrnn_rnn_dx_count(b->fwd, p->B);
    size_t gn = (size_t)n;
    return CLRNN_LAUNCH(p->ctx, add, "add_into", 1, &gn, NULL, KARG(dx), KARG(b->dxb), KARG(n));
}

/* Both directions take the Embedding's tokens, or neither (they share one configuration). */
static int bidi_take_tokens(struct clrnn_layer *l, struct clrnn_layer *emb) {
    struct bidi_cfg *b = l->cfg;
    if (!b->fwd->ops->take_tokens || !b->fwd->ops->take_tokens(b->fwd, emb)) return 0;
    if (b->bwd->ops->take_tokens && b->bwd->ops->take_tokens(b->bwd, emb)) return 1;
    b->fwd->ops->take_tokens(b->fwd, NULL); /* the backward layer refused: neither takes them */
    return 0;
}

static clrnn_status bidi_config_json(const struct clrnn_layer *l, cJSON *o) {
    const struct bidi_cfg *b = l->cfg;
    cJSON *fwd = clrnn_layer_to_json(b->fwd), *bwd = clrnn_layer_to_json(b->bwd);
    if (!fwd || !bwd) {
        cJSON_Delete(fwd);
        cJSON_Delete(bwd);
        return clrnn_fail(CLRNN_E_NOMEM, "out of memory writing layer '%s'", l->name);
    }
    cJSON_AddStringToObject(o, "merge_mode", MERGE_NAMES[b->merge]);
    cJSON_AddItemToObject(o, "layer", fwd);
    cJSON_AddItemToObject(o, "backward_layer", bwd);
    return CLRNN_OK;
}

static void bidi_reset_states(struct clrnn_layer *l) {
    struct bidi_cfg *b = l->cfg;
    b->fwd->ops->reset_states(b->fwd);
    b->bwd->ops->reset_states(b->bwd);
}

static void bidi_release(struct clrnn_layer *l) {
    struct bidi_cfg *b = l->cfg;
    release_buffers(b);
    clrnn_layer_free(b->fwd);
    clrnn_layer_free(b->bwd);
}

const struct clrnn_layer_ops clrnn_layer_bidirectional = {
    .keras_class = "Bidirectional",
    .spec_name = "bidirectional",
    .positional = BIDI_POSITIONAL,
    .cfg_size = sizeof(struct bidi_cfg),
    .configure = bidi_configure,
    .build = bidi_build,
    .alloc = bidi_alloc,
    .forward = bidi_forward,
    .take_tokens = bidi_take_tokens,
    .backward = bidi_backward,
    .config_json = bidi_config_json,
    .release = bidi_release,
    .reset_states = bidi_reset_states,
    .supports_masking = 1,
    .takes_initial_state = 1,
};
