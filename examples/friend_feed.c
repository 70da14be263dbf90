/* friend_feed.c - a friend activity feed from append-only events. Each play
 * is a new key (user, descending time): a user's events are one partition,
 * newest first, so "the latest 20 events of bob" is one strata_scan_prefix
 * with a limit. "The latest 20 of my friends' events" scans each friend's
 * partition for its 20 newest and merges them newest first.
 * Usage: friend_feed DIR   (exits non-zero if a check fails) */
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

#define FEED_LEN 20
#define EVENTS_PER_USER 30
#define BASE_TIME 1700000000u

static const char *const users[] = {"bob", "carol", "dave", "erin", "mallory"};
#define N_USERS 5
#define N_FRIENDS 4 /* alice follows the first four; mallory is not a friend */

/* Event j of user u: every user plays once per round of 37 seconds, each at
 * their own offset, so times never collide and users interleave; mallory's
 * offset is the largest, so her last event is the newest of all. */
static uint64_t event_time(int u, int j) { return BASE_TIME + 37u * (unsigned)j + 5u * (unsigned)u; }

typedef struct event {
  char user[16];
  uint64_t time;
  char what[48];
} event;

/* The newest events of one partition, as strata_scan_prefix passes them. */
typedef struct partition {
  event ev[FEED_LEN];
  size_t n;
  int bad; /* a key that is not (string, descending u64) */
} partition;

/* The key of an event: (s:user, u-:time). */
static void event_key(strata_tuple *t, const char *user, uint64_t time) {
  strata_tuple_clear(t);
  must(strata_tuple_add_bytes(t, user, strlen(user)), "tuple");
  must(strata_tuple_add_u64_desc(t, time), "tuple");
}

/* strata_scan_prefix callback: decodes the key back into user and time. */
static int collect(void *arg, const void *key, size_t klen, const void *val, size_t vlen) {
  partition *p = arg;
  event *e = &p->ev[p->n];
  strata_tuple_elem el;
  size_t pos = 0;
  char scratch[8]; /* an integer element writes no bytes */
  if (p->n == FEED_LEN || strata_tuple_next(key, klen, &pos, &el, e->user, sizeof e->user - 1) != 1 ||
      el.type != STRATA_TUPLE_BYTES) {
    p->bad = 1;
    return 1;
  }
  e->user[el.len] = '\0';
  if (strata_tuple_next(key, klen, &pos, &el, scratch, sizeof scratch) != 1 || el.type != STRATA_TUPLE_U64 ||
      !el.desc || pos != klen) {
    p->bad = 1;
    return 1;
  }
  e->time = el.u;
  snprintf(e->what, sizeof e->what, "%.*s", (int)vlen, (const char *)val);
  p->n++;
  return 0;
}

/* Reads the FEED_LEN newest events of user into *p. */
static void latest_of(strata_db *db, const char *user, partition *p) {
  strata_tuple prefix;
  strata_tuple_init(&prefix);
  must(strata_tuple_add_bytes(&prefix, user, strlen(user)), "tuple");
  memset(p, 0, sizeof *p);
  long long n = strata_scan_prefix(db, NULL, prefix.data, prefix.len, FEED_LEN, collect, p);
  if (n < 0) must((int)n, "scan_prefix");
  strata_tuple_free(&prefix);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  strata_db *db;
  must(strata_open(argv[1], NULL, &db), "open");

  /* Append every event; none is ever updated. Half of them reach a table
   * before the rest arrive. */
  printf("appending %d events of %d users (flushing halfway)\n", EVENTS_PER_USER * N_USERS, N_USERS);
  strata_tuple key;
  strata_tuple_init(&key);
  for (int j = 0; j < EVENTS_PER_USER; j++) {
    for (int u = 0; u < N_USERS; u++) {
      char what[48];
      snprintf(what, sizeof what, "%s played song%d", users[u], (j * 7 + u) % 50);
      event_key(&key, users[u], event_time(u, j));
      must(strata_put(db, key.data, key.len, what, strlen(what)), "put");
    }
    if (j == EVENTS_PER_USER / 2) must(strata_flush(db), "flush");
  }
  strata_tuple_free(&key);

  /* One partition: bob's latest, newest first. */
  partition bob;
  latest_of(db, "bob", &bob);
  check(!bob.bad && bob.n == FEED_LEN, "bob's partition gives his 20 latest events");
  check(bob.n > 0 && bob.ev[0].time == event_time(0, EVENTS_PER_USER - 1), "the first one is his newest");

  /* The feed: each friend's 20 newest, merged newest first. */
  partition friends[N_FRIENDS];
  for (int f = 0; f < N_FRIENDS; f++) latest_of(db, users[f], &friends[f]);
  event feed[FEED_LEN];
  size_t head[N_FRIENDS] = {0}, n = 0;
  while (n < FEED_LEN) {
    int best = -1;
    for (int f = 0; f < N_FRIENDS; f++) {
      if (head[f] < friends[f].n && (best < 0 || friends[f].ev[head[f]].time > friends[best].ev[head[best]].time))
        best = f;
    }
    if (best < 0) break;
    feed[n++] = friends[best].ev[head[best]++];
  }
  printf("alice's friend feed, newest first:\n");
  for (size_t i = 0; i < n; i++) printf("  %" PRIu64 "  %s\n", feed[i].time, feed[i].what);

  /* What the feed must be: of every event of every friend, the newest 20. */
  int ok = n == FEED_LEN, ordered = 1, no_stranger = 1;
  uint64_t after = UINT64_MAX; /* each expected event is the newest one older than the last */
  for (size_t i = 0; i < n && ok; i++) {
    uint64_t best = 0;
    const char *who = NULL;
    for (int f = 0; f < N_FRIENDS; f++) {
      for (int j = 0; j < EVENTS_PER_USER; j++) {
        uint64_t t = event_time(f, j);
        if (t < after && t > best) {
          best = t;
          who = users[f];
        }
      }
    }
    ok = who && feed[i].time == best && strcmp(feed[i].user, who) == 0;
    after = best;
    if (i > 0 && feed[i].time >= feed[i - 1].time) ordered = 0;
    if (strcmp(feed[i].user, "mallory") == 0) no_stranger = 0;
  }
  for (int f = 0; f < N_FRIENDS; f++) ok = ok && !friends[f].bad;
  check(ok, "the feed is the 20 newest events of all friends");
  check(ordered, "newest first");
  check(no_stranger, "mallory, who is not a friend, is not in it (though her events are the newest)");

  must(strata_close(db), "close");
  printf("friend_feed: %s\n", failures ? "FAILED" : "all checks passed");
  return failures ? 1 : 0;
}
