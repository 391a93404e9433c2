/*
 * options.h - the switches clrnn takes from the environment (the table in docs/options.md),
 * read and checked in one place (options.c) when a context is created, then read from
 * ctx->opts. Nothing else in the library calls getenv.
 */
#ifndef CLRNN_OPTIONS_H
#define CLRNN_OPTIONS_H

#include "clrnn.h"

/* A switch that is either left to clrnn or fixed off or on. */
#define CLRNN_OPT_AUTO (-1)

/* CLRNN_TUNE */
enum clrnn_tune_mode { CLRNN_TUNE_GUESS = 0, CLRNN_TUNE_CACHED = 1, CLRNN_TUNE_AGAIN = 2 };

struct clrnn_options {
    char device[256];        /* CLRNN_DEVICE: the device when the caller names none ("" first) */
    char device_limits[256]; /* CLRNN_DEVICE_LIMITS: a smaller device to pretend, "" none */
    int cpu_forms;           /* CLRNN_KERNELS=cpu|gpu: 1, 0, or AUTO (by the device's type) */
    int gemm_wide;           /* CLRNN_GEMM_TILES=wide|narrow: 1, 0, or AUTO (vector width) */
    int transfers_async;     /* CLRNN_TRANSFERS=async|blocking: 1, 0, or AUTO (GPU forms) */
    int tune;                /* CLRNN_TUNE=0|1|again: enum clrnn_tune_mode */
    int r_local;             /* CLRNN_R_LOCAL=0|1: 1, 0, or AUTO (tuned) */
    int steps;               /* CLRNN_RECURRENCE=steps|persistent: 1, 0, or AUTO (by R's size) */
    int rows_per_item;       /* CLRNN_ROWS_PER_ITEM=1|2|4, 0 tuned */
    int group_rows;          /* CLRNN_GROUP_ROWS=N (N > 0), 0 tuned */
    int token_direct;        /* CLRNN_TOKEN_DIRECT=0|1: 1, 0, or AUTO (tuned) */
    int fuse_embedding;      /* CLRNN_FUSE_EMBEDDING=0|1 (default 1) */
    int pair_kernels;        /* CLRNN_BIDIRECTIONAL=paired|separate: 1 (default), 0 */
    char profile[1024];      /* CLRNN_PROFILE: "" off, "1" to stderr, else a file to append to */
    char cl_dir[1024];       /* CLRNN_CL_DIR: read cl/ sources from here, "" built-in */
    int cache;               /* CLRNN_CACHE=0|1 (default 1): the disk cache of programs */
    char cache_dir[1024];    /* CLRNN_CACHE_DIR, else $XDG_CACHE_HOME/clrnn, else
                              * $HOME/.cache/clrnn; "" none */
    char program_log[1024];  /* CLRNN_PROGRAM_LOG: append each program built here, "" none */
    long device_lost_at;     /* CLRNN_TEST_DEVICE_LOST=N[:CODE]: the N-th wait fails, 0 never */
    int device_lost_code;    /* with this OpenCL error */
};

/* Fills *o from the environment. A value a switch does not take is CLRNN_E_INVALID_ARG,
 * naming the variable, the value and what it takes. */
clrnn_status clrnn_options_read(struct clrnn_options *o);

/* The variables the table reads (for tests/test_options.c, which checks each is documented):
 * the i-th, or NULL past the last. */
const char *clrnn_options_name(int i);

/* Test hook: reads the environment into ctx->opts again, for tests that change a switch
 * between models on one context. The switches that shape the context itself (device, its
 * limits, kernel forms, GEMM tiles, transfers, profiling) keep what they were at creation. */
clrnn_status clrnn_options_reread(clrnn_ctx *ctx);

#endif
