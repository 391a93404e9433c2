/*
 * clrnn_base.h - the base layer of the library, below formats/ and host/: recording errors,
 * logging, checked allocation (status.c) and host arrays and shapes (array.c).
 *
 * Internal code reports a failure with
 *     return clrnn_fail(CLRNN_E_SHAPE, "%s: layer '%s' ...", path, name);
 * which stores the message for clrnn_last_error() and returns the status.
 * All allocation goes through clrnn_malloc/clrnn_calloc/clrnn_realloc so that tests can
 * make the N-th allocation fail (clrnn_alloc_fail_after).
 */
#ifndef CLRNN_BASE_H
#define CLRNN_BASE_H

#include <stddef.h>
#include "clrnn.h"

#if defined(__GNUC__)
#define CLRNN_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CLRNN_PRINTF(a, b)
#endif

/* Records the message (printf-style) for clrnn_last_error() and returns s. */
clrnn_status clrnn_fail(clrnn_status s, const char *fmt, ...) CLRNN_PRINTF(2, 3);
/* Prefixes the current message with "<prefix>: " (for adding context on the way up). */
clrnn_status clrnn_fail_context(clrnn_status s, const char *fmt, ...) CLRNN_PRINTF(2, 3);
void clrnn_clear_error(void);
/* Sends a message to the log callback (level 0 info, 1 warning). */
void clrnn_log(int level, const char *fmt, ...) CLRNN_PRINTF(2, 3);

void *clrnn_malloc(size_t n);
void *clrnn_calloc(size_t count, size_t size);
void *clrnn_realloc(void *p, size_t n);
void clrnn_free(void *p);
char *clrnn_strdup(const char *s);
/* Test hook: the n-th allocation from now fails (n >= 1); 0 turns it off. */
CLRNN_API void clrnn_alloc_fail_after(long n);

/* Overflow-checked size arithmetic: returns 0 and sets *out, or -1 on overflow. */
int clrnn_mul_size(size_t a, size_t b, size_t *out);

/* Shape of one sample, without the batch axis: (F) or (T, F). */
struct clrnn_shape {
    int rank;
    int64_t d[4];
};
static inline int64_t clrnn_shape_count(const struct clrnn_shape *s) {
    int64_t n = 1;
    for (int i = 0; i < s->rank; i++) n *= s->d[i];
    return n;
}
static inline int64_t clrnn_shape_last(const struct clrnn_shape *s) { return s->d[s->rank - 1]; }

/* "(None, 20, 16)": a per-sample shape with Keras's batch axis in front. */
const char *clrnn_batch_shape_str(const struct clrnn_shape *s, char *buf, size_t size);

#endif
