/* fuzz_keras_archive.c - the .keras archive reader (zip: config.json, metadata.json,
 * model.weights.h5, vocabulary asset) and the Keras 3 weights reader on the weights image
 * it returns, with a few fixed variable paths. An input that is itself an HDF5 file goes
 * to the weights reader directly as the image (mutated archive members rarely pass the
 * zip CRC check), and as a file. */
#include "clrnn_formats.h"
#include "fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_init_env();
    return 0;
}

static const char *const NAMES[] = {
    "layers/lstm/cell/vars/0",       "layers/lstm/cell/vars/1",  "layers/lstm/cell/vars/2",
    "layers/simple_rnn/cell/vars/0", "layers/gru/cell/vars/0",   "layers/dense/vars/0",
    "layers/dense/vars/1",           "layers/embedding/vars/0", "vars/0",
};

static void read_weights(const char *path, const void *image, size_t size) {
    int n = (int)(sizeof NAMES / sizeof *NAMES);
    struct clrnn_fmt_weight w[sizeof NAMES / sizeof *NAMES];
    /* all at once (fails at the first missing one), then one at a time */
    if (clrnn_fmt_keras3_weights_read(path, image, size, NAMES, n, w) == CLRNN_OK)
        for (int i = 0; i < n; i++) free(w[i].data);
    for (int i = 0; i < n; i++)
        if (clrnn_fmt_keras3_weights_read(path, image, size, NAMES + i, 1, w) == CLRNN_OK)
            free(w[0].data);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_write_temp(data, size, ".keras");
    if (size >= 8 && memcmp(data, "\x89HDF\r\n\x1a\n", 8) == 0) {
        read_weights(path, data, size);
        (void)clrnn_fmt_is_keras3_weights(path);
        read_weights(path, NULL, 0);
        return 0;
    }
    struct clrnn_fmt_keras_archive a;
    memset(&a, 0, sizeof a);
    (void)clrnn_fmt_is_zip(path);
    if (clrnn_fmt_keras_archive_read(path, &a) != CLRNN_OK) return 0;
    read_weights(path, a.weights, a.weights_size);
    clrnn_fmt_keras_archive_clear(&a);
    return 0;
}
