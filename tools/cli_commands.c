/*
 * cli_commands.c - the shell's command table and the commands themselves:
 * each one a thin call into strata.h plus the printing of its result.
 */
#include "cli_commands.h"

#include <assert.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli_report.h"
#include "cli_tuple.h"

/* Runs one command on its arguments (the name excluded). A key written as a
 * tuple arrives encoded: its bytes are not followed by a NUL. */
typedef int (*cli_command_fn)(strata_db *db, const cli_arg *args, size_t nargs);

typedef struct cli_command {
  const char *name;
  size_t min_args;   /* arguments after the name: at least ... */
  size_t max_args;   /* ... and at most */
  unsigned keys;     /* bit i set: argument i is a key, which may be a tuple */
  const char *usage; /* the name and its arguments, as shown to the user */
  const char *help;  /* what it does, in one line */
  cli_command_fn run;
} cli_command;

static int print_property(strata_db *db, const char *name);

/* 1 when some byte of the n at p is outside printable ASCII (0x20..0x7e). */
static int has_binary(const void *p, size_t n) {
  const unsigned char *s = p;
  for (size_t i = 0; i < n; i++)
    if (s[i] < 0x20 || s[i] > 0x7e) return 1;
  return 0;
}

/*
 * Writes a key of a KEY VALUE line: as cli_write_token does, except that a
 * key holding bytes outside printable ASCII which is a tuple is written as
 * the tuple. Text is never shown as a tuple, though some text decodes as
 * one ("(" and ")" are tags of the encoding), so text keys print as before;
 * every tuple with a string or a small integer has a byte below 0x20.
 */
static void write_key(FILE *f, const void *k, size_t kl) {
  char err[160];
  if (has_binary(k, kl) && cli_tuple_write(f, k, kl, err, sizeof err) == 0) return;
  cli_write_token(f, k, kl);
}

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
  int64_t delta;
  if (cli_parse_i64(args[1].data, args[1].len, &delta) != 0)
    return bad_number("add", "add KEY N", "N", &args[1], "-9223372036854775808 to 9223372036854775807");
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
  if (cli_parse_decimal(args[1].data, args[1].len, 0, UINT64_MAX, &ts, &neg) != 0)
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
  puts("A key (KEY, FROM, TO, BEGIN, END, PREFIX) may be a tuple: (s:alice, u-:1700000000, i:-5), elements");
  puts("s: string, u: unsigned, i: signed 64-bit; s- u- i- sort descending. \"(...)\" is the text itself.");
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
    write_key(stdout, k, kl);
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

static int cmd_delrange(strata_db *db, const cli_arg *args, size_t nargs) {
  int rc = strata_delete_range(db, args[0].data, args[0].len, nargs >= 2 ? args[1].data : NULL,
                               nargs >= 2 ? args[1].len : 0);
  if (rc == STRATA_OK) puts("OK");
  return lib_result(rc);
}

static int cmd_delprefix(strata_db *db, const cli_arg *args, size_t nargs) {
  (void)nargs;
  /* The end of the prefix's range is never longer than the prefix. */
  void *end = malloc(args[0].len ? args[0].len : 1);
  size_t elen = 0;
  if (!end) {
    cli_error("out of memory");
    return CLI_FAILED;
  }
  int bounded = strata_prefix_end(args[0].data, args[0].len, end, &elen);
  int rc = bounded < 0 ? bounded
                       : strata_delete_range(db, args[0].data, args[0].len, bounded ? end : NULL, bounded ? elen : 0);
  free(end);
  if (rc == STRATA_OK) puts("OK");
  return lib_result(rc);
}

/* Prints one KEY VALUE line of a feed. */
static int print_feed_entry(void *arg, const void *key, size_t klen, const void *val, size_t vlen) {
  (void)arg;
  write_key(stdout, key, klen);
  putchar(' ');
  cli_write_token(stdout, val, vlen);
  putchar('\n');
  return 0;
}

static int cmd_feed(strata_db *db, const cli_arg *args, size_t nargs) {
  (void)nargs;
  uint64_t limit;
  int neg;
  if (cli_parse_decimal(args[1].data, args[1].len, 0, SIZE_MAX, &limit, &neg) != 0) {
    char range[64];
    snprintf(range, sizeof range, "0 (every key) to %zu", (size_t)SIZE_MAX);
    return bad_number("feed", "feed PREFIX N", "N", &args[1], range);
  }
  long long n = strata_scan_prefix(db, NULL, args[0].data, args[0].len, (size_t)limit, print_feed_entry, NULL);
  return lib_result(n < 0 ? (int)n : STRATA_OK);
}

static int cmd_tuple(strata_db *db, const cli_arg *args, size_t nargs) {
  (void)db, (void)nargs;
  char err[160];
  if (cli_tuple_write(stdout, args[0].data, args[0].len, err, sizeof err) != 0) {
    FILE *f = cli_error_start();
    fputs("tuple: ", f);
    cli_write_bytes(f, args[0].data, args[0].len);
    fprintf(f, ": %s\n", err);
    return CLI_FAILED;
  }
  putchar('\n');
  return CLI_OK;
}

#define K0 1u  /* the first argument is a key */
#define K01 3u /* the first two arguments are keys */

static const cli_command commands[] = {
    {"put", 2, 2, K0, "put KEY VALUE", "set KEY to VALUE", cmd_put},
    {"get", 1, 1, K0, "get KEY", "print the value of KEY, or (not found)", cmd_get},
    {"del", 1, 1, K0, "del KEY", "delete KEY (also when it is absent)", cmd_del},
    {"delrange", 1, 2, K01, "delrange BEGIN [END]", "delete every key in [BEGIN, END) (without END: to the last key)",
     cmd_delrange},
    {"delprefix", 1, 1, K0, "delprefix PREFIX", "delete every key that starts with PREFIX (one range delete)",
     cmd_delprefix},
    {"add", 2, 2, K0, "add KEY N", "add the integer N to the counter KEY", cmd_add},
    {"getint", 1, 1, K0, "getint KEY", "print the counter KEY as an integer, or (not found)", cmd_getint},
    {"latest", 3, 3, K0, "latest KEY TS VALUE", "write VALUE at time TS; KEY reads as the VALUE of the greatest TS",
     cmd_latest},
    {"getlatest", 1, 1, K0, "getlatest KEY", "print TS VALUE of the latest-wins value KEY, or (not found)",
     cmd_getlatest},
    {"append", 2, 2, K0, "append KEY ELEMENT", "append ELEMENT to the list KEY", cmd_append},
    {"list", 1, 1, K0, "list KEY", "print the elements of the list KEY, one per line, oldest first", cmd_list},
    {"scan", 0, 2, K01, "scan [FROM [TO]]", "print KEY VALUE for every key in [FROM, TO), in order", cmd_scan},
    {"count", 0, 2, K01, "count [FROM [TO]]", "count the keys in [FROM, TO)", cmd_count},
    {"feed", 2, 2, K0, "feed PREFIX N", "print KEY VALUE for the first N keys starting with PREFIX (0: all)", cmd_feed},
    {"tuple", 1, 1, K0, "tuple KEY", "print KEY decoded as a tuple, as in (s:alice, u-:1700000000)", cmd_tuple},
    {"flush", 0, 0, 0, "flush", "write the memtable to a table on disk", cmd_flush},
    {"compact", 0, 2, K01, "compact [FROM [TO]]", "compact the tables of [FROM, TO) one level deeper", cmd_compact},
    {"levels", 0, 0, 0, "levels", "print files and bytes per level (strata.levels)", cmd_levels},
    {"sstables", 0, 0, 0, "sstables", "print every live table (strata.sstables)", cmd_sstables},
    {"stats", 0, 0, 0, "stats", "print the counters of the database (strata.stats)", cmd_stats},
    {"help", 0, 0, 0, "help", "list the commands and the quoting rules", cmd_help},
    {"quit", 0, 0, 0, "quit", "leave the shell (so does end of input)", cmd_quit},
    {"exit", 0, 0, 0, "exit", "same as quit", cmd_quit},
};

#define CLI_NCOMMANDS (sizeof commands / sizeof commands[0])
#define CLI_MAX_ARGS 3 /* the most arguments any command takes */

static const cli_command *find_command(const cli_arg *name) {
  for (size_t i = 0; i < CLI_NCOMMANDS; i++) {
    /* Equal lengths keep a NUL inside the name from matching a prefix. */
    if (strlen(commands[i].name) == name->len && strncasecmp(commands[i].name, name->data, name->len) == 0)
      return &commands[i];
  }
  return NULL;
}

/* The name of argument i in cmd's usage ("KEY" of "put KEY VALUE"), into
 * buf. */
static const char *arg_name(const cli_command *cmd, size_t i, char *buf, size_t cap) {
  const char *p = cmd->usage + strlen(cmd->name);
  for (size_t k = 0;; k++) {
    while (*p == ' ' || *p == '[' || *p == ']') p++;
    size_t n = strcspn(p, " []");
    if (n == 0 || k == i) {
      snprintf(buf, cap, "%.*s", (int)n, p);
      return buf;
    }
    p += n;
  }
}

/*
 * Replaces the tuple arguments of args (in key positions) by their encoded
 * keys, built in tuples[i]; a tuple elsewhere is refused. Returns CLI_OK or
 * CLI_USAGE (the error printed).
 */
static int encode_tuples(const cli_command *cmd, cli_arg *args, size_t n, strata_tuple *tuples, size_t max_key_bytes) {
  char name[32], err[256];
  for (size_t i = 0; i < n; i++) {
    if (!args[i].tuple) continue;
    if (!(cmd->keys & (1u << i))) {
      cli_error("%s: %s cannot be a tuple, only keys can; quote it for the text, as in \"(...)\": %s", cmd->name,
                arg_name(cmd, i, name, sizeof name), cmd->usage);
      return CLI_USAGE;
    }
    tuples[i].max_len = max_key_bytes;
    if (cli_tuple_parse(args[i].data, args[i].len, &tuples[i], err, sizeof err) != 0) {
      FILE *f = cli_error_start();
      fprintf(f, "%s: %s: bad tuple ", cmd->name, arg_name(cmd, i, name, sizeof name));
      /* As typed; a long one is cut, the column in err still locates it. */
      fwrite(args[i].data, 1, args[i].len > 60 ? 50 : args[i].len, f);
      fprintf(f, "%s: %s\n", args[i].len > 60 ? "..." : "", err);
      return CLI_USAGE;
    }
    /* The empty tuple () is the empty key; "" keeps data non-NULL. */
    args[i].data = tuples[i].len > 0 ? (const char *)tuples[i].data : "";
    args[i].len = tuples[i].len;
    args[i].tuple = 0;
  }
  return CLI_OK;
}

int cli_command_run(strata_db *db, size_t max_key_bytes, const cli_arg *argv, size_t argc) {
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
  assert(n <= CLI_MAX_ARGS); /* every entry's max_args is at most that */
  cli_arg args[CLI_MAX_ARGS];
  strata_tuple tuples[CLI_MAX_ARGS];
  for (size_t i = 0; i < n; i++) {
    args[i] = argv[i + 1];
    strata_tuple_init(&tuples[i]);
  }
  int r = encode_tuples(cmd, args, n, tuples, max_key_bytes);
  if (r == CLI_OK) r = cmd->run(db, args, n);
  for (size_t i = 0; i < n; i++) strata_tuple_free(&tuples[i]);
  return r;
}

int cli_command_key_arg(const cli_arg *name, size_t i) {
  const cli_command *cmd = find_command(name);
  return cmd && i < cmd->max_args && (cmd->keys & (1u << i)) != 0;
}

void cli_commands_list(FILE *f, const char *indent) {
  for (size_t i = 0; i < CLI_NCOMMANDS; i++) fprintf(f, "%s%-20s %s\n", indent, commands[i].usage, commands[i].help);
}
