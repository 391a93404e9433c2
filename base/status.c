/*
 * status.c - status names, the per-thread error message, logging, checked allocation.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clrnn_base.h"

#define MESSAGE_SIZE 2048

static _Thread_local char last_message[MESSAGE_SIZE];

const char *clrnn_status_str(clrnn_status s) {
    switch (s) {
#define CLRNN_STATUS_CASE_(name, value, text) \
    case name:                                \
        return text;
        CLRNN_STATUS_LIST(CLRNN_STATUS_CASE_)
#undef CLRNN_STATUS_CASE_
    }
    return "unknown status";
}

const char *clrnn_last_error(void) { return last_message; }

void clrnn_clear_error(void) { last_message[0] = '\0'; }

clrnn_status clrnn_fail(clrnn_status s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_message, sizeof last_message, fmt, ap);
    va_end(ap);
    return s;
}

clrnn_status clrnn_fail_context(clrnn_status s, const char *fmt, ...) {
    char prefix[512], old[MESSAGE_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, last_message, sizeof old);
    snprintf(last_message, sizeof last_message, "%.500s: %.1500s", prefix, old);
    return s;
}

/* ---- logging ---- */

static clrnn_log_fn log_fn;
static void *log_user;

void clrnn_log_set(clrnn_log_fn fn, void *user) {
    log_fn = fn;
    log_user = user;
}

void clrnn_log(int level, const char *fmt, ...) {
    char text[MESSAGE_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (log_fn)
        log_fn(level, text, log_user);
    else if (level >= 1)
        fprintf(stderr, "clrnn: warning: %s\n", text);
}

/* ---- allocation ---- */

static long fail_countdown; /* 0: off; n: the n-th allocation from now fails */

void clrnn_alloc_fail_after(long n) { fail_countdown = n; }

static int injected_failure(void) {
    if (fail_countdown > 0 && --fail_countdown == 0) return 1;
    return 0;
}

void *clrnn_malloc(size_t n) {
    if (injected_failure()) return NULL;
    return malloc(n ? n : 1);
}

void *clrnn_calloc(size_t count, size_t size) {
    if (injected_failure()) return NULL;
    return calloc(count ? count : 1, size ? size : 1);
}

void *clrnn_realloc(void *p, size_t n) {
    if (injected_failure()) return NULL;
    return realloc(p, n ? n : 1);
}

void clrnn_free(void *p) { free(p); }

char *clrnn_strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = clrnn_malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

int clrnn_mul_size(size_t a, size_t b, size_t *out) {
    if (a != 0 && b > SIZE_MAX / a) return -1;
    *out = a * b;
    return 0;
}
