/*
 * dist_none.c - dist.h for a build without MPI: always one process; launched by an MPI
 * launcher anyway, it says it cannot take part rather than train alone N times.
 */
#include <stdlib.h>

#include "cli.h"
#include "dist.h"

int dist_start(double timeout) {
    (void)timeout;
    const char *n = getenv("OMPI_COMM_WORLD_SIZE");
    if (!n) n = getenv("PMI_SIZE");
    if (n && atoi(n) > 1)
        cli_fail("launched as one of %s MPI processes, but this build has no MPI (build with "
                 "Open MPI or MPICH installed: CLRNN_MPI)", n);
    return 0;
}
int dist_rank(void) { return 0; }
int dist_ranks(void) { return 1; }
const char *dist_device(const char *given, char *buf, size_t size) {
    (void)buf;
    (void)size;
    return given;
}
const char *dist_copy_from_rank0(const char *path, char *buf, size_t size) {
    (void)buf;
    (void)size;
    return path;
}
void dist_copy_done(const char *used, const char *path) {
    (void)used;
    (void)path;
}
void dist_check_config(const struct dist_item *items, int n) {
    (void)items;
    (void)n;
}
void dist_check_weights(clrnn_model *m, int epoch) {
    (void)m;
    (void)epoch;
}
int dist_agree_stop(int decision, int interrupted) { return decision || interrupted; }
const struct clrnn_exchange *dist_exchange(int (*local_stop)(void)) {
    (void)local_stop;
    return NULL;
}
void dist_end(void) {}
