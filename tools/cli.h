/*
 * cli.h - argument parsing and error reporting shared by the command-line tools.
 *
 * Exit status (design.md): 0 success; 1 user error (bad file, bad value) with one line
 * "<prog>: error: <message>" on stderr; 2 usage error (unknown flag, missing argument),
 * followed by "Try '<prog> --help'"; 3 internal fault (out of memory, OpenCL failure).
 * Only tools/ may exit.
 */
#ifndef CLRNN_CLI_H
#define CLRNN_CLI_H

#include "clrnn.h"

#if defined(__GNUC__)
#define CLI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CLI_PRINTF(a, b)
#endif

/* Sets the program name used in messages and the usage text printed by --help. */
void cli_init(const char *prog, const char *usage);
/* cli_init, first thing in main; --version anywhere prints the version and exits 0. */
void cli_start(const char *prog, const char *usage, int argc, char **argv);
/* Usage errors from here on say "Try '<prog> <sub> --help'". */
void cli_subcommand(const char *sub);
const char *cli_prog(void);

/* "<prog>: error: <message>", exit 1. */
_Noreturn void cli_fail(const char *fmt, ...) CLI_PRINTF(1, 2);
/* "<prog>: <message>" then "Try '<prog> --help' for more information.", exit 2. */
_Noreturn void cli_usage_error(const char *fmt, ...) CLI_PRINTF(1, 2);
/* Reports a failed library call with clrnn_last_error(): exit 3 for internal faults
 * (CLRNN_E_NOMEM, CLRNN_E_OPENCL), 130 for CLRNN_E_INTERRUPTED, 1 otherwise. */
_Noreturn void cli_fail_status(clrnn_status s);
/* Prints the usage text to stdout and exits 0 (for --help). */
_Noreturn void cli_help(void);

/* Parsers for flag values; a bad value is a usage error naming the flag. */
long cli_long(const char *flag, const char *value, long min, long max);
double cli_double(const char *flag, const char *value, double min, double max);

/* Iterating over argv: cli_flag_value() returns the value of a "--name VALUE" or
 * "--name=VALUE" argument at argv[*i] (advancing *i past it) or NULL when argv[*i] is not
 * that flag; a missing value is a usage error. */
const char *cli_flag_value(int argc, char **argv, int *i, const char *name);

/* Before any work: a file to be written at path (by --flag) can be, its folder exists and is
 * writable, and path is not a folder; else one line naming the flag, exit 1. */
void cli_check_writable(const char *flag, const char *path);

/* 1 for a word-level vocabulary: TextVectorization's "" (padding) and "[UNK]" first, as
 * clrnn-data text --level word makes it; 0 for characters. */
int cli_vocabulary_is_words(const char *const *vocab, int n);

/* The whole of a text file, NUL-terminated (free() it); a user error when unreadable. */
char *cli_read_text(const char *path);

/* Appends " - <prefix><name>: <value>" (%.4f) for each metric of v beyond accuracy to buf
 * (size n), as Keras's progress bar shows them; returns the length written. */
int cli_metrics_text(const struct clrnn_metric_values *v, const char *prefix, char *buf,
                     size_t n);

/* The device spec: --device, else $CLRNN_DEVICE (the library reads it), else NULL. */
clrnn_ctx *cli_open_device(const char *spec);

/* Untrusted files read in a child process (cli_guard.c): call cli_guard() first thing in main;
 * the tool then runs in a child, and the parent turns a crash while reading a file into one
 * line naming the file (exit 1). cli_reading(path, limit) marks the start of reading path
 * (limit: seconds after which it counts as a hang, 0 for none), cli_reading(NULL, 0) its end;
 * cli_read_limit(path) is a limit for reading alone that grows with the file's size. */
void cli_guard(void);
/* A child's own handler of SIGINT, SIGTERM, SIGHUP or SIGQUIT calls this first (it is
 * async-signal-safe): the parent then does not pass on a signal the child got already. */
void cli_guard_count(int sig);
void cli_reading(const char *path, double limit);
double cli_read_limit(const char *path);
/* clrnn_model_load, marked as reading MODEL (and WEIGHTS). */
clrnn_status cli_load_model(clrnn_ctx *ctx, const char *model, const char *weights,
                            clrnn_model **out);

#endif
