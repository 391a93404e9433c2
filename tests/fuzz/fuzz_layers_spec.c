/* fuzz_layers_spec.c - the --layers one-line syntax parser (host/layers.c). */
#include "clrnn_impl.h"
#include "fuzz_common.h"
#include "layers.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *spec = fuzz_text(data, size);
    cJSON **objs = NULL;
    int n = 0;
    if (clrnn_spec_parse(spec, &objs, &n) == CLRNN_OK) {
        for (int i = 0; i < n; i++) {
            char *s = cJSON_PrintUnformatted(objs[i]);
            free(s);
            cJSON_Delete(objs[i]);
        }
        clrnn_free(objs);
    }
    free(spec);
    return 0;
}
