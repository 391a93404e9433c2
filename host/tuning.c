/*
 * tuning.c - per-device tuning: of several variants of a computation that must give the same
 * numbers, keep the fastest on this device. Each variant is checked against the first (the
 * reference variant) bit for bit and dropped if it differs or fails, so a driver that
 * miscompiles one cannot change results. The choice is kept beside the program binaries in
 * the kernel cache (one small file a key, written to a temporary name and renamed), so the
 * measuring happens once per device, driver and shape.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runtime.h"

static double seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cached_choice(clrnn_ctx *ctx, const char *key) {
    char path[1300];
    int v = -1;
    if (clrnn_cache_tuning_path(ctx, key, path, sizeof path)) return -1;
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    if (fscanf(f, "%d", &v) != 1) v = -1;
    fclose(f);
    return v;
}

static void store_choice(clrnn_ctx *ctx, const char *key, int v) {
    char path[1300], tmp[1340];
    if (clrnn_cache_tuning_path(ctx, key, path, sizeof path)) return;
    snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) return;
    int ok = fprintf(f, "%d\n%s\n", v, key) > 0;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) remove(tmp);
}

/* Runs variant v once and waits for it; its time into *t. */
static clrnn_status time_variant(clrnn_ctx *ctx, clrnn_tune_run run, void *arg, int v, double *t) {
    double t0 = seconds();
    clrnn_status s = run(arg, v);
    if (!s) s = clrnn_ctx_finish(ctx);
    *t = seconds() - t0;
    return s;
}

/* Timed runs of each variant, taken in turns so that a slow moment of a shared machine hits
 * them alike; the best of each counts. */
#define TUNE_ROUNDS 3
#define TUNE_MAX_VARIANTS 8

/* CLRNN_TUNE=again: time every choice once more and store the new ones (a choice made while
 * other work kept the machine busy stays cached otherwise) */
static int tune_again(const clrnn_ctx *ctx) { return ctx->opts.tune == CLRNN_TUNE_AGAIN; }

clrnn_status clrnn_tune(clrnn_ctx *ctx, const char *key, const int *variants, int n,
                        clrnn_tune_run run, void *arg, cl_mem out, size_t out_bytes, int *chosen) {
    int cached = tune_again(ctx) ? -1 : cached_choice(ctx, key);
    for (int i = 0; i < n; i++)
        if (variants[i] == cached) {
            *chosen = cached;
            return run(arg, cached);
        }
    if (n > TUNE_MAX_VARIANTS) n = TUNE_MAX_VARIANTS;
    float *ref = clrnn_malloc(out_bytes), *got = clrnn_malloc(out_bytes);
    clrnn_status s = ref && got ? CLRNN_OK : clrnn_fail(CLRNN_E_NOMEM, "out of memory tuning");
    int ok[TUNE_MAX_VARIANTS] = {0};
    double best[TUNE_MAX_VARIANTS];
    /* first run of each (building its program): it must work and match the first variant */
    for (int i = 0; !s && i < n; i++) {
        double t = 0;
        clrnn_status vs = time_variant(ctx, run, arg, variants[i], &t);
        if (!vs) vs = clrnn_buf_read(ctx, out, 0, out_bytes, i ? got : ref);
        if (vs && i == 0) {
            s = vs; /* the reference variant itself failed */
        } else if (vs) {
            clrnn_log(1, "tuning %s: variant %d failed (%s); dropped", key, variants[i],
                      clrnn_last_error());
        } else if (i && memcmp(ref, got, out_bytes) != 0) {
            clrnn_log(1, "tuning %s: variant %d gives different numbers than variant %d on %s; "
                      "dropped", key, variants[i], variants[0], ctx->info.name);
        } else {
            ok[i] = 1;
            best[i] = 1e300;
        }
    }
    for (int round = 0; !s && round < TUNE_ROUNDS; round++)
        for (int i = 0; !s && i < n; i++) {
            double t = 0;
            clrnn_status vs = ok[i] ? time_variant(ctx, run, arg, variants[i], &t) : CLRNN_OK;
            if (vs && i == 0) {
                s = vs;
            } else if (vs) {
                clrnn_log(1, "tuning %s: variant %d failed (%s); dropped", key, variants[i],
                          clrnn_last_error());
                ok[i] = 0;
            } else if (ok[i] && t < best[i]) {
                best[i] = t;
            }
        }
    *chosen = variants[0];
    for (int i = 1; !s && i < n; i++)
        if (ok[i] && best[i] < best[0]) {
            best[0] = best[i];
            *chosen = variants[i];
        }
    clrnn_free(ref);
    clrnn_free(got);
    if (!s) {
        store_choice(ctx, key, *chosen);
        /* the last run was another variant's: run the chosen one for the caller */
        s = run(arg, *chosen);
    }
    return s;
}
