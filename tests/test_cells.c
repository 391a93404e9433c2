/*
 * test_cells.c - the table of recurrent cells (host/cell.h, host/cell_list.h) without a
 * device: every library cell has an entry of the same shapes in the plain-C reference
 * (tests/ref/ref_cells.c) and every reference cell is a library cell, so a cell added to
 * one and not the other fails here; every cell is reached from a Keras config, with its
 * layer's class or in Keras's RNN wrapper; and its config keys round-trip (what its
 * config_json writes, its configure reads back to the same cell and the same JSON).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clrnn_impl.h"
#include "layer_rnn.h"
#include "ref.h"
#include "test.h"

static void test_reference_entries(void) {
    CHECK(clrnn_cell_count() >= 1);
    for (int i = 0; i < clrnn_cell_count(); i++) {
        const struct clrnn_cell_ops *c = clrnn_cell_at(i);
        const struct ref_cell_info *ref = ref_cell_by_name(c->name);
        if (!ref) {
            fprintf(stderr, "library cell '%s' has no reference in tests/ref/ref_cells.c\n",
                    c->name);
            CHECK(ref != NULL);
            continue;
        }
        CHECK_INT_EQ(ref->gates, c->gates);
        CHECK_INT_EQ(ref->states, c->states);
        CHECK_INT_EQ(ref->bias_rows, c->bias_rows);
        CHECK_INT_EQ(ref->h_product_gates, c->h_product_gates);
        CHECK(ref->unit != NULL);
        CHECK(ref_cell_get(ref->cell) == ref);
        for (int j = 0; j < i; j++) CHECK(strcmp(clrnn_cell_at(j)->name, c->name) != 0);
    }
    CHECK(clrnn_cell_at(clrnn_cell_count()) == NULL);
    CHECK_INT_EQ(ref_cell_count(), clrnn_cell_count());
    for (int i = 0; i < ref_cell_count(); i++) {
        const char *name = ref_cell_at(i)->name;
        int found = 0;
        for (int j = 0; j < clrnn_cell_count(); j++) found |= !strcmp(clrnn_cell_at(j)->name, name);
        if (!found) fprintf(stderr, "reference cell '%s' is no library cell\n", name);
        CHECK(found);
    }
}

/* The layer made from `json`, or NULL (the error printed) */
static struct clrnn_layer *layer_from(const char *json) {
    cJSON *o = cJSON_Parse(json);
    struct clrnn_layer *l = NULL;
    CHECK(o != NULL);
    if (o && clrnn_layer_create(o, CLRNN_KERAS_MAJOR_DEFAULT, &l) != CLRNN_OK)
        fprintf(stderr, "%s: %s\n", json, clrnn_last_error());
    cJSON_Delete(o);
    CHECK(l != NULL);
    return l;
}

/* The layer's config JSON as text, owned by the caller */
static char *config_text(const struct clrnn_layer *l) {
    cJSON *o = cJSON_CreateObject();
    CHECK(l->ops->config_json(l, o) == CLRNN_OK);
    char *t = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return t;
}

/* Makes the layer, writes its config, makes it again from that and checks the same cell and
 * the same config; marks the cell reached. */
static void round_trip(const char *cls, const char *json, int *reached) {
    struct clrnn_layer *l = layer_from(json);
    if (!l) return;
    const struct clrnn_cell_ops *cell = ((const struct rnn_cfg *)l->cfg)->cell;
    for (int i = 0; i < clrnn_cell_count(); i++) reached[i] |= clrnn_cell_at(i) == cell;
    char *text = config_text(l), again[4096];
    snprintf(again, sizeof again, "{\"class_name\": \"%s\", \"config\": %s}", cls, text);
    struct clrnn_layer *l2 = layer_from(again);
    if (l2) {
        char *text2 = config_text(l2);
        CHECK(((const struct rnn_cfg *)l2->cfg)->cell == cell);
        CHECK(strcmp(text, text2) == 0);
        if (strcmp(text, text2)) fprintf(stderr, "%s\n%s\n", text, text2);
        cJSON_free(text2);
    }
    cJSON_free(text);
    clrnn_layer_free(l2);
    clrnn_layer_free(l);
}

/* Every cell from a Keras config: its layer class and Keras's RNN(cell), with the defaults
 * and with every cell's variant keys set the other way */
static void test_configs(void) {
    static const char *const keys[] = {"", ", \"unit_forget_bias\": false, \"reset_after\": false"};
    int reached[64] = {0};
    CHECK(clrnn_cell_count() <= 64);
    for (int i = 0; i < clrnn_cell_count(); i++) {
        const struct clrnn_cell_ops *c = clrnn_cell_at(i);
        CHECK(clrnn_cell_by_keras_class(c->keras_class) != NULL);
        CHECK(clrnn_cell_by_cell_class(c->cell_class) == clrnn_cell_by_keras_class(c->keras_class));
        CHECK(clrnn_cell_by_scope(c->cell_scope) == clrnn_cell_by_keras_class(c->keras_class));
        for (int k = 0; k < 2; k++) {
            char json[512];
            snprintf(json, sizeof json, "{\"class_name\": \"%s\", \"config\": {\"name\": \"a\", "
                     "\"units\": 3, \"activation\": \"relu\"%s}}", c->keras_class, keys[k]);
            round_trip(c->keras_class, json, reached);
            snprintf(json, sizeof json, "{\"class_name\": \"RNN\", \"config\": {\"name\": \"b\", "
                     "\"cell\": {\"class_name\": \"%s\", \"config\": {\"name\": \"c\", \"units\": "
                     "3%s}}}}", c->cell_class, keys[k]);
            round_trip("RNN", json, reached);
        }
    }
    for (int i = 0; i < clrnn_cell_count(); i++) {
        if (!reached[i]) fprintf(stderr, "cell '%s' is reached from no config\n",
                                 clrnn_cell_at(i)->name);
        CHECK(reached[i]);
    }
    /* the messages list each cell class (default cell name) once */
    for (int scopes = 0; scopes < 2; scopes++) {
        char list[256], item[64];
        clrnn_cell_list(list, sizeof list, scopes);
        for (int i = 0; i < clrnn_cell_count(); i++) {
            const struct clrnn_cell_ops *c = clrnn_cell_at(i);
            snprintf(item, sizeof item, "%s", scopes ? c->cell_scope : c->cell_class);
            const char *at = strstr(list, item);
            CHECK(at != NULL);
            if (at) CHECK(strstr(at + 1, item) == NULL);
        }
    }
}

int main(void) {
    test_reference_entries();
    test_configs();
    TEST_MAIN_END();
}
