/* fuzz_dataset.c - the HDF5 dataset file readers: one array, the vocabulary, a split. */
#include "clrnn_formats.h"
#include "fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    fuzz_init_env();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_write_temp(data, size, ".h5");
    struct clrnn_array a;
    if (clrnn_fmt_data_read(path, "x_train", &a) == CLRNN_OK) clrnn_array_clear(&a);
    char **tokens = NULL;
    int n = 0;
    if (clrnn_fmt_data_read_vocabulary(path, &tokens, &n) == CLRNN_OK)
        clrnn_fmt_vocabulary_free(tokens, n);
    struct clrnn_data d;
    if (clrnn_data_load(path, CLRNN_SPLIT_TEST, CLRNN_LABELS_REQUIRED, &d) == CLRNN_OK)
        clrnn_data_clear(&d);
    return 0;
}
