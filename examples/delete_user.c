/* delete_user.c - deleting a user's whole partition at once. Every event of
 * a user lives under the tuple prefix (s:user); strata_prefix_end gives the
 * end of that range, and one strata_delete_range hides all of it with a
 * single small write, however many keys it holds. Compaction then removes
 * the data from disk.
 * Usage: delete_user DIR   (exits non-zero if a check fails) */
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

/* Users and their event counts. alice_b's name starts with "alice", but
 * tuple strings are self-delimiting: her partition is not inside alice's. */
static const char *const users[] = {"alice", "alice_b", "bob", "carol"};
static const int events[] = {400, 20, 30, 30};
#define N_USERS 4

/* Sums the entries and tombstones of the live tables, from the lines of
 * strata.sstables ("..., seq A..B, E entries, T tombstones"). */
static void table_counts(strata_db *db, unsigned long long *entries, unsigned long long *tombstones) {
  char *text;
  must(strata_property(db, "strata.sstables", &text), "property");
  *entries = *tombstones = 0;
  for (char *line = text; *line;) {
    char *end = strchr(line, '\n');
    if (!end) end = line + strlen(line);
    char *seq = NULL; /* the last ", seq " of the line: keys come before it */
    for (char *p = line; (p = strstr(p, ", seq ")) && p < end; p++) seq = p;
    unsigned long long lo, hi, e, t;
    if (seq && sscanf(seq, ", seq %llu..%llu, %llu entries, %llu tombstones", &lo, &hi, &e, &t) == 4) {
      *entries += e;
      *tombstones += t;
    }
    line = *end ? end + 1 : end;
  }
  strata_free(text);
}

/* The prefix (s:user) of a user's partition. */
static void user_prefix(strata_tuple *t, const char *user) {
  strata_tuple_clear(t);
  must(strata_tuple_add_bytes(t, user, strlen(user)), "tuple");
}

static int count_one(void *arg, const void *key, size_t klen, const void *val, size_t vlen) {
  (void)key, (void)klen, (void)val, (void)vlen;
  ++*(long long *)arg;
  return 0;
}

/* The number of keys in user's partition. */
static long long partition_size(strata_db *db, const char *user) {
  strata_tuple prefix;
  strata_tuple_init(&prefix);
  user_prefix(&prefix, user);
  long long seen = 0, n = strata_scan_prefix(db, NULL, prefix.data, prefix.len, 0, count_one, &seen);
  if (n < 0) must((int)n, "scan_prefix");
  strata_tuple_free(&prefix);
  return n == seen ? n : -1;
}

/* 1 when every partition holds its events, alice's as given. */
static int others_intact(strata_db *db, int alice_events) {
  int ok = 1;
  for (int u = 0; u < N_USERS; u++) {
    long long n = partition_size(db, users[u]);
    printf("  %-8s %lld events\n", users[u], n);
    if (n != (u == 0 ? alice_events : events[u])) ok = 0;
  }
  return ok;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  strata_db *db;
  must(strata_open(argv[1], NULL, &db), "open");

  printf("writing the events of %d users, flushed to a table\n", N_USERS);
  strata_tuple key;
  strata_tuple_init(&key);
  int total = 0;
  for (int u = 0; u < N_USERS; u++) {
    for (int j = 0; j < events[u]; j++, total++) {
      char what[64];
      snprintf(what, sizeof what, "%s played song%d and liked it a lot", users[u], j % 97);
      user_prefix(&key, users[u]);
      must(strata_tuple_add_u64_desc(&key, 1700000000u + (unsigned)j * 60u), "tuple");
      must(strata_put(db, key.data, key.len, what, strlen(what)), "put");
    }
  }
  must(strata_flush(db), "flush");
  unsigned long long entries, tombstones;
  table_counts(db, &entries, &tombstones);
  printf("tables hold %llu entries\n", entries);
  check(others_intact(db, events[0]) && entries == (unsigned long long)total, "every event is there");

  /* [ (s:alice), end ) is exactly alice's partition. */
  strata_tuple begin;
  strata_tuple_init(&begin);
  user_prefix(&begin, "alice");
  unsigned char end[64];
  size_t end_len = 0;
  if (begin.len > sizeof end || strata_prefix_end(begin.data, begin.len, end, &end_len) != 1) {
    fprintf(stderr, "prefix_end: the partition has no end\n");
    return 1;
  }
  printf("deleting alice: one range delete over her partition\n");
  must(strata_delete_range(db, begin.data, begin.len, end, end_len), "delete_range");
  check(others_intact(db, 0), "alice's events are gone for reads; alice_b, bob and carol are untouched");

  printf("compacting alice's range\n");
  must(strata_compact_range(db, begin.data, begin.len, end, end_len), "compact_range");
  table_counts(db, &entries, &tombstones);
  printf("tables hold %llu entries, %llu tombstones\n", entries, tombstones);
  check(entries == (unsigned long long)(total - events[0]) && tombstones == 0,
        "her events and the range tombstone are gone from disk; the others' remain");

  must(strata_close(db), "close");
  must(strata_open(argv[1], NULL, &db), "reopen");
  check(others_intact(db, 0), "the same after a reopen");

  strata_tuple_free(&key);
  strata_tuple_free(&begin);
  must(strata_close(db), "close");
  printf("delete_user: %s\n", failures ? "FAILED" : "all checks passed");
  return failures ? 1 : 0;
}
