/*
 * db_iter.c - resolving internal entries into user entries, in both
 * directions (the scheme of LevelDB's DBIter). Moving forward, the inner
 * iterator stands on the current entry; moving backward, it stands just
 * before every entry of the current key, whose key and value are saved.
 * A key whose newest visible fragment is typed (a counter, latest-wins or
 * list fragment) is resolved by the merge rules like strata_get: its key
 * and value are saved too, and moving forward the inner iterator is left
 * somewhere among or after its entries.
 */
#include "iter/db_iter.h"

#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "format/ikey.h"
#include "format/kind.h"
#include "iter/merging_iter.h"
#include "merge/merge.h"

typedef struct buf {
  char *p;
  size_t len, cap;
} buf;

struct st_db_iter {
  st_iter *it;
  uint64_t snapshot;
  buf lower, upper; /* p == NULL: unbounded */
  int has_lower, has_upper;
  int valid;
  int forward;
  int status;
  buf saved_key;   /* backward: the current user key; forward: a key being skipped */
  buf saved_value; /* backward: the current value */
  buf target;      /* scratch for internal seek targets */
  uint64_t skipped;
  int saved;      /* forward: the current entry is a resolved one, in saved_key/saved_value */
  int key_failed; /* the current key's fragments do not combine: status is STRATA_ETYPE */
  st_merge merge;
};

/* Always leaves b->p non-NULL, so that an empty key or bound is told
 * from no key at all. */
static int buf_set(buf *b, const char *p, size_t n) {
  if (n > b->cap || !b->p) {
    size_t cap = b->cap ? b->cap : 64;
    while (cap < n) cap *= 2;
    if (cap < b->cap) cap = b->cap;
    char *np = realloc(b->p, cap);
    if (!np) return st_error(STRATA_ENOMEM, "iterator: out of memory");
    b->p = np;
    b->cap = cap;
  }
  if (n) memcpy(b->p, p, n);
  b->len = n;
  return STRATA_OK;
}

/* Splits the inner iterator's current entry. */
static void parse(const st_db_iter *d, const char **ukey, size_t *ulen, uint64_t *seq, unsigned *kind) {
  size_t len;
  const char *k = st_merging_iter_key(d->it, &len);
  uint64_t t = st_ikey_trailer(k, len);
  *ukey = k;
  *ulen = len - ST_IKEY_TRAILER;
  *seq = st_trailer_seq(t);
  *kind = st_trailer_kind(t);
}

static void fail(st_db_iter *d, int rc) {
  d->valid = 0;
  if (!d->status) d->status = rc;
}

/* Ends a walk that found nothing: an inner failure becomes ours. */
static void end_walk(st_db_iter *d) {
  d->valid = 0;
  if (!d->status) d->status = st_iter_status(d->it);
}

/* Seeks the inner iterator to (ukey, trailer). */
static int seek_internal(st_db_iter *d, const char *ukey, size_t ulen, uint64_t trailer) {
  size_t n = ulen + ST_IKEY_TRAILER;
  if (n > d->target.cap) {
    char *np = realloc(d->target.p, n);
    if (!np) return st_error(STRATA_ENOMEM, "iterator: out of memory");
    d->target.p = np;
    d->target.cap = n;
  }
  st_ikey_pack(d->target.p, ukey, ulen, trailer);
  st_iter_seek(d->it, d->target.p, n);
  return STRATA_OK;
}

static int above_upper(const st_db_iter *d, const char *ukey, size_t ulen) {
  return d->has_upper && st_ukey_compare(ukey, ulen, d->upper.p, d->upper.len) >= 0;
}
static int below_lower(const st_db_iter *d, const char *ukey, size_t ulen) {
  return d->has_lower && st_ukey_compare(ukey, ulen, d->lower.p, d->lower.len) < 0;
}

/* Kinds this version resolves; anything else fails the walk rather than
 * being shown as a value (strata_get refuses it the same way). */
static int check_kind(st_db_iter *d, unsigned kind) {
  if (st_kind_supported(kind)) return 1;
  fail(d, st_error(STRATA_ECORRUPT, "iterator: fragment kind %u is not supported by this version", kind));
  return 0;
}

/* Feeds the merge rules the entries of user key saved_key from the inner
 * position on (its newest visible entry) into saved_value. Returns
 * STRATA_OK, STRATA_NOTFOUND (a delete decides), STRATA_ETYPE or an
 * error. The inner iterator ends among or after the key's entries. */
static int resolve_key(st_db_iter *d) {
  st_merge *m = &d->merge;
  st_merge_reset(m);
  int rc = 0;
  for (; rc == 0 && st_merging_iter_valid(d->it); st_merging_iter_next(d->it)) {
    const char *ukey;
    size_t ulen, vlen;
    uint64_t seq;
    unsigned kind;
    parse(d, &ukey, &ulen, &seq, &kind);
    if (st_ukey_compare(ukey, ulen, d->saved_key.p, d->saved_key.len) != 0) break;
    const char *v = st_merging_iter_value(d->it, &vlen);
    rc = st_merge_feed(m, kind, v, vlen);
  }
  if (rc >= 0 && st_iter_status(d->it)) rc = st_iter_status(d->it);
  if (rc >= 0) rc = st_merge_finish(m, 1);
  if (rc == STRATA_OK) {
    const char *v;
    size_t vlen;
    st_merge_value(m, &v, &vlen);
    rc = buf_set(&d->saved_value, v, vlen);
  }
  return rc;
}

/* Makes the resolved key (rc of resolve_key, never STRATA_NOTFOUND) the
 * current entry: valid, or standing on it with STRATA_ETYPE; any other
 * error ends the walk. */
static void stand_on_resolved(st_db_iter *d, int rc) {
  if (rc == STRATA_ETYPE) {
    d->saved_value.len = 0;
    d->key_failed = 1;
    d->status = st_error(STRATA_ETYPE, "iterator: the fragments of the key do not combine");
    d->valid = 1;
    return;
  }
  if (rc) return fail(d, rc);
  d->valid = 1;
}

/* Backward: resolves saved_key reading forward from its newest visible
 * entry, then leaves the inner iterator before all its entries: two seeks,
 * however many fragments the key has. Returns as resolve_key; a failed
 * repositioning outranks the key's own result. */
static int resolve_backward(st_db_iter *d) {
  int rc = seek_internal(d, d->saved_key.p, d->saved_key.len, st_trailer_seek(d->snapshot));
  if (rc) return rc;
  rc = resolve_key(d);
  if (rc != STRATA_OK && rc != STRATA_NOTFOUND && rc != STRATA_ETYPE) return rc;
  int moved = seek_internal(d, d->saved_key.p, d->saved_key.len, UINT64_MAX);
  if (!moved && st_merging_iter_valid(d->it))
    st_iter_prev(d->it);
  else if (!moved && st_iter_status(d->it) == STRATA_OK)
    st_iter_seek_last(d->it);
  if (!moved) moved = st_iter_status(d->it);
  return moved ? moved : rc;
}

/* Forward: from the inner position, the first user key with a visible
 * live value. With skipping, entries of user keys <= saved_key are
 * passed over (what is left of a key resolved before). */
static void find_next_user_entry(st_db_iter *d, int skipping) {
  for (; st_merging_iter_valid(d->it); st_merging_iter_next(d->it)) {
  moved:; /* the inner iterator moved on by itself: look at where it is */
    const char *ukey;
    size_t ulen;
    uint64_t seq;
    unsigned kind;
    parse(d, &ukey, &ulen, &seq, &kind);
    if (seq > d->snapshot) continue;
    if (skipping && st_ukey_compare(ukey, ulen, d->saved_key.p, d->saved_key.len) <= 0) continue;
    if (above_upper(d, ukey, ulen)) break;
    if (!check_kind(d, kind)) return;
    if (kind == ST_KIND_DELETE) {
      /* Pass every older entry of this key at once (the statistics count
       * them with the delete); then no key seen so far needs skipping.
       * The loop's own step is not taken. */
      d->skipped += 1 + st_merging_iter_next_key(d->it);
      skipping = 0;
      if (!st_merging_iter_valid(d->it)) break;
      goto moved;
    }
    if (st_kind_is_typed(kind)) {
      int rc = buf_set(&d->saved_key, ukey, ulen);
      if (rc) return fail(d, rc);
      d->saved = 1;
      rc = resolve_key(d);
      /* The newest visible fragment is typed: never STRATA_NOTFOUND. */
      return stand_on_resolved(
          d, rc == STRATA_NOTFOUND ? st_error(STRATA_ECORRUPT, "iterator: a typed key resolved to nothing") : rc);
    }
    d->valid = 1;
    return;
  }
  end_walk(d);
}

/* Backward: from the inner position, the previous user key with a
 * visible live value; its key and value are saved, and the inner iterator
 * ends up before all of its entries. */
static void find_prev_user_entry(st_db_iter *d) {
  unsigned value_kind = ST_KIND_DELETE;
  while (st_merging_iter_valid(d->it)) {
    const char *ukey;
    size_t ulen;
    uint64_t seq;
    unsigned kind;
    parse(d, &ukey, &ulen, &seq, &kind);
    if (seq > d->snapshot) {
      st_iter_prev(d->it);
      continue;
    }
    if (value_kind != ST_KIND_DELETE && st_ukey_compare(ukey, ulen, d->saved_key.p, d->saved_key.len) < 0) break;
    if (value_kind == ST_KIND_DELETE && below_lower(d, ukey, ulen)) break;
    if (!check_kind(d, kind)) return;
    int rc = buf_set(&d->saved_key, ukey, ulen);
    if (rc) return fail(d, rc);
    if (st_kind_is_typed(kind)) {
      /* A key with typed fragments, met at its oldest: resolved at once,
       * not stepped back through (a hot counter has a million). */
      rc = resolve_backward(d);
      if (rc != STRATA_NOTFOUND) return stand_on_resolved(d, rc);
      value_kind = ST_KIND_DELETE; /* deleted: go on before it */
      d->saved_key.len = 0;
      d->skipped++;
      continue;
    }
    value_kind = kind;
    if (kind == ST_KIND_DELETE) {
      d->saved_key.len = 0;
      d->skipped++;
    } else {
      size_t vlen;
      const char *v = st_merging_iter_value(d->it, &vlen);
      if ((rc = buf_set(&d->saved_value, v, vlen))) return fail(d, rc);
    }
    st_iter_prev(d->it);
  }
  if (value_kind == ST_KIND_DELETE) return end_walk(d);
  if (st_iter_status(d->it)) return fail(d, st_iter_status(d->it));
  if (below_lower(d, d->saved_key.p, d->saved_key.len)) return end_walk(d);
  d->valid = 1;
}

/* Every move starts clean: a type error belongs to the key it stood on. */
static void start_move(st_db_iter *d) {
  d->status = STRATA_OK;
  d->saved = 0;
  d->key_failed = 0;
}

void st_db_iter_seek(st_db_iter *d, const void *target, size_t len) {
  start_move(d);
  d->forward = 1;
  d->valid = 0;
  if (below_lower(d, target, len)) {
    target = d->lower.p;
    len = d->lower.len;
  }
  if (above_upper(d, target, len)) return;
  int rc = seek_internal(d, target, len, st_trailer_seek(d->snapshot));
  if (rc) return fail(d, rc);
  find_next_user_entry(d, 0);
}

void st_db_iter_seek_first(st_db_iter *d) {
  if (d->has_lower) return st_db_iter_seek(d, d->lower.p, d->lower.len);
  start_move(d);
  d->forward = 1;
  d->valid = 0;
  st_iter_seek_first(d->it);
  find_next_user_entry(d, 0);
}

/* Backward from the last entry before (ukey, trailer), or from the end. */
static void prev_from(st_db_iter *d, const char *ukey, size_t ulen, uint64_t trailer) {
  start_move(d);
  d->forward = 0;
  d->valid = 0;
  if (ukey) {
    int rc = seek_internal(d, ukey, ulen, trailer);
    if (rc) return fail(d, rc);
    if (st_merging_iter_valid(d->it))
      st_iter_prev(d->it);
    else if (st_iter_status(d->it) == STRATA_OK)
      st_iter_seek_last(d->it);
  } else {
    st_iter_seek_last(d->it);
  }
  find_prev_user_entry(d);
}

void st_db_iter_seek_last(st_db_iter *d) {
  /* The upper bound is exclusive: start before its newest entry. */
  if (d->has_upper) return prev_from(d, d->upper.p, d->upper.len, UINT64_MAX);
  prev_from(d, NULL, 0, 0);
}

void st_db_iter_seek_for_prev(st_db_iter *d, const void *target, size_t len) {
  if (above_upper(d, target, len)) return st_db_iter_seek_last(d);
  /* Trailer 0 sorts after every entry of target: start after them all. */
  prev_from(d, target, len, 0);
}

void st_db_iter_next(st_db_iter *d) {
  if (!d->valid) return;
  int saved = d->saved;
  start_move(d);
  if (saved) {
    /* The inner iterator is already among or after the key's entries:
     * skip what is left of them. */
    d->valid = 0;
    return find_next_user_entry(d, 1);
  }
  if (!d->forward) {
    /* The inner iterator is before the current key's entries: step into
     * them, then skip them like any hidden entry. */
    d->forward = 1;
    if (st_merging_iter_valid(d->it))
      st_merging_iter_next(d->it);
    else
      st_iter_seek_first(d->it);
  } else {
    /* The inner iterator stands on the current entry: the rest of its
     * key's entries are older, hidden by it. */
    st_merging_iter_next_key(d->it);
    return find_next_user_entry(d, 0);
  }
  find_next_user_entry(d, 1);
}

void st_db_iter_prev(st_db_iter *d) {
  if (!d->valid) return;
  if (d->saved) {
    /* Forward on a resolved key: the inner iterator may be past it (even
     * at the end); stand before all of its entries by a seek. */
    return prev_from(d, d->saved_key.p, d->saved_key.len, UINT64_MAX);
  }
  start_move(d);
  if (d->forward) {
    /* Step back before every entry of the current key. */
    size_t ulen;
    const char *ukey = st_db_iter_key(d, &ulen);
    int rc = buf_set(&d->saved_key, ukey, ulen);
    if (rc) return fail(d, rc);
    for (;;) {
      st_iter_prev(d->it);
      if (!st_merging_iter_valid(d->it)) break;
      const char *k;
      size_t kl;
      uint64_t seq;
      unsigned kind;
      parse(d, &k, &kl, &seq, &kind);
      if (st_ukey_compare(k, kl, d->saved_key.p, d->saved_key.len) < 0) break;
    }
    d->forward = 0;
    if (!st_merging_iter_valid(d->it) && st_iter_status(d->it)) return fail(d, st_iter_status(d->it));
  }
  find_prev_user_entry(d);
}

int st_db_iter_valid(const st_db_iter *d) { return d->valid; }

const char *st_db_iter_key(const st_db_iter *d, size_t *len_out) {
  if (!d->forward || d->saved) {
    *len_out = d->saved_key.len;
    return d->saved_key.p;
  }
  size_t len;
  const char *k = st_merging_iter_key(d->it, &len);
  *len_out = len - ST_IKEY_TRAILER;
  return k;
}

const char *st_db_iter_value(const st_db_iter *d, size_t *len_out) {
  if (d->key_failed) {
    *len_out = 0;
    return NULL;
  }
  if (!d->forward || d->saved) {
    *len_out = d->saved_value.len;
    return d->saved_value.p;
  }
  return st_merging_iter_value(d->it, len_out);
}

int st_db_iter_status(const st_db_iter *d) { return d->status; }

void st_db_iter_set_error(st_db_iter *d, int rc) {
  d->valid = 0;
  d->status = rc;
}

uint64_t st_db_iter_tombstones_skipped(const st_db_iter *d) { return d->skipped; }

void st_db_iter_set_list_max(st_db_iter *d, size_t list_max) { d->merge.list_max = list_max; }

int st_db_iter_new(st_iter *internal, uint64_t snapshot, const void *lower, size_t llen, const void *upper, size_t ulen,
                   st_db_iter **it_out) {
  *it_out = NULL;
  if (!st_is_merging_iter(internal)) {
    st_iter_free(internal);
    return st_error(STRATA_EINVAL, "iterator: the inner iterator must be a merging iterator");
  }
  st_db_iter *d = calloc(1, sizeof *d);
  int rc = d ? STRATA_OK : st_error(STRATA_ENOMEM, "iterator: out of memory");
  if (!rc && lower) {
    d->has_lower = 1;
    rc = buf_set(&d->lower, lower, llen);
  }
  if (!rc && upper) {
    d->has_upper = 1;
    rc = buf_set(&d->upper, upper, ulen);
  }
  if (rc) {
    st_iter_free(internal);
    st_db_iter_free(d);
    return rc;
  }
  d->it = internal;
  d->snapshot = snapshot;
  d->forward = 1;
  st_merge_init(&d->merge, 0);
  *it_out = d;
  return STRATA_OK;
}

void st_db_iter_free(st_db_iter *d) {
  if (!d) return;
  st_iter_free(d->it);
  free(d->lower.p);
  free(d->upper.p);
  free(d->saved_key.p);
  free(d->saved_value.p);
  free(d->target.p);
  st_merge_destroy(&d->merge);
  free(d);
}
