/*
 * compile_json.c - the compile configuration (loss, metrics, optimizer) as Keras records it:
 * a legacy .h5's training_config (optimizer under "optimizer_config") and Keras 3's
 * compile_config (config.json of a .keras archive, and to_json's output: optimizer under
 * "optimizer"). Each of loss and optimizer is a string ("adam", "binary_crossentropy", as
 * tf.keras 2 keeps them), an object ({"class_name": "Adam", "config": {...}}) or, for a
 * loss, a function ({"class_name": "function", "config": "mean_squared_error"}).
 */
#include <stdio.h>
#include <string.h>

#include "model_impl.h"

static const char *optimizer_class(clrnn_optimizer_kind k) {
    return k == CLRNN_OPT_SGD ? "SGD" : k == CLRNN_OPT_RMSPROP ? "RMSprop" : "Adam";
}

/* The optimizer object {"class_name", "config"} (with Keras 3's "module" when keras3). */
static cJSON *optimizer_json(const struct clrnn_optimizer_config *o, int keras3) {
    cJSON *opt = cJSON_CreateObject(), *oc = cJSON_CreateObject();
    if (keras3) cJSON_AddStringToObject(opt, "module", "keras.optimizers");
    cJSON_AddStringToObject(opt, "class_name", optimizer_class(o->kind));
    cJSON_AddStringToObject(oc, "name", optimizer_class(o->kind));
    cJSON_AddItemToObject(oc, "learning_rate", clrnn_lr_schedule_json(o));
    if (o->clipnorm > 0) cJSON_AddNumberToObject(oc, "clipnorm", o->clipnorm);
    if (o->global_clipnorm > 0) cJSON_AddNumberToObject(oc, "global_clipnorm", o->global_clipnorm);
    if (o->kind == CLRNN_OPT_SGD) {
        cJSON_AddNumberToObject(oc, "momentum", o->momentum);
        cJSON_AddBoolToObject(oc, "nesterov", o->nesterov);
    } else if (o->kind == CLRNN_OPT_RMSPROP) {
        cJSON_AddNumberToObject(oc, "rho", o->rho);
        cJSON_AddNumberToObject(oc, "momentum", o->momentum);
        cJSON_AddNumberToObject(oc, "epsilon", o->epsilon);
        cJSON_AddBoolToObject(oc, "centered", o->centered);
    } else {
        cJSON_AddNumberToObject(oc, "beta_1", o->beta_1);
        cJSON_AddNumberToObject(oc, "beta_2", o->beta_2);
        cJSON_AddNumberToObject(oc, "epsilon", o->epsilon);
        cJSON_AddFalseToObject(oc, "amsgrad");
    }
    cJSON_AddItemToObject(opt, "config", oc);
    if (keras3) cJSON_AddNullToObject(opt, "registered_name");
    return opt;
}

cJSON *clrnn_compile_json(const clrnn_model *m, int keras3) {
    const struct clrnn_compile_config *c = &m->compile;
    cJSON *root = cJSON_CreateObject();
    clrnn_loss_kind k = CLRNN_LOSS_MSE;
    clrnn_loss_parse(c->loss, &k);
    if (c->from_logits) {
        static const char *const classes[] = {"BinaryCrossentropy", "CategoricalCrossentropy",
                                              "SparseCategoricalCrossentropy", "MeanSquaredError"};
        cJSON *loss = cJSON_CreateObject(), *lc = cJSON_CreateObject();
        if (keras3) cJSON_AddStringToObject(loss, "module", "keras.losses");
        cJSON_AddStringToObject(loss, "class_name", classes[k]);
        cJSON_AddStringToObject(lc, "reduction", keras3 ? "sum_over_batch_size" : "auto");
        cJSON_AddStringToObject(lc, "name", c->loss);
        cJSON_AddTrueToObject(lc, "from_logits");
        cJSON_AddItemToObject(loss, "config", lc);
        if (keras3) cJSON_AddNullToObject(loss, "registered_name");
        cJSON_AddItemToObject(root, "loss", loss);
    } else {
        cJSON_AddStringToObject(root, "loss", c->loss);
    }
    cJSON_AddItemToObject(root, "metrics", clrnn_metrics_json(c, keras3));
    cJSON_AddNullToObject(root, "weighted_metrics");
    cJSON_AddNullToObject(root, "loss_weights");
    cJSON_AddItemToObject(root, keras3 ? "optimizer" : "optimizer_config",
                          optimizer_json(&c->optimizer, keras3));
    clrnn_clear_error();
    return root;
}

static void read_number(const cJSON *c, const char *key, double *v) {
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(c, key);
    if (cJSON_IsNumber(j)) *v = j->valuedouble;
}

/* The loss's name and from_logits from a string, a loss object or a loss function. */
static const char *loss_name(const cJSON *loss, int *from_logits) {
    *from_logits = 0;
    if (cJSON_IsString(loss)) return loss->valuestring;
    const cJSON *cls = cJSON_GetObjectItemCaseSensitive(loss, "class_name");
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(loss, "config");
    if (!cJSON_IsString(cls)) return NULL;
    if (strcmp(cls->valuestring, "function") == 0) /* keras.losses.mean_squared_error */
        return cJSON_IsString(cfg) ? cfg->valuestring : NULL;
    *from_logits = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cfg, "from_logits"));
    return cls->valuestring;
}

/* The optimizer from a string ("adam"), an object, or nothing: Keras's compile() default. */
static clrnn_status optimizer_from(const cJSON *opt, struct clrnn_optimizer_config *o) {
    if (!opt) return clrnn_optimizer_from_name("rmsprop", o);
    if (cJSON_IsString(opt)) return clrnn_optimizer_from_name(opt->valuestring, o);
    const cJSON *cls = cJSON_GetObjectItemCaseSensitive(opt, "class_name");
    if (!cJSON_IsString(cls))
        return clrnn_fail(CLRNN_E_UNSUPPORTED, "the optimizer has no class_name");
    const char *name = cls->valuestring;
    /* TF 2.11+ names its new optimizers "Custom>Adam" in training_config */
    if (strncmp(name, "Custom>", 7) == 0) name += 7;
    clrnn_status s = clrnn_optimizer_from_name(name, o);
    if (s) return s;
    const cJSON *oc = cJSON_GetObjectItemCaseSensitive(opt, "config");
    read_number(oc, "lr", &o->learning_rate); /* standalone Keras 2.2 */
    read_number(oc, "learning_rate", &o->learning_rate);
    const cJSON *lr = cJSON_GetObjectItemCaseSensitive(oc, "learning_rate");
    if (cJSON_IsObject(lr) && (s = clrnn_lr_schedule_parse(lr, o))) return s;
    read_number(oc, "momentum", &o->momentum);
    read_number(oc, "rho", &o->rho);
    read_number(oc, "beta_1", &o->beta_1);
    read_number(oc, "beta_2", &o->beta_2);
    read_number(oc, "epsilon", &o->epsilon);
    read_number(oc, "clipnorm", &o->clipnorm);
    read_number(oc, "global_clipnorm", &o->global_clipnorm);
    o->nesterov = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(oc, "nesterov"));
    o->centered = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(oc, "centered"));
    return CLRNN_OK;
}

int clrnn_compile_parse(const cJSON *root, struct clrnn_compile_config *cc, int *epochs_done) {
    memset(cc, 0, sizeof *cc);
    if (!cJSON_IsObject(root)) return 0;
    int from_logits;
    const char *loss = loss_name(cJSON_GetObjectItemCaseSensitive(root, "loss"), &from_logits);
    const cJSON *opt = cJSON_GetObjectItemCaseSensitive(root, "optimizer_config");
    if (!opt) opt = cJSON_GetObjectItemCaseSensitive(root, "optimizer"); /* compile_config */
    clrnn_loss_kind k;
    int ok = loss && clrnn_loss_parse(loss, &k) == CLRNN_OK;
    if (ok && optimizer_from(opt, &cc->optimizer) != CLRNN_OK) {
        /* as Keras, which warns and loads the model uncompiled */
        clrnn_log(1, "the file's optimizer cannot be restored (%s): the model loads "
                  "uncompiled", clrnn_last_error());
        ok = 0;
    }
    clrnn_clear_error();
    if (!ok) return 0;
    snprintf(cc->loss, sizeof cc->loss, "%s", clrnn_loss_name(k));
    cc->from_logits = from_logits;
    clrnn_metrics_from_json(cJSON_GetObjectItemCaseSensitive(root, "metrics"), cc);
    double done = 0; /* where clrnn before 2026-12 kept it; Keras 3 refuses the key there */
    read_number(root, "clrnn_epochs_done", &done);
    if (epochs_done && done > 0 && done < 1e9) *epochs_done = (int)done;
    return 1;
}

int clrnn_compile_parse_text(const char *text, struct clrnn_compile_config *cc,
                             int *epochs_done) {
    cJSON *root = cJSON_Parse(text);
    int ok = clrnn_compile_parse(root, cc, epochs_done);
    cJSON_Delete(root);
    return ok;
}
