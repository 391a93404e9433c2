/* train_interrupt.h - Ctrl-C in clrnn-train (train_interrupt.c). */
#ifndef CLRNN_TRAIN_INTERRUPT_H
#define CLRNN_TRAIN_INTERRUPT_H

/* Installs the SIGINT handler, first thing in main (after cli_guard). Until
 * interrupt_training_begins() a Ctrl-C ends the tool at once: there is nothing to save. */
void interrupt_install(void);
void interrupt_training_begins(void);
/* The same for SIGTERM, which mpirun sends its processes for a Ctrl-C. */
void interrupt_also_on_sigterm(void);
/* 1 once Ctrl-C was pressed: stop after the current batch, then save. */
int interrupt_requested(void);
/* Around every file written (checkpoint, model, plot): a second Ctrl-C ("stop now") ends the
 * tool at once, but not in the middle of a write; it then ends when the write is whole. */
void interrupt_writing_begins(void);
void interrupt_writing_ends(void);

#endif
