/*
 * test_tuning.c - the per-device tuning (host/tuning.c): of three variants, one whose results
 * differ from the reference variant's in one bit is dropped (never chosen, a warning), one
 * that fails is dropped, the choice is cached in the kernel cache and a second tuning under
 * the same key takes it without timing anything (unless CLRNN_TUNE=again), and the chosen
 * variant's results are left on the device.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clrnn_impl.h"
#include "test.h"

#define N 1000

struct fake {
    clrnn_ctx *ctx;
    cl_mem out;
    float data[N];
    int runs[5];
};

/* Variants 0 and 1 write the same numbers (1 slowly: it writes them 200 times), 2 changes
 * one bit of one number, 3 fails, 4 writes the right numbers once and then fails. */
static clrnn_status run(void *arg, int v) {
    struct fake *f = arg;
    f->runs[v]++;
    if (v == 3) return clrnn_fail(CLRNN_E_OPENCL, "variant 3 does not build here");
    if (v == 4 && f->runs[v] > 1) return clrnn_fail(CLRNN_E_OPENCL, "variant 4 failed later");
    float d[N];
    memcpy(d, f->data, sizeof d);
    if (v == 2) d[N / 2] = nextafterf(d[N / 2], 2.0f);
    clrnn_status s = CLRNN_OK;
    for (int k = 0; !s && k < (v == 1 ? 200 : 1); k++)
        s = clrnn_buf_write(f->ctx, f->out, 0, sizeof d, d);
    return s;
}

static int warnings;
static void count_warnings(int level, const char *text, void *user) {
    (void)user;
    if (level >= 1 && strstr(text, "tuning")) warnings++;
}

int main(void) {
    char dir[] = "/tmp/clrnn-test-tuning-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    setenv("CLRNN_CACHE_DIR", dir, 1);
    unsetenv("CLRNN_CACHE");
    struct fake f = {0};
    clrnn_status s = clrnn_ctx_create(NULL, &f.ctx);
    if (s == CLRNN_E_NO_DEVICE) test_skip_no_device(clrnn_last_error());
    if (s) {
        fprintf(stderr, "%s\n", clrnn_last_error());
        return 1;
    }
    for (int i = 0; i < N; i++) f.data[i] = (float)i / 7.0f;
    CHECK(clrnn_buf_create(f.ctx, sizeof f.data, &f.out) == CLRNN_OK);
    clrnn_log_set(count_warnings, NULL);
    static const int variants[] = {0, 1, 2, 3};
    int chosen = -1;
    CHECK(clrnn_tune(f.ctx, "test key", variants, 4, run, &f, f.out, sizeof f.data, &chosen) ==
          CLRNN_OK);
    printf("chosen %d; runs %d %d %d %d; warnings %d\n", chosen, f.runs[0], f.runs[1],
           f.runs[2], f.runs[3], warnings);
    CHECK(chosen == 0); /* 1 is slower, 2 differs, 3 fails */
    CHECK_INT_EQ(warnings, 2);
    /* a first run each; 3 timed rounds of the two that passed; the chosen one once more */
    CHECK_INT_EQ(f.runs[0], 5);
    CHECK_INT_EQ(f.runs[1], 4);
    CHECK_INT_EQ(f.runs[2], 1);
    CHECK_INT_EQ(f.runs[3], 1);
    float got[N];
    CHECK(clrnn_buf_read(f.ctx, f.out, 0, sizeof got, got) == CLRNN_OK);
    CHECK(memcmp(got, f.data, sizeof got) == 0);

    /* cached: the same key takes the stored choice and runs only it, once */
    memset(f.runs, 0, sizeof f.runs);
    chosen = -1;
    CHECK(clrnn_tune(f.ctx, "test key", variants, 4, run, &f, f.out, sizeof f.data, &chosen) ==
          CLRNN_OK);
    CHECK_INT_EQ(chosen, 0);
    CHECK_INT_EQ(f.runs[0] + f.runs[1] + f.runs[2] + f.runs[3], 1);

    /* CLRNN_TUNE=again measures a cached key again */
    memset(f.runs, 0, sizeof f.runs);
    warnings = 0;
    setenv("CLRNN_TUNE", "again", 1);
    clrnn_options_reread(f.ctx); /* options are read when a context is made */
    CHECK(clrnn_tune(f.ctx, "test key", variants, 4, run, &f, f.out, sizeof f.data, &chosen) ==
          CLRNN_OK);
    unsetenv("CLRNN_TUNE");
    clrnn_options_reread(f.ctx);
    CHECK_INT_EQ(chosen, 0);
    CHECK_INT_EQ(f.runs[0], 5);
    CHECK_INT_EQ(f.runs[1], 4);

    /* a variant failing in a timed round is dropped there, with a warning */
    static const int late_failure[] = {0, 4};
    memset(f.runs, 0, sizeof f.runs);
    warnings = 0;
    chosen = -1;
    CHECK(clrnn_tune(f.ctx, "third key", late_failure, 2, run, &f, f.out, sizeof f.data,
                     &chosen) == CLRNN_OK);
    CHECK_INT_EQ(chosen, 0);
    CHECK_INT_EQ(warnings, 1);
    CHECK_INT_EQ(f.runs[4], 2);

    /* a failing reference variant is an error, not a choice */
    static const int bad_first[] = {3, 0};
    CHECK(clrnn_tune(f.ctx, "other key", bad_first, 2, run, &f, f.out, sizeof f.data, &chosen) !=
          CLRNN_OK);
    clrnn_log_set(NULL, NULL);
    clrnn_buf_release(&f.out);
    clrnn_ctx_free(f.ctx);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    TEST_MAIN_END();
}
