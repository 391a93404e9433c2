/*
 * lr_schedule.c - Keras's learning-rate schedules (keras.optimizers.schedules): the rate at
 * an optimizer step, computed in float32 as Keras computes it, and the schedule as Keras's
 * optimizer configs record it ({"class_name": "ExponentialDecay", "config": {...}} in the
 * optimizer's learning_rate).
 */
#include <math.h>
#include <string.h>

#include "clrnn_impl.h"

#define PI_F 3.14159265358979323846f

static float exponential_decay(const struct clrnn_lr_schedule *s, float lr, float step) {
    float p = step / (float)s->decay_steps;
    if (s->staircase) p = floorf(p);
    return lr * powf((float)s->decay_rate, p);
}

static float cosine(float from, float step, float decay_steps, float alpha) {
    float completed = step / decay_steps;
    float decayed = 0.5f * (1.0f + cosf(PI_F * completed));
    return from * ((1.0f - alpha) * decayed + alpha);
}

static float cosine_decay(const struct clrnn_lr_schedule *s, float lr, float step) {
    float decay_steps = (float)s->decay_steps, alpha = (float)s->alpha;
    if (!(s->warmup_steps > 0)) return cosine(lr, fminf(step, decay_steps), decay_steps, alpha);
    float warmup = (float)s->warmup_steps, target = (float)s->warmup_target;
    step = fminf(step, decay_steps + warmup);
    if (step < warmup) return (target - lr) * (step / warmup) + lr;
    return cosine(target, step - warmup, decay_steps, alpha);
}

double clrnn_optimizer_learning_rate_at(const struct clrnn_optimizer_config *c, long step) {
    float lr = (float)c->learning_rate, t = (float)step;
    switch (c->schedule.kind) {
    case CLRNN_LR_EXPONENTIAL_DECAY: return exponential_decay(&c->schedule, lr, t);
    case CLRNN_LR_COSINE_DECAY: return cosine_decay(&c->schedule, lr, t);
    case CLRNN_LR_CONSTANT: break;
    }
    return c->learning_rate;
}

static const char *schedule_class(clrnn_lr_schedule_kind k) {
    return k == CLRNN_LR_EXPONENTIAL_DECAY ? "ExponentialDecay" : "CosineDecay";
}

cJSON *clrnn_lr_schedule_json(const struct clrnn_optimizer_config *c) {
    const struct clrnn_lr_schedule *s = &c->schedule;
    if (s->kind == CLRNN_LR_CONSTANT) return cJSON_CreateNumber(c->learning_rate);
    cJSON *o = cJSON_CreateObject(), *cfg = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "module", "keras.optimizers.schedules");
    cJSON_AddStringToObject(o, "class_name", schedule_class(s->kind));
    cJSON_AddNumberToObject(cfg, "initial_learning_rate", c->learning_rate);
    cJSON_AddNumberToObject(cfg, "decay_steps", s->decay_steps);
    if (s->kind == CLRNN_LR_EXPONENTIAL_DECAY) {
        cJSON_AddNumberToObject(cfg, "decay_rate", s->decay_rate);
        cJSON_AddBoolToObject(cfg, "staircase", s->staircase);
    } else {
        cJSON_AddNumberToObject(cfg, "alpha", s->alpha);
        if (s->warmup_steps > 0) cJSON_AddNumberToObject(cfg, "warmup_target", s->warmup_target);
        else cJSON_AddNullToObject(cfg, "warmup_target");
        cJSON_AddNumberToObject(cfg, "warmup_steps", s->warmup_steps);
    }
    cJSON_AddStringToObject(cfg, "name", schedule_class(s->kind));
    cJSON_AddItemToObject(o, "config", cfg);
    cJSON_AddNullToObject(o, "registered_name");
    return o;
}

static int read_number(const cJSON *c, const char *key, double *v) {
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(c, key);
    if (cJSON_IsNumber(j)) *v = j->valuedouble;
    return cJSON_IsNumber(j);
}

clrnn_status clrnn_lr_schedule_parse(const cJSON *lr, struct clrnn_optimizer_config *c) {
    const cJSON *cls = cJSON_GetObjectItemCaseSensitive(lr, "class_name");
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(lr, "config");
    const char *name = cJSON_IsString(cls) ? cls->valuestring : "(no class_name)";
    struct clrnn_lr_schedule *s = &c->schedule;
    memset(s, 0, sizeof *s);
    if (strcmp(name, "ExponentialDecay") == 0) s->kind = CLRNN_LR_EXPONENTIAL_DECAY;
    else if (strcmp(name, "CosineDecay") == 0) s->kind = CLRNN_LR_COSINE_DECAY;
    else
        return clrnn_fail(CLRNN_E_UNSUPPORTED, "learning-rate schedule '%s' is not supported "
                          "(supported: ExponentialDecay, CosineDecay)", name);
    if (!read_number(cfg, "initial_learning_rate", &c->learning_rate) ||
        !read_number(cfg, "decay_steps", &s->decay_steps) || !(s->decay_steps > 0))
        return clrnn_fail(CLRNN_E_FORMAT, "learning-rate schedule %s: needs "
                          "initial_learning_rate and decay_steps > 0", name);
    if (s->kind == CLRNN_LR_EXPONENTIAL_DECAY) {
        if (!read_number(cfg, "decay_rate", &s->decay_rate))
            return clrnn_fail(CLRNN_E_FORMAT, "learning-rate schedule %s: needs decay_rate", name);
        s->staircase = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cfg, "staircase"));
    } else {
        read_number(cfg, "alpha", &s->alpha);
        read_number(cfg, "warmup_steps", &s->warmup_steps);
        if (!read_number(cfg, "warmup_target", &s->warmup_target)) s->warmup_steps = 0;
    }
    return CLRNN_OK;
}
