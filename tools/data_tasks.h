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
int data_addition_decimal_main(int argc, char **argv);
int data_text_main(int argc, char **argv);
int data_labelled_main(int argc, char **argv);
int data_series_main(int argc, char **argv);

/* ---- text handling shared by `text` and `labelled` (tools/data_textutil.c); prefix is the
 * subcommand's name ("text", "labelled"), the start of every error message ---- */

#define DATA_TEXT_MAX_CODEPOINT 0x10ffff

/* The whole file and its length (NUL bytes included, unlike cli_read_text(), so that they
 * can be reported where they are); exits when it is larger than max_bytes (a power of two,
 * 4 KiB or more). */
unsigned char *data_text_read_file(const char *prefix, const char *path, size_t max_bytes,
                                   size_t *len_out);
/* Strict UTF-8 (RFC 3629): no overlong forms, surrogates or values above U+10FFFF, and no
 * NUL bytes. Writes the code points to cp (room for len) when cp is not NULL and returns
 * their number, or exits naming name and the byte offset of the first bad sequence. */
size_t data_text_decode_utf8(const char *prefix, const unsigned char *s, size_t len,
                             uint32_t *cp, const char *name);
/* UTF-8 of one code point into out (room for 5), NUL-terminated; returns the length. */
int data_text_encode_utf8(uint32_t v, char *out);
/* Simple (one to one) lower-casing for the scripts that have case and a fixed offset:
 * Latin (ASCII, Latin-1, Latin Extended-A), Greek and Cyrillic. Other characters pass. */
uint32_t data_text_lower(uint32_t c);
/* TextVectorization's default standardize and split: the next word of cp[*at..n),
 * lower-cased and with ASCII punctuation (string.punctuation) stripped, as UTF-8 in buf
 * (room for 4 bytes a code point, plus 1); advances *at and returns the word's length in
 * bytes, 0 when no word is left. Words end at whitespace and, when extra_space is not NULL,
 * where it returns a length (that many code points also separate words). */
size_t data_text_next_word(const uint32_t *cp, size_t n, size_t *at, char *buf,
                           size_t (*extra_space)(const uint32_t *cp, size_t i, size_t n));
/* A copy of s (strdup is POSIX, not C11); exits when out of memory. */
char *data_text_dup(const char *prefix, const char *s);

/* The distinct words of a corpus, in the order first seen, with a hash table of them. */
struct data_word {
    char *text;
    long count; /* set by the caller */
    int32_t id; /* set by the caller */
};
struct data_words {
    const char *prefix; /* set this; the rest starts zeroed */
    struct data_word *words;
    size_t n, cap;
    int32_t *slots; /* indices into words, -1 empty */
    size_t cap_slots;
};
/* The index of word s in t->words, added with count 0 when new. */
int32_t data_text_word_index(struct data_words *t, const char *s);
/* The words of t, most frequent first, ties in byte order (code point order); the caller
 * frees the array. */
struct data_word **data_text_vocabulary(const struct data_words *t);
/* Frees the words' texts (a NULL text is skipped), the table, and empties t. */
void data_text_words_free(struct data_words *t);

/* ---- a trained model's vocabulary (tools/data_vocabulary.c), for text it has not seen:
 * clrnn-data text|labelled --vocabulary-from, clrnn-eval --text ---- */

/* The level and normalization of a vocabulary, read off its tokens as clrnn-data wrote
 * them: words when it starts with "" and "[UNK]" (imdb: "", "[START]", "[UNK]"), else
 * characters, lower-cased first when it has no upper-case letter. */
struct data_vocab {
    const char *const *tokens; /* borrowed */
    int n;
    int words, imdb, lower;
    struct data_words table; /* token -> index, and id_of[index] its id */
    int32_t *id_of;
    size_t distinct;
};
void data_vocab_init(struct data_vocab *v, const char *prefix, const char *const *tokens,
                     int n);
/* The id of one token, -1 when it is not in the vocabulary. */
int32_t data_vocab_id(struct data_vocab *v, const char *token);
/* The ids of the text cp[0..n) (room for n + 1 in out), as clrnn-data numbers text: words
 * standardized and split as data_text_next_word does (extra_space as there), unknown ones
 * [UNK], imdb's start id first; characters one id each, lower-cased when the vocabulary is,
 * and a character not in it fails naming it and name. Returns the count. */
size_t data_vocab_ids(struct data_vocab *v, const uint32_t *cp, size_t n,
                      size_t (*extra_space)(const uint32_t *cp, size_t i, size_t n),
                      const char *name, int32_t *out);
void data_vocab_free(struct data_vocab *v);
/* Fails naming both files when m carries a vocabulary and the dataset's (tokens, n, read
 * from data) is another: its ids would mean other tokens. */
void data_vocab_check(const clrnn_model *m, const char *model, const char *const *tokens,
                      int n, const char *data);
/* The vocabulary of the dataset file data, when it has one, checked against m's; adopt: m
 * takes it when it has none (clrnn-train). */
void data_vocab_carry(clrnn_model *m, const char *model, const char *data, int adopt);
/* MODEL loaded on the default device (*ctx), for its vocabulary; fails when it has none. */
clrnn_model *data_vocab_model(const char *prefix, const char *model, clrnn_ctx **ctx);

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
