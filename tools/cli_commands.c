/*
 * cli_commands.c - the shell's command table and the commands themselves:
 * each one a thin call into strata.h plus the printing of its result.
 */
#include "cli_commands.h"

#include <string.h>
#include <strings.h>

#include "cli_report.h"

typedef int (*cli_command_fn)(strata_db *db, const cli_arg *args, size_t nargs);

typedef struct cli_command {
  const char *name;
  size_t min_args;   /* arguments after the name: at least ... */
  size_t max_args;   /* ... and at most */
  const char *usage; /* the name and its arguments, as shown to the user */
  const char *help;  /* what it does, in one line */
  cli_command_fn run;
} cli_command;

static int print_property(strata_db *db, const char *name);

/* A result from the library: CLI_OK, or the error reported. */
static int lib_result(int rc) {
  if (rc == STRATA_OK) return CLI_OK;
  cli_lib_error(rc);
  return CLI_FAILED;
}

static int cmd_put(strata_db *db, const cli_arg *args, size_t nargs) {
  (void)nargs;
  int rc = strata_put(db, args[0].data, args[0].len, args[1].data, args[1].len);
  if (rc == STRATA_OK) puts("OK");
  return lib_result(rc);
}

static int cmd_get(strata_db *db, const cli_arg *args, size_t nargs) {
  (void)nargs;
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

static int cmd_del(strata_db *db, const cli_arg *args, size_t nargs) {
  (void)nargs;
  int rc = strata_delete(db, args[0].data, args[0].len);
  if (rc == STRATA_OK) puts("OK");
  return lib_result(rc);
}

static int cmd_stats(strata_db *db, const cli_arg *args, size_t nargs) {
  (void)args, (void)nargs;
  return print_property(db, "strata.stats");
}

static int cmd_help(strata_db *db, const cli_arg *args, size_t nargs) {
  (void)nargs;
  (void)db;
  (void)args;
  cli_commands_list(stdout, "");
  puts("Arguments are separated by spaces. \"...\" quotes with the escapes \\\" \\\\ \\n \\r \\t \\0 \\xHH;");
  puts("'...' quotes literally; outside quotes a backslash escapes the next character.");
  return CLI_OK;
}

static int cmd_quit(strata_db *db, const cli_arg *args, size_t nargs) {
  (void)nargs;
  (void)db;
  (void)args;
  return CLI_QUIT;
}

/* An iterator over [args[0], args[1]) (either may be absent). */
static int open_range(strata_db *db, const cli_arg *args, size_t nargs, strata_iter **it_out) {
  strata_read_options ro;
  strata_read_options_init(&ro);
  if (nargs >= 1) {
    ro.lower = args[0].data;
    ro.lower_len = args[0].len;
  }
  if (nargs >= 2) {
    ro.upper = args[1].data;
    ro.upper_len = args[1].len;
  }
  int rc = strata_iter_new(db, &ro, it_out);
  if (rc == STRATA_OK) strata_iter_seek_first(*it_out);
  return rc;
}

/* Ends a walk: the iterator's error, if any, reported. */
static int close_range(strata_iter *it) {
  int rc = strata_iter_status(it);
  strata_iter_free(it);
  return lib_result(rc);
}

static int cmd_scan(strata_db *db, const cli_arg *args, size_t nargs) {
  strata_iter *it;
  int rc = open_range(db, args, nargs, &it);
  if (rc) return lib_result(rc);
  for (; strata_iter_valid(it); strata_iter_next(it)) {
    size_t kl, vl;
    const void *k = strata_iter_key(it, &kl), *v = strata_iter_value(it, &vl);
    cli_write_token(stdout, k, kl);
    putchar(' ');
    cli_write_token(stdout, v, vl);
    putchar('\n');
  }
  return close_range(it);
}

static int cmd_count(strata_db *db, const cli_arg *args, size_t nargs) {
  strata_iter *it;
  unsigned long long n = 0;
  int rc = open_range(db, args, nargs, &it);
  if (rc) return lib_result(rc);
  for (; strata_iter_valid(it); strata_iter_next(it)) n++;
  rc = strata_iter_status(it);
  if (rc == STRATA_OK) printf("%llu\n", n);
  return close_range(it);
}

/* Prints a property's text. */
static int print_property(strata_db *db, const char *name) {
  char *text = NULL;
  int rc = strata_property(db, name, &text);
  if (rc == STRATA_OK) {
    size_t len = strlen(text);
    fputs(text, stdout);
    if (len == 0 || text[len - 1] != '\n') putchar('\n');
    strata_free(text);
  }
  return lib_result(rc);
}

static int cmd_levels(strata_db *db, const cli_arg *args, size_t nargs) {
  (void)args, (void)nargs;
  return print_property(db, "strata.levels");
}

static int cmd_sstables(strata_db *db, const cli_arg *args, size_t nargs) {
  (void)args, (void)nargs;
  return print_property(db, "strata.sstables");
}

static int cmd_compact(strata_db *db, const cli_arg *args, size_t nargs) {
  int rc = strata_compact_range(db, nargs >= 1 ? args[0].data : NULL, nargs >= 1 ? args[0].len : 0,
                                nargs >= 2 ? args[1].data : NULL, nargs >= 2 ? args[1].len : 0);
  if (rc == STRATA_OK) puts("OK");
  return lib_result(rc);
}

static int cmd_flush(strata_db *db, const cli_arg *args, size_t nargs) {
  (void)args, (void)nargs;
  int rc = strata_flush(db);
  if (rc == STRATA_OK) puts("OK");
  return lib_result(rc);
}

static const cli_command commands[] = {
    {"put", 2, 2, "put KEY VALUE", "set KEY to VALUE", cmd_put},
    {"get", 1, 1, "get KEY", "print the value of KEY, or (not found)", cmd_get},
    {"del", 1, 1, "del KEY", "delete KEY (also when it is absent)", cmd_del},
    {"scan", 0, 2, "scan [FROM [TO]]", "print KEY VALUE for every key in [FROM, TO), in order", cmd_scan},
    {"count", 0, 2, "count [FROM [TO]]", "count the keys in [FROM, TO)", cmd_count},
    {"flush", 0, 0, "flush", "write the memtable to a table on disk", cmd_flush},
    {"compact", 0, 2, "compact [FROM [TO]]", "compact the tables of [FROM, TO) one level deeper", cmd_compact},
    {"levels", 0, 0, "levels", "print files and bytes per level (strata.levels)", cmd_levels},
    {"sstables", 0, 0, "sstables", "print every live table (strata.sstables)", cmd_sstables},
    {"stats", 0, 0, "stats", "print the counters of the database (strata.stats)", cmd_stats},
    {"help", 0, 0, "help", "list the commands and the quoting rules", cmd_help},
    {"quit", 0, 0, "quit", "leave the shell (so does end of input)", cmd_quit},
    {"exit", 0, 0, "exit", "same as quit", cmd_quit},
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
  size_t n = argc - 1;
  if (n < cmd->min_args || n > cmd->max_args) {
    if (cmd->max_args == 0)
      cli_error("%s takes no arguments: %s", cmd->name, cmd->usage);
    else if (cmd->min_args == cmd->max_args)
      cli_error("%s takes %zu argument%s: %s", cmd->name, cmd->max_args, cmd->max_args == 1 ? "" : "s", cmd->usage);
    else
      cli_error("%s takes %zu to %zu arguments: %s", cmd->name, cmd->min_args, cmd->max_args, cmd->usage);
    return CLI_USAGE;
  }
  return cmd->run(db, argv + 1, n);
}

void cli_commands_list(FILE *f, const char *indent) {
  for (size_t i = 0; i < CLI_NCOMMANDS; i++) fprintf(f, "%s%-15s %s\n", indent, commands[i].usage, commands[i].help);
}
