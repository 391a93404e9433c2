/* layers.h - the --layers syntax (layers.c). */
#ifndef CLRNN_LAYERS_H
#define CLRNN_LAYERS_H
#include "layer_interface.h"
/* Parses a one-line layer list into Keras layer objects {"class_name", "config"}; the caller
 * owns the array and each object. */
clrnn_status clrnn_spec_parse(const char *spec, cJSON ***out, int *n);
#endif
