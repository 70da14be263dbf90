/*
 * range_del.c - range tombstone values and fragmented lists.
 *
 * Building a list is a sweep over the sorted begins and ends: between two
 * neighbouring points the set of tombstones over the keys does not change,
 * so each such stretch with at least one tombstone over it becomes a
 * fragment. Lookups are a binary search over the fragments' starts.
 */
#include "format/range_del.h"

#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "format/ikey.h"

size_t st_range_end_put(char *out, const char *end, size_t elen, int open) {
  if (open) {
    out[0] = ST_RANGE_END_OPEN;
    return 1;
  }
  out[0] = ST_RANGE_END_BOUNDED;
  if (elen) memcpy(out + 1, end, elen);
  return elen + 1;
}

int st_range_end_get(const char *val, size_t vlen, const char **end_out, size_t *elen_out, int *open_out) {
  if (vlen == 1 && val[0] == ST_RANGE_END_OPEN) {
    *end_out = NULL;
    *elen_out = 0;
    *open_out = 1;
    return 0;
  }
  if (vlen < 1 || val[0] != ST_RANGE_END_BOUNDED) return -1;
  *end_out = val + 1;
  *elen_out = vlen - 1;
  *open_out = 0;
  return 0;
}

/* The search words of key: its first 15 bytes, zero-padded, then its
 * length (16 for 16 or more), as two big-endian words. Keys whose words
 * differ sort as their words do (a shorter key whose bytes match is a
 * prefix of the longer one, followed by zeros); equal words with a length
 * under 16 are equal keys; otherwise only the keys themselves can tell. */
static void key_prefix(const char *key, size_t klen, uint64_t out[2]) {
  unsigned char b[16] = {0};
  if (klen) memcpy(b, key, klen < 15 ? klen : 15);
  b[15] = (unsigned char)(klen < 16 ? klen : 16);
  out[0] = out[1] = 0;
  for (int i = 0; i < 8; i++) {
    out[0] = out[0] << 8 | b[i];
    out[1] = out[1] << 8 | b[8 + i];
  }
}

typedef struct point {
  const char *k;
  size_t len;
} point;

static int point_cmp(const void *a, const void *b) {
  const point *x = a, *y = b;
  return st_ukey_compare(x->k, x->len, y->k, y->len);
}

static int begin_cmp(const void *a, const void *b) {
  const st_rtomb *x = a, *y = b;
  return st_ukey_compare(x->begin, x->blen, y->begin, y->blen);
}

static int seq_desc(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? 1 : x > y ? -1 : 0;
}

/* A tombstone that covers no key: begin >= end. */
static int empty_range(const st_rtomb *t) {
  return !t->open && st_ukey_compare(t->begin, t->blen, t->end, t->elen) >= 0;
}

/* The build's scratch space, freed in one place. */
typedef struct builder {
  st_rtomb *sorted;
  point *pts;
  size_t *active;
  size_t *seq_at; /* per fragment: offset of its first seq */
  uint64_t *seqs;
  size_t nseqs, seqcap;
} builder;

static void builder_free(builder *b) {
  free(b->sorted);
  free(b->pts);
  free(b->active);
  free(b->seq_at);
  free(b->seqs);
}

static int push_seq(builder *b, uint64_t s) {
  if (b->nseqs == b->seqcap) {
    size_t cap = b->seqcap ? b->seqcap * 2 : 64;
    uint64_t *ns = realloc(b->seqs, cap * sizeof *ns);
    if (!ns) return STRATA_ENOMEM;
    b->seqs = ns;
    b->seqcap = cap;
  }
  b->seqs[b->nseqs++] = s;
  return STRATA_OK;
}

int st_rtombs_build(const st_rtomb *t, size_t n, st_rtombs **out) {
  *out = NULL;
  builder b = {0};
  st_rtombs *l = calloc(1, sizeof *l);
  size_t m = 0, keybytes = 0, kept = 0;
  if (!l) goto nomem;
  atomic_init(&l->refs, 1);
  l->raw = n;
  if (n == 0) {
    *out = l;
    return STRATA_OK;
  }
  b.sorted = malloc(n * sizeof *b.sorted);
  b.pts = malloc(2 * n * sizeof *b.pts);
  b.active = malloc(n * sizeof *b.active);
  if (!b.sorted || !b.pts || !b.active) goto nomem;
  for (size_t i = 0; i < n; i++) {
    if (empty_range(&t[i])) continue;
    b.sorted[kept++] = t[i];
    b.pts[m++] = (point){t[i].begin, t[i].blen};
    if (!t[i].open) b.pts[m++] = (point){t[i].end, t[i].elen};
  }
  qsort(b.sorted, kept, sizeof *b.sorted, begin_cmp);
  qsort(b.pts, m, sizeof *b.pts, point_cmp);
  size_t u = 0;
  for (size_t i = 0; i < m; i++)
    if (u == 0 || point_cmp(&b.pts[u - 1], &b.pts[i]) != 0) b.pts[u++] = b.pts[i];
  m = u;
  for (size_t i = 0; i < m; i++) keybytes += b.pts[i].len;
  l->keys = malloc(keybytes ? keybytes : 1);
  l->frags = malloc((m ? m : 1) * sizeof *l->frags);
  b.seq_at = malloc((m ? m : 1) * sizeof *b.seq_at);
  if (!l->keys || !l->frags || !b.seq_at) goto nomem;
  /* The points, copied: the fragments point into the copy. */
  char *kp = l->keys;
  for (size_t i = 0; i < m; i++) {
    if (b.pts[i].len) memcpy(kp, b.pts[i].k, b.pts[i].len);
    b.pts[i].k = kp;
    kp += b.pts[i].len;
  }

  size_t nactive = 0, next = 0;
  for (size_t i = 0; i < m; i++) {
    const point *p = &b.pts[i];
    size_t keep = 0; /* drop the tombstones that end at or before p */
    for (size_t a = 0; a < nactive; a++) {
      const st_rtomb *r = &b.sorted[b.active[a]];
      if (r->open || st_ukey_compare(r->end, r->elen, p->k, p->len) > 0) b.active[keep++] = b.active[a];
    }
    nactive = keep;
    while (next < kept && st_ukey_compare(b.sorted[next].begin, b.sorted[next].blen, p->k, p->len) == 0)
      b.active[nactive++] = next++;
    if (nactive == 0) continue;
    st_rfrag *f = &l->frags[l->n];
    f->start = p->k;
    f->slen = p->len;
    f->open = i + 1 == m; /* past the last point only open tombstones remain */
    f->end = f->open ? NULL : b.pts[i + 1].k;
    f->elen = f->open ? 0 : b.pts[i + 1].len;
    size_t first = b.nseqs;
    for (size_t a = 0; a < nactive; a++)
      if (push_seq(&b, b.sorted[b.active[a]].seq)) goto nomem;
    qsort(b.seqs + first, b.nseqs - first, sizeof *b.seqs, seq_desc);
    size_t w = first;
    for (size_t s = first; s < b.nseqs; s++)
      if (w == first || b.seqs[w - 1] != b.seqs[s]) b.seqs[w++] = b.seqs[s];
    b.nseqs = w;
    b.seq_at[l->n] = first;
    f->nseqs = w - first;
    l->n++;
  }
  l->seqs = b.seqs;
  b.seqs = NULL;
  for (size_t i = 0; i < l->n; i++) l->frags[i].seqs = l->seqs + b.seq_at[i];
  l->ntop = (l->n + ST_RTOMBS_BLOCK - 1) / ST_RTOMBS_BLOCK;
  l->pfx = malloc(4 * (l->n ? l->n : 1) * sizeof *l->pfx);
  l->top = malloc(2 * (l->ntop ? l->ntop : 1) * sizeof *l->top);
  if (!l->pfx || !l->top) goto nomem;
  for (size_t i = 0; i < l->n; i++) {
    const st_rfrag *f = &l->frags[i];
    key_prefix(f->start, f->slen, &l->pfx[4 * i]);
    key_prefix(f->end, f->open ? 0 : f->elen, &l->pfx[4 * i + 2]);
  }
  for (size_t j = 0; j < l->ntop; j++) memcpy(&l->top[2 * j], &l->pfx[4 * j * ST_RTOMBS_BLOCK], 2 * sizeof *l->top);
  l->last_open = l->n && l->frags[l->n - 1].open;
  builder_free(&b);
  *out = l;
  return STRATA_OK;

nomem:
  builder_free(&b);
  st_rtombs_unref(l);
  return st_error(STRATA_ENOMEM, "range tombstones: out of memory building a list of %zu", n);
}

void st_rtombs_ref(st_rtombs *l) { atomic_fetch_add_explicit(&l->refs, 1, memory_order_relaxed); }

void st_rtombs_unref(st_rtombs *l) {
  if (!l || atomic_fetch_sub_explicit(&l->refs, 1, memory_order_acq_rel) != 1) return;
  free(l->frags);
  free(l->seqs);
  free(l->keys);
  free(l->pfx);
  free(l->top);
  free(l);
}

uint64_t st_rfrag_seq_at(const st_rfrag *f, uint64_t snap) {
  for (size_t i = 0; i < f->nseqs; i++)
    if (f->seqs[i] <= snap) return f->seqs[i];
  return 0;
}

/* A key's search words, and the key for a tie. */
typedef struct probe {
  uint64_t w[2];
  const char *key;
  size_t klen;
} probe;

static void probe_init(probe *p, const char *key, size_t klen) {
  key_prefix(key, klen, p->w);
  p->key = key;
  p->klen = klen;
}

#define WORDS_TIE 2

/* The order of the key with words w against p's key: -1, 0 or 1 when the
 * words tell, else WORDS_TIE. */
static int words_cmp(const uint64_t *w, const probe *p) {
  if (w[0] != p->w[0]) return w[0] < p->w[0] ? -1 : 1;
  if (w[1] != p->w[1]) return w[1] < p->w[1] ? -1 : 1;
  return (w[1] & 0xff) < 16 ? 0 : WORDS_TIE;
}

/* The order of fragment i's start (its end) against p's key; the key
 * bytes are read only on a tie. */
static int start_cmp(const st_rtombs *l, size_t i, const uint64_t *w, const probe *p) {
  int c = words_cmp(w, p);
  return c != WORDS_TIE ? c : st_ukey_compare(l->frags[i].start, l->frags[i].slen, p->key, p->klen);
}
static int end_cmp(const st_rtombs *l, size_t i, const probe *p) {
  int c = words_cmp(&l->pfx[4 * i + 2], p);
  return c != WORDS_TIE ? c : st_ukey_compare(l->frags[i].end, l->frags[i].elen, p->key, p->klen);
}

/* The number of blocks whose first fragment starts at or before p's key
 * (a search of the top words alone). */
static size_t blocks_at_or_before(const st_rtombs *l, const probe *p) {
  size_t lo = 0, hi = l->ntop;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (start_cmp(l, mid * ST_RTOMBS_BLOCK, &l->top[2 * mid], p) <= 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

/* The end of the block that begins at fragment first. */
static size_t block_end(const st_rtombs *l, size_t first) {
  return first + ST_RTOMBS_BLOCK < l->n ? first + ST_RTOMBS_BLOCK : l->n;
}

/* Asks the memory system for the words of the block at first, all at once. */
static void fetch_block(const st_rtombs *l, size_t first) {
#if defined(__GNUC__)
  const char *end = (const char *)&l->pfx[4 * block_end(l, first)];
  for (const char *c = (const char *)&l->pfx[4 * first]; c < end; c += 64) __builtin_prefetch(c);
#else
  (void)l;
  (void)first;
#endif
}

/* The index of the first fragment whose start is > p's key: the last
 * block starting at or before it, from the top words, then a search of
 * that block's fragments, fetched before the search needs them. */
static size_t upper(const st_rtombs *l, const probe *p) {
  size_t nb = blocks_at_or_before(l, p);
  if (nb == 0) return 0;
  size_t first = (nb - 1) * ST_RTOMBS_BLOCK;
  fetch_block(l, first);
  size_t lo = first + 1, hi = block_end(l, first); /* fragment first starts at or before the key */
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (start_cmp(l, mid, &l->pfx[4 * mid], p) <= 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

void st_rtombs_prefetch(const st_rtombs *l, const char *key, size_t klen) {
  if (!l || l->n == 0 || !key) return;
  probe p;
  probe_init(&p, key, klen);
  size_t nb = blocks_at_or_before(l, &p);
  if (nb) fetch_block(l, (nb - 1) * ST_RTOMBS_BLOCK);
}

/* 1 when fragment i (whose start is at or before p's key) holds the key:
 * it ends after it. */
static int holds(const st_rtombs *l, size_t i, const probe *p) {
  if (i + 1 == l->n && l->last_open) return 1;
  return end_cmp(l, i, p) > 0;
}

uint64_t st_rtombs_cover(const st_rtombs *l, const char *key, size_t klen, uint64_t snap) {
  if (!l || l->n == 0) return 0;
  probe p;
  probe_init(&p, key, klen);
  size_t i = upper(l, &p);
  if (i == 0 || !holds(l, i - 1, &p)) return 0;
  return st_rfrag_seq_at(&l->frags[i - 1], snap);
}

int st_rtombs_overlaps(const st_rtombs *l, const char *lo, size_t lolen, const char *hi, size_t hilen) {
  if (!l || l->n == 0 || (lo && hi && st_ukey_compare(lo, lolen, hi, hilen) >= 0)) return 0;
  size_t i = 0;
  if (lo) {
    probe p;
    probe_init(&p, lo, lolen);
    i = upper(l, &p);
    if (i > 0 && holds(l, i - 1, &p)) return 1; /* a fragment holds lo */
  }
  if (i == l->n) return 0;
  if (!hi) return 1;
  probe p;
  probe_init(&p, hi, hilen);
  return start_cmp(l, i, &l->pfx[4 * i], &p) < 0; /* the next one starts below hi */
}

void st_rtombs_lookup(const st_rtombs *l, const char *key, size_t klen, uint64_t snap, st_rlookup *out) {
  memset(out, 0, sizeof *out);
  out->lo_none = out->hi_none = 1;
  if (!l || l->n == 0) return;
  probe p;
  probe_init(&p, key, klen);
  size_t i = upper(l, &p);
  if (i > 0 && holds(l, i - 1, &p)) {
    const st_rfrag *f = &l->frags[i - 1];
    out->frag = f;
    out->seq = st_rfrag_seq_at(f, snap);
    out->lo = f->start;
    out->lolen = f->slen;
    out->lo_none = 0;
    out->hi = f->end;
    out->hilen = f->elen;
    out->hi_none = f->open;
    return;
  }
  if (i > 0) { /* in the gap after fragment i - 1 (which is bounded) */
    out->lo = l->frags[i - 1].end;
    out->lolen = l->frags[i - 1].elen;
    out->lo_none = 0;
  }
  if (i < l->n) {
    out->hi = l->frags[i].start;
    out->hilen = l->frags[i].slen;
    out->hi_none = 0;
  }
}

int st_snapshot_between(const uint64_t *snaps, size_t nsnaps, uint64_t lo, uint64_t hi) {
  size_t a = 0, b = nsnaps;
  while (a < b) { /* the first snapshot >= lo */
    size_t mid = (a + b) / 2;
    if (snaps[mid] < lo)
      a = mid + 1;
    else
      b = mid;
  }
  return a < nsnaps && snaps[a] < hi;
}

int st_rfrag_judge(const st_rfrag *f, uint64_t seq, const uint64_t *snaps, size_t nsnaps) {
  /* The oldest tombstone newer than the entry decides: any reader that
   * sees a newer one sees it too. */
  size_t i = f->nseqs;
  while (i > 0 && f->seqs[i - 1] <= seq) i--;
  if (i == 0) return ST_RFRAG_NONE;
  return st_snapshot_between(snaps, nsnaps, seq, f->seqs[i - 1]) ? ST_RFRAG_SEEN : ST_RFRAG_HIDDEN;
}

size_t st_rfrag_live_seqs(const st_rfrag *f, const uint64_t *snaps, size_t nsnaps, uint64_t *out) {
  size_t n = 0;
  for (size_t i = 0; i < f->nseqs; i++)
    if (i == 0 || st_snapshot_between(snaps, nsnaps, f->seqs[i], f->seqs[i - 1])) out[n++] = f->seqs[i];
  return n;
}
