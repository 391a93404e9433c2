/*
 * ctx.c - OpenCL platforms and devices, device selection, the runtime context, device
 * buffers, and readable names for OpenCL error codes.
 */
#include <ctype.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clrnn_impl.h"

const char *clrnn_cl_error_name(cl_int code) {
    switch (code) {
#define N(x) \
    case x:  \
        return #x;
        N(CL_SUCCESS) N(CL_DEVICE_NOT_FOUND) N(CL_DEVICE_NOT_AVAILABLE)
        N(CL_COMPILER_NOT_AVAILABLE) N(CL_MEM_OBJECT_ALLOCATION_FAILURE) N(CL_OUT_OF_RESOURCES)
        N(CL_OUT_OF_HOST_MEMORY) N(CL_PROFILING_INFO_NOT_AVAILABLE) N(CL_MEM_COPY_OVERLAP)
        N(CL_IMAGE_FORMAT_MISMATCH) N(CL_IMAGE_FORMAT_NOT_SUPPORTED) N(CL_BUILD_PROGRAM_FAILURE)
        N(CL_MAP_FAILURE) N(CL_MISALIGNED_SUB_BUFFER_OFFSET)
        N(CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST) N(CL_COMPILE_PROGRAM_FAILURE)
        N(CL_LINKER_NOT_AVAILABLE) N(CL_LINK_PROGRAM_FAILURE) N(CL_DEVICE_PARTITION_FAILED)
        N(CL_KERNEL_ARG_INFO_NOT_AVAILABLE) N(CL_INVALID_VALUE) N(CL_INVALID_DEVICE_TYPE)
        N(CL_INVALID_PLATFORM) N(CL_INVALID_DEVICE) N(CL_INVALID_CONTEXT)
        N(CL_INVALID_QUEUE_PROPERTIES) N(CL_INVALID_COMMAND_QUEUE) N(CL_INVALID_HOST_PTR)
        N(CL_INVALID_MEM_OBJECT) N(CL_INVALID_IMAGE_FORMAT_DESCRIPTOR) N(CL_INVALID_IMAGE_SIZE)
        N(CL_INVALID_SAMPLER) N(CL_INVALID_BINARY) N(CL_INVALID_BUILD_OPTIONS)
        N(CL_INVALID_PROGRAM) N(CL_INVALID_PROGRAM_EXECUTABLE) N(CL_INVALID_KERNEL_NAME)
        N(CL_INVALID_KERNEL_DEFINITION) N(CL_INVALID_KERNEL) N(CL_INVALID_ARG_INDEX)
        N(CL_INVALID_ARG_VALUE) N(CL_INVALID_ARG_SIZE) N(CL_INVALID_KERNEL_ARGS)
        N(CL_INVALID_WORK_DIMENSION) N(CL_INVALID_WORK_GROUP_SIZE) N(CL_INVALID_WORK_ITEM_SIZE)
        N(CL_INVALID_GLOBAL_OFFSET) N(CL_INVALID_EVENT_WAIT_LIST) N(CL_INVALID_EVENT)
        N(CL_INVALID_OPERATION) N(CL_INVALID_GL_OBJECT) N(CL_INVALID_BUFFER_SIZE)
        N(CL_INVALID_MIP_LEVEL) N(CL_INVALID_GLOBAL_WORK_SIZE) N(CL_INVALID_PROPERTY)
        N(CL_INVALID_IMAGE_DESCRIPTOR) N(CL_INVALID_COMPILER_OPTIONS) N(CL_INVALID_LINKER_OPTIONS)
        N(CL_INVALID_DEVICE_PARTITION_COUNT)
#undef N
    case -1001:
        return "CL_PLATFORM_NOT_FOUND_KHR";
    default:
        return "unknown OpenCL error";
    }
}

/* What a user can do about the codes a device gives when it is lost or exhausted. */
static const char *cl_hint(cl_int code) {
    switch (code) {
    case CL_DEVICE_NOT_AVAILABLE:
    case CL_INVALID_COMMAND_QUEUE:
    case CL_INVALID_CONTEXT:
        return "; the device was lost or reset (a driver crash or watchdog timeout, a GPU that "
               "went away): check the driver's log and run again";
    case CL_OUT_OF_RESOURCES:
    case CL_MEM_OBJECT_ALLOCATION_FAILURE:
        return "; the device ran out of memory or resources, or was reset: try a smaller "
               "--batch-size, and check the driver's log";
    default:
        return "";
    }
}

clrnn_status clrnn_fail_cl(cl_int code, const char *what, const char *file, int line) {
    const char *base = strrchr(file, '/');
    return clrnn_fail(CLRNN_E_OPENCL, "OpenCL call %s failed: %s (%d) at %s:%d%s", what,
                      clrnn_cl_error_name(code), (int)code, base ? base + 1 : file, line,
                      cl_hint(code));
}

/* ---- device listing ---- */

struct found_device {
    cl_platform_id platform;
    cl_device_id device;
};

static void get_string(cl_device_id d, cl_device_info what, char *buf, size_t size) {
    buf[0] = '\0';
    if (clGetDeviceInfo(d, what, size, buf, NULL) != CL_SUCCESS) buf[0] = '\0';
    buf[size - 1] = '\0';
}

static void describe(cl_platform_id p, cl_device_id d, int index, struct clrnn_device_info *i) {
    memset(i, 0, sizeof *i);
    i->index = index;
    get_string(d, CL_DEVICE_NAME, i->name, sizeof i->name);
    get_string(d, CL_DEVICE_VENDOR, i->vendor, sizeof i->vendor);
    get_string(d, CL_DEVICE_VERSION, i->version, sizeof i->version);
    get_string(d, CL_DRIVER_VERSION, i->driver, sizeof i->driver);
    if (clGetPlatformInfo(p, CL_PLATFORM_NAME, sizeof i->platform, i->platform, NULL))
        i->platform[0] = '\0';
    i->platform[sizeof i->platform - 1] = '\0';
    cl_device_type type = 0;
    cl_ulong u = 0;
    cl_uint cu = 0;
    size_t wg = 0;
    clGetDeviceInfo(d, CL_DEVICE_TYPE, sizeof type, &type, NULL);
    i->is_gpu = (type & CL_DEVICE_TYPE_GPU) != 0;
    i->is_cpu = (type & CL_DEVICE_TYPE_CPU) != 0;
    if (!clGetDeviceInfo(d, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof u, &u, NULL)) i->global_mem_bytes = u;
    if (!clGetDeviceInfo(d, CL_DEVICE_LOCAL_MEM_SIZE, sizeof u, &u, NULL)) i->local_mem_bytes = u;
    if (!clGetDeviceInfo(d, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof u, &u, NULL)) i->max_alloc_bytes = u;
    if (!clGetDeviceInfo(d, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof cu, &cu, NULL)) i->compute_units = (int)cu;
    if (!clGetDeviceInfo(d, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof wg, &wg, NULL))
        i->max_work_group_size = wg;
}

/* All devices of all platforms, in order; *n = 0 (and CLRNN_E_NO_DEVICE) when none. */
static clrnn_status find_devices(struct found_device **out, int *n) {
    cl_uint np = 0;
    cl_int err = clGetPlatformIDs(0, NULL, &np);
    if (err == -1001 /* CL_PLATFORM_NOT_FOUND_KHR */ || (err == CL_SUCCESS && np == 0))
        return clrnn_fail(CLRNN_E_NO_DEVICE,
                          "no OpenCL platform found: install an OpenCL driver (for the CPU: "
                          "apt-get install pocl-opencl-icd)");
    if (err) return clrnn_fail_cl(err, "clGetPlatformIDs", __FILE__, __LINE__);
    cl_platform_id *plats = clrnn_calloc(np, sizeof *plats);
    if (!plats) return clrnn_fail(CLRNN_E_NOMEM, "out of memory listing platforms");
    clGetPlatformIDs(np, plats, NULL);
    struct found_device *list = NULL;
    int count = 0;
    for (cl_uint p = 0; p < np; p++) {
        cl_uint nd = 0;
        if (clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, 0, NULL, &nd) != CL_SUCCESS || !nd)
            continue;
        cl_device_id *devs = clrnn_calloc(nd, sizeof *devs);
        struct found_device *grown = devs ? clrnn_realloc(list, (count + nd) * sizeof *list) : NULL;
        if (!grown) {
            clrnn_free(devs);
            clrnn_free(list);
            clrnn_free(plats);
            return clrnn_fail(CLRNN_E_NOMEM, "out of memory listing devices");
        }
        list = grown;
        clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, nd, devs, NULL);
        for (cl_uint d = 0; d < nd; d++) list[count++] = (struct found_device){plats[p], devs[d]};
        clrnn_free(devs);
    }
    clrnn_free(plats);
    if (!count) {
        clrnn_free(list);
        return clrnn_fail(CLRNN_E_NO_DEVICE, "OpenCL platforms found, but no devices");
    }
    *out = list;
    *n = count;
    return CLRNN_OK;
}

clrnn_status clrnn_devices_list(struct clrnn_device_info **out, int *n) {
    struct found_device *found;
    int count;
    clrnn_status s = find_devices(&found, &count);
    if (s) return s;
    struct clrnn_device_info *infos = clrnn_calloc((size_t)count, sizeof *infos);
    if (!infos) {
        clrnn_free(found);
        return clrnn_fail(CLRNN_E_NOMEM, "out of memory listing devices");
    }
    for (int i = 0; i < count; i++) describe(found[i].platform, found[i].device, i, &infos[i]);
    clrnn_free(found);
    *out = infos;
    *n = count;
    return CLRNN_OK;
}

void clrnn_devices_free(struct clrnn_device_info *list) { clrnn_free(list); }

static int contains_nocase(const char *hay, const char *needle) {
    size_t n = strlen(needle);
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i] && tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == n) return 1;
    }
    return 0;
}

/* Picks the device for spec (see clrnn_ctx_create) among infos. */
static clrnn_status pick(const struct clrnn_device_info *infos, int n, const char *spec,
                         const char *origin, int *out) {
    if (!spec || !*spec) {
        for (int i = 0; i < n; i++)
            if (infos[i].is_gpu) return *out = i, CLRNN_OK;
        return *out = 0, CLRNN_OK;
    }
    char *end;
    long idx = strtol(spec, &end, 10);
    if (end != spec && *end == '\0') {
        if (idx < 0 || idx >= n)
            return clrnn_fail(CLRNN_E_NO_DEVICE,
                              "%s '%s': no device with that index (there %s %d; see "
                              "'clrnn-info devices')",
                              origin, spec, n == 1 ? "is" : "are", n);
        return *out = (int)idx, CLRNN_OK;
    }
    int want_gpu = strcmp(spec, "gpu") == 0, want_cpu = strcmp(spec, "cpu") == 0;
    for (int i = 0; i < n; i++) {
        if ((want_gpu && infos[i].is_gpu) || (want_cpu && infos[i].is_cpu) ||
            (!want_gpu && !want_cpu && contains_nocase(infos[i].name, spec)))
            return *out = i, CLRNN_OK;
    }
    return clrnn_fail(CLRNN_E_NO_DEVICE,
                      "%s '%s' matches no OpenCL device (see 'clrnn-info devices')", origin,
                      spec);
}

clrnn_status clrnn_ctx_create(const char *spec, clrnn_ctx **out) {
    struct clrnn_options opts;
    clrnn_status s = clrnn_options_read(&opts);
    if (s) return s;
    const char *origin = "--device";
    if (!spec || !*spec) {
        spec = opts.device;
        origin = "CLRNN_DEVICE";
    }
    struct found_device *found;
    int count;
    s = find_devices(&found, &count);
    if (s) return s;
    struct clrnn_device_info *infos = clrnn_calloc((size_t)count, sizeof *infos);
    clrnn_ctx *ctx = clrnn_calloc(1, sizeof *ctx);
    if (!infos || !ctx) {
        clrnn_free(infos);
        clrnn_free(ctx);
        clrnn_free(found);
        return clrnn_fail(CLRNN_E_NOMEM, "out of memory opening a device");
    }
    for (int i = 0; i < count; i++) describe(found[i].platform, found[i].device, i, &infos[i]);
    int chosen = 0;
    s = pick(infos, count, spec, origin, &chosen);
    if (s == CLRNN_OK) {
        ctx->platform = found[chosen].platform;
        ctx->device = found[chosen].device;
        ctx->info = infos[chosen];
        ctx->opts = opts;
        s = clrnn_device_limits_apply(opts.device_limits, &ctx->info);
    }
    clrnn_free(infos);
    clrnn_free(found);
    if (s) {
        clrnn_free(ctx);
        return s;
    }
    cl_int err;
    ctx->context = clCreateContext(NULL, 1, &ctx->device, NULL, NULL, &err);
    if (!ctx->context) {
        clrnn_free(ctx);
        return clrnn_fail_cl(err, "clCreateContext", __FILE__, __LINE__);
    }
    int profiling = clrnn_profile_wanted(ctx);
    ctx->queue = clCreateCommandQueue(ctx->context, ctx->device,
                                      profiling ? CL_QUEUE_PROFILING_ENABLE : 0, &err);
    if (ctx->queue && profiling && (s = clrnn_profile_start(ctx))) {
        clReleaseCommandQueue(ctx->queue);
        ctx->queue = NULL;
    }
    if (!ctx->queue) {
        if (s) {
            clReleaseContext(ctx->context);
            clrnn_free(ctx);
            return s;
        }
        clReleaseContext(ctx->context);
        clrnn_free(ctx);
        return clrnn_fail_cl(err, "clCreateCommandQueue", __FILE__, __LINE__);
    }
    /* The kernels' CPU forms (clrnn's GEMM instead of CLBlast's GPU-tuned one, a batch row a
     * work-item in the recurrences and element-wise kernels) are several times faster on
     * CPUs and slower on GPUs. CLRNN_KERNELS=cpu|gpu chooses (the tests run both on PoCL). */
    ctx->cpu_forms = opts.cpu_forms != CLRNN_OPT_AUTO ? opts.cpu_forms : ctx->info.is_cpu;
    /* clrnn's GEMM tiles by the vector registers (gemm.c): PoCL reports 16 floats on AVX-512
     * CPUs, 8 on AVX2 ones. CLRNN_GEMM_TILES=wide|narrow chooses (tests, measurements). */
    cl_uint width = 0;
    clGetDeviceInfo(ctx->device, CL_DEVICE_NATIVE_VECTOR_WIDTH_FLOAT, sizeof width, &width, NULL);
    ctx->gemm_wide = opts.gemm_wide != CLRNN_OPT_AUTO ? opts.gemm_wide : width >= 16;
    ctx->transfers_async = clrnn_transfers_async(ctx);
    *out = ctx;
    return CLRNN_OK;
}

clrnn_status clrnn_options_reread(clrnn_ctx *ctx) {
    struct clrnn_options now;
    clrnn_status s = clrnn_options_read(&now);
    if (s) return s;
    /* what shaped the context stays */
    memcpy(now.device, ctx->opts.device, sizeof now.device);
    memcpy(now.device_limits, ctx->opts.device_limits, sizeof now.device_limits);
    memcpy(now.profile, ctx->opts.profile, sizeof now.profile);
    now.cpu_forms = ctx->opts.cpu_forms;
    now.gemm_wide = ctx->opts.gemm_wide;
    now.transfers_async = ctx->opts.transfers_async;
    ctx->opts = now;
    return CLRNN_OK;
}

static void tally_drop(struct clrnn_tally *t);

void clrnn_ctx_free(clrnn_ctx *ctx) {
    if (!ctx) return;
    if (!ctx->lost) {
        clFinish(ctx->queue);
        clrnn_profile_report(ctx); /* waits on the profiling events */
    }
    clrnn_uploads_free(ctx);
    clrnn_buf_release(&ctx->scratch);
    clrnn_buf_release(&ctx->gemm_scratch);
    clrnn_buf_release(&ctx->placeholder);
    size_t held = clrnn_ctx_bytes_held(ctx);
    if (held) clrnn_log(1, "%zu bytes of device buffers still held when the context was freed "
                        "(a model freed after its context, or a leak)", held);
    tally_drop(ctx->tally);
    clrnn_programs_release(ctx);
    clrnn_blas_forget();
    clReleaseCommandQueue(ctx->queue);
    clReleaseContext(ctx->context);
    clrnn_free(ctx);
}

const struct clrnn_device_info *clrnn_ctx_device(const clrnn_ctx *ctx) { return &ctx->info; }

/* ---- waiting, and a lost device ---- */

/* Test hook: CLRNN_TEST_DEVICE_LOST=N[:CODE] makes the N-th wait of this context
 * (clrnn_ctx_finish) fail with the OpenCL error CODE, as a device that is lost mid-run does,
 * and every wait, read and write after it too. tests/test_device_faults.sh uses it; nothing
 * else sets it. */
static cl_int injected_loss(const clrnn_ctx *ctx) {
    long at = ctx->opts.device_lost_at;
    return at > 0 && ctx->waits >= at ? (cl_int)ctx->opts.device_lost_code : CL_SUCCESS;
}

clrnn_status clrnn_ctx_finish(clrnn_ctx *ctx) {
    ctx->waits++;
    cl_int err = injected_loss(ctx);
    if (!err && ctx->lost) err = CL_DEVICE_NOT_AVAILABLE;
    if (!err) err = clFinish(ctx->queue);
    if (err) {
        ctx->lost = 1;
        return clrnn_fail_cl(err, "clFinish", __FILE__, __LINE__);
    }
    return CLRNN_OK;
}

/* ---- device memory held ----
 * Each buffer adds its size to the context's tally when it is created and takes it back in
 * its destructor callback, which the driver may run on a thread of its own and after the
 * context is freed: so the tally is shared, one reference per buffer and one for the
 * context, and freed by the last. */
struct clrnn_tally {
    _Atomic size_t bytes;
    _Atomic size_t peak; /* the most bytes held at once */
    _Atomic long refs;
};

static void tally_drop(struct clrnn_tally *t) {
    if (t && atomic_fetch_sub(&t->refs, 1) == 1) clrnn_free(t);
}

static void CL_CALLBACK tally_on_release(cl_mem m, void *user) {
    struct clrnn_tally *t = user;
    size_t bytes = 0;
    if (clGetMemObjectInfo(m, CL_MEM_SIZE, sizeof bytes, &bytes, NULL) == CL_SUCCESS)
        atomic_fetch_sub(&t->bytes, bytes);
    tally_drop(t);
}

/* Counts m in the tally; a driver without destructor callbacks just goes uncounted. */
static void tally_add(clrnn_ctx *ctx, cl_mem m, size_t bytes) {
    if (!ctx->tally && (ctx->tally = clrnn_calloc(1, sizeof *ctx->tally)))
        atomic_store(&ctx->tally->refs, 1);
    if (!ctx->tally) return;
    atomic_fetch_add(&ctx->tally->refs, 1);
    size_t now = atomic_fetch_add(&ctx->tally->bytes, bytes) + bytes;
    size_t peak = atomic_load(&ctx->tally->peak);
    while (now > peak && !atomic_compare_exchange_weak(&ctx->tally->peak, &peak, now)) {
    }
    if (clSetMemObjectDestructorCallback(m, tally_on_release, ctx->tally) != CL_SUCCESS) {
        atomic_fetch_sub(&ctx->tally->bytes, bytes);
        tally_drop(ctx->tally);
    }
}

size_t clrnn_ctx_bytes_held(const clrnn_ctx *ctx) {
    return ctx->tally ? atomic_load(&ctx->tally->bytes) : 0;
}

size_t clrnn_ctx_device_bytes_peak(const clrnn_ctx *ctx) {
    return ctx->tally ? atomic_load(&ctx->tally->peak) : 0;
}

clrnn_status clrnn_ctx_measure_begin(clrnn_ctx *ctx) {
    if (!ctx->placeholder) {
        cl_int err;
        ctx->placeholder = clCreateBuffer(ctx->context, CL_MEM_READ_WRITE, 4, NULL, &err);
        if (!ctx->placeholder) return clrnn_fail_cl(err, "clCreateBuffer", __FILE__, __LINE__);
    }
    ctx->measuring = 1;
    ctx->measured = ctx->measured_largest = 0;
    return CLRNN_OK;
}

void clrnn_ctx_measure_end(clrnn_ctx *ctx, size_t *total, size_t *largest) {
    ctx->measuring = 0;
    *total = ctx->measured;
    *largest = ctx->measured_largest;
}

static double gib(double bytes) { return bytes / (double)(1 << 30); }

clrnn_status clrnn_ctx_check_batch(const clrnn_ctx *ctx, int B, size_t total, size_t largest) {
    double global = (double)ctx->info.global_mem_bytes, max = (double)ctx->info.max_alloc_bytes;
    double held = (double)clrnn_ctx_bytes_held(ctx), room = global - held;
    int fits_total = !global || (double)total <= room, fits_one = !max || (double)largest <= max;
    if (fits_total && fits_one) return CLRNN_OK;
    /* what a batch needs grows with its rows: the largest batch that fits, a power of two */
    double scale = 1;
    if (global) scale = room > 0 ? room / (double)total : 0;
    if (max && max / (double)largest < scale) scale = max / (double)largest;
    double most = (double)B * scale;
    long hint = 1;
    while ((double)hint * 2 <= most) hint *= 2;
    char tail[160];
    if (most >= 1)
        snprintf(tail, sizeof tail, "try --batch-size %ld", hint);
    else
        snprintf(tail, sizeof tail, "the model does not fit even one sample at a time (fewer "
                 "units or timesteps would)");
    return clrnn_fail(CLRNN_E_INVALID_ARG, "a batch of %d needs %zu bytes (%.2f GiB) of device memory, "
                      "its largest buffer %zu bytes (%.2f GiB); %s has %llu bytes (%.2f GiB), "
                      "%.0f of them held already, and buffers of at most %llu bytes "
                      "(%.2f GiB): %s",
                      B, total, gib((double)total), largest, gib((double)largest), ctx->info.name,
                      (unsigned long long)ctx->info.global_mem_bytes, gib(global), held,
                      (unsigned long long)ctx->info.max_alloc_bytes, gib(max), tail);
}

/* ---- buffers ---- */

clrnn_status clrnn_buf_create(clrnn_ctx *ctx, size_t bytes, cl_mem *out) {
    if (bytes == 0) bytes = 4;
    if (ctx->measuring) {
        ctx->measured = bytes > SIZE_MAX - ctx->measured ? SIZE_MAX : ctx->measured + bytes;
        if (bytes > ctx->measured_largest) ctx->measured_largest = bytes;
        CL_TRY(clRetainMemObject(ctx->placeholder));
        *out = ctx->placeholder;
        return CLRNN_OK;
    }
    size_t held = clrnn_ctx_bytes_held(ctx);
    uint64_t global = ctx->info.global_mem_bytes, max = ctx->info.max_alloc_bytes;
    if ((max && bytes > max) || (global && (held > global || bytes > global - held)))
        return clrnn_fail(CLRNN_E_NOMEM,
                          "a device buffer of %zu bytes (%.2f GiB) does not fit %s: it has %llu "
                          "bytes (%.2f GiB), %zu of them held already, and buffers of at most "
                          "%llu bytes; try a smaller --batch-size or a smaller model",
                          bytes, gib((double)bytes), ctx->info.name, (unsigned long long)global,
                          gib((double)global), held, (unsigned long long)max);
    if (ctx->lost) return clrnn_fail_cl(CL_DEVICE_NOT_AVAILABLE, "clCreateBuffer", __FILE__, __LINE__);
    cl_int err;
    cl_mem m = clCreateBuffer(ctx->context, CL_MEM_READ_WRITE, bytes, NULL, &err);
    if (!m) return clrnn_fail_cl(err, "clCreateBuffer", __FILE__, __LINE__);
    tally_add(ctx, m, bytes);
    *out = m;
    return CLRNN_OK;
}

void clrnn_buf_release(cl_mem *m) {
    if (m && *m) {
        clReleaseMemObject(*m);
        *m = NULL;
    }
}

/* A blocking transfer; its failure marks the device lost, as a failed wait does. */
static clrnn_status transfer(clrnn_ctx *ctx, int read, cl_mem m, size_t offset, size_t bytes,
                             void *host) {
    if (!bytes) return CLRNN_OK;
    cl_int err = ctx->lost ? CL_DEVICE_NOT_AVAILABLE
                 : read    ? clEnqueueReadBuffer(ctx->queue, m, CL_TRUE, offset, bytes, host, 0,
                                                 NULL, NULL)
                           : clEnqueueWriteBuffer(ctx->queue, m, CL_TRUE, offset, bytes, host, 0,
                                                  NULL, NULL);
    if (!err) return CLRNN_OK;
    ctx->lost = 1;
    return clrnn_fail_cl(err, read ? "clEnqueueReadBuffer" : "clEnqueueWriteBuffer", __FILE__,
                         __LINE__);
}

clrnn_status clrnn_buf_write(clrnn_ctx *ctx, cl_mem m, size_t offset, size_t bytes,
                             const void *src) {
    return transfer(ctx, 0, m, offset, bytes, (void *)src);
}

clrnn_status clrnn_buf_read(clrnn_ctx *ctx, cl_mem m, size_t offset, size_t bytes, void *dst) {
    return transfer(ctx, 1, m, offset, bytes, dst);
}

clrnn_status clrnn_buf_fill_zero(clrnn_ctx *ctx, cl_mem m, size_t offset, size_t bytes) {
    if (!bytes) return CLRNN_OK;
    const cl_uint zero = 0;
    CL_TRY(clEnqueueFillBuffer(ctx->queue, m, &zero, sizeof zero, offset, bytes, 0, NULL, NULL));
    return CLRNN_OK;
}

clrnn_status clrnn_buf_copy(clrnn_ctx *ctx, cl_mem src, size_t src_off, cl_mem dst,
                            size_t dst_off, size_t bytes) {
    if (!bytes) return CLRNN_OK;
    CL_TRY(clEnqueueCopyBuffer(ctx->queue, src, dst, src_off, dst_off, bytes, 0, NULL, NULL));
    return CLRNN_OK;
}
