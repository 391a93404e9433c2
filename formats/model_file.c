/*
 * model_file.c - any model file, told apart by its content and opened once: HDF5 by HDF5
 * itself (a legacy .h5 read whole, a Keras 3 weights file recognized), anything else by
 * its first bytes (a .keras zip, or an architecture JSON read as text).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "h5_util.h"

/* The whole of the open file f as a NUL-terminated string. */
static clrnn_status read_text(FILE *f, const char *path, char **out) {
    long n = -1;
    if (fseek(f, 0, SEEK_END) == 0) n = ftell(f);
    char *buf = NULL;
    if (n < 0 || (size_t)n > CLRNN_FMT_MAX_TEXT || fseek(f, 0, SEEK_SET) != 0 ||
        !(buf = clrnn_malloc((size_t)n + 1)))
        return clrnn_fail(CLRNN_E_IO, "%s: cannot read (too large or unreadable)", path);
    if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
        clrnn_free(buf);
        return clrnn_fail(CLRNN_E_IO, "%s: read error", path);
    }
    buf[n] = '\0';
    *out = buf;
    return CLRNN_OK;
}

/* A file HDF5 could not open: a .keras zip, JSON text, or a broken HDF5 file. */
static clrnn_status read_other(const char *path, const char *why, struct clrnn_fmt_model *m) {
    FILE *f = clrnn_fmt_fopen_read(path);
    if (!f) return clrnn_fail(CLRNN_E_IO, "%s: %s", path, strerror(errno ? errno : ENOENT));
    unsigned char head[4] = {0};
    size_t got = fread(head, 1, sizeof head, f);
    int h5 = clrnn_h5_signature(f);
    clrnn_status s = CLRNN_OK;
    if (h5 < 0) {
        s = clrnn_fail(CLRNN_E_IO, "%s: %s", path, strerror(errno));
    } else if (h5) {
        s = clrnn_fail(CLRNN_E_FORMAT, "%s: HDF5 cannot open it (%s); the file may be "
                       "truncated or corrupt", path, why);
    } else if (got == 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) {
        m->kind = CLRNN_FMT_KERAS_ARCHIVE;
    } else {
        m->kind = CLRNN_FMT_JSON;
        s = read_text(f, path, &m->model_config);
        if (!s && m->model_config[strspn(m->model_config, " \t\r\n")] != '{')
            s = clrnn_fail(CLRNN_E_FORMAT, "%s: not a model file (neither HDF5 nor JSON)", path);
    }
    fclose(f);
    return s;
}

clrnn_status clrnn_fmt_model_read(const char *path, struct clrnn_fmt_model *out) {
    if (!path || !out)
        return clrnn_fail(CLRNN_E_INVALID_ARG, "clrnn_fmt_model_read: NULL argument");
    memset(out, 0, sizeof *out);
    struct clrnn_fmt_model m;
    memset(&m, 0, sizeof m);
    struct clrnn_h5_quiet q;
    clrnn_h5_quiet_begin(&q);
    hid_t f;
    char why[256];
    clrnn_status s;
    if (clrnn_h5_try_open(path, &f, why, sizeof why) == CLRNN_OK) {
        s = clrnn_h5_read_model(f, path, 1, &m);
        H5Fclose(f);
    } else {
        s = read_other(path, why, &m);
    }
    clrnn_h5_quiet_end(&q);
    if (s) {
        clrnn_fmt_model_clear(&m);
        return s;
    }
    *out = m;
    return CLRNN_OK;
}
