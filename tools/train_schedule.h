/* train_schedule.h - clrnn-train's learning rate over training: --lr-schedule (Keras's
 * ExponentialDecay and CosineDecay, step by step in the library) and --reduce-lr-on-plateau
 * (Keras's ReduceLROnPlateau callback, epoch by epoch here). */
#ifndef CLRNN_TRAIN_SCHEDULE_H
#define CLRNN_TRAIN_SCHEDULE_H

#include "clrnn.h"

/* Parses --lr-schedule: "exponential_decay(decay_steps=N,decay_rate=R[,staircase=true])" or
 * "cosine_decay(decay_steps=N[,alpha=A][,warmup_target=LR,warmup_steps=N])" (Keras's class
 * names ExponentialDecay and CosineDecay too; initial_learning_rate=LR sets the starting
 * rate, else --lr or the optimizer's default does). A usage error on anything else. */
void lr_schedule_parse(const char *spec, struct clrnn_lr_schedule *out, double *initial_lr);

/* Keras's ReduceLROnPlateau(monitor, factor=0.1, patience=10, mode="auto", min_delta=1e-4,
 * cooldown=0, min_lr=0) and its state. */
struct reduce_lr {
    double factor, min_delta, min_lr;
    long patience, cooldown;
    int higher_is_better; /* monitoring an accuracy */
    int has_best;
    double best;
    long wait, cooldown_counter;
};
/* Whether a larger value of the monitored metric is better: every one but a loss (Keras's
 * mode "auto": accuracies, precision and recall go up). */
int monitor_higher_is_better(const char *monitor);
/* Parses --reduce-lr-on-plateau "factor=F,patience=N,min_delta=D,cooldown=N,min_lr=LR"
 * (each optional; "" takes Keras's defaults). */
void reduce_lr_parse(const char *spec, const char *monitor, struct reduce_lr *out);
/* After an epoch whose monitored metric is v, with the optimizer at lr: the rate for the
 * next epoch (lr itself when it stays). */
double reduce_lr_on_epoch(struct reduce_lr *r, double v, double lr);

#endif
