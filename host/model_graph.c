/*
 * model_graph.c - Keras Functional models that are not chains: several inputs, layers that
 * take several tensors (a recurrent layer's initial_state, a merge layer's list: Add,
 * Concatenate, ...) or give several (return_state),
 * tensors that several layers take, and one output, such as the encoder-decoder of Keras's
 * seq2seq tutorial. The layers run in the order the config lists them (Keras sorts them so
 * that each comes after the layers whose tensors it takes); each is called once.
 *
 * A tensor is named by [layer, node, index] (keras_history). Keras 3 writes a call as
 * {"args": [tensor], "kwargs": {"initial_state": [tensors], "mask": tensor, ...}}; tf.keras 2
 * as [[layer, node, index, kwargs], ...], the initial states after the input. Keras 3
 * records the mask of an Embedding(mask_zero=True) that a layer is given as a NotEqual(ids,
 * 0) operation; clrnn carries that mask along with the tensor itself, so a NotEqual entry
 * is only checked, never run.
 *
 * This file builds the graph (and writes it back as a config); graph_run.c runs it.
 */
#include <stdio.h>
#include <string.h>

#include "model_impl.h"

/* What an entry of the config's layer list made: an input, a mask (NotEqual), or a layer;
 * its tensors are first .. first + count - 1 (a mask entry: the ids it compares). */
enum entry_kind { ENTRY_INPUT, ENTRY_MASK, ENTRY_LAYER };
struct entry {
    const char *name;
    enum entry_kind kind;
    int first, count;
};

struct builder {
    clrnn_model *m;
    struct clrnn_graph *g;
    const char *model;   /* the model's name, for messages */
    struct entry *e;
    int n_entries;
};


static const char *json_str(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static const char *entry_name(const cJSON *layer) {
    const char *n = json_str(layer, "name");
    if (!n) n = json_str(cJSON_GetObjectItemCaseSensitive(layer, "config"), "name");
    return n ? n : "?";
}

/* "lstm[0][1]", as Keras's summary names a tensor. */
static const char *tensor_desc(const clrnn_model *m, int id, char *buf, size_t size) {
    const struct clrnn_tensor *t = &m->graph->t[id];
    if (t->node < 0) snprintf(buf, size, "%s", m->graph->input_names[t->index]);
    else snprintf(buf, size, "%s[0][%d]", m->layers[t->node]->name, t->index);
    return buf;
}

static int new_tensor(struct builder *b, struct clrnn_shape shape, clrnn_dtype dtype, int node,
                      int index, int mask) {
    struct clrnn_tensor *t = &b->g->t[b->g->n_tensors];
    memset(t, 0, sizeof *t);
    t->shape = shape;
    t->dtype = dtype;
    t->node = node;
    t->index = index;
    t->mask = mask;
    return b->g->n_tensors++;
}

/* The tensor a reference names (Keras 3: a __keras_tensor__ object; tf.keras 2: [layer,
 * node, index, kwargs]) among the entries made so far; *kind says which entry made it. */
static clrnn_status resolve(const struct builder *b, const char *who, const cJSON *ref, int *id,
                            enum entry_kind *kind) {
    const cJSON *h = cJSON_IsArray(ref) ? ref : NULL;
    if (cJSON_IsObject(ref))
        h = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(ref, "config"),
                                             "keras_history");
    const cJSON *name = cJSON_GetArrayItem(h, 0), *node = cJSON_GetArrayItem(h, 1);
    const cJSON *index = cJSON_GetArrayItem(h, 2);
    if (!cJSON_IsString(name) || !cJSON_IsNumber(node) || !cJSON_IsNumber(index))
        return clrnn_fail(CLRNN_E_FORMAT, "Functional model '%s': layer '%s' takes a tensor "
                          "without a [layer, node, index] history", b->model, who);
    for (int i = 0; i < b->n_entries; i++) {
        const struct entry *e = &b->e[i];
        if (strcmp(e->name, name->valuestring) != 0) continue;
        if (node->valueint != 0)
            return clrnn_fail(CLRNN_E_UNSUPPORTED, "Functional model '%s': layer '%s' takes "
                              "the output of call %d of '%s'; clrnn runs each layer once (no "
                              "shared layers)", b->model, who, node->valueint + 1, e->name);
        if (index->valueint < 0 || index->valueint >= (e->kind == ENTRY_LAYER ? e->count : 1))
            return clrnn_fail(CLRNN_E_FORMAT, "Functional model '%s': layer '%s' takes output "
                              "%d of '%s', which gives %d", b->model, who, index->valueint,
                              e->name, e->kind == ENTRY_LAYER ? e->count : 1);
        *id = e->first + (e->kind == ENTRY_LAYER ? index->valueint : 0);
        *kind = e->kind;
        return CLRNN_OK;
    }
    return clrnn_fail(CLRNN_E_UNSUPPORTED, "Functional model '%s': layer '%s' takes a tensor of "
                      "'%s', which is not listed before it", b->model, who, name->valuestring);
}

/* A value is a tensor reference (not a number or a flag). */
static int is_tensor(const cJSON *v) {
    return cJSON_IsObject(v) && cJSON_GetObjectItemCaseSensitive(v, "class_name") &&
           strcmp(json_str(v, "class_name") ? json_str(v, "class_name") : "",
                  "__keras_tensor__") == 0;
}

/* The tensors of one call: refs[0] the input, then the initial states (or the other tensors
 * a merge layer takes); *mask the mask given (Keras 3), or NULL. */
struct call {
    const cJSON *refs[1 + CLRNN_MAX_AUX];
    int n;
    int list; /* Keras 3: the tensors came as one list (a merge layer's) */
    const cJSON *mask;
};

static clrnn_status read_call(const struct builder *b, const char *who, const cJSON *node,
                              struct call *c) {
    memset(c, 0, sizeof *c);
    if (cJSON_IsArray(node)) { /* tf.keras 2 */
        const cJSON *entry;
        cJSON_ArrayForEach(entry, node) {
            if (c->n == 1 + CLRNN_MAX_AUX) break;
            c->refs[c->n++] = entry;
        }
        if (c->n < 1 || cJSON_GetArraySize(node) != c->n)
            return clrnn_fail(CLRNN_E_UNSUPPORTED, "Functional model '%s': layer '%s' takes %d "
                              "tensors", b->model, who, cJSON_GetArraySize(node));
        return CLRNN_OK;
    }
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(node, "args");
    const cJSON *kwargs = cJSON_GetObjectItemCaseSensitive(node, "kwargs");
    if (!cJSON_IsObject(kwargs)) kwargs = NULL;
    const cJSON *first = cJSON_GetArrayItem(args, 0);
    if (cJSON_IsArray(first) && cJSON_GetArraySize(first) == 1) first = cJSON_GetArrayItem(first, 0);
    if (cJSON_IsArray(first)) { /* a merge layer's list of tensors */
        const cJSON *t;
        cJSON_ArrayForEach(t, first) {
            if (!is_tensor(t) || c->n == 1 + CLRNN_MAX_AUX)
                return clrnn_fail(CLRNN_E_UNSUPPORTED, "Functional model '%s': layer '%s' "
                                  "takes a list of %d %s; clrnn takes lists of up to %d "
                                  "tensors", b->model, who, cJSON_GetArraySize(first),
                                  is_tensor(t) ? "tensors" : "items, not all tensors",
                                  1 + CLRNN_MAX_AUX);
            c->refs[c->n++] = t;
        }
        c->list = 1;
    } else if (!is_tensor(first)) {
        return clrnn_fail(CLRNN_E_UNSUPPORTED, "Functional model '%s': layer '%s' takes no "
                          "tensor", b->model, who);
    } else {
        c->refs[c->n++] = first;
    }
    const cJSON *a;
    int i = 0;
    cJSON_ArrayForEach(a, args) if (i++ > 0 && is_tensor(a))
        return clrnn_fail(CLRNN_E_UNSUPPORTED, "Functional model '%s': layer '%s' takes %d "
                          "positional tensors; clrnn's layers take one", b->model, who,
                          cJSON_GetArraySize(args));
    cJSON_ArrayForEach(a, kwargs) {
        if (strcmp(a->string, "initial_state") == 0 && !cJSON_IsNull(a)) {
            const cJSON *st;
            if (is_tensor(a)) {
                c->refs[c->n++] = a;
                continue;
            }
            cJSON_ArrayForEach(st, a) {
                if (c->n == 1 + CLRNN_MAX_AUX)
                    return clrnn_fail(CLRNN_E_UNSUPPORTED, "Functional model '%s': layer '%s' "
                                      "is given %d initial states", b->model, who,
                                      cJSON_GetArraySize(a));
                c->refs[c->n++] = st;
            }
        } else if (strcmp(a->string, "mask") == 0) {
            c->mask = is_tensor(a) ? a : NULL;
        } else if (is_tensor(a) || cJSON_IsArray(a)) {
            return clrnn_fail(CLRNN_E_UNSUPPORTED, "Functional model '%s': layer '%s' is given "
                              "'%s', which clrnn does not support", b->model, who, a->string);
        }
    }
    return CLRNN_OK;
}

/* An InputLayer: a model input of fixed shape, or of unknown length (it starts at one step;
 * each batch's array for it sets it: model_steps.c). */
static clrnn_status add_input(struct builder *b, const cJSON *obj, struct entry *e) {
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(obj, "config");
    struct clrnn_shape shape;
    char buf[96];
    if (!clrnn_json_batch_shape(cfg, &shape))
        return clrnn_fail(CLRNN_E_FORMAT, "Functional model '%s': input '%s' has no shape",
                          b->model, e->name);
    struct clrnn_shape declared = shape;
    int free_steps = shape.rank >= 1 && shape.d[0] < 0;
    if (free_steps) shape.d[0] = 1;
    for (int i = 0; i < shape.rank; i++)
        if (shape.d[i] < 1)
            return clrnn_fail(CLRNN_E_UNSUPPORTED, "Functional model '%s': input '%s' %s leaves "
                              "more than its length unknown (None); clrnn needs its features",
                              b->model, e->name, clrnn_batch_shape_str(&declared, buf, sizeof buf));
    b->m->free_steps |= free_steps;
    if (b->g->n_inputs == CLRNN_MAX_INPUTS)
        return clrnn_fail(CLRNN_E_UNSUPPORTED, "Functional model '%s' has more than %d inputs",
                          b->model, CLRNN_MAX_INPUTS);
    int k = b->g->n_inputs++;
    e->first = new_tensor(b, shape, clrnn_json_dtype(cfg, CLRNN_DTYPE_FLOAT32), -1, k, 0);
    b->g->t[e->first].free_steps = free_steps;
    e->count = 1;
    snprintf(b->g->input_names[k], sizeof b->g->input_names[k], "%s", e->name);
    return CLRNN_OK;
}

/* Keras 3's NotEqual(ids, 0): the mask of an Embedding(mask_zero=True) given to a layer. */
static clrnn_status add_mask(struct builder *b, const cJSON *obj, struct entry *e) {
    const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(obj, "inbound_nodes");
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(nodes, 0), "args");
    const cJSON *zero = cJSON_GetArrayItem(args, 1);
    enum entry_kind kind;
    if (cJSON_GetArraySize(nodes) != 1 || !cJSON_IsNumber(zero) || zero->valuedouble != 0)
        return clrnn_fail(CLRNN_E_UNSUPPORTED, "Functional model '%s': operation '%s' "
                          "(NotEqual) is supported only as the mask of token ids, ids != 0",
                          b->model, e->name);
    e->count = 1;
    return resolve(b, e->name, cJSON_GetArrayItem(args, 0), &e->first, &kind);
}

/* The given tensors fit layer l: the states' shapes, a mask only where one is carried. */
static clrnn_status check_call(const struct builder *b, const struct clrnn_layer *l,
                               const struct clrnn_node *nd, const struct call *c) {
    char d[200], got[96], want[96], what[160];
    const struct clrnn_graph *g = b->g;
    if (c->mask) {
        int id;
        enum entry_kind kind;
        clrnn_status s = resolve(b, l->name, c->mask, &id, &kind);
        if (s) return s;
        if (kind != ENTRY_MASK || !g->t[nd->in[0]].mask)
            return clrnn_fail(CLRNN_E_UNSUPPORTED, "%s is given a mask its input %s does not "
                              "carry; clrnn takes masks from Embedding(mask_zero=True) only",
                              clrnn_layer_desc(l, d, sizeof d),
                              tensor_desc(b->m, nd->in[0], what, sizeof what));
    }
    for (int k = 0; !l->ops->takes_several && k < l->n_aux_in; k++) {
        const struct clrnn_tensor *t = &g->t[nd->in[k + 1]];
        int same = t->shape.rank == l->aux_in[k].shape.rank && t->dtype == CLRNN_DTYPE_FLOAT32;
        for (int i = 0; same && i < t->shape.rank; i++)
            same = t->shape.d[i] == l->aux_in[k].shape.d[i];
        if (!same)
            return clrnn_fail(CLRNN_E_SHAPE, "%s: initial_state[%d] (%s) has shape %s, but the "
                              "layer's states are %s", clrnn_layer_desc(l, d, sizeof d), k,
                              tensor_desc(b->m, nd->in[k + 1], what, sizeof what),
                              clrnn_batch_shape_str(&t->shape, got, sizeof got),
                              clrnn_batch_shape_str(&l->aux_in[k].shape, want, sizeof want));
    }
    return CLRNN_OK;
}

/* A layer entry: created, built for the tensors it takes, its outputs made tensors. */
static clrnn_status add_layer(struct builder *b, const cJSON *obj, struct entry *e) {
    clrnn_model *m = b->m;
    struct clrnn_graph *g = b->g;
    const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(obj, "inbound_nodes");
    int calls = cJSON_GetArraySize(nodes);
    if (calls < 1)
        return clrnn_fail(CLRNN_E_FORMAT, "Functional model '%s': layer '%s' is never called "
                          "(no inbound_nodes)", b->model, e->name);
    if (calls > 1)
        return clrnn_fail(CLRNN_E_UNSUPPORTED, "Functional model '%s': layer '%s' is called %d "
                          "times; clrnn runs each layer once (no shared layers)", b->model,
                          e->name, calls);
    struct call c;
    clrnn_status s = read_call(b, e->name, cJSON_GetArrayItem(nodes, 0), &c);
    int i = m->n_layers;
    struct clrnn_node *nd = &g->nodes[i];
    enum entry_kind kind;
    for (int k = 0; !s && k < c.n; k++) {
        s = resolve(b, e->name, c.refs[k], &nd->in[k], &kind);
        if (!s && kind == ENTRY_MASK)
            s = clrnn_fail(CLRNN_E_UNSUPPORTED, "Functional model '%s': layer '%s' takes a "
                           "mask (NotEqual) as a tensor", b->model, e->name);
    }
    if (!s) s = clrnn_layer_create(obj, m->keras_major, &m->layers[i]);
    if (s) return s;
    m->n_layers++;
    nd->n_in = c.n;
    struct clrnn_layer *l = m->layers[i];
    struct clrnn_tensor *x = &g->t[nd->in[0]];
    /* an Embedding's input is token ids, whatever dtype the Input says (float32 by default) */
    if (strcmp(l->ops->keras_class, "Embedding") == 0 && x->node < 0) x->dtype = CLRNN_DTYPE_INT32;
    char d[200];
    int takes_states = l->ops->is_recurrent || l->ops->takes_initial_state;
    if ((c.n > 1 && !takes_states && !l->ops->takes_several) ||
        (c.list && !l->ops->takes_several))
        return clrnn_fail(CLRNN_E_UNSUPPORTED, "%s is given %d tensors; only a recurrent layer "
                          "(its initial_state) and a merge layer take more",
                          clrnn_layer_desc(l, d, sizeof d), c.n);
    l->in = x->shape;
    l->in_dtype = x->dtype;
    l->mask_in = l->mask_out = x->mask;
    l->n_aux_in = c.n - 1;
    for (int k = 0; l->ops->takes_several && k < c.n; k++) {
        const struct clrnn_tensor *t = &g->t[nd->in[k]];
        char what[160];
        if (t->mask || t->dtype != CLRNN_DTYPE_FLOAT32)
            return clrnn_fail(CLRNN_E_UNSUPPORTED, "%s takes %s, which %s; clrnn merges float "
                              "tensors without a mask", clrnn_layer_desc(l, d, sizeof d),
                              tensor_desc(m, nd->in[k], what, sizeof what),
                              t->mask ? "carries a mask" : "is integer");
        if (k > 0) l->aux_in[k - 1].shape = t->shape;
    }
    if ((s = clrnn_model_place_layer(m, i)) || (s = check_call(b, l, nd, &c))) return s;
    for (int k = 0; k < c.n; k++) g->t[nd->in[k]].uses++;
    nd->n_out = 1 + l->n_aux_out;
    nd->out[0] = new_tensor(b, l->out, CLRNN_DTYPE_FLOAT32, i, 0, l->mask_out);
    /* a sequence made from one of unknown length has that length too */
    for (int k = 0; k < c.n; k++)
        g->t[nd->out[0]].free_steps |= g->t[nd->in[k]].free_steps && l->out.rank >= 2;
    for (int k = 0; k < l->n_aux_out; k++)
        nd->out[k + 1] = new_tensor(b, l->aux_out[k].shape, CLRNN_DTYPE_FLOAT32, i, k + 1, 0);
    e->first = nd->out[0];
    e->count = nd->n_out;
    return CLRNN_OK;
}

/* The [name, node, index] entries of input_layers or output_layers ([[...], ...], or one
 * [...] flat). */
static int endpoints(const cJSON *cfg, const char *key, const cJSON **out, int max) {
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(cfg, key), *item;
    if (cJSON_IsString(cJSON_GetArrayItem(list, 0))) {
        out[0] = list;
        return 1;
    }
    int n = 0;
    cJSON_ArrayForEach(item, list) {
        if (n < max) out[n] = item;
        n++;
    }
    return n;
}

/* The model's inputs in input_layers' order, and its output. */
static clrnn_status connect_ends(struct builder *b, const cJSON *cfg) {
    struct clrnn_graph *g = b->g;
    const cJSON *ins[CLRNN_MAX_INPUTS + 1], *outs[2];
    int n_in = endpoints(cfg, "input_layers", ins, CLRNN_MAX_INPUTS + 1);
    int n_out = endpoints(cfg, "output_layers", outs, 2);
    if (n_out != 1)
        return clrnn_fail(CLRNN_E_UNSUPPORTED, "Functional model '%s' has %d outputs; clrnn "
                          "runs models with one output", b->model, n_out);
    if (n_in != g->n_inputs)
        return clrnn_fail(CLRNN_E_FORMAT, "Functional model '%s' lists %d inputs but has %d "
                          "InputLayers", b->model, n_in, g->n_inputs);
    int order[CLRNN_MAX_INPUTS];
    enum entry_kind kind;
    clrnn_status s = CLRNN_OK;
    for (int k = 0; !s && k < n_in; k++) {
        s = resolve(b, "(the model's inputs)", ins[k], &order[k], &kind);
        if (!s && kind != ENTRY_INPUT)
            s = clrnn_fail(CLRNN_E_FORMAT, "Functional model '%s': its input %d is not an "
                           "InputLayer", b->model, k);
    }
    if (s || (s = resolve(b, "(the model's output)", outs[0], &g->output, &kind))) return s;
    if (b->m->n_layers < 1 || g->output != g->nodes[b->m->n_layers - 1].out[0])
        return clrnn_fail(CLRNN_E_UNSUPPORTED, "Functional model '%s': its output is not the "
                          "output of the last layer listed; clrnn needs it to be", b->model);
    /* renumber the inputs in the model's order */
    char names[CLRNN_MAX_INPUTS][128];
    memcpy(names, g->input_names, sizeof names);
    for (int k = 0; k < n_in; k++) {
        struct clrnn_tensor *t = &g->t[order[k]];
        memcpy(g->input_names[k], names[t->index], sizeof names[k]);
        g->inputs[k] = order[k];
    }
    for (int k = 0; k < n_in; k++) g->t[g->inputs[k]].index = k;
    return CLRNN_OK;
}

static clrnn_status build_entries(struct builder *b, const cJSON *layers) {
    const cJSON *obj;
    clrnn_status s = CLRNN_OK;
    cJSON_ArrayForEach(obj, layers) {
        struct entry *e = &b->e[b->n_entries];
        const char *cls = json_str(obj, "class_name");
        e->name = entry_name(obj);
        if (!cls) return clrnn_fail(CLRNN_E_FORMAT, "Functional model '%s': layer '%s' has no "
                                    "\"class_name\"", b->model, e->name);
        if (strcmp(cls, "InputLayer") == 0) {
            e->kind = ENTRY_INPUT;
            s = add_input(b, obj, e);
        } else if (strcmp(cls, "NotEqual") == 0) {
            e->kind = ENTRY_MASK;
            s = add_mask(b, obj, e);
        } else {
            e->kind = ENTRY_LAYER;
            s = add_layer(b, obj, e);
        }
        if (s) return s;
        b->n_entries++;
    }
    return CLRNN_OK;
}

clrnn_status clrnn_graph_build(clrnn_ctx *ctx, const cJSON *cfg, const char *name,
                               int keras_major, uint64_t seed, clrnn_model **out) {
    const cJSON *layers = cJSON_GetObjectItemCaseSensitive(cfg, "layers");
    int n = cJSON_GetArraySize(layers);
    clrnn_model *m = NULL;
    clrnn_status s = clrnn_model_new(ctx, name, keras_major, seed, &m);
    if (s) return s;
    struct builder b = {m, NULL, m->name, NULL, 0};
    m->graph = b.g = clrnn_calloc(1, sizeof *b.g);
    b.e = clrnn_calloc((size_t)n + 1, sizeof *b.e);
    m->layers = clrnn_calloc((size_t)n + 1, sizeof *m->layers);
    if (b.g) b.g->nodes = clrnn_calloc((size_t)n + 1, sizeof *b.g->nodes);
    if (b.g) b.g->n_nodes = n;
    if (b.g) b.g->t = clrnn_calloc((size_t)n * (1 + CLRNN_MAX_AUX) + 1, sizeof *b.g->t);
    if (!b.g || !b.e || !m->layers || !b.g->nodes || !b.g->t)
        s = clrnn_fail(CLRNN_E_NOMEM, "out of memory building model '%s'", m->name);
    if (!s) s = build_entries(&b, layers);
    if (!s) s = connect_ends(&b, cfg);
    if (!s) {
        const struct clrnn_tensor *t0 = &b.g->t[b.g->inputs[0]];
        m->in = t0->shape;
        m->in_dtype = t0->dtype;
        for (int k = 0; !s && k < b.g->n_inputs; k++) {
            const struct clrnn_tensor *t = &b.g->t[b.g->inputs[k]];
            if (t->free_steps && t->shape.rank == 1 && t->dtype != CLRNN_DTYPE_INT32)
                s = clrnn_fail(CLRNN_E_UNSUPPORTED, "Functional model '%s': input '%s' (None, "
                               "None) leaves its features unknown; clrnn needs them", m->name,
                               b.g->input_names[k]);
        }
        if (!s) s = clrnn_model_finish(m);
    }
    clrnn_free(b.e);
    if (s) {
        clrnn_model_free(m);
        return s;
    }
    *out = m;
    return CLRNN_OK;
}

/* ---- writing it: Keras 3's Functional layout, or tf.keras 2's ---- */

/* {"class_name": "__keras_tensor__", "config": {"shape", "dtype", "keras_history"}} */
static cJSON *tensor_json(const clrnn_model *m, int id) {
    const struct clrnn_tensor *t = &m->graph->t[id];
    cJSON *o = cJSON_CreateObject(), *c = cJSON_CreateObject();
    struct clrnn_shape shown = clrnn_model_tensor_shown(m, id);
    cJSON *shape = clrnn_shape_json(&shown), *h = cJSON_CreateArray();
    cJSON_AddItemToArray(h, cJSON_CreateString(t->node < 0 ? m->graph->input_names[t->index]
                                                           : m->layers[t->node]->name));
    cJSON_AddItemToArray(h, cJSON_CreateNumber(0));
    cJSON_AddItemToArray(h, cJSON_CreateNumber(t->node < 0 ? 0 : t->index));
    cJSON_AddStringToObject(o, "class_name", "__keras_tensor__");
    cJSON_AddItemToObject(c, "shape", shape);
    cJSON_AddStringToObject(c, "dtype", t->dtype == CLRNN_DTYPE_INT32 ? "int32" : "float32");
    cJSON_AddItemToObject(c, "keras_history", h);
    cJSON_AddItemToObject(o, "config", c);
    return o;
}

/* [layer, 0, index, {}]: tf.keras 2's reference to a tensor */
static cJSON *tensor_ref_json(const clrnn_model *m, int id) {
    const struct clrnn_tensor *t = &m->graph->t[id];
    cJSON *r = cJSON_CreateArray();
    cJSON_AddItemToArray(r, cJSON_CreateString(t->node < 0 ? m->graph->input_names[t->index]
                                                           : m->layers[t->node]->name));
    cJSON_AddItemToArray(r, cJSON_CreateNumber(0));
    cJSON_AddItemToArray(r, cJSON_CreateNumber(t->node < 0 ? 0 : t->index));
    cJSON_AddItemToArray(r, cJSON_CreateObject());
    return r;
}

static cJSON *input_json(const clrnn_model *m, int k, int keras_major) {
    const struct clrnn_tensor *t = &m->graph->t[m->graph->inputs[k]];
    cJSON *o = cJSON_CreateObject(), *c = cJSON_CreateObject();
    struct clrnn_shape shown = clrnn_model_tensor_shown(m, m->graph->inputs[k]);
    cJSON *shape = clrnn_shape_json(&shown);
    if (keras_major >= 3) cJSON_AddStringToObject(o, "module", "keras.layers");
    cJSON_AddStringToObject(o, "class_name", "InputLayer");
    cJSON_AddItemToObject(c, keras_major >= 3 ? "batch_shape" : "batch_input_shape", shape);
    cJSON_AddStringToObject(c, "dtype", t->dtype == CLRNN_DTYPE_INT32 ? "int32" : "float32");
    cJSON_AddFalseToObject(c, "sparse");
    if (keras_major < 3) cJSON_AddFalseToObject(c, "ragged");
    cJSON_AddStringToObject(c, "name", m->graph->input_names[k]);
    cJSON_AddItemToObject(o, "config", c);
    if (keras_major >= 3) cJSON_AddNullToObject(o, "registered_name");
    cJSON_AddStringToObject(o, "name", m->graph->input_names[k]);
    cJSON_AddItemToObject(o, "inbound_nodes", cJSON_CreateArray());
    return o;
}

/* A layer with its one call: Keras 3's {"args": [input], "kwargs": {"initial_state": [...]}}
 * (a merge layer's {"args": [[inputs...]], "kwargs": {}}); tf.keras 2's [[input, the
 * states or the other tensors merged...]], each [layer, 0, index, {}]. */
static cJSON *node_json(const clrnn_model *m, int i, int keras_major) {
    const struct clrnn_node *nd = &m->graph->nodes[i];
    cJSON *o = clrnn_layer_to_json(m->layers[i]);
    cJSON *nodes = cJSON_CreateArray(), *node = cJSON_CreateObject(), *args = cJSON_CreateArray();
    cJSON *kwargs = cJSON_CreateObject();
    if (!o) return NULL;
    if (keras_major < 3) {
        /* as tf.keras 2 writes its layers in a .h5: no module, which would say Keras 3 */
        cJSON_DeleteItemFromObjectCaseSensitive(o, "module");
        cJSON_DeleteItemFromObjectCaseSensitive(o, "registered_name");
        cJSON *refs = cJSON_CreateArray();
        for (int k = 0; k < nd->n_in; k++)
            cJSON_AddItemToArray(refs, tensor_ref_json(m, nd->in[k]));
        cJSON_AddItemToArray(nodes, refs);
        cJSON_Delete(node), cJSON_Delete(args), cJSON_Delete(kwargs);
    } else if (m->layers[i]->ops->takes_several) {
        cJSON *list = cJSON_CreateArray();
        for (int k = 0; k < nd->n_in; k++) cJSON_AddItemToArray(list, tensor_json(m, nd->in[k]));
        cJSON_AddItemToArray(args, list);
    } else {
        cJSON_AddItemToArray(args, tensor_json(m, nd->in[0]));
    }
    if (keras_major >= 3 && nd->n_in > 1 && !m->layers[i]->ops->takes_several) {
        cJSON *states = cJSON_AddArrayToObject(kwargs, "initial_state");
        for (int k = 1; k < nd->n_in; k++) cJSON_AddItemToArray(states, tensor_json(m, nd->in[k]));
    }
    if (keras_major >= 3) {
        cJSON_AddItemToObject(node, "args", args);
        cJSON_AddItemToObject(node, "kwargs", kwargs);
        cJSON_AddItemToArray(nodes, node);
    }
    cJSON_AddStringToObject(o, "name", m->layers[i]->name);
    cJSON_AddItemToObject(o, "inbound_nodes", nodes);
    return o;
}

static cJSON *endpoint_json(const char *name) {
    cJSON *e = cJSON_CreateArray();
    cJSON_AddItemToArray(e, cJSON_CreateString(name));
    cJSON_AddItemToArray(e, cJSON_CreateNumber(0));
    cJSON_AddItemToArray(e, cJSON_CreateNumber(0));
    return e;
}

cJSON *clrnn_graph_config_json(const clrnn_model *m, int keras_major) {
    const struct clrnn_graph *g = m->graph;
    cJSON *root = cJSON_CreateObject(), *cfg = cJSON_CreateObject(), *layers = cJSON_CreateArray();
    cJSON *ins = cJSON_CreateArray(), *outs = cJSON_CreateArray();
    if (!root || !cfg || !layers || !ins || !outs) {
        cJSON_Delete(root), cJSON_Delete(cfg), cJSON_Delete(layers), cJSON_Delete(ins);
        cJSON_Delete(outs);
        return NULL;
    }
    if (keras_major >= 3) cJSON_AddStringToObject(root, "module", "keras.src.models.functional");
    cJSON_AddStringToObject(root, "class_name", "Functional");
    cJSON_AddStringToObject(cfg, "name", m->name);
    cJSON_AddTrueToObject(cfg, "trainable");
    for (int k = 0; k < g->n_inputs; k++) {
        cJSON_AddItemToArray(layers, input_json(m, k, keras_major));
        cJSON_AddItemToArray(ins, endpoint_json(g->input_names[k]));
    }
    int ok = 1;
    for (int i = 0; i < m->n_layers; i++) {
        cJSON *o = node_json(m, i, keras_major);
        ok = ok && o;
        cJSON_AddItemToArray(layers, o);
    }
    cJSON_AddItemToArray(outs, endpoint_json(m->layers[m->n_layers - 1]->name));
    cJSON_AddItemToObject(cfg, "layers", layers);
    cJSON_AddItemToObject(cfg, "input_layers", ins);
    cJSON_AddItemToObject(cfg, "output_layers", outs);
    cJSON_AddItemToObject(root, "config", cfg);
    if (keras_major >= 3) cJSON_AddNullToObject(root, "registered_name");
    if (!ok) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}
