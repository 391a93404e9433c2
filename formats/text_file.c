/*
 * text_file.c - a text file (an architecture JSON) written whole or not at all: to a
 * temporary name, then renamed into place.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clrnn_base.h"
#include "clrnn_formats.h"

clrnn_status clrnn_fmt_text_write(const char *path, const char *text) {
    size_t len = strlen(path) + 32;
    char *tmp = clrnn_malloc(len);
    if (!tmp) return clrnn_fail(CLRNN_E_NOMEM, "out of memory writing %s", path);
    snprintf(tmp, len, "%s.tmp-%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    clrnn_status s = CLRNN_OK;
    if (!f) {
        s = clrnn_fail(CLRNN_E_IO, "%s: cannot create %s: %s", path, tmp, strerror(errno));
    } else {
        size_t n = strlen(text);
        int bad = fwrite(text, 1, n, f) != n;
        if (fclose(f) != 0 || bad) {
            s = clrnn_fail(CLRNN_E_IO, "%s: writing %zu bytes failed: %s (is the disk full?)",
                           path, n, strerror(errno));
        } else if (rename(tmp, path) != 0) {
            s = clrnn_fail(CLRNN_E_IO, "%s: moving %s into place failed: %s", path, tmp,
                           strerror(errno));
        }
        if (s) remove(tmp);
    }
    clrnn_free(tmp);
    return s;
}
