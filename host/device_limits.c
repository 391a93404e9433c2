/*
 * device_limits.c - CLRNN_DEVICE_LIMITS: make clrnn believe its device has less than it has,
 * so that the choices a smaller GPU forces (R in global memory, fewer batch rows a
 * work-group, the per-step path, smaller work-groups, a batch refused for its largest
 * buffer) run and are tested on the device at hand:
 *
 *   CLRNN_DEVICE_LIMITS=local=16K,group=256,alloc=64M
 *
 * local: CL_DEVICE_LOCAL_MEM_SIZE, group: CL_DEVICE_MAX_WORK_GROUP_SIZE (and so every
 * kernel's CL_KERNEL_WORK_GROUP_SIZE), alloc: CL_DEVICE_MAX_MEM_ALLOC_SIZE, global:
 * CL_DEVICE_GLOBAL_MEM_SIZE, in bytes (K, M, G multiply by 1024s). A limit only ever lowers
 * what the device reports.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

/* "16K" -> 16384; 0 on a malformed or zero value */
static uint64_t parse_amount(const char *text, size_t len) {
    char buf[32];
    if (len == 0 || len >= sizeof buf) return 0;
    memcpy(buf, text, len);
    buf[len] = '\0';
    if (!isdigit((unsigned char)buf[0])) return 0;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(buf, &end, 10);
    if (errno) return 0;
    unsigned shift = 0;
    switch (toupper((unsigned char)*end)) {
    case '\0': break;
    case 'K': shift = 10; break;
    case 'M': shift = 20; break;
    case 'G': shift = 30; break;
    default: return 0;
    }
    if (*end && end[1]) return 0;
    if (v > (UINT64_MAX >> shift)) return 0;
    return (uint64_t)v << shift;
}

static void lower_u64(uint64_t *field, uint64_t limit) {
    if (*field == 0 || limit < *field) *field = limit;
}

clrnn_status clrnn_device_limits_apply(const char *spec, struct clrnn_device_info *info) {
    if (!spec || !*spec) return CLRNN_OK;
    const char *p = spec;
    while (*p) {
        size_t len = strcspn(p, ",");
        const char *eq = memchr(p, '=', len);
        uint64_t v = eq ? parse_amount(eq + 1, len - (size_t)(eq + 1 - p)) : 0;
        size_t key = eq ? (size_t)(eq - p) : len;
        if (!v)
            return clrnn_fail(CLRNN_E_INVALID_ARG,
                              "CLRNN_DEVICE_LIMITS '%s': '%.*s' is not KEY=BYTES with a positive "
                              "amount (e.g. local=16K,group=256,alloc=64M)",
                              spec, (int)len, p);
        if (key == 5 && strncmp(p, "local", 5) == 0) {
            lower_u64(&info->local_mem_bytes, v);
        } else if (key == 5 && strncmp(p, "alloc", 5) == 0) {
            lower_u64(&info->max_alloc_bytes, v);
        } else if (key == 6 && strncmp(p, "global", 6) == 0) {
            lower_u64(&info->global_mem_bytes, v);
        } else if (key == 5 && strncmp(p, "group", 5) == 0) {
            if (info->max_work_group_size == 0 || v < info->max_work_group_size)
                info->max_work_group_size = (size_t)v;
        } else {
            return clrnn_fail(CLRNN_E_INVALID_ARG,
                              "CLRNN_DEVICE_LIMITS '%s': unknown limit '%.*s' (known: local, "
                              "group, alloc, global)",
                              spec, (int)key, p);
        }
        p += len;
        if (*p == ',') p++;
    }
    return CLRNN_OK;
}

size_t clrnn_kernel_group_limit(const clrnn_ctx *ctx, cl_kernel k) {
    size_t limit = 0;
    if (clGetKernelWorkGroupInfo(k, ctx->device, CL_KERNEL_WORK_GROUP_SIZE, sizeof limit, &limit,
                                 NULL) != CL_SUCCESS)
        limit = 0;
    size_t device = ctx->info.max_work_group_size;
    if (device && (limit == 0 || device < limit)) limit = device;
    return limit;
}
