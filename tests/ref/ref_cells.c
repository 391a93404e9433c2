/* ref_cells.c - the reference's table of recurrent cells (ref.h): each cell's shapes and its
 * step for one unit, which ref_rnn_forward runs; keyed by the library's cell names
 * (host/cell_list.h), so that test_cells finds a library cell without a reference. */
#include <stddef.h>
#include <string.h>

#include "ref.h"

static double act1(ref_act a, double z) {
    double y;
    ref_act_forward(a, &z, 1, 1, &y);
    return y;
}

static void simple_unit(const struct ref_rnn *r, int u, const double *zx, const double *zh,
                        const double *xt, const double *d, const double *c, double *hn,
                        double *cn) {
    (void)xt, (void)d, (void)c, (void)cn;
    hn[u] = act1(r->act, zx[0] + zh[0]);
}

static void lstm_unit(const struct ref_rnn *r, int u, const double *zx, const double *zh,
                      const double *xt, const double *d, const double *c, double *hn,
                      double *cn) {
    (void)xt, (void)d;
    double i = act1(r->rec, zx[0] + zh[0]), f = act1(r->rec, zx[1] + zh[1]);
    double g = act1(r->act, zx[2] + zh[2]), o = act1(r->rec, zx[3] + zh[3]);
    cn[u] = f * c[u] + i * g;
    hn[u] = o * act1(r->act, cn[u]);
}

static void gru_unit(const struct ref_rnn *r, int u, const double *zx, const double *zh,
                     const double *xt, const double *d, const double *c, double *hn,
                     double *cn) {
    (void)xt, (void)c, (void)cn;
    double z = act1(r->rec, zx[0] + zh[0]), rg = act1(r->rec, zx[1] + zh[1]);
    double hh = act1(r->act, zx[2] + rg * zh[2]);
    hn[u] = z * d[u] + (1 - z) * hh;
}

/* reset_after=false: hh = act(x K_h + b_h + (r d) R_h), every unit's r first */
static void gru_v1_unit(const struct ref_rnn *r, int u, const double *zx, const double *zh,
                        const double *xt, const double *d, const double *c, double *hn,
                        double *cn) {
    (void)c, (void)cn;
    int I = r->I, U = r->U, G = 3;
    double z = act1(r->rec, zx[0] + zh[0]), a = zx[2];
    for (int j = 0; j < U; j++) {
        double zr = 0;
        for (int i = 0; i < I; i++) zr += xt[i] * r->K[(long)i * G * U + U + j];
        if (r->b) zr += r->b[U + j];
        for (int k = 0; k < U; k++) zr += d[k] * r->Rk[(long)k * G * U + U + j];
        a += act1(r->rec, zr) * d[j] * r->Rk[(long)j * G * U + 2 * U + u];
    }
    hn[u] = z * d[u] + (1 - z) * act1(r->act, a);
}

/* In ref_cell's order */
static const struct ref_cell_info CELLS[] = {
    {"simple_rnn", REF_CELL_SIMPLE, 1, 1, 1, 1, simple_unit},
    {"lstm", REF_CELL_LSTM, 4, 2, 1, 4, lstm_unit},
    {"gru", REF_CELL_GRU, 3, 1, 2, 3, gru_unit},
    {"gru_v1", REF_CELL_GRU_V1, 3, 1, 1, 2, gru_v1_unit},
};
#define N_CELLS (sizeof CELLS / sizeof *CELLS)

int ref_cell_count(void) { return (int)N_CELLS; }

const struct ref_cell_info *ref_cell_at(int i) {
    return i >= 0 && (size_t)i < N_CELLS ? &CELLS[i] : NULL;
}

const struct ref_cell_info *ref_cell_get(ref_cell cell) {
    for (size_t i = 0; i < N_CELLS; i++)
        if (CELLS[i].cell == cell) return &CELLS[i];
    return NULL;
}

const struct ref_cell_info *ref_cell_by_name(const char *name) {
    for (size_t i = 0; i < N_CELLS; i++)
        if (strcmp(CELLS[i].name, name) == 0) return &CELLS[i];
    return NULL;
}
