/*
 * merging_iter.c - a binary heap of children ordered by internal key: a
 * min-heap while moving forward, a max-heap while moving backward. A
 * change of direction repositions every other child around the current
 * key (as LevelDB's merger does) and rebuilds the heap.
 *
 * With range tombstones (st_merging_iter_new_ranged), after every move
 * the current entry is checked against the newest tombstone over its key
 * among all children: the answer is cached with the stretch of keys where
 * it holds, so a scan pays a lookup only where some fragment begins or
 * ends. A hidden entry is passed over by seeking every older child to the
 * tombstone's end (start, moving backward) and stepping the newer ones.
 */
#include "iter/merging_iter.h"

#include <stdlib.h>
#include <string.h>

#include "base/copy.h"
#include "base/error.h"
#include "format/ikey.h"

/* A child's key as it was when the child last moved: the heap compares
 * these without a call into the child (a scan compares several times per
 * entry). Set by rebuild and fix_top, which every move of a child goes
 * through; meaningful only for the children in the heap. */
typedef struct child_key {
  const char *k;
  size_t len;
} child_key;

typedef struct merging_iter {
  st_iter base;
  st_iter **child;
  child_key *keys;
  size_t n;
  size_t *heap; /* child indices; heap[0] is the current one */
  size_t nheap;
  int forward; /* direction of the heap */
  int status;
  /* Range tombstones: per child (NULL when none), and the cached answer
   * for the keys [lo, hi): the newest visible tombstone over them (seq 0:
   * none), its child and its fragment. */
  st_rtombs **lists;
  uint64_t *newest; /* per child: its newest entry's seq, an upper bound */
  uint64_t snap;
  int cached;
  int mono;                   /* keys asked since the last seek or turn came in the heap's direction */
  int past_lower, past_upper; /* the stretch reaches past the reader's bound on that side */
  const char *lo, *hi;
  size_t lolen, hilen;
  int lo_none, hi_none;
  uint64_t cseq;
  size_t cchild;
  const st_rfrag *cfrag;
  char *target; /* seek target buffer */
  size_t target_cap;
  char *pass; /* st_merging_iter_next_key: the user key being passed */
  size_t pass_cap;
  /* With two children in the heap, moving forward: how the top's user key
   * compares with the other's (<0 or 0), as next_key_two left them; valid
   * while rel_ok. Every other move clears rel_ok (rebuild and step_dir,
   * which every move goes through), so it never outlives the positions it
   * describes. */
  int rel, rel_ok;
  char *lower, *upper; /* the reader's bounds (copies), NULL: none */
  size_t llen, ulen;
  uint64_t stepped; /* hidden entries stepped over */
} merging_iter;

/* 1 when child a should be above child b in the heap. Inlined: a scan
 * compares once per step, and the call cost a third of the comparison. */
static inline __attribute__((always_inline)) int before(const merging_iter *m, size_t a, size_t b) {
  int c = st_ikey_compare(m->keys[a].k, m->keys[a].len, m->keys[b].k, m->keys[b].len);
  return m->forward ? c < 0 : c > 0;
}

static void sift_down(merging_iter *m, size_t i) {
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, best = i;
    if (l < m->nheap && before(m, m->heap[l], m->heap[best])) best = l;
    if (r < m->nheap && before(m, m->heap[r], m->heap[best])) best = r;
    if (best == i) return;
    size_t t = m->heap[i];
    m->heap[i] = m->heap[best];
    m->heap[best] = t;
    i = best;
  }
}

/* sift_down(m, 0), with the common heap of two (a scan's memtable and
 * the one table or level holding the keys around it) as one comparison
 * and no loop. */
static inline void sift_top(merging_iter *m) {
  if (m->nheap == 2) {
    size_t a = m->heap[0], b = m->heap[1];
    if (before(m, b, a)) {
      m->heap[0] = b;
      m->heap[1] = a;
    }
  } else if (m->nheap > 2) {
    sift_down(m, 0);
  }
}

/* Rebuilds the heap from every valid child, noting the first failure. */
static void rebuild(merging_iter *m, int forward) {
  m->forward = forward;
  m->rel_ok = 0;
  m->nheap = 0;
  for (size_t i = 0; i < m->n; i++) {
    if (st_iter_valid(m->child[i])) {
      m->keys[i].k = st_iter_key(m->child[i], &m->keys[i].len);
      m->heap[m->nheap++] = i;
    } else if (!m->status && st_iter_status(m->child[i]))
      m->status = st_iter_status(m->child[i]);
  }
  for (size_t i = m->nheap / 2; i-- > 0;) sift_down(m, i);
}

/* After the current child moved: drop it if it ended, else re-sort it. */
static void fix_top(merging_iter *m) {
  st_iter *c = m->child[m->heap[0]];
  if (!st_iter_valid(c)) {
    if (!m->status && st_iter_status(c)) m->status = st_iter_status(c);
    m->heap[0] = m->heap[--m->nheap];
  } else {
    m->keys[m->heap[0]].k = st_iter_key(c, &m->keys[m->heap[0]].len);
  }
  sift_top(m);
}

/* Moves the current child one entry in the given direction, the heap's
 * (its new key in the same call), and re-sorts it. Inlined into the
 * loops of a scan with the direction known. */
static inline __attribute__((always_inline)) void step_dir(merging_iter *m, int forward) {
  size_t c = m->heap[0];
  m->rel_ok = 0;
  const char *k =
      forward ? st_iter_next_key(m->child[c], &m->keys[c].len) : st_iter_prev_key(m->child[c], &m->keys[c].len);
  if (k) {
    m->keys[c].k = k;
    sift_top(m);
  } else {
    fix_top(m); /* it ended */
  }
}

static void step_top(merging_iter *m) {
  if (m->forward)
    step_dir(m, 1);
  else
    step_dir(m, 0);
}

static int mi_valid(const st_iter *i) {
  const merging_iter *m = (const merging_iter *)i;
  return m->nheap > 0 && m->status == STRATA_OK;
}

/* Recomputes the cached tombstone answer around ukey. */
static void lookup(merging_iter *m, const char *ukey, size_t ulen) {
  m->cached = 1;
  m->mono = 1; /* the stretch holds ukey */
  m->lo_none = m->hi_none = 1;
  m->cseq = 0;
  m->cfrag = NULL;
  for (size_t c = 0; c < m->n; c++) {
    if (!m->lists[c]) continue;
    st_rlookup at;
    st_rtombs_lookup(m->lists[c], ukey, ulen, m->snap, &at);
    if (at.seq > m->cseq) {
      m->cseq = at.seq;
      m->cchild = c;
      m->cfrag = at.frag;
    }
    if (!at.lo_none && (m->lo_none || st_ukey_compare(at.lo, at.lolen, m->lo, m->lolen) > 0)) {
      m->lo = at.lo;
      m->lolen = at.lolen;
      m->lo_none = 0;
    }
    if (!at.hi_none && (m->hi_none || st_ukey_compare(at.hi, at.hilen, m->hi, m->hilen) < 0)) {
      m->hi = at.hi;
      m->hilen = at.hilen;
      m->hi_none = 0;
    }
  }
  m->past_upper = m->upper && (m->hi_none || st_ukey_compare(m->hi, m->hilen, m->upper, m->ulen) >= 0);
  m->past_lower = m->lower && (m->lo_none || st_ukey_compare(m->lo, m->lolen, m->lower, m->llen) <= 0);
}

/* 1 when the cached answer holds for ukey. When the last key asked was
 * inside the stretch and keys have come in the heap's direction since
 * (mono), only the stretch's far end needs comparing: a scan pays one
 * comparison per entry, and none when the stretch reaches past the
 * reader's bound (a key beyond it may then get a wrong answer, which does
 * not matter: the reader stops there). */
static int cached_for(merging_iter *m, const char *ukey, size_t ulen) {
  if (!m->cached) return 0;
  if (m->mono && (m->forward ? m->past_upper : m->past_lower)) return 1;
  int lo_ok = m->lo_none || (m->mono && m->forward) || st_ukey_compare(ukey, ulen, m->lo, m->lolen) >= 0;
  int hi_ok = m->hi_none || (m->mono && !m->forward) || st_ukey_compare(ukey, ulen, m->hi, m->hilen) < 0;
  m->mono = lo_ok && hi_ok;
  return m->mono;
}

/* 1 when ukey lies outside the reader's bounds in the direction of
 * travel: the reader stops there, hidden or not. */
static int out_of_bounds(const merging_iter *m, const char *ukey, size_t ulen) {
  if (m->forward) return m->upper && st_ukey_compare(ukey, ulen, m->upper, m->ulen) >= 0;
  return m->lower && st_ukey_compare(ukey, ulen, m->lower, m->llen) < 0;
}

/* Moves child c to the first entry of user key ukey (forward) or to the
 * last entry before it (backward); NULL ukey: past its end. */
static void seek_child(merging_iter *m, size_t c, const char *ukey, size_t ulen, int forward) {
  st_iter *ch = m->child[c];
  if (!ukey) {
    st_iter_seek_last(ch);
    if (st_iter_valid(ch)) st_iter_next(ch);
    return;
  }
  if (ulen + ST_IKEY_TRAILER > m->target_cap) {
    char *t = realloc(m->target, ulen + ST_IKEY_TRAILER);
    if (!t) {
      m->status = st_error(STRATA_ENOMEM, "merging iterator: out of memory");
      return;
    }
    m->target = t;
    m->target_cap = ulen + ST_IKEY_TRAILER;
  }
  st_ikey_pack(m->target, ukey, ulen, st_trailer_seek(ST_SEQ_MAX));
  st_iter_seek(ch, m->target, ulen + ST_IKEY_TRAILER);
  if (forward) return;
  if (st_iter_valid(ch))
    st_iter_prev(ch);
  else if (st_iter_status(ch) == STRATA_OK)
    st_iter_seek_last(ch);
}

/* An older child inside a deleted range first steps this many entries
 * forward, then seeks: when it holds only a few of the range's keys (a
 * small partition spread over several tables) a step is cheaper than a
 * seek; when it holds many, the seek bounds the cost. RocksDB's iterator
 * uses the same idea for old versions of one key. */
#define SKIP_STEPS 4

/* Moves child c forward past the keys below edge (NULL: past its end). */
static void pass_forward(merging_iter *m, size_t c, const char *edge, size_t elen) {
  st_iter *ch = m->child[c];
  for (int i = 0; edge && i < SKIP_STEPS; i++) {
    st_iter_next(ch);
    m->stepped++;
    if (!st_iter_valid(ch)) return;
    size_t cl;
    const char *ck = st_iter_key(ch, &cl);
    if (st_ukey_compare(ck, cl - ST_IKEY_TRAILER, edge, elen) >= 0) return;
  }
  seek_child(m, c, edge, elen, 1);
}

/* Passes over hidden entries until the current one is visible (or none is
 * left). The fragment's end (start, backward) bounds the older children's
 * jump: they hold nothing newer than the tombstone inside it. */
static void skip_hidden(merging_iter *m) {
  if (!m->lists) return;
  while (m->nheap > 0 && m->status == STRATA_OK) {
    size_t top = m->heap[0], klen = m->keys[top].len;
    const char *k = m->keys[top].k;
    size_t ul = klen - ST_IKEY_TRAILER;
    uint64_t seq = st_trailer_seq(st_ikey_trailer(k, klen));
    if (seq > m->snap) return;
    if (!cached_for(m, k, ul)) {
      if (out_of_bounds(m, k, ul)) return; /* a new stretch the reader will not read: no lookup */
      lookup(m, k, ul);
    }
    if (m->cseq <= seq || out_of_bounds(m, k, ul)) return;
    const st_rfrag *f = m->cfrag;
    size_t owner = m->cchild;
    const char *edge = m->forward ? f->end : f->start;
    size_t elen = m->forward ? f->elen : f->slen;
    if (m->forward && f->open) edge = NULL;
    int moved = 0, top_moved = 0; /* the heap is rebuilt when children other than the top moved */
    for (size_t c = 0; c < m->n; c++) {
      /* Older than the tombstone: below its owner, or with nothing as new
       * (the owner itself, when the deletes came after its writes). */
      if (c <= owner && m->newest[c] >= m->cseq) continue;
      st_iter *ch = m->child[c];
      if (!st_iter_valid(ch)) continue;
      size_t cl;
      const char *ck = st_iter_key(ch, &cl);
      int c_in = m->forward ? (!edge || st_ukey_compare(ck, cl - ST_IKEY_TRAILER, edge, elen) < 0)
                            : st_ukey_compare(ck, cl - ST_IKEY_TRAILER, edge, elen) >= 0;
      if (c_in && m->forward)
        pass_forward(m, c, edge, elen);
      else if (c_in)
        seek_child(m, c, edge, elen, 0);
      moved |= c_in;
      top_moved |= c_in && c == top;
    }
    if (!top_moved) {
      m->stepped++;
      if (m->forward)
        st_iter_next(m->child[top]);
      else
        st_iter_prev(m->child[top]);
    }
    if (moved)
      rebuild(m, m->forward);
    else
      fix_top(m); /* only the top stepped: a newer source's own hidden entries */
  }
}

static void mi_seek_first(st_iter *i) {
  merging_iter *m = (merging_iter *)i;
  m->status = STRATA_OK;
  m->mono = 0;
  for (size_t k = 0; k < m->n; k++) st_iter_seek_first(m->child[k]);
  rebuild(m, 1);
  skip_hidden(m);
}

static void mi_seek_last(st_iter *i) {
  merging_iter *m = (merging_iter *)i;
  m->status = STRATA_OK;
  m->mono = 0;
  for (size_t k = 0; k < m->n; k++) st_iter_seek_last(m->child[k]);
  rebuild(m, 0);
  skip_hidden(m);
}

static void mi_seek(st_iter *i, const char *target, size_t len) {
  merging_iter *m = (merging_iter *)i;
  m->status = STRATA_OK;
  m->mono = 0;
  for (size_t k = 0; k < m->n; k++) st_iter_seek(m->child[k], target, len);
  rebuild(m, 1);
  skip_hidden(m);
}

/* Turns to a new direction around the current key: every other child
 * goes to its first entry after the key (forward) or its last entry before
 * it (backward). Keys are unique across children (each fragment has its
 * own sequence number). 0 when memory ran out (status set). */
static int turn(merging_iter *m, int forward) {
  m->mono = 0;
  size_t cur = m->heap[0], klen;
  const char *k = st_iter_key(m->child[cur], &klen);
  char small[256], *key = klen <= sizeof small ? small : malloc(klen);
  if (!key) {
    m->status = st_error(STRATA_ENOMEM, "merging iterator: out of memory");
    return 0;
  }
  memcpy(key, k, klen);
  for (size_t c = 0; c < m->n; c++) {
    if (c == cur) continue;
    st_iter *ch = m->child[c];
    st_iter_seek(ch, key, klen);
    if (forward) {
      size_t cl;
      const char *ck = st_iter_valid(ch) ? st_iter_key(ch, &cl) : NULL;
      if (ck && st_ikey_compare(ck, cl, key, klen) == 0) st_iter_next(ch);
    } else if (st_iter_valid(ch)) {
      st_iter_prev(ch);
    } else if (st_iter_status(ch) == STRATA_OK) {
      st_iter_seek_last(ch);
    }
  }
  if (key != small) free(key);
  return 1;
}

static void mi_next(st_iter *i) {
  merging_iter *m = (merging_iter *)i;
  if (!m->forward) {
    if (!turn(m, 1)) return;
    st_iter_next(m->child[m->heap[0]]);
    rebuild(m, 1);
  } else {
    step_top(m);
  }
  skip_hidden(m);
}

static void mi_prev(st_iter *i) {
  merging_iter *m = (merging_iter *)i;
  if (m->forward) {
    if (!turn(m, 0)) return;
    st_iter_prev(m->child[m->heap[0]]);
    rebuild(m, 0);
  } else {
    step_top(m);
  }
  skip_hidden(m);
}

static const char *mi_key(const st_iter *i, size_t *len_out) {
  const merging_iter *m = (const merging_iter *)i;
  *len_out = m->keys[m->heap[0]].len;
  return m->keys[m->heap[0]].k;
}

static const char *mi_value(const st_iter *i, size_t *len_out) {
  const merging_iter *m = (const merging_iter *)i;
  return st_iter_value(m->child[m->heap[0]], len_out);
}

static int mi_status(const st_iter *i) { return ((const merging_iter *)i)->status; }

static void mi_free(st_iter *i) {
  merging_iter *m = (merging_iter *)i;
  for (size_t k = 0; k < m->n; k++) st_iter_free(m->child[k]);
  for (size_t k = 0; m->lists && k < m->n; k++) st_rtombs_unref(m->lists[k]);
  free(m->lists);
  free(m->newest);
  free(m->lower ? m->lower : m->upper); /* one allocation: st_merging_iter_set_bounds */
  free(m->target);
  free(m->pass);
  free(m->child);
  free(m->keys);
  free(m->heap);
  free(m);
}

static const st_iter_ops merging_ops = {mi_valid, mi_seek_first, mi_seek_last, mi_seek, mi_next, mi_prev,
                                        mi_key,   mi_value,      mi_status,    mi_free, NULL,    NULL};

int st_merging_iter_new(st_iter **children, size_t n, st_iter **it_out) {
  *it_out = NULL;
  merging_iter *m = calloc(1, sizeof *m);
  if (m) {
    m->child = malloc((n ? n : 1) * sizeof *m->child);
    m->keys = malloc((n ? n : 1) * sizeof *m->keys);
    m->heap = malloc((n ? n : 1) * sizeof *m->heap);
  }
  if (!m || !m->child || !m->keys || !m->heap) {
    for (size_t k = 0; k < n; k++) st_iter_free(children[k]);
    if (m) {
      free(m->child);
      free(m->keys);
      free(m->heap);
      free(m);
    }
    return st_error(STRATA_ENOMEM, "merging iterator: out of memory");
  }
  m->base.ops = &merging_ops;
  if (n) memcpy(m->child, children, n * sizeof *children);
  m->n = n;
  m->forward = 1;
  *it_out = &m->base;
  return STRATA_OK;
}

int st_merging_iter_new_ranged(st_iter **children, st_rtombs **lists, uint64_t *newest, size_t n, uint64_t snap,
                               st_iter **it_out) {
  size_t with = 0;
  for (size_t k = 0; k < n; k++) with += lists[k] != NULL;
  int rc = st_merging_iter_new(children, n, it_out);
  if (rc || !with) {
    for (size_t k = 0; k < n; k++) st_rtombs_unref(lists[k]);
    free(lists);
    free(newest);
    return rc;
  }
  merging_iter *m = (merging_iter *)*it_out;
  m->lists = lists;
  m->newest = newest;
  m->snap = snap;
  return STRATA_OK;
}

int st_merging_iter_set_bounds(st_iter *it, const void *lower, size_t llen, const void *upper, size_t ulen) {
  merging_iter *m = (merging_iter *)it;
  if (!m->lists || (!lower && !upper)) return STRATA_OK; /* nothing to skip, or no bound */
  /* One allocation holds both copies; lower (or upper alone) at its start. */
  char *buf = malloc((lower ? llen : 0) + (upper ? ulen : 0) + 1);
  if (!buf) return st_error(STRATA_ENOMEM, "merging iterator: out of memory");
  if (lower) {
    if (llen) memcpy(buf, lower, llen);
    m->lower = buf;
    m->llen = llen;
  }
  if (upper) {
    m->upper = buf + (lower ? llen : 0);
    if (ulen) memcpy(m->upper, upper, ulen);
    m->ulen = ulen;
  }
  return STRATA_OK;
}

uint64_t st_merging_iter_hidden_stepped(const st_iter *it) { return ((const merging_iter *)it)->stepped; }

int st_is_merging_iter(const st_iter *it) { return it->ops == &merging_ops; }

int st_merging_iter_valid(const st_iter *it) { return mi_valid(it); }
void st_merging_iter_next(st_iter *it) { mi_next(it); }
const char *st_merging_iter_key(const st_iter *it, size_t *len_out) { return mi_key(it, len_out); }
const char *st_merging_iter_value(const st_iter *it, size_t *len_out) { return mi_value(it, len_out); }

/* Steps past the entries of the user key in m->pass (ulen bytes), the
 * current one included; the number passed after the current one. Inlined
 * into st_merging_iter_next_key, where every scan over one child or more
 * than two steps. */
static inline __attribute__((always_inline)) uint64_t pass_rest(merging_iter *m, size_t ulen) {
  st_iter *it = &m->base;
  const child_key *top;
  uint64_t passed = 0;
  for (;;) {
    if (m->forward) {
      step_dir(m, 1);
      skip_hidden(m);
    } else {
      mi_next(it);
    }
    if (!mi_valid(it)) return passed;
    top = &m->keys[m->heap[0]];
    if (st_ukey_compare(top->k, top->len - ST_IKEY_TRAILER, m->pass, ulen) != 0) return passed;
    passed++;
  }
}

/*
 * st_merging_iter_next_key in a scan's common case: forward, no range
 * tombstones, two children (the memtable and the level holding the keys
 * around it). Each step compares the stepped child's user key with the
 * other's once; that one comparison also says whether the other child,
 * when it comes on top, holds the key being passed, and the last one is
 * kept (m->rel) for the next call. So the key passed is compared again
 * only when the stepped child stays on top: over half-deleted keys, one
 * comparison with it per live entry instead of three.
 */
static uint64_t next_key_two(merging_iter *m, size_t ulen) {
  size_t a = m->heap[0], b = m->heap[1];     /* a: the top, stepped; b: the other */
  int b_same = m->rel_ok ? m->rel == 0 : -1; /* b's user key is the one passed; -1: not known */
  m->rel_ok = 0;
  uint64_t passed = 0;
  for (;;) {
    size_t len;
    const char *k = st_iter_next_key(m->child[a], &len);
    if (!k) {
      fix_top(m); /* a ended: b alone is left (or a failed) */
      if (!mi_valid(&m->base)) return passed;
      if (b_same < 0) b_same = st_ukey_compare(m->keys[b].k, m->keys[b].len - ST_IKEY_TRAILER, m->pass, ulen) == 0;
      return b_same ? passed + 1 + pass_rest(m, ulen) : passed;
    }
    m->keys[a].k = k;
    m->keys[a].len = len;
    const child_key *kb = &m->keys[b];
    int cu = st_ukey_compare(k, len - ST_IKEY_TRAILER, kb->k, kb->len - ST_IKEY_TRAILER);
    if (cu < 0 || (cu == 0 && st_ikey_trailer(k, len) > st_ikey_trailer(kb->k, kb->len))) {
      /* a stays on top; b's relation to the key passed is unchanged */
      m->rel = cu;
      if (st_ukey_compare(k, len - ST_IKEY_TRAILER, m->pass, ulen) != 0) break;
      passed++;
      continue;
    }
    m->heap[0] = b;
    m->heap[1] = a;
    m->rel = -cu;
    if (b_same < 0) b_same = st_ukey_compare(kb->k, kb->len - ST_IKEY_TRAILER, m->pass, ulen) == 0;
    if (!b_same) break;
    passed++;
    /* b, on top, holds the key passed; a now stands where cu said. */
    b_same = cu == 0;
    size_t t = a;
    a = b;
    b = t;
  }
  m->rel_ok = 1;
  return passed;
}

uint64_t st_merging_iter_next_key(st_iter *it) {
  merging_iter *m = (merging_iter *)it;
  const child_key *top = &m->keys[m->heap[0]];
  size_t ulen = top->len - ST_IKEY_TRAILER;
  if (ulen > m->pass_cap) {
    char *p = realloc(m->pass, ulen);
    if (!p) {
      m->status = st_error(STRATA_ENOMEM, "merging iterator: out of memory");
      return 0;
    }
    m->pass = p;
    m->pass_cap = ulen;
  }
  st_copy_short(m->pass, top->k, ulen);
  if (m->nheap == 2 && m->forward && !m->lists) return next_key_two(m, ulen);
  return pass_rest(m, ulen);
}
