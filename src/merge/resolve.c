/*
 * resolve.c - reading one key's chain of fragments newest first down to
 * its base (DESIGN.md section 1): the one-kind rule, counters as wrapping
 * int64 sums over a decimal base, latest-wins by greatest ts (ties to the
 * newer write), lists oldest first and bounded to their newest list_max
 * elements.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "format/kind.h"
#include "format/typed_value.h"
#include "merge/merge.h"

/* Room for more bytes; p is never NULL after it (empty values too). */
static int buf_reserve(st_merge_buf *b, size_t more) {
  if (b->p && b->cap - b->len >= more) return STRATA_OK;
  if (more > SIZE_MAX / 2 - b->len) return st_error(STRATA_ENOMEM, "merge: a value too large to resolve");
  size_t cap = b->cap ? b->cap : 64;
  while (cap - b->len < more) cap *= 2;
  char *p = realloc(b->p, cap);
  if (!p) return st_error(STRATA_ENOMEM, "merge: out of memory for %zu bytes", cap);
  b->p = p;
  b->cap = cap;
  return STRATA_OK;
}

static int buf_set(st_merge_buf *b, const char *p, size_t n) {
  b->len = 0;
  int rc = buf_reserve(b, n + 1); /* + 1: room for take_value's terminator */
  if (rc) return rc;
  if (n) memcpy(b->p, p, n);
  b->len = n;
  return STRATA_OK;
}

void st_merge_init(st_merge *m, size_t list_max) {
  memset(m, 0, sizeof *m);
  m->list_max = list_max;
}

void st_merge_reset(st_merge *m) {
  m->done = 0;
  m->rc = STRATA_OK;
  m->op = 0;
  m->kind = 0;
  m->sum = 0;
  m->have_best = 0;
  m->best.len = 0;
  m->segs_data.len = 0;
  m->nsegs = 0;
  m->elems = 0;
  m->out.len = 0;
}

void st_merge_destroy(st_merge *m) {
  free(m->best.p);
  free(m->segs_data.p);
  free(m->segs);
  free(m->out.p);
  memset(m, 0, sizeof *m);
}

int st_merge_parse_decimal(const char *p, size_t n, int64_t *out) {
  size_t i = n && p[0] == '-';
  uint64_t limit = i ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, acc = 0;
  if (i == n) return 0;
  for (; i < n; i++) {
    if (p[i] < '0' || p[i] > '9') return 0;
    unsigned d = (unsigned)(p[i] - '0');
    if (acc > (limit - d) / 10) return 0;
    acc = acc * 10 + d;
  }
  /* Negation in unsigned arithmetic, so that INT64_MIN needs no case. */
  *out = (int64_t)(p[0] == '-' ? 0 - acc : acc);
  return 1;
}

static int malformed(unsigned kind, size_t vlen) {
  return st_error(STRATA_ECORRUPT, "a fragment of kind %u has a malformed %zu-byte value", kind, vlen);
}

/* The operand kind a kind counts as under the one-kind rule, or 0. */
static unsigned family(unsigned kind) {
  switch (kind) {
    case ST_KIND_ADD:
    case ST_KIND_COUNTER: return ST_KIND_ADD;
    case ST_KIND_LATEST:
    case ST_KIND_LATEST_BASE: return ST_KIND_LATEST;
    case ST_KIND_APPEND:
    case ST_KIND_LIST: return ST_KIND_APPEND;
    default: return 0;
  }
}

/* The full (base) kind an operand chain resolves into. */
static unsigned full_kind(unsigned op) {
  return op == ST_KIND_ADD ? ST_KIND_COUNTER : op == ST_KIND_LATEST ? ST_KIND_LATEST_BASE : ST_KIND_LIST;
}

static int decide(st_merge *m, int rc, unsigned kind) {
  m->done = 1;
  m->rc = rc;
  m->kind = kind;
  return 1;
}

int st_merge_wants_values(const st_merge *m) {
  return !(m->op == ST_KIND_APPEND && m->list_max && m->elems >= m->list_max);
}

static int keep_latest(st_merge *m, const char *val, size_t vlen) {
  uint64_t ts = st_get_fixed64(val);
  /* Newest first: an older fragment wins only with a strictly greater ts. */
  if (m->have_best && ts <= st_get_fixed64(m->best.p)) return STRATA_OK;
  m->have_best = 1;
  return buf_set(&m->best, val, vlen);
}

/* Keeps a list of elems elements, or with raw_element one element given
 * as its bytes (a PUT base), to which its length header is added. */
static int keep_list(st_merge *m, const char *val, size_t vlen, uint64_t elems, int raw_element) {
  if (!st_merge_wants_values(m)) return STRATA_OK;
  if (m->nsegs == m->cap_segs) {
    size_t cap = m->cap_segs ? 2 * m->cap_segs : 16;
    st_merge_seg *s = realloc(m->segs, cap * sizeof *s);
    if (!s) return st_error(STRATA_ENOMEM, "merge: out of memory");
    m->segs = s;
    m->cap_segs = cap;
  }
  size_t need = vlen + (raw_element ? ST_LIST_ELEMENT_HEADER_MAX : 0);
  int rc = buf_reserve(&m->segs_data, need);
  if (rc) return rc;
  st_merge_seg *s = &m->segs[m->nsegs++];
  s->off = m->segs_data.len;
  s->elems = elems;
  char *p = m->segs_data.p + s->off;
  if (raw_element) p += st_list_put_header(p, vlen);
  if (vlen) memcpy(p, val, vlen);
  s->len = (size_t)(p + vlen - (m->segs_data.p + s->off));
  m->segs_data.len += s->len;
  m->elems += elems;
  return STRATA_OK;
}

static int list_elems(unsigned kind, const char *val, size_t vlen, uint64_t *n) {
  return st_list_count(val, vlen, n) == 0 ? STRATA_OK : malformed(kind, vlen);
}

int st_merge_feed(st_merge *m, unsigned kind, const char *val, size_t vlen) {
  if (m->done) return 1;
  uint64_t n = 0;
  int rc;
  /* The value must fit its kind, whatever the chain: damage is reported
   * as damage, not as a type error. */
  switch (kind) {
    case ST_KIND_ADD:
    case ST_KIND_COUNTER:
      if (vlen != ST_COUNTER_BYTES) return malformed(kind, vlen);
      break;
    case ST_KIND_LATEST:
    case ST_KIND_LATEST_BASE:
      if (vlen < ST_LATEST_TS_BYTES) return malformed(kind, vlen);
      break;
    case ST_KIND_APPEND:
    case ST_KIND_LIST:
      if ((rc = list_elems(kind, val, vlen, &n))) return rc;
      break;
    case ST_KIND_PUT:
    case ST_KIND_DELETE: break;
    default: return st_error(STRATA_ECORRUPT, "fragment kind %u is not supported by this version", kind);
  }
  unsigned fam = family(kind);
  if (fam && m->op && fam != m->op) return decide(m, STRATA_ETYPE, 0);
  switch (kind) {
    case ST_KIND_ADD:
      m->op = ST_KIND_ADD;
      m->sum = (int64_t)((uint64_t)m->sum + (uint64_t)st_counter_decode(val));
      return 0;
    case ST_KIND_LATEST: m->op = ST_KIND_LATEST; return keep_latest(m, val, vlen);
    case ST_KIND_APPEND: m->op = ST_KIND_APPEND; return keep_list(m, val, vlen, n, 0);
    case ST_KIND_COUNTER:
      m->sum = (int64_t)((uint64_t)m->sum + (uint64_t)st_counter_decode(val));
      return decide(m, STRATA_OK, ST_KIND_COUNTER);
    case ST_KIND_LATEST_BASE:
      m->op = ST_KIND_LATEST;
      if ((rc = keep_latest(m, val, vlen))) return rc;
      return decide(m, STRATA_OK, ST_KIND_LATEST_BASE);
    case ST_KIND_LIST:
      m->op = ST_KIND_APPEND;
      if ((rc = keep_list(m, val, vlen, n, 0))) return rc;
      return decide(m, STRATA_OK, ST_KIND_LIST);
    case ST_KIND_DELETE:
      return m->op ? decide(m, STRATA_OK, full_kind(m->op)) : decide(m, STRATA_NOTFOUND, ST_KIND_DELETE);
    default: /* PUT */
      switch (m->op) {
        case 0:
          if ((rc = buf_set(&m->best, val, vlen))) return rc;
          return decide(m, STRATA_OK, ST_KIND_PUT);
        case ST_KIND_ADD: {
          int64_t base;
          if (!st_merge_parse_decimal(val, vlen, &base)) return decide(m, STRATA_ETYPE, 0);
          m->sum = (int64_t)((uint64_t)m->sum + (uint64_t)base);
          return decide(m, STRATA_OK, ST_KIND_COUNTER);
        }
        case ST_KIND_LATEST: return decide(m, STRATA_OK, ST_KIND_LATEST_BASE); /* a PUT under LATEST is ignored */
        default:
          if ((rc = keep_list(m, val, vlen, 1, 1))) return rc;
          return decide(m, STRATA_OK, ST_KIND_LIST);
      }
  }
}

/* Lays the kept lists out oldest first into m->out, dropping all but the
 * newest list_max elements. */
static int build_list(st_merge *m) {
  uint64_t skip = m->list_max && m->elems > m->list_max ? m->elems - m->list_max : 0;
  m->out.len = 0;
  int rc = buf_reserve(&m->out, m->segs_data.len + 1);
  if (rc) return rc;
  for (size_t i = m->nsegs; i-- > 0;) {
    const st_merge_seg *s = &m->segs[i];
    const char *seg = m->segs_data.p + s->off;
    size_t pos = 0, elen;
    const char *e;
    while (skip && st_list_next(seg, s->len, &pos, &e, &elen) == 1) skip--;
    memcpy(m->out.p + m->out.len, seg + pos, s->len - pos);
    m->out.len += s->len - pos;
  }
  return STRATA_OK;
}

int st_merge_finish(st_merge *m, int bottom) {
  if (!m->done) {
    if (!m->op)
      decide(m, STRATA_NOTFOUND, ST_KIND_DELETE);
    else
      decide(m, STRATA_OK, bottom ? full_kind(m->op) : m->op);
  }
  if (m->rc == STRATA_OK && family(m->kind) == ST_KIND_APPEND) {
    int rc = build_list(m);
    if (rc) return rc;
  }
  return m->rc;
}

void st_merge_fragment(st_merge *m, const char **val_out, size_t *vlen_out) {
  switch (family(m->kind)) {
    case ST_KIND_ADD:
      st_counter_encode(m->counter, m->sum);
      *val_out = m->counter;
      *vlen_out = sizeof m->counter;
      return;
    case ST_KIND_APPEND:
      *val_out = m->out.p;
      *vlen_out = m->out.len;
      return;
    default: /* PUT, LATEST, LATEST_BASE */ *val_out = m->best.p; *vlen_out = m->best.len;
  }
}

uint64_t st_merge_latest_ts(const st_merge *m) { return m->have_best ? st_get_fixed64(m->best.p) : 0; }

/* Hands b's bytes from skip on to the caller, NUL-terminated. */
static int take_buf(st_merge_buf *b, size_t skip, char **val_out, size_t *vlen_out) {
  int rc = buf_reserve(b, 1);
  if (rc) return rc;
  size_t n = b->len - skip;
  if (skip) memmove(b->p, b->p + skip, n);
  b->p[n] = '\0';
  *val_out = b->p;
  *vlen_out = n;
  memset(b, 0, sizeof *b);
  return STRATA_OK;
}

void st_merge_value(st_merge *m, const char **val_out, size_t *vlen_out) {
  switch (family(m->kind)) {
    case ST_KIND_ADD:
      *vlen_out = (size_t)snprintf(m->text, sizeof m->text, "%" PRId64, m->sum);
      *val_out = m->text;
      return;
    case ST_KIND_APPEND:
      *val_out = m->out.p;
      *vlen_out = m->out.len;
      return;
    case ST_KIND_LATEST:
      *val_out = m->best.p + ST_LATEST_TS_BYTES;
      *vlen_out = m->best.len - ST_LATEST_TS_BYTES;
      return;
    default: /* PUT */ *val_out = m->best.p; *vlen_out = m->best.len;
  }
}

int st_merge_take_value(st_merge *m, char **val_out, size_t *vlen_out) {
  *val_out = NULL;
  *vlen_out = 0;
  switch (family(m->kind)) {
    case ST_KIND_ADD: {
      const char *text;
      char *p = malloc(sizeof m->text);
      if (!p) return st_error(STRATA_ENOMEM, "get: out of memory");
      st_merge_value(m, &text, vlen_out); /* the text in m->text, NUL-terminated */
      memcpy(p, m->text, sizeof m->text);
      *val_out = p;
      return STRATA_OK;
    }
    case ST_KIND_APPEND: return take_buf(&m->out, 0, val_out, vlen_out);
    case ST_KIND_LATEST: return take_buf(&m->best, ST_LATEST_TS_BYTES, val_out, vlen_out);
    default: return take_buf(&m->best, 0, val_out, vlen_out); /* PUT */
  }
}
