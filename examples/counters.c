/* counters.c - play and like counters (the SUM merge). Every play and every
 * like is a blind +1 (strata_add): no read before the write, so a firehose
 * of them costs what plain puts cost. Reads add up the fragments found in
 * the memtable and in every table.
 * Usage: counters DIR   (exits non-zero if a check fails) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strata.h>

static int failures;

static void check(int ok, const char *what) {
  printf("  %s %s\n", ok ? "ok  " : "FAIL", what);
  if (!ok) failures++;
}

/* Stops the program when the library reports an error. */
static void must(int rc, const char *what) {
  if (rc == STRATA_OK) return;
  fprintf(stderr, "%s: %s (%s)\n", what, strata_strerror(rc), strata_errmsg());
  exit(1);
}

static int64_t read_counter(strata_db *db, const char *key) {
  int64_t v = 0;
  int rc = strata_get_int(db, key, strlen(key), &v);
  if (rc == STRATA_NOTFOUND) return 0; /* never played: zero */
  must(rc, key);
  return v;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  strata_db *db;
  must(strata_open(argv[1], NULL, &db), "open");

  /* Ten songs; song i is played 100 * (i + 1) times, in two waves with a
   * flush between them so that the sums span the memtable and a table. */
  const int songs = 10;
  char key[64];
  printf("playing 10 songs 5500 times, flushing halfway\n");
  for (int wave = 0; wave < 2; wave++) {
    for (int s = 0; s < songs; s++) {
      snprintf(key, sizeof key, "plays:song%d", s);
      for (int p = 0; p < 50 * (s + 1); p++) must(strata_add(db, key, strlen(key), 1), "add play");
    }
    if (wave == 0) must(strata_flush(db), "flush");
  }

  /* Likes on song 3: 7 likes, then 2 of them taken back with -1. */
  printf("7 likes and 2 unlikes on song3\n");
  for (int i = 0; i < 7; i++) must(strata_add(db, "likes:song3", 11, 1), "like");
  for (int i = 0; i < 2; i++) must(strata_add(db, "likes:song3", 11, -1), "unlike");
  const int64_t likes_expected = 7 - 2;

  int all_right = 1;
  for (int s = 0; s < songs; s++) {
    snprintf(key, sizeof key, "plays:song%d", s);
    if (read_counter(db, key) != 100 * (s + 1)) all_right = 0;
  }
  printf("plays:song9 = %lld, likes:song3 = %lld\n", (long long)read_counter(db, "plays:song9"),
         (long long)read_counter(db, "likes:song3"));
  check(all_right, "every song's plays are the sum of its +1s");
  check(read_counter(db, "likes:song3") == likes_expected, "likes: 7 - 2 = 5");
  check(read_counter(db, "likes:song4") == 0, "a song never liked reads as no counter");

  /* strata_get reads a counter as decimal text. */
  void *text;
  size_t len;
  must(strata_get(db, "plays:song0", 11, &text, &len), "get");
  check(len == 3 && memcmp(text, "100", 3) == 0, "strata_get gives the counter as text \"100\"");
  strata_free(text);

  /* Compaction collapses each chain of +1s into one full counter; reads
   * must not change, also after a reopen. */
  printf("compacting and reopening\n");
  must(strata_compact_range(db, NULL, 0, NULL, 0), "compact");
  must(strata_close(db), "close");
  must(strata_open(argv[1], NULL, &db), "reopen");
  all_right = 1;
  for (int s = 0; s < songs; s++) {
    snprintf(key, sizeof key, "plays:song%d", s);
    if (read_counter(db, key) != 100 * (s + 1)) all_right = 0;
  }
  check(all_right, "the plays read the same after compaction and reopen");
  check(read_counter(db, "likes:song3") == likes_expected, "so do the likes");

  must(strata_close(db), "close");
  printf("counters: %s\n", failures ? "FAILED" : "all checks passed");
  return failures ? 1 : 0;
}
