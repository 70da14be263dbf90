/*
 * memtable.c - entries are stored as
 *   varint ikey_len | user_key | fixed64 trailer | varint val_len | val [| run]
 * in one arena allocation; the skiplist orders them by internal key.
 *
 * Hot keys: a counter incremented a million times holds a million ADD
 * entries, and a read must not step through them all. So an operand entry
 * (ADD, LATEST, APPEND) carries a summary of its run, the entries of the
 * same kind right below it of the same key in this memtable:
 *   run = bottom node (the run's oldest entry) | payload
 * where payload is the run's sum (ADD) or the winning entry (LATEST). It
 * is computed at insert from the entry below, which the insert finds
 * anyway, so writes stay blind; a read takes the newest visible entry's
 * summary and jumps past the run; a reader's iterator does the same moving
 * forward (memtable_iter.c). Flushes never see it.
 */
#include "mem/memtable.h"

#include <stdlib.h>
#include <string.h>

#include "base/coding.h"
#include "base/error.h"
#include "format/ikey.h"
#include "format/kind.h"
#include "format/typed_value.h"

static int entry_cmp(const char *a, const char *b) {
  const char *ak, *bk;
  size_t alen, blen;
  st_memtable_entry_key(a, &ak, &alen);
  st_memtable_entry_key(b, &bk, &blen);
  return st_ikey_compare(ak, alen, bk, blen);
}

/* st_memtable_index_same_fn: whether node holds an entry of user key. */
static int same_key(const st_skip_node *node, const void *key, size_t klen) {
  const char *ik;
  size_t iklen;
  st_memtable_entry_key(st_skiplist_node_entry(node), &ik, &iklen);
  return st_ukey_compare(ik, iklen - ST_IKEY_TRAILER, key, klen) == 0;
}

int st_memtable_new(size_t budget, st_memtable **m_out) {
  *m_out = NULL;
  st_memtable *m = calloc(1, sizeof *m);
  if (!m) return st_error(STRATA_ENOMEM, "memtable: out of memory");
  st_memtable_filter_init(&m->filter, budget / ST_MEMTABLE_FILTER_SHARE);
  st_memtable_index_init(&m->index, budget / ST_MEMTABLE_INDEX_SHARE);
  st_arena_init(&m->arena);
  if (st_skiplist_init(&m->list, &m->arena, entry_cmp) || st_skiplist_init(&m->rdel, &m->arena, entry_cmp)) {
    st_arena_destroy(&m->arena);
    st_memtable_filter_destroy(&m->filter);
    st_memtable_index_destroy(&m->index);
    free(m);
    return st_error(STRATA_ENOMEM, "memtable: out of memory");
  }
  atomic_init(&m->usage, st_arena_used(&m->arena));
  atomic_init(&m->entries, 0);
  atomic_init(&m->rdel_count, 0);
  atomic_init(&m->max_data_seq, 0);
  st_mutex_init(&m->rdel_mu);
  atomic_init(&m->refs, 1);
  *m_out = m;
  return STRATA_OK;
}

void st_memtable_ref(st_memtable *m) { atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed); }

void st_memtable_unref(st_memtable *m) {
  if (atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) == 1) {
    st_rtombs_unref(m->rdel_cache);
    st_mutex_destroy(&m->rdel_mu);
    st_arena_destroy(&m->arena);
    st_memtable_filter_destroy(&m->filter);
    st_memtable_index_destroy(&m->index);
    free(m);
  }
}

/* Entries newer than a read's snapshot stepped over from the key index's
 * node before the read searches instead. */
#define INDEX_STEPS 8

static int is_operand(unsigned kind) { return kind == ST_KIND_ADD || kind == ST_KIND_LATEST || kind == ST_KIND_APPEND; }

/* The run summary of an operand entry (just after its value). */
typedef struct run {
  const st_skip_node *bottom;
  union {
    int64_t sum;        /* ADD */
    const char *winner; /* LATEST: the entry with the greatest ts, newest of equals */
  } u;
} run;

static run run_of(const char *val, size_t vlen) {
  run r;
  memcpy(&r, val + vlen, sizeof r);
  return r;
}

static unsigned kind_of(const char *ik, size_t iklen) { return st_trailer_kind(st_ikey_trailer(ik, iklen)); }

static uint64_t latest_ts(const char *entry) {
  const char *ik, *v;
  size_t iklen, vlen;
  st_memtable_entry_decode(entry, &ik, &iklen, &v, &vlen);
  return st_get_fixed64(v);
}

/* The run summary of an operand entry, written as it is placed: its run
 * continues the run of the entry below (next) when that one is of the
 * same key and kind. */
static void place_run(const char *entry, const st_skip_node *self, const st_skip_node *next) {
  const char *ik, *v;
  size_t iklen, vlen;
  st_memtable_entry_decode(entry, &ik, &iklen, &v, &vlen);
  unsigned kind = kind_of(ik, iklen);
  run r = {.bottom = self};
  if (kind == ST_KIND_ADD)
    r.u.sum = st_counter_decode(v);
  else
    r.u.winner = entry;
  if (next) {
    const char *nik, *nv;
    size_t niklen, nvlen;
    st_memtable_entry_decode(st_skiplist_node_entry(next), &nik, &niklen, &nv, &nvlen);
    /* Writes come in sequence order, so an entry of the same key below
     * this one is older. */
    if (kind_of(nik, niklen) == kind &&
        st_ukey_compare(nik, niklen - ST_IKEY_TRAILER, ik, iklen - ST_IKEY_TRAILER) == 0) {
      run below = run_of(nv, nvlen);
      r.bottom = below.bottom;
      if (kind == ST_KIND_ADD)
        r.u.sum = (int64_t)((uint64_t)below.u.sum + (uint64_t)r.u.sum);
      else if (kind == ST_KIND_LATEST && st_get_fixed64(v) < latest_ts(below.u.winner))
        r.u.winner = below.u.winner;
    }
  }
  memcpy((char *)v + vlen, &r, sizeof r);
}

/* What st_skiplist_insert_with hands place_entry. */
typedef struct placing {
  st_memtable *m;
  const char *entry;
  uint64_t hash; /* for the key filter and index */
  int operand;
  const void *key;
  size_t klen;
  const st_skip_node *node;  /* set by place_entry */
  const st_skip_node *older; /* set by place_entry: the key's entry right below, or NULL */
} placing;

/* Once the entry's place is found and before it is linked: its key goes
 * into the filter (whose line was asked for before the search, so it has
 * arrived by now), and an operand gets its run summary. */
static void place_entry(void *arg, const st_skip_node *self, const st_skip_node *next) {
  placing *p = arg;
  p->node = self;
  /* The search has just read the key below: whether it is this key's
   * costs nothing now, and saves the index a miss to tell. */
  p->older = next && same_key(next, p->key, p->klen) ? next : NULL;
  st_memtable_filter_add(&p->m->filter, p->hash);
  if (p->operand) place_run(p->entry, self, next);
}

int st_memtable_add(st_memtable *m, uint64_t seq, unsigned kind, const void *key, size_t klen, const void *val,
                    size_t vlen) {
  size_t iklen = klen + ST_IKEY_TRAILER, extra = is_operand(kind) ? sizeof(run) : 0;
  size_t len = st_varint64_len(iklen) + iklen + st_varint64_len(vlen) + vlen + extra;
  char *e = st_skiplist_alloc_entry(&m->list, len);
  if (!e) return st_error(STRATA_ENOMEM, "memtable: out of memory for a %zu-byte entry", len);
  char *p = e + st_put_varint64(e, iklen);
  st_ikey_pack(p, key, klen, st_trailer_pack(seq, kind));
  p += iklen;
  p += st_put_varint64(p, vlen);
  if (vlen) memcpy(p, val, vlen);
  if (kind == ST_KIND_RANGE_DELETE) {
    if (st_skiplist_insert(&m->rdel, e)) return st_error(STRATA_ENOMEM, "memtable: out of memory");
    atomic_fetch_add_explicit(&m->rdel_count, 1, memory_order_release);
  } else {
    placing pl = {m, e, st_memtable_filter_hash(key, klen), extra != 0, key, klen, NULL, NULL};
    st_memtable_filter_prefetch(&m->filter, pl.hash);
    st_memtable_index_prefetch(&m->index, pl.hash);
    if (st_skiplist_insert_with(&m->list, e, place_entry, &pl))
      return st_error(STRATA_ENOMEM, "memtable: out of memory");
    st_memtable_index_put(&m->index, pl.hash, pl.node, pl.older, key, klen, same_key);
    atomic_store_explicit(&m->max_data_seq, seq, memory_order_relaxed); /* writes come in seq order */
  }
  atomic_store_explicit(&m->usage, st_arena_used(&m->arena), memory_order_relaxed);
  atomic_fetch_add_explicit(&m->entries, 1, memory_order_relaxed);
  return STRATA_OK;
}

int st_memtable_run(const char *entry, char sum[ST_COUNTER_BYTES], const char **val_out, size_t *vlen_out,
                    const st_skip_node **bottom_out) {
  const char *ik, *v;
  size_t iklen, vlen;
  st_memtable_entry_decode(entry, &ik, &iklen, &v, &vlen);
  unsigned kind = kind_of(ik, iklen);
  if (!is_operand(kind)) return 0;
  run r = run_of(v, vlen);
  *bottom_out = r.bottom;
  if (kind == ST_KIND_ADD) {
    st_counter_encode(sum, r.u.sum);
    *val_out = sum;
    *vlen_out = ST_COUNTER_BYTES;
  } else if (kind == ST_KIND_LATEST) {
    st_memtable_entry_decode(r.u.winner, &ik, &iklen, val_out, vlen_out);
  } else {
    *val_out = NULL;
    *vlen_out = 0;
  }
  return 1;
}

/* Builds the fragmented list from the tombstones in the skiplist now
 * (rdel_mu held). Every tombstone counted before the call is in it (a
 * count is raised only after its tombstone is linked); later ones may be. */
static int build_rtombs(st_memtable *m, size_t count, st_rtombs **out) {
  size_t cap = count + 16, n = 0;
  st_rtomb *t = malloc(cap * sizeof *t);
  if (!t) return st_error(STRATA_ENOMEM, "memtable: out of memory");
  st_skiplist_iter it;
  st_skiplist_iter_init_scan(&it, &m->rdel); /* every tombstone: a long walk */
  int rc = STRATA_OK;
  for (st_skiplist_iter_seek_first(&it); st_skiplist_iter_valid(&it); st_skiplist_iter_next(&it)) {
    if (n == cap) {
      st_rtomb *nt = realloc(t, 2 * cap * sizeof *t);
      if (!nt) {
        rc = st_error(STRATA_ENOMEM, "memtable: out of memory");
        break;
      }
      t = nt;
      cap *= 2;
    }
    const char *ik, *v;
    size_t iklen, vlen;
    st_memtable_entry_decode(st_skiplist_iter_entry(&it), &ik, &iklen, &v, &vlen);
    st_rtomb *r = &t[n++];
    r->begin = ik;
    r->blen = iklen - ST_IKEY_TRAILER;
    r->seq = st_trailer_seq(st_ikey_trailer(ik, iklen));
    /* The write path checked the value (batch_rep.c). */
    if (st_range_end_get(v, vlen, &r->end, &r->elen, &r->open)) n--;
  }
  st_skiplist_iter_release(&it);
  if (!rc) rc = st_rtombs_build(t, n, out);
  free(t);
  return rc;
}

int st_memtable_rtombs(st_memtable *m, st_rtombs **out) {
  *out = NULL;
  size_t count = atomic_load_explicit(&m->rdel_count, memory_order_acquire);
  if (count == 0) return STRATA_OK;
  int rc = STRATA_OK;
  st_mutex_lock(&m->rdel_mu);
  /* Fresh when built after every tombstone this reader counted: the
   * list's own size says nothing, as a build may see a tombstone linked
   * ahead of its cursor and miss one linked behind it. */
  if (!m->rdel_cache || m->rdel_cache_count < count) {
    st_rtombs *l;
    size_t now = atomic_load_explicit(&m->rdel_count, memory_order_acquire);
    if ((rc = build_rtombs(m, now, &l)) == STRATA_OK) {
      st_rtombs_unref(m->rdel_cache);
      m->rdel_cache = l;
      m->rdel_cache_count = now;
    }
  }
  if (!rc) {
    st_rtombs_ref(m->rdel_cache);
    *out = m->rdel_cache;
  }
  st_mutex_unlock(&m->rdel_mu);
  return rc;
}

int st_memtable_merge(st_memtable *mt, const void *key, size_t klen, uint64_t snapshot, st_merge *m) {
  uint64_t cover = 0;
  if (st_memtable_has_rdel(mt)) {
    st_rtombs *l;
    int rc = st_memtable_rtombs(mt, &l);
    if (rc) return rc;
    cover = st_rtombs_cover(l, key, klen, snapshot);
    st_rtombs_unref(l);
  }
  /* No entry of the key here: only a range tombstone of this memtable
   * over it can answer (as at the end of the walk below). The filter is
   * asked only of a memtable big enough that its search costs more than
   * the filter's own miss (a small one's upper levels stay cached). */
  /* The index, asked under the same condition, finds the key's newest
   * entry without a search, or tells that the memtable holds none. */
  const st_skip_node *newest = NULL;
  if (atomic_load_explicit(&mt->entries, memory_order_relaxed) >= ST_MEMTABLE_FILTER_MIN_ENTRIES) {
    uint64_t h = st_memtable_filter_hash(key, klen);
    int absent = !st_memtable_filter_may_contain(&mt->filter, h);
    if (!absent) newest = st_memtable_index_find(&mt->index, h, key, klen, same_key, &absent);
    if (absent) return cover ? st_merge_feed(m, ST_KIND_DELETE, NULL, 0) : 0;
  }
  char small[256];
  size_t iklen = klen + ST_IKEY_TRAILER;
  size_t tlen = st_varint64_len(iklen) + iklen;
  char *target = tlen <= sizeof small ? small : malloc(tlen);
  if (!target) return st_error(STRATA_ENOMEM, "memtable: out of memory");
  st_ikey_pack(target + st_put_varint64(target, iklen), key, klen, st_trailer_seek(snapshot));

  st_skiplist_iter it;
  st_skiplist_iter_init(&it, &mt->list);
  /* From the key's newest entry to its newest visible at snapshot (the
   * seek's target), over the few written since the snapshot; past
   * INDEX_STEPS of them (an old snapshot of a hot key) a search is
   * cheaper. */
  int steps = 0;
  if (newest) {
    st_skiplist_iter_at(&it, newest);
    while (st_skiplist_iter_valid(&it) && entry_cmp(st_skiplist_iter_entry(&it), target) < 0 && steps++ < INDEX_STEPS)
      st_skiplist_iter_next(&it);
  }
  if (!newest || steps > INDEX_STEPS) st_skiplist_iter_seek(&it, target);
  int rc = 0;
  while (rc == 0 && st_skiplist_iter_valid(&it)) {
    const char *ik, *v;
    size_t eklen, vlen;
    st_memtable_entry_decode(st_skiplist_iter_entry(&it), &ik, &eklen, &v, &vlen);
    if (st_ukey_compare(ik, eklen - ST_IKEY_TRAILER, key, klen) != 0) break;
    unsigned kind = kind_of(ik, eklen);
    char sum[ST_COUNTER_BYTES];
    const char *rv;
    size_t rvlen;
    const st_skip_node *bottom;
    if (cover) {
      /* Under a range tombstone runs are read entry by entry: the
       * tombstone may cut one. */
      if (st_trailer_seq(st_ikey_trailer(ik, eklen)) < cover) break;
      rc = st_merge_feed(m, kind, v, vlen);
      st_skiplist_iter_next(&it);
      continue;
    }
    if (!st_memtable_run(st_skiplist_iter_entry(&it), sum, &rv, &rvlen, &bottom)) {
      rc = st_merge_feed(m, kind, v, vlen);
      break; /* a base decides */
    }
    if (rv) {
      rc = st_merge_feed(m, kind, rv, rvlen);
    } else if (st_merge_wants_values(m)) { /* a list: its elements one by one */
      rc = st_merge_feed(m, kind, v, vlen);
      if (rc == 0) {
        st_skiplist_iter_next(&it);
        continue;
      }
    }
    st_skiplist_iter_seek_after(&it, bottom);
  }
  if (target != small) free(target);
  if (rc == 0 && cover) rc = st_merge_feed(m, ST_KIND_DELETE, NULL, 0);
  return rc;
}
