/*
 * cli_guard.c - reading untrusted files in a child process (clrnn-info, clrnn-eval,
 * clrnn-generate, clrnn-train).
 *
 * libhdf5 1.10 crashes, hangs or runs out of memory inside itself on some hostile files
 * (tests/fuzz/findings/README.md); clrnn's calls into it are correct, so clrnn cannot prevent
 * it. cli_guard() forks at the start of main, before any file is read or device opened: the
 * child runs the tool and the parent only waits and passes on its exit status. While the child
 * reads a file (between cli_reading(path, ...) and cli_reading(NULL, 0)), a crash becomes one
 * line naming the file and exit 1 instead of a core dump, and reading for longer than the limit
 * given is taken for a hang: the child is killed and the line says so. Any other end of the
 * child is passed on as it is, its signal included.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "cli.h"

/* What the child is reading, in memory shared with the parent. */
struct guard_state {
    volatile sig_atomic_t reading;
    volatile double since, limit; /* seconds, CLOCK_MONOTONIC; limit 0: none */
    char path[2200];
};

static struct guard_state *state;
static volatile pid_t child;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void cli_reading(const char *path, double limit) {
    if (!state) return;
    state->reading = 0;
    if (!path) return;
    snprintf(state->path, sizeof state->path, "%s", path);
    state->since = now();
    state->limit = limit;
    state->reading = 1;
}

double cli_read_limit(const char *path) {
    struct stat st;
    double mb = stat(path, &st) == 0 ? (double)st.st_size / 1e6 : 0;
    return 20 + mb / 20; /* 20 s, and one more for every 20 MB: slow disks read faster */
}

/* Signals that mean the child crashed, rather than was stopped by someone. */
static int is_crash(int sig) {
    return sig == SIGSEGV || sig == SIGBUS || sig == SIGABRT || sig == SIGFPE ||
           sig == SIGILL || sig == SIGTRAP || sig == SIGSYS || sig == SIGKILL;
}

/* Ctrl-C and termination reach the child too, as they would the tool itself. */
static void forward(int sig) {
    if (child > 0) kill(child, sig);
}

void cli_guard(void) {
    state = mmap(NULL, sizeof *state, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (state == MAP_FAILED) {
        state = NULL; /* no guard: the tool runs as it is */
        return;
    }
    memset(state, 0, sizeof *state);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        munmap(state, sizeof *state);
        state = NULL;
        return;
    }
    if (pid == 0) {
#ifdef __linux__
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the parent */
#endif
        return;
    }
    child = pid;
    int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
    /* always forwarded: the child has the dispositions the tool started with (a background
     * job's ignored SIGINT stays ignored there) unless it sets its own, as clrnn-train's
     * Ctrl-C handler does */
    for (size_t i = 0; i < sizeof forwarded / sizeof *forwarded; i++)
        signal(forwarded[i], forward);
    int status = 0, hung = 0;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) break;
        if (r < 0 && errno != EINTR) exit(3);
        if (!hung && state->reading && state->limit > 0 && now() - state->since > state->limit) {
            hung = 1;
            kill(pid, SIGKILL);
        }
        nanosleep(&(struct timespec){0, 20 * 1000 * 1000}, NULL);
    }
    if (WIFEXITED(status)) exit(WEXITSTATUS(status));
    int sig = WTERMSIG(status);
    if (hung)
        cli_fail("%s: reading it did not end in %.0f s (a hang inside the HDF5 library): the "
                 "file is corrupt or hostile", state->path, state->limit);
    if (state->reading && is_crash(sig))
        cli_fail("%s: reading it crashed (%s) inside the HDF5 or zip library: the file is "
                 "corrupt or hostile", state->path, strsignal(sig));
    signal(sig, SIG_DFL); /* any other end, as the child had it */
    raise(sig);
    exit(128 + sig);
}

clrnn_status cli_load_model(clrnn_ctx *ctx, const char *model, const char *weights,
                            clrnn_model **out) {
    char what[2100];
    snprintf(what, sizeof what, "%s%s%s", model, weights ? " or " : "", weights ? weights : "");
    cli_reading(what, 0); /* no time limit: loading may build kernels */
    clrnn_status s = clrnn_model_load(ctx, model, weights, out);
    cli_reading(NULL, 0);
    return s;
}
