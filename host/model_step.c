/*
 * model_step.c - a model that takes one timestep per call and carries its recurrent state
 * from call to call, for generation: the same layers and weights, every recurrent layer
 * stateful, the input one timestep long, batch 1. Feeding it a sequence token by token
 * gives, at each step, what the original model gives for the whole sequence so far, without
 * recomputing the window (tests/test_generate_step.c checks that it does).
 */
#include <string.h>

#include "model_impl.h"

/* Makes a layer object of the configuration step-ready: recurrent layers stateful; a
 * Bidirectional layer cannot step, since its backward half reads the sequence's end. */
static clrnn_status make_stepping(cJSON *layer) {
    const cJSON *cls = cJSON_GetObjectItemCaseSensitive(layer, "class_name");
    cJSON *cfg = cJSON_GetObjectItemCaseSensitive(layer, "config");
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cfg, "name"));
    if (!cJSON_IsString(cls) || !cJSON_IsObject(cfg)) return CLRNN_OK;
    if (strcmp(cls->valuestring, "Bidirectional") == 0)
        return clrnn_fail(CLRNN_E_UNSUPPORTED, "layer '%s' (Bidirectional) reads each sequence "
                          "from its end too, so the model cannot generate one step at a time",
                          name ? name : "?");
    const struct clrnn_layer_ops *ops = clrnn_layer_ops_by_class(cls->valuestring);
    if (ops && ops->is_recurrent) {
        cJSON_DeleteItemFromObjectCaseSensitive(cfg, "stateful");
        cJSON_AddTrueToObject(cfg, "stateful");
    }
    return CLRNN_OK;
}

clrnn_status clrnn_model_stepper(const clrnn_model *m, clrnn_model **out) {
    if (m->in.rank < 1)
        return clrnn_fail(CLRNN_E_SHAPE, "the model's input has no time axis to step along");
    if (m->graph)
        return clrnn_fail(CLRNN_E_UNSUPPORTED, "model '%s' is a Functional graph: stepping one "
                          "is not supported (a Sequential model or a chain of layers is)", m->name);
    for (int i = 0; i < m->n_layers; i++)
        if (m->layers[i]->mask_in || m->layers[i]->mask_out) {
            /* a masked (padding) step would not advance the state as the model expects */
            return clrnn_fail(CLRNN_E_UNSUPPORTED, "layer '%s' takes a mask (Embedding "
                              "mask_zero=true): stepping a masked model is not supported",
                              m->layers[i]->name);
        }
    cJSON *root = clrnn_model_config_json(m);
    if (!root) return clrnn_fail(CLRNN_E_NOMEM, "out of memory copying the model");
    cJSON *layers = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "config"), "layers");
    clrnn_status s = CLRNN_OK;
    cJSON *layer;
    cJSON_ArrayForEach(layer, layers) {
        if (!s) s = make_stepping(layer);
        /* the input layer declares the shape: one timestep */
        cJSON *shape = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(layer, "config"), "batch_input_shape");
        if (cJSON_IsArray(shape) && cJSON_GetArraySize(shape) > 1)
            cJSON_ReplaceItemInArray(shape, 1, cJSON_CreateNumber(1));
    }
    char *text = s ? NULL : cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (s) return s;
    if (!text) return clrnn_fail(CLRNN_E_NOMEM, "out of memory copying the model");
    clrnn_model *step = NULL;
    s = clrnn_model_from_json_keras(m->ctx, text, m->keras_major, NULL, 0, m->in_dtype, 0, &step);
    cJSON_free(text);
    if (!s && step->n_params != m->n_params)
        s = clrnn_fail(CLRNN_E_SHAPE, "the stepping copy has %zu parameters, the model %zu",
                       step->n_params, m->n_params);
    if (!s) s = clrnn_buf_copy(m->ctx, m->params, 0, step->params, 0, m->n_params * sizeof(float));
    if (!s) s = clrnn_model_set_vocabulary(step, (const char *const *)m->vocab, m->n_vocab);
    if (s) {
        clrnn_model_free(step);
        return s;
    }
    *out = step;
    return CLRNN_OK;
}
