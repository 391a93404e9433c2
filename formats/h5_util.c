/*
 * h5_util.c - HDF5 helpers for formats/: quiet error handling, opening and atomic
 * writing, string and name-list attributes in every encoding Keras and h5py produce
 * (keras-format.md 1.2 and 1.3), and datasets read with their limits checked before
 * anything is allocated.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "h5_util.h"

/* HDF5_OBJECT_HEADER_LIMIT in Keras (hdf5_format.py): the most bytes one name-list
 * attribute may take before Keras splits it into name0, name1, ... */
#define KERAS_HEADER_LIMIT 64512

/* ---- errors, opening, atomic writing ---- */

void clrnn_h5_quiet_begin(struct clrnn_h5_quiet *q) {
    q->func = NULL;
    q->data = NULL;
    q->restore = 0;
    /* H5Eget_auto2 fails (and would print) when the application installed an
     * H5Eset_auto1 handler, so ask first; then printing simply stays off. */
    unsigned is_v2 = 0;
    if (H5Eauto_is_v2(H5E_DEFAULT, &is_v2) >= 0 && is_v2)
        q->restore = H5Eget_auto2(H5E_DEFAULT, &q->func, &q->data) >= 0;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

void clrnn_h5_quiet_end(const struct clrnn_h5_quiet *q) {
    if (q->restore) H5Eset_auto2(H5E_DEFAULT, q->func, q->data);
}

struct error_text {
    char *buf;
    size_t size;
    int found;
};

static herr_t first_error(unsigned n, const H5E_error2_t *e, void *data) {
    struct error_text *t = data;
    (void)n;
    if (!t->found && e->desc && e->desc[0]) {
        snprintf(t->buf, t->size, "%s", e->desc);
        t->found = 1;
    }
    return 0;
}

/* Must run right after the failing call: any other HDF5 API call clears the stack. */
const char *clrnn_h5_error_text(char *buf, size_t size) {
    struct error_text t = {buf, size, 0};
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, first_error, &t);
    if (!t.found) snprintf(buf, size, "HDF5 error");
    return buf;
}

const char *clrnn_h5_type_str(hid_t type, char *buf, size_t size) {
    size_t bits = H5Tget_size(type) * 8;
    switch (H5Tget_class(type)) {
    case H5T_INTEGER:
        snprintf(buf, size, "%sint%zu", H5Tget_sign(type) == H5T_SGN_NONE ? "u" : "", bits);
        break;
    case H5T_FLOAT: snprintf(buf, size, "float%zu", bits); break;
    case H5T_STRING: snprintf(buf, size, "strings"); break;
    case H5T_COMPOUND: snprintf(buf, size, "a compound type"); break;
    case H5T_ENUM: snprintf(buf, size, "an enum type (a numpy bool array?)"); break;
    case H5T_ARRAY: snprintf(buf, size, "an array type"); break;
    case H5T_VLEN: snprintf(buf, size, "variable-length sequences"); break;
    case H5T_REFERENCE: snprintf(buf, size, "object references"); break;
    case H5T_OPAQUE: snprintf(buf, size, "opaque bytes"); break;
    case H5T_BITFIELD: snprintf(buf, size, "a bitfield type"); break;
    case H5T_TIME: snprintf(buf, size, "a time type"); break;
    default: snprintf(buf, size, "an unknown type"); break;
    }
    return buf;
}

static _Thread_local long read_opens;

long clrnn_fmt_read_opens(void) { return read_opens; }

FILE *clrnn_fmt_fopen_read(const char *path) {
    read_opens++;
    return fopen(path, "rb");
}

hid_t clrnn_h5_fopen_read(const char *path, hid_t fapl) {
    read_opens++;
    return H5Fopen(path, H5F_ACC_RDONLY, fapl);
}

/* File access: keep HDF5's file locking, but do not fail on file systems without it. */
static hid_t file_access(void) {
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0) return H5P_DEFAULT;
#if H5_VERSION_GE(1, 10, 7)
    H5Pset_file_locking(fapl, 1, 1);
#endif
    return fapl;
}

static void close_plist(hid_t p) {
    if (p >= 0 && p != H5P_DEFAULT) H5Pclose(p);
}

/* The HDF5 superblock sits at offset 0, or after a user block at 512, 1024, 2048, ...
 * (HDF5 file format specification, "Disk Format: Level 0A"). */
#define MAX_USER_BLOCK (1L << 30)

int clrnn_h5_signature(FILE *f) {
    static const unsigned char SIGNATURE[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    int found = 0, err = 0;
    for (long offset = 0;; offset = offset ? offset * 2 : 512) {
        unsigned char head[sizeof SIGNATURE];
        if (fseek(f, offset, SEEK_SET) != 0) {
            err = errno;
            break;
        }
        size_t n = fread(head, 1, sizeof head, f);
        if (n < sizeof head) {
            if (ferror(f)) err = errno ? errno : EIO; /* e.g. EISDIR for a directory */
            break;
        }
        if (memcmp(head, SIGNATURE, sizeof head) == 0) {
            found = 1;
            break;
        }
        if (offset >= MAX_USER_BLOCK) break;
    }
    if (err) {
        errno = err;
        return -1;
    }
    return found;
}

int clrnn_fmt_is_hdf5(const char *path) {
    FILE *f = clrnn_fmt_fopen_read(path);
    if (!f) return -1;
    int found = clrnn_h5_signature(f);
    int err = errno;
    fclose(f);
    errno = err;
    return found;
}

clrnn_status clrnn_h5_open_fails(const char *path, const char *why) {
    int kind = clrnn_fmt_is_hdf5(path);
    if (kind < 0) return clrnn_fail(CLRNN_E_IO, "%s: %s", path, strerror(errno));
    if (kind == 0) return clrnn_fail(CLRNN_E_FORMAT, "%s: not an HDF5 file", path);
    return clrnn_fail(CLRNN_E_FORMAT, "%s: HDF5 cannot open it (%s); the file may be "
                      "truncated or corrupt", path, why);
}

clrnn_status clrnn_h5_try_open(const char *path, hid_t *out, char *why, size_t size) {
    hid_t fapl = file_access();
    *out = clrnn_h5_fopen_read(path, fapl);
    /* HDF5's reason before the next call clears its error stack */
    if (*out < 0) clrnn_h5_error_text(why, size);
    close_plist(fapl);
    return *out >= 0 ? CLRNN_OK : CLRNN_E_FORMAT;
}

clrnn_status clrnn_h5_open_read(const char *path, hid_t *out) {
    /* HDF5 first, so that a good file is opened once; a failure is explained after */
    hid_t f;
    char why[256];
    if (clrnn_h5_try_open(path, &f, why, sizeof why)) return clrnn_h5_open_fails(path, why);
    *out = f;
    return CLRNN_OK;
}

clrnn_status clrnn_h5_open_image(const void *image, size_t size, const char *where,
                                 hid_t *out) {
    static const unsigned char SIGNATURE[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    /* the core driver over a copy of the bytes: nothing touches the disk. It refuses a name
     * that exists on disk, and "<archive>/<member>" cannot (the archive is a file). */
    char name[1100];
    snprintf(name, sizeof name, "%s/model.weights.h5", where);
    if (size < sizeof SIGNATURE || memcmp(image, SIGNATURE, sizeof SIGNATURE) != 0)
        return clrnn_fail(CLRNN_E_FORMAT, "%s: not an HDF5 file", name);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    hid_t f = -1;
    if (fapl >= 0 && H5Pset_fapl_core(fapl, 1 << 20, 0) >= 0 &&
        H5Pset_file_image(fapl, (void *)image, size) >= 0)
        f = clrnn_h5_fopen_read(name, fapl);
    close_plist(fapl);
    if (f < 0) {
        char why[256];
        clrnn_h5_error_text(why, sizeof why);
        return clrnn_fail(CLRNN_E_FORMAT, "%s: HDF5 cannot open it (%s); the file may be "
                          "truncated or corrupt", name, why);
    }
    *out = f;
    return CLRNN_OK;
}

clrnn_status clrnn_h5_create(const char *path, struct clrnn_h5_writer *w) {
    w->path = path;
    w->file = -1;
    w->out = NULL;
    size_t size = strlen(path) + 32;
    if (!(w->tmp = clrnn_malloc(size)))
        return clrnn_fail(CLRNN_E_NOMEM, "out of memory writing %s", path);
    snprintf(w->tmp, size, "%s.tmp-%ld", path, (long)getpid());
    /* the temporary file now, so that an unwritable folder is said at once */
    errno = 0;
    w->out = fopen(w->tmp, "wb");
    if (!w->out) {
        clrnn_status s = clrnn_fail(CLRNN_E_IO, "%s: cannot create the temporary file %s: %s",
                                    path, w->tmp, strerror(errno));
        clrnn_free(w->tmp);
        w->tmp = NULL;
        return s;
    }
    /* HDF5 writes into memory (the core driver, no backing store): a full disk then fails
     * our own plain write in clrnn_h5_finish, never inside HDF5, whose files can be left in
     * a state that crashes its exit handler (HDF5 1.10) */
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl >= 0 && H5Pset_fapl_core(fapl, 1 << 20, 0) >= 0)
        w->file = H5Fcreate(w->tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    close_plist(fapl);
    if (w->file < 0) {
        char why[256];
        clrnn_h5_error_text(why, sizeof why);
        fclose(w->out);
        remove(w->tmp);
        clrnn_status s = clrnn_fail(CLRNN_E_IO, "%s: cannot create the file in memory: %s",
                                    path, why);
        clrnn_free(w->tmp);
        w->tmp = NULL;
        return s;
    }
    return CLRNN_OK;
}

/* The finished file's bytes from HDF5 into the temporary file, flushed to the disk. */
static clrnn_status write_image(struct clrnn_h5_writer *w) {
    char why[256];
    if (H5Fflush(w->file, H5F_SCOPE_GLOBAL) < 0)
        return clrnn_fail(CLRNN_E_IO, "%s: finishing the file failed (%s)", w->path,
                          clrnn_h5_error_text(why, sizeof why));
    ssize_t size = H5Fget_file_image(w->file, NULL, 0);
    void *image = size > 0 ? clrnn_malloc((size_t)size) : NULL;
    if (!image) return clrnn_fail(CLRNN_E_NOMEM, "%s: out of memory for %zd bytes", w->path, size);
    clrnn_status s = CLRNN_OK;
    if (H5Fget_file_image(w->file, image, (size_t)size) != size)
        s = clrnn_fail(CLRNN_E_IO, "%s: reading the file's image failed (%s)", w->path,
                       clrnn_h5_error_text(why, sizeof why));
    errno = 0;
    if (!s && (fwrite(image, 1, (size_t)size, w->out) != (size_t)size || fflush(w->out) != 0 ||
               fsync(fileno(w->out)) != 0))
        s = clrnn_fail(CLRNN_E_IO, "%s: writing %zd bytes failed: %s (is the disk full?); the "
                       "file there before is unchanged", w->path, size,
                       strerror(errno ? errno : EIO));
    clrnn_free(image);
    return s;
}

clrnn_status clrnn_h5_finish(struct clrnn_h5_writer *w, clrnn_status s) {
    if (!s) s = write_image(w);
    if (w->file >= 0) H5Fclose(w->file); /* in memory: nothing to fail on */
    w->file = -1;
    if (w->out && fclose(w->out) != 0 && !s)
        s = clrnn_fail(CLRNN_E_IO, "%s: writing failed: %s (is the disk full?)", w->path,
                       strerror(errno));
    w->out = NULL;
    if (!s && rename(w->tmp, w->path) != 0) {
        int e = errno;
        s = clrnn_fail(CLRNN_E_IO, "%s: moving %s into place failed: %s", w->path, w->tmp,
                       strerror(e));
    }
    if (s) remove(w->tmp);
    clrnn_free(w->tmp);
    w->tmp = NULL;
    return s;
}

/* ---- existence ---- */

clrnn_status clrnn_h5_attr_exists(hid_t obj, const char *name, const char *where, int *exists) {
    htri_t e = H5Aexists(obj, name);
    if (e < 0) {
        char why[256];
        clrnn_h5_error_text(why, sizeof why);
        return clrnn_fail(CLRNN_E_FORMAT, "%s: looking for attribute '%s' failed (%s)", where,
                          name, why);
    }
    *exists = e > 0;
    return CLRNN_OK;
}

int clrnn_h5_link_exists(hid_t loc, const char *path) {
    /* H5Lexists fails rather than answering 0 when an intermediate group of path is
     * missing (or is not a group): both mean "not there". */
    return path[0] != '\0' && H5Lexists(loc, path, H5P_DEFAULT) > 0;
}

/* ---- reading strings ---- */

/* A new copy of the first len bytes of s, cut at the first NUL, trailing spaces removed
 * when the type is SPACEPAD. */
static char *copy_trimmed(const char *s, size_t len, int spacepad) {
    const char *nul = memchr(s, '\0', len);
    if (nul) len = (size_t)(nul - s);
    if (spacepad)
        while (len > 0 && s[len - 1] == ' ') len--;
    char *d = clrnn_malloc(len + 1);
    if (d) {
        memcpy(d, s, len);
        d[len] = '\0';
    }
    return d;
}

/* Every element of a string attribute as new strings. text: the attribute must hold
 * exactly one string; otherwise it is a name list of at most max_count entries (list_name
 * names it in the message) where a non-string empty array means no names. */
static clrnn_status read_strings(hid_t attr, const char *name, const char *where, int text,
                                 const char *list_name, size_t max_count, char ***out,
                                 size_t *count) {
    clrnn_status s = CLRNN_OK;
    char why[256], tname[64];
    hid_t type = H5Aget_type(attr), space = type >= 0 ? H5Aget_space(attr) : -1, mem = -1;
    hssize_t np = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
    char **names = NULL;
    size_t n = np > 0 ? (size_t)np : 0;
    *out = NULL;
    *count = 0;
    if (type < 0 || space < 0 || np < 0) {
        clrnn_h5_error_text(why, sizeof why);
        s = clrnn_fail(CLRNN_E_FORMAT, "%s: attribute '%s' cannot be read (%s)", where, name, why);
        goto done;
    }
    int is_string = H5Tget_class(type) == H5T_STRING;
    if (text && (!is_string || np != 1)) {
        if (!is_string)
            s = clrnn_fail(CLRNN_E_FORMAT, "%s: attribute '%s' holds %s, expected text", where,
                           name, clrnn_h5_type_str(type, tname, sizeof tname));
        else
            s = clrnn_fail(CLRNN_E_FORMAT, "%s: attribute '%s' holds %lld strings, expected one",
                           where, name, (long long)np);
        goto done;
    }
    if (!is_string) {
        if (np == 0) goto done; /* Keras writes an empty list as float64 of shape (0,) */
        s = clrnn_fail(CLRNN_E_FORMAT, "%s: attribute '%s' holds %lld values of %s, expected "
                       "names (strings)", where, name, (long long)np,
                       clrnn_h5_type_str(type, tname, sizeof tname));
        goto done;
    }
    if (n > max_count) {
        s = clrnn_fail(CLRNN_E_FORMAT, "%s: name list '%s' has more than %d entries", where,
                       list_name, CLRNN_FMT_MAX_NAMES);
        goto done;
    }
    if (n == 0) goto done;
    htri_t vlen = H5Tis_variable_str(type);
    int spacepad = H5Tget_strpad(type) == H5T_STR_SPACEPAD;
    /* The memory type is the file type itself: HDF5 refuses to convert between charsets,
     * and the bytes are wanted as stored (UTF-8 passes through). */
    if (vlen < 0 || (mem = H5Tcopy(type)) < 0) {
        clrnn_h5_error_text(why, sizeof why);
        s = clrnn_fail(CLRNN_E_FORMAT, "%s: attribute '%s' has an unreadable type (%s)", where,
                       name, why);
        goto done;
    }
    if (!(names = clrnn_calloc(n, sizeof *names))) {
        s = clrnn_fail(CLRNN_E_NOMEM, "%s: out of memory reading attribute '%s'", where, name);
        goto done;
    }
    if (vlen) {
        /* HDF5 allocates each string itself (vlen strings live in the file's global heap,
         * so their sizes are only known once read); they are copied, then reclaimed. */
        char **raw = clrnn_calloc(n, sizeof *raw);
        if (!raw) {
            s = clrnn_fail(CLRNN_E_NOMEM, "%s: out of memory reading attribute '%s'", where, name);
            goto done;
        }
        if (H5Aread(attr, mem, raw) < 0) {
            clrnn_h5_error_text(why, sizeof why);
            s = clrnn_fail(CLRNN_E_FORMAT, "%s: attribute '%s' cannot be read (%s)", where, name,
                           why);
        } else {
            for (size_t i = 0; i < n && !s; i++) {
                const char *v = raw[i] ? raw[i] : "";
                size_t len = strlen(v);
                if (len > CLRNN_FMT_MAX_TEXT)
                    s = clrnn_fail(CLRNN_E_FORMAT, "%s: attribute '%s' has a string of %zu bytes, "
                                   "more than the limit of %zu", where, name, len,
                                   (size_t)CLRNN_FMT_MAX_TEXT);
                else if (!(names[i] = copy_trimmed(v, len, spacepad)))
                    s = clrnn_fail(CLRNN_E_NOMEM, "%s: out of memory reading attribute '%s'",
                                   where, name);
            }
            H5Dvlen_reclaim(mem, space, H5P_DEFAULT, raw);
        }
        clrnn_free(raw);
    } else {
        size_t size = H5Tget_size(type), total = 0;
        if (size == 0 || clrnn_mul_size(size, n, &total) || total > CLRNN_FMT_MAX_TEXT) {
            s = clrnn_fail(CLRNN_E_FORMAT, "%s: attribute '%s' declares %zu strings of %zu bytes, "
                           "more than the limit of %zu bytes", where, name, n, size,
                           (size_t)CLRNN_FMT_MAX_TEXT);
            goto done;
        }
        char *buf = clrnn_malloc(total);
        if (!buf) {
            s = clrnn_fail(CLRNN_E_NOMEM, "%s: out of memory reading attribute '%s'", where, name);
            goto done;
        }
        if (H5Aread(attr, mem, buf) < 0) {
            clrnn_h5_error_text(why, sizeof why);
            s = clrnn_fail(CLRNN_E_FORMAT, "%s: attribute '%s' cannot be read (%s)", where, name,
                           why);
        }
        for (size_t i = 0; i < n && !s; i++)
            if (!(names[i] = copy_trimmed(buf + i * size, size, spacepad)))
                s = clrnn_fail(CLRNN_E_NOMEM, "%s: out of memory reading attribute '%s'", where,
                               name);
        clrnn_free(buf);
    }
done:
    if (mem >= 0) H5Tclose(mem);
    if (space >= 0) H5Sclose(space);
    if (type >= 0) H5Tclose(type);
    if (s) {
        if (names)
            for (size_t i = 0; i < n; i++) clrnn_free(names[i]);
        clrnn_free(names);
        return s;
    }
    *out = names;
    *count = names ? n : 0;
    return CLRNN_OK;
}

/* Opens attribute name of obj and reads it with read_strings. */
static clrnn_status read_attr_strings(hid_t obj, const char *name, const char *where, int text,
                                      const char *list_name, size_t max_count, char ***out,
                                      size_t *count) {
    hid_t attr = H5Aopen(obj, name, H5P_DEFAULT);
    if (attr < 0) {
        char why[256];
        clrnn_h5_error_text(why, sizeof why);
        return clrnn_fail(CLRNN_E_FORMAT, "%s: attribute '%s' cannot be opened (%s)", where, name,
                          why);
    }
    clrnn_status s = read_strings(attr, name, where, text, list_name, max_count, out, count);
    H5Aclose(attr);
    return s;
}

void clrnn_h5_free_names(char **names, int n) {
    if (!names) return;
    for (int i = 0; i < n; i++) clrnn_free(names[i]);
    clrnn_free(names);
}

clrnn_status clrnn_h5_read_text_if(hid_t obj, const char *name, const char *where,
                                   char **out) {
    int exists = 0;
    *out = NULL;
    clrnn_status s = clrnn_h5_attr_exists(obj, name, where, &exists);
    if (s || !exists) return s;
    char **v = NULL;
    size_t n = 0;
    s = read_attr_strings(obj, name, where, 1, name, 1, &v, &n);
    if (s) return s;
    *out = v[0];
    clrnn_free(v);
    return CLRNN_OK;
}

clrnn_status clrnn_h5_read_text(hid_t obj, const char *name, const char *where, char **out) {
    clrnn_status s = clrnn_h5_read_text_if(obj, name, where, out);
    if (!s && !*out)
        s = clrnn_fail(CLRNN_E_FORMAT, "%s: attribute '%s' is missing", where, name);
    return s;
}

clrnn_status clrnn_h5_read_names(hid_t obj, const char *name, const char *where, char ***out,
                                 int *n) {
    int exists = 0;
    size_t count = 0;
    *out = NULL;
    *n = 0;
    clrnn_status s = clrnn_h5_attr_exists(obj, name, where, &exists);
    if (s) return s;
    if (exists) {
        s = read_attr_strings(obj, name, where, 0, name, CLRNN_FMT_MAX_NAMES, out, &count);
        if (!s) *n = (int)count;
        return s;
    }
    /* split by the writer: name0, name1, ... up to the first one missing (section 1.3) */
    char key[256];
    if (strlen(name) > sizeof key - 16)
        return clrnn_fail(CLRNN_E_INVALID_ARG, "%s: attribute name '%s' is too long", where, name);
    char **all = NULL;
    size_t total = 0;
    for (int chunk = 0; !s && chunk < CLRNN_FMT_MAX_NAMES; chunk++) {
        snprintf(key, sizeof key, "%s%d", name, chunk);
        s = clrnn_h5_attr_exists(obj, key, where, &exists);
        if (s) break;
        if (!exists) {
            if (chunk == 0)
                s = clrnn_fail(CLRNN_E_FORMAT, "%s: attribute '%s' is missing", where, name);
            break;
        }
        char **part = NULL;
        size_t np = 0;
        s = read_attr_strings(obj, key, where, 0, name, (size_t)CLRNN_FMT_MAX_NAMES - total,
                              &part, &np);
        if (s || np == 0) continue;
        char **grown = clrnn_realloc(all, (total + np) * sizeof *all);
        if (!grown) {
            s = clrnn_fail(CLRNN_E_NOMEM, "%s: out of memory reading attribute '%s'", where, key);
            clrnn_h5_free_names(part, (int)np);
            break;
        }
        all = grown;
        memcpy(all + total, part, np * sizeof *part);
        total += np;
        clrnn_free(part);
    }
    if (s) {
        clrnn_h5_free_names(all, (int)total);
        return s;
    }
    *out = all;
    *n = (int)total;
    return CLRNN_OK;
}

/* ---- writing strings ---- */

clrnn_status clrnn_h5_write_text(hid_t obj, const char *name, const char *value,
                                 const char *where) {
    size_t len = strlen(value);
    if (len > CLRNN_FMT_MAX_TEXT)
        return clrnn_fail(CLRNN_E_INVALID_ARG, "%s: attribute '%s' would be %zu bytes, more than "
                          "the %zu readers accept", where, name, len, (size_t)CLRNN_FMT_MAX_TEXT);
    char why[256] = "HDF5 error";
    hid_t type = H5Tcopy(H5T_C_S1), space = H5Screate(H5S_SCALAR), attr = -1;
    herr_t err = -1;
    if (type >= 0 && space >= 0 && H5Tset_size(type, H5T_VARIABLE) >= 0 &&
        H5Tset_cset(type, H5T_CSET_ASCII) >= 0 &&
        (attr = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT)) >= 0)
        err = H5Awrite(attr, type, &value);
    if (err < 0) clrnn_h5_error_text(why, sizeof why);
    if (attr >= 0) H5Aclose(attr);
    if (space >= 0) H5Sclose(space);
    if (type >= 0) H5Tclose(type);
    if (err < 0)
        return clrnn_fail(CLRNN_E_IO, "%s: writing attribute '%s' failed (%s)", where, name, why);
    return CLRNN_OK;
}

/* One fixed-length NULLPAD ASCII array attribute of count names, width bytes each. */
static clrnn_status write_fixed(hid_t obj, const char *key, const char *const *names,
                                size_t count, size_t width, const char *where) {
    size_t total;
    if (clrnn_mul_size(count, width, &total))
        return clrnn_fail(CLRNN_E_INVALID_ARG, "%s: attribute '%s' is too large", where, key);
    char *buf = clrnn_calloc(1, total);
    if (!buf) return clrnn_fail(CLRNN_E_NOMEM, "%s: out of memory writing attribute '%s'", where,
                                key);
    for (size_t i = 0; i < count; i++) memcpy(buf + i * width, names[i], strlen(names[i]));
    char why[256] = "HDF5 error";
    hsize_t dims[1] = {(hsize_t)count};
    hid_t type = H5Tcopy(H5T_C_S1), space = H5Screate_simple(1, dims, NULL), attr = -1;
    herr_t err = -1;
    if (type >= 0 && space >= 0 && H5Tset_size(type, width) >= 0 &&
        H5Tset_strpad(type, H5T_STR_NULLPAD) >= 0 && H5Tset_cset(type, H5T_CSET_ASCII) >= 0 &&
        (attr = H5Acreate2(obj, key, type, space, H5P_DEFAULT, H5P_DEFAULT)) >= 0)
        err = H5Awrite(attr, type, buf);
    if (err < 0) clrnn_h5_error_text(why, sizeof why);
    if (attr >= 0) H5Aclose(attr);
    if (space >= 0) H5Sclose(space);
    if (type >= 0) H5Tclose(type);
    clrnn_free(buf);
    if (err < 0)
        return clrnn_fail(CLRNN_E_IO, "%s: writing attribute '%s' failed (%s)", where, key, why);
    return CLRNN_OK;
}

clrnn_status clrnn_h5_write_names(hid_t obj, const char *name, const char *const *names,
                                  int n, const char *where) {
    if (n < 0 || n > CLRNN_FMT_MAX_NAMES)
        return clrnn_fail(CLRNN_E_INVALID_ARG, "%s: %d names for '%s' (at most %d)", where, n,
                          name, CLRNN_FMT_MAX_NAMES);
    if (n == 0) {
        /* what Keras (numpy) writes for an empty list: float64 of shape (0,) */
        char why[256] = "HDF5 error";
        hsize_t zero[1] = {0};
        hid_t space = H5Screate_simple(1, zero, NULL), attr = -1;
        if (space >= 0)
            attr = H5Acreate2(obj, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT);
        if (attr < 0) clrnn_h5_error_text(why, sizeof why);
        if (attr >= 0) H5Aclose(attr);
        if (space >= 0) H5Sclose(space);
        if (attr < 0)
            return clrnn_fail(CLRNN_E_IO, "%s: writing attribute '%s' failed (%s)", where, name,
                              why);
        return CLRNN_OK;
    }
    size_t width = 1; /* HDF5 strings have at least one byte */
    for (int i = 0; i < n; i++) {
        size_t len = strlen(names[i]);
        if (len > width) width = len;
    }
    if (width > KERAS_HEADER_LIMIT)
        return clrnn_fail(CLRNN_E_INVALID_ARG, "%s: a name in '%s' is %zu bytes, more than the %d "
                          "an HDF5 object header holds", where, name, width, KERAS_HEADER_LIMIT);
    /* As Keras: the fewest chunks such that the largest (numpy.array_split gives the first
     * n % chunks chunks one extra name) fits in the header limit. */
    size_t count = (size_t)n, chunks = 1;
    while ((count + chunks - 1) / chunks * width > KERAS_HEADER_LIMIT) chunks++;
    if (chunks == 1) return write_fixed(obj, name, names, count, width, where);
    char key[256];
    if (strlen(name) > sizeof key - 24)
        return clrnn_fail(CLRNN_E_INVALID_ARG, "%s: attribute name '%s' is too long", where, name);
    size_t start = 0;
    for (size_t c = 0; c < chunks; c++) {
        size_t part = count / chunks + (c < count % chunks);
        snprintf(key, sizeof key, "%s%zu", name, c);
        clrnn_status s = write_fixed(obj, key, names + start, part, width, where);
        if (s) return s;
        start += part;
    }
    return CLRNN_OK;
}

/* ---- datasets ---- */

clrnn_status clrnn_h5_open_dataset(hid_t loc, const char *path, const char *where,
                                   hid_t *out) {
    if (!clrnn_h5_link_exists(loc, path))
        return clrnn_fail(CLRNN_E_FORMAT, "%s: dataset missing", where);
    hid_t obj = H5Oopen(loc, path, H5P_DEFAULT);
    if (obj < 0) {
        char why[256];
        clrnn_h5_error_text(why, sizeof why);
        return clrnn_fail(CLRNN_E_FORMAT, "%s: cannot be opened (%s)", where, why);
    }
    H5I_type_t kind = H5Iget_type(obj);
    if (kind != H5I_DATASET) {
        H5Oclose(obj);
        return clrnn_fail(CLRNN_E_FORMAT, "%s: %s, not a dataset", where,
                          kind == H5I_GROUP ? "a group" : "another kind of object");
    }
    *out = obj;
    return CLRNN_OK;
}

/* "(3, 4)" for HDF5 dimensions (which may exceed int64). */
static const char *hshape_str(int rank, const hsize_t *d, char *buf, size_t size) {
    size_t n = (size_t)snprintf(buf, size, "(");
    for (int i = 0; i < rank && n < size; i++)
        n += (size_t)snprintf(buf + n, size - n, "%s%llu", i ? ", " : "", (unsigned long long)d[i]);
    if (rank == 1 && n < size) n += (size_t)snprintf(buf + n, size - n, ",");
    if (n < size) snprintf(buf + n, size - n, ")");
    return buf;
}

clrnn_status clrnn_h5_dataset_shape(hid_t ds, const char *where, int *rank, int64_t *dims,
                                    size_t *count) {
    char why[256], shape[256];
    hid_t space = H5Dget_space(ds);
    H5S_class_t cls = space >= 0 ? H5Sget_simple_extent_type(space) : H5S_NO_CLASS;
    int r = cls == H5S_NO_CLASS ? -1 : H5Sget_simple_extent_ndims(space);
    clrnn_status s = CLRNN_OK;
    hsize_t hd[CLRNN_MAX_RANK];
    size_t n = 1;
    if (r < 0) {
        clrnn_h5_error_text(why, sizeof why);
        s = clrnn_fail(CLRNN_E_FORMAT, "%s: its shape cannot be read (%s)", where, why);
    } else if (cls == H5S_NULL) {
        s = clrnn_fail(CLRNN_E_FORMAT, "%s: holds no data (a null dataspace)", where);
    } else if (r > CLRNN_MAX_RANK) {
        s = clrnn_fail(CLRNN_E_FORMAT, "%s: rank %d, more than the %d supported", where, r,
                       CLRNN_MAX_RANK);
    } else if (H5Sget_simple_extent_dims(space, hd, NULL) < 0) {
        clrnn_h5_error_text(why, sizeof why);
        s = clrnn_fail(CLRNN_E_FORMAT, "%s: its shape cannot be read (%s)", where, why);
    } else {
        for (int i = 0; i < r && !s; i++)
            if (hd[i] > (hsize_t)CLRNN_FMT_MAX_ELEMENTS ||
                clrnn_mul_size(n, (size_t)hd[i], &n) ||
                (uint64_t)n > (uint64_t)CLRNN_FMT_MAX_ELEMENTS)
                s = clrnn_fail(CLRNN_E_FORMAT, "%s: shape %s has more than %lld elements, the "
                               "limit for one array", where, hshape_str(r, hd, shape, sizeof shape),
                               (long long)CLRNN_FMT_MAX_ELEMENTS);
    }
    if (space >= 0) H5Sclose(space);
    if (s) return s;
    *rank = r;
    for (int i = 0; i < r; i++) dims[i] = (int64_t)hd[i];
    *count = n;
    return CLRNN_OK;
}

clrnn_status clrnn_h5_read_floats(hid_t loc, const char *path, const char *where, int *rank,
                                  int64_t *dims, float **data) {
    hid_t ds = -1;
    clrnn_status s = clrnn_h5_open_dataset(loc, path, where, &ds);
    if (s) return s;
    char why[256], tname[64];
    hid_t type = H5Dget_type(ds);
    H5T_class_t cls = type >= 0 ? H5Tget_class(type) : H5T_NO_CLASS;
    int r = 0;
    int64_t d[CLRNN_MAX_RANK];
    size_t count = 0, bytes = 0;
    float *buf = NULL;
    if (type < 0) {
        clrnn_h5_error_text(why, sizeof why);
        s = clrnn_fail(CLRNN_E_FORMAT, "%s: its type cannot be read (%s)", where, why);
    } else if (cls != H5T_FLOAT && cls != H5T_INTEGER) {
        s = clrnn_fail(CLRNN_E_FORMAT, "%s: holds %s, expected numbers (float32)", where,
                       clrnn_h5_type_str(type, tname, sizeof tname));
    }
    if (!s) s = clrnn_h5_dataset_shape(ds, where, &r, d, &count);
    if (!s && clrnn_mul_size(count, sizeof *buf, &bytes))
        s = clrnn_fail(CLRNN_E_FORMAT, "%s: too large for this machine", where);
    if (!s && !(buf = clrnn_malloc(bytes)))
        s = clrnn_fail(CLRNN_E_NOMEM, "%s: out of memory (%zu bytes)", where, bytes);
    if (!s && count > 0 && H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
        clrnn_h5_error_text(why, sizeof why);
        s = clrnn_fail(CLRNN_E_FORMAT, "%s: reading failed (%s); the file may be truncated or "
                       "corrupt", where, why);
    }
    if (type >= 0) H5Tclose(type);
    H5Oclose(ds);
    if (s) {
        clrnn_free(buf);
        return s;
    }
    *rank = r;
    memcpy(dims, d, (size_t)r * sizeof *d);
    *data = buf;
    return CLRNN_OK;
}

clrnn_status clrnn_h5_check_array(int rank, const int64_t *dims, const void *data,
                                  const char *where) {
    if (rank < 0 || rank > CLRNN_MAX_RANK)
        return clrnn_fail(CLRNN_E_INVALID_ARG, "%s: rank %d is not in [0, %d]", where, rank,
                          CLRNN_MAX_RANK);
    if (rank > 0 && !dims) return clrnn_fail(CLRNN_E_INVALID_ARG, "%s: no dimensions", where);
    size_t n = 1;
    for (int i = 0; i < rank; i++) {
        if (dims[i] < 0)
            return clrnn_fail(CLRNN_E_INVALID_ARG, "%s: dimension %d is %lld", where, i,
                              (long long)dims[i]);
        if (dims[i] > CLRNN_FMT_MAX_ELEMENTS || clrnn_mul_size(n, (size_t)dims[i], &n) ||
            (uint64_t)n > (uint64_t)CLRNN_FMT_MAX_ELEMENTS)
            return clrnn_fail(CLRNN_E_INVALID_ARG, "%s: more than %lld elements, the limit for "
                              "one array", where, (long long)CLRNN_FMT_MAX_ELEMENTS);
    }
    if (n > 0 && !data) return clrnn_fail(CLRNN_E_INVALID_ARG, "%s: no data", where);
    return CLRNN_OK;
}

clrnn_status clrnn_h5_write_dataset(hid_t loc, const char *path, clrnn_dtype dtype, int rank,
                                    const int64_t *dims, const void *data, const char *where) {
    clrnn_status s = clrnn_h5_check_array(rank, dims, data, where);
    if (s) return s;
    if (dtype != CLRNN_DTYPE_FLOAT32 && dtype != CLRNN_DTYPE_INT32)
        return clrnn_fail(CLRNN_E_INVALID_ARG, "%s: unknown dtype %d", where, (int)dtype);
    hsize_t hd[CLRNN_MAX_RANK];
    size_t count = 1;
    for (int i = 0; i < rank; i++) {
        hd[i] = (hsize_t)dims[i];
        count *= (size_t)dims[i]; /* checked above */
    }
    hid_t file_type = dtype == CLRNN_DTYPE_INT32 ? H5T_STD_I32LE : H5T_IEEE_F32LE;
    hid_t mem_type = dtype == CLRNN_DTYPE_INT32 ? H5T_NATIVE_INT32 : H5T_NATIVE_FLOAT;
    char why[256] = "HDF5 error";
    hid_t space = rank ? H5Screate_simple(rank, hd, NULL) : H5Screate(H5S_SCALAR);
    hid_t lcpl = H5Pcreate(H5P_LINK_CREATE), ds = -1;
    herr_t err = -1;
    if (space >= 0 && lcpl >= 0 && H5Pset_create_intermediate_group(lcpl, 1) >= 0 &&
        (ds = H5Dcreate2(loc, path, file_type, space, lcpl, H5P_DEFAULT, H5P_DEFAULT)) >= 0)
        err = count ? H5Dwrite(ds, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) : 0;
    if (err < 0) clrnn_h5_error_text(why, sizeof why);
    if (ds >= 0) H5Dclose(ds);
    if (lcpl >= 0) H5Pclose(lcpl);
    if (space >= 0) H5Sclose(space);
    if (err < 0) return clrnn_fail(CLRNN_E_IO, "%s: writing the dataset failed (%s)", where, why);
    return CLRNN_OK;
}

clrnn_status clrnn_h5_write_weight(hid_t g, const struct clrnn_fmt_weight *w, const char *where) {
    if (!w->as_int32)
        return clrnn_h5_write_dataset(g, w->name, CLRNN_DTYPE_FLOAT32, w->rank, w->dims, w->data,
                                      where);
    size_t count = 1;
    for (int d = 0; d < w->rank; d++) count *= (size_t)w->dims[d];
    int32_t *v = clrnn_malloc(count * sizeof *v + 1);
    if (!v) return clrnn_fail(CLRNN_E_NOMEM, "%s: out of memory", where);
    for (size_t i = 0; i < count; i++) v[i] = (int32_t)w->data[i];
    clrnn_status s = clrnn_h5_write_dataset(g, w->name, CLRNN_DTYPE_INT32, w->rank, w->dims, v,
                                            where);
    clrnn_free(v);
    return s;
}
