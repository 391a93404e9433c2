/*
 * data_tasks.h - internal to clrnn-data: the subcommands (one file each, tools/data_*.c),
 * the seeded generator they share so that a given --seed always writes the same file, and
 * the helpers that allocate and write the train/test arrays.
 */
#ifndef CLRNN_DATA_TASKS_H
#define CLRNN_DATA_TASKS_H

#include <stddef.h>
#include <stdint.h>

#include "clrnn.h"

/* splitmix64 (Steele, Lea and Flood 2014): small, seeded, and the same sequence on every
 * machine, so a file depends only on the options and the seed. */
struct data_rng {
    uint64_t state;
};
/* A generator for the given --seed; each subcommand passes its own salt, so that two tasks
 * never share a sequence. */
struct data_rng data_rng_seeded(uint64_t seed, uint64_t salt);
uint64_t data_rng_next(struct data_rng *r);
/* Uniform in [0, n), n > 0, without modulo bias. */
uint32_t data_rng_below(struct data_rng *r, uint32_t n);

/* clrnn_array_alloc() of a zeroed float32 array; exits through cli_fail_status() on error. */
void data_alloc_float(struct clrnn_array *a, int rank, const int64_t *dims);
/* Writes x_train, y_train and, when x[1] has rows, x_test, y_test to path (atomically,
 * through clrnn_fmt_data_write), then clears all four arrays. Exits with the library's
 * message on failure. */
void data_write_splits(const char *path, struct clrnn_array x[2], struct clrnn_array y[2]);

/* The subcommands: argv[0] is the subcommand's name, argv[1..] its options. They return the
 * exit status, or exit through cli.h on errors. */
int data_reber_main(int argc, char **argv);
int data_addition_main(int argc, char **argv);
int data_text_main(int argc, char **argv);
int data_labelled_main(int argc, char **argv);
int data_series_main(int argc, char **argv);

/* The texts built into clrnn-data (tools/texts/NAME.txt, embedded at build time by
 * cl/embed.cmake), for `text --builtin NAME`; the table ends with a NULL name. */
struct data_builtin_text {
    const char *name;
    const char *text;
    size_t len;
};
extern const struct data_builtin_text data_builtin_texts[];

/* 1 when s is a string of the embedded Reber grammar (B, T|P, Reber string, same T|P, E). */
int reber_is_valid_embedded(const char *s);

#endif
