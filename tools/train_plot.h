/* train_plot.h - clrnn-train's per-epoch history and its SVG plot (train_plot.c). */
#ifndef CLRNN_TRAIN_PLOT_H
#define CLRNN_TRAIN_PLOT_H

/* The metrics of each epoch trained in this run (arrays of `epochs` values each). */
struct train_history {
    int epochs, has_accuracy, has_val;
    double *loss, *accuracy, *val_loss, *val_accuracy;
};

/* Writes the loss (and accuracy) of training and validation per epoch as an SVG file,
 * atomically; exits through cli.h on errors. */
void train_plot_write(const char *path, const struct train_history *h);

#endif
