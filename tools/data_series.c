/*
 * data_series.c - clrnn-data series: a time series in a CSV file cut into sliding windows
 * for regression, as keras.utils.timeseries_dataset_from_array and the Keras time-series
 * tutorials do it. Rows are taken in file order; window i holds rows [i*S, i*S+T) of the
 * chosen columns, and its target is the target column at row i*S+T+H-1 (H = 1: the row
 * right after the window).
 *
 * The split is by time, without leakage: the last test-fraction of the windows are the test
 * windows; the training windows are those whose target row comes before the first test
 * window's first row, so no row that training sees (input or target) is in a test window.
 * The windows in between (at most about (T+H)/S of them) are in neither split.
 * --normalize standard subtracts each column's mean and divides by its standard deviation
 * (population, ddof 0, as numpy and Keras's Normalization layer) over the training rows:
 * rows 0 up to and including the last training window's target row.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "clrnn_formats.h"
#include "data_tasks.h"

#define MAX_INPUT ((size_t)1 << 30)
#define MAX_OUTPUT_BYTES ((double)((int64_t)2 << 30))
#define MAX_SHOWN 40 /* characters of a bad value quoted in a message */

/* The CSV, parsed: every value as a number, NAN where a field is not one (with the first
 * such field of each column kept for the message). */
struct table {
    const char *file;
    int cols;
    char **names;       /* the header's fields, or "1".."cols" with --no-header */
    double *v;          /* rows x cols */
    size_t rows, cap;
    long *bad_line;     /* per column: the line of its first non-numeric value, 0 if none */
    char (*bad_text)[MAX_SHOWN + 4];
};

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) cli_fail("series: out of memory");
    return p;
}

/* The whole file; a NUL byte is reported instead of silently ending the text. */
static char *read_file(const char *path, size_t *len_out) {
    FILE *f = fopen(path, "rb");
    if (!f) cli_fail("series: %s: %s", path, strerror(errno));
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (!buf) cli_fail("series: %s: out of memory reading it", path);
        len += fread(buf + len, 1, cap - len, f);
        if (len < cap) break;
        if (cap >= MAX_INPUT) cli_fail("series: %s: larger than 1 GiB", path);
        cap *= 2;
        char *grown = realloc(buf, cap + 1);
        if (!grown) free(buf);
        buf = grown;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) cli_fail("series: %s: read error", path);
    buf[len] = '\0';
    *len_out = len;
    return buf;
}

static int is_blank(char c) { return c == ' ' || c == '\t'; }

/* Splits one line (no newline) into fields in place: commas separate them, spaces around a
 * field are dropped, and a field in double quotes may hold commas and "" for a quote.
 * Returns the count; *fields grows as needed. */
static int split_fields(char *line, char ***fields, int *cap, const char *file, long lineno) {
    int n = 0;
    char *p = line;
    for (;;) {
        while (is_blank(*p)) p++;
        char *start = p, *end;
        if (*p == '"') { /* quoted: unquote into the same buffer */
            char *w = start;
            for (p++;; p++) {
                if (*p == '\0')
                    cli_fail("series: %s:%ld: a quoted field is not closed", file, lineno);
                if (*p == '"') {
                    if (p[1] != '"') break;
                    p++;
                }
                *w++ = *p;
            }
            end = w;
            p++;
            while (is_blank(*p)) p++;
            if (*p != ',' && *p != '\0')
                cli_fail("series: %s:%ld: text after a closing quote", file, lineno);
        } else {
            while (*p != ',' && *p != '\0') p++;
            end = p;
            while (end > start && is_blank(end[-1])) end--;
        }
        char sep = *p;
        *end = '\0';
        if (n == *cap) {
            *cap = *cap ? *cap * 2 : 16;
            char **grown = realloc(*fields, (size_t)*cap * sizeof **fields);
            if (!grown) cli_fail("series: out of memory");
            *fields = grown;
        }
        (*fields)[n++] = start;
        if (sep == '\0') return n;
        p++;
    }
}

/* A whole field as a finite number in the C locale, or NAN. */
static double parse_number(const char *s) {
    if (*s == '\0') return NAN;
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (*end != '\0' || errno == ERANGE || !isfinite(d)) return NAN;
    return d;
}

static void read_table(const char *path, int header, struct table *t) {
    size_t len;
    char *text = read_file(path, &len);
    memset(t, 0, sizeof *t);
    t->file = path;
    char **fields = NULL;
    int cap = 0;
    long lineno = 0;
    for (char *line = text; line <= text + len;) {
        char *nl = memchr(line, '\n', (size_t)(text + len - line));
        char *stop = nl ? nl : text + len;
        lineno++;
        if (memchr(line, '\0', (size_t)(stop - line)))
            cli_fail("series: %s:%ld: a NUL byte; expected CSV text", path, lineno);
        *stop = '\0';
        if (stop > line && stop[-1] == '\r') stop[-1] = '\0';
        char *q = line;
        while (is_blank(*q)) q++;
        if (*q != '\0') { /* empty lines are skipped */
            int n = split_fields(line, &fields, &cap, path, lineno);
            if (!t->names) { /* the first line sets the columns */
                t->cols = n;
                t->names = xmalloc((size_t)n * sizeof *t->names);
                t->bad_line = calloc((size_t)n, sizeof *t->bad_line);
                t->bad_text = calloc((size_t)n, sizeof *t->bad_text);
                if (!t->bad_line || !t->bad_text) cli_fail("series: out of memory");
                for (int c = 0; c < n; c++) {
                    char num[16];
                    snprintf(num, sizeof num, "%d", c + 1);
                    const char *name = header ? fields[c] : num;
                    t->names[c] = xmalloc(strlen(name) + 1);
                    strcpy(t->names[c], name);
                    for (int d = 0; d < c; d++)
                        if (strcmp(t->names[d], name) == 0)
                            cli_fail("series: %s:%ld: the column name '%s' appears twice", path,
                                     lineno, name);
                }
                if (header) goto next;
            }
            if (n != t->cols)
                cli_fail("series: %s:%ld: %d fields, but the %s has %d", path, lineno, n,
                         header ? "header" : "first line", t->cols);
            if (t->rows == t->cap) {
                t->cap = t->cap ? t->cap * 2 : 1024;
                double *grown = realloc(t->v, t->cap * (size_t)t->cols * sizeof *grown);
                if (!grown) cli_fail("series: %s: out of memory for %zu rows", path, t->cap);
                t->v = grown;
            }
            double *row = t->v + t->rows * (size_t)t->cols;
            for (int c = 0; c < n; c++) {
                row[c] = parse_number(fields[c]);
                if (isnan(row[c]) && !t->bad_line[c]) {
                    t->bad_line[c] = lineno;
                    snprintf(t->bad_text[c], sizeof t->bad_text[c], "%.*s%s", MAX_SHOWN,
                             fields[c], strlen(fields[c]) > MAX_SHOWN ? "..." : "");
                }
            }
            t->rows++;
        }
    next:
        if (!nl) break;
        line = nl + 1;
    }
    free(fields);
    free(text);
    if (!t->names) cli_fail("series: %s: empty file (no lines)", path);
}

/* "a, b, c" (shortened past about 400 characters), for messages. */
static void list_names(const struct table *t, char *buf, size_t size) {
    size_t used = 0;
    buf[0] = '\0';
    for (int c = 0; c < t->cols && used < size; c++) {
        if (used > 400) {
            snprintf(buf + used, size - used, ", ... (%d in all)", t->cols);
            return;
        }
        used += (size_t)snprintf(buf + used, size - used, "%s%s", c ? ", " : "", t->names[c]);
    }
}

static int find_column(const struct table *t, const char *name) {
    for (int c = 0; c < t->cols; c++)
        if (strcmp(t->names[c], name) == 0) return c;
    char known[512];
    list_names(t, known, sizeof known);
    cli_fail("series: %s: no column '%s' (the columns are: %s)", t->file, name, known);
}

static void require_numeric(const struct table *t, int c) {
    if (t->bad_line[c])
        cli_fail("series: %s:%ld: column '%s': '%s' is not a number", t->file, t->bad_line[c],
                 t->names[c], t->bad_text[c]);
}

int data_series_main(int argc, char **argv) {
    const char *out = NULL, *in = NULL, *columns = NULL, *target = NULL, *v;
    long window = 24, horizon = 1, step = 1;
    double test_fraction = 0.2;
    int standard = 1, header = 1;
    for (int i = 1; i < argc; i++) {
        if ((v = cli_flag_value(argc, argv, &i, "--out"))) out = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--in"))) in = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--columns"))) columns = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--target"))) target = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--window")))
            window = cli_long("--window", v, 1, 100000);
        else if ((v = cli_flag_value(argc, argv, &i, "--horizon")))
            horizon = cli_long("--horizon", v, 1, 100000000);
        else if ((v = cli_flag_value(argc, argv, &i, "--step")))
            step = cli_long("--step", v, 1, 100000000);
        else if ((v = cli_flag_value(argc, argv, &i, "--test-fraction")))
            test_fraction = cli_double("--test-fraction", v, 0, 0.99);
        else if ((v = cli_flag_value(argc, argv, &i, "--normalize"))) {
            if (strcmp(v, "standard") == 0) standard = 1;
            else if (strcmp(v, "none") == 0) standard = 0;
            else cli_usage_error("series: --normalize must be none or standard, not '%s'", v);
        } else if (strcmp(argv[i], "--no-header") == 0) header = 0;
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) cli_help();
        else cli_usage_error("series: unknown option '%s'", argv[i]);
    }
    if (!out) cli_usage_error("series: --out FILE.h5 is required");
    if (!in) cli_usage_error("series: --in FILE.csv is required");

    struct table t;
    read_table(in, header, &t);
    if (t.rows == 0) cli_fail("series: %s: no data rows", in);

    /* the input columns: those named, else every column whose first value is a number (a
     * date or label column is left out); any other non-number in a used column is an error */
    int *col = xmalloc((size_t)t.cols * sizeof *col), F = 0;
    if (columns) {
        char *list = xmalloc(strlen(columns) + 1);
        strcpy(list, columns);
        for (char *name = list, *comma;; name = comma + 1) {
            comma = strchr(name, ',');
            if (comma) *comma = '\0';
            int c = find_column(&t, name);
            for (int k = 0; k < F; k++)
                if (col[k] == c)
                    cli_usage_error("series: column '%s' is given twice in --columns", name);
            col[F++] = c;
            if (!comma) break;
        }
        free(list);
    } else {
        for (int c = 0; c < t.cols; c++)
            if (!isnan(t.v[c])) col[F++] = c;
        if (F == 0) {
            char known[512];
            list_names(&t, known, sizeof known);
            cli_fail("series: %s: no numeric columns (the columns are: %s)", in, known);
        }
    }
    int tc = target ? find_column(&t, target) : col[0];
    for (int k = 0; k < F; k++) require_numeric(&t, col[k]);
    require_numeric(&t, tc);

    /* windows i = 0 .. N-1 with target row i*S + T + H - 1 < rows */
    size_t R = t.rows, T = (size_t)window, H = (size_t)horizon, S = (size_t)step;
    if (R < T + H)
        cli_fail("series: %s: %zu rows, but a window of %zu and a horizon of %zu need at least %zu",
                 in, R, T, H, T + H);
    size_t N = (R - T - H) / S + 1;
    size_t n_test = N - (size_t)((double)N * (1 - test_fraction));
    size_t test_start = N - n_test, n_train = N;
    if (n_test > 0) { /* training targets come before the first test row test_start*S */
        size_t first = test_start * S;
        n_train = first < T + H ? 0 : (first - T - H) / S + 1;
    }
    if (n_train == 0)
        cli_fail("series: %s: %zu windows, none left for training once the last %zu are held out "
                 "for testing (with the windows overlapping them); use a smaller --test-fraction",
                 in, N, n_test);
    size_t train_rows = (n_train - 1) * S + T + H; /* rows 0 .. last training target */
    double bytes_out = (double)N * (double)(T * (size_t)F + 1) * 4;
    if (bytes_out > MAX_OUTPUT_BYTES)
        cli_fail("series: %zu windows x %zu x %d would take %.1f GiB (more than 2 GiB); use a "
                 "larger --step", N, T, F, bytes_out / (1 << 30));

    /* per used column (the inputs, then the target): mean and standard deviation over the
     * training rows, or 0 and 1 */
    int U = F + 1;
    int *used = xmalloc((size_t)U * sizeof *used);
    memcpy(used, col, (size_t)F * sizeof *used);
    used[F] = tc;
    double *mean = xmalloc((size_t)U * sizeof *mean), *sd = xmalloc((size_t)U * sizeof *sd);
    for (int k = 0; k < U; k++) {
        mean[k] = 0, sd[k] = 1;
        if (!standard) continue;
        int c = used[k], constant = 1;
        double sum = 0, sq = 0, first = t.v[c];
        for (size_t r = 0; r < train_rows; r++) {
            double x = t.v[r * (size_t)t.cols + (size_t)c];
            sum += x;
            constant &= x == first;
        }
        mean[k] = sum / (double)train_rows;
        for (size_t r = 0; r < train_rows; r++) {
            double d = t.v[r * (size_t)t.cols + (size_t)c] - mean[k];
            sq += d * d;
        }
        sd[k] = sqrt(sq / (double)train_rows);
        if (constant || !((float)sd[k] > 0))
            cli_fail("series: %s: column '%s' is constant over the %zu training rows (standard "
                     "deviation 0), so --normalize standard cannot scale it; leave it out with "
                     "--columns or use --normalize none",
                     in, t.names[c], train_rows);
    }

    struct clrnn_array x[2], y[2];
    size_t counts[2] = {n_train, n_test}, first_window[2] = {0, test_start};
    for (int k = 0; k < 2; k++) {
        int64_t xd[3] = {(int64_t)counts[k], (int64_t)T, F}, yd[2] = {(int64_t)counts[k], 1};
        data_alloc_float(&x[k], 3, xd);
        data_alloc_float(&y[k], 2, yd);
        float *xv = x[k].data, *yv = y[k].data;
        for (size_t w = 0; w < counts[k]; w++) {
            size_t start = (first_window[k] + w) * S;
            for (size_t s = 0; s < T; s++) {
                const double *row = t.v + (start + s) * (size_t)t.cols;
                for (int j = 0; j < F; j++)
                    xv[(w * T + s) * (size_t)F + (size_t)j] =
                        (float)((row[col[j]] - mean[j]) / sd[j]);
            }
            double target_value = t.v[(start + T + H - 1) * (size_t)t.cols + (size_t)tc];
            yv[w] = (float)((target_value - mean[F]) / sd[F]);
        }
    }

    struct clrnn_array stats[4];
    int n_arrays = 4;
    struct clrnn_fmt_named_array arrays[8] = {
        {"x_train", &x[0]}, {"y_train", &y[0]}, {"x_test", &x[1]}, {"y_test", &y[1]}};
    if (n_test == 0) n_arrays = 2;
    if (standard) {
        static const char *const names[4] = {"series_mean", "series_std", "series_target_mean",
                                             "series_target_std"};
        for (int a = 0; a < 4; a++) {
            int64_t d[1] = {a < 2 ? F : 1};
            data_alloc_float(&stats[a], 1, d);
            float *sv = stats[a].data;
            for (int j = 0; j < (a < 2 ? F : 1); j++)
                sv[j] = (float)(a % 2 ? sd[a < 2 ? j : F] : mean[a < 2 ? j : F]);
            arrays[n_arrays].name = names[a];
            arrays[n_arrays++].array = &stats[a];
        }
    }
    clrnn_status s = clrnn_fmt_data_write(out, arrays, n_arrays);
    if (s) cli_fail_status(s);
    for (int k = 0; k < 2; k++) {
        clrnn_array_clear(&x[k]);
        clrnn_array_clear(&y[k]);
    }
    if (standard)
        for (int a = 0; a < 4; a++) clrnn_array_clear(&stats[a]);

    printf("series: %zu training and %zu test windows (%zu between them left out) of %zu rows x "
           "%d columns (step %zu), target '%s' at horizon %zu, %s -> %s\n",
           n_train, n_test, test_start - n_train, T, F, S, t.names[tc], H,
           standard ? "standardized over the training rows" : "not normalized", out);
    for (int c = 0; c < t.cols; c++) free(t.names[c]);
    free(t.names);
    free(t.v);
    free(t.bad_line);
    free(t.bad_text);
    free(col);
    free(used);
    free(mean);
    free(sd);
    return 0;
}
