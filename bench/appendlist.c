/*
 * appendlist.c - recent activity: num small events appended to the lists
 * of users chosen by a Zipfian law, each list keeping its newest
 * --list-max events (0: all), key "l" + zero-padded user; then row
 * readlists reads whole lists of random users (get, then list_next over
 * every element) and checks them against the events appended.
 *
 * strata appends blind (strata_append) and RocksDB merges; LevelDB and
 * LMDB read the list, append, cut and put, which would lose events when
 * two threads append to one list; so each thread owns its own users.
 */
#include "keyset.h"
#include "workloads.h"

#define LIST_EVENT 16 /* an event: its number in its list (from 1), and 8 bytes drawn from it */

/* The workers' input is the keyset of users; a user's one slot is the
 * events appended to its list. */

/* Event number n (from 1) of user index idx. */
static void list_event(char *out, uint64_t idx, uint64_t n) {
  bench_put_be64(out, n);
  bench_put_be64(out + 8, bench_mix64(idx ^ n * 0x9e3779b97f4a7c15ull));
}

static int append_worker(bench_thread *t) {
  bench_ctx *c = t->ctx;
  const bench_keyset *users = t->arg;
  bench_keyset_part *p = &users->parts[t->id];
  size_t ks = c->args->key_size;
  uint64_t b, e;
  bench_part(t, c->args->num, &b, &e);
  for (uint64_t i = b; i < e; i++) {
    uint64_t r = bench_zipf_next(&p->zipf, &t->rng);
    char event[LIST_EVENT];
    list_event(event, bench_keyset_index(users, bench_keyset_item(users, t->id, r)), p->slots[r] + 1);
    bench_keyset_key(t, users, 'l', r);
    if (c->eng->append(c->db, t->key, ks, event, sizeof event)) return -1;
    p->slots[r]++;
    t->user_bytes += ks + LIST_EVENT;
    bench_op_done(t);
  }
  return 0;
}

/* Checks that list[0..len) holds the newest events of a list that got
 * appended ones (the newest max of them when max > 0). Returns the events
 * it holds; a wrong one is reported and ends the walk. */
static uint64_t check_list(bench_thread *t, const char *list, size_t len, uint64_t idx, uint64_t appended) {
  size_t max = t->ctx->args->cfg.list_max_elements;
  uint64_t first = max && appended > max ? appended - max + 1 : 1, n = 0;
  size_t pos = 0, elen;
  const char *elem;
  int rc;
  char want[LIST_EVENT];
  while ((rc = t->ctx->eng->list_next(list, len, &pos, &elem, &elen)) == 1) {
    list_event(want, idx, first + n);
    if (first + n > appended || elen != LIST_EVENT || memcmp(elem, want, LIST_EVENT) != 0) {
      bench_wrong(t, "list of user %llu: element %llu (%zu bytes, event %llu) is not event %llu of %llu",
                  (unsigned long long)idx, (unsigned long long)n, elen,
                  (unsigned long long)(elen >= 8 ? bench_get_be64(elem) : 0), (unsigned long long)(first + n),
                  (unsigned long long)appended);
      return n;
    }
    n++;
  }
  if (rc < 0)
    bench_wrong(t, "list of user %llu: the bytes after element %llu are not a list", (unsigned long long)idx,
                (unsigned long long)n);
  else if (first + n != appended + 1)
    bench_wrong(t, "list of user %llu: holds %llu events, expected %llu (of %llu appended)", (unsigned long long)idx,
                (unsigned long long)n, (unsigned long long)(appended - first + 1), (unsigned long long)appended);
  return n;
}

static int readlists_worker(bench_thread *t) {
  bench_ctx *c = t->ctx;
  const bench_keyset *users = t->arg;
  size_t ks = c->args->key_size;
  uint64_t b, e;
  bench_part(t, c->args->reads / 10 ? c->args->reads / 10 : 1, &b, &e);
  for (uint64_t i = b; i < e; i++) {
    /* Any user: the owners' tallies are only read now. */
    uint64_t j = bench_rng_uniform(&t->rng, users->n);
    uint64_t appended = bench_keyset_slots(users, j)[0], idx = bench_keyset_index(users, j);
    int found = 0;
    bench_key_prefixed(t->key, ks, 'l', idx);
    if (c->eng->get(c->db, t->key, ks, &t->buf, &found)) return -1;
    if (found != (appended != 0))
      bench_wrong(t, "list of user %llu: %s, %llu events were appended", (unsigned long long)idx,
                  found ? "found" : "absent", (unsigned long long)appended);
    else if (found)
      t->tally += check_list(t, t->buf.data, t->buf.len, idx, appended);
    bench_op_done(t);
  }
  return 0;
}

static int list_rows(bench_ctx *c, const bench_keyset *users) {
  const bench_args *a = c->args;
  size_t max = a->cfg.list_max_elements;
  bench_step s;
  if (bench_step_run(c, &s, "appendlist", a->threads, append_worker, users)) return -1;
  c->data = BENCH_DATA_OTHER;
  c->live_keys = bench_keyset_touched(users);
  c->live_bytes = 0;
  for (uint64_t j = 0; j < users->n; j++) {
    uint64_t n = bench_keyset_slots(users, j)[0];
    if (n) c->live_bytes += a->key_size + (max && n > max ? max : n) * LIST_EVENT;
  }
  if (bench_step_finish(c, &s)) return -1;

  if (bench_step_run(c, &s, "readlists", a->threads, readlists_worker, users)) return -1;
  uint64_t lists = s.row.ops, events = s.tally;
  if (bench_step_finish(c, &s)) return -1;
  bench_report_note(c->report, "readlists: %llu events in %llu lists (%.1f per list)", (unsigned long long)events,
                    (unsigned long long)lists, lists ? (double)events / (double)lists : 0.0);
  return 0;
}

int bench_wl_appendlist(bench_ctx *c) {
  const bench_args *a = c->args;
  bench_keyset users;
  if (bench_ctx_fresh(c, a->cfg.sync)) return -1;
  /* its own stream: "list" */
  if (bench_keyset_init_zipf(&users, a->users, a->threads, 1, a->zipf_theta, bench_mix64(a->seed) ^ 0x6c697374ull)) {
    bench_engine_error("appendlist: out of memory for %llu users", (unsigned long long)a->users);
    return -1;
  }
  int rc = list_rows(c, &users);
  bench_keyset_free(&users);
  return rc;
}
