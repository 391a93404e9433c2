/*
 * generate.c - clrnn-generate: text from a next-token model that carries its vocabulary
 * (trained on a clrnn-data text dataset), as Keras's text-generation example does it: feed
 * the seed, then repeatedly sample the next token from the output distribution reweighted
 * by the temperature (and cut to the top k), print it as it comes and feed it back. The
 * model steps one token at a time with its recurrent state carried (clrnn_model_stepper),
 * not the whole window again for every token.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "data_tasks.h"

static const char USAGE[] =
    "usage: clrnn-generate MODEL --seed TEXT [options]\n"
    "\n"
    "MODEL predicts the next token (character or word) and carries the vocabulary of the\n"
    "clrnn-data text dataset it was trained on. Prints the seed, then the generated text as\n"
    "it is made.\n"
    "  --seed TEXT        the text to start from, read as clrnn-data text read the corpus:\n"
    "                     word-level models lower-case it, strip punctuation and split it\n"
    "                     on whitespace (words not in the vocabulary become [UNK]);\n"
    "                     character-level ones take each character, or its lower case\n"
    "                     when only that is in the vocabulary (a --lower corpus)\n"
    "  --length N         tokens to generate (200)\n"
    "  --temperature T    sampling temperature: 1 samples the model's distribution, lower is\n"
    "                     more conservative, 0 always takes the most likely token (1)\n"
    "  --top-k K          sample among the K most likely tokens only (0: all)\n"
    "  --rng-seed N       the sampler's seed: the same seed gives the same text (1)\n"
    "  --no-oov           never sample the out-of-vocabulary token [UNK] (word level)\n"
    "  --device SPEC      index, cpu, gpu or part of a name (default $CLRNN_DEVICE)\n";

struct sampler {
    double temperature;
    int top_k;
    uint64_t state;
};

/* splitmix64: the same sequence on every machine */
static double uniform01(struct sampler *s) {
    uint64_t z = (s->state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return (double)(z >> 11) * 0x1.0p-53;
}

/* The next id from probabilities p (n): Keras's sample() (log p / T, softmax, draw), over
 * the top k when k > 0; T = 0 is the argmax. Token `banned` (-1: none) is never drawn: its
 * probability is set to 0 in p. w is scratch for n doubles. */
static int sample(struct sampler *s, float *p, int n, int banned, double *w) {
    if (banned >= 0 && banned < n) p[banned] = 0;
    int best = banned == 0 && n > 1 ? 1 : 0;
    for (int i = 1; i < n; i++)
        if (p[i] > p[best]) best = i;
    if (s->temperature <= 0) return best;
    double kth = -1; /* the k-th largest probability: smaller ones are left out */
    if (s->top_k > 0 && s->top_k < n) {
        for (int i = 0; i < n; i++) w[i] = p[i];
        for (int k = 0; k < s->top_k; k++) { /* k passes of selection: k is small */
            int at = -1;
            for (int i = 0; i < n; i++)
                if (w[i] >= 0 && (at < 0 || w[i] > w[at])) at = i;
            kth = w[at];
            w[at] = -1;
        }
    }
    double total = 0, lbest = log(fmax(p[best], 1e-30)) / s->temperature;
    for (int i = 0; i < n; i++) {
        int keep = p[i] > 0 && p[i] >= kth;
        /* exp(log p / T) relative to the best one, so nothing overflows */
        w[i] = keep ? exp(log(p[i]) / s->temperature - lbest) : 0;
        total += w[i];
    }
    double u = uniform01(s) * total;
    for (int i = 0; i < n; i++) {
        if (u < w[i]) return i;
        u -= w[i];
    }
    return best;
}

/* The id of token text, or -1. */
static int vocab_id(const char *const *vocab, int n, const char *text) {
    for (int i = 0; i < n; i++)
        if (strcmp(vocab[i], text) == 0) return i;
    return -1;
}

/* The seed as ids, read as clrnn-data text read the corpus: words standardized as
 * TextVectorization does (lower-cased, punctuation stripped, split on whitespace; [UNK] for
 * words not in the vocabulary), or characters, lower-cased where only that is in the
 * vocabulary (a --lower corpus). Returns the count; ids has room for strlen(seed) + 1. */
static int tokenize(const char *seed, const char *const *vocab, int n, int words, int *ids) {
    size_t len = strlen(seed);
    uint32_t *cp = malloc((len + 1) * sizeof *cp);
    char *buf = malloc(len * 4 + 5);
    if (!cp || !buf) cli_fail("out of memory");
    size_t n_cp = data_text_decode_utf8("--seed", (const unsigned char *)seed, len, cp, "the seed");
    int count = 0;
    if (words) {
        for (size_t at = 0; data_text_next_word(cp, n_cp, &at, buf, NULL);) {
            int id = vocab_id(vocab, n, buf);
            ids[count++] = id > 1 ? id : 1; /* 1: [UNK]; 0 is padding, never a word */
        }
    }
    for (size_t i = 0; !words && i < n_cp; i++) {
        data_text_encode_utf8(cp[i], buf);
        int id = vocab_id(vocab, n, buf);
        if (id < 0) {
            data_text_encode_utf8(data_text_lower(cp[i]), buf);
            id = vocab_id(vocab, n, buf);
        }
        if (id < 0) {
            data_text_encode_utf8(cp[i], buf);
            cli_fail("the seed's character '%s' is not in the model's vocabulary", buf);
        }
        ids[count++] = id;
    }
    free(cp), free(buf);
    return count;
}

/* The model's output for one token fed to the stepping model (one-hot or id input). */
static void step(clrnn_model *m, int id, int one_hot, int n_vocab, float *probs) {
    struct clrnn_array x, y;
    int64_t d[3] = {1, 1, n_vocab};
    clrnn_status s = clrnn_array_alloc(&x, one_hot ? CLRNN_DTYPE_FLOAT32 : CLRNN_DTYPE_INT32,
                                       one_hot ? 3 : 2, d);
    if (s) cli_fail_status(s);
    if (one_hot) ((float *)x.data)[id] = 1.0f;
    else ((int32_t *)x.data)[0] = id;
    if ((s = clrnn_model_predict(m, &x, 1, 1, &y))) cli_fail_status(s);
    memcpy(probs, y.data, (size_t)n_vocab * sizeof *probs);
    clrnn_array_clear(&x), clrnn_array_clear(&y);
}

int main(int argc, char **argv) {
    cli_start("clrnn-generate", USAGE, argc, argv);
    cli_guard(); /* the model it reads may be hostile */
    const char *model = NULL, *seed = NULL, *device = NULL, *v;
    long length = 200, top_k = 0, rng_seed = 1;
    double temperature = 1;
    int no_oov = 0;
    for (int i = 1; i < argc; i++) {
        if ((v = cli_flag_value(argc, argv, &i, "--seed"))) seed = v;
        else if ((v = cli_flag_value(argc, argv, &i, "--length"))) length = cli_long("--length", v, 0, 100000000);
        else if ((v = cli_flag_value(argc, argv, &i, "--temperature"))) temperature = cli_double("--temperature", v, 0, 100);
        else if ((v = cli_flag_value(argc, argv, &i, "--top-k"))) top_k = cli_long("--top-k", v, 0, 1 << 30);
        else if ((v = cli_flag_value(argc, argv, &i, "--rng-seed"))) rng_seed = cli_long("--rng-seed", v, 0, 0x7fffffffL);
        else if ((v = cli_flag_value(argc, argv, &i, "--device"))) device = v;
        else if (strcmp(argv[i], "--no-oov") == 0) no_oov = 1;
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) cli_help();
        else if (argv[i][0] == '-') cli_usage_error("unknown option '%s'", argv[i]);
        else if (!model) model = argv[i];
        else cli_usage_error("unexpected argument '%s'", argv[i]);
    }
    if (!model) cli_usage_error("a MODEL is needed");
    if (!seed || !*seed) cli_usage_error("--seed TEXT is needed (the text to start from)");

    clrnn_ctx *ctx = cli_open_device(device);
    clrnn_model *m, *stepper;
    clrnn_status s = cli_load_model(ctx, model, NULL, &m);
    if (s) cli_fail_status(s);
    int n_vocab;
    const char *const *vocab = clrnn_model_vocabulary(m, &n_vocab);
    if (n_vocab == 0)
        cli_fail("%s carries no vocabulary: train it on a dataset made by clrnn-data text", model);
    int64_t in[4], out[4];
    clrnn_dtype in_dtype;
    int in_rank = clrnn_model_input_shape(m, in, &in_dtype), out_rank = clrnn_model_output_shape(m, out);
    int one_hot = in_dtype == CLRNN_DTYPE_FLOAT32;
    if (out_rank != 1 || out[0] != n_vocab || (one_hot && (in_rank != 2 || in[1] != n_vocab)) ||
        (!one_hot && in_rank != 1))
        cli_fail("%s does not predict the next token over its %d-token vocabulary (it maps "
                 "input of rank %d to output of rank %d)", model, n_vocab, in_rank + 1,
                 out_rank + 1);
    if ((s = clrnn_model_stepper(m, &stepper))) cli_fail_status(s);

    int words = cli_vocabulary_is_words(vocab, n_vocab);
    if (no_oov && !words)
        cli_fail("--no-oov: %s is a character-level model; it has no [UNK] token", model);
    int *ids = malloc((strlen(seed) + 1) * sizeof *ids);
    float *probs = malloc((size_t)n_vocab * sizeof *probs);
    double *scratch = malloc((size_t)n_vocab * sizeof *scratch);
    if (!ids || !probs || !scratch) cli_fail("out of memory");
    int n_seed = tokenize(seed, vocab, n_vocab, words, ids);
    if (n_seed == 0) cli_fail("the seed has no tokens");
    fputs(seed, stdout);
    for (int i = 0; i < n_seed; i++) step(stepper, ids[i], one_hot, n_vocab, probs);
    struct sampler sm = {temperature, (int)top_k, (uint64_t)rng_seed * 0x2545f4914f6cdd1dULL};
    for (long k = 0; k < length; k++) {
        int id = sample(&sm, probs, n_vocab, no_oov ? 1 : -1, scratch);
        printf(words ? " %s" : "%s", vocab[id]);
        fflush(stdout); /* streamed as it is made */
        if (k + 1 < length) step(stepper, id, one_hot, n_vocab, probs);
    }
    printf("\n");
    free(ids), free(probs), free(scratch);
    clrnn_model_free(stepper), clrnn_model_free(m);
    clrnn_ctx_free(ctx);
    return 0;
}
