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
#define PANEL_H 330
#define MARGIN 56

/* A round step for about `target` ticks over `range`: 1, 2 or 5 times a power of ten. */
static double round_step(double range, int target) {
    double raw = range / target, magnitude = pow(10, floor(log10(raw))), f = raw / magnitude;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * magnitude;
}

/* Decimals that show every multiple of step exactly (0.05: 2) */
static int step_decimals(double step) {
    int d = (int)-floor(log10(step) + 1e-9);
    return d > 0 ? d : 0;
}

/* One panel at x offset left: the series values[k][epoch] for k in [0, n_series), on round
 * ticks with a grid, each epoch's value marked (one epoch is a dot), the legend under it. */
static void panel(FILE *f, int left, const char *title, const double *const *values,
                  const char *const *names, const char *const *colors, int n_series, int epochs) {
    double lo = INFINITY, hi = -INFINITY;
    for (int k = 0; k < n_series; k++)
        for (int e = 0; e < epochs; e++)
            if (isfinite(values[k][e])) lo = fmin(lo, values[k][e]), hi = fmax(hi, values[k][e]);
    if (!isfinite(lo)) lo = 0, hi = 1;                      /* no value */
    if (!(hi > lo)) lo -= fmax(fabs(lo) * 0.05, 0.05), hi = 2 * hi - lo; /* one value */
    double step = round_step(hi - lo, 5);
    lo = floor(lo / step) * step, hi = ceil(hi / step) * step;
    int decimals = step_decimals(step);
    /* epochs counted from 1; a single one sits in the middle */
    double e_lo = epochs > 1 ? 1 : 0.5, e_hi = epochs > 1 ? epochs : 1.5;
    int x0 = left + MARGIN, y0 = 30, w = PANEL_W - MARGIN - 14, h = PANEL_H - 30 - 76;
#define PLOT_X(e) (x0 + (double)w * ((e) - e_lo) / (e_hi - e_lo))
#define PLOT_Y(v) (y0 + h - (double)h * ((v) - lo) / (hi - lo))
    fprintf(f, "<text x='%d' y='20' font-size='14' text-anchor='middle'>%s</text>\n",
            x0 + w / 2, title);
    for (int t = 0; lo + step * t <= hi + step * 1e-6; t++) { /* y ticks and grid */
        double v = lo + step * t, y = PLOT_Y(v);
        if (fabs(v) < step * 1e-6) v = 0; /* no "-0.000" */
        fprintf(f, "<line x1='%d' y1='%.1f' x2='%d' y2='%.1f' stroke='#ddd'/>\n", x0, y, x0 + w,
                y);
        fprintf(f, "<text x='%d' y='%.1f' font-size='10' text-anchor='end'>%.*f</text>\n",
                x0 - 4, y + 3, decimals, v);
    }
    int e_step = epochs > 10 ? (int)round_step(epochs - 1, 8) : 1;
    for (int e = 1; e <= epochs; e += e_step) { /* x ticks and grid */
        double x = PLOT_X(e);
        fprintf(f, "<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='#ddd'/>\n", x, y0, x,
                y0 + h);
        fprintf(f, "<text x='%.1f' y='%d' font-size='10' text-anchor='middle'>%d</text>\n", x,
                y0 + h + 14, e);
    }
    fprintf(f, "<rect x='%d' y='%d' width='%d' height='%d' fill='none' stroke='#888'/>\n", x0, y0,
            w, h);
    fprintf(f, "<text x='%d' y='%d' font-size='11' text-anchor='middle'>epoch</text>\n",
            x0 + w / 2, y0 + h + 30);
    for (int k = 0; k < n_series; k++) {
        fprintf(f, "<polyline fill='none' stroke='%s' stroke-width='2' points='", colors[k]);
        for (int e = 0; e < epochs; e++)
            if (isfinite(values[k][e]))
                fprintf(f, "%.1f,%.1f ", PLOT_X(e + 1), PLOT_Y(values[k][e]));
        fprintf(f, "'/>\n");
        for (int e = 0; e < epochs && epochs <= 50; e++)
            if (isfinite(values[k][e]))
                fprintf(f, "<circle cx='%.1f' cy='%.1f' r='2.5' fill='%s'/>\n", PLOT_X(e + 1),
                        PLOT_Y(values[k][e]), colors[k]);
        /* the legend: under the axis, beside each other */
        int lx = x0 + 120 * k, ly = y0 + h + 50;
        fprintf(f, "<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='%s' stroke-width='2'/>\n"
                   "<text x='%d' y='%d' font-size='11'>%s</text>\n",
                lx, ly, lx + 20, ly, colors[k], lx + 26, ly + 4, names[k]);
    }
#undef PLOT_X
#undef PLOT_Y
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
