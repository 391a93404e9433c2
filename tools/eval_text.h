/* eval_text.h - clrnn-eval's scoring of raw text (tools/eval_text.c). */
#ifndef CLRNN_EVAL_TEXT_H
#define CLRNN_EVAL_TEXT_H
#include "clrnn.h"
/* Scores each line with m, printing one line per line of text (json: one JSON object);
 * exits through cli.h on errors (no vocabulary, input that is not token ids, text that is
 * not UTF-8, a character not in the vocabulary). */
void eval_text_lines(clrnn_model *m, const char *model, char **lines, int n_lines, int json);
#endif
