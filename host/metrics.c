/*
 * metrics.c - the metrics of compile() beyond the loss and accuracy, by Keras's names:
 * top_k_categorical_accuracy (sparse_top_k_categorical_accuracy), precision and recall. How
 * they are named, parsed from a command line, read from and written to Keras's compile
 * configurations; the loss kernels (cl/loss.cl) count them.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "model_impl.h"

static int is_sparse(const char *loss) {
    clrnn_loss_kind k;
    return loss && clrnn_loss_parse(loss, &k) == CLRNN_OK && k == CLRNN_LOSS_SPARSE_CCE;
}

const char *clrnn_metric_name(unsigned metric, int sparse) {
    switch (metric) {
    case CLRNN_METRIC_TOP_K:
        return sparse ? "sparse_top_k_categorical_accuracy" : "top_k_categorical_accuracy";
    case CLRNN_METRIC_PRECISION: return "precision";
    case CLRNN_METRIC_RECALL: return "recall";
    default: return "";
    }
}

double clrnn_metric_value(const struct clrnn_metric_values *v, unsigned metric) {
    return metric == CLRNN_METRIC_TOP_K       ? v->top_k_accuracy
           : metric == CLRNN_METRIC_PRECISION ? v->precision
                                              : v->recall;
}

/* Keras's names (strings, classes, and the functions a MeanMetricWrapper wraps) of what
 * clrnn reports: 0 for accuracy (always reported), a bit, or -1 when unknown. sparse: the
 * name is the sparse top-k one. */
static int metric_bit(const char *name, int *sparse) {
    static const char *const accuracy[] = {"accuracy", "acc", "binary_accuracy",
                                           "categorical_accuracy", "sparse_categorical_accuracy",
                                           "BinaryAccuracy", "CategoricalAccuracy",
                                           "SparseCategoricalAccuracy", NULL};
    *sparse = 0;
    for (int i = 0; accuracy[i]; i++)
        if (strcmp(name, accuracy[i]) == 0) return 0;
    if (!strcmp(name, "top_k_categorical_accuracy") || !strcmp(name, "TopKCategoricalAccuracy"))
        return CLRNN_METRIC_TOP_K;
    if (!strcmp(name, "sparse_top_k_categorical_accuracy") ||
        !strcmp(name, "SparseTopKCategoricalAccuracy"))
        return *sparse = 1, CLRNN_METRIC_TOP_K;
    if (!strcmp(name, "precision") || !strcmp(name, "Precision")) return CLRNN_METRIC_PRECISION;
    if (!strcmp(name, "recall") || !strcmp(name, "Recall")) return CLRNN_METRIC_RECALL;
    return -1;
}

clrnn_status clrnn_metrics_check(unsigned metrics, const char *loss) {
    clrnn_loss_kind k;
    clrnn_status s = clrnn_loss_parse(loss, &k);
    if (s) return s;
    if ((metrics & CLRNN_METRIC_TOP_K) && k != CLRNN_LOSS_CCE && k != CLRNN_LOSS_SPARSE_CCE)
        return clrnn_fail(CLRNN_E_INVALID_ARG, "metric top_k_categorical_accuracy needs a "
                          "categorical loss; the loss is %s", loss);
    for (unsigned bit = CLRNN_METRIC_PRECISION; bit <= CLRNN_METRIC_RECALL; bit <<= 1)
        if ((metrics & bit) && k != CLRNN_LOSS_BCE)
            return clrnn_fail(CLRNN_E_INVALID_ARG, "metric %s is for binary outputs "
                              "(binary_crossentropy); the loss is %s",
                              clrnn_metric_name(bit, 0), loss);
    return CLRNN_OK;
}

clrnn_status clrnn_metrics_parse(const char *list, const char *loss, unsigned *metrics) {
    unsigned bits = 0;
    const char *p = list;
    while (*p) {
        size_t n = strcspn(p, ",");
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)(n < sizeof name ? n : sizeof name - 1), p);
        int sparse, bit = metric_bit(name, &sparse);
        if (bit < 0)
            return clrnn_fail(CLRNN_E_INVALID_ARG, "metric '%s' is not one clrnn reports "
                              "(accuracy, top_k_categorical_accuracy, "
                              "sparse_top_k_categorical_accuracy, precision, recall)", name);
        if (bit == CLRNN_METRIC_TOP_K && sparse != is_sparse(loss))
            return clrnn_fail(CLRNN_E_INVALID_ARG, "metric %s: with the loss %s use %s (as in "
                              "Keras)", name, loss,
                              clrnn_metric_name(CLRNN_METRIC_TOP_K, is_sparse(loss)));
        bits |= (unsigned)bit;
        p += n + (p[n] == ',');
    }
    clrnn_status s = clrnn_metrics_check(bits, loss);
    if (!s) *metrics = bits;
    return s;
}

/* One entry of a metrics list: a name, an object ({"class_name", "config": {"name", "k",
 * "fn", "thresholds"}}) or a list of them (tf.keras 2 nests one list per output). */
static void read_metric(const cJSON *j, unsigned *bits, int *top_k) {
    if (cJSON_IsArray(j)) {
        const cJSON *e;
        cJSON_ArrayForEach(e, j) read_metric(e, bits, top_k);
        return;
    }
    const char *name = cJSON_IsString(j) ? j->valuestring : NULL;
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(j, "config");
    if (!name) {
        const cJSON *cls = cJSON_GetObjectItemCaseSensitive(j, "class_name");
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(cfg, "fn"); /* MeanMetricWrapper */
        name = cJSON_IsString(fn) ? fn->valuestring : cJSON_IsString(cls) ? cls->valuestring : NULL;
    }
    int sparse, bit = name ? metric_bit(name, &sparse) : -1;
    if (bit <= 0) return; /* accuracy, or a metric clrnn does not report: as before */
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(cfg, "thresholds");
    if (bit != CLRNN_METRIC_TOP_K && t && !cJSON_IsNull(t) &&
        !(cJSON_IsNumber(t) && t->valuedouble == 0.5))
        return; /* another threshold: not the metric clrnn counts */
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(cfg, "k");
    if (bit == CLRNN_METRIC_TOP_K && cJSON_IsNumber(k) && k->valuedouble >= 1)
        *top_k = (int)k->valuedouble;
    *bits |= (unsigned)bit;
}

void clrnn_metrics_from_json(const cJSON *list, struct clrnn_compile_config *cc) {
    unsigned bits = 0;
    int top_k = 0;
    read_metric(list, &bits, &top_k);
    if (clrnn_metrics_check(bits, cc->loss) != CLRNN_OK) {
        clrnn_clear_error(); /* Keras would fail on them at fit: keep the loss, not them */
        return;
    }
    cc->metrics = bits;
    cc->top_k = top_k;
}

cJSON *clrnn_metrics_json(const struct clrnn_compile_config *cc, int keras3) {
    clrnn_loss_kind k = CLRNN_LOSS_MSE;
    clrnn_loss_parse(cc->loss, &k);
    cJSON *list = cJSON_CreateArray();
    if (k != CLRNN_LOSS_MSE) cJSON_AddItemToArray(list, cJSON_CreateString("accuracy"));
    for (unsigned bit = CLRNN_METRIC_TOP_K; bit <= CLRNN_METRIC_RECALL; bit <<= 1) {
        if (!(cc->metrics & bit)) continue;
        /* objects, which every Keras deserializes (tf.keras 2 has no "precision" string) */
        const char *name = clrnn_metric_name(bit, k == CLRNN_LOSS_SPARSE_CCE);
        const char *cls = bit == CLRNN_METRIC_PRECISION ? "Precision"
                          : bit == CLRNN_METRIC_RECALL  ? "Recall"
                          : k == CLRNN_LOSS_SPARSE_CCE  ? "SparseTopKCategoricalAccuracy"
                                                        : "TopKCategoricalAccuracy";
        cJSON *o = cJSON_CreateObject(), *c = cJSON_CreateObject();
        if (keras3) cJSON_AddStringToObject(o, "module", "keras.metrics");
        cJSON_AddStringToObject(o, "class_name", cls);
        cJSON_AddStringToObject(c, "name", name);
        cJSON_AddStringToObject(c, "dtype", "float32");
        if (bit == CLRNN_METRIC_TOP_K) {
            cJSON_AddNumberToObject(c, "k", cc->top_k > 0 ? cc->top_k : CLRNN_DEFAULT_TOP_K);
        } else {
            cJSON_AddNullToObject(c, "thresholds");
            cJSON_AddNullToObject(c, "top_k");
            cJSON_AddNullToObject(c, "class_id");
        }
        cJSON_AddItemToObject(o, "config", c);
        if (keras3) cJSON_AddNullToObject(o, "registered_name");
        cJSON_AddItemToArray(list, o);
    }
    return list;
}
