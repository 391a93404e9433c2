/*
 * train_bar.c - the progress bar of clrnn-train on a terminal, as Keras's: the epoch first,
 * then the batches done, the bar, the time left and the running metrics. The line is fitted
 * to the terminal's width (one column spare: writing the last one wraps on some terminals),
 * so that redrawing it with a carriage return never leaves broken lines behind: the bar
 * shrinks first, then samples/s goes, then the line is cut.
 */
#include "train_bar.h"

#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define BAR_MAX 30
#define BAR_MIN 10

static int terminal_columns(void) {
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
    const char *env = getenv("COLUMNS");
    int columns = env ? atoi(env) : 0;
    return columns > 0 ? columns : 80;
}

static void format_eta(double s, char *buf, size_t n) {
    if (s >= 3600) snprintf(buf, n, "%d:%02d:%02d", (int)s / 3600, ((int)s % 3600) / 60, (int)s % 60);
    else if (s >= 60) snprintf(buf, n, "%d:%02d", (int)s / 60, (int)s % 60);
    else snprintf(buf, n, "%ds", (int)s);
}

void train_bar_draw(const struct clrnn_progress *p) {
    int room = terminal_columns() - 1;
    char head[64], eta[32], metrics[256], rate[48];
    snprintf(head, sizeof head, "Epoch %d/%d %lld/%lld ", p->epoch + 1, p->epochs,
             (long long)p->batch, (long long)p->batches);
    format_eta(p->batch ? p->seconds / (double)p->batch * (double)(p->batches - p->batch) : 0,
               eta, sizeof eta);
    int n = snprintf(metrics, sizeof metrics, " - ETA: %s - loss: %.4f", eta, p->loss);
    if (p->has_accuracy)
        n += snprintf(metrics + n, sizeof metrics - (size_t)n, " - accuracy: %.4f", p->accuracy);
    cli_metrics_text(&p->more, "", metrics + n, sizeof metrics - (size_t)n);
    snprintf(rate, sizeof rate, " - %.0f samples/s",
             p->seconds > 0 ? (double)p->samples / p->seconds : 0.0);
    int fixed = (int)(strlen(head) + strlen(metrics)) + 2; /* 2: the brackets */
    int width = room - fixed - (int)strlen(rate);
    if (width < BAR_MIN) rate[0] = '\0', width = room - fixed;
    if (width > BAR_MAX) width = BAR_MAX;
    if (width < BAR_MIN) width = BAR_MIN;
    char bar[BAR_MAX + 1];
    int done = (int)(width * p->batch / (p->batches > 0 ? p->batches : 1));
    for (int i = 0; i < width; i++) bar[i] = i < done ? '=' : (i == done ? '>' : '.');
    if (done >= width) bar[width - 1] = '=';
    bar[width] = '\0';
    char line[512];
    snprintf(line, sizeof line, "%s[%s]%s%s", head, bar, metrics, rate);
    if ((int)strlen(line) > room && room > 0) line[room] = '\0'; /* a very narrow terminal */
    printf("\r%s\033[K", line); /* \033[K: what a longer line left there before */
    fflush(stdout);
}
