/*
 * layer_embedding.c - Embedding: token ids (B, T) -> vectors (B, T, D), Keras's
 * uniform(-0.05, 0.05) initializer. Ids are checked on the host before anything runs, so a
 * bad id is an error naming it, its sample and position, never a read out of bounds. The
 * backward pass groups the positions of each distinct id on the host, so repeated ids add
 * up in one fixed order: the same gradient on every run and device.
 *
 * Followed by a recurrent layer that takes its tokens (token_projection.c), the Embedding
 * leaves the lookup to that layer on the batches where the vocabulary is smaller than the
 * batch's positions: the layer projects the vocabulary and looks up the projected rows, and
 * its input gradient arrives here per vocabulary entry (input_dim, output_dim), the
 * embeddings' gradient itself. On other batches that repeat their ids enough
 * (distinct_pays), the layer projects the batch's distinct ids, whose embeddings this layer
 * gathers for it, and their gradient arrives here a row per distinct id, to be scattered.
 */

#include "embedding_rnn.h"

static const char *const EMB_SOURCES[] = {"embedding.cl", NULL};
static const char *const EMBEDDING_POSITIONAL[] = {"input_dim", "output_dim", NULL};

struct embedding_cfg {
    int input_dim, output_dim;
    int mask_zero; /* id 0 is padding: the output carries a mask of the other ids */
    clrnn_init_kind init;
    /* backward scratch: host and device copies of the grouping of positions by id */
    int *order, *starts, *rows, *count;
    cl_mem d_order, d_starts, d_rows;
    int capacity; /* positions the scratch holds */
    int grouped;  /* the grouping is this batch's (on the host) */
    int uploaded; /* and on the device */
    int n_rows;   /* distinct ids in it */
    /* GPU forms: ids with many positions summed in segments (segment_positions) */
    int n_segs; /* n_rows when no id needs cutting */
    int *seg_starts, *id_segs;
    cl_mem d_seg_starts, d_id_segs;
    /* token projection: the next layer takes the tokens (linked); how this batch (fused) */
    int linked;
    enum { NOT_PROJECTED, PROJECT_VOCABULARY, PROJECT_DISTINCT } fused;
    int *compact;     /* distinct ids: each position's index among them (host, device) */
    cl_mem d_compact;
    cl_mem ids;       /* the ids the projection is read with this batch, not owned */
    cl_mem vectors;   /* where the projected rows' embeddings are, not owned */
    cl_ulong vectors_off;
};

static clrnn_status embedding_configure(struct clrnn_layer *l, const cJSON *c) {
    struct embedding_cfg *e = l->cfg;
    e->init = CLRNN_INIT_UNIFORM_005;
    clrnn_status s;
    if ((s = clrnn_cfg_int(c, l->name, "input_dim", 1, 1, &e->input_dim)) ||
        (s = clrnn_cfg_int(c, l->name, "output_dim", 1, 1, &e->output_dim)) ||
        (s = clrnn_cfg_bool(c, l->name, "mask_zero", &e->mask_zero)) ||
        (s = clrnn_init_from_json(cJSON_GetObjectItemCaseSensitive(c, "embeddings_initializer"),
                                  l->name, "embeddings_initializer", &e->init)))
        return s;
    static const char *const nulls[] = {"embeddings_regularizer", "activity_regularizer",
                                        "embeddings_constraint"};
    for (size_t i = 0; i < sizeof nulls / sizeof *nulls; i++)
        if ((s = clrnn_cfg_must_be_null(c, l->name, nulls[i]))) return s;
    return CLRNN_OK;
}

static clrnn_status embedding_build(struct clrnn_layer *l) {
    struct embedding_cfg *e = l->cfg;
    char buf[96];
    if (l->in_dtype != CLRNN_DTYPE_INT32)
        return clrnn_fail(CLRNN_E_SHAPE, "layer '%s' (Embedding) takes integer token ids, but its "
                          "input is float (an Embedding must be the first layer, fed int32 ids)",
                          l->name);
    if (l->in.rank != 1)
        return clrnn_fail(CLRNN_E_SHAPE, "layer '%s' (Embedding) expects input (batch, steps), "
                          "found %s", l->name, clrnn_batch_shape_str(&l->in, buf, sizeof buf));
    l->out.rank = 2;
    l->out.d[0] = l->in.d[0];
    l->out.d[1] = e->output_dim;
    l->mask_out = e->mask_zero;
    int64_t d[2] = {e->input_dim, e->output_dim};
    clrnn_layer_add_weight(l, "embeddings", 2, d, e->init);
    return CLRNN_OK;
}

static clrnn_status embedding_check_input(const struct clrnn_layer *l,
                                          const struct clrnn_array *x, const char *what) {
    const struct embedding_cfg *e = l->cfg;
    const int32_t *ids = x->data;
    int64_t n = clrnn_array_count(x), T = x->rank > 1 ? x->dims[1] : 1;
    for (int64_t i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= e->input_dim)
            return clrnn_fail(CLRNN_E_SHAPE, "%s: token id %d at sample %lld, position %lld is "
                              "outside [0, %d) of layer '%s' (Embedding input_dim %d)", what,
                              ids[i], (long long)(i / T), (long long)(i % T), e->input_dim,
                              l->name, e->input_dim);
    return CLRNN_OK;
}

static void release_scratch(struct embedding_cfg *e) {
    clrnn_free(e->order), clrnn_free(e->starts), clrnn_free(e->rows), clrnn_free(e->count);
    clrnn_free(e->compact), clrnn_free(e->seg_starts), clrnn_free(e->id_segs);
    e->order = e->starts = e->rows = e->count = e->compact = e->seg_starts = e->id_segs = NULL;
    clrnn_buf_release(&e->d_seg_starts);
    clrnn_buf_release(&e->d_id_segs);
    clrnn_buf_release(&e->d_order);
    clrnn_buf_release(&e->d_starts);
    clrnn_buf_release(&e->d_rows);
    clrnn_buf_release(&e->d_compact);
    e->capacity = 0;
}

/* Batch rows the output buffer holds: all B, unless the next layer takes the tokens
 * (clrnn_embedding_link), which it does for every batch with more positions than vocabulary
 * entries; only smaller batches need the vectors looked up. */
static size_t output_rows(const struct clrnn_layer *l, int B) {
    const struct embedding_cfg *e = l->cfg;
    size_t T = (size_t)l->in.d[0], most_unfused = T ? (size_t)e->input_dim / T : (size_t)B;
    return e->linked && most_unfused < (size_t)B ? most_unfused : (size_t)B;
}

static clrnn_status embedding_alloc(struct clrnn_layer *l, clrnn_ctx *ctx, int B) {
    struct embedding_cfg *e = l->cfg;
    size_t n = (size_t)B * (size_t)l->in.d[0];
    release_scratch(e);
    clrnn_buf_release(&l->y);
    clrnn_buf_release(&l->mask_y);
    e->order = clrnn_malloc(n * sizeof(int));
    e->starts = clrnn_malloc((n + 1) * sizeof(int));
    e->rows = clrnn_malloc(n * sizeof(int));
    e->count = clrnn_calloc((size_t)e->input_dim, sizeof(int));
    if (!e->order || !e->starts || !e->rows || !e->count)
        return clrnn_fail(CLRNN_E_NOMEM, "out of memory for layer '%s'", l->name);
    e->capacity = (int)n;
    clrnn_status s;
    if ((s = clrnn_buf_create(ctx, n * sizeof(int), &e->d_order)) ||
        (s = clrnn_buf_create(ctx, (n + 1) * sizeof(int), &e->d_starts)) ||
        (s = clrnn_buf_create(ctx, n * sizeof(int), &e->d_rows)) ||
        (s = clrnn_buf_create(ctx, output_rows(l, B) * (size_t)l->in.d[0] * (size_t)e->output_dim *
                                       sizeof(float), &l->y)))
        return s;
    if (e->mask_zero && (s = clrnn_buf_create(ctx, n * sizeof(float), &l->mask_y))) return s;
    if (e->linked) {
        if (!(e->compact = clrnn_malloc(n * sizeof(int))))
            return clrnn_fail(CLRNN_E_NOMEM, "out of memory for layer '%s'", l->name);
        if ((s = clrnn_buf_create(ctx, n * sizeof(int), &e->d_compact))) return s;
    }
    return CLRNN_OK;
}

clrnn_status clrnn_embedding_gather(clrnn_ctx *ctx, cl_mem ids, int n, cl_mem table,
                                    cl_ulong off, int D, cl_mem out) {
    int rows_form = ctx->cpu_forms; /* a work-item a position on CPUs */
    const char *name = rows_form ? "embedding_fwd_rows" : "embedding_fwd";
    cl_kernel k;
    clrnn_status s = clrnn_kernel_get(ctx, EMB_SOURCES, "", name, &k);
    if (s) return s;
    size_t g = (size_t)n, l = 0;
    if (!rows_form && (s = clrnn_element_shape(ctx, k, name, (size_t)n * (size_t)D, &g, &l)))
        return s;
    return CLRNN_LAUNCH(ctx, k, name, 1, &g, rows_form ? NULL : &l, KARG(ids),
                        KARG(table), KARG(off), KARG(out), KARG(n), KARG(D));
}

/* (CLRNN_FUSE_EMBEDDING=0 links nothing: model.c) */
int clrnn_embedding_fused(const struct clrnn_layer *emb, int B) {
    const struct embedding_cfg *e = emb->cfg;
    return e->linked && (int64_t)e->input_dim < (int64_t)B * emb->in.d[0];
}

void clrnn_embedding_link(struct clrnn_layer *emb) { ((struct embedding_cfg *)emb->cfg)->linked = 1; }

cl_mem clrnn_embedding_ids(const struct clrnn_layer *emb) {
    return ((const struct embedding_cfg *)emb->cfg)->ids;
}

static void group_on_host(struct clrnn_layer *l, const struct clrnn_pass *p);
static clrnn_status group_positions(struct clrnn_layer *l, const struct clrnn_pass *p);

/* Whether the linked recurrent layer projects this batch's distinct ids rather than its
 * positions. Each position not needing a row spares a row of three GEMMs (the projection,
 * dK and dE), but every position then costs a copy of its projected row and a sum by id of
 * its gradient (GU floats each) instead of its embedding's (I floats): it pays where at most
 * half the positions are distinct, as in text (docs/performance.md). */
static int distinct_pays(int n_rows, int positions) {
    return (int64_t)n_rows * 2 <= (int64_t)positions;
}

/* The distinct-id projection: each position's index among the batch's distinct ids (the
 * recurrent layer reads the projection through them), and those ids' embeddings gathered
 * into the output buffer (at most B*T rows, which the projection no longer needs) */
static clrnn_status project_distinct(struct clrnn_layer *l, const struct clrnn_pass *p) {
    struct embedding_cfg *e = l->cfg;
    int n = p->B * (int)l->in.d[0];
    for (int u = 0; u < e->n_rows; u++)
        for (int k = e->starts[u]; k < e->starts[u + 1]; k++) e->compact[e->order[k]] = u;
    clrnn_status s =
        clrnn_buf_upload(p->ctx, e->d_compact, 0, (size_t)n * sizeof(int), e->compact);
    if (!s)
        s = clrnn_embedding_gather(p->ctx, e->d_rows, e->n_rows, p->params, l->w[0].offset,
                                   e->output_dim, l->y);
    e->ids = e->d_compact;
    e->vectors = l->y;
    e->vectors_off = 0;
    return s;
}

static clrnn_status embedding_forward(struct clrnn_layer *l, const struct clrnn_pass *p, cl_mem x) {
    struct embedding_cfg *e = l->cfg;
    int n = p->B * (int)l->in.d[0];
    e->ids = x;
    e->vectors = p->params;
    e->vectors_off = l->w[0].offset;
    e->grouped = 0;
    e->fused = clrnn_embedding_fused(l, p->B) ? PROJECT_VOCABULARY : NOT_PROJECTED;
    clrnn_status s = CLRNN_OK;
    if (e->linked && !e->fused && n >= 2) { /* (a generating step's one position: never) */
        group_on_host(l, p);
        if (distinct_pays(e->n_rows, n)) {
            e->fused = PROJECT_DISTINCT;
            if (!(s = group_positions(l, p))) s = project_distinct(l, p);
        }
    }
    if (!s && !e->fused) /* else the next layer looks up its projected tokens itself */
        s = clrnn_embedding_gather(p->ctx, x, n, p->params, l->w[0].offset, e->output_dim, l->y);
    if (s || !e->mask_zero) return s;
    size_t gm = (size_t)n;
    cl_kernel k;
    if ((s = clrnn_kernel_get(p->ctx, EMB_SOURCES, "", "embedding_mask", &k))) return s;
    return CLRNN_LAUNCH(p->ctx, k, "embedding_mask", 1, &gm, NULL, KARG(x), KARG(l->mask_y),
                        KARG(n));
}

/* Groups this batch's positions by id on the host (once a batch): e->order, starts, rows,
 * e->n_rows distinct ids. */
static void group_on_host(struct clrnn_layer *l, const struct clrnn_pass *p) {
    struct embedding_cfg *e = l->cfg;
    if (e->grouped) return;
    const int32_t *ids = p->x_host;
    int n = p->B * (int)l->in.d[0];
    /* counting sort of the positions by id, stable, so each id's positions stay in order */
    int n_rows = 0;
    for (int i = 0; i < n; i++)
        if (e->count[ids[i]]++ == 0) n_rows++;
    /* distinct ids in ascending order, for a layout that does not depend on the batch order */
    int *c = e->count;
    for (int v = 0, r = 0; v < e->input_dim && r < n_rows; v++)
        if (c[v]) e->rows[r++] = v;
    e->starts[0] = 0;
    for (int r = 0; r < n_rows; r++) {
        e->starts[r + 1] = e->starts[r] + c[e->rows[r]];
        c[e->rows[r]] = e->starts[r]; /* now the next free slot of that id */
    }
    for (int i = 0; i < n; i++) e->order[c[ids[i]]++] = i;
    for (int r = 0; r < n_rows; r++) c[e->rows[r]] = 0;
    e->n_rows = n_rows;
    e->grouped = 1;
    e->uploaded = 0;
}

/* Positions a work-item of the GPU form adds up at most. An id with more (padding, in padded
 * text, can hold half of a batch's positions: ~100k at 512 x 500) would be one work-item's
 * chain of ~100k dependent loads, so its positions are cut into segments of this many, each
 * summed by its own work-items into the GEMM scratch, then the segments' sums added in
 * order (embedding_sum_segments). */
#define SEGMENT_POSITIONS 256

/* The segments of the batch's grouping (seg_starts: where each begins in order; id_segs: each
 * id's first segment), uploaded, and their number in n_segs (n_rows when no id needs
 * cutting). */
static clrnn_status segment_positions(struct embedding_cfg *e, clrnn_ctx *ctx) {
    int cut = 0;
    e->n_segs = e->n_rows;
    for (int u = 0; u < e->n_rows && !cut; u++)
        cut = e->starts[u + 1] - e->starts[u] > SEGMENT_POSITIONS;
    if (!cut) return CLRNN_OK;
    size_t cap = (size_t)e->capacity + 1;
    clrnn_status s;
    /* made once for the batch size, each where a failed earlier attempt left it missing */
    if (!e->seg_starts) e->seg_starts = clrnn_malloc(cap * sizeof(int));
    if (!e->id_segs) e->id_segs = clrnn_malloc(cap * sizeof(int));
    if (!e->seg_starts || !e->id_segs)
        return clrnn_fail(CLRNN_E_NOMEM, "out of memory grouping an Embedding's ids");
    if ((!e->d_seg_starts && (s = clrnn_buf_create(ctx, cap * sizeof(int), &e->d_seg_starts))) ||
        (!e->d_id_segs && (s = clrnn_buf_create(ctx, cap * sizeof(int), &e->d_id_segs))))
        return s;
    int n = 0;
    for (int u = 0; u < e->n_rows; u++) {
        e->id_segs[u] = n;
        for (int k = e->starts[u]; k < e->starts[u + 1]; k += SEGMENT_POSITIONS)
            e->seg_starts[n++] = k;
    }
    e->id_segs[e->n_rows] = n;
    e->seg_starts[n] = e->starts[e->n_rows];
    e->n_segs = n;
    if ((s = clrnn_buf_upload(ctx, e->d_seg_starts, 0, (size_t)(n + 1) * sizeof(int),
                              e->seg_starts)))
        return s;
    return clrnn_buf_upload(ctx, e->d_id_segs, 0, (size_t)(e->n_rows + 1) * sizeof(int),
                            e->id_segs);
}

/* The grouping on the host and the device */
static clrnn_status group_positions(struct clrnn_layer *l, const struct clrnn_pass *p) {
    struct embedding_cfg *e = l->cfg;
    group_on_host(l, p);
    if (e->uploaded) return CLRNN_OK;
    int n = p->B * (int)l->in.d[0];
    clrnn_status s;
    if ((s = clrnn_buf_upload(p->ctx, e->d_order, 0, (size_t)n * sizeof(int), e->order)) ||
        (s = clrnn_buf_upload(p->ctx, e->d_starts, 0, (size_t)(e->n_rows + 1) * sizeof(int),
                              e->starts)) ||
        (s = clrnn_buf_upload(p->ctx, e->d_rows, 0, (size_t)e->n_rows * sizeof(int), e->rows)) ||
        (!p->ctx->cpu_forms && (s = segment_positions(e, p->ctx))))
        return s;
    e->uploaded = 1;
    return CLRNN_OK;
}

clrnn_status clrnn_embedding_sum_by_id(struct clrnn_layer *emb, const struct clrnn_pass *p,
                                       cl_mem dy, int D, int time_major, int backwards,
                                       cl_mem out, cl_ulong off) {
    struct embedding_cfg *e = emb->cfg;
    clrnn_ctx *ctx = p->ctx;
    int rows_form = ctx->cpu_forms; /* a work-item an id on CPUs */
    const char *name = rows_form ? "embedding_bwd_rows" : "embedding_bwd";
    int compact = e->fused == PROJECT_DISTINCT;
    int tB = time_major ? p->B : 0, tT = (int)emb->in.d[0];
    clrnn_status s;
    cl_kernel k, ks;
    if ((s = group_positions(emb, p))) return s;
    int n_segs = rows_form ? e->n_rows : e->n_segs;
    size_t out_rows = compact ? (size_t)e->n_rows : (size_t)e->input_dim;
    if ((s = clrnn_buf_fill_zero(ctx, out, off * sizeof(float),
                                 out_rows * (size_t)D * sizeof(float))) ||
        (s = clrnn_kernel_get(ctx, EMB_SOURCES, "", name, &k)))
        return s;
    size_t g = (size_t)e->n_rows, l = 0, gs, ls, gi, li;
    if (rows_form || n_segs == e->n_rows) {
        if (!rows_form && (s = clrnn_element_shape(ctx, k, name, g * (size_t)D, &g, &l)))
            return s;
        return CLRNN_LAUNCH(ctx, k, name, 1, &g, rows_form ? NULL : &l, KARG(dy),
                            KARG(e->d_order), KARG(e->d_starts), KARG(e->d_rows), KARG(e->n_rows),
                            KARG(out), KARG(off), KARG(D), KARG(compact), KARG(tB), KARG(tT),
                            KARG(backwards));
    }
    /* the segments' sums into the scratch (as the compact rows of n_segs ids), then by id */
    cl_ulong zero = 0;
    int one = 1;
    if ((s = clrnn_gemm_scratch(ctx, (size_t)n_segs * (size_t)D * sizeof(float))) ||
        (s = clrnn_kernel_get(ctx, EMB_SOURCES, "", "embedding_sum_segments", &ks)) ||
        (s = clrnn_element_shape(ctx, k, name, (size_t)n_segs * (size_t)D, &gs, &ls)) ||
        (s = clrnn_element_shape(ctx, ks, "embedding_sum_segments", g * (size_t)D, &gi, &li)) ||
        (s = CLRNN_LAUNCH(ctx, k, name, 1, &gs, &ls, KARG(dy), KARG(e->d_order),
                          KARG(e->d_seg_starts), KARG(e->d_rows), KARG(n_segs),
                          KARG(ctx->gemm_scratch), KARG(zero), KARG(D), KARG(one), KARG(tB),
                          KARG(tT), KARG(backwards))))
        return s;
    return CLRNN_LAUNCH(ctx, ks, "embedding_sum_segments", 1, &gi, &li, KARG(ctx->gemm_scratch),
                        KARG(e->d_id_segs), KARG(e->d_rows), KARG(e->n_rows), KARG(out),
                        KARG(off), KARG(D), KARG(compact));
}

int clrnn_embedding_projection(const struct clrnn_layer *emb, cl_mem *vectors,
                               cl_ulong *vectors_off) {
    const struct embedding_cfg *e = emb->cfg;
    if (vectors) *vectors = e->vectors;
    if (vectors_off) *vectors_off = e->vectors_off;
    return e->fused == PROJECT_VOCABULARY ? e->input_dim
         : e->fused == PROJECT_DISTINCT   ? e->n_rows
                                          : 0;
}

/* dE = zeros but the batch's distinct ids' rows, dy (n_rows, D) in their order */
static clrnn_status scatter_distinct(struct clrnn_layer *l, const struct clrnn_pass *p,
                                     cl_mem dy) {
    struct embedding_cfg *e = l->cfg;
    cl_kernel k;
    size_t g = (size_t)e->n_rows;
    cl_ulong off = l->w[0].offset;
    clrnn_status s;
    if ((s = clrnn_buf_fill_zero(p->ctx, p->grads, off * sizeof(float),
                                 l->w[0].count * sizeof(float))) ||
        (s = clrnn_kernel_get(p->ctx, EMB_SOURCES, "", "embedding_scatter_rows", &k)))
        return s;
    return CLRNN_LAUNCH(p->ctx, k, "embedding_scatter_rows", 1, &g, NULL, KARG(dy),
                        KARG(e->d_rows), KARG(e->n_rows), KARG(p->grads), KARG(off),
                        KARG(e->output_dim));
}

static clrnn_status embedding_backward(struct clrnn_layer *l, const struct clrnn_pass *p,
                                       cl_mem x, cl_mem dy, cl_mem dx) {
    struct embedding_cfg *e = l->cfg;
    (void)x;
    (void)dx; /* token ids have no gradient */
    if (e->fused == PROJECT_VOCABULARY) /* dy is the embeddings' gradient already */
        return clrnn_buf_copy(p->ctx, dy, 0, p->grads, l->w[0].offset * sizeof(float),
                              l->w[0].count * sizeof(float));
    if (e->fused == PROJECT_DISTINCT) /* dy is the gradient of the distinct ids' rows */
        return scatter_distinct(l, p, dy);
    return clrnn_embedding_sum_by_id(l, p, dy, e->output_dim, 0, 0, p->grads, l->w[0].offset);
}

static clrnn_status embedding_config_json(const struct clrnn_layer *l, cJSON *o) {
    const struct embedding_cfg *e = l->cfg;
    cJSON_AddNumberToObject(o, "input_dim", e->input_dim);
    cJSON_AddNumberToObject(o, "output_dim", e->output_dim);
    cJSON_AddItemToObject(o, "embeddings_initializer", clrnn_init_to_json(e->init));
    cJSON_AddNullToObject(o, "embeddings_regularizer");
    cJSON_AddNullToObject(o, "activity_regularizer");
    cJSON_AddNullToObject(o, "embeddings_constraint");
    cJSON_AddBoolToObject(o, "mask_zero", e->mask_zero);
    return CLRNN_OK;
}

static void embedding_release(struct clrnn_layer *l) { release_scratch(l->cfg); }

const struct clrnn_layer_ops clrnn_layer_embedding = {
    .keras_class = "Embedding",
    .spec_name = "embedding",
    .positional = EMBEDDING_POSITIONAL,
    .cfg_size = sizeof(struct embedding_cfg),
    .configure = embedding_configure,
    .build = embedding_build,
    .alloc = embedding_alloc,
    .forward = embedding_forward,
    .backward = embedding_backward,
    .check_input = embedding_check_input,
    .config_json = embedding_config_json,
    .release = embedding_release,
};
