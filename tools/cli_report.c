/*
 * cli_report.c - the shell's error lines on stderr, kept in order with the
 * command output on stdout.
 */
#include "cli_report.h"

#include <stdarg.h>

#include "strata.h"

FILE *cli_error_start(void) {
  fflush(stdout);
  fputs("error: ", stderr);
  return stderr;
}

void cli_error(const char *fmt, ...) {
  FILE *f = cli_error_start();
  va_list ap;
  va_start(ap, fmt);
  vfprintf(f, fmt, ap);
  va_end(ap);
  putc('\n', f);
}

void cli_lib_error(int rc) {
  const char *detail = strata_errmsg();
  if (detail[0] != '\0')
    cli_error("%s: %s", strata_strerror(rc), detail);
  else
    cli_error("%s", strata_strerror(rc));
}
