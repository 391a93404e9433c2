/*
 * dist.h - clrnn-train across processes (docs/scale-out.md): dist_mpi.c over MPI where the
 * build found it, dist_none.c (one process) where not.
 *
 * MPI is joined only when an MPI launcher started the tool (mpirun sets OMPI_COMM_WORLD_SIZE,
 * MPICH's PMI_RANK, PMIx's PMIX_RANK); a plain run never touches MPI. Every wait on the other
 * processes is polled against a timeout, and a process that fails ends the whole job
 * (MPI_Abort at exit), so no process waits forever for one that is gone.
 */
#ifndef CLRNN_DIST_H
#define CLRNN_DIST_H

#include <stddef.h>
#include <stdint.h>

#include "clrnn.h"

/* Joins the job when launched by an MPI launcher (returns 1; 0 when alone). timeout:
 * seconds any wait on the others may take (--dist-timeout). From here on a
 * failure of this process ends the job. */
int dist_start(double timeout);
int dist_rank(void);
int dist_ranks(void);
/* The device this process opens: given (--device) when set, else the GPU of its local rank
 * (more local processes than GPUs is an error). NULL: the default device (alone). */
const char *dist_device(const char *given, char *buf, size_t size);

/* The file a process reads for --resume: path on rank 0 (and alone), elsewhere a copy of
 * rank 0's file sent to it (in $TMPDIR, removed by dist_copy_done), so that the machines need
 * not hold the checkpoint; a .json (with its weights beside it) is read by each itself. */
const char *dist_copy_from_rank0(const char *path, char *buf, size_t size);
void dist_copy_done(const char *used, const char *path);

/* One item of the configuration every process must share with rank 0 (hashed unless a
 * number), named in the error when it differs. */
struct dist_item {
    const char *what;
    uint64_t value;
    int is_number;
};
/* Compares every process's items with rank 0's; rank 0 reports the first process that
 * differs ("rank r: its batch size 16 differs from rank 0's 32") and the job ends. */
void dist_check_config(const struct dist_item *items, int n);
/* The same check for the weights after an epoch: a silent divergence becomes an error. */
void dist_check_weights(clrnn_model *m, int epoch);
/* 1 when rank 0 decided (decision) or any process asked (interrupted) to stop. */
int dist_agree_stop(int decision, int interrupted);
/* The gradient exchange of clrnn_fit_params; local_stop() is polled for a stop request
 * (Ctrl-C) to pass on with the next batch. NULL when alone. */
const struct clrnn_exchange *dist_exchange(int (*local_stop)(void));
/* Leaves the job cleanly (every process, after its last exchange). */
void dist_end(void);

/* FNV-1a of bytes, to fold into a dist_item. */
#define DIST_HASH_START 1469598103934665603ULL
static inline uint64_t dist_hash(uint64_t h, const void *data, size_t n) {
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

#endif
