/*
 * collapse.c - replacing one key's chain of fragments by fewer fragments
 * that every reader at every live snapshot reads the same way (flush and
 * compaction). The chain is cut into snapshot stripes: the entries seen by
 * exactly the same snapshots. Inside a stripe no reader can tell a run of
 * fragments from its combination, and entries under a base are seen by no
 * one; across stripes nothing is merged.
 */
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "format/ikey.h"
#include "format/kind.h"
#include "format/typed_value.h"
#include "merge/merge.h"

/* A survivor: its sequence number, kind and value bytes (in vals). */
typedef struct survivor {
  uint64_t seq;
  unsigned kind;
  size_t off, len;
} survivor;

typedef struct collapse {
  const st_collapse_opts *o;
  st_collapse_stats *stats;
  survivor *v;
  size_t n, cap;
  st_merge_buf vals;
  st_merge m;
  /* The run being merged in m: its newest entry's seq, its length. */
  int in_run;
  uint64_t run_seq;
  size_t run_len;
} collapse;

static int keep(collapse *c, uint64_t seq, unsigned kind, const char *val, size_t vlen) {
  if (c->n == c->cap) {
    size_t cap = c->cap ? 2 * c->cap : 8;
    survivor *v = realloc(c->v, cap * sizeof *v);
    if (!v) return st_error(STRATA_ENOMEM, "collapse: out of memory");
    c->v = v;
    c->cap = cap;
  }
  if (!c->vals.p || c->vals.cap - c->vals.len < vlen) { /* never NULL: empty values too */
    size_t cap = c->vals.cap ? c->vals.cap : 256;
    while (cap - c->vals.len < vlen) {
      if (cap > SIZE_MAX / 2) return st_error(STRATA_ENOMEM, "collapse: out of memory");
      cap *= 2;
    }
    char *p = realloc(c->vals.p, cap);
    if (!p) return st_error(STRATA_ENOMEM, "collapse: out of memory for %zu bytes", cap);
    c->vals.p = p;
    c->vals.cap = cap;
  }
  survivor *s = &c->v[c->n++];
  s->seq = seq;
  s->kind = kind;
  s->off = c->vals.len;
  s->len = vlen;
  if (vlen) memcpy(c->vals.p + c->vals.len, val, vlen);
  c->vals.len += vlen;
  return STRATA_OK;
}

/* Ends the run in m as one fragment: a typed base when resolved (over a
 * base, or with bottom over nothing), else an operand. */
static int end_run(collapse *c, int bottom) {
  if (!c->in_run) return STRATA_OK;
  c->in_run = 0;
  int rc = st_merge_finish(&c->m, bottom);
  if (rc == STRATA_ETYPE || rc == STRATA_NOTFOUND) /* a run of one kind always resolves */
    return st_error(STRATA_ECORRUPT, "collapse: a run of one kind did not resolve");
  if (rc) return rc;
  const char *v;
  size_t vl;
  st_merge_fragment(&c->m, &v, &vl);
  c->stats->versions_dropped += c->run_len - 1;
  return keep(c, c->run_seq, c->m.kind, v, vl);
}

static int is_operand(unsigned k) { return k == ST_KIND_ADD || k == ST_KIND_LATEST || k == ST_KIND_APPEND; }

/* 1 when a run of operand kind op resolves over base (kind, val): the
 * read would give a value, not STRATA_ETYPE. */
static int base_fits(unsigned op, unsigned kind, const char *val, size_t vlen) {
  int64_t x;
  uint64_t n;
  if (kind == ST_KIND_DELETE) return 1;
  switch (op) {
    case ST_KIND_ADD:
      return (kind == ST_KIND_COUNTER && vlen == ST_COUNTER_BYTES) ||
             (kind == ST_KIND_PUT && st_merge_parse_decimal(val, vlen, &x));
    case ST_KIND_LATEST: return kind == ST_KIND_PUT || (kind == ST_KIND_LATEST_BASE && vlen >= ST_LATEST_TS_BYTES);
    default: return kind == ST_KIND_PUT || (kind == ST_KIND_LIST && st_list_count(val, vlen, &n) == 0);
  }
}

/* 1 when adding vlen more bytes of list would pass max_list_bytes. */
static int list_full(const collapse *c, size_t vlen) {
  size_t max = c->o->max_list_bytes;
  return c->m.op == ST_KIND_APPEND && max && c->m.segs_data.len + vlen + ST_LIST_ELEMENT_HEADER_MAX > max;
}

/* The stripe of seq: the index of the oldest snapshot that sees it. */
static size_t stripe_of(const st_collapse_opts *o, uint64_t seq) {
  size_t lo = 0, hi = o->nsnapshots;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (o->snapshots[mid] < seq)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

static int walk(collapse *c, const st_merge_entry *e, size_t n) {
  int rc;
  for (size_t i = 0; i < n;) {
    size_t stripe = stripe_of(c->o, st_trailer_seq(st_ikey_trailer(e[i].ikey, e[i].iklen)));
    int based = 0;
    for (; i < n; i++) {
      uint64_t t = st_ikey_trailer(e[i].ikey, e[i].iklen), seq = st_trailer_seq(t);
      unsigned kind = st_trailer_kind(t);
      if (stripe_of(c->o, seq) != stripe) break;
      if (kind > ST_KIND_MAX || kind == ST_KIND_RANGE_DELETE)
        return st_error(STRATA_ECORRUPT, "collapse: fragment kind %u is not supported by this version", kind);
      if (based) { /* under a base in its stripe: no reader sees it */
        if (kind == ST_KIND_DELETE)
          c->stats->tombstones_dropped++;
        else
          c->stats->versions_dropped++;
        continue;
      }
      if (is_operand(kind)) {
        if (c->in_run && (c->m.op != kind || list_full(c, e[i].vlen)) && (rc = end_run(c, 0))) return rc;
        if (!c->in_run) {
          st_merge_reset(&c->m);
          c->in_run = 1;
          c->run_seq = seq;
          c->run_len = 0;
        }
        if ((rc = st_merge_feed(&c->m, kind, e[i].val, e[i].vlen)) < 0) return rc;
        c->run_len++;
        continue;
      }
      based = 1;
      if (c->in_run && base_fits(c->m.op, kind, e[i].val, e[i].vlen) && !list_full(c, e[i].vlen)) {
        if ((rc = st_merge_feed(&c->m, kind, e[i].val, e[i].vlen)) < 0) return rc;
        c->run_len++;
        if ((rc = end_run(c, 1))) return rc;
        continue;
      }
      if ((rc = end_run(c, 0))) return rc;
      if ((rc = keep(c, seq, kind, e[i].val, e[i].vlen))) return rc;
    }
    /* The oldest run of all resolves at the bottom as over a DELETE. */
    if ((rc = end_run(c, i == n && c->o->bottom))) return rc;
  }
  /* A DELETE with nothing older reads as nothing at all. */
  if (c->o->bottom && c->n && c->v[c->n - 1].kind == ST_KIND_DELETE) {
    c->n--;
    c->stats->tombstones_dropped++;
  }
  return STRATA_OK;
}

int st_merge_chain_push(st_merge_chain *c, const char *ikey, size_t iklen, const char *val, size_t vlen) {
  if (c->n == c->cap) {
    size_t cap = c->cap ? 2 * c->cap : 16;
    st_merge_entry *e = realloc(c->e, cap * sizeof *e);
    if (!e) return st_error(STRATA_ENOMEM, "collapse: out of memory");
    c->e = e;
    c->cap = cap;
  }
  c->e[c->n++] = (st_merge_entry){ikey, iklen, val, vlen};
  return STRATA_OK;
}

void st_merge_chain_free(st_merge_chain *c) {
  free(c->e);
  memset(c, 0, sizeof *c);
}

int st_merge_collapse(const st_merge_entry *e, size_t n, const st_collapse_opts *o, st_merge_emit_fn emit, void *arg,
                      st_collapse_stats *stats) {
  st_collapse_stats ignored = {0};
  collapse c;
  memset(&c, 0, sizeof c);
  c.o = o;
  c.stats = stats ? stats : &ignored;
  st_merge_init(&c.m, o->list_max);
  int rc = n ? walk(&c, e, n) : STRATA_OK;
  if (!rc && c.n) {
    size_t ulen = e[0].iklen - ST_IKEY_TRAILER, iklen = ulen + ST_IKEY_TRAILER;
    char *ik = malloc(iklen);
    if (!ik) rc = st_error(STRATA_ENOMEM, "collapse: out of memory");
    for (size_t i = 0; i < c.n && !rc; i++) {
      st_ikey_pack(ik, e[0].ikey, ulen, st_trailer_pack(c.v[i].seq, c.v[i].kind));
      rc = emit(arg, ik, iklen, c.vals.p + c.v[i].off, c.v[i].len);
    }
    free(ik);
  }
  st_merge_destroy(&c.m);
  free(c.v);
  free(c.vals.p);
  return rc;
}
