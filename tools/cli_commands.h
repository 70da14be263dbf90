/*
 * cli_commands.h - the shell's commands: a static table of names, argument
 * counts and one-line help, and the dispatch of one parsed command line to
 * its entry. Commands print their output on stdout and report errors.
 */
#ifndef STRATA_TOOLS_CLI_COMMANDS_H
#define STRATA_TOOLS_CLI_COMMANDS_H

#include <stddef.h>
#include <stdio.h>

#include "cli_args.h"
#include "strata.h"

/* What running one command came to. */
enum {
  CLI_OK = 0,     /* done (a missing key is a result, so OK too) */
  CLI_FAILED = 1, /* the library reported an error; the message is printed */
  CLI_USAGE = 2,  /* unknown command or wrong arguments; the message is printed */
  CLI_QUIT = 3    /* quit / exit: the caller stops reading commands */
};

/*
 * Runs the command named by argv[0] (case-insensitive) with argv[1..argc-1]
 * as its arguments against db, which must be open. argc must be >= 1. An
 * argument with tuple = 1 in a key position (KEY, FROM, TO, BEGIN, END,
 * PREFIX) is built into a key of at most max_key_bytes (the limit db was
 * opened with); elsewhere, or malformed, it is a usage error. Output goes
 * to stdout and errors (one "error: ..." line) to stderr. Returns a CLI_*
 * value. Not thread-safe: it writes the process's stdio streams.
 */
int cli_command_run(strata_db *db, size_t max_key_bytes, const cli_arg *argv, size_t argc);

/* 1 when argument i (0 = the first after the name) of the command named
 * name is a key, so that it may be written as a tuple; else 0. */
int cli_command_key_arg(const cli_arg *name, size_t i);

/* Writes one line per command (usage and what it does) to f, each line
 * starting with indent. */
void cli_commands_list(FILE *f, const char *indent);

#endif /* STRATA_TOOLS_CLI_COMMANDS_H */
