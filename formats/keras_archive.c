/*
 * keras_archive.c - reading Keras 3 .keras archives (keras-format.md section 3): a zip of
 * config.json (the model as keras.saving.serialize_keras_object writes it), metadata.json
 * (keras_version, date_saved) and model.weights.h5, plus assets. The members are read into
 * memory by name; nothing is ever extracted, and an archive holding members with absolute
 * or '..' paths is refused all the same, as a file no honest Keras wrote. Writing makes the
 * three members in a temporary archive renamed into place.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zip.h>

#include "clrnn_base.h"
#include "clrnn_formats.h"
#include "h5_util.h"

#define MAX_JSON_BYTES ((uint64_t)64 << 20)
/* where Keras keeps the vocabulary of a TextVectorization layer (the first of its class) */
#define TEXT_VOCABULARY "assets/layers/text_vectorization/vocabulary.txt"
/* where clrnn keeps a model's vocabulary: an asset no Keras layer owns, which Keras's
 * load_model extracts with the other assets and never reads (keras-format.md) */
#define CLRNN_VOCABULARY "assets/clrnn/vocabulary.json"

int clrnn_fmt_is_zip(const char *path) {
    FILE *f = clrnn_fmt_fopen_read(path);
    if (!f) return -1;
    unsigned char head[4] = {0};
    size_t n = fread(head, 1, sizeof head, f);
    fclose(f);
    return n == 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4;
}

void clrnn_fmt_keras_archive_clear(struct clrnn_fmt_keras_archive *a) {
    clrnn_free(a->config);
    clrnn_free(a->keras_version);
    clrnn_free(a->weights);
    clrnn_free(a->text_vocabulary);
    clrnn_fmt_vocabulary_free(a->vocabulary, a->n_vocabulary);
    memset(a, 0, sizeof *a);
}

/* No member may name a place outside the archive's own tree. */
static clrnn_status check_member_names(zip_t *z, const char *path) {
    zip_int64_t n = zip_get_num_entries(z, 0);
    for (zip_int64_t i = 0; i < n; i++) {
        const char *name = zip_get_name(z, (zip_uint64_t)i, ZIP_FL_ENC_RAW);
        if (!name) continue;
        int dotdot = strcmp(name, "..") == 0 || strncmp(name, "../", 3) == 0 ||
                     strstr(name, "/../") != NULL ||
                     (strlen(name) >= 3 && strcmp(name + strlen(name) - 3, "/..") == 0);
        if (name[0] == '/' || name[0] == '\\' || dotdot || strchr(name, ':'))
            return clrnn_fail(CLRNN_E_FORMAT, "%s: the archive holds a member named '%.200s', "
                              "outside the archive's own folder: refused", path, name);
    }
    return CLRNN_OK;
}

/* The member `name` read whole into new memory (plus a NUL), after checking its declared
 * size against max; the bytes read must be the bytes declared. */
static clrnn_status read_member(zip_t *z, const char *path, const char *name, uint64_t max,
                                char **out, size_t *size) {
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat(z, name, 0, &st) != 0)
        return clrnn_fail(CLRNN_E_FORMAT, "%s: the archive has no %s (not a Keras 3 .keras "
                          "file?)", path, name);
    if (!(st.valid & ZIP_STAT_SIZE) || st.size > max)
        return clrnn_fail(CLRNN_E_FORMAT, "%s: %s declares %llu bytes, more than the %llu "
                          "clrnn accepts", path, name, (unsigned long long)st.size,
                          (unsigned long long)max);
    char *buf = clrnn_malloc((size_t)st.size + 1);
    if (!buf)
        return clrnn_fail(CLRNN_E_NOMEM, "%s: out of memory for %s (%llu bytes)", path, name,
                          (unsigned long long)st.size);
    zip_file_t *zf = zip_fopen(z, name, 0);
    zip_int64_t got = zf ? zip_fread(zf, buf, st.size) : -1;
    char extra;
    /* one byte more than declared means the size lied */
    zip_int64_t more = zf && got == (zip_int64_t)st.size ? zip_fread(zf, &extra, 1) : 0;
    if (zf) zip_fclose(zf);
    if (got != (zip_int64_t)st.size || more != 0) {
        clrnn_free(buf);
        return clrnn_fail(CLRNN_E_FORMAT, "%s: %s cannot be read whole (the archive is "
                          "truncated or corrupt)", path, name);
    }
    buf[st.size] = '\0';
    *out = buf;
    if (size) *size = (size_t)st.size;
    return CLRNN_OK;
}

/* keras_version (and clrnn's epoch count) from metadata.json, when it has them. */
static clrnn_status read_metadata(zip_t *z, const char *path, char **out, int *epochs_done) {
    zip_stat_t st;
    if (zip_stat(z, "metadata.json", 0, &st) != 0) return CLRNN_OK;
    char *text = NULL;
    clrnn_status s = read_member(z, path, "metadata.json", MAX_JSON_BYTES, &text, NULL);
    if (s) return s;
    cJSON *meta = cJSON_Parse(text);
    clrnn_free(text);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(meta, "keras_version");
    if (cJSON_IsString(v)) {
        size_t n = strlen(v->valuestring);
        if ((*out = clrnn_malloc(n + 1))) memcpy(*out, v->valuestring, n + 1);
    }
    const cJSON *done = cJSON_GetObjectItemCaseSensitive(meta, "clrnn_epochs_done");
    if (cJSON_IsNumber(done) && done->valuedouble > 0 && done->valuedouble < 1e9)
        *epochs_done = (int)done->valuedouble;
    cJSON_Delete(meta);
    return CLRNN_OK;
}

/* clrnn's vocabulary asset: a JSON array of the tokens (any character, a newline too). */
static clrnn_status read_vocabulary(zip_t *z, const char *path, char ***tokens, int *n) {
    char *text = NULL;
    clrnn_status s = read_member(z, path, CLRNN_VOCABULARY, MAX_JSON_BYTES, &text, NULL);
    if (s) return s;
    cJSON *list = cJSON_Parse(text);
    clrnn_free(text);
    int count = cJSON_IsArray(list) ? cJSON_GetArraySize(list) : -1;
    char **t = count > 0 ? clrnn_calloc((size_t)count, sizeof *t) : NULL;
    if (count < 1) s = clrnn_fail(CLRNN_E_FORMAT, "%s: %s is not a list of tokens", path,
                                  CLRNN_VOCABULARY);
    else if (!t) s = clrnn_fail(CLRNN_E_NOMEM, "%s: out of memory for the vocabulary", path);
    for (int i = 0; !s && i < count; i++) {
        const cJSON *item = cJSON_GetArrayItem(list, i);
        if (!cJSON_IsString(item)) {
            s = clrnn_fail(CLRNN_E_FORMAT, "%s: %s: token %d is not a string", path,
                           CLRNN_VOCABULARY, i);
            break;
        }
        size_t len = strlen(item->valuestring);
        if (!(t[i] = clrnn_malloc(len + 1))) {
            s = clrnn_fail(CLRNN_E_NOMEM, "%s: out of memory for the vocabulary", path);
            break;
        }
        memcpy(t[i], item->valuestring, len + 1);
    }
    cJSON_Delete(list);
    if (s) {
        clrnn_fmt_vocabulary_free(t, count);
        return s;
    }
    *tokens = t;
    *n = count;
    return CLRNN_OK;
}

clrnn_status clrnn_fmt_keras_archive_read(const char *path, struct clrnn_fmt_keras_archive *out) {
    memset(out, 0, sizeof *out);
    int err = 0;
    zip_t *z = zip_open(path, ZIP_RDONLY, &err);
    if (!z) {
        zip_error_t ze;
        zip_error_init_with_code(&ze, err);
        clrnn_status s = clrnn_fail(err == ZIP_ER_NOENT || err == ZIP_ER_OPEN ? CLRNN_E_IO
                                                                                : CLRNN_E_FORMAT,
                                    "%s: cannot open it as a .keras archive (%s)", path,
                                    zip_error_strerror(&ze));
        zip_error_fini(&ze);
        return s;
    }
    struct clrnn_fmt_keras_archive a;
    memset(&a, 0, sizeof a);
    clrnn_status s = check_member_names(z, path);
    if (!s) s = read_member(z, path, "config.json", MAX_JSON_BYTES, &a.config, NULL);
    if (!s) s = read_metadata(z, path, &a.keras_version, &a.epochs_done);
    char *weights = NULL;
    if (!s)
        s = read_member(z, path, "model.weights.h5", CLRNN_FMT_MAX_WEIGHTS_BYTES, &weights,
                        &a.weights_size);
    a.weights = weights;
    zip_stat_t st;
    if (!s && zip_stat(z, TEXT_VOCABULARY, 0, &st) == 0)
        s = read_member(z, path, TEXT_VOCABULARY, MAX_JSON_BYTES, &a.text_vocabulary, NULL);
    if (!s && zip_stat(z, CLRNN_VOCABULARY, 0, &st) == 0)
        s = read_vocabulary(z, path, &a.vocabulary, &a.n_vocabulary);
    zip_discard(z);
    if (s) {
        clrnn_fmt_keras_archive_clear(&a);
        return s;
    }
    *out = a;
    return CLRNN_OK;
}

/* Adds a member made of src, or frees src when that fails; 0 on success. */
static int add_source(zip_t *z, const char *name, zip_source_t *src) {
    if (!src) return -1;
    if (zip_file_add(z, name, src, ZIP_FL_OVERWRITE | ZIP_FL_ENC_UTF_8) < 0) {
        zip_source_free(src);
        return -1;
    }
    return 0;
}

/* A member from text kept alive by the caller until zip_close. */
static int add_text(zip_t *z, const char *name, const char *text) {
    return add_source(z, name, zip_source_buffer(z, text, strlen(text), 0));
}

static int add_file(zip_t *z, const char *name, const char *file) {
    return add_source(z, name, zip_source_file(z, file, 0, -1));
}

clrnn_status clrnn_fmt_keras_archive_write(const char *path, const char *config_json,
                                           const char *keras_version, int epochs_done,
                                           const struct clrnn_fmt_weight *ws, int n,
                                           const char *const *vocabulary, int n_vocabulary) {
    size_t len = strlen(path) + 48;
    char *weights = clrnn_malloc(len), *tmp = clrnn_malloc(len), *meta = NULL, *vocab = NULL;
    clrnn_status s = CLRNN_OK;
    if (!weights || !tmp) s = clrnn_fail(CLRNN_E_NOMEM, "out of memory writing %s", path);
    if (!s && n_vocabulary > 0) {
        cJSON *list = cJSON_CreateStringArray(vocabulary, n_vocabulary);
        vocab = list ? cJSON_PrintUnformatted(list) : NULL;
        cJSON_Delete(list);
        if (!vocab) s = clrnn_fail(CLRNN_E_NOMEM, "out of memory writing %s", path);
    }
    cJSON *m = s ? NULL : cJSON_CreateObject();
    if (m) {
        cJSON_AddStringToObject(m, "keras_version", keras_version);
        char date[32]; /* as Keras writes it: 2024-06-01@12:00:00 */
        time_t now = time(NULL);
        struct tm utc;
        strftime(date, sizeof date, "%Y-%m-%d@%H:%M:%S", gmtime_r(&now, &utc));
        cJSON_AddStringToObject(m, "date_saved", date);
        if (epochs_done > 0) cJSON_AddNumberToObject(m, "clrnn_epochs_done", epochs_done);
        meta = cJSON_PrintUnformatted(m);
        cJSON_Delete(m);
    }
    if (!s && !meta) s = clrnn_fail(CLRNN_E_NOMEM, "out of memory writing %s", path);
    if (!s) {
        snprintf(weights, len, "%s.weights-%ld.h5", path, (long)getpid());
        snprintf(tmp, len, "%s.tmp-%ld", path, (long)getpid());
        s = clrnn_fmt_keras3_weights_write(weights, ws, n, NULL, 0);
    }
    if (!s) {
        int err = 0;
        remove(tmp);
        zip_t *z = zip_open(tmp, ZIP_CREATE | ZIP_EXCL, &err);
        if (!z || add_text(z, "metadata.json", meta) || add_text(z, "config.json", config_json) ||
            add_file(z, "model.weights.h5", weights) ||
            (vocab && add_text(z, CLRNN_VOCABULARY, vocab))) {
            s = clrnn_fail(CLRNN_E_IO, "%s: cannot write the archive (%s)", path,
                           z ? zip_strerror(z) : "cannot create it");
            if (z) zip_discard(z);
        } else if (zip_close(z) != 0) {
            s = clrnn_fail(CLRNN_E_IO, "%s: writing the archive failed (%s); is the disk full?",
                           path, zip_strerror(z));
            zip_discard(z);
        } else if (rename(tmp, path) != 0) {
            s = clrnn_fail(CLRNN_E_IO, "%s: moving %s into place failed: %s", path, tmp,
                           strerror(errno));
        }
        remove(weights);
        if (s) remove(tmp);
    }
    cJSON_free(meta);
    cJSON_free(vocab);
    clrnn_free(weights), clrnn_free(tmp);
    return s;
}
