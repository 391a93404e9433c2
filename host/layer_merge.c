/*
 * layer_merge.c - Keras's merge layers, which take two or more tensors in a Functional
 * graph: Add, Subtract (two), Multiply, Average, Maximum, Minimum (elementwise, all of one
 * shape) and Concatenate (on the last axis, axis=-1). The first tensor is the layer's input,
 * the others its aux inputs (struct clrnn_aux: the model sets their shapes before build and
 * their values and gradient buffers for each pass). Kernels in cl/merge.cl.
 */
#include <string.h>

#include "layer_interface.h"

enum merge_op { MERGE_ADD, MERGE_SUBTRACT, MERGE_MULTIPLY, MERGE_MAXIMUM, MERGE_MINIMUM,
                MERGE_AVERAGE, MERGE_CONCATENATE };

/* merge_into's op for each elementwise kind (cl/merge.cl); Average adds, then scales */
static const int KERNEL_OP[] = {0, 1, 2, 3, 4, 0, -1};

static const struct {
    const char *keras_class;
    enum merge_op op;
} KINDS[] = {{"Add", MERGE_ADD},         {"Subtract", MERGE_SUBTRACT},
             {"Multiply", MERGE_MULTIPLY}, {"Maximum", MERGE_MAXIMUM},
             {"Minimum", MERGE_MINIMUM}, {"Average", MERGE_AVERAGE},
             {"Concatenate", MERGE_CONCATENATE}};

struct merge_cfg {
    enum merge_op op;
};

static const char *const MERGE_SOURCES[] = {"merge.cl", NULL};

static clrnn_status merge_configure(struct clrnn_layer *l, const cJSON *c) {
    struct merge_cfg *m = l->cfg;
    for (size_t i = 0; i < sizeof KINDS / sizeof KINDS[0]; i++)
        if (strcmp(KINDS[i].keras_class, l->ops->keras_class) == 0) m->op = KINDS[i].op;
    if (m->op != MERGE_CONCATENATE) return CLRNN_OK;
    const cJSON *axis = cJSON_GetObjectItemCaseSensitive(c, "axis");
    if (axis && !(cJSON_IsNumber(axis) && axis->valueint == -1))
        return clrnn_fail(CLRNN_E_UNSUPPORTED, "layer '%s' (Concatenate): axis %s; clrnn joins "
                          "on the last axis only (axis=-1)", l->name,
                          cJSON_IsNumber(axis) ? "is not -1" : "is not a number");
    return CLRNN_OK;
}

/* The tensor k of the layer's inputs (0 its input, then its aux inputs). */
static const struct clrnn_shape *input_shape(const struct clrnn_layer *l, int k) {
    return k == 0 ? &l->in : &l->aux_in[k - 1].shape;
}

static clrnn_status merge_build(struct clrnn_layer *l) {
    const struct merge_cfg *m = l->cfg;
    char d[200], a[96], b[96];
    int n = 1 + l->n_aux_in;
    if (n < 2 || (m->op == MERGE_SUBTRACT && n != 2))
        return clrnn_fail(CLRNN_E_SHAPE, "%s takes %s tensors, but is given %d",
                          clrnn_layer_desc(l, d, sizeof d),
                          m->op == MERGE_SUBTRACT ? "exactly 2" : "2 or more", n);
    if (l->in_dtype != CLRNN_DTYPE_FLOAT32)
        return clrnn_fail(CLRNN_E_SHAPE, "%s needs float inputs", clrnn_layer_desc(l, d, sizeof d));
    l->out = l->in;
    for (int k = 1; k < n; k++) {
        const struct clrnn_shape *s = input_shape(l, k);
        int same = s->rank == l->in.rank;
        /* Concatenate: the same shape but for the last axis, which adds up */
        int last = m->op == MERGE_CONCATENATE ? l->in.rank - 1 : l->in.rank;
        for (int i = 0; same && i < last; i++) same = s->d[i] == l->in.d[i];
        if (!same)
            return clrnn_fail(CLRNN_E_SHAPE, "%s: input %d has shape %s, input 0 %s; %s",
                              clrnn_layer_desc(l, d, sizeof d), k,
                              clrnn_batch_shape_str(s, a, sizeof a),
                              clrnn_batch_shape_str(&l->in, b, sizeof b),
                              m->op == MERGE_CONCATENATE ? "they must agree but for the last "
                              "axis" : "they must be the same");
        if (m->op == MERGE_CONCATENATE) l->out.d[l->out.rank - 1] += clrnn_shape_last(s);
    }
    l->n_aux_out = 0;
    return CLRNN_OK;
}

static clrnn_status merge_alloc(struct clrnn_layer *l, clrnn_ctx *ctx, int max_batch) {
    clrnn_buf_release(&l->y);
    return clrnn_buf_create(ctx, (size_t)max_batch * (size_t)clrnn_shape_count(&l->out) * 4, &l->y);
}

static cl_mem input_val(const struct clrnn_layer *l, cl_mem x, int k) {
    return k == 0 ? x : l->aux_in[k - 1].val;
}

static clrnn_status launch(const struct clrnn_pass *p, const char *name, size_t n,
                           const struct clrnn_karg *args, int n_args) {
    cl_kernel k;
    clrnn_status s = clrnn_kernel_get(p->ctx, MERGE_SOURCES, "", name, &k);
    return s ? s : clrnn_launch_args(p->ctx, k, name, 1, &n, NULL, args, n_args);
}

/* Concatenate: input k's rows into, or out of, columns offset.. of the output's */
static clrnn_status concat_move(const struct clrnn_layer *l, const struct clrnn_pass *p,
                                const char *kernel, cl_mem dst, cl_mem src, int k,
                                cl_uint offset) {
    const struct clrnn_shape *s = input_shape(l, k);
    cl_ulong n = (cl_ulong)p->B * (cl_ulong)clrnn_shape_count(s);
    cl_uint width = (cl_uint)clrnn_shape_last(s), total = (cl_uint)clrnn_shape_last(&l->out);
    struct clrnn_karg args[] = {KARG(dst), KARG(src), KARG(n), KARG(width), KARG(total),
                                KARG(offset)};
    return launch(p, kernel, (size_t)n, args, 6);
}

static clrnn_status merge_forward(struct clrnn_layer *l, const struct clrnn_pass *p, cl_mem x) {
    const struct merge_cfg *m = l->cfg;
    int n_in = 1 + l->n_aux_in;
    clrnn_status s = CLRNN_OK;
    if (m->op == MERGE_CONCATENATE) {
        cl_uint offset = 0;
        for (int k = 0; !s && k < n_in; k++) {
            s = concat_move(l, p, "concat_put", l->y, input_val(l, x, k), k, offset);
            offset += (cl_uint)clrnn_shape_last(input_shape(l, k));
        }
        return s;
    }
    cl_ulong n = (cl_ulong)p->B * (cl_ulong)clrnn_shape_count(&l->out);
    cl_int op = KERNEL_OP[m->op];
    s = clrnn_buf_copy(p->ctx, x, 0, l->y, 0, (size_t)n * 4);
    for (int k = 1; !s && k < n_in; k++) {
        cl_mem xk = l->aux_in[k - 1].val;
        struct clrnn_karg args[] = {KARG(l->y), KARG(xk), KARG(n), KARG(op)};
        s = launch(p, "merge_into", (size_t)n, args, 4);
    }
    if (!s && m->op == MERGE_AVERAGE) {
        cl_float scale = 1.0f / (float)n_in;
        struct clrnn_karg args[] = {KARG(l->y), KARG(n), KARG(scale)};
        s = launch(p, "merge_scale", (size_t)n, args, 3);
    }
    return s;
}

/* The gradient of input k (dx, not NULL) from dy. */
static clrnn_status input_grad(struct clrnn_layer *l, const struct clrnn_pass *p, cl_mem x,
                               cl_mem dy, cl_mem dx, int k) {
    const struct merge_cfg *m = l->cfg;
    int n_in = 1 + l->n_aux_in;
    cl_ulong n = (cl_ulong)p->B * (cl_ulong)clrnn_shape_count(&l->out);
    cl_mem xk = input_val(l, x, k);
    clrnn_status s = CLRNN_OK;
    switch (m->op) {
    case MERGE_CONCATENATE: {
        cl_uint offset = 0;
        for (int j = 0; j < k; j++) offset += (cl_uint)clrnn_shape_last(input_shape(l, j));
        return concat_move(l, p, "concat_take", dx, dy, k, offset);
    }
    case MERGE_MAXIMUM:
    case MERGE_MINIMUM: {
        struct clrnn_karg pick[] = {KARG(dx), KARG(dy), KARG(l->y), KARG(xk), KARG(n)};
        s = launch(p, "merge_pick", (size_t)n, pick, 5);
        for (int j = 0; !s && j < k; j++) {
            cl_mem xj = input_val(l, x, j);
            struct clrnn_karg unpick[] = {KARG(dx), KARG(l->y), KARG(xj), KARG(n)};
            s = launch(p, "merge_unpick", (size_t)n, unpick, 4);
        }
        return s;
    }
    default:
        break;
    }
    s = clrnn_buf_copy(p->ctx, dy, 0, dx, 0, (size_t)n * 4);
    if (!s && m->op == MERGE_MULTIPLY) {
        cl_int op = KERNEL_OP[MERGE_MULTIPLY];
        for (int j = 0; !s && j < n_in; j++) {
            if (j == k) continue;
            cl_mem xj = input_val(l, x, j);
            struct clrnn_karg args[] = {KARG(dx), KARG(xj), KARG(n), KARG(op)};
            s = launch(p, "merge_into", (size_t)n, args, 4);
        }
    }
    float scale = m->op == MERGE_AVERAGE ? 1.0f / (float)n_in
                  : m->op == MERGE_SUBTRACT && k == 1 ? -1.0f : 1.0f;
    if (!s && scale != 1.0f) {
        cl_float sc = scale;
        struct clrnn_karg args[] = {KARG(dx), KARG(n), KARG(sc)};
        s = launch(p, "merge_scale", (size_t)n, args, 3);
    }
    return s;
}

static clrnn_status merge_backward(struct clrnn_layer *l, const struct clrnn_pass *p, cl_mem x,
                                   cl_mem dy, cl_mem dx) {
    clrnn_status s = dx ? input_grad(l, p, x, dy, dx, 0) : CLRNN_OK;
    for (int k = 1; !s && k <= l->n_aux_in; k++)
        if (l->aux_in[k - 1].grad) s = input_grad(l, p, x, dy, l->aux_in[k - 1].grad, k);
    return s;
}

static clrnn_status merge_config_json(const struct clrnn_layer *l, cJSON *o) {
    const struct merge_cfg *m = l->cfg;
    if (m->op == MERGE_CONCATENATE) cJSON_AddNumberToObject(o, "axis", -1);
    return CLRNN_OK;
}

#define MERGE_OPS(symbol, cls, spec)                                                          \
    const struct clrnn_layer_ops symbol = {                                                   \
        .keras_class = cls,                                                                   \
        .spec_name = spec,                                                                    \
        .cfg_size = sizeof(struct merge_cfg),                                                 \
        .configure = merge_configure,                                                         \
        .build = merge_build,                                                                 \
        .alloc = merge_alloc,                                                                 \
        .forward = merge_forward,                                                             \
        .backward = merge_backward,                                                           \
        .config_json = merge_config_json,                                                     \
        .takes_several = 1,                                                                   \
    }

MERGE_OPS(clrnn_layer_add, "Add", "add");
MERGE_OPS(clrnn_layer_subtract, "Subtract", "subtract");
MERGE_OPS(clrnn_layer_multiply, "Multiply", "multiply");
MERGE_OPS(clrnn_layer_average, "Average", "average");
MERGE_OPS(clrnn_layer_maximum, "Maximum", "maximum");
MERGE_OPS(clrnn_layer_minimum, "Minimum", "minimum");
MERGE_OPS(clrnn_layer_concatenate, "Concatenate", "concatenate");
