/*
 * program.c - building OpenCL programs from the embedded cl/ sources, the on-disk
 * binary cache, kernel lookup and launches.
 *
 * A program is a list of source files (e.g. {"common.cl", "dense.cl"}) plus build options.
 * It is built once per context on first use. Binaries are cached on disk under
 * $CLRNN_CACHE_DIR (default $XDG_CACHE_HOME/clrnn or ~/.cache/clrnn), keyed by a hash of
 * (cache format, platform version, device name, driver version, sources, options); any
 * problem with a cached binary just means compiling again. CLRNN_CACHE=0 turns the cache
 * off; CLRNN_CL_DIR=path reads the sources from disk instead of the embedded copies.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime.h"

#define CACHE_FORMAT "clrnn-cache-1"
#define MAX_SOURCES 8
#define MAX_KERNELS 48

struct clrnn_cl_source {
    const char *name;
    const char *text;
    size_t len;
};
extern const struct clrnn_cl_source clrnn_cl_sources[]; /* generated cl_sources.c */

struct program_kernel {
    char name[64];
    cl_kernel kernel;
};

struct clrnn_program {
    struct clrnn_program *next;
    char key[512]; /* source names + options */
    cl_program program;
    int n_kernels;
    struct program_kernel kernels[MAX_KERNELS];
};

/* ---- sources ---- */

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        if (n >= 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = clrnn_malloc((size_t)n + 1))) {
            if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
                clrnn_free(buf);
                buf = NULL;
            } else {
                buf[n] = '\0';
                *len = (size_t)n;
            }
        }
    }
    fclose(f);
    return buf;
}

/* The text of one cl/ file; *owned says whether the caller must free it. */
static clrnn_status source_text(const clrnn_ctx *ctx, const char *name, const char **text,
                                size_t *len, int *owned) {
    const char *dir = ctx->opts.cl_dir;
    if (*dir) {
        char path[sizeof ctx->opts.cl_dir + 256];
        snprintf(path, sizeof path, "%s/%s", dir, name);
        char *t = read_file(path, len);
        if (!t) return clrnn_fail(CLRNN_E_IO, "CLRNN_CL_DIR: cannot read %s: %s", path, strerror(errno));
        *text = t;
        *owned = 1;
        return CLRNN_OK;
    }
    for (const struct clrnn_cl_source *s = clrnn_cl_sources; s->name; s++) {
        if (strcmp(s->name, name) == 0) {
            *text = s->text;
            *len = s->len;
            *owned = 0;
            return CLRNN_OK;
        }
    }
    return clrnn_fail(CLRNN_E_INVALID_ARG, "no kernel source file cl/%s in this build", name);
}

/* ---- the disk cache ---- */

static uint64_t fnv1a(uint64_t h, const void *data, size_t n) {
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static int cache_enabled(const clrnn_ctx *ctx) { return ctx->opts.cache; }

/* The cache's folder (options.c picks it), made with its parent (~/.cache) if missing */
static int cache_dir(const clrnn_ctx *ctx, char *buf, size_t size) {
    const char *d = ctx->opts.cache_dir;
    if (!*d || strlen(d) >= size) return -1;
    snprintf(buf, size, "%s", d);
    char *slash = strrchr(buf, '/');
    if (slash && slash != buf) {
        *slash = '\0';
        mkdir(buf, 0755);
        *slash = '/';
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST) return -1;
    return 0;
}

static void cache_path(clrnn_ctx *ctx, const char *const *texts, const size_t *lens, int n,
                       const char *options, char *path, size_t size) {
    char dir[900], platform_version[256] = "";
    path[0] = '\0';
    if (!cache_enabled(ctx) || cache_dir(ctx, dir, sizeof dir)) return;
    clGetPlatformInfo(ctx->platform, CL_PLATFORM_VERSION, sizeof platform_version,
                      platform_version, NULL);
    platform_version[sizeof platform_version - 1] = '\0';
    /* two differently seeded FNV-1a hashes make a 128-bit key */
    uint64_t h[2] = {14695981039346656037ULL, 0x9e3779b97f4a7c15ULL};
    for (int k = 0; k < 2; k++) {
        const char *parts[] = {CACHE_FORMAT, platform_version, ctx->info.name, ctx->info.driver,
                               ctx->info.vendor, options};
        for (size_t i = 0; i < sizeof parts / sizeof *parts; i++)
            h[k] = fnv1a(h[k], parts[i], strlen(parts[i]) + 1);
        for (int i = 0; i < n; i++) h[k] = fnv1a(h[k], texts[i], lens[i]);
    }
    snprintf(path, size, "%s/%016llx%016llx.%s", dir, (unsigned long long)h[0],
             (unsigned long long)h[1], n ? "bin" : "tune");
}

int clrnn_cache_tuning_path(clrnn_ctx *ctx, const char *key, char *path, size_t size) {
    cache_path(ctx, NULL, NULL, 0, key, path, size);
    return path[0] ? 0 : -1;
}

static cl_program load_cached(clrnn_ctx *ctx, const char *path, const char *options) {
    size_t len = 0;
    char *bin = path[0] ? read_file(path, &len) : NULL;
    if (!bin) return NULL;
    const unsigned char *b = (const unsigned char *)bin;
    cl_int status, err;
    cl_program p = clCreateProgramWithBinary(ctx->context, 1, &ctx->device, &len, &b, &status, &err);
    clrnn_free(bin);
    if (!p) return NULL;
    if (status != CL_SUCCESS || clBuildProgram(p, 1, &ctx->device, options, NULL, NULL)) {
        clReleaseProgram(p);
        return NULL;
    }
    return p;
}

static void store_cached(clrnn_ctx *ctx, cl_program p, const char *path) {
    if (!path[0]) return;
    size_t len = 0;
    if (clGetProgramInfo(p, CL_PROGRAM_BINARY_SIZES, sizeof len, &len, NULL) || !len) return;
    unsigned char *bin = clrnn_malloc(len);
    if (!bin) return;
    (void)ctx;
    if (clGetProgramInfo(p, CL_PROGRAM_BINARIES, sizeof bin, &bin, NULL) == CL_SUCCESS) {
        char tmp[1300];
        snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid());
        FILE *f = fopen(tmp, "wb");
        if (f) {
            int ok = fwrite(bin, 1, len, f) == len;
            ok = (fclose(f) == 0) && ok;
            if (!ok || rename(tmp, path) != 0) remove(tmp);
        }
    }
    clrnn_free(bin);
}

/* ---- building ---- */

static clrnn_status build_program(clrnn_ctx *ctx, const char *const *sources,
                                  const char *options, cl_program *out) {
    const char *texts[MAX_SOURCES];
    size_t lens[MAX_SOURCES];
    int owned[MAX_SOURCES], n = 0;
    clrnn_status s = CLRNN_OK;
    for (; sources[n]; n++) {
        if (n == MAX_SOURCES) return clrnn_fail(CLRNN_E_INVALID_ARG, "too many kernel sources");
        s = source_text(ctx, sources[n], &texts[n], &lens[n], &owned[n]);
        if (s) break;
    }
    char full_options[1024];
    snprintf(full_options, sizeof full_options, "-cl-std=CL1.2 %s", options ? options : "");
    char path[1200] = "";
    cl_program p = NULL;
    if (!s && cache_enabled(ctx)) {
        cache_path(ctx, texts, lens, n, full_options, path, sizeof path);
        p = load_cached(ctx, path, full_options);
    }
    if (!s && !p) {
        cl_int err;
        p = clCreateProgramWithSource(ctx->context, (cl_uint)n, texts, lens, &err);
        if (!p) {
            s = clrnn_fail_cl(err, "clCreateProgramWithSource", __FILE__, __LINE__);
        } else if ((err = clBuildProgram(p, 1, &ctx->device, full_options, NULL, NULL))) {
            size_t log_len = 0;
            clGetProgramBuildInfo(p, ctx->device, CL_PROGRAM_BUILD_LOG, 0, NULL, &log_len);
            char *log = clrnn_calloc(1, log_len + 1);
            if (log) clGetProgramBuildInfo(p, ctx->device, CL_PROGRAM_BUILD_LOG, log_len, log, NULL);
            char names[256] = "";
            for (int i = 0; i < n; i++)
                snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
                         i ? ", " : "", sources[i]);
            s = clrnn_fail(CLRNN_E_BUILD,
                           "building kernels {%s} for %s (driver %s) with options '%s' failed: "
                           "%s (%d); build log:\n%s",
                           names, ctx->info.name, ctx->info.driver, full_options,
                           clrnn_cl_error_name(err), (int)err, log ? log : "(no log)");
            clrnn_free(log);
            clReleaseProgram(p);
            p = NULL;
        } else if (cache_enabled(ctx)) {
            store_cached(ctx, p, path);
        }
    }
    for (int i = 0; i < n; i++)
        if (owned[i]) clrnn_free((void *)texts[i]);
    if (!s) *out = p;
    return s;
}

/* CLRNN_PROGRAM_LOG=FILE: each program a process builds, a line "FORM|SOURCES|OPTIONS"
 * appended (FORM cpu or gpu: the kernel forms it was built for; sources comma-separated, in
 * order), so that tests/offline/compile.sh can compile every
 * program the test suite builds for other vendors' GPUs. A line is one appending write, so
 * processes logging at once leave whole lines. */
static void log_program(const clrnn_ctx *ctx, const char *const *sources, const char *options) {
    const char *path = ctx->opts.program_log;
    if (!*path) return;
    char line[1024];
    snprintf(line, sizeof line, "%s|", ctx->cpu_forms ? "cpu" : "gpu");
    for (int i = 0; sources[i]; i++)
        snprintf(line + strlen(line), sizeof line - strlen(line), "%s%s", i ? "," : "",
                 sources[i]);
    snprintf(line + strlen(line), sizeof line - strlen(line), "|-cl-std=CL1.2 %s\n",
             options ? options : "");
    FILE *f = fopen(path, "a");
    if (!f) return;
    fputs(line, f); /* fully buffered: one write at fclose */
    fclose(f);
}

clrnn_status clrnn_kernel_get(clrnn_ctx *ctx, const char *const *sources, const char *options,
                              const char *name, cl_kernel *out) {
    char key[512] = "";
    for (int i = 0; sources[i]; i++)
        snprintf(key + strlen(key), sizeof key - strlen(key), "%s;", sources[i]);
    snprintf(key + strlen(key), sizeof key - strlen(key), "|%s", options ? options : "");
    struct clrnn_program *prog = ctx->programs;
    while (prog && strcmp(prog->key, key) != 0) prog = prog->next;
    if (!prog) {
        prog = clrnn_calloc(1, sizeof *prog);
        if (!prog) return clrnn_fail(CLRNN_E_NOMEM, "out of memory building kernels");
        clrnn_status s = build_program(ctx, sources, options, &prog->program);
        if (s) {
            clrnn_free(prog);
            return s;
        }
        snprintf(prog->key, sizeof prog->key, "%s", key);
        log_program(ctx, sources, options);
        prog->next = ctx->programs;
        ctx->programs = prog;
    }
    for (int i = 0; i < prog->n_kernels; i++) {
        if (strcmp(prog->kernels[i].name, name) == 0) {
            *out = prog->kernels[i].kernel;
            return CLRNN_OK;
        }
    }
    if (prog->n_kernels == MAX_KERNELS)
        return clrnn_fail(CLRNN_E_INVALID_ARG, "too many kernels in one program");
    cl_int err;
    cl_kernel k = clCreateKernel(prog->program, name, &err);
    if (!k)
        return clrnn_fail(CLRNN_E_OPENCL, "creating kernel '%s' failed: %s (%d)", name,
                          clrnn_cl_error_name(err), (int)err);
    struct program_kernel *pk = &prog->kernels[prog->n_kernels++];
    snprintf(pk->name, sizeof pk->name, "%s", name);
    pk->kernel = k;
    *out = k;
    return CLRNN_OK;
}

void clrnn_programs_release(clrnn_ctx *ctx) {
    struct clrnn_program *p = ctx->programs;
    while (p) {
        struct clrnn_program *next = p->next;
        for (int i = 0; i < p->n_kernels; i++) clReleaseKernel(p->kernels[i].kernel);
        clReleaseProgram(p->program);
        clrnn_free(p);
        p = next;
    }
    ctx->programs = NULL;
}

size_t clrnn_element_group(size_t kernel_limit) {
    size_t l = CLRNN_ELEMENT_GROUP;
    while (l > 1 && l > kernel_limit) l /= 2;
    return l;
}

size_t clrnn_reduce_lanes(const clrnn_ctx *ctx, char *options, size_t size) {
    size_t device = ctx->info.max_work_group_size;
    size_t lanes = clrnn_element_group(device ? device : CLRNN_ELEMENT_GROUP);
    snprintf(options, size, "-DREDUCE_LANES=%zu", lanes);
    return lanes;
}

clrnn_status clrnn_element_shape(clrnn_ctx *ctx, cl_kernel k, const char *name, size_t count,
                                 size_t *global, size_t *local) {
    size_t limit = clrnn_kernel_group_limit(ctx, k);
    if (!limit)
        return clrnn_fail(CLRNN_E_OPENCL, "querying the group size of kernel %s failed", name);
    *local = clrnn_element_group(limit);
    *global = clrnn_round_up(count, *local);
    return CLRNN_OK;
}

clrnn_status clrnn_launch_args(clrnn_ctx *ctx, cl_kernel k, const char *name, cl_uint dims,
                               const size_t *global, const size_t *local,
                               const struct clrnn_karg *args, int n_args) {
    for (int i = 0; i < n_args; i++) {
        cl_int err = clSetKernelArg(k, (cl_uint)i, args[i].size, args[i].ptr);
        if (err)
            return clrnn_fail(CLRNN_E_OPENCL, "setting argument %d of kernel %s failed: %s (%d)",
                              i, name, clrnn_cl_error_name(err), (int)err);
    }
    for (cl_uint d = 0; d < dims; d++)
        if (global[d] == 0) return CLRNN_OK; /* nothing to do */
    /* PoCL, left to choose, ran some launches as one work-group per work-item, paying its
     * per-group cost (~1 us) each time: on CPUs groups of up to 64 along dimension 0. */
    size_t cpu_local[3] = {1, 1, 1};
    if (!local && ctx->cpu_forms && dims <= 3) {
        for (size_t l = 64; l >= 1; l--)
            if (global[0] % l == 0) {
                cpu_local[0] = l;
                break;
            }
        local = cpu_local;
    }
    cl_int err = clEnqueueNDRangeKernel(ctx->queue, k, dims, NULL, global, local, 0, NULL,
                                        clrnn_profile_event(ctx));
    if (!err) clrnn_profile_record(ctx, name);
    if (err)
        return clrnn_fail(CLRNN_E_OPENCL, "launching kernel %s failed: %s (%d)", name,
                          clrnn_cl_error_name(err), (int)err);
    return CLRNN_OK;
}
