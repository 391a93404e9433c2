/*
 * upload.c - per-batch transfers that do not wait for the device. A blocking write in an
 * in-order queue returns only when every command before it has run, so uploading batch i+1
 * waited for batch i to finish, and the host's work on batch i+1 (gathering its rows, the
 * Embedding's grouping of ids) left the device idle. clrnn_buf_upload copies the data into
 * one of a ring of host buffers and enqueues a non-blocking write from it; a ring buffer is
 * reused once its write has completed, so the host runs up to a few batches ahead and
 * waits only when it reads results (progress, the end of an epoch). Predict's outputs come
 * back the same way (clrnn_buf_download), waited for once at the end.
 *
 * On by default on GPUs; on CPUs (PoCL) the device's kernels and the host share the same
 * cores, and the gain measured there was within the noise, some configurations slower
 * (docs/performance.md), so transfers stay blocking. CLRNN_TRANSFERS=async|blocking
 * overrides.
 */
#include <stdlib.h>
#include <string.h>

#include "clrnn_impl.h"

/* Enough for a batch's uploads (input, targets, the Embedding's three groupings) several
 * batches over */
#define UPLOAD_SLOTS 16

struct clrnn_uploads {
    void *buf[UPLOAD_SLOTS];
    size_t cap[UPLOAD_SLOTS];
    cl_event done[UPLOAD_SLOTS]; /* the write from buf, NULL when none is pending */
    int next;
};

/* Whether transfers skip waiting: CLRNN_TRANSFERS=async|blocking, else on GPU forms. Read
 * once for the context (clrnn_ctx_create), so that a read back without waiting is always
 * waited for later. */
int clrnn_transfers_async(const clrnn_ctx *ctx) {
    const char *v = getenv("CLRNN_TRANSFERS");
    if (v && strcmp(v, "async") == 0) return 1;
    if (v && strcmp(v, "blocking") == 0) return 0;
    return !ctx->cpu_forms;
}

/* Waits for slot k's write and forgets it. */
static cl_int settle(struct clrnn_uploads *u, int k) {
    cl_int err = CL_SUCCESS;
    if (!u->done[k]) return err;
    err = clWaitForEvents(1, &u->done[k]);
    clReleaseEvent(u->done[k]);
    u->done[k] = NULL;
    return err;
}

clrnn_status clrnn_buf_upload(clrnn_ctx *ctx, cl_mem m, size_t offset, size_t bytes,
                              const void *src) {
    if (!bytes || ctx->lost || !ctx->transfers_async)
        return clrnn_buf_write(ctx, m, offset, bytes, src);
    if (!ctx->uploads && !(ctx->uploads = clrnn_calloc(1, sizeof *ctx->uploads)))
        return clrnn_fail(CLRNN_E_NOMEM, "out of memory for the upload buffers");
    struct clrnn_uploads *u = ctx->uploads;
    int k = u->next;
    u->next = (k + 1) % UPLOAD_SLOTS;
    cl_int err = settle(u, k);
    if (err) {
        ctx->lost = 1;
        return clrnn_fail_cl(err, "clWaitForEvents", __FILE__, __LINE__);
    }
    if (u->cap[k] < bytes) {
        clrnn_free(u->buf[k]);
        u->cap[k] = 0;
        if (!(u->buf[k] = clrnn_malloc(bytes)))
            return clrnn_fail(CLRNN_E_NOMEM, "out of memory for a %zu-byte upload", bytes);
        u->cap[k] = bytes;
    }
    memcpy(u->buf[k], src, bytes);
    err = clEnqueueWriteBuffer(ctx->queue, m, CL_FALSE, offset, bytes, u->buf[k], 0, NULL,
                               &u->done[k]);
    if (!err) return CLRNN_OK;
    ctx->lost = 1;
    return clrnn_fail_cl(err, "clEnqueueWriteBuffer", __FILE__, __LINE__);
}

clrnn_status clrnn_buf_download(clrnn_ctx *ctx, cl_mem m, size_t offset, size_t bytes,
                                void *dst) {
    if (!bytes || ctx->lost || !ctx->transfers_async)
        return clrnn_buf_read(ctx, m, offset, bytes, dst);
    cl_int err = clEnqueueReadBuffer(ctx->queue, m, CL_FALSE, offset, bytes, dst, 0, NULL, NULL);
    if (!err) return CLRNN_OK;
    ctx->lost = 1;
    return clrnn_fail_cl(err, "clEnqueueReadBuffer", __FILE__, __LINE__);
}

clrnn_status clrnn_downloads_wait(clrnn_ctx *ctx) {
    if (!ctx->transfers_async) return CLRNN_OK;
    clrnn_status s = clrnn_ctx_finish(ctx);
    if (s) clrnn_downloads_drain(ctx);
    return s;
}

void clrnn_downloads_drain(clrnn_ctx *ctx) {
    /* even on a lost device: the reads still queued must not write into memory the caller
     * frees next (a failed one completes with an error) */
    if (ctx->transfers_async) clFinish(ctx->queue);
}

void clrnn_uploads_free(clrnn_ctx *ctx) {
    struct clrnn_uploads *u = ctx->uploads;
    if (!u) return;
    /* even on a lost device: a write still running must not read freed memory (a failed
     * one completes with an error) */
    for (int k = 0; k < UPLOAD_SLOTS; k++) {
        settle(u, k);
        clrnn_free(u->buf[k]);
    }
    clrnn_free(u);
    ctx->uploads = NULL;
}
