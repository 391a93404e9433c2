/*
 * data.c - clrnn-data: prepares dataset files. Each subcommand lives in its own file.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "data_tasks.h"

static const char USAGE[] =
    "usage: clrnn-data SUBCOMMAND [options]\n"
    "\n"
    "  reber --out FILE.h5 [--samples N] [--test-samples N] [--seed S] [--max-length T]\n"
    "        embedded Reber grammar strings, half valid and half with one character changed;\n"
    "        x float32 (N, T, 7) one-hot over B,T,P,S,X,V,E, pre-padded, y (N, 1) 1 = valid\n"
    "  addition --out FILE.h5 [--samples N] [--test-samples N] [--bits B] [--seed S]\n"
    "        binary addition of two (B-1)-bit numbers, least significant bit first;\n"
    "        x float32 (N, B, 2) the bits of a and b, y (N, B, 1) the bits of a + b\n"
    "\n"
    "Both write x_train, y_train, x_test, y_test. --print writes the samples as text instead.\n";

uint64_t data_rng_next(struct data_rng *r) {
    uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint32_t data_rng_below(struct data_rng *r, uint32_t n) {
    uint64_t limit = UINT64_MAX - UINT64_MAX % n, v;
    do v = data_rng_next(r);
    while (v >= limit);
    return (uint32_t)(v % n);
}

int main(int argc, char **argv) {
    cli_init("clrnn-data", USAGE);
    if (argc < 2) cli_usage_error("missing subcommand");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) cli_help();
    if (strcmp(argv[1], "reber") == 0) return data_reber_main(argc - 1, argv + 1);
    if (strcmp(argv[1], "addition") == 0) return data_addition_main(argc - 1, argv + 1);
    cli_usage_error("unknown subcommand '%s'", argv[1]);
}
