/*
 * train_schedule.c - the learning rate over training: --lr-schedule parsed into the
 * library's schedule, and Keras's ReduceLROnPlateau as Keras 3 runs it
 * (keras/src/callbacks/reduce_lr_on_plateau.py: the rate read as float32, multiplied by the
 * factor, never below min_lr).
 */
#include "train_schedule.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Splits "name(k=v,k=v)" or "k=v,k=v" (name NULL) into calls of take(key, value). */
static void each_setting(const char *flag, const char *spec, char *name, size_t name_size,
                         void (*take)(const char *flag, const char *key, const char *value,
                                      void *user),
                         void *user) {
    char buf[512];
    if (strlen(spec) >= sizeof buf) cli_usage_error("%s: too long", flag);
    strcpy(buf, spec);
    char *args = buf;
    if (name) {
        char *open = strchr(buf, '('), *close = strrchr(buf, ')');
        if (!open || !close || close < open || close[1])
            cli_usage_error("%s '%s': give NAME(key=value,...)", flag, spec);
        *open = *close = '\0';
        if (strlen(buf) >= name_size) cli_usage_error("%s '%s': unknown schedule", flag, spec);
        strcpy(name, buf);
        args = open + 1;
    }
    for (char *item = strtok(args, ","); item; item = strtok(NULL, ",")) {
        while (*item == ' ') item++;
        char *eq = strchr(item, '=');
        if (!eq) cli_usage_error("%s: '%s' is not key=value", flag, item);
        *eq = '\0';
        take(flag, item, eq + 1, user);
    }
}

static double number(const char *flag, const char *key, const char *value) {
    char *end;
    double v = strtod(value, &end);
    if (end == value || *end || !isfinite(v))
        cli_usage_error("%s: %s=%s is not a number", flag, key, value);
    return v;
}

static int boolean(const char *flag, const char *key, const char *value) {
    if (strcmp(value, "true") == 0 || strcmp(value, "True") == 0) return 1;
    if (strcmp(value, "false") == 0 || strcmp(value, "False") == 0) return 0;
    cli_usage_error("%s: %s=%s: give true or false", flag, key, value);
    return 0;
}

struct schedule_parse {
    struct clrnn_lr_schedule *s;
    double *initial_lr;
    int has_warmup_target;
};

static void take_schedule(const char *flag, const char *key, const char *value, void *user) {
    struct schedule_parse *p = user;
    struct clrnn_lr_schedule *s = p->s;
    int exponential = s->kind == CLRNN_LR_EXPONENTIAL_DECAY;
    if (strcmp(key, "initial_learning_rate") == 0) *p->initial_lr = number(flag, key, value);
    else if (strcmp(key, "decay_steps") == 0) s->decay_steps = number(flag, key, value);
    else if (exponential && strcmp(key, "decay_rate") == 0) s->decay_rate = number(flag, key, value);
    else if (exponential && strcmp(key, "staircase") == 0) s->staircase = boolean(flag, key, value);
    else if (!exponential && strcmp(key, "alpha") == 0) s->alpha = number(flag, key, value);
    else if (!exponential && strcmp(key, "warmup_target") == 0) {
        s->warmup_target = number(flag, key, value);
        p->has_warmup_target = 1;
    } else if (!exponential && strcmp(key, "warmup_steps") == 0)
        s->warmup_steps = number(flag, key, value);
    else
        cli_usage_error("%s: unknown key '%s' (%s)", flag, key,
                        exponential ? "decay_steps, decay_rate, staircase, initial_learning_rate"
                                    : "decay_steps, alpha, warmup_target, warmup_steps, "
                                      "initial_learning_rate");
}

void lr_schedule_parse(const char *spec, struct clrnn_lr_schedule *out, double *initial_lr) {
    static const char *const flag = "--lr-schedule";
    char name[64];
    memset(out, 0, sizeof *out);
    /* the kind comes first: the keys depend on it */
    const char *open = strchr(spec, '(');
    size_t n = open ? (size_t)(open - spec) : strlen(spec);
    if ((n == 17 && strncmp(spec, "exponential_decay", n) == 0) ||
        (n == 16 && strncmp(spec, "ExponentialDecay", n) == 0))
        out->kind = CLRNN_LR_EXPONENTIAL_DECAY;
    else if ((n == 12 && strncmp(spec, "cosine_decay", n) == 0) ||
             (n == 11 && strncmp(spec, "CosineDecay", n) == 0))
        out->kind = CLRNN_LR_COSINE_DECAY;
    else
        cli_usage_error("%s '%s': give exponential_decay(...) or cosine_decay(...)", flag, spec);
    struct schedule_parse p = {out, initial_lr, 0};
    each_setting(flag, spec, name, sizeof name, take_schedule, &p);
    if (!(out->decay_steps > 0)) cli_usage_error("%s: give decay_steps above 0", flag);
    if (out->kind == CLRNN_LR_EXPONENTIAL_DECAY && !(out->decay_rate > 0))
        cli_usage_error("%s: give decay_rate above 0", flag);
    if (out->kind == CLRNN_LR_COSINE_DECAY && (out->warmup_steps > 0) != p.has_warmup_target)
        cli_usage_error("%s: warmup_target and warmup_steps go together", flag);
}

static void take_reduce(const char *flag, const char *key, const char *value, void *user) {
    struct reduce_lr *r = user;
    if (strcmp(key, "factor") == 0) r->factor = number(flag, key, value);
    else if (strcmp(key, "patience") == 0) r->patience = cli_long(flag, value, 0, 1000000);
    else if (strcmp(key, "min_delta") == 0) r->min_delta = fabs(number(flag, key, value));
    else if (strcmp(key, "cooldown") == 0) r->cooldown = cli_long(flag, value, 0, 1000000);
    else if (strcmp(key, "min_lr") == 0) r->min_lr = number(flag, key, value);
    else
        cli_usage_error("%s: unknown key '%s' (factor, patience, min_delta, cooldown, min_lr)",
                        flag, key);
}

int monitor_higher_is_better(const char *monitor) { return strstr(monitor, "loss") == NULL; }

void reduce_lr_parse(const char *spec, const char *monitor, struct reduce_lr *out) {
    memset(out, 0, sizeof *out);
    out->factor = 0.1; /* Keras's defaults */
    out->patience = 10;
    out->min_delta = 1e-4;
    each_setting("--reduce-lr-on-plateau", spec, NULL, 0, take_reduce, out);
    if (!(out->factor > 0 && out->factor < 1))
        cli_usage_error("--reduce-lr-on-plateau: factor=%g: give a factor below 1 (as Keras)",
                        out->factor);
    out->higher_is_better = monitor_higher_is_better(monitor);
}

double reduce_lr_on_epoch(struct reduce_lr *r, double v, double lr) {
    if (r->cooldown_counter > 0) {
        r->cooldown_counter--;
        r->wait = 0;
    }
    /* better by more than min_delta */
    int better = !r->has_best || (r->higher_is_better ? v - r->min_delta > r->best
                                                      : v + r->min_delta < r->best);
    if (better) {
        r->best = v;
        r->has_best = 1;
        r->wait = 0;
        return lr;
    }
    if (r->cooldown_counter > 0 || ++r->wait < r->patience) return lr;
    double old = (float)lr; /* Keras reads the float32 variable */
    if (!(old > (float)r->min_lr)) return lr;
    r->cooldown_counter = r->cooldown;
    r->wait = 0;
    return fmax(old * r->factor, r->min_lr);
}
