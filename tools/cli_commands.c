/*
 * cli_commands.c - the shell's command table and the commands themselves:
 * each one a thin call into strata.h plus the printing of its result.
 */
#include "cli_commands.h"

#include <inttypes.h>
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

/*
 * Reads arg as a decimal number: digits only (at least one, no blanks),
 * after an optional '-' or '+' when negative_ok. Sets *mag_out to its
 * magnitude and *neg_out to 1 for '-'. Returns 0, or -1 when arg is not
 * such a number or its magnitude is over max.
 */
static int parse_decimal(const cli_arg *arg, int negative_ok, uint64_t max, uint64_t *mag_out, int *neg_out) {
  const char *s = arg->data;
  size_t i = 0, n = arg->len;
  uint64_t v = 0;
  *mag_out = 0;
  *neg_out = 0;
  if (negative_ok && n > 0 && (s[0] == '-' || s[0] == '+')) {
    *neg_out = s[0] == '-';
    i = 1;
  }
  if (i == n) return -1;
  for (; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return -1;
    unsigned d = (unsigned)(s[i] - '0');
    if (v > (max - d) / 10) return -1;
    v = v * 10 + d;
  }
  *mag_out = v;
  return 0;
}

/* Reports an argument that is not a number in range: a usage error, so the
 * command writes nothing. */
static int bad_number(const char *cmd, const char *usage, const char *what, const cli_arg *arg, const char *range) {
  FILE *f = cli_error_start();
  fprintf(f, "%s: %s must be a decimal integer from %s, not '", cmd, what, range);
  cli_write_bytes(f, arg->data, arg->len);
  fprintf(f, "': %s\n", usage);
  return CLI_USAGE;
}

static int cmd_add(strata_db *db, const cli_arg *args, size_t nargs) {
  (void)nargs;
  uint64_t mag;
  int neg;
  /* Up to 2^63 so that -9223372036854775808 parses; a positive 2^63 is out. */
  if (parse_decimal(&args[1], 1, (uint64_t)INT64_MAX + 1, &mag, &neg) != 0 || (!neg && mag > (uint64_t)INT64_MAX))
    return bad_number("add", "add KEY N", "N", &args[1], "-9223372036854775808 to 9223372036854775807");
  /* mag - 1 fits int64 when mag is 2^63, so -2^63 comes out without overflow. */
  int64_t delta = neg && mag > 0 ? -(int64_t)(mag - 1) - 1 : (int64_t)mag;
  int rc = strata_add(db, args[0].data, args[0].len, delta);
  if (rc == STRATA_OK) puts("OK");
  return lib_result(rc);
}

static int cmd_getint(strata_db *db, const cli_arg *args, size_t nargs) {
  (void)nargs;
  int64_t v = 0;
  int rc = strata_get_int(db, args[0].data, args[0].len, &v);
  if (rc == STRATA_NOTFOUND) {
    puts("(not found)");
    return CLI_OK;
  }
  if (rc == STRATA_OK) printf("%" PRId64 "\n", v);
  return lib_result(rc);
}

static int cmd_latest(strata_db *db, const cli_arg *args, size_t nargs) {
  (void)nargs;
  uint64_t ts;
  int neg;
  if (parse_decimal(&args[1], 0, UINT64_MAX, &ts, &neg) != 0)
    return bad_number("latest", "latest KEY TS VALUE", "TS", &args[1], "0 to 18446744073709551615");
  int rc = strata_put_latest(db, args[0].data, args[0].len, args[2].data, args[2].len, ts);
  if (rc == STRATA_OK) puts("OK");
  return lib_result(rc);
}

static int cmd_getlatest(strata_db *db, const cli_arg *args, size_t nargs) {
  (void)nargs;
  void *val = NULL;
  size_t vlen = 0;
  uint64_t ts = 0;
  int rc = strata_get_latest(db, args[0].data, args[0].len, &val, &vlen, &ts);
  if (rc == STRATA_NOTFOUND) {
    puts("(not found)");
    return CLI_OK;
  }
  if (rc == STRATA_OK) {
    printf("%" PRIu64 " ", ts);
    cli_write_bytes(stdout, val, vlen);
    putchar('\n');
    strata_free(val);
  }
  return lib_result(rc);
}

static int cmd_append(strata_db *db, const cli_arg *args, size_t nargs) {
  (void)nargs;
  int rc = strata_append(db, args[0].data, args[0].len, args[1].data, args[1].len);
  if (rc == STRATA_OK) puts("OK");
  return lib_result(rc);
}

/* Prints the elements of an encoded list, one per line, after checking the
 * whole of it so that bytes that are not a list print only an error. */
static int print_list(const void *list, size_t len) {
  const void *e;
  size_t elen, pos = 0, at = 0, count = 0;
  int r;
  while ((r = strata_list_next(list, len, &pos, &e, &elen)) == 1) {
    count++;
    at = pos;
  }
  if (r != 0) {
    cli_error("%s: the value is not a list (bad element at byte %zu of %zu)", strata_strerror(r), at, len);
    return CLI_FAILED;
  }
  if (count == 0) puts("(empty list)");
  for (pos = 0; strata_list_next(list, len, &pos, &e, &elen) == 1;) {
    cli_write_bytes(stdout, e, elen);
    putchar('\n');
  }
  return CLI_OK;
}

static int cmd_list(strata_db *db, const cli_arg *args, size_t nargs) {
  (void)nargs;
  void *val = NULL;
  size_t vlen = 0;
  int rc = strata_get(db, args[0].data, args[0].len, &val, &vlen);
  if (rc == STRATA_NOTFOUND) {
    puts("(not found)");
    return CLI_OK;
  }
  if (rc != STRATA_OK) return lib_result(rc);
  int r = print_list(val, vlen);
  strata_free(val);
  return r;
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
  unsigned long long unreadable = 0;
  int rc = open_range(db, args, nargs, &it);
  if (rc) return lib_result(rc);
  for (; strata_iter_valid(it); strata_iter_next(it)) {
    size_t kl, vl;
    const void *k = strata_iter_key(it, &kl), *v = strata_iter_value(it, &vl);
    /* A key whose value cannot be read (STRATA_ETYPE) keeps the iterator
     * valid: mark it with more than two tokens, which no value line has. */
    int st = strata_iter_status(it);
    cli_write_token(stdout, k, kl);
    if (st != STRATA_OK) {
      printf(" (error) %s\n", strata_strerror(st));
      unreadable++;
      continue;
    }
    putchar(' ');
    cli_write_token(stdout, v, vl);
    putchar('\n');
  }
  int r = close_range(it);
  if (r == CLI_OK && unreadable > 0) {
    cli_error("scan: %llu key%s could not be read (marked (error) above)", unreadable, unreadable == 1 ? "" : "s");
    r = CLI_FAILED;
  }
  return r;
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
    {"add", 2, 2, "add KEY N", "add the integer N to the counter KEY", cmd_add},
    {"getint", 1, 1, "getint KEY", "print the counter KEY as an integer, or (not found)", cmd_getint},
    {"latest", 3, 3, "latest KEY TS VALUE", "write VALUE at time TS; KEY reads as the VALUE of the greatest TS",
     cmd_latest},
    {"getlatest", 1, 1, "getlatest KEY", "print TS VALUE of the latest-wins value KEY, or (not found)", cmd_getlatest},
    {"append", 2, 2, "append KEY ELEMENT", "append ELEMENT to the list KEY", cmd_append},
    {"list", 1, 1, "list KEY", "print the elements of the list KEY, one per line, oldest first", cmd_list},
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
