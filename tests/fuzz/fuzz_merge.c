/*
 * fuzz_merge.c - libFuzzer target for the typed merge rules (src/merge):
 * the input becomes one key's chain of fragments (every kind, now and then
 * a malformed value or an unknown kind), live snapshots, bottom, list_max
 * and max_list_bytes. The chain collapsed by st_merge_collapse must read
 * the same as the chain at every live snapshot and at the latest; so must
 * the collapsed chain collapsed again (the same snapshots, fewer, or at the
 * bottom), and the chain with a part of it collapsed (a flush of the newest
 * entries, a compaction of some in the middle), before and after a
 * collapse of everything. Any difference prints both chains and aborts.
 *
 * The first part (chains, reads, the "reads the same" check) is shared
 * with tests/unit/test_merge.c, which includes this file.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/ikey.h"
#include "format/kind.h"
#include "format/typed_value.h"
#include "merge/merge.h"
#include "strata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The checking code is left out of the coverage feedback: its loops would
 * cost most of the time and tell the fuzzer nothing about src/merge. */
#if defined(__clang__)
#define MC_NO_COVERAGE __attribute__((no_sanitize("coverage")))
#else
#define MC_NO_COVERAGE
#endif

/* ---- chains: one key's entries, newest first, owning their bytes ---------- */

typedef struct mchain {
  st_merge_entry *e;
  size_t n, cap;
} mchain;

/* Exact-size copies, so that the sanitizers catch any overread. */
static char *mc_dup(const void *p, size_t n) {
  char *q = malloc(n ? n : 1);
  if (!q) abort();
  if (n) memcpy(q, p, n);
  return q;
}

static void mc_add_raw(mchain *c, const char *ikey, size_t iklen, const void *val, size_t vlen) {
  if (c->n == c->cap) {
    c->cap = c->cap ? 2 * c->cap : 16;
    c->e = realloc(c->e, c->cap * sizeof *c->e);
    if (!c->e) abort();
  }
  c->e[c->n++] = (st_merge_entry){mc_dup(ikey, iklen), iklen, mc_dup(val, vlen), vlen};
}

/* Appends (as the next older entry) a fragment of the key "k". */
static void mc_add(mchain *c, uint64_t seq, unsigned kind, const void *val, size_t vlen) {
  char ik[1 + ST_IKEY_TRAILER];
  st_ikey_pack(ik, "k", 1, st_trailer_pack(seq, kind));
  mc_add_raw(c, ik, sizeof ik, val, vlen);
}

static void mc_free(mchain *c) {
  for (size_t i = 0; i < c->n; i++) {
    free((void *)c->e[i].ikey);
    free((void *)c->e[i].val);
  }
  free(c->e);
  memset(c, 0, sizeof *c);
}

MC_NO_COVERAGE static uint64_t mc_seq(const st_merge_entry *e) {
  return st_trailer_seq(st_ikey_trailer(e->ikey, e->iklen));
}
MC_NO_COVERAGE static unsigned mc_kind(const st_merge_entry *e) {
  return st_trailer_kind(st_ikey_trailer(e->ikey, e->iklen));
}

static int mc_emit(void *arg, const char *ikey, size_t iklen, const char *val, size_t vlen) {
  mc_add_raw(arg, ikey, iklen, val, vlen);
  return STRATA_OK;
}

/* st_merge_collapse of in into out (emptied first). */
static int mc_collapse(const mchain *in, const st_collapse_opts *o, mchain *out, st_collapse_stats *stats) {
  mc_free(out);
  if (stats) memset(stats, 0, sizeof *stats);
  return st_merge_collapse(in->e, in->n, o, mc_emit, out, stats);
}

/* ---- text, for messages and the unit tests' expectations ------------------ */

typedef struct mstr {
  char *p;
  size_t len, cap;
} mstr;

static void ms_printf(mstr *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ms_printf(mstr *s, const char *fmt, ...) {
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(s->p ? s->p + s->len : NULL, s->p ? s->cap - s->len : 0, fmt, ap);
    va_end(ap);
    if (n < 0) abort();
    if (s->p && (size_t)n < s->cap - s->len) {
      s->len += (size_t)n;
      return;
    }
    s->cap = 2 * (s->len + (size_t)n + 16);
    s->p = realloc(s->p, s->cap);
    if (!s->p) abort();
    s->p[s->len] = '\0';
  }
}

/* Bytes as text: printable ones as they are, others as \xNN, "" for none. */
static void ms_bytes(mstr *s, const char *p, size_t n) {
  if (!n) ms_printf(s, "\"\"");
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)p[i];
    if (c > ' ' && c < 127 && c != '\\' && c != ',' && c != '[' && c != ']')
      ms_printf(s, "%c", c);
    else
      ms_printf(s, "\\x%02x", c);
  }
}

/* A list as [a,b]; 0 when its encoding is malformed. */
static int ms_list(mstr *s, const char *p, size_t n) {
  uint64_t count;
  if (st_list_count(p, n, &count) != 0) return 0;
  size_t pos = 0, el;
  const char *x;
  ms_printf(s, "[");
  for (int first = 1; st_list_next(p, n, &pos, &x, &el) == 1; first = 0) {
    if (!first) ms_printf(s, ",");
    ms_bytes(s, x, el);
  }
  ms_printf(s, "]");
  return 1;
}

static const char *mc_kind_name(unsigned kind) {
  static const char *names[] = {"DEL",    "PUT",     "RANGE_DELETE", "ADD",        "LATEST",
                                "APPEND", "COUNTER", "LIST",         "LATEST_BASE"};
  return kind <= ST_KIND_MAX ? names[kind] : NULL;
}

/* A fragment's value: ADD=5, LATEST=ts:value, APPEND=[a,b], PUT=bytes; a
 * value that does not fit its kind as !<length>. */
static void ms_value(mstr *s, unsigned kind, const char *v, size_t vl) {
  switch (kind) {
    case ST_KIND_DELETE: return;
    case ST_KIND_ADD:
    case ST_KIND_COUNTER:
      if (vl == ST_COUNTER_BYTES)
        ms_printf(s, "=%" PRId64, st_counter_decode(v));
      else
        ms_printf(s, "!%zu", vl);
      return;
    case ST_KIND_LATEST:
    case ST_KIND_LATEST_BASE:
      if (vl >= ST_LATEST_TS_BYTES) {
        ms_printf(s, "=%" PRIu64 ":", st_get_fixed64(v));
        ms_bytes(s, v + ST_LATEST_TS_BYTES, vl - ST_LATEST_TS_BYTES);
      } else {
        ms_printf(s, "!%zu", vl);
      }
      return;
    case ST_KIND_APPEND:
    case ST_KIND_LIST: {
      mstr t = {0};
      if (ms_list(&t, v, vl))
        ms_printf(s, "=%s", t.p);
      else
        ms_printf(s, "!%zu", vl);
      free(t.p);
      return;
    }
    default: ms_printf(s, "="); ms_bytes(s, v, vl);
  }
}

/* "30:ADD=3 20:COUNTER=12 10:PUT=abc 5:DEL", malloc'ed. */
static char *mc_str(const mchain *c) {
  mstr s = {0};
  ms_printf(&s, "%s", "");
  for (size_t i = 0; i < c->n; i++) {
    const st_merge_entry *e = &c->e[i];
    unsigned kind = mc_kind(e);
    const char *name = mc_kind_name(kind);
    ms_printf(&s, "%s%" PRIu64 ":", i ? " " : "", mc_seq(e));
    if (name && kind != ST_KIND_RANGE_DELETE) {
      ms_printf(&s, "%s", name);
      ms_value(&s, kind, e->val, e->vlen);
    } else {
      ms_printf(&s, "K%u=", kind);
      ms_bytes(&s, e->val, e->vlen);
    }
  }
  return s.p;
}

/* ---- reads ------------------------------------------------------------------ */

/* What one read gives. */
typedef struct mread {
  int rc;        /* st_merge_finish's result, or the error st_merge_feed returned */
  int bottom;    /* finished with bottom (a read) rather than as an operand (a collapse) */
  int done;      /* decided before finish: a base or a type error was met */
  unsigned kind; /* with STRATA_OK */
  uint64_t ts;   /* of a LATEST / LATEST_BASE result */
  char *val;     /* st_merge_value (a buffer kept from read to read) */
  size_t vlen, vcap;
  char *frag; /* st_merge_fragment */
  size_t flen, fcap;
} mread;

static void mread_free(mread *r) {
  free(r->val);
  free(r->frag);
  memset(r, 0, sizeof *r);
}

MC_NO_COVERAGE static void mread_set(char **p, size_t *len, size_t *cap, const char *v, size_t n) {
  if (n > *cap || !*p) {
    *cap = n > 2 * *cap ? n : 2 * *cap;
    *p = realloc(*p, *cap ? *cap : 1);
    if (!*p) abort();
  }
  if (n) memcpy(*p, v, n);
  *len = n;
}

/*
 * Reads head (newer writes: all of them), then c at snapshot snap (its
 * entries with seq <= snap), then tail (older data: all of it), newest
 * first and stopping once decided, as the read paths do; then
 * st_merge_finish(m, bottom). head and tail may be NULL. skip: leave out
 * the APPENDs the resolver no longer wants, as the memtable does
 * (st_merge_wants_values). m is reset first (its list_max stays); r is
 * replaced.
 */
MC_NO_COVERAGE static void mc_read(st_merge *m, const mchain *head, const mchain *c, uint64_t snap, const mchain *tail,
                                   int bottom, int skip, mread *r) {
  r->rc = r->done = 0;
  r->kind = 0;
  r->ts = 0;
  r->vlen = r->flen = 0;
  r->bottom = bottom;
  st_merge_reset(m);
  int rc = 0;
  const mchain *parts[3] = {head, c, tail};
  for (int p = 0; p < 3 && rc == 0; p++) {
    for (size_t i = 0; parts[p] && i < parts[p]->n && rc == 0; i++) {
      const st_merge_entry *e = &parts[p]->e[i];
      unsigned kind = mc_kind(e);
      if (p == 1 && mc_seq(e) > snap) continue;
      if (skip && kind == ST_KIND_APPEND && !st_merge_wants_values(m)) continue;
      rc = st_merge_feed(m, kind, e->val, e->vlen);
    }
  }
  r->done = m->done;
  if (rc < 0) {
    r->rc = rc;
    return;
  }
  if (rc == 1 && !m->done) abort(); /* "decided" must mean done */
  r->rc = st_merge_finish(m, bottom);
  if (r->rc != STRATA_OK) return;
  r->kind = m->kind;
  const char *v;
  size_t vl;
  st_merge_value(m, &v, &vl);
  mread_set(&r->val, &r->vlen, &r->vcap, v, vl);
  st_merge_fragment(m, &v, &vl);
  mread_set(&r->frag, &r->flen, &r->fcap, v, vl);
  if (m->kind == ST_KIND_LATEST || m->kind == ST_KIND_LATEST_BASE) r->ts = st_merge_latest_ts(m);
  if (head || tail || skip) return;
  /* take_value hands over the same bytes, NUL-terminated. */
  char *t;
  size_t tl;
  if (st_merge_take_value(m, &t, &tl) != STRATA_OK || tl != r->vlen || memcmp(t, r->val, tl) != 0 || t[tl] != '\0')
    abort();
  free(t);
}

/* "COUNTER 5", "LATEST_BASE 7:v", "LIST [a,b]", "PUT abc", "ETYPE", ...;
 * an operand chain not decided (finished without bottom) as "open ...". */
static char *mread_str(const mread *r) {
  mstr s = {0};
  ms_printf(&s, "%s", !r->bottom && !r->done && r->rc != STRATA_ECORRUPT ? "open " : "");
  switch (r->rc) {
    case STRATA_OK: break;
    case STRATA_NOTFOUND: ms_printf(&s, "NOTFOUND"); return s.p;
    case STRATA_ETYPE: ms_printf(&s, "ETYPE"); return s.p;
    case STRATA_ECORRUPT: ms_printf(&s, "ECORRUPT"); return s.p;
    default: ms_printf(&s, "rc %d", r->rc); return s.p;
  }
  const char *name = mc_kind_name(r->kind);
  ms_printf(&s, "%s ", name ? name : "?");
  switch (r->kind) {
    case ST_KIND_LATEST:
    case ST_KIND_LATEST_BASE:
      ms_printf(&s, "%" PRIu64 ":", r->ts);
      ms_bytes(&s, r->val, r->vlen);
      break;
    case ST_KIND_APPEND:
    case ST_KIND_LIST:
      if (!ms_list(&s, r->val, r->vlen)) ms_printf(&s, "(malformed list)");
      break;
    case ST_KIND_ADD:
    case ST_KIND_COUNTER: ms_printf(&s, "%.*s", (int)r->vlen, r->val); break;
    default: ms_bytes(&s, r->val, r->vlen);
  }
  return s.p;
}

/* NULL when a reader cannot tell a from b, else what differs. A damaged
 * chain must fail the same way; what else it gives does not matter. An
 * operand form (without bottom) must also agree on being decided: an
 * undecided chain lets older fragments through, a decided one does not. */
MC_NO_COVERAGE static const char *mread_diff(const mread *a, const mread *b) {
  if (a->rc != b->rc) return "result";
  if (a->rc == STRATA_ECORRUPT) return NULL;
  if (!a->bottom && a->done != b->done) return "decided";
  if (a->rc != STRATA_OK) return NULL;
  if (a->kind != b->kind) return "kind";
  if (a->ts != b->ts) return "ts";
  if (a->vlen != b->vlen || (a->vlen && memcmp(a->val, b->val, a->vlen) != 0)) return "value";
  if (a->flen != b->flen || (a->flen && memcmp(a->frag, b->frag, a->flen) != 0)) return "fragment";
  return NULL;
}

/* ---- the "reads the same" check -------------------------------------------- */

/* Older data a chain collapsed without bottom may lie on: each tail is a
 * possible rest of the key (the first one: nothing). */
#define MC_TAILS 12
static void mc_tails(mchain t[MC_TAILS]) {
  char v[32];
  memset(t, 0, MC_TAILS * sizeof *t);
  mc_add(&t[1], 2, ST_KIND_DELETE, "", 0);
  mc_add(&t[2], 2, ST_KIND_PUT, "7", 1);
  mc_add(&t[3], 2, ST_KIND_PUT, "x", 1);
  st_counter_encode(v, 1);
  mc_add(&t[4], 2, ST_KIND_ADD, v, 8);
  st_counter_encode(v, INT64_MIN);
  mc_add(&t[5], 2, ST_KIND_COUNTER, v, 8);
  st_put_fixed64(v, 1);
  memcpy(v + 8, "t", 1);
  mc_add(&t[6], 2, ST_KIND_LATEST, v, 9);
  st_put_fixed64(v, 3);
  memcpy(v + 8, "u", 1);
  mc_add(&t[7], 2, ST_KIND_LATEST_BASE, v, 9);
  mc_add(&t[8], 2, ST_KIND_APPEND, "\1t", 2);
  mc_add(&t[9], 2, ST_KIND_LIST, "\1u\0", 3);
  st_counter_encode(v, -2);
  mc_add(&t[10], 2, ST_KIND_ADD, v, 8);
  mc_add(&t[10], 1, ST_KIND_PUT, "-5", 2);
  mc_add(&t[11], 2, ST_KIND_APPEND, "\1t", 2);
  mc_add(&t[11], 1, ST_KIND_PUT, "p", 1);
}

/* Newer writes the latest reader sees above a chain (the first: none):
 * operands of each kind, so that a collapsed base of the wrong type (a
 * plain PUT where a counter was) would show. */
#define MC_HEADS 5
static void mc_heads(mchain h[MC_HEADS]) {
  char v[16];
  memset(h, 0, MC_HEADS * sizeof *h);
  st_counter_encode(v, 1);
  mc_add(&h[1], ST_SEQ_MAX, ST_KIND_ADD, v, 8);
  st_put_fixed64(v, 2);
  memcpy(v + 8, "h", 1);
  mc_add(&h[2], ST_SEQ_MAX, ST_KIND_LATEST, v, 9);
  st_put_fixed64(v, 0);
  mc_add(&h[3], ST_SEQ_MAX, ST_KIND_LATEST, v, 9);
  mc_add(&h[4], ST_SEQ_MAX, ST_KIND_APPEND, "\1h", 2);
}

MC_NO_COVERAGE static int mc_has_lists(const mchain *c) {
  for (size_t i = 0; i < c->n; i++)
    if (mc_kind(&c->e[i]) == ST_KIND_APPEND || mc_kind(&c->e[i]) == ST_KIND_LIST) return 1;
  return 0;
}

/*
 * 1 when a reader cannot tell chain a from chain b: every read gives the
 * same at each snapshot of o and at the latest, with o->list_max and (for
 * chains with lists) each smaller list_max, which a reopen may set. With
 * o->bottom a read is st_merge_finish(m, 1) over the visible entries
 * alone. Without it older data may lie below: the operand forms
 * (finish(m, 0)) must agree, and so must the reads over nothing and over
 * each of the tails. At the latest, the reads over nothing and the operand
 * forms must also agree under newer writes of each kind. Else 0, with the
 * first difference written to why.
 */
MC_NO_COVERAGE static int mc_reads_same(const mchain *a, const mchain *b, const st_collapse_opts *o, char *why,
                                        size_t whylen) {
  /* Made once, kept for the life of the program. */
  static mchain heads[MC_HEADS], tails[MC_TAILS];
  static int made;
  if (!made) {
    mc_heads(heads);
    mc_tails(tails);
    made = 1;
  }
  size_t maxes[4] = {o->list_max, 1, 2, 3};
  int same = 1;
  st_merge ma, mb;
  mread ra = {0}, rb = {0}, rs = {0};
  for (int li = 0; li < 4 && same; li++) {
    if (li && ((o->list_max && maxes[li] >= o->list_max) || !(mc_has_lists(a) || mc_has_lists(b)))) continue;
    st_merge_init(&ma, maxes[li]);
    st_merge_init(&mb, maxes[li]);
    for (size_t si = 0; si <= o->nsnapshots && same; si++) {
      uint64_t snap = si < o->nsnapshots ? o->snapshots[si] : UINT64_MAX;
      for (int h = 0; h < (si < o->nsnapshots ? 1 : MC_HEADS) && same; h++) {
        const mchain *head = h ? &heads[h] : NULL;
        /* probe -1: the operand form; t >= 0: a read over tail t. */
        for (int t = o->bottom ? 0 : -1; t < (o->bottom || head ? 1 : MC_TAILS) && same; t++) {
          const mchain *tail = t > 0 ? &tails[t] : NULL;
          int bottom = t >= 0;
          mc_read(&ma, head, a, snap, tail, bottom, 0, &ra);
          mc_read(&mb, head, b, snap, tail, bottom, 0, &rb);
          const char *d = mread_diff(&ra, &rb), *who = "the chains";
          const mread *x = &ra, *y = &rb;
          /* A reader that skips the APPENDs it no longer wants reads the same. */
          for (int side = 0; side < 2 && !d && !head && !tail && ra.rc != STRATA_ECORRUPT; side++) {
            mc_read(side ? &mb : &ma, NULL, side ? b : a, snap, NULL, bottom, 1, &rs);
            x = side ? &rb : &ra;
            y = &rs;
            d = mread_diff(x, y);
            who = side ? "the second chain and a skipping reader" : "the first chain and a skipping reader";
          }
          if (d) {
            char *sx = mread_str(x), *sy = mread_str(y), *sh = head ? mc_str(head) : NULL,
                 *st = tail ? mc_str(tail) : NULL;
            snprintf(why, whylen, "%s differ in %s at snapshot %" PRIu64 ", list_max %zu, %s%s%s%s%s: %s vs %s", who, d,
                     snap, maxes[li], t < 0 ? "operand form" : "read", head ? " under " : "", sh ? sh : "",
                     tail ? " over " : "", st ? st : "", sx, sy);
            free(sx);
            free(sy);
            free(sh);
            free(st);
            same = 0;
          }
        }
      }
    }
    st_merge_destroy(&ma);
    st_merge_destroy(&mb);
  }
  mread_free(&ra);
  mread_free(&rb);
  mread_free(&rs);
  return same;
}

/* ---- the fuzz target ---------------------------------------------------------- */

typedef struct src {
  const uint8_t *p;
  size_t n;
} src;

static unsigned next_byte(src *s) {
  if (!s->n) return 0;
  s->n--;
  return *s->p++;
}

static uint64_t next_u64(src *s) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v |= (uint64_t)next_byte(s) << (8 * i);
  return v;
}

/* n bytes from the input as letters (readable in messages). */
static size_t next_text(src *s, char *out, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = (char)('a' + next_byte(s) % 26);
  return n;
}

static const unsigned fuzz_kinds[8] = {ST_KIND_DELETE, ST_KIND_PUT,     ST_KIND_ADD,  ST_KIND_LATEST,
                                       ST_KIND_APPEND, ST_KIND_COUNTER, ST_KIND_LIST, ST_KIND_LATEST_BASE};

/* One fragment's kind and value from the input; *damaged when the value
 * does not fit its kind or the kind is unknown. */
static size_t next_fragment(src *s, unsigned b, unsigned *kind, char *v, int *damaged) {
  static const char *decimals[] = {
      "-9223372036854775808", "9223372036854775807", "-0", "007", "", "-", "9223372036854775808", "+5", " 5", "5 "};
  unsigned var = (b >> 3) & 7;
  int bad = var == 7 && (next_byte(s) & 3) == 0;
  size_t n = 0;
  *kind = fuzz_kinds[b & 7];
  switch (*kind) {
    case ST_KIND_DELETE:
      if (bad) { /* RANGE_DELETE, or a kind from a later version */
        static const unsigned unknown[] = {ST_KIND_RANGE_DELETE, ST_KIND_MAX + 1, 200};
        *kind = unknown[next_byte(s) % 3];
        n = next_text(s, v, next_byte(s) % 4);
        *damaged = 1;
      }
      return n;
    case ST_KIND_PUT:
      if (var < 3) return (size_t)sprintf(v, "%d", (int)(int8_t)next_byte(s));
      if (var == 3) return (size_t)sprintf(v, "%" PRId64, (int64_t)next_u64(s));
      if (var == 4) {
        const char *d = decimals[next_byte(s) % (sizeof decimals / sizeof *decimals)];
        memcpy(v, d, strlen(d));
        return strlen(d);
      }
      if (var == 5) return next_text(s, v, next_byte(s) % 4);
      n = next_byte(s) % 16; /* any bytes */
      for (size_t i = 0; i < n; i++) v[i] = (char)next_byte(s);
      return n;
    case ST_KIND_ADD:
    case ST_KIND_COUNTER: {
      static const int64_t edges[] = {INT64_MAX, INT64_MIN, -1, 0};
      if (bad) {
        n = next_byte(s) % 12;
        if (n == ST_COUNTER_BYTES) n++;
        memset(v, 1, n);
        *damaged = 1;
        return n;
      }
      uint64_t x = var < 6 ? (uint64_t)(int64_t)(int8_t)next_byte(s) : (uint64_t)edges[next_byte(s) % 4];
      if (var == 7) x = next_u64(s);
      st_counter_encode(v, (int64_t)x);
      return ST_COUNTER_BYTES;
    }
    case ST_KIND_LATEST:
    case ST_KIND_LATEST_BASE: {
      static const uint64_t edges[] = {0, UINT64_MAX, UINT64_MAX - 1, 1};
      if (bad) {
        n = next_byte(s) % ST_LATEST_TS_BYTES;
        memset(v, 2, n);
        *damaged = 1;
        return n;
      }
      /* Few timestamps, so that ties are common. */
      uint64_t ts = var < 6 ? next_byte(s) % 4 : edges[next_byte(s) % 4];
      st_put_fixed64(v, ts);
      return ST_LATEST_TS_BYTES + next_text(s, v + ST_LATEST_TS_BYTES, next_byte(s) % 4);
    }
    default: { /* APPEND, LIST */
      if (bad) {
        static const char *broken[] = {"\x05", "\x03zz", "\x01z\x02", "\xff\xff\xff\xff\xff\x01", "\x80"};
        const char *x = broken[next_byte(s) % 5];
        n = strlen(x);
        memcpy(v, x, n);
        *damaged = 1;
        return n;
      }
      /* A fresh APPEND holds one element; collapsed ones several. */
      unsigned count = *kind == ST_KIND_APPEND && var < 5 ? 1 : next_byte(s) % 4;
      for (unsigned i = 0; i < count; i++) {
        size_t el = next_byte(s) % 4;
        n += st_list_put_header(v + n, el);
        n += next_text(s, v + n, el);
      }
      return n;
    }
  }
}

static void fuzz_fail(const char *what, const mchain *orig, const mchain *got, const st_collapse_opts *o,
                      const char *why) {
  char *so = mc_str(orig), *sg = got ? mc_str(got) : NULL;
  fprintf(stderr, "fuzz_merge: %s\n  chain:     %s\n  collapsed: %s\n  snapshots:", what, so, sg ? sg : "-");
  for (size_t i = 0; i < o->nsnapshots; i++) fprintf(stderr, " %" PRIu64, o->snapshots[i]);
  fprintf(stderr, "\n  bottom %d, list_max %zu, max_list_bytes %zu\n  %s\n", o->bottom, o->list_max, o->max_list_bytes,
          why ? why : "");
  free(so);
  free(sg);
  abort();
}

/* The shape of a collapse's output: sequence numbers newest first, all
 * from the input; plain PUTs and DELETEs only as they were written; within
 * a stripe nothing under a base, and operands of one kind merged (lists
 * may be split at max_list_bytes); a long list fragment only where one
 * fragment was that long. */
MC_NO_COVERAGE static void check_shape(const mchain *in, const mchain *out, const st_collapse_opts *o,
                                       const st_collapse_stats *stats) {
  char why[256];
  if (stats && in->n != out->n + stats->tombstones_dropped + stats->versions_dropped) {
    snprintf(why, sizeof why, "%zu in, %zu out, %" PRIu64 " tombstones and %" PRIu64 " versions dropped", in->n, out->n,
             stats->tombstones_dropped, stats->versions_dropped);
    fuzz_fail("the stats do not add up", in, out, o, why);
  }
  size_t j = 0;
  for (size_t i = 0; i < out->n; i++) {
    const st_merge_entry *e = &out->e[i];
    uint64_t seq = mc_seq(e);
    unsigned kind = mc_kind(e);
    while (j < in->n && mc_seq(&in->e[j]) > seq) j++;
    if (j == in->n || mc_seq(&in->e[j]) != seq || (i && mc_seq(&out->e[i - 1]) <= seq))
      fuzz_fail("a sequence number out of order or not from the input", in, out, o, NULL);
    const st_merge_entry *src_e = &in->e[j];
    if ((kind == ST_KIND_PUT || kind == ST_KIND_DELETE) &&
        (mc_kind(src_e) != kind || src_e->vlen != e->vlen || (e->vlen && memcmp(src_e->val, e->val, e->vlen))))
      fuzz_fail("a PUT or DELETE that was not written", in, out, o, NULL);
    if ((kind == ST_KIND_APPEND || kind == ST_KIND_LIST) && o->max_list_bytes && e->vlen > o->max_list_bytes &&
        e->vlen > src_e->vlen)
      fuzz_fail("a merged list fragment over max_list_bytes", in, out, o, NULL);
    if (i == 0) continue;
    const st_merge_entry *newer = &out->e[i - 1];
    unsigned nk = mc_kind(newer);
    int operand = nk == ST_KIND_ADD || nk == ST_KIND_LATEST || nk == ST_KIND_APPEND;
    /* stripe_of in collapse.c: the oldest snapshot that sees the entry */
    size_t sa = 0, sb = 0;
    while (sa < o->nsnapshots && o->snapshots[sa] < mc_seq(newer)) sa++;
    while (sb < o->nsnapshots && o->snapshots[sb] < seq) sb++;
    if (sa != sb) continue;
    if (!operand) fuzz_fail("an entry kept under a base in its stripe", in, out, o, NULL);
    if (nk == kind && !(kind == ST_KIND_APPEND && o->max_list_bytes))
      fuzz_fail("operands of one kind in one stripe not merged", in, out, o, NULL);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const size_t list_maxes[8] = {0, 0, 1, 2, 3, 4, 7, 0};
  static const size_t list_bytes[8] = {0, 0, 6, 8, 12, 16, 32, 64};
  src s = {data, size};
  unsigned flags = next_byte(&s), shape = next_byte(&s), mask = next_byte(&s);
  st_collapse_opts o = {
      .bottom = (int)(flags & 1),
      .list_max = list_maxes[(flags >> 1) & 7],
      .max_list_bytes = list_bytes[(flags >> 4) & 7],
  };
  size_t nsnap = shape & 7;

  /* The chain, newest first: kinds, values and gaps between sequence
   * numbers from the input; the oldest entry gets its gap as seq. */
  mchain orig = {0};
  int damaged = 0;
  uint64_t gaps[48];
  while (s.n && orig.n < 48) {
    unsigned b = next_byte(&s), kind;
    char v[64];
    size_t vl = next_fragment(&s, b, &kind, v, &damaged);
    gaps[orig.n] = 1 + (b >> 6);
    mc_add(&orig, 0, kind, v, vl);
  }
  uint64_t seq = 0;
  for (size_t i = orig.n; i-- > 0;) {
    seq += gaps[i];
    st_ikey_pack((char *)orig.e[i].ikey, "k", 1, st_trailer_pack(seq, mc_kind(&orig.e[i])));
  }
  /* Snapshots ascending (repeats allowed), from 0 (sees nothing) to past
   * the newest entry. */
  uint64_t snaps[8], sub[8];
  for (size_t i = 0; i < nsnap; i++) {
    uint64_t x = data[(i * 7 + 3) % (size ? size : 1)] % (seq + 2);
    size_t k = i;
    for (; k > 0 && snaps[k - 1] > x; k--) snaps[k] = snaps[k - 1];
    snaps[k] = x;
  }
  o.snapshots = snaps;
  o.nsnapshots = nsnap;

  char why[1024];
  mchain out = {0}, again = {0}, part = {0}, merged = {0};
  st_collapse_stats stats;
  int rc = mc_collapse(&orig, &o, &out, &stats);
  if (rc != STRATA_OK) {
    if (rc != STRATA_ECORRUPT || !damaged) fuzz_fail(strata_strerror(rc), &orig, NULL, &o, strata_errmsg());
    goto done;
  }
  check_shape(&orig, &out, &o, &stats);
  if (!mc_reads_same(&orig, &out, &o, why, sizeof why)) fuzz_fail("collapsed reads differently", &orig, &out, &o, why);

  /* Collapsed again: the same snapshots. */
  if ((rc = mc_collapse(&out, &o, &again, &stats)) != STRATA_OK)
    fuzz_fail("collapsing the collapsed chain failed", &orig, &out, &o, strata_errmsg());
  check_shape(&out, &again, &o, &stats);
  if (again.n > out.n) fuzz_fail("collapsing again made more entries", &orig, &again, &o, NULL);
  if (!mc_reads_same(&orig, &again, &o, why, sizeof why))
    fuzz_fail("collapsed twice reads differently", &orig, &again, &o, why);

  /* ... and later: some snapshots released, maybe at the bottom now, lists
   * cut at another size. */
  st_collapse_opts o2 = o;
  o2.snapshots = sub;
  o2.nsnapshots = 0;
  for (size_t i = 0; i < nsnap; i++)
    if (mask & (1u << i)) sub[o2.nsnapshots++] = snaps[i];
  o2.bottom = o.bottom || (flags >> 7);
  o2.max_list_bytes = list_bytes[(mask >> 5) & 7];
  if ((rc = mc_collapse(&out, &o2, &again, &stats)) != STRATA_OK)
    fuzz_fail("collapsing with fewer snapshots failed", &orig, &out, &o2, strata_errmsg());
  check_shape(&out, &again, &o2, &stats);
  if (!mc_reads_same(&orig, &again, &o2, why, sizeof why))
    fuzz_fail("collapsed with fewer snapshots reads differently", &orig, &again, &o2, why);

  /* A flush or compaction of a part [k1, k2) of the chain (never at the
   * bottom: older entries remain), then a compaction of everything. */
  size_t k2 = (shape >> 3) % (orig.n + 1), k1 = (mask >> 3) % (k2 + 1);
  mchain mid = {orig.n ? orig.e + k1 : NULL, k2 - k1, k2 - k1};
  st_collapse_opts of = o;
  of.bottom = 0;
  if ((rc = mc_collapse(&mid, &of, &merged, NULL)) != STRATA_OK) {
    if (rc != STRATA_ECORRUPT || !damaged) fuzz_fail(strata_strerror(rc), &mid, NULL, &of, strata_errmsg());
    goto done;
  }
  for (size_t i = 0; i < orig.n; i++) {
    if (i == k1)
      for (size_t j = 0; j < merged.n; j++)
        mc_add_raw(&part, merged.e[j].ikey, merged.e[j].iklen, merged.e[j].val, merged.e[j].vlen);
    if (i < k1 || i >= k2) mc_add_raw(&part, orig.e[i].ikey, orig.e[i].iklen, orig.e[i].val, orig.e[i].vlen);
  }
  if (!mc_reads_same(&orig, &part, &o, why, sizeof why))
    fuzz_fail("collapsed in part reads differently", &orig, &part, &o, why);
  rc = mc_collapse(&part, &o, &merged, &stats);
  if (rc != STRATA_OK) {
    if (rc != STRATA_ECORRUPT || !damaged) fuzz_fail(strata_strerror(rc), &part, NULL, &o, strata_errmsg());
    goto done;
  }
  check_shape(&part, &merged, &o, &stats);
  if (!mc_reads_same(&orig, &merged, &o, why, sizeof why))
    fuzz_fail("collapsed in part, then whole, reads differently", &orig, &merged, &o, why);

done:
  mc_free(&orig);
  mc_free(&out);
  mc_free(&again);
  mc_free(&part);
  mc_free(&merged);
  return 0;
}
