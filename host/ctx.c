/*
 * ctx.c - OpenCL platforms and devices, device selection, and the runtime context's
 * creation and release (which releases what the layers above keep in it: programs,
 * uploads, CLBlast's cache).
 */
#include <ctype.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"


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
    clrnn_ctx_tally_release(ctx);
    clrnn_programs_release(ctx);
    clrnn_blas_forget();
    clReleaseCommandQueue(ctx->queue);
    clReleaseContext(ctx->context);
    clrnn_free(ctx);
}

const struct clrnn_device_info *clrnn_ctx_device(const clrnn_ctx *ctx) { return &ctx->info; }
