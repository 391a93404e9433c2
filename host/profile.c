/*
 * profile.c - where the device time goes: with CLRNN_PROFILE set in the environment, the
 * queue is made with profiling on, every kernel launch and GEMM gets an event, and the
 * device time of each (start to end, from the OpenCL profiling counters) is added up per
 * name. The table goes to stderr when the context is freed (or to the file CLRNN_PROFILE
 * names, when it is not "1"). Off by default: events cost a little on every launch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

#define PENDING_MAX 1024

struct profile_entry {
    char name[96];
    long calls;
    double ns;
};

struct clrnn_profile {
    cl_event pending[PENDING_MAX];
    int pending_entry[PENDING_MAX];
    int n_pending;
    struct profile_entry *entries;
    int n_entries, cap_entries;
};

int clrnn_profile_wanted(const clrnn_ctx *ctx) { return ctx->opts.profile[0] != '\0'; }

clrnn_status clrnn_profile_start(clrnn_ctx *ctx) {
    ctx->profile = clrnn_calloc(1, sizeof *ctx->profile);
    if (!ctx->profile) return clrnn_fail(CLRNN_E_NOMEM, "out of memory starting the profiler");
    return CLRNN_OK;
}

static int entry_index(struct clrnn_profile *p, const char *name) {
    for (int i = 0; i < p->n_entries; i++)
        if (strcmp(p->entries[i].name, name) == 0) return i;
    if (p->n_entries == p->cap_entries) {
        int cap = p->cap_entries ? 2 * p->cap_entries : 32;
        struct profile_entry *e = clrnn_realloc(p->entries, (size_t)cap * sizeof *e);
        if (!e) return -1;
        p->entries = e;
        p->cap_entries = cap;
    }
    struct profile_entry *e = &p->entries[p->n_entries];
    memset(e, 0, sizeof *e);
    snprintf(e->name, sizeof e->name, "%s", name);
    return p->n_entries++;
}

/* Waits for the pending events and adds their device times to their entries. */
static void drain(struct clrnn_profile *p) {
    if (!p->n_pending) return;
    clWaitForEvents((cl_uint)p->n_pending, p->pending);
    for (int i = 0; i < p->n_pending; i++) {
        cl_ulong t0 = 0, t1 = 0;
        if (clGetEventProfilingInfo(p->pending[i], CL_PROFILING_COMMAND_START, sizeof t0, &t0,
                                    NULL) == CL_SUCCESS &&
            clGetEventProfilingInfo(p->pending[i], CL_PROFILING_COMMAND_END, sizeof t1, &t1,
                                    NULL) == CL_SUCCESS &&
            t1 >= t0 && p->pending_entry[i] >= 0) {
            p->entries[p->pending_entry[i]].calls++;
            p->entries[p->pending_entry[i]].ns += (double)(t1 - t0);
        }
        clReleaseEvent(p->pending[i]);
    }
    p->n_pending = 0;
}

cl_event *clrnn_profile_event(clrnn_ctx *ctx) {
    struct clrnn_profile *p = ctx->profile;
    if (!p) return NULL;
    if (p->n_pending == PENDING_MAX) drain(p);
    p->pending[p->n_pending] = NULL;
    return &p->pending[p->n_pending];
}

void clrnn_profile_record(clrnn_ctx *ctx, const char *name) {
    struct clrnn_profile *p = ctx->profile;
    if (!p || !p->pending[p->n_pending]) return;
    p->pending_entry[p->n_pending] = entry_index(p, name);
    p->n_pending++;
}

long clrnn_profile_calls(clrnn_ctx *ctx, const char *name) {
    struct clrnn_profile *p = ctx->profile;
    if (!p) return -1;
    drain(p);
    for (int i = 0; i < p->n_entries; i++)
        if (strcmp(p->entries[i].name, name) == 0) return p->entries[i].calls;
    return 0;
}

static int by_time_desc(const void *a, const void *b) {
    double x = ((const struct profile_entry *)a)->ns, y = ((const struct profile_entry *)b)->ns;
    return (x < y) - (x > y);
}

void clrnn_profile_report(clrnn_ctx *ctx) {
    struct clrnn_profile *p = ctx->profile;
    if (!p) return;
    drain(p);
    const char *dest = ctx->opts.profile;
    FILE *f = stderr;
    if (strcmp(dest, "1") != 0 && !(f = fopen(dest, "a"))) f = stderr;
    double total = 0;
    for (int i = 0; i < p->n_entries; i++) total += p->entries[i].ns;
    qsort(p->entries, (size_t)p->n_entries, sizeof *p->entries, by_time_desc);
    fprintf(f, "device time by kernel on %s (CLRNN_PROFILE), total %.1f ms\n", ctx->info.name,
            total / 1e6);
    fprintf(f, "%-56s %8s %11s %10s %6s\n", "kernel", "calls", "total ms", "mean us", "%");
    for (int i = 0; i < p->n_entries; i++) {
        const struct profile_entry *e = &p->entries[i];
        fprintf(f, "%-56s %8ld %11.2f %10.1f %6.1f\n", e->name, e->calls, e->ns / 1e6,
                e->calls ? e->ns / 1e3 / (double)e->calls : 0.0, total ? 100.0 * e->ns / total : 0.0);
    }
    if (f != stderr) fclose(f);
    clrnn_free(p->entries);
    clrnn_free(p);
    ctx->profile = NULL;
}
