/*
 * model_pass.h - what the tests comparing two ways of running one model share: a training
 * pass's outputs and parameter gradients, kept on the host. For tests that link the library
 * (test.h serves tests without it too).
 */
#ifndef CLRNN_TEST_MODEL_PASS_H
#define CLRNN_TEST_MODEL_PASS_H

#include <stdlib.h>
#include <string.h>

#include "clrnn.h"
#include "test.h"

/* One forward and backward pass of m on x, dy[i] = dy_of(i) arriving at output i: the
 * outputs into *y (*ny of them) and the parameter gradients into *grads (*np), malloc'ed. */
static inline void test_model_pass(clrnn_model *m, const struct clrnn_array *x,
                                   float (*dy_of)(long i), float **y, long *ny, float **grads,
                                   long *np) {
    struct clrnn_array out = {0}, dy;
    CHECK(clrnn_model_forward(m, x, 1, 1, &out) == CLRNN_OK);
    *ny = (long)clrnn_array_count(&out);
    clrnn_array_alloc(&dy, CLRNN_DTYPE_FLOAT32, out.rank, out.dims);
    for (long i = 0; i < *ny; i++) ((float *)dy.data)[i] = dy_of(i);
    CHECK(clrnn_model_backward(m, &dy, NULL) == CLRNN_OK);
    *np = (long)clrnn_model_param_count(m);
    *y = malloc(sizeof **y * (size_t)*ny);
    *grads = malloc(sizeof **grads * (size_t)*np);
    memcpy(*y, out.data, sizeof **y * (size_t)*ny);
    CHECK(clrnn_model_get_grads(m, *grads) == CLRNN_OK);
    clrnn_array_clear(&out), clrnn_array_clear(&dy);
}

#endif
