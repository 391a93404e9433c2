/* info_file.h - clrnn-info's `file` command (tools/info_file.c). */
#ifndef CLRNN_INFO_FILE_H
#define CLRNN_INFO_FILE_H
/* argv[0] is the first argument after "file"; returns the exit status or exits through
 * cli.h on errors. */
int info_file_main(int argc, char **argv);
#endif
