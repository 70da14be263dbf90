/* unlike.c - a like and an unlike. A like already written to a table on
 * disk cannot be erased from it: the unlike writes a tombstone, which
 * hides the like from reads at once; the next compaction that brings the
 * two together drops both.
 * Usage: unlike DIR   (exits non-zero if a check fails) */
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

static int liked(strata_db *db, const char *key) {
  void *val;
  size_t len;
  int rc = strata_get(db, key, strlen(key), &val, &len);
  if (rc == STRATA_NOTFOUND) return 0;
  must(rc, "get");
  strata_free(val);
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  const char *alice = "like:alice:song42", *bob = "like:bob:song42";
  unsigned long long entries, tombstones;
  strata_db *db;
  must(strata_open(argv[1], NULL, &db), "open");

  printf("alice and bob like song42; the likes are flushed to a table\n");
  must(strata_put(db, alice, strlen(alice), "1700000000", 10), "put");
  must(strata_put(db, bob, strlen(bob), "1700000050", 10), "put");
  must(strata_flush(db), "flush");

  printf("alice unlikes it: a tombstone\n");
  must(strata_delete(db, alice, strlen(alice)), "delete");
  check(!liked(db, alice), "alice's like is gone for reads at once");
  check(liked(db, bob), "bob's like is untouched");

  must(strata_flush(db), "flush");
  table_counts(db, &entries, &tombstones);
  printf("tables now hold %llu entries, %llu of them tombstones\n", entries, tombstones);
  check(entries == 3 && tombstones == 1, "on disk: both likes and the tombstone (3 entries, 1 tombstone)");

  printf("compaction merges the tombstone with the like it hides\n");
  must(strata_compact_range(db, NULL, 0, NULL, 0), "compact");
  table_counts(db, &entries, &tombstones);
  printf("tables now hold %llu entries, %llu of them tombstones\n", entries, tombstones);
  check(entries == 1 && tombstones == 0, "both dropped: only bob's like is left on disk");

  must(strata_close(db), "close");
  must(strata_open(argv[1], NULL, &db), "reopen");
  check(!liked(db, alice) && liked(db, bob), "after reopen: alice does not like it, bob does");

  printf("alice likes it again\n");
  must(strata_put(db, alice, strlen(alice), "1700000900", 10), "put");
  check(liked(db, alice), "a write after the tombstone is visible");

  must(strata_close(db), "close");
  printf("unlike: %s\n", failures ? "FAILED" : "all checks passed");
  return failures ? 1 : 0;
}
