/*
 * layers.c - the layer registry, creating layers from Keras layer objects, typed reads of
 * Keras config keys, and the --layers one-line syntax, which becomes Keras layer objects.
 */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layer_interface.h"
#include "layers.h"

#define X(ops) extern const struct clrnn_layer_ops ops;
#include "layer_list.h"
#undef X

static const struct clrnn_layer_ops *const REGISTRY[] = {
#define X(ops) &ops,
#include "layer_list.h"
#undef X
};
#define N_REGISTRY (sizeof REGISTRY / sizeof *REGISTRY)

const struct clrnn_layer_ops *clrnn_layer_ops_by_class(const char *keras_class) {
    for (size_t i = 0; i < N_REGISTRY; i++)
        if (strcmp(REGISTRY[i]->keras_class, keras_class) == 0) return REGISTRY[i];
    return NULL;
}

const struct clrnn_layer_ops *clrnn_layer_ops_by_spec(const char *spec_name) {
    for (size_t i = 0; i < N_REGISTRY; i++)
        if (strcmp(REGISTRY[i]->spec_name, spec_name) == 0) return REGISTRY[i];
    return NULL;
}

static void supported_list(char *buf, size_t size, int spec_names) {
    buf[0] = '\0';
    for (size_t i = 0; i < N_REGISTRY; i++)
        snprintf(buf + strlen(buf), size - strlen(buf), "%s%s", i ? ", " : "",
                 spec_names ? REGISTRY[i]->spec_name : REGISTRY[i]->keras_class);
}

const char *clrnn_layer_desc(const struct clrnn_layer *l, char *buf, size_t size) {
    snprintf(buf, size, "layer '%s' (%s)", l->name, l->ops->keras_class);
    return buf;
}

cJSON *clrnn_layer_to_json(const struct clrnn_layer *l) {
    cJSON *o = cJSON_CreateObject(), *c = cJSON_CreateObject();
    if (!o || !c) {
        cJSON_Delete(o);
        cJSON_Delete(c);
        return NULL;
    }
    /* nested layers need their module for Keras 3 to find the class (it writes them so in
     * legacy .h5 files too); tf.keras 2 reads the same */
    cJSON_AddStringToObject(o, "module", "keras.layers");
    cJSON_AddStringToObject(o, "class_name", l->ops->keras_class);
    cJSON_AddNullToObject(o, "registered_name");
    cJSON_AddStringToObject(c, "name", l->name);
    cJSON_AddTrueToObject(c, "trainable");
    cJSON_AddStringToObject(c, "dtype", "float32");
    cJSON_AddItemToObject(o, "config", c);
    if (l->ops->config_json(l, c)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

clrnn_status clrnn_layer_create(const cJSON *obj, int keras_major, struct clrnn_layer **out) {
    const cJSON *cls = cJSON_GetObjectItemCaseSensitive(obj, "class_name");
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(obj, "config");
    if (!cJSON_IsString(cls))
        return clrnn_fail(CLRNN_E_FORMAT, "a layer entry has no \"class_name\" string");
    const cJSON *jname = cJSON_GetObjectItemCaseSensitive(cfg, "name");
    if (!cJSON_IsString(jname)) jname = cJSON_GetObjectItemCaseSensitive(obj, "name");
    const char *name = cJSON_IsString(jname) ? jname->valuestring : "?";
    const struct clrnn_layer_ops *ops = clrnn_layer_ops_by_class(cls->valuestring);
    if (!ops) {
        char list[512];
        supported_list(list, sizeof list, 0);
        if (strcmp(cls->valuestring, "Lambda") == 0)
            return clrnn_fail(CLRNN_E_UNSUPPORTED,
                              "layer '%s' is a Lambda layer: refused, clrnn never runs code "
                              "from a model file",
                              name);
        return clrnn_fail(CLRNN_E_UNSUPPORTED,
                          "layer '%s' has class '%s', which clrnn does not support (supported: "
                          "%s)",
                          name, cls->valuestring, list);
    }
    if (cfg && !cJSON_IsObject(cfg))
        return clrnn_fail(CLRNN_E_FORMAT, "layer '%s': \"config\" is not an object", name);
    struct clrnn_layer *l = clrnn_calloc(1, sizeof *l);
    void *c = l ? clrnn_calloc(1, ops->cfg_size) : NULL;
    if (!c) {
        clrnn_free(l);
        return clrnn_fail(CLRNN_E_NOMEM, "out of memory creating layer '%s'", name);
    }
    l->ops = ops;
    l->keras_major = keras_major;
    l->cfg = c;
    /* an unnamed layer (from --layers) is called by its class's default name in messages;
     * the model gives it its unique name later */
    snprintf(l->name, sizeof l->name, "%s",
             cJSON_IsString(jname) ? jname->valuestring : ops->spec_name);
    clrnn_status s = ops->configure(l, cfg);
    if (!cJSON_IsString(jname)) l->name[0] = '\0';
    if (s) {
        clrnn_layer_free(l);
        return s;
    }
    *out = l;
    return CLRNN_OK;
}

void clrnn_layer_free(struct clrnn_layer *l) {
    if (!l) return;
    if (l->ops->release) l->ops->release(l);
    clrnn_buf_release(&l->y);
    clrnn_buf_release(&l->dx);
    clrnn_buf_release(&l->mask_y);
    clrnn_free(l->cfg);
    clrnn_free(l);
}

void clrnn_layer_add_weight(struct clrnn_layer *l, const char *name, int rank, const int64_t *d,
                            clrnn_init_kind init) {
    int index = l->n_weights++;
    struct clrnn_weight *w = &l->w[index];
    memset(w, 0, sizeof *w);
    snprintf(w->name, sizeof w->name, "%s", name);
    /* Keras 3 keeps a recurrent layer's weights in its cell, in the order they are added */
    snprintf(w->keras3_path, sizeof w->keras3_path, "%svars/%d",
             l->ops->is_recurrent ? "cell/" : "", index);
    snprintf(w->scope, sizeof w->scope, "%s", l->ops->weight_scope ? l->ops->weight_scope : "");
    w->rank = rank;
    w->count = 1;
    for (int i = 0; i < rank; i++) {
        w->d[i] = d[i];
        /* a count past SIZE_MAX (dimensions from a hostile file) stays SIZE_MAX, which the
         * model's size check refuses */
        if (d[i] < 0 || (d[i] > 0 && w->count > SIZE_MAX / (size_t)d[i])) w->count = SIZE_MAX;
        else w->count *= (size_t)d[i];
    }
    w->init = init;
}

/* ---- typed config reads ---- */

clrnn_status clrnn_cfg_int(const cJSON *c, const char *layer, const char *key, int required,
                           int min, int *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(c, key);
    if (!v || cJSON_IsNull(v)) {
        if (required)
            return clrnn_fail(CLRNN_E_FORMAT, "layer '%s': \"%s\" is required", layer, key);
        return CLRNN_OK;
    }
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) ||
        v->valuedouble < min || v->valuedouble > 1e9)
        return clrnn_fail(CLRNN_E_FORMAT, "layer '%s': \"%s\" must be an integer >= %d", layer,
                          key, min);
    *out = (int)v->valuedouble;
    return CLRNN_OK;
}

clrnn_status clrnn_cfg_bool(const cJSON *c, const char *layer, const char *key, int *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(c, key);
    if (!v || cJSON_IsNull(v)) return CLRNN_OK;
    if (!cJSON_IsBool(v))
        return clrnn_fail(CLRNN_E_FORMAT, "layer '%s': \"%s\" must be true or false", layer, key);
    *out = cJSON_IsTrue(v);
    return CLRNN_OK;
}

clrnn_status clrnn_cfg_double(const cJSON *c, const char *layer, const char *key, double *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(c, key);
    if (!v || cJSON_IsNull(v)) return CLRNN_OK;
    if (!cJSON_IsNumber(v))
        return clrnn_fail(CLRNN_E_FORMAT, "layer '%s': \"%s\" must be a number", layer, key);
    *out = v->valuedouble;
    return CLRNN_OK;
}

clrnn_status clrnn_cfg_act(const cJSON *c, const char *layer, int keras_major, const char *key,
                           clrnn_act *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(c, key);
    if (!v || cJSON_IsNull(v)) return CLRNN_OK;
    if (cJSON_IsObject(v)) { /* serialized function object: {"class_name": "function", ...} */
        const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(v, "config");
        v = cJSON_IsString(cfg) ? cfg : cJSON_GetObjectItemCaseSensitive(v, "class_name");
    }
    return clrnn_act_parse(cJSON_IsString(v) ? v->valuestring : NULL, keras_major, layer, out);
}

clrnn_status clrnn_cfg_must_be_null(const cJSON *c, const char *layer, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(c, key);
    if (v && !cJSON_IsNull(v))
        return clrnn_fail(CLRNN_E_UNSUPPORTED, "layer '%s': \"%s\" is set, which clrnn does not "
                          "support yet", layer, key);
    return CLRNN_OK;
}

static const char *const AFFINE_UNHONOURED[] = {"kernel_regularizer", "bias_regularizer",
                                                 "activity_regularizer", "kernel_constraint",
                                                 "bias_constraint"};

clrnn_status clrnn_affine_keys_read(const cJSON *c, const struct clrnn_layer *l,
                                    struct clrnn_affine_keys *k) {
    k->act = CLRNN_ACT_LINEAR;
    k->use_bias = 1;
    k->kernel_init = CLRNN_INIT_GLOROT_UNIFORM;
    k->bias_init = CLRNN_INIT_ZEROS;
    clrnn_status s;
    if ((s = clrnn_cfg_act(c, l->name, l->keras_major, "activation", &k->act)) ||
        (s = clrnn_cfg_bool(c, l->name, "use_bias", &k->use_bias)) ||
        (s = clrnn_init_from_json(cJSON_GetObjectItemCaseSensitive(c, "kernel_initializer"),
                                  l->name, "kernel_initializer", &k->kernel_init)) ||
        (s = clrnn_init_from_json(cJSON_GetObjectItemCaseSensitive(c, "bias_initializer"),
                                  l->name, "bias_initializer", &k->bias_init)))
        return s;
    for (size_t i = 0; i < sizeof AFFINE_UNHONOURED / sizeof *AFFINE_UNHONOURED; i++)
        if ((s = clrnn_cfg_must_be_null(c, l->name, AFFINE_UNHONOURED[i]))) return s;
    /* Keras 3 writes it only when set: LoRA's extra weights are not in clrnn's layers */
    return clrnn_cfg_must_be_null(c, l->name, "lora_rank");
}

void clrnn_affine_keys_write(const struct clrnn_affine_keys *k, cJSON *o) {
    cJSON_AddStringToObject(o, "activation", clrnn_act_name(k->act));
    cJSON_AddBoolToObject(o, "use_bias", k->use_bias);
    cJSON_AddItemToObject(o, "kernel_initializer", clrnn_init_to_json(k->kernel_init));
    cJSON_AddItemToObject(o, "bias_initializer", clrnn_init_to_json(k->bias_init));
    for (size_t i = 0; i < sizeof AFFINE_UNHONOURED / sizeof *AFFINE_UNHONOURED; i++)
        cJSON_AddNullToObject(o, AFFINE_UNHONOURED[i]);
}

clrnn_status clrnn_cfg_must_be_false(const cJSON *c, const char *layer, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(c, key);
    if (v && !cJSON_IsNull(v) && !cJSON_IsFalse(v) && !(cJSON_IsNumber(v) && v->valuedouble == 0))
        return clrnn_fail(CLRNN_E_UNSUPPORTED, "layer '%s': \"%s\" is not supported yet", layer,
                          key);
    return CLRNN_OK;
}

/* ---- the --layers syntax ---- */

/* A value written in the spec: number, true/false, null/none, 'quoted' or bare string. */
static cJSON *spec_value(const char *text) {
    char *end;
    double d = strtod(text, &end);
    if (end != text && *end == '\0') return cJSON_CreateNumber(d);
    if (strcmp(text, "true") == 0 || strcmp(text, "True") == 0) return cJSON_CreateTrue();
    if (strcmp(text, "false") == 0 || strcmp(text, "False") == 0) return cJSON_CreateFalse();
    if (strcmp(text, "null") == 0 || strcmp(text, "None") == 0) return cJSON_CreateNull();
    size_t n = strlen(text);
    if (n >= 2 && (text[0] == '\'' || text[0] == '"') && text[n - 1] == text[0]) {
        char buf[256];
        snprintf(buf, sizeof buf, "%.*s", (int)(n - 2), text + 1);
        return cJSON_CreateString(buf);
    }
    return cJSON_CreateString(text);
}

static void trim(char *s) {
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) s[--n] = '\0';
    size_t i = 0;
    while (isspace((unsigned char)s[i])) i++;
    memmove(s, s + i, n - i + 1);
}

/* The next argument of an argument list at *cursor, split at commas outside parentheses
 * (so that a nested layer's arguments stay together); NULL after the last. */
static char *next_arg(char **cursor) {
    char *start = *cursor;
    if (!start) return NULL;
    int depth = 0;
    char *p = start;
    for (; *p; p++) {
        if (*p == '(') depth++;
        else if (*p == ')') depth--;
        else if (*p == ',' && depth == 0) break;
    }
    *cursor = *p ? p + 1 : NULL;
    *p = '\0';
    return start;
}

static clrnn_status spec_layer(char *text, int index, cJSON **out);

/* A value that is itself a layer, "lstm(8)", as Bidirectional and TimeDistributed take. */
static int is_nested_layer(const char *value) {
    size_t n = strspn(value, "abcdefghijklmnopqrstuvwxyz0123456789_");
    return n > 0 && value[n] == '(' && value[strlen(value) - 1] == ')';
}

/* Edit distance between two short keys, for "did you mean". */
static size_t key_distance(const char *a, const char *b) {
    size_t n = strlen(b), row[64];
    if (n >= 64) return 64;
    for (size_t j = 0; j <= n; j++) row[j] = j;
    for (size_t i = 1; a[i - 1]; i++) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= n; j++) {
            size_t above = row[j];
            size_t best = diagonal + (a[i - 1] != b[j - 1]);
            if (above + 1 < best) best = above + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diagonal = above;
        }
    }
    return row[n];
}

/* Keras refuses a keyword a layer does not take ("Unrecognized keyword arguments passed to
 * Dense"), and so does --layers: a layer takes its name and the keys of the config it saves
 * (a wrapped cell's too), the one list of what each layer knows. */
static clrnn_status spec_check_keys(const char *name, const cJSON *obj) {
    struct clrnn_layer *l;
    clrnn_status s = clrnn_layer_create(obj, CLRNN_KERAS_MAJOR_DEFAULT, &l);
    if (s) return s;
    cJSON *known = cJSON_CreateObject();
    if (!known || !cJSON_AddStringToObject(known, "name", "") || l->ops->config_json(l, known)) {
        cJSON_Delete(known);
        clrnn_layer_free(l);
        return clrnn_fail(CLRNN_E_NOMEM, "out of memory parsing --layers");
    }
    clrnn_layer_free(l);
    const cJSON *cell = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(known, "cell"), "config");
    const cJSON *key;
    cJSON_ArrayForEach(key, cJSON_GetObjectItemCaseSensitive(obj, "config")) {
        if (cJSON_GetObjectItemCaseSensitive(known, key->string) ||
            cJSON_GetObjectItemCaseSensitive(cell, key->string))
            continue;
        char list[1024] = "", guess[160] = "";
        size_t best = (size_t)-1;
        const cJSON *lists[2] = {known, cell}, *k;
        for (int i = 0; i < 2; i++) {
            cJSON_ArrayForEach(k, lists[i]) {
                if (strstr(k->string, "regularizer") || strstr(k->string, "constraint") ||
                    (i == 1 && cJSON_GetObjectItemCaseSensitive(known, k->string)) ||
                    (i == 0 && strcmp(k->string, "cell") == 0 && cell))
                    continue; /* refused when set, or said once */
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                         list[0] ? ", " : "", k->string);
                size_t typed = strlen(key->string);
                size_t d = typed >= 3 && strncmp(k->string, key->string, typed) == 0
                               ? 1 /* the start of a key */
                               : key_distance(key->string, k->string);
                if (d < best && d <= 1 + strlen(k->string) / 4) {
                    best = d;
                    snprintf(guess, sizeof guess, "did you mean '%s'? ", k->string);
                }
            }
        }
        cJSON_Delete(known);
        return clrnn_fail(CLRNN_E_INVALID_ARG, "--layers: %s(...): unknown keyword '%s' (%s%s "
                          "takes: %s)", name, key->string, guess, name, list);
    }
    cJSON_Delete(known);
    return CLRNN_OK;
}

/* Parses one "name(args)" item (args already split off) into a Keras layer object. */
static clrnn_status spec_item(const char *name, char *args, int index, cJSON **out) {
    const struct clrnn_layer_ops *ops = clrnn_layer_ops_by_spec(name);
    if (!ops) {
        char list[512];
        supported_list(list, sizeof list, 1);
        return clrnn_fail(CLRNN_E_INVALID_ARG,
                          "--layers: item %d: unknown layer '%s' (known: %s)", index + 1, name,
                          list);
    }
    cJSON *obj = cJSON_CreateObject(), *cfg = cJSON_CreateObject();
    if (!obj || !cfg) {
        cJSON_Delete(obj);
        cJSON_Delete(cfg);
        return clrnn_fail(CLRNN_E_NOMEM, "out of memory parsing --layers");
    }
    cJSON_AddStringToObject(obj, "class_name", ops->keras_class);
    cJSON_AddItemToObject(obj, "config", cfg);
    int positional = 0, seen_keyword = 0;
    char *cursor = args;
    if (cursor) { /* "flatten()" as "flatten": no arguments */
        trim(cursor);
        if (!*cursor) cursor = NULL;
    }
    for (char *arg = next_arg(&cursor); arg; arg = next_arg(&cursor)) {
        trim(arg);
        if (!*arg) {
            cJSON_Delete(obj);
            return clrnn_fail(CLRNN_E_INVALID_ARG, "--layers: %s(...): empty argument", name);
        }
        char *eq = strchr(arg, '='), *paren = strchr(arg, '(');
        const char *key;
        char *value;
        if (eq && (!paren || eq < paren)) {
            *eq = '\0';
            key = arg;
            value = eq + 1;
            trim(arg);
            trim(value);
            seen_keyword = 1;
        } else {
            if (seen_keyword) {
                cJSON_Delete(obj);
                return clrnn_fail(CLRNN_E_INVALID_ARG,
                                  "--layers: %s(...): positional argument '%s' after a keyword "
                                  "argument", name, arg);
            }
            if (!ops->positional || !ops->positional[positional]) {
                cJSON_Delete(obj);
                return clrnn_fail(CLRNN_E_INVALID_ARG,
                                  "--layers: %s(...): too many positional arguments at '%s'",
                                  name, arg);
            }
            key = ops->positional[positional++];
            value = arg;
        }
        if (!*key || !*value) {
            cJSON_Delete(obj);
            return clrnn_fail(CLRNN_E_INVALID_ARG, "--layers: %s(...): bad argument", name);
        }
        cJSON *v = NULL;
        if (is_nested_layer(value)) {
            clrnn_status s = spec_layer(value, index, &v);
            if (s) {
                cJSON_Delete(obj);
                return s;
            }
        } else if (strchr(value, '(') || strchr(value, ')')) {
            cJSON_Delete(obj);
            return clrnn_fail(CLRNN_E_INVALID_ARG, "--layers: %s(...): unbalanced parentheses "
                              "at '%s'", name, value);
        } else {
            v = spec_value(value);
        }
        cJSON_DeleteItemFromObjectCaseSensitive(cfg, key);
        cJSON_AddItemToObject(cfg, key, v);
    }
    clrnn_status s = spec_check_keys(name, obj);
    if (s) {
        cJSON_Delete(obj);
        return s;
    }
    *out = obj;
    return CLRNN_OK;
}

/* A whole "name(args)" text, as a nested layer is written, into a Keras layer object. */
static clrnn_status spec_layer(char *text, int index, cJSON **out) {
    char *open = strchr(text, '(');
    size_t len = strlen(text);
    *open = '\0';
    text[len - 1] = '\0';
    trim(text);
    return spec_item(text, open + 1, index, out);
}

clrnn_status clrnn_spec_parse(const char *spec, cJSON ***out, int *n_out) {
    size_t len = strlen(spec);
    char *buf = clrnn_malloc(len + 1);
    cJSON **items = NULL;
    int n = 0;
    clrnn_status s = CLRNN_OK;
    if (!buf) return clrnn_fail(CLRNN_E_NOMEM, "out of memory parsing --layers");
    memcpy(buf, spec, len + 1);
    char *p = buf;
    while (!s) {
        while (isspace((unsigned char)*p)) p++;
        if (!*p) break;
        char *name = p;
        while (*p && (isalnum((unsigned char)*p) || *p == '_')) p++;
        size_t name_len = (size_t)(p - name);
        char *args = NULL;
        while (isspace((unsigned char)*p) && p[1] == '(') p++;
        if (*p == '(') {
            *p++ = '\0';
            args = p;
            int depth = 0; /* nested layers have their own parentheses */
            while (*p && (*p != ')' || depth > 0)) {
                if (*p == '(') depth++;
                else if (*p == ')') depth--;
                p++;
            }
            if (*p != ')') {
                s = clrnn_fail(CLRNN_E_INVALID_ARG, "--layers: item %d (%s): missing ')'", n + 1,
                               name);
                break;
            }
            *p++ = '\0';
        } else if (*p && !isspace((unsigned char)*p)) {
            s = clrnn_fail(CLRNN_E_INVALID_ARG, "--layers: unexpected '%c' in item %d", *p, n + 1);
            break;
        } else if (*p) {
            *p++ = '\0';
        }
        if (name_len == 0) {
            s = clrnn_fail(CLRNN_E_INVALID_ARG, "--layers: item %d has no layer name", n + 1);
            break;
        }
        name[name_len] = '\0';
        cJSON **grown = clrnn_realloc(items, (size_t)(n + 1) * sizeof *items);
        if (!grown) {
            s = clrnn_fail(CLRNN_E_NOMEM, "out of memory parsing --layers");
            break;
        }
        items = grown;
        s = spec_item(name, args, n, &items[n]);
        if (!s) n++;
    }
    clrnn_free(buf);
    if (!s && n == 0) s = clrnn_fail(CLRNN_E_INVALID_ARG, "--layers: no layers given");
    if (s) {
        for (int i = 0; i < n; i++) cJSON_Delete(items[i]);
        clrnn_free(items);
        return s;
    }
    *out = items;
    *n_out = n;
    return CLRNN_OK;
}
