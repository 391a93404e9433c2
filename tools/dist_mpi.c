/*
 * dist_mpi.c - dist.h over MPI (plain MPI-3.1 calls: Open MPI and MPICH).
 *
 * The gradient sum: MPI_Allreduce(MPI_SUM) adds in an order of the library's choosing, which
 * changed results at 4 processes. Instead each process gets one chunk of every shard's vector
 * (MPI_Ialltoall), adds the shards in shard order on the host, and the chunks are put
 * together again (MPI_Iallgather): the bytes a ring allreduce moves, and a sum that is the
 * one process's sum bit for bit. Every collective is non-blocking and polled against the
 * timeout; the first thing each batch exchanges is {step, stop}, so that all processes stop
 * after the same batch and a process at another step is an error, not a hang.
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "dist.h"

static struct {
    int joined, ended, rank, ranks, local_rank, local_ranks;
    double timeout;
    int (*local_stop)(void);
    struct clrnn_exchange ex;
    float *send, *recv; /* exchange buffers, grown as needed */
    size_t cap;
    char prog[64];
    const char *tool; /* the program's own name, for rank 0's reports about others */
    /* CLRNN_DIST_STATS: seconds in the exchange and between exchanges, for scale-out.md */
    double in_exchange, moving, first_entry, last_entry;
    long exchanges;
} d = {0, 0, 0, 1, 0, 1, 600.0, NULL, {0, 1, NULL, NULL, NULL}, NULL, NULL, 0, "", NULL, 0, 0, 0, 0, 0};

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A process that leaves without dist_end (an error, exit anywhere) takes the job with it:
 * the others would otherwise wait in their next collective. */
static void abort_unless_ended(void) {
    if (d.joined && !d.ended) MPI_Abort(MPI_COMM_WORLD, 1);
}

static int launched_by_mpi(void) {
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_RANK", "PMIX_RANK",
                                       "PMI_SIZE", NULL};
    for (int i = 0; vars[i]; i++)
        if (getenv(vars[i])) return 1;
    return 0;
}

/* Waits for a request, failing the job when the others have not answered within the
 * timeout (a process stalled or died without its launcher noticing). */
static void wait_for(MPI_Request *req, const char *what) {
    double start = now_seconds();
    struct timespec nap = {0, 50000};
    for (int spins = 0;; spins++) {
        int done = 0;
        MPI_Test(req, &done, MPI_STATUS_IGNORE);
        if (done) return;
        if (now_seconds() - start > d.timeout)
            cli_fail("no answer from the other processes within --dist-timeout %g s (%s): a "
                     "process stalled or died", d.timeout, what);
        if (spins > 100) nanosleep(&nap, NULL); /* oversubscribed cores: let the others run */
    }
}

int dist_start(double timeout) {
    d.timeout = timeout;
    if (!launched_by_mpi()) return 0;
    if (MPI_Init(NULL, NULL) != MPI_SUCCESS) cli_fail("MPI_Init failed");
    d.joined = 1;
    atexit(abort_unless_ended);
    MPI_Comm_rank(MPI_COMM_WORLD, &d.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &d.ranks);
    MPI_Comm node;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, d.rank, MPI_INFO_NULL, &node);
    MPI_Comm_rank(node, &d.local_rank);
    MPI_Comm_size(node, &d.local_ranks);
    MPI_Comm_free(&node);
    /* every message of this process names its rank */
    d.tool = cli_prog();
    snprintf(d.prog, sizeof d.prog, "%s: rank %d", d.tool, d.rank);
    cli_init(d.prog, "");
    return 1;
}

int dist_rank(void) { return d.rank; }
int dist_ranks(void) { return d.ranks; }

const char *dist_device(const char *given, char *buf, size_t size) {
    if (given || !d.joined) return given;
    struct clrnn_device_info *list;
    int n, gpus = 0, pick = -1;
    clrnn_status s = clrnn_devices_list(&list, &n);
    if (s) cli_fail_status(s);
    for (int i = 0; i < n; i++)
        if (list[i].is_gpu && gpus++ == d.local_rank) pick = list[i].index;
    clrnn_devices_free(list);
    if (pick < 0)
        cli_fail("%d processes on this node but %d GPU%s: one GPU a process, or give --device "
                 "to share one device", d.local_ranks, gpus, gpus == 1 ? "" : "s");
    snprintf(buf, size, "%d", pick);
    return buf;
}

static void bcast(void *data, long long bytes, const char *what) {
    for (long long done = 0; done < bytes;) { /* MPI counts are ints */
        int n = bytes - done > (1 << 30) ? 1 << 30 : (int)(bytes - done);
        MPI_Request req;
        MPI_Ibcast((char *)data + done, n, MPI_BYTE, 0, MPI_COMM_WORLD, &req);
        wait_for(&req, what);
        done += n;
    }
}

const char *dist_copy_from_rank0(const char *path, char *buf, size_t size) {
    size_t len = strlen(path);
    if (!d.joined || d.ranks == 1 || (len > 5 && strcmp(path + len - 5, ".json") == 0))
        return path;
    long long bytes = 0;
    char *data = NULL;
    if (d.rank == 0) {
        FILE *f = fopen(path, "rb");
        if (f && fseek(f, 0, SEEK_END) == 0) bytes = ftell(f);
        if (f && bytes > 0 && fseek(f, 0, SEEK_SET) == 0 && (data = malloc((size_t)bytes)) &&
            fread(data, 1, (size_t)bytes, f) != (size_t)bytes)
            bytes = -1;
        if (f) fclose(f);
        if (bytes <= 0 || !data) bytes = -1; /* the others read it themselves, and fail alike */
    }
    bcast(&bytes, sizeof bytes, "sending the --resume file");
    if (bytes < 0) return path;
    if (d.rank != 0 && !(data = malloc((size_t)bytes))) cli_fail("out of memory");
    bcast(data, bytes, "sending the --resume file");
    if (d.rank == 0) {
        free(data);
        return path;
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(buf, size, "%s/clrnn-resume.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    int fd = mkstemp(buf);
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    int ok = f && fwrite(data, 1, (size_t)bytes, f) == (size_t)bytes;
    if (f && fclose(f) != 0) ok = 0;
    free(data);
    if (!ok) cli_fail("%s: cannot keep rank 0's copy of --resume %s", buf, path);
    return buf;
}

void dist_copy_done(const char *used, const char *path) {
    if (used != path) unlink(used);
}

/* Every process's n values, gathered to all (rank-major). */
static uint64_t *gather(const uint64_t *mine, int n, const char *what) {
    uint64_t *all = malloc((size_t)n * (size_t)d.ranks * sizeof *all);
    if (!all) cli_fail("out of memory");
    MPI_Request req;
    MPI_Iallgather(mine, n, MPI_UINT64_T, all, n, MPI_UINT64_T, MPI_COMM_WORLD, &req);
    wait_for(&req, what);
    return all;
}

/* Rank 0 reports; the others wait for the end it brings (MPI_Abort at its exit). */
static _Noreturn void fail_from_rank0(const char *message) {
    if (d.rank == 0) {
        cli_init(d.tool, "");
        cli_fail("%s", message);
    }
    sleep((unsigned)d.timeout + 1);
    cli_fail("rank 0 did not end the job");
}

void dist_check_config(const struct dist_item *items, int n) {
    if (!d.joined) return;
    uint64_t *mine = malloc((size_t)n * sizeof *mine);
    if (!mine) cli_fail("out of memory");
    for (int i = 0; i < n; i++) mine[i] = items[i].value;
    uint64_t *all = gather(mine, n, "comparing the configuration at start");
    free(mine);
    for (int r = 1; r < d.ranks; r++)
        for (int i = 0; i < n; i++) {
            uint64_t theirs = all[(size_t)r * (size_t)n + (size_t)i], ours = all[i];
            if (theirs == ours) continue;
            char msg[300];
            if (items[i].is_number)
                snprintf(msg, sizeof msg, "rank %d: its %s %llu differs from rank 0's %llu", r,
                         items[i].what, (unsigned long long)theirs, (unsigned long long)ours);
            else
                snprintf(msg, sizeof msg, "rank %d: its %s differs from rank 0's", r,
                         items[i].what);
            free(all);
            fail_from_rank0(msg);
        }
    free(all);
}

void dist_check_weights(clrnn_model *m, int epoch) {
    if (!d.joined) return;
    size_t n = clrnn_model_param_count(m);
    float *w = malloc(n * sizeof *w);
    if (!w) cli_fail("out of memory");
    clrnn_status s = clrnn_model_get_params(m, w);
    if (s) cli_fail_status(s);
    uint64_t h = dist_hash(DIST_HASH_START, w, n * sizeof *w);
    free(w);
    uint64_t *all = gather(&h, 1, "comparing the weights after an epoch");
    for (int r = 1; r < d.ranks; r++)
        if (all[r] != all[0]) {
            char msg[200];
            snprintf(msg, sizeof msg, "rank %d: its weights differ from rank 0's after epoch "
                     "%d (the processes have diverged)", r, epoch + 1);
            free(all);
            fail_from_rank0(msg);
        }
    free(all);
}

int dist_agree_stop(int decision, int interrupted) {
    if (!d.joined) return decision || interrupted;
    int mine = (d.rank == 0 && decision) || interrupted, any = 0;
    MPI_Request req;
    MPI_Iallreduce(&mine, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD, &req);
    wait_for(&req, "agreeing to stop after an epoch");
    return any;
}

/* CLRNN_TEST_DIST_STALL=RANK:BATCH (tests only): that rank stops answering at that batch of
 * its first epoch, as a process stuck in a driver would. */
static void test_stall(int64_t batch) {
    const char *v = getenv("CLRNN_TEST_DIST_STALL");
    int r;
    long b;
    if (v && sscanf(v, "%d:%ld", &r, &b) == 2 && r == d.rank && b == batch)
        for (;;) sleep(60);
}

/* CLRNN_TEST_DIST_FAIL=RANK:BATCH (tests only): that rank fails there. */
static void test_fail(int64_t batch) {
    const char *v = getenv("CLRNN_TEST_DIST_FAIL");
    int r;
    long b;
    if (v && sscanf(v, "%d:%ld", &r, &b) == 2 && r == d.rank && b == batch)
        cli_fail("CLRNN_TEST_DIST_FAIL: failing at batch %ld", b + 1);
}

static void grow(size_t floats) {
    if (floats <= d.cap) return;
    free(d.send);
    free(d.recv);
    d.send = malloc(floats * sizeof(float));
    d.recv = malloc(floats * sizeof(float));
    if (!d.send || !d.recv) cli_fail("out of memory for the gradient exchange");
    d.cap = floats;
}

static int reduce(void *user, int epoch, int64_t batch, const float *local, int n_local,
                  size_t count, float *sum) {
    (void)user;
    double entered = now_seconds();
    if (d.exchanges++ == 0) d.first_entry = entered;
    d.last_entry = entered;
    char what[96];
    snprintf(what, sizeof what, "epoch %d, batch %lld", epoch + 1, (long long)batch + 1);
    test_stall(batch);
    test_fail(batch);
    /* {step, -step, stop}: the largest of each, so a process at another step shows */
    long long step = (long long)epoch << 32 | (long long)batch;
    long long ctl[3] = {step, -step, d.local_stop && d.local_stop() ? 1 : 0}, got[3];
    MPI_Request req;
    MPI_Iallreduce(ctl, got, 3, MPI_LONG_LONG, MPI_MAX, MPI_COMM_WORLD, &req);
    wait_for(&req, what);
    if (got[0] != step || -got[1] != step)
        cli_fail("the processes are at different batches at %s (different data or settings)",
                 what);
    double agreed = now_seconds(); /* the wait for the slowest process ends here */
    int N = d.ranks;
    size_t c = (count + (size_t)N - 1) / (size_t)N; /* each process sums one chunk */
    size_t per_rank = (size_t)n_local * c;
    grow(per_rank * (size_t)N + c + c * (size_t)N);
    float *mine = d.recv + per_rank * (size_t)N, *whole = d.send; /* reused after the send */
    for (int k = 0; k < N; k++)
        for (int j = 0; j < n_local; j++) {
            const float *v = local + (size_t)j * count;
            float *to = d.send + (size_t)k * per_rank + (size_t)j * c;
            size_t from = (size_t)k * c, n = from < count ? count - from : 0;
            if (n > c) n = c;
            memcpy(to, v + from, n * sizeof(float));
            memset(to + n, 0, (c - n) * sizeof(float));
        }
    MPI_Ialltoall(d.send, (int)per_rank, MPI_FLOAT, d.recv, (int)per_rank, MPI_FLOAT,
                  MPI_COMM_WORLD, &req);
    wait_for(&req, what);
    /* rank i's shards come before rank i+1's: this is shard order */
    memcpy(mine, d.recv, c * sizeof(float));
    for (size_t v = 1; v < (size_t)N * (size_t)n_local; v++)
        for (size_t i = 0; i < c; i++) mine[i] += d.recv[v * c + i];
    MPI_Iallgather(mine, (int)c, MPI_FLOAT, whole, (int)c, MPI_FLOAT, MPI_COMM_WORLD, &req);
    wait_for(&req, what);
    memcpy(sum, whole, count * sizeof(float));
    d.in_exchange += now_seconds() - entered;
    d.moving += now_seconds() - agreed;
    return got[2] ? 1 : 0;
}

/* The validation batches' metrics of every process, in batch order (each process's range as
 * clrnn_exchange.gather describes it). */
static int gather_validation(void *user, float *metrics, int64_t n, int width) {
    (void)user;
    int N = d.ranks, *counts = malloc((size_t)N * 2 * sizeof(int));
    if (!counts) cli_fail("out of memory");
    int *displs = counts + N;
    for (int r = 0; r < N; r++) {
        int64_t lo = n * r / N, hi = n * (r + 1) / N;
        displs[r] = (int)(width * lo);
        counts[r] = (int)(width * (hi - lo));
    }
    MPI_Request req;
    MPI_Iallgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, metrics, counts, displs, MPI_FLOAT,
                    MPI_COMM_WORLD, &req);
    wait_for(&req, "gathering the validation metrics");
    free(counts);
    return 0;
}

const struct clrnn_exchange *dist_exchange(int (*local_stop)(void)) {
    if (!d.joined) return NULL;
    d.local_stop = local_stop;
    d.ex.rank = d.rank;
    d.ex.ranks = d.ranks;
    d.ex.reduce = reduce;
    d.ex.gather = gather_validation;
    d.ex.user = NULL;
    return &d.ex;
}

void dist_end(void) {
    if (!d.joined || d.ended) return;
    if (getenv("CLRNN_DIST_STATS") && d.exchanges > 1)
        fprintf(stderr, "%s: %ld batches, %.3f ms a batch, %.3f ms of it in the exchange, "
                "%.3f ms of that moving and adding the gradient\n", d.prog, d.exchanges,
                1e3 * (d.last_entry - d.first_entry) / (double)(d.exchanges - 1),
                1e3 * d.in_exchange / (double)d.exchanges, 1e3 * d.moving / (double)d.exchanges);
    d.ended = 1;
    MPI_Finalize();
    free(d.send);
    free(d.recv);
}
