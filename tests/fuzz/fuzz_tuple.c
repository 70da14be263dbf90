/*
 * fuzz_tuple.c - libFuzzer target for tuple keys (src/format/tuple.c): the
 * input is parsed as a tuple key with strata_tuple_next into buffers of
 * exactly the size it is given, so the sanitizers catch any read or write
 * out of bounds. Checked:
 *  - the elements that parse re-encode, with the strata_tuple_add_*
 *    functions, to exactly the bytes they were parsed from (the whole input
 *    when it all parses); a failure leaves the position where it was;
 *  - a smaller buffer gives the same elements or STRATA_EINVAL, never
 *    anything else;
 *  - when both halves of the input (cut where its first byte says) parse
 *    whole, their bytewise order is the order of their elements;
 *  - strata_prefix_end of the input is greater than the input with any of
 *    a few extensions, and returns 0 only for an empty or all-0xff input.
 * Any failure prints what differs and aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, const uint8_t *data, size_t size) {
  fprintf(stderr, "fuzz_tuple: %s (%s)\n  input (%zu bytes):", what, strata_errmsg(), size);
  for (size_t i = 0; i < size && i < 256; i++) fprintf(stderr, " %02x", data[i]);
  fprintf(stderr, "\n");
  abort();
}

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) abort();
  return p;
}

static int cmp_key(const void *a, size_t an, const void *b, size_t bn) {
  size_t m = an < bn ? an : bn;
  int c = m ? memcmp(a, b, m) : 0;
  if (c) return c < 0 ? -1 : 1;
  return (an > bn) - (an < bn);
}

/* One parsed element; bytes point into a decode area owned by the caller. */
typedef struct elem {
  strata_tuple_elem e;
  const unsigned char *s;
} elem;

/* Parses key[0, klen) into es (room for klen elements, as each takes at
 * least one byte) with one decode buffer of exactly klen bytes per
 * element. Returns the number of elements; *whole says whether the key
 * parsed to its end, *stop where parsing stopped. Re-encodes as it goes
 * and checks the bytes. */
static size_t parse(const uint8_t *key, size_t klen, elem *es, unsigned char **bufs, int *whole, size_t *stop) {
  strata_tuple t;
  strata_tuple_init(&t);
  t.max_len = klen;
  size_t pos = 0, n = 0;
  int rc;
  for (;;) {
    size_t before = pos;
    bufs[n] = xmalloc(klen);
    rc = strata_tuple_next(key, klen, &pos, &es[n].e, bufs[n], klen);
    if (rc != 1) {
      free(bufs[n]);
      bufs[n] = NULL;
      if (rc != 0 && rc != STRATA_EINVAL) fail("strata_tuple_next returned an unexpected code", key, klen);
      if (pos != before) fail("a failed or final parse moved the position", key, klen);
      if (rc == 0 && pos != klen) fail("the end reported before the end of the key", key, klen);
      break;
    }
    if (pos <= before || pos > klen) fail("an element that did not advance, or went past the key", key, klen);
    es[n].s = bufs[n];
    const strata_tuple_elem *e = &es[n].e;
    int arc = STRATA_EINVAL;
    switch (e->type) {
      case STRATA_TUPLE_BYTES:
        if (e->len > klen) fail("a string longer than the key", key, klen);
        arc = e->desc ? strata_tuple_add_bytes_desc(&t, bufs[n], e->len) : strata_tuple_add_bytes(&t, bufs[n], e->len);
        break;
      case STRATA_TUPLE_U64:
        arc = e->desc ? strata_tuple_add_u64_desc(&t, e->u) : strata_tuple_add_u64(&t, e->u);
        break;
      case STRATA_TUPLE_I64:
        arc = e->desc ? strata_tuple_add_i64_desc(&t, e->i) : strata_tuple_add_i64(&t, e->i);
        break;
      default: fail("an element of an unknown type", key, klen);
    }
    if (arc != STRATA_OK) fail("re-encoding a parsed element failed", key, klen);
    if (t.len != pos || memcmp(t.data, key, pos) != 0) fail("re-encoding does not give the parsed bytes", key, klen);
    n++;
  }
  strata_tuple_free(&t);
  *whole = rc == 0;
  *stop = pos;
  return n;
}

static int rank(const strata_tuple_elem *e) { return e->type * 2 + e->desc; }

static int cmp_elem(const elem *a, const elem *b) {
  if (rank(&a->e) != rank(&b->e)) return rank(&a->e) < rank(&b->e) ? -1 : 1;
  int c;
  if (a->e.type == STRATA_TUPLE_BYTES)
    c = cmp_key(a->s, a->e.len, b->s, b->e.len);
  else if (a->e.type == STRATA_TUPLE_U64)
    c = (a->e.u > b->e.u) - (a->e.u < b->e.u);
  else
    c = (a->e.i > b->e.i) - (a->e.i < b->e.i);
  return a->e.desc ? -c : c;
}

static int cmp_elems(const elem *a, size_t an, const elem *b, size_t bn) {
  for (size_t i = 0; i < an && i < bn; i++) {
    int c = cmp_elem(&a[i], &b[i]);
    if (c) return c;
  }
  return (an > bn) - (an < bn);
}

static void free_bufs(unsigned char **bufs, size_t n) {
  for (size_t i = 0; i < n; i++) free(bufs[i]);
}

/* Every element again with a buffer of cap bytes: the same ones, or
 * STRATA_EINVAL at a string that does not fit. */
static void parse_small(const uint8_t *key, size_t klen, const elem *es, size_t n, size_t cap) {
  unsigned char *buf = xmalloc(cap);
  size_t pos = 0;
  for (size_t i = 0; i < n; i++) {
    strata_tuple_elem e;
    size_t before = pos;
    int rc = strata_tuple_next(key, klen, &pos, &e, cap ? buf : NULL, cap);
    if (rc == STRATA_EINVAL && es[i].e.type == STRATA_TUPLE_BYTES && es[i].e.len > cap && pos == before) break;
    const strata_tuple_elem *w = &es[i].e;
    if (rc != 1 || e.type != w->type || e.desc != w->desc || e.u != w->u || e.i != w->i || e.len != w->len ||
        (e.type == STRATA_TUPLE_BYTES && e.len && memcmp(buf, es[i].s, e.len) != 0))
      fail("a smaller buffer parsed differently", key, klen);
  }
  free(buf);
}

static void check_prefix_end(const uint8_t *p, size_t n) {
  unsigned char *end = xmalloc(n);
  size_t elen = 12345;
  int rc = strata_prefix_end(p, n, n ? end : NULL, &elen);
  size_t ff = 0;
  while (ff < n && p[ff] == 0xff) ff++;
  if (rc == 0) {
    if (ff != n || elen != 0) fail("prefix_end found no end for a prefix that has one", p, n);
    free(end);
    return;
  }
  if (rc != 1 || elen == 0 || elen > n) fail("prefix_end returned a bad code or length", p, n);
  if (cmp_key(p, n, end, elen) >= 0) fail("prefix_end is not above the prefix", p, n);
  if (elen <= n && memcmp(end, p, elen) == 0) fail("prefix_end is a prefix of the input", p, n);
  /* Extensions: 0xff bytes, the input itself, its bytes reversed. */
  size_t xn = 2 * n + 8;
  unsigned char *x = xmalloc(xn);
  if (n) memcpy(x, p, n);
  for (int kind = 0; kind < 3; kind++) {
    for (size_t i = 0; i < n + 8; i++) {
      unsigned char b = 0xff;
      if (kind == 1 && n) b = p[i % n];
      if (kind == 2 && n) b = p[n - 1 - i % n];
      x[n + i] = b;
    }
    for (size_t len = n; len <= xn; len += 1 + len / 4)
      if (cmp_key(x, len, end, elen) >= 0) fail("an extension of the prefix is not below prefix_end", p, n);
  }
  free(x);
  free(end);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* An exact-size copy, so that any read past the end is caught. */
  uint8_t *key = xmalloc(size);
  if (size) memcpy(key, data, size);
  elem *es = xmalloc((size + 1) * sizeof *es);
  unsigned char **bufs = xmalloc((size + 1) * sizeof *bufs);
  int whole;
  size_t stop;
  size_t n = parse(key, size, es, bufs, &whole, &stop);
  if (n) parse_small(key, size, es, n, size ? key[0] % 8 : 0);
  free_bufs(bufs, n);

  /* Two halves, each parsed whole: bytes and elements agree on order. */
  if (size >= 2) {
    size_t cut = 1 + key[0] % (size - 1);
    uint8_t *a = xmalloc(cut), *b = xmalloc(size - cut);
    memcpy(a, key, cut);
    memcpy(b, key + cut, size - cut);
    elem *ea = xmalloc((cut + 1) * sizeof *ea), *eb = xmalloc((size - cut + 1) * sizeof *eb);
    unsigned char **ba = xmalloc((cut + 1) * sizeof *ba), **bb = xmalloc((size - cut + 1) * sizeof *bb);
    int wa, wb;
    size_t sa, sb;
    size_t na = parse(a, cut, ea, ba, &wa, &sa), nb = parse(b, size - cut, eb, bb, &wb, &sb);
    if (wa && wb) {
      int want = cmp_elems(ea, na, eb, nb), got = cmp_key(a, cut, b, size - cut);
      if (want != got) fail("the halves' bytes and elements sort differently", key, size);
    }
    free_bufs(ba, na);
    free_bufs(bb, nb);
    free(ea);
    free(eb);
    free(ba);
    free(bb);
    free(a);
    free(b);
  }

  check_prefix_end(key, size);
  free(bufs);
  free(es);
  free(key);
  return 0;
}
