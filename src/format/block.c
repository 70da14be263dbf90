/*
 * block.c - the block iterator: decodes prefix-compressed entries in place,
 * binary-searches restart points for seek, steps back through a decoded
 * copy of a restart interval for prev.
 */
#include "format/block.h"

#include <stdlib.h>
#include <string.h>

#include "base/coding.h"
#include "base/copy.h"
#include "base/error.h"

int st_bytewise_compare(const char *a, size_t alen, const char *b, size_t blen) {
  size_t n = alen < blen ? alen : blen;
  int c = n ? memcmp(a, b, n) : 0;
  if (c) return c;
  return alen < blen ? -1 : alen > blen;
}

static const st_iter_ops block_iter_ops;

void st_block_iter_init(st_block_iter *it, st_key_cmp cmp, size_t key_min) {
  memset(it, 0, sizeof *it);
  it->base.ops = &block_iter_ops;
  it->cmp = cmp ? cmp : st_bytewise_compare;
  it->key_min = key_min;
  it->key = it->key_inline;
  it->key_cap = sizeof it->key_inline;
}

/*
 * Stepping back. Keys are prefix-compressed forward, so the entry before
 * the current one is found by decoding its restart interval from its
 * start. Doing that at every backward step decoded half an interval per
 * step, most of a reverse scan's time; instead, decoding an interval on
 * the way back (or to the last entry) keeps its entries and their keys,
 * and each further step back inside it is a copy. The room is allocated
 * on first use, so forward-only iterators never pay for it; when it
 * cannot be allocated, or an interval does not fit, steps decode the
 * interval again as before: slower, never wrong.
 */
#define BACK_ENTRIES 32     /* entries of one interval (blocks are written with 16) */
#define BACK_KEY_BYTES 4096 /* their keys, end to end */

typedef struct back_entry {
  uint32_t off, next;       /* the entry's offset and the next one's */
  uint32_t key_at, key_len; /* its key in keys[] */
  uint32_t val_len;         /* its value ends where the next entry starts */
  uint32_t shared;
} back_entry;

typedef struct st_block_back st_block_back;

struct st_block_back {
  size_t n;   /* entries kept, in order; 0: nothing kept */
  size_t pos; /* the current entry's place among them, when it is one */
  size_t used;
  int full; /* the interval being kept did not fit: keep nothing of it */
  back_entry e[BACK_ENTRIES];
  char keys[BACK_KEY_BYTES];
};

/* Starts keeping an interval (allocating the room the first time). */
static void back_begin(st_block_iter *it) {
  if (!it->back && (it->back = malloc(sizeof *it->back)) == NULL) return;
  it->back->n = it->back->used = 0;
  it->back->full = 0;
}

/* Keeps the entry just decoded, if there is room. */
static void back_keep(st_block_iter *it) {
  st_block_back *b = it->back;
  if (!b || b->full) return;
  if (b->n == BACK_ENTRIES || it->key_len > BACK_KEY_BYTES - b->used || it->next > UINT32_MAX) {
    b->full = 1;
    b->n = 0;
    return;
  }
  back_entry *e = &b->e[b->n];
  e->off = (uint32_t)it->cur;
  e->next = (uint32_t)it->next;
  e->key_at = (uint32_t)b->used;
  e->key_len = (uint32_t)it->key_len;
  e->val_len = (uint32_t)it->val_len;
  e->shared = (uint32_t)it->shared;
  memcpy(b->keys + b->used, it->key, it->key_len);
  b->used += it->key_len;
  b->pos = b->n++;
}

/* Forgets the interval kept (the block changed). */
static void back_forget(st_block_iter *it) {
  if (it->back) it->back->n = 0;
}

/* Steps back inside the interval kept: 1 when the current entry is its
 * pos'th and not its first, else 0 (nothing changed). */
static int back_step(st_block_iter *it) {
  st_block_back *b = it->back;
  if (!b || b->n == 0 || b->pos == 0 || b->pos >= b->n || b->e[b->pos].off != it->cur) return 0;
  const back_entry *e = &b->e[--b->pos];
  /* The key was decoded by this iterator, so its buffer holds it. */
  memcpy(it->key, b->keys + e->key_at, e->key_len);
  it->key_len = e->key_len;
  it->cur = e->off;
  it->next = e->next;
  it->val_len = e->val_len;
  it->val = it->data + e->next - e->val_len;
  it->shared = e->shared;
  return 1;
}

void st_block_iter_detach(st_block_iter *it) {
  back_forget(it);
  it->data = NULL;
  it->restarts = it->nrestarts = 0;
  it->cur = it->next = 0;
  it->restart_index = 0;
  it->key_len = it->val_len = 0;
  it->status = STRATA_OK;
}

void st_block_iter_destroy(st_block_iter *it) {
  if (it->key != it->key_inline) free(it->key);
  free(it->back);
  it->back = NULL;
  it->key = it->key_inline;
  it->key_cap = sizeof it->key_inline;
  st_block_iter_detach(it);
}

/* Damage: the error is recorded; the iterator becomes invalid. */
static void corrupt(st_block_iter *it, int code) {
  it->status = code;
  back_forget(it);
  it->cur = it->next = it->restarts;
  it->key_len = it->val_len = 0;
}

static void invalidate(st_block_iter *it) { it->cur = it->next = it->restarts; }

int st_block_iter_reset(st_block_iter *it, const char *data, size_t len) {
  st_block_iter_detach(it);
  if (len < 4) return it->status = st_error(STRATA_ECORRUPT, "block size: expected at least 4 bytes, found %zu", len);
  uint32_t n = st_get_fixed32(data + len - 4);
  if (n > (len - 4) / 4)
    return it->status = st_error(STRATA_ECORRUPT, "block of %zu bytes: expected at most %zu restart points, found %u",
                                 len, (len - 4) / 4, n);
  size_t restarts = len - 4 - 4 * (size_t)n;
  if ((n == 0) != (restarts == 0))
    return it->status =
               st_error(STRATA_ECORRUPT,
                        "block of %zu bytes: expected restart points iff entries, found %zu bytes of entries and %u",
                        len, restarts, n);
  if (n && st_get_fixed32(data + restarts) != 0)
    return it->status = st_error(STRATA_ECORRUPT, "block of %zu bytes: expected restart point 0 at offset 0, found %u",
                                 len, st_get_fixed32(data + restarts));
  it->data = data;
  it->restarts = restarts;
  it->nrestarts = n;
  it->cur = it->next = restarts;
  return STRATA_OK;
}

static inline uint32_t restart_point(const st_block_iter *it, uint32_t i) {
  return st_get_fixed32(it->data + it->restarts + 4 * (size_t)i);
}

uint32_t st_block_iter_restart_of_current(const st_block_iter *it) {
  uint32_t lo = 0, hi = it->nrestarts - 1;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo + 1) / 2;
    if (restart_point(it, mid) <= it->cur)
      lo = mid;
    else
      hi = mid - 1;
  }
  return lo;
}

/* Decodes the three varints of the entry at p; NULL when they do not. */
static inline const char *entry_header(const char *p, const char *limit, uint64_t *shared, uint64_t *non_shared,
                                       uint64_t *vlen) {
  if (limit - p >= 3 && ((p[0] | p[1] | p[2]) & 0x80) == 0) {
    *shared = (unsigned char)p[0];
    *non_shared = (unsigned char)p[1];
    *vlen = (unsigned char)p[2];
    return p + 3;
  }
  if ((p = st_get_varint64(p, limit, shared)) == NULL) return NULL;
  if ((p = st_get_varint64(p, limit, non_shared)) == NULL) return NULL;
  return st_get_varint64(p, limit, vlen);
}

/* Parses the entry at off, whose prefix is shared with the key in it->key.
 * Returns 1, or 0 after recording damage. */
static int parse_at(st_block_iter *it, size_t off) {
  const char *limit = it->data + it->restarts, *p = it->data + off;
  uint64_t shared, non_shared, vlen;
  p = entry_header(p, limit, &shared, &non_shared, &vlen);
  if (!p) {
    corrupt(it, st_error(STRATA_ECORRUPT, "entry at block offset %zu: expected three varints, found %zu bytes", off,
                         it->restarts - off));
    return 0;
  }
  size_t left = (size_t)(limit - p);
  if (shared > it->key_len) {
    corrupt(it, st_error(STRATA_ECORRUPT, "entry at block offset %zu: expected a shared prefix <= %zu, found %llu", off,
                         it->key_len, (unsigned long long)shared));
    return 0;
  }
  if (non_shared > left || vlen > left - non_shared) {
    corrupt(it, st_error(STRATA_ECORRUPT,
                         "entry at block offset %zu: expected key and value within %zu bytes, found %llu + %llu", off,
                         left, (unsigned long long)non_shared, (unsigned long long)vlen));
    return 0;
  }
  size_t klen = (size_t)shared + (size_t)non_shared;
  if (klen < it->key_min) {
    corrupt(it, st_error(STRATA_ECORRUPT, "entry at block offset %zu: expected a key of at least %zu bytes, found %zu",
                         off, it->key_min, klen));
    return 0;
  }
  if (klen > it->key_cap) {
    size_t cap = it->key_cap;
    while (cap < klen) cap *= 2;
    char *k = it->key == it->key_inline ? malloc(cap) : realloc(it->key, cap);
    if (!k) {
      corrupt(it, st_error(STRATA_ENOMEM, "block: out of memory for a key of %zu bytes", klen));
      return 0;
    }
    if (it->key == it->key_inline) memcpy(k, it->key_inline, (size_t)shared);
    it->key = k;
    it->key_cap = cap;
  }
  st_copy_short(it->key + shared, p, (size_t)non_shared);
  it->key_len = klen;
  it->shared = (size_t)shared;
  it->val = p + non_shared;
  it->val_len = (size_t)vlen;
  it->cur = off;
  it->next = (size_t)(p + non_shared + vlen - it->data);
  return 1;
}

static int seek_to_restart(st_block_iter *it, uint32_t i) {
  uint32_t off = restart_point(it, i);
  it->restart_index = i;
  it->key_len = 0;
  if (off >= it->restarts) {
    corrupt(it,
            st_error(STRATA_ECORRUPT, "restart point %u: expected an offset < %zu, found %u", i, it->restarts, off));
    return 0;
  }
  return parse_at(it, off);
}

/* Decodes restart interval i up to the entry that ends at `until`,
 * keeping its entries for the steps back that follow. 0 on damage. */
static int decode_interval(st_block_iter *it, uint32_t i, size_t until) {
  back_begin(it);
  if (!seek_to_restart(it, i)) return 0;
  back_keep(it);
  while (it->next < until) {
    if (!parse_at(it, it->next)) return 0;
    back_keep(it);
  }
  return 1;
}

void st_block_iter_seek_first(st_block_iter *it) {
  if (it->status || !it->data) return;
  if (it->nrestarts == 0) {
    invalidate(it);
    return;
  }
  seek_to_restart(it, 0);
}

void st_block_iter_seek_last(st_block_iter *it) {
  if (it->status || !it->data) return;
  if (it->nrestarts == 0) {
    invalidate(it);
    return;
  }
  decode_interval(it, it->nrestarts - 1, it->restarts);
}

void st_block_iter_next(st_block_iter *it) {
  if (!st_block_iter_valid(it)) return;
  if (it->next >= it->restarts) {
    invalidate(it);
    return;
  }
  parse_at(it, it->next);
}

void st_block_iter_prev(st_block_iter *it) {
  if (!st_block_iter_valid(it)) return;
  size_t original = it->cur;
  if (original == 0) {
    invalidate(it); /* before the first entry */
    return;
  }
  if (back_step(it)) return;
  /* The last restart point before the current entry; its interval holds
   * the previous entry. */
  uint32_t lo = 0, hi = it->nrestarts - 1;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo + 1) / 2;
    if (restart_point(it, mid) < original)
      lo = mid;
    else
      hi = mid - 1;
  }
  if (!decode_interval(it, lo, original)) return;
  if (it->next != original)
    corrupt(it, st_error(STRATA_ECORRUPT, "expected an entry to end at block offset %zu, found one ending at %zu",
                         original, it->next));
}

/*
 * A seek in a data block read from memory (a point read, mostly) waited on
 * one cache miss after another: a restart key per step of the binary
 * search, then each line of the interval scanned for the target. Asking
 * for them all at once lets the misses overlap: a point read of a
 * compacted table, 1.80 to 1.45 us.
 */
#define PREFETCH_RESTARTS 8    /* a data block's restart keys, when it has no more */
#define PREFETCH_INTERVAL 2048 /* bytes of the interval scanned (16 entries of 128) */

static void prefetch_restart_keys(const st_block_iter *it) {
  if (it->nrestarts > PREFETCH_RESTARTS) return; /* an index block: its search needs few of them */
  for (uint32_t i = 1; i < it->nrestarts; i++) {
    uint32_t off = restart_point(it, i);
    if (off < it->restarts) __builtin_prefetch(it->data + off);
  }
}

/* The lines after the first of interval i (the search read that one). */
static void prefetch_interval(const st_block_iter *it, uint32_t i) {
  size_t from = restart_point(it, i), to = i + 1 < it->nrestarts ? restart_point(it, i + 1) : it->restarts;
  if (to > it->restarts) to = it->restarts;
  if (to > from + PREFETCH_INTERVAL) to = from + PREFETCH_INTERVAL;
  for (size_t off = from + 64; off < to; off += 64) __builtin_prefetch(it->data + off);
}

void st_block_iter_seek(st_block_iter *it, const char *target, size_t len) {
  if (it->status || !it->data) return;
  if (it->nrestarts == 0) {
    invalidate(it);
    return;
  }
  /* The last restart point whose key is < target: every entry before it
   * is smaller too. */
  uint32_t left = 0, right = it->nrestarts - 1;
  const char *limit = it->data + it->restarts;
  prefetch_restart_keys(it);
  while (left < right) {
    uint32_t mid = left + (right - left + 1) / 2;
    uint32_t off = restart_point(it, mid);
    uint64_t shared, non_shared, vlen;
    const char *p = off < it->restarts ? entry_header(it->data + off, limit, &shared, &non_shared, &vlen) : NULL;
    if (!p || shared != 0 || non_shared > (size_t)(limit - p) || non_shared < it->key_min) {
      corrupt(it, st_error(STRATA_ECORRUPT, "restart point %u at block offset %u: expected a whole key, found %s", mid,
                           off, p ? "a damaged entry" : "no entry"));
      return;
    }
    if (it->cmp(p, (size_t)non_shared, target, len) < 0)
      left = mid;
    else
      right = mid - 1;
  }
  prefetch_interval(it, left);
  if (!seek_to_restart(it, left)) return;
  while (it->cmp(it->key, it->key_len, target, len) < 0) {
    st_block_iter_next(it);
    if (!st_block_iter_valid(it)) return;
  }
}

int st_block_check(const char *data, size_t len, st_key_cmp cmp, size_t key_min, uint64_t *entries_out) {
  *entries_out = 0;
  st_block_iter it;
  st_block_iter_init(&it, cmp, key_min);
  int rc = st_block_iter_reset(&it, data, len);
  if (rc) return rc;
  char *prev = NULL;
  size_t prev_len = 0, prev_cap = 0;
  uint32_t ri = 0;
  uint64_t n = 0;
  for (uint32_t i = 1; i < it.nrestarts; i++) {
    uint32_t a = restart_point(&it, i - 1), b = restart_point(&it, i);
    if (b <= a || b >= it.restarts) {
      rc = st_error(STRATA_ECORRUPT, "restart point %u: expected an offset in (%u, %zu), found %u", i, a, it.restarts,
                    b);
      goto done;
    }
  }
  for (st_block_iter_seek_first(&it); st_block_iter_valid(&it); st_block_iter_next(&it), n++) {
    if (ri < it.nrestarts && restart_point(&it, ri) == it.cur) {
      if (it.shared != 0) {
        rc = st_error(STRATA_ECORRUPT,
                      "entry %llu at block offset %zu is restart point %u: expected shared 0, found %zu",
                      (unsigned long long)n, it.cur, ri, it.shared);
        goto done;
      }
      ri++;
    } else if (ri < it.nrestarts && restart_point(&it, ri) < it.cur) {
      rc = st_error(STRATA_ECORRUPT, "restart point %u: expected an entry at offset %u, found none", ri,
                    restart_point(&it, ri));
      goto done;
    }
    if (n > 0 && it.cmp(prev, prev_len, it.key, it.key_len) >= 0) {
      rc = st_error(
          STRATA_ECORRUPT,
          "entry %llu at block offset %zu: expected a key greater than the previous one, found one that is not",
          (unsigned long long)n, it.cur);
      goto done;
    }
    if (it.key_len > prev_cap) {
      char *p = realloc(prev, it.key_len);
      if (!p) {
        rc = st_error(STRATA_ENOMEM, "block: out of memory");
        goto done;
      }
      prev = p;
      prev_cap = it.key_len;
    }
    if (it.key_len) memcpy(prev, it.key, it.key_len);
    prev_len = it.key_len;
  }
  rc = it.status;
  if (rc == STRATA_OK && ri != it.nrestarts)
    rc = st_error(STRATA_ECORRUPT, "expected %u restart points at entries, found %u", it.nrestarts, ri);
done:
  free(prev);
  st_block_iter_destroy(&it);
  if (rc == STRATA_OK) *entries_out = n;
  return rc;
}

/* ---- st_iter adapter ---------------------------------------------------- */

static int bi_valid(const st_iter *it) { return st_block_iter_valid((const st_block_iter *)it); }
static void bi_seek_first(st_iter *it) { st_block_iter_seek_first((st_block_iter *)it); }
static void bi_seek_last(st_iter *it) { st_block_iter_seek_last((st_block_iter *)it); }
static void bi_seek(st_iter *it, const char *t, size_t n) { st_block_iter_seek((st_block_iter *)it, t, n); }
static void bi_next(st_iter *it) { st_block_iter_next((st_block_iter *)it); }
static void bi_prev(st_iter *it) { st_block_iter_prev((st_block_iter *)it); }
static const char *bi_key(const st_iter *it, size_t *n) {
  const st_block_iter *b = (const st_block_iter *)it;
  *n = b->key_len;
  return b->key;
}
static const char *bi_value(const st_iter *it, size_t *n) {
  const st_block_iter *b = (const st_block_iter *)it;
  *n = b->val_len;
  return b->val;
}
static int bi_status(const st_iter *it) { return ((const st_block_iter *)it)->status; }
static void bi_free(st_iter *it) {
  st_block_iter *b = (st_block_iter *)it;
  int heap = b->heap;
  st_block_iter_destroy(b);
  if (heap) free(b);
}

static const st_iter_ops block_iter_ops = {bi_valid, bi_seek_first, bi_seek_last, bi_seek, bi_next, bi_prev,
                                           bi_key,   bi_value,      bi_status,    bi_free, NULL,    NULL};

int st_block_iter_new(const char *data, size_t len, st_key_cmp cmp, size_t key_min, st_iter **it_out) {
  *it_out = NULL;
  st_block_iter *it = malloc(sizeof *it);
  if (!it) return st_error(STRATA_ENOMEM, "block: out of memory for an iterator");
  st_block_iter_init(it, cmp, key_min);
  it->heap = 1;
  st_block_iter_reset(it, data, len); /* damage stays in the status */
  *it_out = &it->base;
  return STRATA_OK;
}
