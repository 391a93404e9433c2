/*
 * test_options.c - the environment's switches (host/options.c): each value read as
 * docs/options.md says, bad values refused by clrnn_ctx_create with one line naming the
 * variable, every switch documented, and no getenv left in the library outside options.c.
 * Needs no device: the options are read before one is opened.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clrnn_impl.h"
#include "test.h"

static struct clrnn_options read_with(const char *name, const char *value) {
    struct clrnn_options o;
    setenv(name, value, 1);
    CHECK(clrnn_options_read(&o) == CLRNN_OK);
    unsetenv(name);
    return o;
}

static void values(void) {
    CHECK_INT_EQ(read_with("CLRNN_TUNE", "0").tune, CLRNN_TUNE_GUESS);
    CHECK_INT_EQ(read_with("CLRNN_TUNE", "again").tune, CLRNN_TUNE_AGAIN);
    CHECK_INT_EQ(read_with("CLRNN_TUNE", "").tune, CLRNN_TUNE_CACHED); /* empty: the default */
    CHECK_INT_EQ(read_with("CLRNN_KERNELS", "cpu").cpu_forms, 1);
    CHECK_INT_EQ(read_with("CLRNN_KERNELS", "gpu").cpu_forms, 0);
    CHECK_INT_EQ(read_with("CLRNN_R_LOCAL", "0").r_local, 0);
    CHECK_INT_EQ(read_with("CLRNN_RECURRENCE", "steps").steps, 1);
    CHECK_INT_EQ(read_with("CLRNN_RECURRENCE", "persistent").steps, 0);
    CHECK_INT_EQ(read_with("CLRNN_ROWS_PER_ITEM", "4").rows_per_item, 4);
    CHECK_INT_EQ(read_with("CLRNN_GROUP_ROWS", "8").group_rows, 8);
    CHECK_INT_EQ(read_with("CLRNN_BIDIRECTIONAL", "separate").pair_kernels, 0);
    CHECK_INT_EQ(read_with("CLRNN_FUSE_EMBEDDING", "0").fuse_embedding, 0);
    CHECK_INT_EQ(read_with("CLRNN_CACHE", "0").cache, 0);
    CHECK(read_with("CLRNN_PROFILE", "0").profile[0] == '\0');
    CHECK(strcmp(read_with("CLRNN_PROFILE", "/tmp/p.txt").profile, "/tmp/p.txt") == 0);
    CHECK(strcmp(read_with("CLRNN_CACHE_DIR", "/tmp/c").cache_dir, "/tmp/c") == 0);
    struct clrnn_options o = read_with("CLRNN_TEST_DEVICE_LOST", "3:-5");
    CHECK_INT_EQ(o.device_lost_at, 3);
    CHECK_INT_EQ(o.device_lost_code, -5);
    /* nothing set: everything left to clrnn */
    o = read_with("CLRNN_UNRELATED", "x");
    CHECK_INT_EQ(o.tune, CLRNN_TUNE_CACHED);
    CHECK_INT_EQ(o.r_local, CLRNN_OPT_AUTO);
    CHECK_INT_EQ(o.steps, CLRNN_OPT_AUTO);
    CHECK_INT_EQ(o.rows_per_item, 0);
    CHECK_INT_EQ(o.pair_kernels, 1);
    CHECK_INT_EQ(o.device_lost_at, 0);
}

/* A value a switch does not take stops clrnn_ctx_create with one line that names it. */
static void refused(const char *name, const char *value, const char *takes) {
    clrnn_ctx *c = NULL;
    setenv(name, value, 1);
    CHECK_INT_EQ(clrnn_ctx_create(NULL, &c), CLRNN_E_INVALID_ARG);
    CHECK(c == NULL);
    char expected[256];
    snprintf(expected, sizeof expected, "%s='%s': it takes %s", name, value, takes);
    CHECK_STR_CONTAINS(clrnn_last_error(), expected);
    unsetenv(name);
}

static void bad_values(void) {
    refused("CLRNN_TUNE", "yes", "0, 1 or again");
    refused("CLRNN_KERNELS", "fpga", "cpu or gpu");
    refused("CLRNN_R_LOCAL", "2", "0 or 1");
    refused("CLRNN_RECURRENCE", "step", "steps or persistent");
    refused("CLRNN_ROWS_PER_ITEM", "3", "1, 2 or 4");
    refused("CLRNN_GROUP_ROWS", "0", "a whole number from 1");
    refused("CLRNN_GROUP_ROWS", "8x", "a whole number from 1");
    refused("CLRNN_BIDIRECTIONAL", "both", "paired or separate");
    refused("CLRNN_TRANSFERS", "sync", "async or blocking");
    refused("CLRNN_TEST_DEVICE_LOST", "soon", "N or N:CODE");
}

static char *read_text(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *t = malloc((size_t)n + 1);
    if (t && fread(t, 1, (size_t)n, f) != (size_t)n) n = 0;
    if (t) t[n] = '\0';
    fclose(f);
    return t;
}

/* Every switch the table reads has its row in docs/options.md. */
static void documented(const char *src) {
    char path[1024];
    snprintf(path, sizeof path, "%s/../docs/options.md", src);
    char *doc = read_text(path);
    CHECK(doc != NULL);
    if (!doc) return;
    int n = 0;
    for (const char *name; (name = clrnn_options_name(n)); n++) {
        char row[128];
        snprintf(row, sizeof row, "| `%s", name);
        if (!strstr(doc, row)) printf("docs/options.md has no row for %s\n", name);
        CHECK(strstr(doc, row) != NULL);
    }
    CHECK(n >= 19);
    free(doc);
}

/* No file of the library reads the environment but options.c. */
static void no_getenv_elsewhere(const char *src) {
    const char *folders[] = {"host", "formats", "base"};
    int files = 0;
    for (int f = 0; f < 3; f++) {
        char dir[1024];
        snprintf(dir, sizeof dir, "%s/../%s", src, folders[f]);
        DIR *d = opendir(dir);
        CHECK(d != NULL);
        if (!d) continue;
        for (struct dirent *e; (e = readdir(d));) {
            size_t len = strlen(e->d_name);
            if (len < 3 || strcmp(e->d_name + len - 2, ".c") != 0 ||
                strcmp(e->d_name, "options.c") == 0)
                continue;
            char path[1400];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            char *text = read_text(path);
            CHECK(text != NULL);
            if (text && strstr(text, "getenv(")) printf("%s calls getenv\n", path);
            CHECK(text && !strstr(text, "getenv("));
            free(text);
            files++;
        }
        closedir(d);
    }
    CHECK(files > 30);
}

int main(void) {
    const char *src = getenv("CLRNN_TEST_DATA");
    CHECK(src != NULL);
    values();
    bad_values();
    if (src) {
        documented(src);
        no_getenv_elsewhere(src);
    }
    TEST_MAIN_END();
}
