/*
 * data_textutil.c - the text handling that clrnn-data text and clrnn-data labelled share:
 * reading a whole file (NUL bytes kept, so that they can be reported), strict UTF-8 decoding
 * with byte-offset errors and encoding, simple lower-casing, TextVectorization's default
 * standardize and split (lower-case, strip string.punctuation, split on whitespace), and a
 * table of distinct words numbered by frequency (ties in byte order). Error messages start
 * with the subcommand's name, passed in as prefix.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "data_tasks.h"

/* ---- reading and UTF-8 ---- */

unsigned char *data_text_read_file(const char *prefix, const char *path, size_t max_bytes,
                                   size_t *len_out) {
    FILE *f = fopen(path, "rb");
    if (!f) cli_fail("%s: %s: %s", prefix, path, strerror(errno));
    errno = 0;
    size_t cap = 1 << 12, len = 0; /* powers of two, so the limit is met exactly */
    unsigned char *buf = malloc(cap);
    for (;;) {
        if (!buf) cli_fail("%s: %s: out of memory reading it", prefix, path);
        len += fread(buf + len, 1, cap - len, f);
        if (len < cap) break;
        if (cap >= max_bytes)
            cli_fail("%s: %s: larger than %zu MiB", prefix, path, max_bytes >> 20);
        cap *= 2;
        unsigned char *grown = realloc(buf, cap);
        if (!grown) free(buf);
        buf = grown;
    }
    int bad = ferror(f), why = errno; /* a folder opens, then fails to read: EISDIR */
    fclose(f);
    if (bad) cli_fail("%s: %s: %s", prefix, path, strerror(why ? why : EIO));
    *len_out = len;
    return buf;
}

size_t data_text_decode_utf8(const char *prefix, const unsigned char *s, size_t len,
                             uint32_t *cp, const char *name) {
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        unsigned c = s[i], need;
        uint32_t v, min;
        if (c == 0)
            cli_fail("%s: %s: a NUL byte at byte offset %zu; expected text", prefix, name, i);
        if (c < 0x80) {
            if (cp) cp[n] = c;
            n++;
            i++;
            continue;
        }
        if ((c & 0xe0) == 0xc0) need = 1, v = c & 0x1f, min = 0x80;
        else if ((c & 0xf0) == 0xe0) need = 2, v = c & 0x0f, min = 0x800;
        else if ((c & 0xf8) == 0xf0) need = 3, v = c & 0x07, min = 0x10000;
        else goto bad;
        if (len - i <= need) goto bad;
        for (unsigned k = 1; k <= need; k++) {
            if ((s[i + k] & 0xc0) != 0x80) goto bad;
            v = v << 6 | (s[i + k] & 0x3f);
        }
        if (v < min || v > DATA_TEXT_MAX_CODEPOINT || (v >= 0xd800 && v <= 0xdfff)) goto bad;
        if (cp) cp[n] = v;
        n++;
        i += need + 1;
        continue;
    bad:
        cli_fail("%s: %s: not valid UTF-8 at byte offset %zu (byte 0x%02x)", prefix, name, i, c);
    }
    return n;
}

int data_text_encode_utf8(uint32_t v, char *out) {
    int n;
    if (v < 0x80) out[0] = (char)v, n = 1;
    else if (v < 0x800) out[0] = (char)(0xc0 | v >> 6), out[1] = (char)(0x80 | (v & 0x3f)), n = 2;
    else if (v < 0x10000)
        out[0] = (char)(0xe0 | v >> 12), out[1] = (char)(0x80 | (v >> 6 & 0x3f)),
        out[2] = (char)(0x80 | (v & 0x3f)), n = 3;
    else
        out[0] = (char)(0xf0 | v >> 18), out[1] = (char)(0x80 | (v >> 12 & 0x3f)),
        out[2] = (char)(0x80 | (v >> 6 & 0x3f)), out[3] = (char)(0x80 | (v & 0x3f)), n = 4;
    out[n] = '\0';
    return n;
}

/* ---- standardizing and splitting ---- */

uint32_t data_text_lower(uint32_t c) {
    if (c >= 'A' && c <= 'Z') return c + 32;
    if (c < 0xc0) return c;
    if (c <= 0xde && c != 0xd7) return c + 32;
    if (c >= 0x100 && c <= 0x137 && !(c & 1)) return c + 1;
    if (c >= 0x139 && c <= 0x148 && (c & 1)) return c + 1;
    if (c >= 0x14a && c <= 0x177 && !(c & 1)) return c + 1;
    if (c == 0x178) return 0xff;
    if (c >= 0x179 && c <= 0x17e && (c & 1)) return c + 1;
    if (c >= 0x391 && c <= 0x3ab && c != 0x3a2) return c + 32;
    if (c >= 0x400 && c <= 0x40f) return c + 80;
    if (c >= 0x410 && c <= 0x42f) return c + 32;
    return c;
}

static int is_space(uint32_t c) {
    return c == ' ' || (c >= '\t' && c <= '\r') || c == 0x85 || c == 0xa0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f ||
           c == 0x205f || c == 0x3000;
}

/* string.punctuation, what TextVectorization's "lower_and_strip_punctuation" removes */
static int is_punct(uint32_t c) {
    return c > 0 && c < 0x80 && strchr("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", (int)c);
}

size_t data_text_next_word(const uint32_t *cp, size_t n, size_t *at, char *buf,
                           size_t (*extra_space)(const uint32_t *cp, size_t i, size_t n)) {
    size_t i = *at, w = 0;
    while (i < n) {
        size_t tag = extra_space ? extra_space(cp, i, n) : 0;
        if (tag || is_space(cp[i])) {
            i += tag ? tag : 1;
            if (w) break;
            continue;
        }
        if (!is_punct(cp[i])) w += (size_t)data_text_encode_utf8(data_text_lower(cp[i]), buf + w);
        i++;
    }
    buf[w] = '\0';
    *at = i;
    return w;
}

/* ---- the table of distinct words ---- */

char *data_text_dup(const char *prefix, const char *s) { /* strdup is POSIX, not C11 */
    size_t len = strlen(s) + 1;
    char *d = malloc(len);
    if (!d) cli_fail("%s: out of memory for the vocabulary", prefix);
    return memcpy(d, s, len);
}

static uint64_t hash_str(const char *s) { /* FNV-1a */
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return h;
}

static int32_t *slot_of(struct data_words *t, const char *s) {
    size_t at = (size_t)hash_str(s) & (t->cap_slots - 1);
    while (t->slots[at] >= 0 && strcmp(t->words[t->slots[at]].text, s) != 0)
        at = (at + 1) & (t->cap_slots - 1);
    return &t->slots[at];
}

int32_t data_text_word_index(struct data_words *t, const char *s) {
    if (2 * (t->n + 1) > t->cap_slots) { /* at most half full keeps probes short */
        size_t cap = t->cap_slots ? t->cap_slots * 2 : 1024;
        free(t->slots);
        t->slots = malloc(cap * sizeof *t->slots);
        if (!t->slots) cli_fail("%s: out of memory for the vocabulary", t->prefix);
        memset(t->slots, 0xff, cap * sizeof *t->slots);
        t->cap_slots = cap;
        for (size_t k = 0; k < t->n; k++) *slot_of(t, t->words[k].text) = (int32_t)k;
    }
    int32_t *slot = slot_of(t, s);
    if (*slot < 0) {
        if (t->n >= 0x7fffffff) cli_fail("%s: more than 2^31 distinct words", t->prefix);
        if (t->n == t->cap) {
            size_t cap = t->cap ? t->cap * 2 : 64;
            struct data_word *grown = realloc(t->words, cap * sizeof *grown);
            if (!grown) cli_fail("%s: out of memory", t->prefix);
            t->words = grown;
            t->cap = cap;
        }
        t->words[t->n] = (struct data_word){data_text_dup(t->prefix, s), 0, 0};
        *slot = (int32_t)t->n++;
    }
    return *slot;
}

/* Most frequent first, ties in byte order (code point order for UTF-8). */
static int by_count(const void *a, const void *b) {
    const struct data_word *x = *(const struct data_word *const *)a,
                           *y = *(const struct data_word *const *)b;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    return strcmp(x->text, y->text);
}

struct data_word **data_text_vocabulary(const struct data_words *t) {
    struct data_word **order = malloc((t->n ? t->n : 1) * sizeof *order);
    if (!order) cli_fail("%s: out of memory for the vocabulary", t->prefix);
    for (size_t k = 0; k < t->n; k++) order[k] = &t->words[k];
    qsort(order, t->n, sizeof *order, by_count);
    return order;
}

void data_text_words_free(struct data_words *t) {
    for (size_t k = 0; k < t->n; k++) free(t->words[k].text);
    free(t->words);
    free(t->slots);
    t->words = NULL;
    t->slots = NULL;
    t->n = t->cap = t->cap_slots = 0;
}
