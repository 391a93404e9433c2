/*
 * options.c - the environment's switches, read and checked in one place: one table row each
 * (the variable, where it goes, the values it takes). docs/options.md explains each one;
 * tests/test_options.c checks that every row is there and that bad values are refused.
 */
#include "options.h"

#include <CL/cl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clrnn_base.h"

struct word {
    const char *text;
    int value;
};

enum option_kind { OPT_TEXT, OPT_WORD, OPT_COUNT };

struct option {
    const char *name;
    enum option_kind kind;
    size_t field;                /* offsetof(struct clrnn_options, ...) */
    size_t size;                 /* OPT_TEXT: the field's size */
    const struct word *words;    /* OPT_WORD: what it takes, ended by {NULL} */
};

static const struct word KERNEL_FORMS[] = {{"cpu", 1}, {"gpu", 0}, {NULL, 0}};
static const struct word GEMM_TILES[] = {{"wide", 1}, {"narrow", 0}, {NULL, 0}};
static const struct word TRANSFERS[] = {{"async", 1}, {"blocking", 0}, {NULL, 0}};
static const struct word TUNE[] = {{"0", CLRNN_TUNE_GUESS}, {"1", CLRNN_TUNE_CACHED},
                                   {"again", CLRNN_TUNE_AGAIN}, {NULL, 0}};
static const struct word OFF_ON[] = {{"0", 0}, {"1", 1}, {NULL, 0}};
static const struct word RECURRENCE[] = {{"steps", 1}, {"persistent", 0}, {NULL, 0}};
static const struct word ROWS_PER_ITEM[] = {{"1", 1}, {"2", 2}, {"4", 4}, {NULL, 0}};
static const struct word BIDIRECTIONAL[] = {{"paired", 1}, {"separate", 0}, {NULL, 0}};

#define TEXT(name, field) {name, OPT_TEXT, offsetof(struct clrnn_options, field), \
                           sizeof(((struct clrnn_options *)0)->field), NULL}
#define WORD(name, field, words) {name, OPT_WORD, offsetof(struct clrnn_options, field), 0, words}
#define COUNT(name, field) {name, OPT_COUNT, offsetof(struct clrnn_options, field), 0, NULL}

static const struct option OPTIONS[] = {
    TEXT("CLRNN_DEVICE", device),
    TEXT("CLRNN_DEVICE_LIMITS", device_limits),
    WORD("CLRNN_KERNELS", cpu_forms, KERNEL_FORMS),
    WORD("CLRNN_GEMM_TILES", gemm_wide, GEMM_TILES),
    WORD("CLRNN_TRANSFERS", transfers_async, TRANSFERS),
    WORD("CLRNN_TUNE", tune, TUNE),
    WORD("CLRNN_R_LOCAL", r_local, OFF_ON),
    WORD("CLRNN_RECURRENCE", steps, RECURRENCE),
    WORD("CLRNN_ROWS_PER_ITEM", rows_per_item, ROWS_PER_ITEM),
    COUNT("CLRNN_GROUP_ROWS", group_rows),
    WORD("CLRNN_TOKEN_DIRECT", token_direct, OFF_ON),
    WORD("CLRNN_FUSE_EMBEDDING", fuse_embedding, OFF_ON),
    WORD("CLRNN_BIDIRECTIONAL", pair_kernels, BIDIRECTIONAL),
    TEXT("CLRNN_PROFILE", profile),
    TEXT("CLRNN_CL_DIR", cl_dir),
    WORD("CLRNN_CACHE", cache, OFF_ON),
    TEXT("CLRNN_CACHE_DIR", cache_dir),
    TEXT("CLRNN_PROGRAM_LOG", program_log),
};

static const struct clrnn_options DEFAULTS = {
    .cpu_forms = CLRNN_OPT_AUTO,
    .gemm_wide = CLRNN_OPT_AUTO,
    .transfers_async = CLRNN_OPT_AUTO,
    .tune = CLRNN_TUNE_CACHED,
    .r_local = CLRNN_OPT_AUTO,
    .steps = CLRNN_OPT_AUTO,
    .token_direct = CLRNN_OPT_AUTO,
    .fuse_embedding = 1,
    .pair_kernels = 1,
    .cache = 1,
};

static clrnn_status refuse(const struct option *opt, const char *v, const char *takes) {
    return clrnn_fail(CLRNN_E_INVALID_ARG, "%s='%s': it takes %s", opt->name, v, takes);
}

static clrnn_status read_word(const struct option *opt, const char *v, int *out) {
    char takes[128] = "";
    for (const struct word *w = opt->words; w->text; w++) {
        if (strcmp(v, w->text) == 0) return *out = w->value, CLRNN_OK;
        snprintf(takes + strlen(takes), sizeof takes - strlen(takes), "%s%s",
                 w == opt->words ? "" : (w[1].text ? ", " : " or "), w->text);
    }
    return refuse(opt, v, takes);
}

static clrnn_status read_one(const struct option *opt, const char *v, struct clrnn_options *o) {
    char *field = (char *)o + opt->field;
    switch (opt->kind) {
    case OPT_TEXT:
        if (strlen(v) >= opt->size) return refuse(opt, v, "a shorter value");
        memcpy(field, v, strlen(v) + 1);
        return CLRNN_OK;
    case OPT_WORD:
        return read_word(opt, v, (int *)(void *)field);
    case OPT_COUNT: {
        char *end;
        long n = strtol(v, &end, 10);
        if (*end || n < 1 || n > 1 << 16) return refuse(opt, v, "a whole number from 1");
        *(int *)(void *)field = (int)n;
        return CLRNN_OK;
    }
    }
    return CLRNN_OK;
}

/* Where the program cache lives when CLRNN_CACHE_DIR does not say (the XDG convention) */
static void default_cache_dir(struct clrnn_options *o) {
    const char *d;
    if ((d = getenv("XDG_CACHE_HOME")) && *d)
        snprintf(o->cache_dir, sizeof o->cache_dir, "%s/clrnn", d);
    else if ((d = getenv("HOME")) && *d)
        snprintf(o->cache_dir, sizeof o->cache_dir, "%s/.cache/clrnn", d);
}

/* CLRNN_TEST_DEVICE_LOST=N[:CODE], a test hook (tests/test_device_faults.sh): the N-th wait
 * of a context fails with the OpenCL error CODE (default CL_DEVICE_NOT_AVAILABLE). */
static clrnn_status read_device_lost(struct clrnn_options *o) {
    const char *v = getenv("CLRNN_TEST_DEVICE_LOST");
    o->device_lost_code = CL_DEVICE_NOT_AVAILABLE;
    if (!v || !*v) return CLRNN_OK;
    char *end;
    long n = strtol(v, &end, 10);
    if (*end == ':') o->device_lost_code = (int)strtol(end + 1, &end, 10);
    if (*end || end == v)
        return clrnn_fail(CLRNN_E_INVALID_ARG, "CLRNN_TEST_DEVICE_LOST='%s': it takes N or N:CODE", v);
    o->device_lost_at = n > 0 ? n : 0;
    return CLRNN_OK;
}

const char *clrnn_options_name(int i) {
    if (i == (int)(sizeof OPTIONS / sizeof *OPTIONS)) return "CLRNN_TEST_DEVICE_LOST";
    return i >= 0 && i < (int)(sizeof OPTIONS / sizeof *OPTIONS) ? OPTIONS[i].name : NULL;
}

clrnn_status clrnn_options_read(struct clrnn_options *o) {
    *o = DEFAULTS;
    default_cache_dir(o);
    for (size_t i = 0; i < sizeof OPTIONS / sizeof *OPTIONS; i++) {
        const char *v = getenv(OPTIONS[i].name);
        if (!v || !*v) continue;
        clrnn_status s = read_one(&OPTIONS[i], v, o);
        if (s) return s;
    }
    if (strcmp(o->profile, "0") == 0) o->profile[0] = '\0';
    return read_device_lost(o);
}
