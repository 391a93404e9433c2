/*
 * optim.c - SGD, RMSprop and Adam with Keras's defaults and Keras 3's update rules, over the
 * packed parameters (one kernel launch per step), with Keras's clipnorm (per weight) and
 * global_clipnorm (all weights together).
 */
#include <ctype.h>
#include <math.h>
#include <string.h>

#include "model_impl.h"

static const char *const OPTIM_SOURCES[] = {"optim.cl", NULL};

struct clrnn_optim {
    struct clrnn_optimizer_config cfg;
    long iterations;       /* steps taken, Keras's optimizer.iterations */
    cl_mem s1, s2, s3;     /* state in the packed layout; NULL when not needed */
    cl_mem sumsq;          /* one float per weight, for clipping */
    int n_weights;
};

struct clrnn_optimizer_config clrnn_optimizer_default(clrnn_optimizer_kind kind) {
    struct clrnn_optimizer_config c;
    memset(&c, 0, sizeof c);
    c.kind = kind;
    c.learning_rate = kind == CLRNN_OPT_SGD ? 0.01 : 0.001;
    c.rho = 0.9;
    c.beta_1 = 0.9;
    c.beta_2 = 0.999;
    c.epsilon = 1e-7;
    return c;
}

clrnn_status clrnn_optimizer_from_name(const char *name, struct clrnn_optimizer_config *out) {
    char lower[32];
    size_t n = strlen(name);
    if (n >= sizeof lower) n = sizeof lower - 1;
    for (size_t i = 0; i < n; i++) lower[i] = (char)tolower((unsigned char)name[i]);
    lower[n] = '\0';
    if (strcmp(lower, "sgd") == 0) *out = clrnn_optimizer_default(CLRNN_OPT_SGD);
    else if (strcmp(lower, "rmsprop") == 0) *out = clrnn_optimizer_default(CLRNN_OPT_RMSPROP);
    else if (strcmp(lower, "adam") == 0) *out = clrnn_optimizer_default(CLRNN_OPT_ADAM);
    else
        return clrnn_fail(CLRNN_E_UNSUPPORTED, "optimizer '%s' is not supported (supported: sgd, "
                          "rmsprop, adam)", name);
    return CLRNN_OK;
}

clrnn_status clrnn_optim_create(clrnn_ctx *ctx, const struct clrnn_optimizer_config *cfg,
                                const clrnn_model *m, struct clrnn_optim **out) {
    if (!(cfg->learning_rate >= 0) || !(cfg->epsilon >= 0) || cfg->momentum < 0 ||
        cfg->clipnorm < 0 || cfg->global_clipnorm < 0)
        return clrnn_fail(CLRNN_E_INVALID_ARG, "optimizer: learning rate, epsilon, momentum and "
                          "clip norms must not be negative");
    const struct clrnn_lr_schedule *sch = &cfg->schedule;
    if (sch->kind != CLRNN_LR_CONSTANT &&
        (!(sch->decay_steps > 0) || sch->alpha < 0 || sch->warmup_steps < 0 ||
         (sch->kind == CLRNN_LR_EXPONENTIAL_DECAY && !(sch->decay_rate > 0))))
        return clrnn_fail(CLRNN_E_INVALID_ARG, "learning-rate schedule: decay_steps and "
                          "decay_rate must be positive, alpha and warmup_steps not negative");
    if (cfg->clipnorm > 0 && cfg->global_clipnorm > 0)
        return clrnn_fail(CLRNN_E_INVALID_ARG, "optimizer: set clipnorm or global_clipnorm, not "
                          "both (as in Keras)");
    struct clrnn_optim *o = clrnn_calloc(1, sizeof *o);
    if (!o) return clrnn_fail(CLRNN_E_NOMEM, "out of memory creating the optimizer");
    o->cfg = *cfg;
    o->n_weights = clrnn_model_weight_count(m);
    size_t bytes = m->n_params * sizeof(float);
    int need1 = cfg->kind != CLRNN_OPT_SGD || cfg->momentum != 0;
    int need2 = cfg->kind == CLRNN_OPT_ADAM || (cfg->kind == CLRNN_OPT_RMSPROP && cfg->momentum > 0);
    int need3 = cfg->kind == CLRNN_OPT_RMSPROP && cfg->centered;
    clrnn_status s = CLRNN_OK;
    /* unused state buffers still get a tiny allocation: kernels take every argument */
    if (!s) s = clrnn_buf_create(ctx, need1 ? bytes : 4, &o->s1);
    if (!s) s = clrnn_buf_create(ctx, need2 ? bytes : 4, &o->s2);
    if (!s) s = clrnn_buf_create(ctx, need3 ? bytes : 4, &o->s3);
    if (!s) s = clrnn_buf_create(ctx, (size_t)(o->n_weights + 1) * sizeof(float), &o->sumsq);
    if (!s && need1) s = clrnn_buf_fill_zero(ctx, o->s1, 0, bytes);
    if (!s && need2) s = clrnn_buf_fill_zero(ctx, o->s2, 0, bytes);
    if (!s && need3) s = clrnn_buf_fill_zero(ctx, o->s3, 0, bytes);
    if (s) {
        clrnn_optim_free(o);
        return s;
    }
    *out = o;
    return CLRNN_OK;
}

void clrnn_optim_free(struct clrnn_optim *o) {
    if (!o) return;
    clrnn_buf_release(&o->s1);
    clrnn_buf_release(&o->s2);
    clrnn_buf_release(&o->s3);
    clrnn_buf_release(&o->sumsq);
    clrnn_free(o);
}

/* optim.cl's kernels, built with the device's reduction lanes (one program for all) */
static clrnn_status optim_kernel(clrnn_ctx *ctx, const char *name, cl_kernel *k) {
    char opts[32];
    clrnn_reduce_lanes(ctx, opts, sizeof opts);
    return clrnn_kernel_get(ctx, OPTIM_SOURCES, opts, name, k);
}

static clrnn_status clip(struct clrnn_optim *o, clrnn_model *m) {
    double norm = o->cfg.clipnorm > 0 ? o->cfg.clipnorm : o->cfg.global_clipnorm;
    if (!(norm > 0)) return CLRNN_OK;
    clrnn_ctx *ctx = m->ctx;
    cl_kernel ksq, kclip;
    char opts[32];
    size_t lanes = clrnn_reduce_lanes(ctx, opts, sizeof opts);
    clrnn_status s = optim_kernel(ctx, "optim_sumsq", &ksq);
    if (!s) s = optim_kernel(ctx, "optim_clip", &kclip);
    if (s) return s;
    int n_w = o->n_weights, global = o->cfg.global_clipnorm > 0;
    float clipf = (float)norm;
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < n_w; i++) {
            struct clrnn_weight_info w;
            if ((s = clrnn_model_weight(m, i, &w))) return s;
            cl_ulong off = w.offset, n = w.count;
            if (pass == 0) {
                s = CLRNN_LAUNCH(ctx, ksq, "optim_sumsq", 1, &lanes, &lanes, KARG(m->grads),
                                 KARG(off), KARG(n), KARG(o->sumsq), KARG(i));
            } else {
                int first = global ? 0 : i, count = global ? n_w : 1;
                size_t g = w.count;
                s = CLRNN_LAUNCH(ctx, kclip, "optim_clip", 1, &g, NULL, KARG(m->grads), KARG(off),
                                 KARG(n), KARG(o->sumsq), KARG(first), KARG(count), KARG(clipf));
            }
            if (s) return s;
        }
    }
    return CLRNN_OK;
}

clrnn_status clrnn_optim_step(struct clrnn_optim *o, clrnn_model *m) {
    clrnn_status s = clip(o, m);
    if (s) return s;
    clrnn_ctx *ctx = m->ctx;
    const struct clrnn_optimizer_config *c = &o->cfg;
    cl_ulong off = 0, n = m->n_params;
    size_t g = m->n_params;
    float lr = (float)clrnn_optimizer_learning_rate_at(c, o->iterations);
    cl_kernel k;
    if (c->kind == CLRNN_OPT_SGD) {
        if ((s = optim_kernel(ctx, "optim_sgd", &k))) return s;
        float mom = (float)c->momentum;
        int nesterov = c->nesterov;
        s = CLRNN_LAUNCH(ctx, k, "optim_sgd", 1, &g, NULL, KARG(m->params), KARG(m->grads),
                         KARG(o->s1), KARG(off), KARG(n), KARG(lr), KARG(mom), KARG(nesterov));
    } else if (c->kind == CLRNN_OPT_RMSPROP) {
        if ((s = optim_kernel(ctx, "optim_rmsprop", &k))) return s;
        float rho = (float)c->rho, mom = (float)c->momentum, eps = (float)c->epsilon;
        int centered = c->centered;
        s = CLRNN_LAUNCH(ctx, k, "optim_rmsprop", 1, &g, NULL, KARG(m->params), KARG(m->grads),
                         KARG(o->s1), KARG(o->s2), KARG(o->s3), KARG(off), KARG(n), KARG(lr),
                         KARG(rho), KARG(mom), KARG(eps), KARG(centered));
    } else {
        if ((s = optim_kernel(ctx, "optim_adam", &k))) return s;
        /* Keras computes the bias correction in float32 from the float32 betas */
        float b1 = (float)c->beta_1, b2 = (float)c->beta_2, eps = (float)c->epsilon;
        float t = (float)(o->iterations + 1);
        float alpha = lr * sqrtf(1.0f - powf(b2, t)) / (1.0f - powf(b1, t));
        s = CLRNN_LAUNCH(ctx, k, "optim_adam", 1, &g, NULL, KARG(m->params), KARG(m->grads),
                         KARG(o->s1), KARG(o->s2), KARG(off), KARG(n), KARG(alpha), KARG(b1),
                         KARG(b2), KARG(eps));
    }
    if (!s) o->iterations++;
    return s;
}

/* Keras 3 builds its slots in this order (optimizer.variables after iteration and
 * learning_rate): SGD momentum per weight; RMSprop every velocity, then every momentum,
 * then every average gradient; Adam momentum and velocity of each weight in turn. */
int clrnn_optim_variables(const struct clrnn_optim *o, struct clrnn_optim_var *out) {
    const struct clrnn_optimizer_config *c = &o->cfg;
    int n = 0, W = o->n_weights;
    if (c->kind == CLRNN_OPT_SGD && c->momentum != 0) {
        for (int w = 0; w < W; w++) out[n++] = (struct clrnn_optim_var){"momentum", w, 1};
    } else if (c->kind == CLRNN_OPT_RMSPROP) {
        for (int w = 0; w < W; w++) out[n++] = (struct clrnn_optim_var){"velocity", w, 1};
        for (int w = 0; c->momentum > 0 && w < W; w++)
            out[n++] = (struct clrnn_optim_var){"momentum", w, 2};
        for (int w = 0; c->centered && w < W; w++)
            out[n++] = (struct clrnn_optim_var){"average_gradient", w, 3};
    } else if (c->kind == CLRNN_OPT_ADAM) {
        for (int w = 0; w < W; w++) {
            out[n++] = (struct clrnn_optim_var){"momentum", w, 1};
            out[n++] = (struct clrnn_optim_var){"velocity", w, 2};
        }
    }
    return n;
}

static cl_mem slot_buffer(const struct clrnn_optim *o, int slot) {
    return slot == 1 ? o->s1 : slot == 2 ? o->s2 : o->s3;
}

clrnn_status clrnn_optim_read_slot(const struct clrnn_optim *o, clrnn_ctx *ctx, int slot,
                                   size_t n_params, float *host) {
    return clrnn_buf_read(ctx, slot_buffer(o, slot), 0, n_params * sizeof(float), host);
}

clrnn_status clrnn_optim_write_slot(struct clrnn_optim *o, clrnn_ctx *ctx, int slot,
                                    size_t n_params, const float *host) {
    return clrnn_buf_write(ctx, slot_buffer(o, slot), 0, n_params * sizeof(float), host);
}

long clrnn_optim_iterations(const struct clrnn_optim *o) { return o->iterations; }

void clrnn_optim_restore_counters(struct clrnn_optim *o, long iterations, double learning_rate) {
    o->iterations = iterations;
    o->cfg.learning_rate = learning_rate;
}
