/*
 * test_graph.c - Functional models that are graphs, not chains (host/model_graph.c): the
 * encoder-decoder of Keras's seq2seq tutorial, where the encoder's final states
 * (return_state) start the decoder (initial_state), with two inputs (of fixed lengths, and
 * of unknown lengths: one model run on several pairs of lengths); and a graph where one
 * tensor feeds two layers (its gradient is the sum of both).
 *
 * Forward against the reference (tests/ref: embeddings, ref_rnn_forward with h0/c0 and the
 * final states, ref_dense_forward) and every parameter gradient against central
 * differences of the reference for sum(dy * y); tolerances as in test_rnn_modes.c. Then the
 * bad inputs, each refused when the model is read with one line naming the layer and the
 * shapes: initial_state of the wrong count or width, a shared layer, an output index a layer
 * does not give, initial_state given to a layer that is not recurrent, several outputs;
 * and the wrong number of input arrays; the summary's Connected to. Last,
 * training with two inputs on a copy task, and the saved .keras and .h5 files loading back.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clrnn_formats.h"
#include "clrnn_impl.h"
#include "numeric.h"
#include "ref.h"
#include "test.h"

#define ATOL 5e-5
#define RTOL 1e-4

static clrnn_ctx *ctx;
static uint64_t lcg = 1717;

/* A Keras 3 tensor reference [layer, 0, index]. */
#define KT(name, idx)                                                                         \
    "{\"class_name\": \"__keras_tensor__\", \"config\": {\"keras_history\": [\"" name         \
    "\", 0, " #idx "]}}"

/* The seq2seq model, Keras 3 style. cell: "LSTM" or "GRU"; two: the decoder has its own
 * input and Embedding (otherwise it takes the encoder's embedded input too: one tensor, two
 * layers); states: the decoder's initial_state list; dense_node: the Dense layer's
 * inbound_nodes. */
struct s2s_spec {
    const char *cell;
    int two, mask_zero, back, enc_units, dec_units;
    const char *states, *dense_node, *enc_shape;
    int bidi; /* the encoder is Bidirectional "bi": [output, fh, (fc,) bh, (bc)] */
    const char *dec_shape; /* the decoder input's batch_shape, NULL for [null, 4] */
};

static char *s2s_json(const struct s2s_spec *sp) {
    const char *enc = strcmp(sp->cell, "LSTM") == 0 ? "lstm" : "gru";
    char *buf = malloc(8192);
    char dec_in[600], enc_layer[600];
    if (sp->bidi)
        snprintf(enc_layer, sizeof enc_layer,
                 "{\"class_name\": \"Bidirectional\", \"name\": \"bi\", \"config\": {\"name\": "
                 "\"bi\", \"layer\": {\"class_name\": \"%s\", \"config\": {\"name\": \"%s\", "
                 "\"units\": %d, \"return_state\": true, \"go_backwards\": %s}}}, "
                 "\"inbound_nodes\": [{\"args\": [" KT("emb_e", 0) "], \"kwargs\": {}}]},",
                 sp->cell, enc, sp->enc_units, sp->back ? "true" : "false");
    else
        snprintf(enc_layer, sizeof enc_layer,
                 "{\"class_name\": \"%s\", \"name\": \"%s\", \"config\": {\"name\": \"%s\", "
                 "\"units\": %d, \"return_state\": true, \"go_backwards\": %s}, "
                 "\"inbound_nodes\": [{\"args\": [" KT("emb_e", 0) "], \"kwargs\": "
                 "{\"training\": false}}]},",
                 sp->cell, enc, enc, sp->enc_units, sp->back ? "true" : "false");
    if (sp->two)
        snprintf(dec_in, sizeof dec_in,
                 "{\"class_name\": \"InputLayer\", \"name\": \"dec\", \"config\": {\"name\": "
                 "\"dec\", \"batch_shape\": %s, \"dtype\": \"int32\"}, \"inbound_nodes\": "
                 "[]},"
                 "{\"class_name\": \"Embedding\", \"name\": \"emb_d\", \"config\": {\"name\": "
                 "\"emb_d\", \"input_dim\": 7, \"output_dim\": 3}, \"inbound_nodes\": [{\"args\": "
                 "[" KT("dec", 0) "], \"kwargs\": {}}]},",
                 sp->dec_shape ? sp->dec_shape : "[null, 4]");
    else
        dec_in[0] = '\0';
    snprintf(buf, 8192,
             "{\"class_name\": \"Functional\", \"config\": {\"name\": \"s2s\", \"layers\": ["
             "{\"class_name\": \"InputLayer\", \"name\": \"enc\", \"config\": {\"name\": \"enc\", "
             "\"batch_shape\": %s, \"dtype\": \"int32\"}, \"inbound_nodes\": []},"
             "{\"class_name\": \"Embedding\", \"name\": \"emb_e\", \"config\": {\"name\": "
             "\"emb_e\", \"input_dim\": 7, \"output_dim\": 3, \"mask_zero\": %s}, "
             "\"inbound_nodes\": [{\"args\": [" KT("enc", 0) "], \"kwargs\": {}}]},"
             "%s%s"
             "{\"class_name\": \"%s\", \"name\": \"dec_rnn\", \"config\": {\"name\": "
             "\"dec_rnn\", \"units\": %d, \"return_sequences\": true}, \"inbound_nodes\": "
             "[{\"args\": [{\"class_name\": \"__keras_tensor__\", \"config\": {\"keras_history\": "
             "[\"%s\", 0, 0]}}], \"kwargs\": {\"initial_state\": [%s]}}]},"
             "{\"class_name\": \"Dense\", \"name\": \"dense\", \"config\": {\"name\": \"dense\", "
             "\"units\": 7, \"activation\": \"softmax\"}, \"inbound_nodes\": [%s]}],"
             "\"input_layers\": [[\"enc\", 0, 0]%s], \"output_layers\": [[\"dense\", 0, 0]]}}",
             sp->enc_shape ? sp->enc_shape : "[null, 6]", sp->mask_zero ? "true" : "false",
             dec_in, enc_layer, sp->cell,
             sp->dec_units, sp->two ? "emb_d" : "emb_e", sp->states,
             sp->dense_node ? sp->dense_node
                            : "{\"args\": [" KT("dec_rnn", 0) "], \"kwargs\": {}}",
             sp->two ? ", [\"dec\", 0, 0]" : "");
    return buf;
}

static const char *const LSTM_STATES = KT("lstm", 1) ", " KT("lstm", 2);
static const char *const GRU_STATES = KT("gru", 1);

/* The objective's variables: the parameters in the model's packed order. */
struct problem {
    int lstm, two, mask, back, bidi;
    int B, TE, TD, V, E, U;
    int *ids_e, *ids_d;
    size_t off[13];   /* offset of each weight, in the model's order */
    double *p, *dy;
};

static double *embed(const double *table, const int *ids, int n, int E) {
    double *x = malloc(sizeof *x * (size_t)n * E);
    for (int k = 0; k < n; k++)
        for (int e = 0; e < E; e++) x[(long)k * E + e] = table[(long)ids[k] * E + e];
    return x;
}

static double objective(const void *vp, double *out) {
    const struct problem *pb = vp;
    int B = pb->B, TE = pb->TE, TD = pb->two ? pb->TD : pb->TE, E = pb->E, U = pb->U;
    const double *p = pb->p;
    int w = pb->two ? 2 : 1; /* the index of the encoder's kernel */
    double *xe = embed(p + pb->off[0], pb->ids_e, B * TE, E);
    double *xd = pb->two ? embed(p + pb->off[1], pb->ids_d, B * TD, E) : xe;
    double *mask = NULL;
    if (pb->mask) {
        mask = malloc(sizeof *mask * (size_t)B * TE);
        for (int k = 0; k < B * TE; k++) mask[k] = pb->ids_e[k] != 0;
    }
    ref_cell cell = pb->lstm ? REF_CELL_LSTM : REF_CELL_GRU;
    double *ye = malloc(sizeof *ye * (size_t)B * U), *h = malloc(sizeof *h * (size_t)B * U);
    double *c = malloc(sizeof *c * (size_t)B * U), *yd = malloc(sizeof *yd * (size_t)B * TD * U);
    struct ref_rnn enc = {cell, B, TE, E, U, p + pb->off[w], p + pb->off[w + 1],
                          p + pb->off[w + 2], REF_ACT_TANH, REF_ACT_SIGMOID, 0, pb->back, 0,
                          mask, NULL, NULL, NULL, NULL};
    ref_rnn_forward(&enc, xe, ye, h, c);
    if (pb->bidi) { /* the decoder starts from [bh, fc]: the backward layer's h */
        struct ref_rnn bwd = enc;
        bwd.K = p + pb->off[w + 3], bwd.Rk = p + pb->off[w + 4], bwd.b = p + pb->off[w + 5];
        bwd.go_backwards = !pb->back;
        ref_rnn_forward(&bwd, xe, ye, h, NULL);
        w += 3;
    }
    struct ref_rnn dec = {cell, B, TD, E, U, p + pb->off[w + 3], p + pb->off[w + 4],
                          p + pb->off[w + 5], REF_ACT_TANH, REF_ACT_SIGMOID, 1, 0, 0,
                          NULL, NULL, NULL, h, pb->lstm ? c : NULL};
    ref_rnn_forward(&dec, xd, yd, NULL, NULL);
    ref_dense_forward(yd, B * TD, U, p + pb->off[w + 6], p + pb->off[w + 7], pb->V,
                      REF_ACT_SOFTMAX, out);
    double s = 0;
    for (long i = 0; i < (long)B * TD * pb->V; i++) s += out[i] * pb->dy[i];
    if (pb->two) free(xd);
    free(xe), free(mask), free(ye), free(h), free(c), free(yd);
    return s;
}

static void fill_ids(int *ids, int n, int T, int post_pad) {
    for (int k = 0; k < n; k++) ids[k] = 1 + (int)test_uniform(&lcg, 0, 6);
    /* row r ends in r % 3 zeros */
    for (int r = 0; post_pad && r < n / T; r++)
        for (int t = T - r % 3; t < T; t++) ids[r * T + t] = 0;
}

/* One forward and backward pass of m on sequences of TE and TD steps against the reference
 * and central differences; a second pass gives the same gradients. */
static void check_pass(clrnn_model *m, const char *label, struct problem pb) {
    int TD = pb.two ? pb.TD : pb.TE, n_in = clrnn_model_input_count(m);
    size_t np = clrnn_model_param_count(m), ny = (size_t)pb.B * TD * pb.V;
    float *pf = malloc(sizeof *pf * np);
    pb.p = malloc(sizeof *pb.p * np);
    for (size_t i = 0; i < np; i++) pb.p[i] = pf[i] = (float)test_uniform(&lcg, -0.6, 0.6);
    CHECK(clrnn_model_set_params(m, pf) == CLRNN_OK);
    struct clrnn_array xs[2], y, dy;
    int64_t de[2] = {pb.B, pb.TE}, dd[2] = {pb.B, pb.TD}, dyd[3] = {pb.B, TD, pb.V};
    clrnn_array_alloc(&xs[0], CLRNN_DTYPE_INT32, 2, de);
    pb.ids_e = xs[0].data;
    fill_ids(pb.ids_e, pb.B * pb.TE, pb.TE, pb.mask);
    if (pb.two) {
        clrnn_array_alloc(&xs[1], CLRNN_DTYPE_INT32, 2, dd);
        pb.ids_d = xs[1].data;
        fill_ids(pb.ids_d, pb.B * pb.TD, pb.TD, 0);
    }
    clrnn_array_alloc(&dy, CLRNN_DTYPE_FLOAT32, 3, dyd);
    pb.dy = malloc(sizeof *pb.dy * ny);
    for (size_t i = 0; i < ny; i++) pb.dy[i] = ((float *)dy.data)[i] = (float)test_uniform(&lcg, -1, 1);
    clrnn_status st = clrnn_model_forward(m, xs, n_in, 1, &y);
    if (st) fprintf(stderr, "%s: %s\n", label, clrnn_last_error());
    CHECK(st == CLRNN_OK);
    CHECK(st || clrnn_array_count(&y) == (int64_t)ny);
    double *yr = malloc(sizeof *yr * ny), *num = malloc(sizeof *num * np);
    objective(&pb, yr);
    double *yd = st ? calloc(ny, sizeof *yd) : test_to_double(y.data, ny);
    char l2[200];
    snprintf(l2, sizeof l2, "%s forward (%d, %d steps)", label, pb.TE, TD);
    CHECK_ARRAYS_CLOSE(l2, yd, yr, (long)ny, ATOL, RTOL);
    CHECK(clrnn_model_backward(m, &dy, NULL) == CLRNN_OK);
    float *g = malloc(sizeof *g * np);
    CHECK(clrnn_model_get_grads(m, g) == CLRNN_OK);
    double *gd = test_to_double(g, np);
    test_central_diff(objective, &pb, pb.p, (int)np, num, yr);
    snprintf(l2, sizeof l2, "%s dparams (%d, %d steps)", label, pb.TE, TD);
    CHECK_ARRAYS_CLOSE(l2, gd, num, (long)np, ATOL, RTOL);
    /* a second pass gives the same gradients: nothing is left over from the first */
    clrnn_array_clear(&y);
    CHECK(clrnn_model_forward(m, xs, n_in, 1, &y) == CLRNN_OK);
    CHECK(clrnn_model_backward(m, &dy, NULL) == CLRNN_OK);
    float *g2 = malloc(sizeof *g2 * np);
    CHECK(clrnn_model_get_grads(m, g2) == CLRNN_OK);
    CHECK(memcmp(g, g2, sizeof *g * np) == 0);
    free(pf), free(pb.p), free(pb.dy), free(yr), free(num), free(yd), free(g), free(g2), free(gd);
    clrnn_array_clear(&xs[0]), clrnn_array_clear(&dy), clrnn_array_clear(&y);
    if (pb.two) clrnn_array_clear(&xs[1]);
}

/* The model of sp against the reference; lengths: pairs (TE, TD) it runs in turn (one
 * model, so a model of unknown lengths takes each pair's), NULL for the declared (6, 4). */
static void check_model(const char *label, const struct s2s_spec *sp, const int *lengths,
                        int n_lengths) {
    char *json = s2s_json(sp);
    clrnn_model *m = NULL;
    clrnn_status st = clrnn_model_from_json(ctx, json, NULL, 0, CLRNN_DTYPE_INT32, 3, &m);
    free(json);
    if (st) fprintf(stderr, "%s: %s\n", label, clrnn_last_error());
    CHECK(st == CLRNN_OK);
    if (!m) return;
    struct problem pb = {strcmp(sp->cell, "LSTM") == 0, sp->two, sp->mask_zero, sp->back,
                         sp->bidi, 5, 6, 4, 7, 3, sp->enc_units, NULL, NULL, {0}, NULL, NULL};
    CHECK_INT_EQ(clrnn_model_input_count(m), pb.two ? 2 : 1);
    CHECK_INT_EQ(clrnn_model_weight_count(m), (pb.two ? 10 : 9) + (pb.bidi ? 3 : 0));
    for (int k = 0; k < clrnn_model_weight_count(m); k++) {
        struct clrnn_weight_info wi;
        CHECK(clrnn_model_weight(m, k, &wi) == CLRNN_OK);
        pb.off[k] = wi.offset;
    }
    if (!lengths) check_pass(m, label, pb);
    for (int i = 0; i < n_lengths; i++) {
        pb.TE = lengths[2 * i], pb.TD = lengths[2 * i + 1];
        check_pass(m, label, pb);
    }
    clrnn_model_free(m);
}

static void expect_refused(const char *what, const struct s2s_spec *sp, clrnn_status want,
                           const char *text) {
    char *json = s2s_json(sp);
    clrnn_model *m = NULL;
    clrnn_status st = clrnn_model_from_json(ctx, json, NULL, 0, CLRNN_DTYPE_INT32, 3, &m);
    free(json);
    CHECK(st == want && m == NULL);
    CHECK_STR_CONTAINS(clrnn_last_error(), text);
    printf("  %s: %s\n", what, clrnn_last_error());
    clrnn_model_free(m);
}

static void check_errors(void) {
    struct s2s_spec sp = {"LSTM", 1, 0, 0, 6, 6, KT("lstm", 1), NULL, NULL, 0, NULL};
    expect_refused("one state for an LSTM", &sp, CLRNN_E_SHAPE,
                   "layer 'dec_rnn' (LSTM) takes 2 tensors [h, c] as initial_state, but is "
                   "given 1");
    sp.states = LSTM_STATES;
    sp.dec_units = 8;
    expect_refused("states of another width", &sp, CLRNN_E_SHAPE,
                   "layer 'dec_rnn' (LSTM): initial_state[0] (lstm[0][1]) has shape (None, 6), "
                   "but the layer's states are (None, 8)");
    sp.dec_units = 6;
    sp.states = KT("lstm", 1) ", " KT("lstm", 3);
    expect_refused("an output the layer does not give", &sp, CLRNN_E_FORMAT,
                   "layer 'dec_rnn' takes output 3 of 'lstm', which gives 3");
    sp.states = LSTM_STATES;
    sp.dense_node = "{\"args\": [" KT("dec_rnn", 0) "], \"kwargs\": {}}, {\"args\": ["
                    KT("dec_rnn", 0) "], \"kwargs\": {}}";
    expect_refused("a shared layer", &sp, CLRNN_E_UNSUPPORTED,
                   "layer 'dense' is called 2 times; clrnn runs each layer once");
    sp.dense_node = "{\"args\": [" KT("dec_rnn", 0) "], \"kwargs\": {\"initial_state\": ["
                    KT("lstm", 1) "]}}";
    expect_refused("initial_state to Dense", &sp, CLRNN_E_UNSUPPORTED,
                   "layer 'dense' (Dense) is given 2 tensors; only a recurrent layer (its "
                   "initial_state) and a merge layer take more");
    sp.dense_node = NULL;
    /* the GRU gives one state */
    struct s2s_spec gru = {"GRU", 1, 0, 0, 6, 6, KT("gru", 1) ", " KT("gru", 2), NULL, NULL,
                           0, NULL};
    expect_refused("a GRU's second state", &gru, CLRNN_E_FORMAT,
                   "layer 'dec_rnn' takes output 2 of 'gru', which gives 2");
    /* several outputs */
    char *json = s2s_json(&sp);
    char *outs = strstr(json, "\"output_layers\": [[\"dense\", 0, 0]]");
    const char *two_outs = "\"output_layers\": [[\"dense\", 0, 0], [\"lstm\", 0, 1]]}}";
    json = realloc(json, strlen(json) + 64);
    outs = strstr(json, "\"output_layers\"");
    memcpy(outs, two_outs, strlen(two_outs) + 1);
    clrnn_model *m = NULL;
    CHECK(clrnn_model_from_json(ctx, json, NULL, 0, CLRNN_DTYPE_INT32, 3, &m) ==
          CLRNN_E_UNSUPPORTED);
    CHECK_STR_CONTAINS(clrnn_last_error(), "Functional model 's2s' has 2 outputs");
    free(json);
    /* the right model, given the wrong arrays */
    json = s2s_json(&sp);
    CHECK(clrnn_model_from_json(ctx, json, NULL, 0, CLRNN_DTYPE_INT32, 3, &m) == CLRNN_OK);
    free(json);
    struct clrnn_array xs[2], y;
    int64_t de[2] = {2, 6}, dd[2] = {2, 5};
    clrnn_array_alloc(&xs[0], CLRNN_DTYPE_INT32, 2, de);
    clrnn_array_alloc(&xs[1], CLRNN_DTYPE_INT32, 2, dd);
    memset(xs[0].data, 0, 12 * sizeof(int32_t));
    memset(xs[1].data, 0, 10 * sizeof(int32_t));
    CHECK(clrnn_model_predict(m, &xs[0], 1, 2, &y) == CLRNN_E_INVALID_ARG);
    CHECK_STR_CONTAINS(clrnn_last_error(), "model 's2s' takes 2 inputs (enc, dec), but 1 array "
                       "is given; give one array for each");
    CHECK(clrnn_model_predict(m, xs, 2, 2, &y) == CLRNN_E_SHAPE);
    CHECK_STR_CONTAINS(clrnn_last_error(), "x (input 'dec') has shape (None, 5) per batch, but "
                       "the model expects input (None, 4)");
    printf("  %s\n", clrnn_last_error());
    CHECK_INT_EQ(clrnn_model_input_count(m), 2);
    CHECK(strcmp(clrnn_model_input_name(m, 1), "dec") == 0);
    int64_t dims[4];
    clrnn_dtype dt;
    CHECK(clrnn_model_input_shape_at(m, 1, dims, &dt) == 1 && dims[0] == 4 &&
          dt == CLRNN_DTYPE_INT32);
    CHECK(clrnn_model_input_shape_at(m, 2, dims, &dt) == -1);
    /* the summary in Keras's Functional layout */
    char *text = NULL;
    CHECK(clrnn_model_summary(m, &text) == CLRNN_OK);
    CHECK_STR_CONTAINS(text, "Connected to");
    CHECK_STR_CONTAINS(text, " dec (InputLayer)               (None, 4)             0           []");
    CHECK_STR_CONTAINS(text, " lstm (LSTM)                    [(None, 6),           240         "
                       "emb_e[0][0]\n                                 (None, 6),");
    CHECK_STR_CONTAINS(text, "lstm[0][2]\n");
    printf("%s", text);
    free(text);
    clrnn_array_clear(&xs[0]), clrnn_array_clear(&xs[1]);
    clrnn_model_free(m);
}

/* The copy task: the decoder, fed the target shifted (teacher forcing), writes the first
 * TD encoder ids reversed. */
static void copy_task(struct clrnn_array xs[2], struct clrnn_array *y, int n) {
    int64_t de[2] = {n, 6}, dd[2] = {n, 4};
    clrnn_array_alloc(&xs[0], CLRNN_DTYPE_INT32, 2, de);
    clrnn_array_alloc(&xs[1], CLRNN_DTYPE_INT32, 2, dd);
    clrnn_array_alloc(y, CLRNN_DTYPE_INT32, 2, dd);
    int32_t *e = xs[0].data, *d = xs[1].data, *t = y->data;
    for (int r = 0; r < n; r++) {
        for (int k = 0; k < 6; k++) e[r * 6 + k] = 2 + (int)test_uniform(&lcg, 0, 5);
        for (int k = 0; k < 4; k++) t[r * 4 + k] = e[r * 6 + 3 - k];
        d[r * 4] = 1;
        for (int k = 1; k < 4; k++) d[r * 4 + k] = t[r * 4 + k - 1];
    }
}

static double max_diff(const struct clrnn_array *a, const struct clrnn_array *b) {
    double worst = clrnn_array_count(a) == clrnn_array_count(b) ? 0 : INFINITY;
    for (int64_t i = 0; i < clrnn_array_count(a) && worst < INFINITY; i++) {
        double d = fabs((double)((const float *)a->data)[i] - ((const float *)b->data)[i]);
        if (!(d <= worst)) worst = d;
    }
    return worst;
}

/* A Functional chain whose recurrent layer returns its state: the Dense after it takes the
 * output (gru[0][0]) or the final state (gru[0][1]), which for a GRU without
 * return_sequences are the same numbers: both predict what gru(4) dense(2) predicts. */
static void check_state_chain(void) {
    int64_t in[2] = {5, 3};
    clrnn_model *plain = NULL;
    CHECK(clrnn_model_from_spec(ctx, "gru(4,go_backwards=true) dense(2)", in, 2,
                                CLRNN_DTYPE_FLOAT32, 1, &plain) == CLRNN_OK);
    if (!plain) return;
    size_t np = clrnn_model_param_count(plain);
    float *pf = malloc(sizeof *pf * np);
    for (size_t i = 0; i < np; i++) pf[i] = (float)test_uniform(&lcg, -0.6, 0.6);
    CHECK(clrnn_model_set_params(plain, pf) == CLRNN_OK);
    struct clrnn_array x, want, got;
    int64_t xd[3] = {3, 5, 3};
    clrnn_array_alloc(&x, CLRNN_DTYPE_FLOAT32, 3, xd);
    for (int i = 0; i < 45; i++) ((float *)x.data)[i] = (float)test_uniform(&lcg, -1, 1);
    CHECK(clrnn_model_predict(plain, &x, 1, 4, &want) == CLRNN_OK);
    const char *const takes[] = {KT("gru", 0), KT("gru", 1)};
    for (int k = 0; k < 2; k++) {
        char json[2000];
        snprintf(json, sizeof json,
                 "{\"class_name\": \"Functional\", \"config\": {\"name\": \"f\", \"layers\": ["
                 "{\"class_name\": \"InputLayer\", \"name\": \"in\", \"config\": {\"name\": "
                 "\"in\", \"batch_shape\": [null, 5, 3]}, \"inbound_nodes\": []},"
                 "{\"class_name\": \"GRU\", \"name\": \"gru\", \"config\": {\"name\": \"gru\", "
                 "\"units\": 4, \"return_state\": true, \"go_backwards\": true}, "
                 "\"inbound_nodes\": [{\"args\": [" KT("in", 0) "], \"kwargs\": {}}]},"
                 "{\"class_name\": \"Dense\", \"name\": \"dense\", \"config\": {\"name\": "
                 "\"dense\", \"units\": 2}, \"inbound_nodes\": [{\"args\": [%s], \"kwargs\": "
                 "{}}]}], \"input_layers\": [[\"in\", 0, 0]], \"output_layers\": [[\"dense\", 0, "
                 "0]]}}", takes[k]);
        clrnn_model *m = NULL;
        clrnn_status st = clrnn_model_from_json(ctx, json, NULL, 0, CLRNN_DTYPE_FLOAT32, 1, &m);
        if (st) fprintf(stderr, "%s\n", clrnn_last_error());
        CHECK(st == CLRNN_OK);
        if (!m) continue;
        CHECK(clrnn_model_param_count(m) == np && clrnn_model_set_params(m, pf) == CLRNN_OK);
        CHECK(clrnn_model_predict(m, &x, 1, 4, &got) == CLRNN_OK);
        printf("  Dense on gru[0][%d]: max |diff| from the chain %.3g\n", k, max_diff(&got, &want));
        CHECK(max_diff(&got, &want) == 0);
        clrnn_array_clear(&got);
        clrnn_model_free(m);
    }
    free(pf);
    clrnn_array_clear(&x), clrnn_array_clear(&want);
    clrnn_model_free(plain);
}

/* Initial states given as model inputs (as the tutorial's inference decoder takes them):
 * LSTM(x, initial_state=[h0, c0]) with three float inputs, against the reference. */
static void check_state_inputs(void) {
    const char *json =
        "{\"class_name\": \"Functional\", \"config\": {\"name\": \"dec\", \"layers\": ["
        "{\"class_name\": \"InputLayer\", \"name\": \"x\", \"config\": {\"name\": \"x\", "
        "\"batch_shape\": [null, 5, 3]}, \"inbound_nodes\": []},"
        "{\"class_name\": \"InputLayer\", \"name\": \"h0\", \"config\": {\"name\": \"h0\", "
        "\"batch_shape\": [null, 4]}, \"inbound_nodes\": []},"
        "{\"class_name\": \"InputLayer\", \"name\": \"c0\", \"config\": {\"name\": \"c0\", "
        "\"batch_shape\": [null, 4]}, \"inbound_nodes\": []},"
        "{\"class_name\": \"LSTM\", \"name\": \"lstm\", \"config\": {\"name\": \"lstm\", "
        "\"units\": 4, \"return_sequences\": true}, \"inbound_nodes\": [{\"args\": ["
        KT("x", 0) "], \"kwargs\": {\"initial_state\": [" KT("h0", 0) ", " KT("c0", 0) "]}}]}],"
        "\"input_layers\": [[\"x\", 0, 0], [\"h0\", 0, 0], [\"c0\", 0, 0]], "
        "\"output_layers\": [[\"lstm\", 0, 0]]}}";
    clrnn_model *m = NULL;
    clrnn_status st = clrnn_model_from_json(ctx, json, NULL, 0, CLRNN_DTYPE_FLOAT32, 1, &m);
    if (st) fprintf(stderr, "%s\n", clrnn_last_error());
    CHECK(st == CLRNN_OK);
    if (!m) return;
    int B = 3, T = 5, I = 3, U = 4;
    size_t np = clrnn_model_param_count(m);
    float *pf = malloc(sizeof *pf * np);
    double *p = malloc(sizeof *p * np);
    for (size_t i = 0; i < np; i++) p[i] = pf[i] = (float)test_uniform(&lcg, -0.6, 0.6);
    CHECK(clrnn_model_set_params(m, pf) == CLRNN_OK);
    struct clrnn_array xs[3], y;
    int64_t dx[3] = {B, T, I}, ds[2] = {B, U};
    clrnn_array_alloc(&xs[0], CLRNN_DTYPE_FLOAT32, 3, dx);
    clrnn_array_alloc(&xs[1], CLRNN_DTYPE_FLOAT32, 2, ds);
    clrnn_array_alloc(&xs[2], CLRNN_DTYPE_FLOAT32, 2, ds);
    double *xd[3];
    for (int k = 0; k < 3; k++) {
        size_t n = (size_t)clrnn_array_count(&xs[k]);
        xd[k] = malloc(sizeof *xd[k] * n);
        for (size_t i = 0; i < n; i++) xd[k][i] = ((float *)xs[k].data)[i] = (float)test_uniform(&lcg, -1, 1);
    }
    CHECK(clrnn_model_predict(m, xs, 3, 2, &y) == CLRNN_OK);
    double *yr = malloc(sizeof *yr * (size_t)B * T * U);
    struct ref_rnn r = {REF_CELL_LSTM, B, T, I, U, p, p + I * 4 * U, p + (I + U) * 4 * U,
                        REF_ACT_TANH, REF_ACT_SIGMOID, 1, 0, 0, NULL, NULL, NULL, xd[1], xd[2]};
    ref_rnn_forward(&r, xd[0], yr, NULL, NULL);
    double *yd = test_to_double(y.data, (size_t)B * T * U);
    CHECK_ARRAYS_CLOSE("initial states as inputs forward", yd, yr, (long)B * T * U, ATOL, RTOL);
    free(pf), free(p), free(yr), free(yd);
    for (int k = 0; k < 3; k++) free(xd[k]), clrnn_array_clear(&xs[k]);
    clrnn_array_clear(&y);
    clrnn_model_free(m);
}

/* Training with several inputs (fit with validation data, evaluate), then saving: the
 * .keras archive and the legacy .h5 load back with the same predictions. */
static void check_train_save(void) {
    struct s2s_spec sp = {"LSTM", 1, 0, 0, 16, 16, LSTM_STATES, NULL, NULL, 0, NULL};
    char *json = s2s_json(&sp);
    clrnn_model *m = NULL;
    CHECK(clrnn_model_from_json(ctx, json, NULL, 0, CLRNN_DTYPE_INT32, 3, &m) == CLRNN_OK);
    free(json);
    if (!m) return;
    struct clrnn_compile_config cc = {"sparse_categorical_crossentropy", 0,
                                      clrnn_optimizer_default(CLRNN_OPT_ADAM), 0, 0};
    cc.optimizer.learning_rate = 0.02;
    CHECK(clrnn_model_compile(m, &cc) == CLRNN_OK);
    struct clrnn_array xs[2], y, vxs[2], vy, p1, p2;
    copy_task(xs, &y, 512);
    copy_task(vxs, &vy, 64);
    struct clrnn_eval_result before, after;
    CHECK(clrnn_model_evaluate(m, vxs, 2, &vy, 32, &before) == CLRNN_OK);
    struct clrnn_fit_params fp = clrnn_fit_params_default();
    fp.epochs = 25;
    fp.seed = 4;
    clrnn_status st = clrnn_model_fit(m, xs, 2, &y, vxs, &vy, &fp);
    if (st) fprintf(stderr, "fit: %s\n", clrnn_last_error());
    CHECK(st == CLRNN_OK);
    CHECK(clrnn_model_evaluate(m, vxs, 2, &vy, 32, &after) == CLRNN_OK);
    printf("  copy task: validation loss %.3f -> %.3f, accuracy %.3f -> %.3f\n", before.loss,
           after.loss, before.accuracy, after.accuracy);
    CHECK(after.loss < 0.3 * before.loss && after.accuracy > 0.9);
    CHECK(clrnn_model_fit(m, xs, 1, &y, NULL, NULL, &fp) == CLRNN_E_INVALID_ARG);
    CHECK_STR_CONTAINS(clrnn_last_error(), "takes 2 inputs (enc, dec), but 1 array is given");
    CHECK(clrnn_model_predict(m, vxs, 2, 16, &p1) == CLRNN_OK);
    const char *files[] = {"graph_s2s.keras", "graph_s2s.h5"};
    for (int f = 0; f < 2; f++) {
        clrnn_model *back = NULL;
        CHECK(clrnn_model_save(m, files[f]) == CLRNN_OK);
        st = clrnn_model_load(ctx, files[f], NULL, &back);
        if (st) fprintf(stderr, "%s: %s\n", files[f], clrnn_last_error());
        CHECK(st == CLRNN_OK);
        if (!back) continue;
        CHECK(clrnn_model_input_count(back) == 2);
        CHECK(clrnn_model_predict(back, vxs, 2, 16, &p2) == CLRNN_OK);
        double d = max_diff(&p1, &p2);
        printf("  %s: reloaded, max |diff| of predictions %.3g\n", files[f], d);
        CHECK(d == 0);
        struct clrnn_compile_config c2;
        CHECK(clrnn_model_compile_config(back, &c2) && strcmp(c2.loss, cc.loss) == 0);
        clrnn_array_clear(&p2);
        clrnn_model_free(back);
        remove(files[f]);
    }
    for (int k = 0; k < 2; k++) clrnn_array_clear(&xs[k]), clrnn_array_clear(&vxs[k]);
    clrnn_array_clear(&y), clrnn_array_clear(&vy), clrnn_array_clear(&p1);
    clrnn_model_free(m);
}

/* Dataset files for several inputs: x0_train, x1_train, ... with y_train, and what is
 * refused. */
static void check_datasets(void) {
    struct clrnn_array xs[2], y, vxs[2], vy;
    copy_task(xs, &y, 10);
    copy_task(vxs, &vy, 3);
    struct clrnn_fmt_named_array a[] = {{"x0_train", &xs[0]}, {"x1_train", &xs[1]},
                                        {"y_train", &y},      {"x0_test", &vxs[0]},
                                        {"x1_test", &vxs[1]}, {"y_test", &vy}};
    CHECK(clrnn_fmt_data_write("graph_data.h5", a, 6) == CLRNN_OK);
    struct clrnn_data d;
    CHECK(clrnn_data_load("graph_data.h5", CLRNN_SPLIT_TRAIN, CLRNN_LABELS_REQUIRED,
                          &d) == CLRNN_OK);
    int n;
    const struct clrnn_array *in = clrnn_data_inputs(&d, &n);
    CHECK(n == 2 && in[0].dims[0] == 10 && in[1].dims[1] == 4 && strcmp(d.x_name, "x0_train") == 0);
    clrnn_data_clear(&d);
    CHECK(clrnn_data_load("graph_data.h5", CLRNN_SPLIT_TEST, CLRNN_LABELS_REQUIRED,
                          &d) == CLRNN_OK);
    in = clrnn_data_inputs(&d, &n);
    CHECK(n == 2 && in[1].dims[0] == 3 && strcmp(d.y_name, "y_test") == 0);
    clrnn_data_clear(&d);
    /* no y, and rows that differ */
    struct clrnn_fmt_named_array no_y[] = {{"x0_train", &xs[0]}, {"x1_train", &xs[1]}};
    CHECK(clrnn_fmt_data_write("graph_data.h5", no_y, 2) == CLRNN_OK);
    CHECK(clrnn_data_load("graph_data.h5", CLRNN_SPLIT_TRAIN, CLRNN_LABELS_REQUIRED,
                          &d) == CLRNN_E_FORMAT);
    CHECK_STR_CONTAINS(clrnn_last_error(), "graph_data.h5: has x0_train but no y_train");
    struct clrnn_fmt_named_array rows[] = {{"x0", &xs[0]}, {"x1", &vxs[1]}, {"y", &y}};
    CHECK(clrnn_fmt_data_write("graph_data.h5", rows, 3) == CLRNN_OK);
    CHECK(clrnn_data_load("graph_data.h5", CLRNN_SPLIT_TRAIN, CLRNN_LABELS_REQUIRED,
                          &d) == CLRNN_E_SHAPE);
    CHECK_STR_CONTAINS(clrnn_last_error(), "x1 has shape (3, 4) and y has shape (10, 4)");
    printf("  %s\n", clrnn_last_error());
    remove("graph_data.h5");
    for (int k = 0; k < 2; k++) clrnn_array_clear(&xs[k]), clrnn_array_clear(&vxs[k]);
    clrnn_array_clear(&y), clrnn_array_clear(&vy);
}

int main(void) {
    TEST_OPEN_DEVICE(ctx);
    struct s2s_spec lstm = {"LSTM", 1, 0, 0, 5, 5, LSTM_STATES, NULL, NULL, 0, NULL};
    check_model("seq2seq lstm", &lstm, NULL, 0);
    /* the final state after the last real step of a masked, reversed encoder */
    struct s2s_spec lstm_masked = {"LSTM", 1, 1, 1, 5, 5, LSTM_STATES, NULL, NULL, 0, NULL};
    check_model("seq2seq lstm masked go_backwards", &lstm_masked, NULL, 0);
    struct s2s_spec gru = {"GRU", 1, 1, 0, 5, 5, GRU_STATES, NULL, NULL, 0, NULL};
    check_model("seq2seq gru masked", &gru, NULL, 0);
    /* one embedded input feeds both recurrent layers: its gradient is the sum */
    struct s2s_spec shared = {"GRU", 0, 0, 0, 5, 5, GRU_STATES, NULL, NULL, 0, NULL};
    check_model("gru fan-out", &shared, NULL, 0);
    struct s2s_spec shared_lstm = {"LSTM", 0, 0, 1, 5, 5, LSTM_STATES, NULL, NULL, 0, NULL};
    check_model("lstm fan-out go_backwards", &shared_lstm, NULL, 0);
    /* a Bidirectional encoder's states: [output, fh, fc, bh, bc]; the decoder takes bh, fc */
    struct s2s_spec bidi = {"LSTM", 1, 1, 0, 5, 5, KT("bi", 3) ", " KT("bi", 2), NULL, NULL,
                            1, NULL};
    check_model("seq2seq bidirectional lstm masked", &bidi, NULL, 0);
    struct s2s_spec bidi_gru = {"GRU", 1, 0, 1, 5, 5, KT("bi", 2), NULL, NULL, 1, NULL};
    check_model("seq2seq bidirectional gru go_backwards", &bidi_gru, NULL, 0);
    /* Input((None,)) for the encoder and the decoder: each takes its length from its own
     * array, batch by batch (Keras's lstm_seq2seq) */
    struct s2s_spec any = {"LSTM", 1, 1, 0, 5, 5, LSTM_STATES, NULL, "[null, null]", 0,
                           "[null, null]"};
    static const int any_lengths[] = {3, 7, 8, 2, 3, 7};
    check_model("seq2seq lstm masked, lengths unknown", &any, any_lengths, 3);
    check_errors();
    check_train_save();
    check_datasets();
    check_state_chain();
    check_state_inputs();
    clrnn_ctx_free(ctx);
    TEST_MAIN_END();
}
