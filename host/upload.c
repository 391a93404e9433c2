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
 * The ring's buffers are pinned where the driver gives pinned memory: host memory of an
 * OpenCL buffer made with CL_MEM_ALLOC_HOST_PTR, kept mapped. A GPU driver copies from
 * pinned memory by DMA while the host goes on; from ordinary (pageable) memory NVIDIA's
 * stages the copy itself and returns only when it is done. Where such a buffer cannot be
 * made the slot takes ordinary memory.
 *
 * On by default on GPUs; on CPUs (PoCL) the device's kernels and the host share the same
 * cores, and the gain measured there was within the noise, some configurations slower
 * (docs/performance.md), so transfers stay blocking. CLRNN_TRANSFERS=async|blocking
 * overrides.
 */
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

/* Enough for a batch's uploads (input, targets, the Embedding's three groupings) several
 * batches over */
#define UPLOAD_SLOTS 16

struct clrnn_uploads {
    void *buf[UPLOAD_SLOTS];
    cl_mem pinned[UPLOAD_SLOTS]; /* the buffer buf is mapped from, NULL for ordinary memory */
    size_t cap[UPLOAD_SLOTS];
    cl_event done[UPLOAD_SLOTS]; /* the write from buf, NULL when none is pending */
    int next;
};

/* Whether transfers skip waiting: CLRNN_TRANSFERS=async|blocking, else on GPU forms. Read
 * once for the context (clrnn_ctx_create), so that a read back without waiting is always
 * waited for later. */
int clrnn_transfers_async(const clrnn_ctx *ctx) {
    int v = ctx->opts.transfers_async;
    return v != CLRNN_OPT_AUTO ? v : !ctx->cpu_forms;
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

/* Slot k's memory let go (nothing pending on it) */
static void slot_free(clrnn_ctx *ctx, struct clrnn_uploads *u, int k) {
    if (u->pinned[k]) {
        cl_event unmapped = NULL;
        if (clEnqueueUnmapMemObject(ctx->queue, u->pinned[k], u->buf[k], 0, NULL, &unmapped) ==
            CL_SUCCESS) {
            clWaitForEvents(1, &unmapped);
            clReleaseEvent(unmapped);
        }
        clReleaseMemObject(u->pinned[k]);
    } else {
        clrnn_free(u->buf[k]);
    }
    u->buf[k] = NULL, u->pinned[k] = NULL, u->cap[k] = 0;
}

/* Slot k with room for `bytes`: pinned memory, else ordinary */
static int slot_make(clrnn_ctx *ctx, struct clrnn_uploads *u, int k, size_t bytes) {
    cl_int err;
    cl_mem m = clCreateBuffer(ctx->context, CL_MEM_ALLOC_HOST_PTR | CL_MEM_READ_ONLY, bytes,
                              NULL, &err);
    void *p = NULL;
    if (m)
        p = clEnqueueMapBuffer(ctx->queue, m, CL_TRUE, CL_MAP_WRITE, 0, bytes, 0, NULL, NULL,
                               &err);
    if (p) {
        u->pinned[k] = m;
    } else {
        if (m) clReleaseMemObject(m);
        if (!(p = clrnn_malloc(bytes))) return 0;
    }
    u->buf[k] = p, u->cap[k] = bytes;
    return 1;
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
        slot_free(ctx, u, k);
        if (!slot_make(ctx, u, k, bytes))
            return clrnn_fail(CLRNN_E_NOMEM, "out of memory for a %zu-byte upload", bytes);
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

int clrnn_uploads_pinned(const clrnn_ctx *ctx) {
    int n = 0;
    for (int k = 0; ctx->uploads && k < UPLOAD_SLOTS; k++) n += ctx->uploads->pinned[k] != NULL;
    return n;
}

void clrnn_uploads_free(clrnn_ctx *ctx) {
    struct clrnn_uploads *u = ctx->uploads;
    if (!u) return;
    /* even on a lost device: a write still running must not read freed memory (a failed
     * one completes with an error) */
    for (int k = 0; k < UPLOAD_SLOTS; k++) {
        settle(u, k);
        slot_free(ctx, u, k);
    }
    clrnn_free(u);
    ctx->uploads = NULL;
}
