/* conversations.c - a conversation list sorted by the time of the last
 * message, newest first. The sort key is part of the key
 * (inbox, user, descending time, conversation), and keys never change in
 * place: a new message moves its conversation by deleting the old row and
 * inserting the new one, in one atomic batch. A second key per
 * conversation remembers its current time, so the old row can be found.
 * Usage: conversations DIR   (exits non-zero if a check fails) */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strata.h>

static int failures;

static void check(int ok, const char *what) {
  printf("  %s %s\n", ok ? "ok  " : "FAIL", what);
  if (!ok) failures++;
}

static void must(int rc, const char *what) {
  if (rc == STRATA_OK) return;
  fprintf(stderr, "%s: %s (%s)\n", what, strata_strerror(rc), strata_errmsg());
  exit(1);
}

#define MIDNIGHT 1699920000u /* 2023-11-14 00:00 UTC */
static uint64_t at(int hour, int minute) { return MIDNIGHT + 3600u * (unsigned)hour + 60u * (unsigned)minute; }

/* (s:inbox, s:user, u-:time, s:conv): one row of user's conversation list. */
static void row_key(strata_tuple *t, const char *user, uint64_t time, const char *conv) {
  strata_tuple_clear(t);
  must(strata_tuple_add_bytes(t, "inbox", 5), "tuple");
  must(strata_tuple_add_bytes(t, user, strlen(user)), "tuple");
  if (conv) {
    must(strata_tuple_add_u64_desc(t, time), "tuple");
    must(strata_tuple_add_bytes(t, conv, strlen(conv)), "tuple");
  }
}

/* (s:conv, s:user, s:conv): the time of the conversation's row, in decimal. */
static void time_key(strata_tuple *t, const char *user, const char *conv) {
  strata_tuple_clear(t);
  must(strata_tuple_add_bytes(t, "conv", 4), "tuple");
  must(strata_tuple_add_bytes(t, user, strlen(user)), "tuple");
  must(strata_tuple_add_bytes(t, conv, strlen(conv)), "tuple");
}

/* A message in conversation conv of user at time: the conversation moves
 * to the top of the list. One writer per user's list is assumed (the old
 * time is read, then the batch written). */
static void message(strata_db *db, const char *user, const char *conv, uint64_t time, const char *text) {
  strata_tuple tk, old_row, new_row;
  strata_tuple_init(&tk);
  strata_tuple_init(&old_row);
  strata_tuple_init(&new_row);
  time_key(&tk, user, conv);
  row_key(&new_row, user, time, conv);

  strata_batch *b = strata_batch_new();
  if (!b) must(STRATA_ENOMEM, "batch");
  void *val;
  size_t len;
  int rc = strata_get(db, tk.data, tk.len, &val, &len);
  if (rc == STRATA_OK) {
    uint64_t old = strtoull(val, NULL, 10); /* strata_get NUL-terminates */
    strata_free(val);
    row_key(&old_row, user, old, conv);
    must(strata_batch_delete(b, old_row.data, old_row.len), "batch delete"); /* the tombstone */
  } else if (rc != STRATA_NOTFOUND) {
    must(rc, "get");
  }
  char when[24];
  snprintf(when, sizeof when, "%" PRIu64, time);
  must(strata_batch_put(b, new_row.data, new_row.len, text, strlen(text)), "batch put");
  must(strata_batch_put(b, tk.data, tk.len, when, strlen(when)), "batch put");
  must(strata_write(db, b, 0), "write"); /* all three or none */
  strata_batch_free(b);
  strata_tuple_free(&tk);
  strata_tuple_free(&old_row);
  strata_tuple_free(&new_row);
}

/* The list as read: conversation ids, newest first, joined by spaces. */
typedef struct listing {
  char convs[256];
  int rows;
} listing;

static int add_row(void *arg, const void *key, size_t klen, const void *val, size_t vlen) {
  listing *l = arg;
  strata_tuple_elem e;
  size_t pos = 0;
  char buf[64], conv[64] = "?";
  uint64_t time = 0;
  /* inbox, user, time, conversation */
  for (int i = 0; strata_tuple_next(key, klen, &pos, &e, buf, sizeof buf - 1) == 1; i++) {
    if (i == 2) time = e.u;
    if (i == 3) snprintf(conv, sizeof conv, "%.*s", (int)e.len, buf);
  }
  unsigned minutes = (unsigned)((time - MIDNIGHT) / 60);
  printf("  %02u:%02u  %-5s  %.*s\n", minutes / 60, minutes % 60, conv, (int)vlen, (const char *)val);
  size_t used = strlen(l->convs);
  snprintf(l->convs + used, sizeof l->convs - used, "%s%s", used ? " " : "", conv);
  l->rows++;
  return 0;
}

static void list(strata_db *db, const char *user, listing *l) {
  strata_tuple prefix;
  strata_tuple_init(&prefix);
  row_key(&prefix, user, 0, NULL); /* (s:inbox, s:user): the whole list */
  memset(l, 0, sizeof *l);
  printf("%s's conversations:\n", user);
  long long n = strata_scan_prefix(db, NULL, prefix.data, prefix.len, 10, add_row, l);
  if (n < 0) must((int)n, "scan_prefix");
  strata_tuple_free(&prefix);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  strata_db *db;
  listing l;
  must(strata_open(argv[1], NULL, &db), "open");

  message(db, "alice", "work", at(8, 0), "standup at 10");
  message(db, "alice", "carol", at(8, 30), "see you tmrw");
  message(db, "alice", "bob", at(9, 30), "lunch?");
  must(strata_flush(db), "flush"); /* the rows are now in an immutable table */
  list(db, "alice", &l);
  check(strcmp(l.convs, "bob carol work") == 0, "newest first: bob, carol, work");

  printf("bob writes at 09:42: his conversation moves to the top\n");
  message(db, "alice", "bob", at(9, 42), "hey what's up?");
  list(db, "alice", &l);
  check(strcmp(l.convs, "bob carol work") == 0 && l.rows == 3, "still three rows: the 09:30 row is deleted");

  printf("work writes at 10:05\n");
  message(db, "alice", "work", at(10, 5), "standup moved to 11");
  list(db, "alice", &l);
  check(strcmp(l.convs, "work bob carol") == 0 && l.rows == 3, "work moved above bob");

  printf("compaction drops the old rows and their tombstones; a reopen changes nothing\n");
  must(strata_compact_range(db, NULL, 0, NULL, 0), "compact");
  must(strata_close(db), "close");
  must(strata_open(argv[1], NULL, &db), "reopen");
  list(db, "alice", &l);
  check(strcmp(l.convs, "work bob carol") == 0 && l.rows == 3, "the same list after compaction and reopen");

  must(strata_close(db), "close");
  printf("conversations: %s\n", failures ? "FAILED" : "all checks passed");
  return failures ? 1 : 0;
}
