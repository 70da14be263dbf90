/*
 * cli_report.h - how the shell reports a failure: one line on stderr that
 * starts with "error: ", written after the output before it has been flushed
 * so that the two streams stay in order when they share a file.
 */
#ifndef STRATA_TOOLS_CLI_REPORT_H
#define STRATA_TOOLS_CLI_REPORT_H

#include <stdio.h>

/* Flushes stdout, writes "error: " to stderr and returns stderr, for a
 * message the caller finishes itself (ending it with a newline). */
FILE *cli_error_start(void);

/* Writes "error: " + the printf-formatted message + newline to stderr. */
__attribute__((format(printf, 1, 2))) void cli_error(const char *fmt, ...);

/* Reports the library result code rc (< 0) as
 * "error: <strata_strerror(rc)>: <strata_errmsg()>"; must be called before
 * the thread's next call into the library, which would replace the message. */
void cli_lib_error(int rc);

#endif /* STRATA_TOOLS_CLI_REPORT_H */
