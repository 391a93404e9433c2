/* fuzz_common.h - helpers shared by the libFuzzer targets (no libFuzzer dependency). */
#ifndef CLRNN_FUZZ_COMMON_H
#define CLRNN_FUZZ_COMMON_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);
const char *__asan_default_options(void);

/* A request over ASan's limit (1 TB) fails as malloc does in production (NULL, and the
 * reader's out-of-memory error) instead of aborting; libFuzzer still reports any single
 * allocation over -malloc_limit_mb (default: -rss_limit_mb) as an OOM. */
const char *__asan_default_options(void) { return "allocator_may_return_null=1"; }

/* The device the targets build models on allows buffers of at most this many bytes (and
 * four times that in all), whatever it really has: a file may declare any model that fits a
 * real device, and one that fits a GPU's 4 GiB buffers but not the fuzzer's 2 GB memory limit
 * would count as out of memory instead of being refused as too big, which is what is tested.
 * Use: ctx->info.max_alloc_bytes = FUZZ_DEVICE_BUFFER_BYTES, global_mem_bytes 4 times it. */
#define FUZZ_DEVICE_BUFFER_BYTES ((uint64_t)128 << 20)

/* The readers take paths: every input goes through one per-process temporary file (in
 * /dev/shm when there is one, so the disk is not touched). */
static inline const char *fuzz_write_temp(const uint8_t *data, size_t size, const char *ext) {
    static char path[256];
    if (!path[0]) {
        const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(path, sizeof path, "%s/clrnn-fuzz-%ld%s", dir, (long)getpid(), ext);
    }
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    if (size && fwrite(data, 1, size, f) != size) abort();
    if (fclose(f) != 0) abort();
    return path;
}

static inline void fuzz_remove_temp(void) {
    char path[256];
    const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    static const char *exts[] = {".h5", ".keras", ".json", ""};
    for (size_t i = 0; i < sizeof exts / sizeof *exts; i++) {
        snprintf(path, sizeof path, "%s/clrnn-fuzz-%ld%s", dir, (long)getpid(), exts[i]);
        unlink(path);
    }
}

static inline void fuzz_init_env(void) {
    /* HDF5 file locks are pointless on a private temporary file */
    setenv("HDF5_USE_FILE_LOCKING", "FALSE", 0);
    atexit(fuzz_remove_temp);
}

/* A NUL-terminated copy of the input (caller frees). */
static inline char *fuzz_text(const uint8_t *data, size_t size) {
    char *t = malloc(size + 1);
    if (!t) abort();
    memcpy(t, data, size);
    t[size] = '\0';
    return t;
}
#endif
