/*
 * strata.c - the strata command-line shell: argument handling, opening the
 * database, and either one command from argv or a read-eval loop over stdin.
 * Usage and rules: docs/SHELL.md.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "cli_args.h"
#include "cli_commands.h"
#include "cli_report.h"
#include "strata.h"

#define DEFAULT_DIR "./strata-data"

/* Exit statuses (docs/SHELL.md). */
#define STATUS_OK 0
#define STATUS_FAILED 1
#define STATUS_USAGE 2

static void usage(FILE *f) {
  fputs("usage: strata [DIR]                  open DIR (default " DEFAULT_DIR
        ") and run commands from stdin\n"
        "       strata DIR COMMAND [ARG...]   run one command and exit\n"
        "       strata --verify DIR           check every checksum of every file; exit 1 on damage\n"
        "       strata --sst-dump FILE [--entries]  print a table's properties (and entries)\n"
        "       strata --help | --version\n"
        "commands:\n",
        f);
  cli_commands_list(f, "  ");
  fputs(
      "exit status: 0 success, 1 a command failed, 2 usage error or the database could not be opened\n"
      "quoting and escapes (for commands read from stdin): see 'help' or docs/SHELL.md\n",
      f);
}

/* Runs the command in argv[0..argc-1], taken literally (the calling shell
 * has already done the quoting), except that a key argument starting with
 * '(' is a tuple. Returns the exit status. */
static int run_one(strata_db *db, size_t max_key_bytes, int argc, char **argv) {
  cli_arg *args = calloc((size_t)argc, sizeof *args);
  if (!args) {
    cli_error("out of memory");
    return STATUS_FAILED;
  }
  for (int i = 0; i < argc; i++) {
    args[i].data = argv[i];
    args[i].len = strlen(argv[i]); /* argv strings cannot hold a NUL */
    args[i].tuple = i > 0 && argv[i][0] == '(' && cli_command_key_arg(&args[0], (size_t)i - 1);
  }
  int r = cli_command_run(db, max_key_bytes, args, (size_t)argc);
  free(args);
  switch (r) {
    case CLI_OK:
    case CLI_QUIT: return STATUS_OK;
    case CLI_USAGE: return STATUS_USAGE;
    default: return STATUS_FAILED;
  }
}

/* Drops the line end ("\n" or "\r\n") from the len bytes of line. */
static size_t strip_newline(const char *line, size_t len) {
  if (len > 0 && line[len - 1] == '\n') len--;
  if (len > 0 && line[len - 1] == '\r') len--;
  return len;
}

/* 1 for a line with nothing to run: blank, or a '#' comment. */
static int is_ignored(const char *line, size_t len) {
  size_t i = 0;
  while (i < len && (line[i] == ' ' || line[i] == '\t')) i++;
  return i == len || line[i] == '#';
}

/*
 * Reads commands from stdin until EOF or quit. With a terminal on stdin it
 * greets and prompts, and exits 0 whatever the commands did; otherwise the
 * status is 1 if any line failed, else 0.
 */
static int run_shell(strata_db *db, size_t max_key_bytes, const char *dir) {
  int tty = isatty(STDIN_FILENO);
  int failed = 0;
  char *line = NULL;
  size_t cap = 0;
  cli_args args;
  char err[256];
  cli_args_init(&args);
  if (tty) printf("strata %s on %s; type 'help' for the commands, 'quit' to leave\n", STRATA_VERSION, dir);
  for (;;) {
    if (tty) {
      fputs("strata> ", stdout);
      fflush(stdout);
    }
    errno = 0;
    ssize_t n = getline(&line, &cap, stdin);
    if (n < 0) {
      if (ferror(stdin) || errno == ENOMEM) {
        cli_error("reading stdin: %s", strerror(errno ? errno : EIO));
        failed = 1;
      } else if (tty) {
        putchar('\n'); /* leave the user's shell prompt on a line of its own */
      }
      break;
    }
    size_t len = strip_newline(line, (size_t)n);
    if (is_ignored(line, len)) continue;
    if (cli_args_parse(&args, line, len, err, sizeof err) != 0) {
      cli_error("%s", err);
      failed = 1;
      continue;
    }
    int r = cli_command_run(db, max_key_bytes, args.v, args.n);
    if (r == CLI_QUIT) break;
    if (r != CLI_OK) failed = 1;
  }
  free(line);
  cli_args_free(&args);
  if (tty) return STATUS_OK;
  return failed ? STATUS_FAILED : STATUS_OK;
}

/* strata --verify DIR: every checksum of every file; exit 1 on damage. */
static int verify(int argc, char **argv) {
  if (argc != 1) {
    cli_error("--verify takes one directory: strata --verify DIR");
    return STATUS_USAGE;
  }
  int rc = strata_verify(argv[0], stdout);
  if (rc == STRATA_OK) return STATUS_OK;
  cli_lib_error(rc);
  return STATUS_FAILED;
}

/* strata --sst-dump FILE [--entries]: a table's properties (and entries). */
static int sst_dump(int argc, char **argv) {
  int entries = argc == 2 && strcmp(argv[1], "--entries") == 0;
  if (argc < 1 || argc > 2 || (argc == 2 && !entries)) {
    cli_error("--sst-dump takes a table file: strata --sst-dump FILE [--entries]");
    return STATUS_USAGE;
  }
  int rc = strata_sst_dump(argv[0], stdout, entries ? STRATA_DUMP_ENTRIES : 0);
  if (rc == STRATA_OK) return STATUS_OK;
  cli_lib_error(rc);
  return STATUS_FAILED;
}

int main(int argc, char **argv) {
  const char *dir = DEFAULT_DIR;
  if (argc >= 2) {
    const char *a = argv[1];
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(stdout);
      return STATUS_OK;
    }
    if (strcmp(a, "--version") == 0) {
      printf("strata %s\n", STRATA_VERSION);
      return STATUS_OK;
    }
    if (strcmp(a, "--verify") == 0) return verify(argc - 2, argv + 2);
    if (strcmp(a, "--sst-dump") == 0) return sst_dump(argc - 2, argv + 2);
    if (a[0] == '-' && a[1] != '\0') {
      cli_error("unknown option '%s' (try 'strata --help'; a directory named so can be given as ./%s)", a, a);
      return STATUS_USAGE;
    }
    dir = a;
  }

  /* The defaults, spelled out so that the shell knows the key limit that
   * tuple keys are checked against. */
  strata_options opts;
  strata_options_init(&opts);
  strata_db *db = NULL;
  int rc = strata_open(dir, &opts, &db);
  if (rc != STRATA_OK) {
    cli_lib_error(rc);
    return STATUS_USAGE;
  }
  int status = argc > 2 ? run_one(db, opts.max_key_bytes, argc - 2, argv + 2) : run_shell(db, opts.max_key_bytes, dir);
  rc = strata_close(db);
  if (rc != STRATA_OK) {
    cli_lib_error(rc);
    if (status == STATUS_OK) status = STATUS_FAILED;
  }
  if (fflush(stdout) != 0 || ferror(stdout)) {
    cli_error("writing stdout: %s", strerror(errno ? errno : EIO));
    if (status == STATUS_OK) status = STATUS_FAILED;
  }
  return status;
}
