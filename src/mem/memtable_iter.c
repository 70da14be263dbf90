/*
 * memtable_iter.c - the memtable as an st_iter over internal keys, for
 * flushes and database iterators. Holds a reference on the memtable. For
 * a reader at a snapshot it can stand for a run of counter or latest-wins
 * fragments by the run's summary (see st_memtable_iter_new_at).
 */
#include <stdlib.h>
#include <string.h>

#include "base/coding.h"
#include "base/error.h"
#include "format/ikey.h"
#include "format/kind.h"
#include "format/typed_value.h"
#include "mem/memtable.h"

typedef struct mem_iter {
  st_iter base;
  st_memtable *mem;
  st_skiplist_iter it;
  char *target; /* seek target in entry form, grown as needed */
  size_t target_cap;
  int status;
  int summarize;     /* a reader's iterator: runs show as their summary */
  uint64_t snapshot; /* ... of the entries visible at this snapshot */
  /* The current entry's key, decoded once after each move (the merging
   * iterator asks for it after every move); its value is decoded when
   * asked for (a scan passes most entries of a memtable of deletes). */
  const char *key;
  size_t klen;
  int in_run; /* the current entry stands for its run: value is run_val */
  const char *run_val;
  size_t run_vlen;
  const st_skip_node *run_bottom;
  char sum[ST_COUNTER_BYTES];
} mem_iter;

/* After a move backward: the current entry's key, decoded. */
static void note(mem_iter *m) {
  m->in_run = 0;
  if (st_skiplist_iter_valid(&m->it)) st_memtable_entry_key(st_skiplist_iter_entry(&m->it), &m->key, &m->klen);
}

/* After a move forward: the current entry, and whether it stands for its
 * run. */
static void settle(mem_iter *m) {
  note(m);
  if (!m->summarize || !st_skiplist_iter_valid(&m->it)) return;
  uint64_t t = st_ikey_trailer(m->key, m->klen);
  /* Plain entries, most of a scan, need nothing more. */
  if (!st_kind_is_typed(st_trailer_kind(t)) || st_trailer_seq(t) > m->snapshot) return;
  m->in_run =
      st_memtable_run(st_skiplist_iter_entry(&m->it), m->sum, &m->run_val, &m->run_vlen, &m->run_bottom) && m->run_val;
}

static int m_valid(const st_iter *i) { return st_skiplist_iter_valid(&((const mem_iter *)i)->it); }
/* Each positioning move starts afresh: an earlier failure is forgotten. */
static void m_seek_first(st_iter *i) {
  ((mem_iter *)i)->status = STRATA_OK;
  st_skiplist_iter_seek_first(&((mem_iter *)i)->it);
  settle((mem_iter *)i);
}
/* Backward, entries show as stored (in_run stays 0). */
static void m_seek_last(st_iter *i) {
  ((mem_iter *)i)->status = STRATA_OK;
  st_skiplist_iter_seek_last(&((mem_iter *)i)->it);
  note((mem_iter *)i);
}
static void m_next(st_iter *i) {
  mem_iter *m = (mem_iter *)i;
  if (m->in_run)
    st_skiplist_iter_seek_after(&m->it, m->run_bottom);
  else
    st_skiplist_iter_next(&m->it);
  settle(m);
}
static void m_prev(st_iter *i) {
  st_skiplist_iter_prev(&((mem_iter *)i)->it);
  note((mem_iter *)i);
}

static void m_seek(st_iter *i, const char *target, size_t len) {
  mem_iter *m = (mem_iter *)i;
  m->status = STRATA_OK;
  size_t need = ST_VARINT64_MAX + len;
  if (need > m->target_cap) {
    char *t = realloc(m->target, need);
    if (!t) {
      m->status = st_error(STRATA_ENOMEM, "memtable iterator: out of memory");
      m->it.node = NULL;
      m->in_run = 0;
      return;
    }
    m->target = t;
    m->target_cap = need;
  }
  size_t n = st_put_varint64(m->target, len);
  if (len) memcpy(m->target + n, target, len);
  st_skiplist_iter_seek(&m->it, m->target);
  settle(m);
}

static const char *m_key(const st_iter *i, size_t *len_out) {
  const mem_iter *m = (const mem_iter *)i;
  *len_out = m->klen;
  return m->key;
}

static const char *m_value(const st_iter *i, size_t *len_out) {
  const mem_iter *m = (const mem_iter *)i;
  if (m->in_run) {
    *len_out = m->run_vlen;
    return m->run_val;
  }
  const char *v;
  st_memtable_entry_value(m->key, m->klen, &v, len_out);
  return v;
}

static int m_status(const st_iter *i) { return ((const mem_iter *)i)->status; }

static void m_free(st_iter *i) {
  mem_iter *m = (mem_iter *)i;
  st_skiplist_iter_release(&m->it);
  st_memtable_unref(m->mem);
  free(m->target);
  free(m);
}

/* The key after a move, or NULL at either end. */
static const char *moved_key(const mem_iter *m, size_t *len_out) {
  if (!st_skiplist_iter_valid(&m->it)) return NULL;
  *len_out = m->klen;
  return m->key;
}

static const char *m_next_key(st_iter *i, size_t *len_out) {
  m_next(i);
  return moved_key((const mem_iter *)i, len_out);
}

static const char *m_prev_key(st_iter *i, size_t *len_out) {
  m_prev(i);
  return moved_key((const mem_iter *)i, len_out);
}

static const st_iter_ops mem_iter_ops = {m_valid, m_seek_first, m_seek_last, m_seek, m_next,     m_prev,
                                         m_key,   m_value,      m_status,    m_free, m_next_key, m_prev_key};

int st_memtable_iter_new_at(st_memtable *m, uint64_t snapshot, st_iter **it_out) {
  int rc = st_memtable_iter_new(m, it_out);
  if (rc) return rc;
  mem_iter *it = (mem_iter *)*it_out;
  /* A range tombstone of this memtable may fall inside a run, which its
   * summary would not show; tombstones added later are not visible. */
  it->summarize = atomic_load_explicit(&m->rdel_count, memory_order_acquire) == 0;
  it->snapshot = snapshot;
  return STRATA_OK;
}

int st_memtable_iter_new(st_memtable *m, st_iter **it_out) {
  *it_out = NULL;
  mem_iter *it = calloc(1, sizeof *it);
  if (!it) return st_error(STRATA_ENOMEM, "memtable iterator: out of memory");
  it->base.ops = &mem_iter_ops;
  it->mem = m;
  st_memtable_ref(m);
  st_skiplist_iter_init_scan(&it->it, &m->list);
  *it_out = &it->base;
  return STRATA_OK;
}
