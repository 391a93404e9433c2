/*
 * train_plot.c - clrnn-train --plot: the per-epoch loss and accuracy of training and
 * validation as an SVG file (two panels, like the matplotlib plots of Keras tutorials),
 * plain SVG 1.1 that any browser shows. Written to a temporary name, then renamed.
 */
#include <math.h>
#include <stdio.h>

#include "cli.h"
#include "train_plot.h"

#define PANEL_W 420
#define PANEL_H 300
#define MARGIN 50

/* One panel at x offset left: the series values[k][epoch] for k in [0, n_series). */
static void panel(FILE *f, int left, const char *title, const double *const *values,
                  const char *const *names, const char *const *colors, int n_series, int epochs) {
    double lo = INFINITY, hi = -INFINITY;
    for (int k = 0; k < n_series; k++)
        for (int e = 0; e < epochs; e++)
            if (isfinite(values[k][e])) lo = fmin(lo, values[k][e]), hi = fmax(hi, values[k][e]);
    if (!(hi > lo)) lo -= 0.5, hi += 0.5; /* one value, or none */
    double pad = (hi - lo) * 0.05;
    lo -= pad, hi += pad;
    int x0 = left + MARGIN, y0 = 30, w = PANEL_W - MARGIN - 10, h = PANEL_H - 30 - 40;
    fprintf(f, "<text x='%d' y='20' font-size='14' text-anchor='middle'>%s</text>\n",
            x0 + w / 2, title);
    fprintf(f, "<rect x='%d' y='%d' width='%d' height='%d' fill='none' stroke='#888'/>\n", x0, y0,
            w, h);
    for (int t = 0; t <= 4; t++) { /* y ticks */
        double v = lo + (hi - lo) * t / 4;
        int y = y0 + h - (int)(h * t / 4);
        fprintf(f, "<text x='%d' y='%d' font-size='10' text-anchor='end'>%.3g</text>\n", x0 - 4,
                y + 3, v);
    }
    int step = epochs > 10 ? (epochs + 9) / 10 : 1;
    for (int e = 0; e < epochs; e += step) { /* x ticks: epochs counted from 1 */
        int x = x0 + (epochs > 1 ? (int)((double)w * e / (epochs - 1)) : w / 2);
        fprintf(f, "<text x='%d' y='%d' font-size='10' text-anchor='middle'>%d</text>\n", x,
                y0 + h + 14, e + 1);
    }
    fprintf(f, "<text x='%d' y='%d' font-size='11' text-anchor='middle'>epoch</text>\n",
            x0 + w / 2, y0 + h + 30);
    for (int k = 0; k < n_series; k++) {
        fprintf(f, "<polyline fill='none' stroke='%s' stroke-width='2' points='", colors[k]);
        for (int e = 0; e < epochs; e++) {
            if (!isfinite(values[k][e])) continue;
            double x = x0 + (epochs > 1 ? (double)w * e / (epochs - 1) : w / 2.0);
            double y = y0 + h - h * (values[k][e] - lo) / (hi - lo);
            fprintf(f, "%.1f,%.1f ", x, y);
        }
        fprintf(f, "'/>\n<text x='%d' y='%d' font-size='11' fill='%s'>%s</text>\n", x0 + 8,
                y0 + 14 + 13 * k, colors[k], names[k]);
    }
}

void train_plot_write(const char *path, const struct train_history *h) {
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) cli_fail("%s: cannot write the plot", path);
    int panels = h->has_accuracy ? 2 : 1;
    fprintf(f, "<?xml version='1.0' encoding='UTF-8'?>\n"
               "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' "
               "font-family='sans-serif'>\n<rect width='100%%' height='100%%' fill='white'/>\n",
            PANEL_W * panels, PANEL_H);
    static const char *const colors[] = {"#1f77b4", "#ff7f0e"};
    const char *loss_names[] = {"loss", "val_loss"}, *acc_names[] = {"accuracy", "val_accuracy"};
    const double *loss[] = {h->loss, h->val_loss}, *acc[] = {h->accuracy, h->val_accuracy};
    int series = h->has_val ? 2 : 1;
    panel(f, 0, "loss", loss, loss_names, colors, series, h->epochs);
    if (h->has_accuracy) panel(f, PANEL_W, "accuracy", acc, acc_names, colors, series, h->epochs);
    fprintf(f, "</svg>\n");
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        remove(tmp);
        cli_fail("%s: writing the plot failed", path);
    }
}
