/*
 * data.c - clrnn-data: prepares dataset files (design.md "Dataset files"). This file holds
 * main, the usage text and what the subcommands share; each subcommand is one function in
 * its own file (tools/data_<name>.c), listed in SUBCOMMANDS below.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "clrnn_formats.h"
#include "data_tasks.h"

static const char USAGE[] =
    "usage: clrnn-data SUBCOMMAND [options]\n"
    "\n"
    "Subcommands:\n"
    "  reber --out FILE.h5 [--samples N] [--test-samples N] [--seed S] [--max-length T]\n"
    "        [--padding pre|post]\n"
    "      Embedded Reber grammar strings: half valid, half a valid string with one\n"
    "      character changed so that the grammar rejects it. x float32 (N, T, 7), one-hot\n"
    "      over B,T,P,S,X,V,E and padded with all-zero rows to T, the longest string\n"
    "      generated or --max-length (longer strings are drawn again, never cut): before\n"
    "      the string by default, as Keras's pad_sequences does, after it with --padding\n"
    "      post; y float32 (N, 1), 1 valid and 0 invalid.\n"
    "      Defaults: --samples 4000 --test-samples 1000 --seed 1 --max-length 0.\n"
    "  addition --out FILE.h5 [--samples N] [--test-samples N] [--bits B] [--seed S]\n"
    "      Binary addition of two numbers in [0, 2^(B-1)), least significant bit first.\n"
    "      x float32 (N, B, 2): bit t of a and of b at step t; y float32 (N, B, 1): bit t\n"
    "      of a + b. No pair occurs twice, so the test pairs are held out of training.\n"
    "      Defaults: --samples 5000 --test-samples 1000 --bits 8 --seed 1.\n"
    "  addition-decimal --out FILE.h5 [--samples N] [--test-samples N] [--digits D]\n"
    "      keras.io's number addition example as one-hot text: see addition-decimal --help.\n"
    ;
/* the rest of the text: C11 compilers need to take string literals of only 4095 characters */
static const char USAGE_MORE[] =
    "  text --out FILE.h5 (--in CORPUS.txt | --builtin NAME) [--level char|word] [--window T]\n"
    "       [--step S] [--encoding ids|onehot] [--test-fraction F] [--lower] [--max-tokens N]\n"
    "       [--vocabulary-from MODEL]\n"
    "      Next-token prediction over a UTF-8 text, as in Keras's character-level text\n"
    "      generation example: windows of T tokens starting every S tokens, each with the token\n"
    "      after it as its target. char: tokens are characters, ids 0..V-1 over the sorted\n"
    "      distinct characters (--lower lower-cases first). word: lower-cased, ASCII punctuation\n"
    "      stripped, split on whitespace (TextVectorization's default); id 0 is padding, 1 is\n"
    "      [UNK], then the words by frequency (ties alphabetical), at most --max-tokens ids in\n"
    "      all. ids: x int32 (N, T) and y int32 (N,), for sparse_categorical_crossentropy;\n"
    "      onehot: x float32 (N, T, V) and y float32 (N, V). The file also holds 'vocabulary',\n"
    "      one UTF-8 string per id. --test-fraction F puts the last F of the windows in\n"
    "      x_test/y_test. Built-in texts: fables (original short fables, about 33 KB).\n"
    "      --vocabulary-from MODEL: the ids, level and case of a trained model's vocabulary\n"
    "      (unknown words [UNK], unknown characters an error), its window and encoding.\n"
    "      Defaults: --level char --window 40 --step 3 --encoding ids --test-fraction 0.\n"
    "  labelled --out FILE.h5 (--dir ACLIMDB_DIR | --tsv FILE | --csv FILE) [options]\n"
    "      Labelled texts (aclImdb folders, label<TAB>text or label,text lines) to padded\n"
    "      token ids, as TextVectorization or keras.datasets.imdb: see labelled --help.\n"
    "  series --in FILE.csv --out FILE.h5 [--columns a,b,c] [--target NAME] [--window T]\n"
    "         [--horizon H] [--step S] [--test-fraction F] [--normalize none|standard]\n"
    "         [--no-header]\n"
    "      Sliding windows over a time series for regression, as Keras's\n"
    "      timeseries_dataset_from_array: rows in file order (a header line names the\n"
    "      columns, else they are 1, 2, ...); x float32 (N, T, C) holds rows [i*S, i*S+T) of\n"
    "      the columns (default: each whose first value is a number), y float32 (N, 1) the\n"
    "      target column (default: the first of them) at row i*S+T+H-1. The last F of the\n"
    "      windows go to x_test/y_test; training keeps the windows whose target row comes\n"
    "      before the first test row (those in between are dropped). standard: each column\n"
    "      minus its mean, over its standard deviation, both over the training rows, kept as\n"
    "      series_mean, series_std (per column) and series_target_mean, series_target_std.\n"
    "      Defaults: --window 24 --horizon 1 --step 1 --test-fraction 0.2 --normalize standard.\n"
    "\n"
    "Each writes x_train, y_train, x_test, y_test (x_test and y_test only when\n"
    "--test-samples or --test-fraction is not 0) and prints one summary line. The same\n"
    "options and --seed always write the same data. --print writes the samples (for text,\n"
    "the corpus) as text to stdout instead of a file (for checking the generators).\n";

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
} SUBCOMMANDS[] = {
    {"reber", data_reber_main},
    {"addition", data_addition_main},
    {"addition-decimal", data_addition_decimal_main},
    {"text", data_text_main},
    {"labelled", data_labelled_main},
    {"series", data_series_main},
};

struct data_rng data_rng_seeded(uint64_t seed, uint64_t salt) {
    /* an odd multiplier spreads nearby seeds apart before splitmix64 mixes them further */
    struct data_rng r = {seed * 0x2545f4914f6cdd1dULL + salt};
    return r;
}

uint64_t data_rng_next(struct data_rng *r) {
    uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint32_t data_rng_below(struct data_rng *r, uint32_t n) {
    /* draws from the largest multiple of n below 2^64, so every residue is equally likely */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n, v;
    do v = data_rng_next(r);
    while (v >= limit);
    return (uint32_t)(v % n);
}

void data_alloc_float(struct clrnn_array *a, int rank, const int64_t *dims) {
    clrnn_status s = clrnn_array_alloc(a, CLRNN_DTYPE_FLOAT32, rank, dims);
    if (s) cli_fail_status(s);
}

void data_write_splits(const char *path, struct clrnn_array x[2], struct clrnn_array y[2]) {
    struct clrnn_fmt_named_array arrays[4] = {
        {"x_train", &x[0]}, {"y_train", &y[0]}, {"x_test", &x[1]}, {"y_test", &y[1]}};
    clrnn_status s = clrnn_fmt_data_write(path, arrays, x[1].dims[0] > 0 ? 4 : 2);
    if (s) cli_fail_status(s);
    for (int k = 0; k < 2; k++) {
        clrnn_array_clear(&x[k]);
        clrnn_array_clear(&y[k]);
    }
}

int main(int argc, char **argv) {
    static char usage[sizeof USAGE + sizeof USAGE_MORE];
    snprintf(usage, sizeof usage, "%s%s", USAGE, USAGE_MORE);
    cli_start("clrnn-data", usage, argc, argv);
    if (argc < 2) cli_usage_error("missing subcommand");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) cli_help();
    for (size_t i = 0; i < sizeof SUBCOMMANDS / sizeof SUBCOMMANDS[0]; i++)
        if (strcmp(argv[1], SUBCOMMANDS[i].name) == 0) {
            cli_subcommand(argv[1]);
            return SUBCOMMANDS[i].run(argc - 1, argv + 1);
        }
    if (argv[1][0] == '-')
        cli_usage_error("unknown option '%s' (a subcommand comes first)", argv[1]);
    cli_usage_error("unknown subcommand '%s'", argv[1]);
}
