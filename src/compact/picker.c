/*
 * picker.c - choosing a compaction: level scores (level 0 by file count,
 * deeper levels by bytes over target), the inputs of a level, trivial
 * moves, tables reads made due, tables due for their tombstones, and
 * manual range compactions; and the level a flushed table goes to.
 */
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "compact/compaction.h"
#include "format/ikey.h"
#include "format/range_del.h"

#define MIB (UINT64_C(1) << 20)

void st_compaction_options_init(st_compaction_options *o) {
  o->l0_trigger = 4;
  o->level_base_bytes = 256 * MIB;
  o->level_multiplier = 10;
  o->target_file_bytes = 64 * MIB;
  o->tombstone_ratio = 0.3;
}

int st_compaction_options_check(const st_compaction_options *o) {
  if (o->l0_trigger < 1) return st_error(STRATA_EINVAL, "compaction: l0_trigger %d is below 1", o->l0_trigger);
  if (o->level_base_bytes < 1) return st_error(STRATA_EINVAL, "compaction: level_base_bytes is 0");
  if (o->level_multiplier < 2)
    return st_error(STRATA_EINVAL, "compaction: level_multiplier %d is below 2", o->level_multiplier);
  if (o->target_file_bytes < 1) return st_error(STRATA_EINVAL, "compaction: target_file_bytes is 0");
  if (!(o->tombstone_ratio >= 0)) return st_error(STRATA_EINVAL, "compaction: tombstone_ratio is negative or NaN");
  return STRATA_OK;
}

uint64_t st_compaction_level_target(const st_compaction_options *o, int level) {
  uint64_t t = o->level_base_bytes ? o->level_base_bytes : 1;
  uint64_t m = o->level_multiplier > 1 ? (uint64_t)o->level_multiplier : 1;
  for (int l = 1; l < level; l++) t = t > UINT64_MAX / m ? UINT64_MAX : t * m;
  return t;
}

/* ---- user-key ranges ------------------------------------------------- */

static const char *small_ukey(const st_file_meta *f, size_t *len) {
  *len = f->smallest_len - ST_IKEY_TRAILER;
  return f->smallest;
}

/* f's largest user key against key; a file whose range tombstones reach
 * past the last key is above every key. */
static int large_cmp(const st_file_meta *f, const char *key, size_t klen) {
  return st_largest_ukey_compare(f->largest, f->largest_len, key, klen);
}

/* A user-key range: lo / hi NULL means unbounded on that side; hi_excl
 * makes hi exclusive. Points into file metas or the caller's bounds. */
typedef struct ukey_range {
  const char *lo, *hi;
  size_t lo_len, hi_len;
  int hi_excl;
  int hi_open; /* grown over a file that reaches past the last key: no upper bound */
} ukey_range;

static int file_overlaps(const st_file_meta *f, const ukey_range *r) {
  size_t n;
  const char *k;
  if (r->hi) {
    k = small_ukey(f, &n);
    int c = st_ukey_compare(k, n, r->hi, r->hi_len);
    if (c > 0 || (c == 0 && r->hi_excl)) return 0;
  }
  if (r->lo && large_cmp(f, r->lo, r->lo_len) < 0) return 0;
  return 1;
}

/* Widens r to cover the user keys [lo, hi] (hi NULL: past the last key);
 * r becomes bounded below and inclusive. Start from {0}. */
static void range_widen(ukey_range *r, const char *lo, size_t lo_len, const char *hi, size_t hi_len) {
  if (!r->lo || st_ukey_compare(lo, lo_len, r->lo, r->lo_len) < 0) {
    r->lo = lo;
    r->lo_len = lo_len;
  }
  if (!hi) {
    r->hi = NULL;
    r->hi_len = 0;
    r->hi_open = 1;
  } else if (!r->hi_open && (!r->hi || r->hi_excl || st_ukey_compare(hi, hi_len, r->hi, r->hi_len) > 0)) {
    r->hi = hi;
    r->hi_len = hi_len;
  }
  r->hi_excl = 0;
}

/* Widens r to cover f. */
static void range_add(ukey_range *r, const st_file_meta *f) {
  size_t n;
  const char *k = small_ukey(f, &n);
  if (st_ikey_is_open_largest(f->largest, f->largest_len))
    range_widen(r, k, n, NULL, 0);
  else
    range_widen(r, k, n, f->largest, f->largest_len - ST_IKEY_TRAILER);
}

/* ---- spans of a level ------------------------------------------------ */

/*
 * Files of a level >= 1 are sorted by smallest key and do not overlap in
 * internal keys (version_builder), so the files overlapping a user-key
 * range are a contiguous span [lo, hi). At level 0 a span is not
 * meaningful; level 0 is handled file by file.
 */

/* First file of level (>= 1) whose largest user key is >= r->lo. */
static size_t span_start(const st_version *v, int level, const ukey_range *r) {
  return r->lo ? st_version_first_reaching(v, level, r->lo, r->lo_len) : 0;
}

static void span_of(const st_version *v, int level, const ukey_range *r, size_t *lo_out, size_t *hi_out) {
  size_t i = span_start(v, level, r), j = i;
  while (j < v->nfiles[level] && file_overlaps(v->files[level][j], r)) j++;
  *lo_out = i;
  *hi_out = j;
}

/* Widens the span [*lo, *hi) of level (>= 1) and r (covering it) until no
 * neighbour shares a user key with r: compactions never cut a user key
 * across files, but a level built by other edits might. */
static void span_expand(const st_version *v, int level, size_t *lo, size_t *hi, ukey_range *r) {
  st_file_meta **f = v->files[level];
  for (int grew = 1; grew;) {
    grew = 0;
    if (*lo > 0 && file_overlaps(f[*lo - 1], r)) {
      range_add(r, f[--*lo]);
      grew = 1;
    }
    if (*hi < v->nfiles[level] && file_overlaps(f[*hi], r)) {
      range_add(r, f[(*hi)++]);
      grew = 1;
    }
  }
}

static int is_busy(const st_busy_files *busy, uint64_t number) {
  if (!busy) return 0;
  for (size_t i = 0; i < busy->n; i++)
    if (busy->numbers[i] == number) return 1;
  return 0;
}

static int span_busy(st_file_meta *const *f, size_t lo, size_t hi, const st_busy_files *busy) {
  for (size_t i = lo; i < hi; i++)
    if (is_busy(busy, f[i]->number)) return 1;
  return 0;
}

static uint64_t span_bytes(st_file_meta *const *f, size_t lo, size_t hi) {
  uint64_t b = 0;
  for (size_t i = lo; i < hi; i++) b += f[i]->size;
  return b;
}

/* Bytes of the files of level overlapping r (0 past the last level). */
static uint64_t overlap_bytes(const st_version *v, int level, const ukey_range *r) {
  size_t lo, hi;
  if (level >= ST_LEVELS) return 0;
  span_of(v, level, r, &lo, &hi);
  return span_bytes(v->files[level], lo, hi);
}

/* ---- building a compaction ------------------------------------------- */

/* What to compact: level's files in0[0, n0) (in level order), whose user
 * keys span r; build finds the files below. */
typedef struct pick_req {
  st_version *v;
  int level;
  st_file_meta *const *in0;
  size_t n0;
  ukey_range r;
  st_compaction_reason reason;
  int may_move;          /* a trivial move is allowed */
  uint64_t grand_limit;  /* ... when it overlaps at most this much two levels down */
  const st_busy_files *busy;
} pick_req;

/* The compaction q asks for, or NULL in *c_out (and STRATA_OK) when any
 * of its inputs is busy. STRATA_ENOMEM. */
static int build(const pick_req *q, st_compaction **c_out) {
  *c_out = NULL;
  const st_version *v = q->v;
  int bottom = q->level == ST_LEVELS - 1;
  int output_level = bottom ? q->level : q->level + 1;
  size_t lo1 = 0, hi1 = 0;
  if (!bottom) span_of(v, output_level, &q->r, &lo1, &hi1);
  if (span_busy(q->in0, 0, q->n0, q->busy) || span_busy(v->files[output_level], lo1, hi1, q->busy))
    return STRATA_OK;
  st_compaction *c = calloc(1, sizeof *c);
  if (c) {
    c->inputs[0] = malloc(q->n0 * sizeof *c->inputs[0]);
    c->inputs[1] = malloc((hi1 - lo1 + 1) * sizeof *c->inputs[1]);
  }
  if (!c || !c->inputs[0] || !c->inputs[1]) {
    if (c) {
      free(c->inputs[0]);
      free(c->inputs[1]);
    }
    free(c);
    return st_error(STRATA_ENOMEM, "compaction picker: out of memory");
  }
  for (size_t i = 0; i < q->n0; i++) {
    c->inputs[0][i] = q->in0[i];
    st_file_meta_ref(q->in0[i]);
  }
  for (size_t i = lo1; i < hi1; i++) {
    c->inputs[1][i - lo1] = v->files[output_level][i];
    st_file_meta_ref(v->files[output_level][i]);
  }
  c->ninputs[0] = q->n0;
  c->ninputs[1] = hi1 - lo1;
  c->version = q->v;
  st_version_ref(q->v);
  c->level = q->level;
  c->output_level = output_level;
  c->reason = q->reason;
  if (q->may_move && !bottom && q->n0 == 1 && c->ninputs[1] == 0)
    c->trivial_move = overlap_bytes(v, q->level + 2, &q->r) <= q->grand_limit;
  *c_out = c;
  return STRATA_OK;
}

static uint64_t grand_limit(const st_compaction_options *o) {
  uint64_t t = o->target_file_bytes;
  return t > UINT64_MAX / ST_COMPACT_GRANDPARENT_FILES ? UINT64_MAX : t * ST_COMPACT_GRANDPARENT_FILES;
}

/* The request for table i of level (< ST_LEVELS - 1) into the next
 * level: at level 0 every level-0 table (they overlap), at deeper levels
 * the table with neighbours sharing its boundary keys. Only a
 * tombstone-dense table must not move trivially: the point is to rewrite
 * it. */
static void table_req(st_version *v, const st_compaction_options *o, const st_busy_files *busy, int level, size_t i,
                      st_compaction_reason reason, pick_req *q) {
  size_t lo = 0, hi = v->nfiles[level];
  ukey_range r = {0};
  if (level == 0) {
    for (size_t j = 0; j < hi; j++) range_add(&r, v->files[0][j]);
  } else {
    lo = i;
    hi = i + 1;
    range_add(&r, v->files[level][i]);
    span_expand(v, level, &lo, &hi, &r);
  }
  pick_req req = {v, level, v->files[level] + lo, hi - lo, r, reason, reason != ST_COMPACT_TOMBSTONES,
                  grand_limit(o), busy};
  *q = req;
}

/* Level 0: every level-0 file and what they cover below. */
static int pick_level0(st_version *v, const st_compaction_options *o, const st_busy_files *busy,
                       st_compaction_reason reason, st_compaction **c_out) {
  pick_req q;
  *c_out = NULL;
  if (v->nfiles[0] == 0) return STRATA_OK;
  table_req(v, o, busy, 0, 0, reason, &q);
  return build(&q, c_out);
}

/*
 * A level >= 1 over its target: of the files whose compaction is not
 * busy, the one with the fewest bytes below it per byte of its own (the
 * cheapest to push down; a file with nothing below moves trivially).
 * Ties go to the first in key order.
 */
static int pick_sized(st_version *v, const st_compaction_options *o, const st_busy_files *busy, int level,
                      st_compaction **c_out) {
  pick_req best = {0};
  double best_ratio = 0;
  int found = 0;
  *c_out = NULL;
  for (size_t i = 0; i < v->nfiles[level]; i++) {
    pick_req q;
    size_t lo1, hi1;
    table_req(v, o, busy, level, i, ST_COMPACT_SIZE, &q);
    span_of(v, level + 1, &q.r, &lo1, &hi1);
    if (span_busy(q.in0, 0, q.n0, busy) || span_busy(v->files[level + 1], lo1, hi1, busy)) continue;
    uint64_t own = span_bytes(q.in0, 0, q.n0), below = span_bytes(v->files[level + 1], lo1, hi1);
    double ratio = (double)below / (double)(own ? own : 1);
    if (!found || ratio < best_ratio) {
      best = q;
      best_ratio = ratio;
      found = 1;
      if (ratio == 0) break; /* nothing below: none is cheaper */
    }
  }
  return found ? build(&best, c_out) : STRATA_OK;
}

/* A table due for its tombstones: class 0 for the bytes its range
 * deletes hide in older tables (score: those per byte its compaction
 * rewrites, due over tombstone_ratio, as a share of tombstones is), class
 * 1 for its share of tombstones (score: that share). The bytes hidden may
 * lie levels further down, where this compaction does not reach: each
 * step down rewrites at most 1 / tombstone_ratio times what the descent
 * frees, and the outputs are weighed afresh. */
typedef struct due_table {
  int cls;
  int dense; /* tombstone-dense (also in class 0): never a trivial move */
  double score;
  int level;
  size_t index;
  uint64_t number;
} due_table;

/* Class first, then the highest score, then the oldest file number. */
static int due_cmp(const void *a, const void *b) {
  const due_table *x = a, *y = b;
  if (x->cls != y->cls) return x->cls - y->cls;
  if (x->score != y->score) return x->score > y->score ? -1 : 1;
  return x->number < y->number ? -1 : x->number > y->number;
}

/* Whether table i of level is due for its tombstones; fills *d if so. */
static int tombstones_due(st_version *v, const st_compaction_options *o, int level, size_t i, due_table *d) {
  const st_file_meta *f = v->files[level][i];
  if (f->tombstones == 0) return 0;
  double density = (double)f->tombstones / (double)f->entries;
  int dense = f->entries >= ST_COMPACT_TOMBSTONE_MIN_ENTRIES && density > o->tombstone_ratio;
  int64_t covered = atomic_load_explicit(&f->covered_bytes, memory_order_relaxed);
  if (covered >= ST_COMPACT_COVERED_MIN_BYTES && atomic_load_explicit(&f->range_dels, memory_order_relaxed) != 0) {
    pick_req q;
    table_req(v, o, NULL, level, i, ST_COMPACT_RANGE_DELETES, &q);
    uint64_t cost = span_bytes(q.in0, 0, q.n0) + overlap_bytes(v, level + 1, &q.r);
    if (st_compaction_covered_due(o, (uint64_t)covered, cost)) {
      *d = (due_table){0, dense, (double)covered / (double)(cost ? cost : 1), level, i, f->number};
      return 1;
    }
  }
  if (!dense) return 0;
  *d = (due_table){1, 1, density, level, i, f->number};
  return 1;
}

/*
 * No level is due: the table most due for its tombstones (tombstones_due,
 * due_cmp) at a level above the last, pushed one level down with what it
 * overlaps there (a tombstone-dense one never as a trivial move); the
 * next one when its compaction is busy.
 */
static int pick_tombstones(st_version *v, const st_compaction_options *o, const st_busy_files *busy,
                           st_compaction **c_out) {
  due_table *d = NULL;
  size_t n = 0, cap = 0;
  int rc = STRATA_OK;
  *c_out = NULL;
  for (int level = 0; level < ST_LEVELS - 1; level++)
    for (size_t i = 0; i < v->nfiles[level]; i++) {
      due_table e;
      if (!tombstones_due(v, o, level, i, &e)) continue;
      if (n == cap) {
        size_t ncap = cap ? 2 * cap : 16;
        due_table *p = realloc(d, ncap * sizeof *p);
        if (!p) {
          free(d);
          return st_error(STRATA_ENOMEM, "compaction picker: out of memory");
        }
        d = p;
        cap = ncap;
      }
      d[n++] = e;
    }
  if (n > 1) qsort(d, n, sizeof *d, due_cmp);
  for (size_t k = 0; k < n && !rc && !*c_out; k++) {
    pick_req q;
    table_req(v, o, busy, d[k].level, d[k].index, d[k].cls ? ST_COMPACT_TOMBSTONES : ST_COMPACT_RANGE_DELETES, &q);
    if (d[k].dense) q.may_move = 0;
    rc = build(&q, c_out);
  }
  free(d);
  return rc;
}

/*
 * No level is due: a table whose allowed_seeks reads have spent, at a
 * level above the last, with the tables below it (at level 0: the whole
 * level, as always there), so that later reads find the key in fewer
 * tables. The first such table whose compaction is not busy.
 */
static int pick_read_due(st_version *v, const st_compaction_options *o, const st_busy_files *busy,
                         st_compaction **c_out) {
  *c_out = NULL;
  for (int level = 0; level < ST_LEVELS - 1; level++)
    for (size_t i = 0; i < v->nfiles[level]; i++) {
      if (atomic_load_explicit(&v->files[level][i]->allowed_seeks, memory_order_relaxed) > 0) continue;
      pick_req q;
      table_req(v, o, busy, level, i, ST_COMPACT_READS, &q);
      int rc = build(&q, c_out);
      if (rc || *c_out) return rc;
      if (level == 0) break; /* the whole level was tried */
    }
  return STRATA_OK;
}

void st_compaction_scores(const st_version *v, const st_compaction_options *o, double *scores_out) {
  int trigger = o->l0_trigger > 0 ? o->l0_trigger : 1;
  scores_out[0] = (double)v->nfiles[0] / (double)trigger;
  for (int level = 1; level < ST_LEVELS - 1; level++)
    scores_out[level] = (double)st_version_level_bytes(v, level) / (double)st_compaction_level_target(o, level);
  scores_out[ST_LEVELS - 1] = 0;
}

st_compaction *st_compaction_pick(st_version *v, const st_compaction_options *o, const st_busy_files *busy) {
  double scores[ST_LEVELS];
  int order[ST_LEVELS];
  st_compaction *c = NULL;
  st_compaction_scores(v, o, scores);
  /* Levels by score, highest first (ties: the upper level first). */
  for (int i = 0; i < ST_LEVELS; i++) {
    int j = i;
    while (j > 0 && scores[order[j - 1]] < scores[i]) {
      order[j] = order[j - 1];
      j--;
    }
    order[j] = i;
  }
  if (!(scores[order[0]] >= 1)) {
    /* Nothing due: what reads made due, then the tombstones. (While
     * something due is busy, the next pick after it finishes decides
     * again.) */
    if (pick_read_due(v, o, busy, &c)) return NULL;
    if (!c && pick_tombstones(v, o, busy, &c)) return NULL;
    return c;
  }
  for (int i = 0; i < ST_LEVELS && scores[order[i]] >= 1; i++) {
    int level = order[i];
    int rc = level == 0 ? pick_level0(v, o, busy, ST_COMPACT_LEVEL0, &c) : pick_sized(v, o, busy, level, &c);
    if (rc) return NULL;
    if (c) return c;
  }
  return NULL;
}

st_compaction *st_compaction_range(st_version *v, int level, const void *begin, size_t blen, const void *end,
                                   size_t elen, int force_rewrite) {
  st_compaction *c = NULL;
  if (level < 0 || level >= ST_LEVELS) {
    st_error(STRATA_EINVAL, "compaction range: level %d is outside 0 .. %d", level, ST_LEVELS - 1);
    return NULL;
  }
  ukey_range want = {begin, end, begin ? blen : 0, end ? elen : 0, 1, 0};
  pick_req q = {v, level, NULL, 0, {0}, ST_COMPACT_MANUAL, !force_rewrite, UINT64_MAX, NULL};
  st_file_meta **l0 = NULL;
  if (level == 0) {
    /* The level-0 files in the range and, repeatedly, every level-0 file
     * overlapping what was taken: a newer level-0 file must never stay
     * above an older one holding the same key that moved down. */
    size_t n = v->nfiles[0];
    char *taken = calloc(n + 1, 1);
    l0 = malloc((n + 1) * sizeof *l0);
    if (!taken || !l0) {
      free(taken);
      free(l0);
      st_error(STRATA_ENOMEM, "compaction range: out of memory");
      return NULL;
    }
    for (size_t i = 0; i < n; i++)
      if (file_overlaps(v->files[0][i], &want)) {
        taken[i] = 1;
        range_add(&q.r, v->files[0][i]);
      }
    for (int grew = q.r.lo != NULL; grew;) {
      grew = 0;
      for (size_t i = 0; i < n; i++)
        if (!taken[i] && file_overlaps(v->files[0][i], &q.r)) {
          taken[i] = 1;
          range_add(&q.r, v->files[0][i]);
          grew = 1;
        }
    }
    for (size_t i = 0; i < n; i++)
      if (taken[i]) l0[q.n0++] = v->files[0][i];
    free(taken);
    q.in0 = l0;
  } else {
    size_t lo, hi;
    span_of(v, level, &want, &lo, &hi);
    if (lo < hi) {
      for (size_t i = lo; i < hi; i++) range_add(&q.r, v->files[level][i]);
      span_expand(v, level, &lo, &hi, &q.r);
      q.in0 = v->files[level] + lo;
      q.n0 = hi - lo;
    }
  }
  if (q.n0 > 0) build(&q, &c);
  free(l0);
  return c;
}

/* ---- where a flushed table goes -------------------------------------- */

/* a and b (each grown over at least one file) share a user key. */
static int ranges_overlap(const ukey_range *a, const ukey_range *b) {
  if (a->hi && st_ukey_compare(b->lo, b->lo_len, a->hi, a->hi_len) > 0) return 0;
  if (b->hi && st_ukey_compare(a->lo, a->lo_len, b->hi, b->hi_len) > 0) return 0;
  return 1;
}

/* A running compaction writes its outputs anywhere within the user keys
 * of its inputs, gaps between them included. */
static int writes_into(const st_compaction *c, int level, const ukey_range *r) {
  ukey_range hull = {0};
  if (c->output_level > level) return 0;
  for (int w = 0; w < 2; w++)
    for (size_t i = 0; i < c->ninputs[w]; i++) range_add(&hull, c->inputs[w][i]);
  return hull.lo && ranges_overlap(&hull, r);
}

int st_compaction_flush_level(const st_version *v, const st_compaction_options *o, const st_file_meta *f,
                              st_compaction *const *running, size_t nrunning) {
  ukey_range r = {0};
  int level = 0;
  range_add(&r, f);
  for (size_t i = 0; i < v->nfiles[0]; i++)
    if (file_overlaps(v->files[0][i], &r)) return 0;
  while (level < ST_FLUSH_MAX_LEVEL) {
    int next = level + 1;
    size_t lo, hi;
    span_of(v, next, &r, &lo, &hi);
    if (lo < hi) break;
    for (size_t i = 0; i < nrunning; i++)
      if (writes_into(running[i], next, &r)) return level;
    if (overlap_bytes(v, next + 1, &r) > grand_limit(o)) break;
    level = next;
  }
  return level;
}

uint64_t st_compaction_flush_cost(const st_version *v, const char *lo, size_t lo_len, const char *hi, size_t hi_len,
                                  uint64_t table_bytes) {
  ukey_range r = {0};
  uint64_t cost = table_bytes;
  range_widen(&r, lo, lo_len, hi, hi_len);
  if (v->nfiles[0] > 0) {
    /* The table lands at level 0 and goes down with all of level 0. */
    for (size_t i = 0; i < v->nfiles[0]; i++) {
      range_add(&r, v->files[0][i]);
      cost += v->files[0][i]->size;
    }
    return cost + overlap_bytes(v, 1, &r);
  }
  /* It lands above the first level it overlaps and is compacted into it. */
  for (int level = 1; level < ST_LEVELS; level++) {
    uint64_t below = overlap_bytes(v, level, &r);
    if (below) return cost + below;
  }
  return cost;
}

void st_compaction_free(st_compaction *c) {
  if (!c) return;
  for (int w = 0; w < 2; w++) {
    for (size_t i = 0; i < c->ninputs[w]; i++) st_file_meta_unref(c->inputs[w][i]);
    free(c->inputs[w]);
  }
  st_version_unref(c->version);
  free(c);
}

uint64_t st_compaction_input_bytes(const st_compaction *c) {
  uint64_t b = 0;
  for (int w = 0; w < 2; w++)
    for (size_t i = 0; i < c->ninputs[w]; i++) b += c->inputs[w][i]->size;
  return b;
}

int st_compaction_is_busy(const st_compaction *c, const st_busy_files *busy) {
  for (int w = 0; w < 2; w++)
    for (size_t i = 0; i < c->ninputs[w]; i++)
      if (is_busy(busy, c->inputs[w][i]->number)) return 1;
  return 0;
}
