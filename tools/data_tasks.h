/*
 * data_tasks.h - the subcommands of clrnn-data, one file each (tools/data_*.c), and the
 * seeded generator they share so that a given --seed always writes the same file.
 */
#ifndef CLRNN_DATA_TASKS_H
#define CLRNN_DATA_TASKS_H

#include <stdint.h>

/* splitmix64: small, seeded, identical on every machine. */
struct data_rng {
    uint64_t state;
};
uint64_t data_rng_next(struct data_rng *r);
uint32_t data_rng_below(struct data_rng *r, uint32_t n);

int data_reber_main(int argc, char **argv);
int data_addition_main(int argc, char **argv);

/* 1 when s is a string of the embedded Reber grammar (B, T|P, Reber string, same T|P, E). */
int reber_is_valid_embedded(const char *s);

#endif
