/*
 * info_file.c - clrnn-info file: what a model file holds, read without a device: its format
 * (legacy full-model .h5, Keras 2 save_weights .h5, Keras 3 .weights.h5, .keras archive, or
 * an architecture JSON with optional --weights), Keras version, training configuration,
 * layers, and each weight's name and shape as the file stores it.
 */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "clrnn_formats.h"
#include "info_file.h"

/* One layer's weights as found in a file: the key that names it there (a legacy layer
 * name, or the first path component under /layers of a Keras 3 weights file), one text
 * line per weight, "kernel (3, 16)". */
struct wgroup {
    char *key;
    char **lines;
    int n, used;
};
struct wsource {
    struct wgroup *g;
    int n, by_class; /* by_class: Keras 3 keys (snake_case class name, _1, _2...) */
    long long arrays, params;
};

static void *grow(void *p, size_t n, size_t size) {
    void *q = realloc(p, (n ? n : 1) * size);
    if (!q) {
        fprintf(stderr, "%s: error: out of memory\n", cli_prog());
        exit(3);
    }
    return q;
}

static char *dup_text(const char *s) {
    char *d = grow(NULL, strlen(s) + 1, 1);
    return strcpy(d, s);
}

static struct wgroup *wgroup_get(struct wsource *src, const char *key) {
    for (int i = 0; i < src->n; i++)
        if (strcmp(src->g[i].key, key) == 0) return &src->g[i];
    src->g = grow(src->g, (size_t)src->n + 1, sizeof *src->g);
    struct wgroup *g = &src->g[src->n++];
    memset(g, 0, sizeof *g);
    g->key = dup_text(key);
    return g;
}

/* Adds "name (d0, d1)" (a 1-D shape as Python writes it, "(16,)") to the group. */
static void wgroup_add(struct wsource *src, struct wgroup *g, const char *name, int rank,
                       const int64_t *dims) {
    char line[1400];
    int len = snprintf(line, sizeof line, "%s (", name);
    long long count = 1;
    for (int i = 0; i < rank && len < (int)sizeof line - 32; i++) {
        len += snprintf(line + len, sizeof line - (size_t)len, "%s%lld", i ? ", " : "",
                        (long long)dims[i]);
        count *= dims[i];
    }
    snprintf(line + len, sizeof line - (size_t)len, "%s)", rank == 1 ? "," : "");
    g->lines = grow(g->lines, (size_t)g->n + 1, sizeof *g->lines);
    g->lines[g->n++] = dup_text(line);
    src->arrays++;
    src->params += count;
}

static void wsource_free(struct wsource *src) {
    for (int i = 0; i < src->n; i++) {
        for (int j = 0; j < src->g[i].n; j++) free(src->g[i].lines[j]);
        free(src->g[i].lines);
        free(src->g[i].key);
    }
    free(src->g);
}

/* Order "vars/2" before "vars/10": runs of digits compare as numbers. */
static int natural_cmp(const char *a, const char *b) {
    while (*a && *b) {
        if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
            char *ea, *eb;
            unsigned long long x = strtoull(a, &ea, 10), y = strtoull(b, &eb, 10);
            if (x != y) return x < y ? -1 : 1;
            a = ea, b = eb;
        } else if (*a != *b) {
            break;
        } else {
            a++, b++;
        }
    }
    return (unsigned char)*a - (unsigned char)*b;
}

static int line_cmp(const void *a, const void *b) {
    return natural_cmp(*(char *const *)a, *(char *const *)b);
}
static int group_cmp(const void *a, const void *b) {
    return natural_cmp(((const struct wgroup *)a)->key, ((const struct wgroup *)b)->key);
}

/* One dataset under /layers: "lstm/cell/vars/0" goes to group "lstm" as "cell/vars/0". */
static herr_t visit_link(hid_t g, const char *name, const H5L_info_t *info, void *data) {
    if (info->type != H5L_TYPE_HARD) return 0;
    hid_t o = H5Oopen(g, name, H5P_DEFAULT), space = -1;
    if (o < 0) return -1;
    int rank = 0;
    hsize_t dims[H5S_MAX_RANK];
    int64_t d64[H5S_MAX_RANK];
    if (H5Iget_type(o) == H5I_DATASET) {
        space = H5Dget_space(o);
        rank = space < 0 ? -1 : H5Sget_simple_extent_dims(space, dims, NULL);
        if (space >= 0) H5Sclose(space);
    }
    H5Oclose(o);
    if (rank < 0) return -1;
    if (space < 0) return 0; /* a group */
    for (int i = 0; i < rank; i++) d64[i] = (int64_t)dims[i];
    const char *slash = strchr(name, '/');
    char key[1024];
    snprintf(key, sizeof key, "%.*s", slash ? (int)(slash - name) : (int)strlen(name), name);
    wgroup_add(data, wgroup_get(data, key), slash ? slash + 1 : "(value)", rank, d64);
    return 0;
}

/* Every dataset under /layers of a Keras 3 weights file (on disk, or the image of a .keras
 * archive's member), grouped by layer key, in natural order ("vars/2" before "vars/10"). */
static void read_keras3_weights(const char *path, const void *image, size_t size,
                                struct wsource *src) {
    char name[1200];
    snprintf(name, sizeof name, image ? "%s/model.weights.h5" : "%s", path);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS), f = -1;
    if (fapl >= 0 && (!image || (H5Pset_fapl_core(fapl, 1 << 20, 0) >= 0 &&
                                 H5Pset_file_image(fapl, (void *)image, size) >= 0)))
        f = H5Fopen(name, H5F_ACC_RDONLY, fapl);
    if (fapl >= 0) H5Pclose(fapl);
    if (f < 0) cli_fail("%s: HDF5 cannot open it; the file may be truncated or corrupt", name);
    src->by_class = 1;
    if (H5Lexists(f, "layers", H5P_DEFAULT) > 0) {
        hid_t g = H5Gopen2(f, "layers", H5P_DEFAULT);
        herr_t r = g < 0 ? -1 : H5Lvisit(g, H5_INDEX_NAME, H5_ITER_INC, visit_link, src);
        if (g >= 0) H5Gclose(g);
        if (r < 0) cli_fail("%s: cannot read the datasets under /layers (a corrupt file?)", name);
    }
    H5Fclose(f);
    qsort(src->g, (size_t)src->n, sizeof *src->g, group_cmp);
    for (int i = 0; i < src->n; i++)
        qsort(src->g[i].lines, (size_t)src->g[i].n, sizeof *src->g[i].lines, line_cmp);
}

/* A legacy full-model or Keras 2 save_weights .h5: weights by layer name, as stored. */
static void legacy_weights(const struct clrnn_fmt_model *m, struct wsource *src) {
    for (int i = 0; i < m->n_layers; i++) {
        struct wgroup *g = wgroup_get(src, m->layers[i].name);
        for (int j = 0; j < m->layers[i].n_weights; j++) {
            const struct clrnn_fmt_weight *w = &m->layers[i].weights[j];
            wgroup_add(src, g, w->name, w->rank, w->dims);
        }
    }
}

/* Keras's naming.to_snake_case: "SimpleRNN" -> "simple_rnn", "LSTMCell" -> "lstm_cell". */
static void snake_case(const char *s, char *out, size_t size) {
    size_t n = 0;
    for (size_t i = 0; s[i] && n + 3 < size; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!isalnum(c) && c != '_') continue;
        if (i > 0 && isupper(c) &&
            (islower((unsigned char)s[i + 1]) || islower((unsigned char)s[i - 1])))
            out[n++] = '_';
        out[n++] = (char)tolower(c);
    }
    out[n] = '\0';
}

static const char *json_str(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

struct row {
    char name[256], cls[256], key[256]; /* key: the Keras 3 base key, snake_case class name */
    struct wgroup *g;
};

/* The layer list of a Keras architecture ({"class_name", "config"}): one row per layer,
 * with its weights from src when there is one, then rows for weights of no listed layer. */
static void print_model(const cJSON *arch, struct wsource *src, const char *from) {
    struct row *rows = NULL;
    int n = 0;
    if (arch) {
        const cJSON *config = cJSON_GetObjectItemCaseSensitive(arch, "config");
        const cJSON *layers = cJSON_IsArray(config) ? config /* Keras 2.0, 2.1 Sequential */
                                                    : cJSON_GetObjectItemCaseSensitive(config, "layers");
        const char *name = json_str(config, "name");
        int count = cJSON_GetArraySize(layers);
        printf("model     %s%s%s%s, %d layer%s\n", json_str(arch, "class_name"), name ? " '" : "",
               name ? name : "", name ? "'" : "", count, count == 1 ? "" : "s");
        const cJSON *l;
        cJSON_ArrayForEach(l, layers) {
            const cJSON *lc = cJSON_GetObjectItemCaseSensitive(l, "config");
            const char *cls = json_str(l, "class_name"), *lname = json_str(lc, "name");
            const char *inner = json_str(cJSON_GetObjectItemCaseSensitive(lc, "layer"), "class_name");
            if (!lname) lname = json_str(l, "name");
            rows = grow(rows, (size_t)n + 1, sizeof *rows);
            struct row *r = &rows[n];
            snprintf(r->name, sizeof r->name, "%s", lname ? lname : "?");
            snprintf(r->cls, sizeof r->cls, "%s%s%s%s", cls ? cls : "?", inner ? "(" : "",
                     inner ? inner : "", inner ? ")" : "");
            snake_case(cls ? cls : "", r->key, sizeof r->key);
            char key[300]; /* Keras 3: the base key, then base_1, base_2... as the class repeats */
            int same = 0;
            for (int i = 0; i < n; i++) same += strcmp(rows[i].key, r->key) == 0;
            if (src->by_class && same) snprintf(key, sizeof key, "%s_%d", r->key, same);
            else snprintf(key, sizeof key, "%s", src->by_class ? r->key : r->name);
            r->g = NULL;
            for (int i = 0; i < src->n && !r->g; i++)
                if (!src->g[i].used && strcmp(src->g[i].key, key) == 0) r->g = &src->g[i];
            if (r->g) r->g->used = 1;
            n++;
        }
    }
    for (int i = 0; i < src->n; i++) {
        if (src->g[i].used) continue;
        rows = grow(rows, (size_t)n + 1, sizeof *rows);
        snprintf(rows[n].name, sizeof rows[n].name, "%s", src->g[i].key);
        rows[n].cls[0] = rows[n].key[0] = '\0';
        rows[n++].g = &src->g[i];
    }
    if (from) printf("weights   %s%s%lld arrays, %lld parameters\n", from, *from ? ": " : "",
                     src->arrays, src->params);
    else printf("weights   none (--weights FILE adds them)\n");
    int wn = 4, wc = 0; /* no class column when no layer has a class */
    for (int i = 0; i < n; i++) {
        if ((int)strlen(rows[i].name) > wn) wn = (int)strlen(rows[i].name);
        if ((int)strlen(rows[i].cls) > wc) wc = (int)strlen(rows[i].cls);
    }
    printf("layers\n");
    for (int i = 0; i < n; i++) {
        const struct wgroup *g = rows[i].g;
        for (int j = 0; j < (g && g->n ? g->n : 1); j++) {
            char line[2400];
            int len = snprintf(line, sizeof line, "  %-*s  ", wn, j ? "" : rows[i].name);
            if (wc) len += snprintf(line + len, sizeof line - (size_t)len, "%-*s  ", wc, j ? "" : rows[i].cls);
            len += snprintf(line + len, sizeof line - (size_t)len, "%s",
                            g && g->n ? g->lines[j] : from ? "(no weights)" : "");
            while (len > 0 && line[len - 1] == ' ') line[--len] = '\0';
            puts(line);
        }
    }
    free(rows);
}

/* "loss binary_crossentropy, optimizer Adam (learning_rate 0.001)" from a training_config
 * (keys loss, optimizer_config) or a Keras 3 compile_config (keys loss, optimizer). */
/* The names in a metrics list: strings, objects by their config's name, tf.keras 2's lists
 * of them (one per output). */
static void print_metric_names(const cJSON *m, int *count) {
    if (cJSON_IsArray(m)) {
        const cJSON *e;
        cJSON_ArrayForEach(e, m) print_metric_names(e, count);
        return;
    }
    const char *name = cJSON_IsString(m) ? m->valuestring
                                         : json_str(cJSON_GetObjectItemCaseSensitive(m, "config"),
                                                    "name");
    if (!name) name = json_str(m, "class_name");
    if (name) printf("%s%s", (*count)++ ? ", " : ", metrics ", name);
}

static void print_training(const cJSON *tc) {
    const cJSON *loss = cJSON_GetObjectItemCaseSensitive(tc, "loss");
    const cJSON *opt = cJSON_GetObjectItemCaseSensitive(tc, "optimizer_config");
    if (!opt) opt = cJSON_GetObjectItemCaseSensitive(tc, "optimizer");
    if (!loss && !opt) return;
    /* a loss function ({"class_name": "function", "config": NAME}) or object by its name */
    const char *lcls = json_str(loss, "class_name");
    const char *lname = cJSON_IsString(loss) ? loss->valuestring
                        : lcls && strcmp(lcls, "function") == 0 ? json_str(loss, "config") : lcls;
    char *ltext = lname || !loss ? NULL : cJSON_PrintUnformatted(loss);
    printf("training  loss %s", lname ? lname : ltext ? ltext : "-");
    free(ltext);
    int metrics = 0;
    print_metric_names(cJSON_GetObjectItemCaseSensitive(tc, "metrics"), &metrics);
    const char *ocls = cJSON_IsString(opt) ? opt->valuestring : json_str(opt, "class_name");
    if (ocls) {
        printf(", optimizer %s", ocls);
        const cJSON *lr = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(opt, "config"), "learning_rate");
        if (cJSON_IsNumber(lr)) printf(" (learning_rate %g)", lr->valuedouble);
        else if (json_str(lr, "class_name")) printf(" (learning_rate %s)", json_str(lr, "class_name"));
    }
    printf("\n");
}

/* "epochs    12 trained": clrnn keeps the count in training_config (Keras ignores it) for
 * --resume. */
static void print_epochs(const cJSON *tc) {
    const cJSON *done = cJSON_GetObjectItemCaseSensitive(tc, "clrnn_epochs_done");
    if (cJSON_IsNumber(done)) printf("epochs    %.0f trained\n", done->valuedouble);
}

/* "vocabulary 59 tokens, character level": the tokens a text model's ids stand for. */
static void print_vocabulary(const char *const *tokens, int n, const char *where) {
    int words = cli_vocabulary_is_words(tokens, n);
    printf("vocabulary %d tokens, %s level%s (%s)\n", n, words ? "word" : "character",
           words ? ", 0 padding, 1 [UNK]" : "", where);
}

/* The vocabulary a legacy .h5 written by clrnn carries (dataset clrnn_vocabulary). */
static void print_h5_vocabulary(const char *path) {
    cli_reading(path, cli_read_limit(path));
    char **tokens = NULL;
    int n = 0;
    clrnn_status s = CLRNN_OK;
    if (clrnn_fmt_data_has(path, "clrnn_vocabulary") == 1)
        s = clrnn_fmt_h5_read_tokens(path, "clrnn_vocabulary", &tokens, &n);
    cli_reading(NULL, 0);
    if (s) cli_fail_status(s);
    if (!tokens) return;
    print_vocabulary((const char *const *)tokens, n, "clrnn_vocabulary");
    clrnn_fmt_vocabulary_free(tokens, n);
}

static cJSON *parse_json(const char *text, const char *where) {
    cJSON *j = cJSON_Parse(text);
    if (!j) cli_fail("%s: not valid JSON", where);
    return j;
}

/* The architecture of a model_config or a to_json file; a user error when it is not one. */
static cJSON *parse_arch(const char *text, const char *where) {
    cJSON *j = parse_json(text, where);
    if (!json_str(j, "class_name") || !cJSON_GetObjectItemCaseSensitive(j, "config"))
        cli_fail("%s: JSON but not a Keras model architecture (no class_name and config)", where);
    return j;
}

/* Reads an .h5 with weights into src; returns the model (model_config may be NULL) or, for
 * a Keras 3 weights file, sets *keras3 and leaves m empty. */
static void read_h5(const char *path, struct clrnn_fmt_model *m, int *keras3, struct wsource *src) {
    memset(m, 0, sizeof *m);
    *keras3 = clrnn_fmt_is_keras3_weights(path) == 1;
    if (*keras3) {
        read_keras3_weights(path, NULL, 0, src);
        return;
    }
    clrnn_status s = clrnn_fmt_h5_read(path, m);
    if (s) cli_fail_status(s);
    legacy_weights(m, src);
}

static int has_link(const char *path, const char *name) {
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    int yes = f >= 0 && H5Lexists(f, name, H5P_DEFAULT) > 0;
    if (f >= 0) H5Fclose(f);
    return yes;
}

int info_file_main(int argc, char **argv) {
    const char *path = NULL, *weights = NULL, *v;
    for (int i = 0; i < argc; i++) {
        if ((v = cli_flag_value(argc, argv, &i, "--weights"))) weights = v;
        else if (strcmp(argv[i], "--help") == 0) cli_help();
        else if (argv[i][0] == '-') cli_usage_error("unknown option '%s'", argv[i]);
        else if (!path) path = argv[i];
        else cli_usage_error("unexpected argument '%s'", argv[i]);
    }
    if (!path) cli_usage_error("file needs a MODEL");
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* failures are reported here, in one line */
    cli_reading(path, cli_read_limit(path));
    int hdf5 = clrnn_fmt_is_hdf5(path), zip = clrnn_fmt_is_zip(path) == 1, json = !hdf5 && !zip;
    if (hdf5 < 0) cli_fail("%s: %s", path, strerror(errno));
    if (weights && !json) cli_usage_error("--weights goes with a JSON architecture only");

    struct wsource src = {NULL, 0, 0, 0, 0};
    struct clrnn_fmt_model m = {0};
    cJSON *arch = NULL, *training = NULL;
    char **archive_vocabulary = NULL; /* clrnn's, in a .keras archive */
    int n_archive_vocabulary = 0;
    char format[200] = "", keras[200] = "";
    int keras3 = 0;
    const char *backend = NULL;
    char from_text[1200] = "", *from = json ? NULL : from_text;
    if (hdf5) {
        read_h5(path, &m, &keras3, &src);
        if (keras3) {
            strcpy(format, "Keras 3 weights HDF5 (.weights.h5: /layers/<layer>/vars/<n>)");
        } else if (m.model_config) {
            snprintf(format, sizeof format, "Keras legacy full-model HDF5 (model_config%s, model_weights%s)",
                     m.training_config ? ", training_config" : "",
                     has_link(path, "optimizer_weights") ? ", optimizer_weights"
                     : has_link(path, CLRNN_FMT_OPTIMIZER_GROUP) ? ", " CLRNN_FMT_OPTIMIZER_GROUP
                                                                 : "");
            arch = parse_arch(m.model_config, path);
            if (m.training_config) training = parse_json(m.training_config, path);
        } else {
            strcpy(format, "Keras 2 save_weights HDF5 (layer_names and weights at the root)");
        }
        snprintf(keras, sizeof keras, "%s", m.keras_version ? m.keras_version : "");
        backend = m.backend;
    } else if (zip) {
        struct clrnn_fmt_keras_archive a;
        clrnn_status s = clrnn_fmt_keras_archive_read(path, &a);
        if (s) cli_fail_status(s);
        strcpy(format, "Keras 3 .keras archive (config.json, metadata.json, model.weights.h5)");
        snprintf(keras, sizeof keras, "%s", a.keras_version ? a.keras_version : "");
        arch = parse_arch(a.config, path);
        read_keras3_weights(path, a.weights, a.weights_size, &src);
        archive_vocabulary = a.vocabulary, n_archive_vocabulary = a.n_vocabulary;
        a.vocabulary = NULL; /* kept for printing */
        clrnn_fmt_keras_archive_clear(&a);
    } else {
        char *text = cli_read_text(path);
        if (text[strspn(text, " \t\r\n")] != '{')
            cli_fail("%s: not a Keras model file (not HDF5, not a .keras zip archive, not JSON)", path);
        arch = parse_arch(text, path);
        free(text);
        snprintf(format, sizeof format, "Keras%s architecture JSON (model.to_json)",
                 json_str(arch, "module") ? " 3" : "");
        if (json_str(arch, "keras_version"))
            snprintf(keras, sizeof keras, "%s", json_str(arch, "keras_version"));
        backend = json_str(arch, "backend");
        if (weights) {
            struct clrnn_fmt_model wm;
            int wk3;
            cli_reading(weights, cli_read_limit(weights));
            read_h5(weights, &wm, &wk3, &src);
            snprintf(from = from_text, sizeof from_text, "%s (%s)", weights,
                     wk3 ? "Keras 3 weights HDF5" : wm.model_config ? "a full-model HDF5"
                                                                    : "Keras 2 save_weights HDF5");
            clrnn_fmt_model_clear(&wm);
        }
    }
    cli_reading(NULL, 0);
    if (arch && !training) training = cJSON_Duplicate(
        cJSON_GetObjectItemCaseSensitive(arch, "compile_config"), 1);

    printf("file      %s\n", path);
    printf("format    %s\n", format);
    printf("keras     %s%s%s%s\n", *keras ? keras : "(version not recorded)",
           backend ? " (backend " : "", backend ? backend : "", backend ? ")" : "");
    if (training) print_training(training);
    if (training) print_epochs(training);
    if (hdf5 && !keras3) print_h5_vocabulary(path);
    if (archive_vocabulary)
        print_vocabulary((const char *const *)archive_vocabulary, n_archive_vocabulary,
                         "assets/clrnn/vocabulary.json");
    clrnn_fmt_vocabulary_free(archive_vocabulary, n_archive_vocabulary);
    print_model(arch, &src, from);

    cJSON_Delete(arch);
    cJSON_Delete(training);
    clrnn_fmt_model_clear(&m);
    wsource_free(&src);
    return 0;
}

