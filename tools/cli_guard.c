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
 *
 * Signals meant to stop the tool (Ctrl-C, termination) reach the child exactly once. Parent
 * and child share a process group, so a terminal's Ctrl-C, or kill to the group, reaches both
 * already: the parent passes on only what was sent to it alone. A signal from the terminal
 * (SI_KERNEL) is the group's; one sent by a process is passed on unless the child got one too
 * at about the same time, which the child's handler notes (cli_guard_count), or has it
 * pending (/proc). (Not "from the same sender": LLVM, inside the OpenCL compiler, catches
 * SIGINT first in the child and raises it again from there.)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
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
    volatile double seen_at[4]; /* per signal of `forwarded`: when the child's handler last ran */
    volatile double since, limit; /* seconds, CLOCK_MONOTONIC; limit 0: none */
    char path[2200];
};

static struct guard_state *state;
static volatile pid_t child;
static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
#define N_FORWARDED (int)(sizeof forwarded / sizeof *forwarded)
/* in the parent: per signal of `forwarded`, one sent to it by a process and not settled yet,
 * and when it came */
static volatile sig_atomic_t arrived[N_FORWARDED];
static volatile double arrived_at[N_FORWARDED];

static double now(void);

static int forwarded_index(int sig) {
    for (int k = 0; k < N_FORWARDED; k++)
        if (forwarded[k] == sig) return k;
    return -1;
}

void cli_guard_count(int sig) {
    int k = forwarded_index(sig);
    if (state && k >= 0) state->seen_at[k] = now();
}

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

/* The terminal's signals went to the whole foreground group, the child included; what a
 * process sent is settled in the waiting loop (settle). */
static void on_signal(int sig, siginfo_t *info, void *context) {
    (void)context;
    int k = forwarded_index(sig);
    if (k < 0 || !info || info->si_code == SI_KERNEL || info->si_pid == child) return;
    arrived_at[k] = now();
    arrived[k] = 1;
}

/* 1 when sig waits in the child's pending set (Linux /proc; 0 where that cannot be read). */
static int pending_in_child(pid_t pid, int sig) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    int pending = 0;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "ShdPnd:", 7) == 0 || strncmp(line, "SigPnd:", 7) == 0)
            pending |= (int)((strtoull(line + 7, NULL, 16) >> (sig - 1)) & 1);
    fclose(f);
    return pending;
}

/* Passes on a signal sent to the parent alone. Kill to a group queues it on every member at
 * once, but the child's handler may run a little later on a busy machine: the child got it
 * when its handler ran within a second of the parent's, or when it is pending there. */
static void settle(pid_t pid) {
    for (int k = 0; k < N_FORWARDED; k++) {
        if (!arrived[k]) continue;
        double at = arrived_at[k];
        int got = fabs(state->seen_at[k] - at) < 1.0;
        if (!got && now() - at < 0.1) continue;
        arrived[k] = 0;
        if (!got && !pending_in_child(pid, forwarded[k])) kill(pid, forwarded[k]);
    }
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
    /* the parent never stops on these: the child decides (it has the dispositions the tool
     * started with, a background job's ignored SIGINT included, unless it sets its own, as
     * clrnn-train's Ctrl-C handler does); no SA_RESETHAND, so every one is seen */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    for (int k = 0; k < N_FORWARDED; k++) sigaction(forwarded[k], &sa, NULL);
    int status = 0, hung = 0;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) break;
        if (r < 0 && errno != EINTR) exit(3);
        settle(pid);
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
