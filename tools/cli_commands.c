/*
 * cli_commands.c - the shell's command table and the commands themselves:
 * each one a thin call into strata.h plus the printing of its result.
 */
#include "cli_commands.h"

#include <string.h>
#include <strings.h>

#include "cli_report.h"

typedef int (*cli_command_fn)(strata_db *db, const cli_arg *args);

typedef struct cli_command {
  const char *name;
  size_t nargs;      /* exact number of arguments after the name */
  const char *usage; /* the name and its arguments, as shown to the user */
  const char *help;  /* what it does, in one line */
  cli_command_fn run;
} cli_command;

/* A result from the library: CLI_OK, or the error reported. */
static int lib_result(int rc) {
  if (rc == STRATA_OK) return CLI_OK;
  cli_lib_error(rc);
  return CLI_FAILED;
}

static int cmd_put(strata_db *db, const cli_arg *args) {
  int rc = strata_put(db, args[0].data, args[0].len, args[1].data, args[1].len);
  if (rc == STRATA_OK) puts("OK");
  return lib_result(rc);
}

static int cmd_get(strata_db *db, const cli_arg *args) {
  void *val = NULL;
  size_t vlen = 0;
  int rc = strata_get(db, args[0].data, args[0].len, &val, &vlen);
  if (rc == STRATA_NOTFOUND) {
    puts("(not found)");
    return CLI_OK;
  }
  if (rc == STRATA_OK) {
    cli_write_bytes(stdout, val, vlen);
    putchar('\n');
    strata_free(val);
  }
  return lib_result(rc);
}

static int cmd_del(strata_db *db, const cli_arg *args) {
  int rc = strata_delete(db, args[0].data, args[0].len);
  if (rc == STRATA_OK) puts("OK");
  return lib_result(rc);
}

static int cmd_stats(strata_db *db, const cli_arg *args) {
  (void)args;
  char *text = NULL;
  int rc = strata_property(db, "strata.stats", &text);
  if (rc == STRATA_OK) {
    size_t len = strlen(text);
    fputs(text, stdout);
    if (len == 0 || text[len - 1] != '\n') putchar('\n');
    strata_free(text);
  }
  return lib_result(rc);
}

static int cmd_help(strata_db *db, const cli_arg *args) {
  (void)db;
  (void)args;
  cli_commands_list(stdout, "");
  puts("Arguments are separated by spaces. \"...\" quotes with the escapes \\\" \\\\ \\n \\r \\t \\0 \\xHH;");
  puts("'...' quotes literally; outside quotes a backslash escapes the next character.");
  return CLI_OK;
}

static int cmd_quit(strata_db *db, const cli_arg *args) {
  (void)db;
  (void)args;
  return CLI_QUIT;
}

static const cli_command commands[] = {
    {"put", 2, "put KEY VALUE", "set KEY to VALUE", cmd_put},
    {"get", 1, "get KEY", "print the value of KEY, or (not found)", cmd_get},
    {"del", 1, "del KEY", "delete KEY (also when it is absent)", cmd_del},
    {"stats", 0, "stats", "print the counters of the database (strata.stats)", cmd_stats},
    {"help", 0, "help", "list the commands and the quoting rules", cmd_help},
    {"quit", 0, "quit", "leave the shell (so does end of input)", cmd_quit},
    {"exit", 0, "exit", "same as quit", cmd_quit},
};

#define CLI_NCOMMANDS (sizeof commands / sizeof commands[0])

static const cli_command *find_command(const cli_arg *name) {
  for (size_t i = 0; i < CLI_NCOMMANDS; i++) {
    /* Equal lengths keep a NUL inside the name from matching a prefix. */
    if (strlen(commands[i].name) == name->len && strncasecmp(commands[i].name, name->data, name->len) == 0)
      return &commands[i];
  }
  return NULL;
}

int cli_command_run(strata_db *db, const cli_arg *argv, size_t argc) {
  const cli_command *cmd = find_command(&argv[0]);
  if (!cmd) {
    FILE *f = cli_error_start();
    fputs("unknown command '", f);
    cli_write_bytes(f, argv[0].data, argv[0].len);
    fputs("' (try 'help')\n", f);
    return CLI_USAGE;
  }
  if (argc - 1 != cmd->nargs) {
    if (cmd->nargs == 0)
      cli_error("%s takes no arguments: %s", cmd->name, cmd->usage);
    else
      cli_error("%s takes %zu argument%s: %s", cmd->name, cmd->nargs, cmd->nargs == 1 ? "" : "s", cmd->usage);
    return CLI_USAGE;
  }
  return cmd->run(db, argv + 1);
}

void cli_commands_list(FILE *f, const char *indent) {
  for (size_t i = 0; i < CLI_NCOMMANDS; i++) fprintf(f, "%s%-15s %s\n", indent, commands[i].usage, commands[i].help);
}
