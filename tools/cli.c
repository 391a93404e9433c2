/*
 * cli.c - argument parsing and error reporting shared by the command-line tools.
 */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *prog_name = "clrnn";
static const char *usage_text = "";
static char help_command[128] = "clrnn";

void cli_init(const char *prog, const char *usage) {
    if (strcmp(prog, prog_name) != 0) /* a subcommand's own usage keeps its help command */
        snprintf(help_command, sizeof help_command, "%s", prog);
    prog_name = prog;
    usage_text = usage;
}

void cli_subcommand(const char *sub) {
    snprintf(help_command, sizeof help_command, "%s %s", prog_name, sub);
}

void cli_start(const char *prog, const char *usage, int argc, char **argv) {
    cli_init(prog, usage);
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--version") == 0) {
            printf("%s (clrnn) %s\n", prog, CLRNN_TOOLS_VERSION);
            exit(0);
        }
}

const char *cli_prog(void) { return prog_name; }

void cli_fail(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: error: ", prog_name);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

void cli_usage_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", prog_name);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    /* the cause stays in sight: the whole usage is one --help away, as GNU tools do */
    fprintf(stderr, "Try '%s --help' for more information.\n", help_command);
    exit(2);
}

void cli_fail_status(clrnn_status s) {
    const char *msg = clrnn_last_error();
    fprintf(stderr, "%s: error: %s\n", prog_name, msg && *msg ? msg : clrnn_status_str(s));
    if (s == CLRNN_E_NOMEM || s == CLRNN_E_OPENCL) exit(3);
    if (s == CLRNN_E_INTERRUPTED) exit(130);
    exit(1);
}

void cli_help(void) {
    fputs(usage_text, stdout);
    exit(0);
}

long cli_long(const char *flag, const char *value, long min, long max) {
    char *end;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (errno || end == value || *end)
        cli_usage_error("%s: '%s' is not an integer", flag, value);
    if (v < min || v > max)
        cli_usage_error("%s: %ld is outside [%ld, %ld]", flag, v, min, max);
    return v;
}

double cli_double(const char *flag, const char *value, double min, double max) {
    char *end;
    errno = 0;
    double v = strtod(value, &end);
    if (errno || end == value || *end) cli_usage_error("%s: '%s' is not a number", flag, value);
    if (!(v >= min && v <= max)) cli_usage_error("%s: %g is outside [%g, %g]", flag, v, min, max);
    return v;
}

const char *cli_flag_value(int argc, char **argv, int *i, const char *name) {
    const char *arg = argv[*i];
    size_t n = strlen(name);
    if (strncmp(arg, name, n) != 0) return NULL;
    if (arg[n] == '=') return arg + n + 1;
    if (arg[n] != '\0') return NULL;
    if (*i + 1 >= argc) cli_usage_error("%s needs a value", name);
    *i += 1;
    return argv[*i];
}

clrnn_ctx *cli_open_device(const char *spec) {
    clrnn_ctx *ctx = NULL;
    clrnn_status s = clrnn_ctx_create(spec, &ctx);
    if (s) cli_fail_status(s);
    return ctx;
}

char *cli_read_text(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) cli_fail("%s: %s", path, strerror(errno));
    errno = 0;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf) cli_fail("%s: out of memory reading it", path);
        len += fread(buf + len, 1, cap - len - 1, f);
        if (len < cap - 1) break;
        if (cap > ((size_t)64 << 20)) cli_fail("%s: larger than 64 MiB", path);
        cap *= 2;
        char *grown = realloc(buf, cap);
        if (!grown) free(buf);
        buf = grown;
    }
    int bad = ferror(f), why = errno; /* a folder opens, then fails to read: EISDIR */
    fclose(f);
    if (bad) cli_fail("%s: %s", path, strerror(why ? why : EIO));
    buf[len] = '\0';
    return buf;
}

void cli_check_writable(const char *flag, const char *path) {
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        cli_fail("%s %s: Is a directory (give a file name)", flag, path);
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash) snprintf(dir, sizeof dir, ".");
    else snprintf(dir, sizeof dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
    if (stat(dir, &st) != 0) cli_fail("%s %s: folder %s: %s", flag, path, dir, strerror(errno));
    if (!S_ISDIR(st.st_mode)) cli_fail("%s %s: %s is not a folder", flag, path, dir);
    if (access(dir, W_OK | X_OK) != 0)
        cli_fail("%s %s: cannot write in folder %s: %s", flag, path, dir, strerror(errno));
}

int cli_vocabulary_is_words(const char *const *vocab, int n) {
    return n >= 2 && vocab[0][0] == '\0' && strcmp(vocab[1], "[UNK]") == 0;
}

int cli_metrics_text(const struct clrnn_metric_values *v, const char *prefix, char *buf,
                     size_t n) {
    int len = 0;
    if (n) buf[0] = '\0';
    for (unsigned bit = CLRNN_METRIC_TOP_K; bit <= CLRNN_METRIC_RECALL; bit <<= 1) {
        if (!(v->metrics & bit) || (size_t)len >= n) continue;
        len += snprintf(buf + len, n - (size_t)len, " - %s%s: %.4f", prefix,
                        clrnn_metric_name(bit, v->sparse), clrnn_metric_value(v, bit));
    }
    return (size_t)len < n ? len : (int)(n ? n - 1 : 0);
}
