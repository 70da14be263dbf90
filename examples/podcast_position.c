/* podcast_position.c - the last-played position of a podcast (pick-latest).
 * Each pause sends (position, time of the pause); the network delivers
 * them out of order. strata_put_latest keeps, of all the writes to a key,
 * the one with the greatest time, however late it arrives: no read before
 * the write, and older positions are dropped by compaction.
 * Usage: podcast_position DIR   (exits non-zero if a check fails) */
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

#define KEY "pos:alice:podcast7"

/* One pause event as it arrives: when the user paused, and where. */
struct pause {
  uint64_t paused_at; /* unix seconds */
  const char *position;
};

/* Checks that KEY reads as want (at time want_ts). */
static void check_position(strata_db *db, const char *want, uint64_t want_ts, const char *what) {
  void *val;
  size_t len;
  uint64_t ts;
  must(strata_get_latest(db, KEY, strlen(KEY), &val, &len, &ts), "get_latest");
  printf("resume at %.*s (paused at %" PRIu64 ")\n", (int)len, (char *)val, ts);
  check(ts == want_ts && len == strlen(want) && memcmp(val, want, len) == 0, what);
  strata_free(val);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  strata_db *db;
  must(strata_open(argv[1], NULL, &db), "open");

  /* Arrival order. The pause at 1700000300 is the latest; two older pauses
   * arrive after it, one of them after a flush. */
  const struct pause arrivals[] = {
      {1700000000, "00:01:00"},
      {1700000300, "01:30:12"},
      {1700000100, "00:20:00"},
      {1700000200, "00:45:30"},
      {0, NULL}, /* flush here */
      {1700000250, "01:02:03"},
  };
  for (size_t i = 0; i < sizeof arrivals / sizeof arrivals[0]; i++) {
    const struct pause *p = &arrivals[i];
    if (!p->position) {
      printf("flush\n");
      must(strata_flush(db), "flush");
      continue;
    }
    printf("arrives: paused at %" PRIu64 ", position %s\n", p->paused_at, p->position);
    must(strata_put_latest(db, KEY, strlen(KEY), p->position, strlen(p->position), p->paused_at), "put_latest");
  }
  check_position(db, "01:30:12", 1700000300, "the latest pause wins, not the last arrival");

  /* A tie in time goes to the write made later. */
  must(strata_put_latest(db, KEY, strlen(KEY), "01:30:15", 8, 1700000300), "put_latest");
  check_position(db, "01:30:15", 1700000300, "an equal time: the later write wins");

  /* strata_get reads the same value, without the time. */
  void *val;
  size_t len;
  must(strata_get(db, KEY, strlen(KEY), &val, &len), "get");
  check(len == 8 && memcmp(val, "01:30:15", 8) == 0, "strata_get reads the winning position");
  strata_free(val);

  /* Compaction keeps only the winner; the answer is the same after it and
   * after a reopen. */
  printf("compacting and reopening\n");
  must(strata_compact_range(db, NULL, 0, NULL, 0), "compact");
  must(strata_close(db), "close");
  must(strata_open(argv[1], NULL, &db), "reopen");
  check_position(db, "01:30:15", 1700000300, "the same position after compaction and reopen");

  /* An old pause that arrives very late still loses. */
  must(strata_put_latest(db, KEY, strlen(KEY), "00:00:05", 8, 1699999999), "put_latest");
  check_position(db, "01:30:15", 1700000300, "a very late, older pause does not move the position back");

  must(strata_close(db), "close");
  printf("podcast_position: %s\n", failures ? "FAILED" : "all checks passed");
  return failures ? 1 : 0;
}
