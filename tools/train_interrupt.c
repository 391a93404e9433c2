/*
 * train_interrupt.c - Ctrl-C in clrnn-train, as a Keras user expects of fit(): the first
 * stops training after the current batch and the model is saved; a second stops now, yet
 * never in the middle of writing a file (the last checkpoint stays whole and no temporary
 * file is left). Exit status 130 either way.
 *
 * sigaction without SA_RESETHAND: signal() under -std=c11 is one-shot, so a second Ctrl-C
 * used to kill the tool where it stood. SA_RESTART: the file writes the handler interrupts
 * go on rather than fail with EINTR.
 */
#include "train_interrupt.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static volatile sig_atomic_t training, presses, writing, stop_now;
/* the handler's messages, made before it can run (snprintf is not async-signal-safe) */
static char before_training[200], stopping[200], waiting[200], stopped[200];

static void say(const char *text) {
    ssize_t ignored = write(STDERR_FILENO, text, strlen(text));
    (void)ignored;
}

static void on_sigint(int sig) {
    cli_guard_count(sig);
    if (!training) {
        say(before_training);
        _exit(130);
    }
    if (presses++ == 0) {
        say(stopping);
        return;
    }
    if (writing) {
        stop_now = 1;
        say(waiting);
        return;
    }
    say(stopped);
    _exit(130);
}

/* sigaction, not signal(): under -std=c11 signal() resets the handler after one signal */
static void handle_as_ctrl_c(int sig) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

void interrupt_install(void) {
    /* on a terminal the cursor may stand after the progress bar or the echoed ^C */
    const char *lead = isatty(STDERR_FILENO) ? "\n" : "";
    const char *prog = cli_prog();
    snprintf(before_training, sizeof before_training,
             "%s%s: interrupted before training began; nothing saved\n", lead, prog);
    snprintf(stopping, sizeof stopping,
             "%s%s: stopping after this batch, then saving (Ctrl-C again: stop now)\n", lead,
             prog);
    snprintf(waiting, sizeof waiting, "%s%s: stopping once the file being written is whole\n",
             lead, prog);
    snprintf(stopped, sizeof stopped,
             "%s%s: stopped; the last checkpoint is as the last whole epoch left it\n", lead,
             prog);
    handle_as_ctrl_c(SIGINT);
}

/* Under mpirun: a Ctrl-C reaches the processes as SIGTERM (then SIGKILL a second later). */
void interrupt_also_on_sigterm(void) { handle_as_ctrl_c(SIGTERM); }

void interrupt_training_begins(void) { training = 1; }

int interrupt_requested(void) { return presses > 0; }

void interrupt_writing_begins(void) { writing = 1; }

void interrupt_writing_ends(void) {
    writing = 0;
    if (stop_now) {
        say(stopped);
        _exit(130);
    }
}
