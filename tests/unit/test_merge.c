/* test_merge.c - the typed merge rules of DESIGN.md section 1 through the
 * resolver (st_merge_feed / finish / value / fragment), one rule at a
 * time, and st_merge_collapse case by case: every collapse is also checked
 * to read the same as its input at every live snapshot and at the latest
 * (the check of tests/fuzz/fuzz_merge.c, included here), and a random
 * run of that fuzzer's target ends the program.
 *
 * Chains are written as text, newest first: "30:ADD=3 20:PUT=5 10:DEL",
 * with LATEST=ts:value, APPEND=[a,b] (["",x]: an empty element first),
 * K9=... for a kind this version does not know and !n for an n-byte value
 * that does not fit its kind. A read is written as mread_str gives it:
 * "COUNTER 5", "LATEST_BASE 7:v", "LIST [a,b]", "PUT abc", "ETYPE", and
 * "open ADD 5" for an operand chain finished without bottom. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/random.h"
#include "testutil.h"

#include "../fuzz/fuzz_merge.c"

/* ---- chains from text --------------------------------------------------------- */

/* p[0, n) with \xNN escapes decoded; "" is the empty string. */
static size_t unescape(const char *p, size_t n, char *out) {
  if (n == 2 && p[0] == '"' && p[1] == '"') return 0;
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    if (p[i] == '\\' && i + 3 < n && p[i + 1] == 'x') {
      char hex[3] = {p[i + 2], p[i + 3], 0};
      out[o++] = (char)strtol(hex, NULL, 16);
      i += 3;
    } else {
      out[o++] = p[i];
    }
  }
  return o;
}

static unsigned kind_named(const char *name) {
  if (name[0] == 'K') return (unsigned)atoi(name + 1);
  for (unsigned k = 0; k <= ST_KIND_MAX; k++)
    if (k != ST_KIND_RANGE_DELETE && strcmp(mc_kind_name(k), name) == 0) return k;
  fail_msg("no kind named %s", name);
  return 0;
}

/* One token "seq:KIND[=value]" appended to c. */
static void parse_token(mchain *c, char *tok) {
  char *colon = strchr(tok, ':'), v[512];
  assert_non_null(colon);
  uint64_t seq = strtoull(tok, NULL, 10);
  char *name = colon + 1, *val = strchr(name, '=');
  if (val) *val++ = '\0';
  unsigned kind = kind_named(name);
  size_t vl = 0;
  int list = kind == ST_KIND_APPEND || kind == ST_KIND_LIST;
  if (val && val[0] == '!') { /* a value that does not fit its kind */
    vl = (size_t)atoi(val + 1);
    memset(v, list ? 0x7f : 1, vl); /* 0x7f: an element longer than the rest */
  } else if (kind == ST_KIND_ADD || kind == ST_KIND_COUNTER) {
    st_counter_encode(v, (int64_t)strtoll(val, NULL, 10));
    vl = ST_COUNTER_BYTES;
  } else if (kind == ST_KIND_LATEST || kind == ST_KIND_LATEST_BASE) {
    char *rest;
    st_put_fixed64(v, strtoull(val, &rest, 10));
    assert_int_equal(*rest, ':');
    vl = ST_LATEST_TS_BYTES + unescape(rest + 1, strlen(rest + 1), v + ST_LATEST_TS_BYTES);
  } else if (list) {
    size_t n = strlen(val);
    assert_true(n >= 2 && val[0] == '[' && val[n - 1] == ']');
    for (char *p = val + 1, *end = val + n - 1; p < end;) {
      char *comma = memchr(p, ',', (size_t)(end - p)), elem[256];
      if (!comma) comma = end;
      size_t el = unescape(p, (size_t)(comma - p), elem);
      vl += st_list_put_header(v + vl, el);
      memcpy(v + vl, elem, el);
      vl += el;
      p = comma + 1;
    }
  } else if (val) {
    vl = unescape(val, strlen(val), v);
  }
  mc_add(c, seq, kind, v, vl);
}

static mchain chain(const char *spec) {
  mchain c = {0};
  char tok[512];
  for (const char *p = spec; *p;) {
    while (*p == ' ') p++;
    size_t n = strcspn(p, " ");
    if (!n) break;
    assert_true(n < sizeof tok);
    memcpy(tok, p, n);
    tok[n] = '\0';
    parse_token(&c, tok);
    p += n;
  }
  return c;
}

/* ---- reads -------------------------------------------------------------------- */

static char *read_str(const mchain *c, uint64_t snap, int bottom, size_t list_max) {
  st_merge m;
  mread r = {0};
  st_merge_init(&m, list_max);
  mc_read(&m, NULL, c, snap, NULL, bottom, 0, &r);
  char *s = mread_str(&r);
  mread_free(&r);
  st_merge_destroy(&m);
  return s;
}

static void expect_chain_read(const mchain *c, uint64_t snap, int bottom, size_t list_max, const char *want) {
  char *got = read_str(c, snap, bottom, list_max), *cs = mc_str(c);
  if (strcmp(got, want) != 0)
    fail_msg("read of %s at %llu (bottom %d, list_max %zu):\n got \"%s\"\nwant \"%s\"", cs, (unsigned long long)snap,
             bottom, list_max, got, want);
  free(got);
  free(cs);
}

/* The read of spec at snap, finished with bottom, lists bounded by list_max. */
static void expect_read_at(const char *spec, uint64_t snap, int bottom, size_t list_max, const char *want) {
  mchain c = chain(spec);
  expect_chain_read(&c, snap, bottom, list_max, want);
  mc_free(&c);
}

/* What a read at the latest gives (nothing older exists). */
static void expect_read(const char *spec, const char *want) { expect_read_at(spec, UINT64_MAX, 1, 0, want); }

/* ... and the operand form: finished without bottom, as a collapse does. */
static void expect_open(const char *spec, const char *want) { expect_read_at(spec, UINT64_MAX, 0, 0, want); }

/* ADD 1 over a PUT of the n bytes at base. */
static void expect_add_over_put(const char *base, size_t n, const char *want) {
  mchain c = chain("2:ADD=1");
  mc_add(&c, 1, ST_KIND_PUT, base, n);
  expect_chain_read(&c, UINT64_MAX, 1, 0, want);
  mc_free(&c);
}

/* ---- the resolver -------------------------------------------------------------- */

static void nothing_and_delete(void **state) {
  (void)state;
  expect_read("", "NOTFOUND");
  expect_open("", "open NOTFOUND"); /* older data may still show */
  expect_read("1:DEL", "NOTFOUND");
  expect_open("1:DEL", "NOTFOUND"); /* decided: hides anything older */
  expect_read("2:DEL 1:PUT=a", "NOTFOUND");
  /* A snapshot sees only what was written by then. */
  expect_read_at("5:DEL 3:PUT=a", 4, 1, 0, "PUT a");
  expect_read_at("5:DEL 3:PUT=a", 2, 1, 0, "NOTFOUND");
  expect_read_at("5:DEL 3:PUT=a", 5, 1, 0, "NOTFOUND");
}

static void put_alone(void **state) {
  (void)state;
  expect_read("1:PUT=abc", "PUT abc");
  expect_open("1:PUT=abc", "PUT abc");
  expect_read("1:PUT=\"\"", "PUT \"\"");
  expect_read("2:PUT=new 1:PUT=old", "PUT new");
  /* A PUT is a base: operands under it do not matter, even of other kinds. */
  expect_read("3:PUT=x 2:ADD=5 1:APPEND=[a]", "PUT x");
  mchain c = {0};
  mc_add(&c, 1, ST_KIND_PUT, "a\0b", 3);
  expect_chain_read(&c, UINT64_MAX, 1, 0, "PUT a\\x00b");
  mc_free(&c);
}

static void counters(void **state) {
  (void)state;
  expect_read("1:ADD=5", "COUNTER 5");
  expect_open("1:ADD=5", "open ADD 5");
  expect_read("3:ADD=5 2:ADD=-7 1:ADD=1", "COUNTER -1");
  expect_open("3:ADD=5 2:ADD=-7 1:ADD=1", "open ADD -1");
  expect_read("2:ADD=5 1:DEL", "COUNTER 5");
  expect_open("2:ADD=5 1:DEL", "COUNTER 5");
  expect_read("3:ADD=5 2:DEL 1:PUT=100", "COUNTER 5");
  expect_read("2:ADD=1 1:COUNTER=41", "COUNTER 42");
  expect_read("1:COUNTER=41", "COUNTER 41");
  expect_open("2:ADD=1 1:COUNTER=41", "COUNTER 42");
  /* Over a decimal PUT. */
  expect_read("2:ADD=1 1:PUT=5", "COUNTER 6");
  expect_open("2:ADD=1 1:PUT=5", "COUNTER 6");
  expect_read("3:ADD=-10 2:ADD=1 1:PUT=5", "COUNTER -4");
  expect_read("2:ADD=1 1:PUT=-0", "COUNTER 1");
  expect_read("2:ADD=1 1:PUT=007", "COUNTER 8");
  expect_read("2:ADD=0 1:PUT=-9223372036854775808", "COUNTER -9223372036854775808");
  expect_read("2:ADD=0 1:PUT=9223372036854775807", "COUNTER 9223372036854775807");
  expect_read("2:ADD=7 1:PUT=-7", "COUNTER 0");
  /* A PUT base that is not a decimal integer within int64. */
  static const char *bad[] = {"",  "+5",  " 5",   "5 ",  "abc", "9223372036854775808",  "-9223372036854775809",
                              "-", "--1", "0x10", "1e3", "1.0", "99999999999999999999", "\xd9\xa3"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) expect_add_over_put(bad[i], strlen(bad[i]), "ETYPE");
  expect_add_over_put("5\0", 2, "ETYPE");
  expect_add_over_put("\0005", 2, "ETYPE");
  /* ... and through the whole chain, not only its newest ADD. */
  expect_read("3:ADD=1 2:ADD=2 1:PUT=abc", "ETYPE");
  expect_open("3:ADD=1 2:ADD=2 1:PUT=abc", "ETYPE");
}

static void counters_wrap(void **state) {
  (void)state;
  expect_read("2:ADD=1 1:PUT=9223372036854775807", "COUNTER -9223372036854775808");
  expect_read("2:ADD=1 1:ADD=9223372036854775807", "COUNTER -9223372036854775808");
  expect_read("2:ADD=1 1:COUNTER=9223372036854775807", "COUNTER -9223372036854775808");
  expect_read("2:ADD=-1 1:COUNTER=-9223372036854775808", "COUNTER 9223372036854775807");
  expect_read("2:ADD=-9223372036854775808 1:ADD=-9223372036854775808", "COUNTER 0");
  /* Wrapping keeps the sum associative: a partial sum first gives the same. */
  expect_read("3:ADD=9223372036854775807 2:ADD=9223372036854775807 1:ADD=5", "COUNTER 3");
  expect_read("3:ADD=9223372036854775807 2:ADD=-9223372036854775804", "COUNTER 3");
}

static void mixed_kinds(void **state) {
  (void)state;
  static const char *mixed[] = {
      "2:ADD=1 1:APPEND=[a]",
      "2:ADD=1 1:LIST=[a]",
      "2:ADD=1 1:LATEST=1:a",
      "2:ADD=1 1:LATEST_BASE=1:a",
      "2:APPEND=[a] 1:ADD=1",
      "2:APPEND=[a] 1:COUNTER=1",
      "2:APPEND=[a] 1:LATEST=1:a",
      "2:APPEND=[a] 1:LATEST_BASE=1:a",
      "2:LATEST=1:a 1:ADD=1",
      "2:LATEST=1:a 1:COUNTER=3",
      "2:LATEST=1:a 1:APPEND=[a]",
      "2:LATEST=1:a 1:LIST=[a]",
      "3:ADD=1 2:ADD=2 1:APPEND=[a]",
      "3:APPEND=[a] 2:ADD=1 1:PUT=5",
      "3:LATEST=1:a 2:APPEND=[b] 1:DEL",
  };
  for (size_t i = 0; i < sizeof mixed / sizeof *mixed; i++) {
    expect_read(mixed[i], "ETYPE");
    expect_open(mixed[i], "ETYPE");
  }
  /* Under a PUT or a DELETE each kind is fine. */
  expect_read("2:APPEND=[a] 1:PUT=5", "LIST [5,a]");
  expect_read("2:LATEST=1:a 1:PUT=5", "LATEST_BASE 1:a");
  /* A mix under a base is never looked at. */
  expect_read("3:PUT=x 2:ADD=1 1:APPEND=[a]", "PUT x");
  expect_read("3:COUNTER=4 2:APPEND=[a] 1:LATEST=1:b", "COUNTER 4");

  /* A type error decides: what comes after is not even looked at. */
  st_merge m;
  st_merge_init(&m, 0);
  char add[8];
  st_counter_encode(add, 1);
  assert_int_equal(st_merge_feed(&m, ST_KIND_ADD, add, 8), 0);
  assert_int_equal(st_merge_feed(&m, ST_KIND_APPEND, "\1a", 2), 1);
  assert_int_equal(st_merge_feed(&m, ST_KIND_ADD, "bad", 3), 1);
  assert_int_equal(st_merge_feed(&m, 200, "", 0), 1);
  assert_int_equal(st_merge_finish(&m, 1), STRATA_ETYPE);
  st_merge_destroy(&m);
}

static void latest_wins(void **state) {
  (void)state;
  expect_read("3:LATEST=1:a 2:LATEST=5:b 1:LATEST=3:c", "LATEST_BASE 5:b");
  expect_open("3:LATEST=1:a 2:LATEST=5:b 1:LATEST=3:c", "open LATEST 5:b");
  /* Ties go to the newer write. */
  expect_read("2:LATEST=4:new 1:LATEST=4:old", "LATEST_BASE 4:new");
  expect_read("3:LATEST=4:new 2:LATEST=4:mid 1:LATEST=4:old", "LATEST_BASE 4:new");
  expect_read("3:LATEST=1:a 2:LATEST=4:new 1:LATEST=4:old", "LATEST_BASE 4:new");
  /* A PUT base is ignored; a DELETE too. */
  expect_read("2:LATEST=0:a 1:PUT=zzz", "LATEST_BASE 0:a");
  expect_open("2:LATEST=0:a 1:PUT=zzz", "LATEST_BASE 0:a");
  expect_read("2:LATEST=3:a 1:DEL", "LATEST_BASE 3:a");
  /* A LATEST_BASE is compared like a LATEST. */
  expect_read("1:LATEST_BASE=5:b", "LATEST_BASE 5:b");
  expect_read("2:LATEST=3:a 1:LATEST_BASE=5:b", "LATEST_BASE 5:b");
  expect_read("2:LATEST=5:a 1:LATEST_BASE=5:b", "LATEST_BASE 5:a");
  expect_read("2:LATEST=6:a 1:LATEST_BASE=5:b", "LATEST_BASE 6:a");
  expect_open("2:LATEST=3:a 1:LATEST_BASE=5:b", "LATEST_BASE 5:b");
  /* The extremes of ts. */
  expect_read("1:LATEST=0:z", "LATEST_BASE 0:z");
  expect_read("2:LATEST=0:a 1:LATEST=0:b", "LATEST_BASE 0:a");
  expect_read("2:LATEST=0:a 1:LATEST=18446744073709551615:m", "LATEST_BASE 18446744073709551615:m");
  expect_read("2:LATEST=18446744073709551615:n 1:LATEST=18446744073709551615:o", "LATEST_BASE 18446744073709551615:n");
  expect_read("2:LATEST=18446744073709551614:a 1:LATEST=18446744073709551615:b", "LATEST_BASE 18446744073709551615:b");
  /* An empty value. */
  expect_read("1:LATEST=7:\"\"", "LATEST_BASE 7:\"\"");
  /* ts is compared as unsigned: 2^63 is greater than 1. */
  expect_read("2:LATEST=1:a 1:LATEST=9223372036854775808:b", "LATEST_BASE 9223372036854775808:b");
}

static void lists(void **state) {
  (void)state;
  expect_read("3:APPEND=[c] 2:APPEND=[b] 1:APPEND=[a]", "LIST [a,b,c]");
  expect_open("3:APPEND=[c] 2:APPEND=[b] 1:APPEND=[a]", "open APPEND [a,b,c]");
  /* A PUT base is the first element; a DELETE an empty start. */
  expect_read("2:APPEND=[b] 1:PUT=a", "LIST [a,b]");
  expect_open("2:APPEND=[b] 1:PUT=a", "LIST [a,b]");
  expect_read("2:APPEND=[b] 1:PUT=\"\"", "LIST [\"\",b]");
  expect_read("2:APPEND=[b] 1:DEL", "LIST [b]");
  expect_open("2:APPEND=[b] 1:DEL", "LIST [b]");
  expect_read("3:APPEND=[b] 2:DEL 1:PUT=a", "LIST [b]");
  /* Empty elements, and fragments holding none or several. */
  expect_read("2:APPEND=[\"\"] 1:APPEND=[\"\"]", "LIST [\"\",\"\"]");
  expect_read("2:APPEND=[] 1:APPEND=[a]", "LIST [a]");
  expect_read("1:APPEND=[]", "LIST []");
  expect_read("1:LIST=[]", "LIST []");
  expect_read("3:APPEND=[e] 2:APPEND=[c,d] 1:LIST=[a,b]", "LIST [a,b,c,d,e]");
  expect_open("3:APPEND=[e] 2:APPEND=[c,d] 1:LIST=[a,b]", "LIST [a,b,c,d,e]");
  expect_read("2:APPEND=[c,\"\"] 1:LIST=[\"\",b]", "LIST [\"\",b,c,\"\"]");
  /* Any bytes in an element. */
  expect_read("2:APPEND=[\\x00\\x2c] 1:PUT=\\x5b", "LIST [\\x5b,\\x00\\x2c]");
}

static void list_max_keeps_the_newest(void **state) {
  (void)state;
  const char *five = "5:APPEND=[e] 4:APPEND=[d] 3:APPEND=[c] 2:APPEND=[b] 1:APPEND=[a]";
  expect_read_at(five, UINT64_MAX, 1, 3, "LIST [c,d,e]");
  expect_read_at(five, UINT64_MAX, 0, 3, "open APPEND [c,d,e]");
  expect_read_at(five, UINT64_MAX, 1, 5, "LIST [a,b,c,d,e]");
  expect_read_at(five, UINT64_MAX, 1, 1, "LIST [e]");
  expect_read_at(five, 3, 1, 2, "LIST [b,c]");
  /* A LIST base longer than list_max. */
  expect_read_at("1:LIST=[a,b,c,d]", UINT64_MAX, 1, 3, "LIST [b,c,d]");
  expect_read_at("2:APPEND=[x] 1:LIST=[a,b,c,d]", UINT64_MAX, 1, 3, "LIST [c,d,x]");
  expect_read_at("2:APPEND=[d,e] 1:APPEND=[a,b,c]", UINT64_MAX, 1, 3, "LIST [c,d,e]");
  expect_read_at("2:APPEND=[d,e] 1:APPEND=[a,b,c]", UINT64_MAX, 1, 1, "LIST [e]");
  expect_read_at("2:APPEND=[b] 1:PUT=a", UINT64_MAX, 1, 1, "LIST [b]");
  expect_read_at("3:APPEND=[c] 2:APPEND=[b] 1:PUT=a", UINT64_MAX, 1, 2, "LIST [b,c]");
  /* A full list still fails under a base of another kind. */
  expect_read_at("3:APPEND=[c] 2:APPEND=[b] 1:COUNTER=1", UINT64_MAX, 1, 1, "ETYPE");
  expect_read_at("3:APPEND=[c] 2:APPEND=[b] 1:PUT=a", UINT64_MAX, 1, 2, "LIST [b,c]");

  /* st_merge_wants_values turns 0 once list_max elements are kept. */
  st_merge m;
  st_merge_init(&m, 2);
  assert_true(st_merge_wants_values(&m));
  assert_int_equal(st_merge_feed(&m, ST_KIND_APPEND, "\1z", 2), 0);
  assert_true(st_merge_wants_values(&m));
  assert_int_equal(st_merge_feed(&m, ST_KIND_APPEND, "\1y", 2), 0);
  assert_false(st_merge_wants_values(&m));
  assert_int_equal(st_merge_feed(&m, ST_KIND_APPEND, "\1x", 2), 0);
  assert_false(st_merge_wants_values(&m));
  char c[8];
  st_counter_encode(c, 1);
  assert_int_equal(st_merge_feed(&m, ST_KIND_COUNTER, c, 8), 1); /* the base still decides */
  assert_int_equal(st_merge_finish(&m, 1), STRATA_ETYPE);
  /* ... also with a LIST base longer than list_max. */
  st_merge_reset(&m);
  assert_int_equal(st_merge_feed(&m, ST_KIND_APPEND, "\1x", 2), 0);
  assert_true(st_merge_wants_values(&m));
  assert_int_equal(st_merge_feed(&m, ST_KIND_LIST, "\1a\1b\1c\1d", 8), 1);
  assert_false(st_merge_wants_values(&m));
  assert_int_equal(st_merge_finish(&m, 1), STRATA_OK);
  const char *v;
  size_t vl;
  st_merge_value(&m, &v, &vl);
  assert_int_equal(vl, 4);
  assert_memory_equal(v, "\1d\1x", 4);
  st_merge_destroy(&m);
  /* Other chains, and unbounded lists, always want values. */
  st_merge_init(&m, 1);
  assert_int_equal(st_merge_feed(&m, ST_KIND_ADD, c, 8), 0);
  assert_int_equal(st_merge_feed(&m, ST_KIND_ADD, c, 8), 0);
  assert_true(st_merge_wants_values(&m));
  st_merge_destroy(&m);
  st_merge_init(&m, 0);
  for (int i = 0; i < 100; i++) assert_int_equal(st_merge_feed(&m, ST_KIND_APPEND, "\1x", 2), 0);
  assert_true(st_merge_wants_values(&m));
  st_merge_destroy(&m);
}

/* Feeds spec's fragments newest first into m (reset first) and finishes. */
static int resolve(st_merge *m, const char *spec, int bottom) {
  mchain c = chain(spec);
  st_merge_reset(m);
  int rc = 0;
  for (size_t i = 0; i < c.n && rc == 0; i++) rc = st_merge_feed(m, mc_kind(&c.e[i]), c.e[i].val, c.e[i].vlen);
  mc_free(&c);
  return rc < 0 ? rc : st_merge_finish(m, bottom);
}

static void expect_forms(st_merge *m, const void *val, size_t vlen, const void *frag, size_t flen) {
  const char *v;
  size_t n;
  st_merge_value(m, &v, &n);
  assert_int_equal(n, vlen);
  if (n) assert_memory_equal(v, val, n);
  st_merge_fragment(m, &v, &n);
  assert_int_equal(n, flen);
  if (n) assert_memory_equal(v, frag, n);
  char *t;
  assert_int_equal(st_merge_take_value(m, &t, &n), STRATA_OK);
  assert_non_null(t);
  assert_int_equal(n, vlen);
  if (n) assert_memory_equal(t, val, n);
  assert_int_equal(t[n], '\0');
  free(t);
}

static void value_forms(void **state) {
  (void)state;
  st_merge m;
  st_merge_init(&m, 0);
  /* A counter reads as decimal text; its fragment is 8 bytes little-endian. */
  assert_int_equal(resolve(&m, "2:ADD=-50 1:PUT=8", 1), STRATA_OK);
  assert_int_equal(m.kind, ST_KIND_COUNTER);
  expect_forms(&m, "-42", 3, "\xd6\xff\xff\xff\xff\xff\xff\xff", 8);
  assert_int_equal(resolve(&m, "1:ADD=-9223372036854775808", 1), STRATA_OK);
  expect_forms(&m, "-9223372036854775808", 20, "\0\0\0\0\0\0\0\x80", 8);
  assert_int_equal(resolve(&m, "2:ADD=258 1:ADD=1", 0), STRATA_OK);
  assert_int_equal(m.kind, ST_KIND_ADD);
  expect_forms(&m, "259", 3, "\x03\x01\0\0\0\0\0\0", 8);
  /* A latest-wins value reads without its ts; the fragment has it first. */
  assert_int_equal(resolve(&m, "2:LATEST=1:old 1:LATEST=258:v", 1), STRATA_OK);
  assert_int_equal(m.kind, ST_KIND_LATEST_BASE);
  assert_int_equal(st_merge_latest_ts(&m), 258);
  expect_forms(&m, "v", 1, "\x02\x01\0\0\0\0\0\0v", 9);
  assert_int_equal(resolve(&m, "1:LATEST=3:\"\"", 0), STRATA_OK);
  assert_int_equal(m.kind, ST_KIND_LATEST);
  assert_int_equal(st_merge_latest_ts(&m), 3);
  expect_forms(&m, "", 0, "\3\0\0\0\0\0\0\0", 8);
  assert_int_equal(resolve(&m, "2:LATEST=3:x 1:PUT=p", 1), STRATA_OK);
  expect_forms(&m, "x", 1, "\3\0\0\0\0\0\0\0x", 9);
  /* A list reads as its encoding, oldest first, as does its fragment. */
  assert_int_equal(resolve(&m, "3:APPEND=[c] 2:APPEND=[\"\"] 1:PUT=ab", 1), STRATA_OK);
  assert_int_equal(m.kind, ST_KIND_LIST);
  expect_forms(&m, "\2ab\0\1c", 6, "\2ab\0\1c", 6);
  assert_int_equal(resolve(&m, "2:APPEND=[b] 1:APPEND=[a]", 0), STRATA_OK);
  assert_int_equal(m.kind, ST_KIND_APPEND);
  expect_forms(&m, "\1a\1b", 4, "\1a\1b", 4);
  assert_int_equal(resolve(&m, "2:APPEND=[] 1:DEL", 1), STRATA_OK);
  expect_forms(&m, "", 0, "", 0);
  /* A PUT as it is, any bytes. */
  assert_int_equal(resolve(&m, "1:PUT=a\\x00b", 1), STRATA_OK);
  assert_int_equal(m.kind, ST_KIND_PUT);
  assert_int_equal(st_merge_latest_ts(&m), 0);
  expect_forms(&m, "a\0b", 3, "a\0b", 3);
  assert_int_equal(resolve(&m, "1:PUT=\"\"", 1), STRATA_OK);
  expect_forms(&m, "", 0, "", 0);
  /* A long list and a long PUT through take_value, reusing m. */
  char big[3000];
  memset(big, 'q', sizeof big);
  st_merge_reset(&m);
  assert_int_equal(st_merge_feed(&m, ST_KIND_PUT, big, sizeof big), 1);
  assert_int_equal(st_merge_finish(&m, 1), STRATA_OK);
  expect_forms(&m, big, sizeof big, big, sizeof big);
  st_merge_reset(&m);
  for (int i = 0; i < 1000; i++) assert_int_equal(st_merge_feed(&m, ST_KIND_APPEND, "\1q", 2), 0);
  assert_int_equal(st_merge_finish(&m, 1), STRATA_OK);
  char want[2000];
  for (int i = 0; i < 1000; i++) memcpy(want + 2 * i, "\1q", 2);
  expect_forms(&m, want, sizeof want, want, sizeof want);
  /* finish a second time gives the same. */
  assert_int_equal(resolve(&m, "2:APPEND=[b] 1:APPEND=[a]", 1), STRATA_OK);
  assert_int_equal(st_merge_finish(&m, 1), STRATA_OK);
  expect_forms(&m, "\1a\1b", 4, "\1a\1b", 4);
  st_merge_destroy(&m);
}

static void reset_forgets_the_chain(void **state) {
  (void)state;
  st_merge m;
  st_merge_init(&m, 0);
  assert_int_equal(resolve(&m, "3:APPEND=[c] 2:LATEST=1:a", 1), STRATA_ETYPE);
  assert_int_equal(resolve(&m, "2:APPEND=[b] 1:APPEND=[a]", 1), STRATA_OK);
  assert_int_equal(resolve(&m, "1:APPEND=[z]", 1), STRATA_OK);
  expect_forms(&m, "\1z", 2, "\1z", 2);
  assert_int_equal(resolve(&m, "2:LATEST=9:a 1:LATEST=1:b", 1), STRATA_OK);
  assert_int_equal(resolve(&m, "1:LATEST=1:b", 1), STRATA_OK);
  expect_forms(&m, "b", 1, "\1\0\0\0\0\0\0\0b", 9);
  assert_int_equal(resolve(&m, "1:ADD=5", 1), STRATA_OK);
  assert_int_equal(resolve(&m, "1:ADD=6", 1), STRATA_OK);
  expect_forms(&m, "6", 1, "\6\0\0\0\0\0\0\0", 8);
  assert_int_equal(resolve(&m, "1:DEL", 1), STRATA_NOTFOUND);
  assert_int_equal(resolve(&m, "", 1), STRATA_NOTFOUND);
  assert_int_equal(resolve(&m, "1:PUT=x", 1), STRATA_OK);
  expect_forms(&m, "x", 1, "x", 1);
  st_merge_destroy(&m);
}

static void malformed_values(void **state) {
  (void)state;
  static const char *bad[] = {"1:ADD=!7", "1:ADD=!9", "1:ADD=!0", "1:COUNTER=!7", "1:LATEST=!3", "1:LATEST=!0",
                              "1:LATEST_BASE=!7", "1:APPEND=!1", "1:LIST=!3",
                              /* ... after good operands, and under operands of another kind
                               * (damage is reported as damage, not as a type error) */
                              "2:ADD=1 1:ADD=!7", "2:LATEST=1:a 1:LATEST=!3", "2:APPEND=[a] 1:APPEND=!2",
                              "2:ADD=1 1:LIST=!1", "2:APPEND=[a] 1:COUNTER=!4", "2:LATEST=1:a 1:LATEST_BASE=!1"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    expect_read(bad[i], "ECORRUPT");
    expect_open(bad[i], "ECORRUPT");
  }
  /* Lists whose encoding is broken. */
  static const struct {
    const char *p;
    size_t n;
  } lists[] = {{"\5ab", 3},
               {"\x80", 1},
               {"\1a\2b", 4},
               {"\xff\xff\xff\xff\xff\x01", 6},
               {"\x80\x80\x80\x80\x10", 5} /* 2^32: over 32 bits */,
               {"\1", 1}};
  for (size_t i = 0; i < sizeof lists / sizeof *lists; i++) {
    for (unsigned kind = ST_KIND_APPEND; kind <= ST_KIND_LIST; kind += ST_KIND_LIST - ST_KIND_APPEND) {
      mchain c = {0};
      mc_add(&c, 1, kind, lists[i].p, lists[i].n);
      expect_chain_read(&c, UINT64_MAX, 1, 0, "ECORRUPT");
      mc_free(&c);
    }
  }
  /* The message names the kind and the length. */
  st_merge m;
  st_merge_init(&m, 0);
  assert_int_equal(st_merge_feed(&m, ST_KIND_LATEST, "abc", 3), STRATA_ECORRUPT);
  assert_non_null(strstr(strata_errmsg(), "kind 4"));
  assert_non_null(strstr(strata_errmsg(), "3-byte"));
  st_merge_destroy(&m);
  /* Under a base, damage is never looked at. */
  expect_read("2:PUT=a 1:ADD=!7", "PUT a");
  expect_read("3:ADD=1 2:PUT=5 1:LIST=!1", "COUNTER 6");
}

static void unknown_kinds(void **state) {
  (void)state;
  static const char *bad[] = {
      "1:K2=a", "1:K9=a", "1:K200=\"\"", "2:ADD=1 1:K2=x", "2:APPEND=[a] 1:K9=", "2:LATEST=1:a 1:K255=z"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    expect_read(bad[i], "ECORRUPT");
    expect_open(bad[i], "ECORRUPT");
  }
  st_merge m;
  st_merge_init(&m, 0);
  assert_int_equal(st_merge_feed(&m, ST_KIND_RANGE_DELETE, "z", 1), STRATA_ECORRUPT);
  assert_non_null(strstr(strata_errmsg(), "kind 2"));
  st_merge_destroy(&m);
  expect_read("2:DEL 1:K9=a", "NOTFOUND");
}

static void parse_decimal(void **state) {
  (void)state;
  static const struct {
    const char *s;
    int ok;
    int64_t v;
  } cases[] = {
      {"0", 1, 0},
      {"-0", 1, 0},
      {"007", 1, 7},
      {"-007", 1, -7},
      {"5", 1, 5},
      {"-5", 1, -5},
      {"9223372036854775807", 1, INT64_MAX},
      {"-9223372036854775808", 1, INT64_MIN},
      {"-9223372036854775807", 1, -INT64_MAX},
      {"00000000000000000000000000009223372036854775807", 1, INT64_MAX},
      {"9223372036854775808", 0, 0},
      {"-9223372036854775809", 0, 0},
      {"18446744073709551615", 0, 0},
      {"18446744073709551616", 0, 0},
      {"99999999999999999999", 0, 0},
      {"92233720368547758070", 0, 0},
      {"", 0, 0},
      {"-", 0, 0},
      {"--1", 0, 0},
      {"+1", 0, 0},
      {" 1", 0, 0},
      {"1 ", 0, 0},
      {"1a", 0, 0},
      {"a1", 0, 0},
      {"-a", 0, 0},
      {"1-", 0, 0},
      {"0x1", 0, 0},
      {"1.5", 0, 0},
      {"/", 0, 0}, /* the characters either side of the digits */
      {":", 0, 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    int64_t v = 12345;
    int ok = st_merge_parse_decimal(cases[i].s, strlen(cases[i].s), &v);
    if (ok != cases[i].ok || (ok && v != cases[i].v))
      fail_msg("parse_decimal(\"%s\"): %d, %lld", cases[i].s, ok, (long long)v);
  }
  int64_t v;
  assert_int_equal(st_merge_parse_decimal("12", 1, &v), 1); /* only n bytes */
  assert_int_equal(v, 1);
  assert_int_equal(st_merge_parse_decimal("1\0", 2, &v), 0);
  assert_int_equal(st_merge_parse_decimal(NULL, 0, &v), 0);
}

/* ---- collapsing ---------------------------------------------------------------- */

typedef struct copts {
  uint64_t snaps[8];
  size_t nsnaps;
  int bottom;
  size_t list_max, max_list_bytes;
} copts;

static st_collapse_opts opts_of(const copts *co) {
  return (st_collapse_opts){co->snaps, co->nsnaps, co->bottom, co->list_max, co->max_list_bytes};
}

/*
 * Collapses in with co and expects want (a chain's text; "" for nothing),
 * then checks the invariant: the output reads the same as in at every
 * snapshot of co and at the latest; so does the output collapsed again.
 * Returns the stats, which must add up.
 */
static st_collapse_stats expect_collapse_chain(mchain *in, const copts *co, const char *want) {
  st_collapse_opts o = opts_of(co);
  st_collapse_stats st, st2;
  mchain out = {0}, again = {0}, w = chain(want);
  char *ins = mc_str(in), why[1024];
  int rc = mc_collapse(in, &o, &out, &st);
  if (rc != STRATA_OK) fail_msg("collapse of %s: %s (%s)", ins, strata_strerror(rc), strata_errmsg());
  char *got = mc_str(&out), *ws = mc_str(&w);
  if (strcmp(got, ws) != 0) fail_msg("collapse of %s:\n got \"%s\"\nwant \"%s\"", ins, got, ws);
  if (in->n != out.n + st.tombstones_dropped + st.versions_dropped)
    fail_msg("collapse of %s: %zu in, %zu out, %llu tombstones and %llu versions dropped", ins, in->n, out.n,
             (unsigned long long)st.tombstones_dropped, (unsigned long long)st.versions_dropped);
  check_shape(in, &out, &o, &st);
  if (!mc_reads_same(in, &out, &o, why, sizeof why)) fail_msg("collapse of %s into %s: %s", ins, got, why);
  assert_int_equal(mc_collapse(&out, &o, &again, &st2), STRATA_OK);
  if (!mc_reads_same(in, &again, &o, why, sizeof why)) fail_msg("collapse of %s twice: %s", ins, why);
  assert_true(again.n <= out.n);
  free(ins);
  free(got);
  free(ws);
  mc_free(&out);
  mc_free(&again);
  mc_free(&w);
  return st;
}

static st_collapse_stats expect_collapse(const char *spec, const copts *co, const char *want) {
  mchain in = chain(spec);
  st_collapse_stats st = expect_collapse_chain(&in, co, want);
  mc_free(&in);
  return st;
}

static void expect_stats(st_collapse_stats st, uint64_t tombstones, uint64_t versions) {
  assert_int_equal(st.tombstones_dropped, tombstones);
  assert_int_equal(st.versions_dropped, versions);
}

static const copts none = {0};
static const copts at_bottom = {.bottom = 1};

/* mc_reads_same(a, b) under co must give same. */
static void expect_reads(const char *a, const char *b, const copts *co, int same) {
  mchain x = chain(a), y = chain(b);
  st_collapse_opts o = opts_of(co);
  char why[1024] = "";
  if (mc_reads_same(&x, &y, &o, why, sizeof why) != same)
    fail_msg("%s and %s should read %s (%s)", a, b, same ? "the same" : "differently", why);
  mc_free(&x);
  mc_free(&y);
}

/* The check itself: it must see every way a collapse could go wrong. */
static void the_check_tells_chains_apart(void **state) {
  (void)state;
  expect_reads("2:APPEND=[b] 1:APPEND=[a]", "2:APPEND=[a,b]", &none, 1);
  expect_reads("2:APPEND=[b] 1:APPEND=[a]", "2:APPEND=[b,a]", &none, 0);
  /* A plain PUT for a counter: another kind, and a later APPEND would take it. */
  expect_reads("2:ADD=1 1:PUT=5", "2:COUNTER=6", &none, 1);
  expect_reads("2:ADD=1 1:PUT=5", "2:PUT=6", &none, 0);
  expect_reads("2:ADD=1 1:PUT=5", "2:PUT=6", &at_bottom, 0);
  /* Resolved too early: older data would no longer count. */
  expect_reads("2:ADD=1 1:ADD=2", "2:COUNTER=3", &none, 0);
  expect_reads("2:ADD=1 1:ADD=2", "2:COUNTER=3", &at_bottom, 1);
  expect_reads("2:ADD=1 1:ADD=2", "2:ADD=3", &none, 1);
  expect_reads("2:LATEST=1:a", "2:LATEST_BASE=1:a", &none, 0);
  expect_reads("2:APPEND=[a]", "2:LIST=[a]", &none, 0);
  /* A DELETE dropped where older data may lie. */
  expect_reads("1:DEL", "", &none, 0);
  expect_reads("1:DEL", "", &at_bottom, 1);
  expect_reads("3:ADD=1 1:DEL", "3:ADD=1", &none, 0);
  /* The tie of two latest-wins values given to the older one. */
  expect_reads("2:LATEST=1:a 1:LATEST=1:b", "2:LATEST=1:a", &none, 1);
  expect_reads("2:LATEST=1:a 1:LATEST=1:b", "2:LATEST=1:b", &none, 0);
  expect_reads("2:LATEST=1:a 1:LATEST=1:b", "2:LATEST=1:b", &at_bottom, 0);
  /* A version a live snapshot still sees. */
  expect_reads("3:PUT=b 1:PUT=a", "3:PUT=b", &none, 1);
  expect_reads("3:PUT=b 1:PUT=a", "3:PUT=b", &(copts){.snaps = {2}, .nsnaps = 1}, 0);
  expect_reads("3:ADD=1 1:ADD=2", "3:ADD=3", &(copts){.snaps = {2}, .nsnaps = 1}, 0);
  expect_reads("3:ADD=1 1:ADD=2", "3:ADD=1 1:ADD=2", &(copts){.snaps = {2}, .nsnaps = 1}, 1);
  /* Damage lost, or made up. */
  expect_reads("2:ADD=1 1:ADD=!7", "2:ADD=1", &none, 0);
  expect_reads("2:ADD=1 1:ADD=!7", "2:ADD=1 1:ADD=!3", &none, 1);
  /* A type error resolved away, or one made up. */
  expect_reads("2:APPEND=[a] 1:ADD=1", "2:LIST=[a]", &at_bottom, 0);
  expect_reads("2:APPEND=[a] 1:PUT=1", "2:APPEND=[a] 1:COUNTER=1", &none, 0);
  /* Lists trimmed to more or fewer than list_max. */
  expect_reads("2:APPEND=[c] 1:APPEND=[a,b]", "2:APPEND=[b,c]", &(copts){.list_max = 2}, 1);
  expect_reads("2:APPEND=[c] 1:APPEND=[a,b]", "2:APPEND=[c]", &(copts){.list_max = 2}, 0);
}

static void collapse_runs_per_stripe(void **state) {
  (void)state;
  const char *adds = "30:ADD=1 25:ADD=2 20:ADD=4 10:ADD=8";
  expect_stats(expect_collapse(adds, &none, "30:ADD=15"), 0, 3);
  expect_stats(expect_collapse(adds, &(copts){.snaps = {20}, .nsnaps = 1}, "30:ADD=3 20:ADD=12"), 0, 2);
  /* A snapshot at a seq sees it: 20 and 10 share a stripe. */
  expect_collapse(adds, &(copts){.snaps = {10, 25}, .nsnaps = 2}, "30:ADD=1 25:ADD=6 10:ADD=8");
  expect_collapse(adds, &(copts){.snaps = {9, 10, 20, 25, 30}, .nsnaps = 5}, adds);
  expect_collapse(adds, &(copts){.snaps = {0, 5, 40}, .nsnaps = 3}, "30:ADD=15");
  expect_collapse(adds, &(copts){.snaps = {20, 20, 29}, .nsnaps = 3}, "30:ADD=1 25:ADD=2 20:ADD=12");
  expect_collapse(adds, &(copts){.snaps = {20}, .nsnaps = 1, .bottom = 1}, "30:ADD=3 20:COUNTER=12");
  /* Wrapping sums merge in any grouping. */
  expect_collapse("3:ADD=9223372036854775807 2:ADD=9223372036854775807 1:ADD=5", &(copts){.snaps = {1}, .nsnaps = 1},
                  "3:ADD=-2 1:ADD=5");
  /* Latest-wins values: the winner at the run's newest seq, ties to the newer. */
  const char *latest = "4:LATEST=1:a 3:LATEST=2:b 2:LATEST=2:c 1:LATEST=0:d";
  expect_collapse(latest, &(copts){.snaps = {2}, .nsnaps = 1}, "4:LATEST=2:b 2:LATEST=2:c");
  expect_collapse(latest, &none, "4:LATEST=2:b");
  expect_collapse(latest, &at_bottom, "4:LATEST_BASE=2:b");
  expect_collapse("3:LATEST=5:a 2:LATEST=1:b 1:LATEST=5:c", &(copts){.snaps = {1}, .nsnaps = 1},
                  "3:LATEST=5:a 1:LATEST=5:c");
  /* Lists: oldest first within the merged fragment. */
  const char *appends = "4:APPEND=[d] 3:APPEND=[c] 2:APPEND=[b] 1:APPEND=[a]";
  expect_collapse(appends, &(copts){.snaps = {2}, .nsnaps = 1}, "4:APPEND=[c,d] 2:APPEND=[a,b]");
  expect_collapse(appends, &none, "4:APPEND=[a,b,c,d]");
  expect_collapse("3:APPEND=[c,d] 2:APPEND=[] 1:APPEND=[\"\",b]", &none, "3:APPEND=[\"\",b,c,d]");
  /* Operands of another kind end a run. */
  expect_stats(expect_collapse("4:ADD=1 3:ADD=2 2:APPEND=[a] 1:APPEND=[b]", &none, "4:ADD=3 2:APPEND=[b,a]"), 0, 2);
}

static void collapse_bases_are_typed(void **state) {
  (void)state;
  expect_stats(expect_collapse("3:ADD=1 2:ADD=2 1:PUT=5", &none, "3:COUNTER=8"), 0, 2);
  expect_collapse("2:ADD=1 1:PUT=-9223372036854775808", &none, "2:COUNTER=-9223372036854775807");
  expect_collapse("2:APPEND=[b] 1:PUT=a", &none, "2:LIST=[a,b]");
  expect_collapse("2:LATEST=1:x 1:PUT=a", &none, "2:LATEST_BASE=1:x");
  expect_collapse("2:ADD=1 1:DEL", &none, "2:COUNTER=1");
  expect_collapse("2:APPEND=[b] 1:DEL", &none, "2:LIST=[b]");
  expect_collapse("2:LATEST=0:x 1:DEL", &none, "2:LATEST_BASE=0:x");
  expect_collapse("2:ADD=1 1:COUNTER=5", &none, "2:COUNTER=6");
  expect_collapse("2:APPEND=[c] 1:LIST=[a,b]", &none, "2:LIST=[a,b,c]");
  expect_collapse("2:LATEST=1:x 1:LATEST_BASE=2:y", &none, "2:LATEST_BASE=2:y");
  expect_collapse("2:LATEST=2:x 1:LATEST_BASE=2:y", &none, "2:LATEST_BASE=2:x");
  /* A plain PUT stays a PUT, and only the newest is kept. */
  expect_stats(expect_collapse("1:PUT=5", &none, "1:PUT=5"), 0, 0);
  expect_stats(expect_collapse("2:PUT=b 1:PUT=a", &none, "2:PUT=b"), 0, 1);
  expect_collapse("1:PUT=5", &at_bottom, "1:PUT=5");
  /* Typed bases as they are when alone. */
  expect_collapse("1:COUNTER=5", &none, "1:COUNTER=5");
  expect_collapse("1:LIST=[a]", &at_bottom, "1:LIST=[a]");
  /* Why typed: the counter 6 must keep failing under a later APPEND, which
   * a plain PUT "6" would take as its first element (mc_reads_same reads
   * under newer operands of each kind at the latest). */
  expect_collapse("2:ADD=1 1:PUT=5", &(copts){.snaps = {1}, .nsnaps = 1}, "2:ADD=1 1:PUT=5");
  mchain c = chain("9:APPEND=[x] 2:COUNTER=6"), p = chain("9:APPEND=[x] 2:PUT=6");
  expect_chain_read(&c, UINT64_MAX, 1, 0, "ETYPE");
  expect_chain_read(&p, UINT64_MAX, 1, 0, "LIST [6,x]");
  mc_free(&c);
  mc_free(&p);
}

static void collapse_at_the_bottom(void **state) {
  (void)state;
  expect_collapse("3:ADD=1 2:ADD=2 1:ADD=3", &at_bottom, "3:COUNTER=6");
  expect_collapse("3:ADD=1 2:ADD=2 1:ADD=3", &(copts){.snaps = {2}, .nsnaps = 1, .bottom = 1}, "3:ADD=1 2:COUNTER=5");
  expect_collapse("2:APPEND=[b] 1:APPEND=[a]", &at_bottom, "2:LIST=[a,b]");
  expect_collapse("2:LATEST=1:b 1:LATEST=1:a", &at_bottom, "2:LATEST_BASE=1:b");
  /* A DELETE that would be the oldest entry reads as nothing: dropped. */
  expect_stats(expect_collapse("1:DEL", &at_bottom, ""), 1, 0);
  expect_stats(expect_collapse("1:DEL", &none, "1:DEL"), 0, 0);
  expect_stats(expect_collapse("3:PUT=a 1:DEL", &(copts){.snaps = {2}, .nsnaps = 1, .bottom = 1}, "3:PUT=a"), 1, 0);
  expect_stats(expect_collapse("3:PUT=a 1:DEL", &(copts){.snaps = {2}, .nsnaps = 1}, "3:PUT=a 1:DEL"), 0, 0);
  expect_stats(expect_collapse("3:ADD=1 1:DEL", &(copts){.snaps = {2}, .nsnaps = 1, .bottom = 1}, "3:ADD=1"), 1, 0);
  /* ... a newer one stays: a snapshot sees the PUT under it. */
  expect_collapse("3:DEL 1:PUT=a", &(copts){.snaps = {2}, .nsnaps = 1, .bottom = 1}, "3:DEL 1:PUT=a");
  expect_stats(expect_collapse("3:DEL 1:PUT=a", &at_bottom, ""), 1, 1);
  /* Merged into the run above it, a DELETE is gone too. */
  expect_stats(expect_collapse("2:APPEND=[a] 1:DEL", &at_bottom, "2:LIST=[a]"), 0, 1);
  /* Only the oldest run resolves; a chain that fails keeps failing. */
  expect_collapse("2:ADD=1 1:APPEND=[a]", &at_bottom, "2:ADD=1 1:LIST=[a]");
  expect_collapse("3:APPEND=[b] 2:ADD=1 1:ADD=2", &at_bottom, "3:APPEND=[b] 2:COUNTER=3");
}

static void collapse_drops_under_a_base(void **state) {
  (void)state;
  expect_stats(expect_collapse("5:PUT=new 4:ADD=1 3:DEL 2:PUT=old 1:APPEND=[x]", &none, "5:PUT=new"), 1, 3);
  expect_stats(expect_collapse("4:ADD=1 3:PUT=5 2:ADD=7 1:DEL", &none, "4:COUNTER=6"), 1, 2);
  expect_stats(expect_collapse("3:DEL 2:DEL 1:PUT=a", &none, "3:DEL"), 1, 1);
  /* A base only hides what its stripe holds. */
  expect_collapse("5:PUT=new 2:PUT=old", &(copts){.snaps = {3}, .nsnaps = 1}, "5:PUT=new 2:PUT=old");
  expect_collapse("6:ADD=1 5:COUNTER=1 4:ADD=5 2:PUT=old 1:DEL", &(copts){.snaps = {4}, .nsnaps = 1},
                  "6:COUNTER=2 4:ADD=5 2:PUT=old");
  /* Damaged values under a base are dropped unread (unknown kinds are
   * refused even there: collapse_errors). */
  expect_stats(expect_collapse("3:PUT=a 2:ADD=!7 1:LIST=!1", &none, "3:PUT=a"), 0, 2);
}

static void collapse_keeps_large_values(void **state) {
  (void)state;
  /* Survivors whose values outgrow collapse's first buffers: versions
   * each seen by its own snapshot, and a long list merged under them. */
  mchain in = {0}, out = {0};
  char v[700];
  for (int i = 0; i < 6; i++) {
    memset(v, 'a' + i, sizeof v);
    mc_add(&in, (uint64_t)(41 - 2 * i), ST_KIND_PUT, v, sizeof v);
  }
  for (int i = 0; i < 20; i++) {
    size_t h = st_list_put_header(v, 300);
    memset(v + h, 'k' + i % 10, 300);
    mc_add(&in, (uint64_t)(20 - i), ST_KIND_APPEND, v, h + 300);
  }
  copts co = {.snaps = {30, 32, 34, 36, 38, 40}, .nsnaps = 6, .bottom = 1};
  st_collapse_opts o = opts_of(&co);
  st_collapse_stats st;
  char why[1024];
  assert_int_equal(mc_collapse(&in, &o, &out, &st), STRATA_OK);
  assert_int_equal(out.n, 7);
  for (size_t i = 0; i < 6; i++) assert_memory_equal(out.e[i].val, in.e[i].val, in.e[i].vlen);
  assert_int_equal(mc_kind(&out.e[6]), ST_KIND_LIST);
  assert_int_equal(out.e[6].vlen, 20 * 302);
  expect_stats(st, 0, 19);
  if (!mc_reads_same(&in, &out, &o, why, sizeof why)) fail_msg("%s", why);
  mc_free(&in);
  mc_free(&out);
}

static void collapse_keeps_what_does_not_resolve(void **state) {
  (void)state;
  expect_stats(expect_collapse("2:ADD=1 1:PUT=abc", &none, "2:ADD=1 1:PUT=abc"), 0, 0);
  expect_collapse("3:ADD=1 2:ADD=1 1:PUT=abc", &none, "3:ADD=2 1:PUT=abc");
  expect_collapse("3:ADD=1 2:ADD=1 1:PUT=abc", &at_bottom, "3:ADD=2 1:PUT=abc");
  expect_collapse("2:APPEND=[a] 1:ADD=1", &none, "2:APPEND=[a] 1:ADD=1");
  expect_collapse("2:APPEND=[a] 1:ADD=1", &at_bottom, "2:APPEND=[a] 1:COUNTER=1");
  expect_collapse("5:APPEND=[b] 4:APPEND=[a] 3:ADD=1 2:ADD=2 1:PUT=1", &none, "5:APPEND=[a,b] 3:COUNTER=4");
  expect_collapse("3:LATEST=1:a 2:ADD=1 1:LATEST=2:b", &none, "3:LATEST=1:a 2:ADD=1 1:LATEST=2:b");
  expect_collapse("2:ADD=1 1:LIST=[a]", &none, "2:ADD=1 1:LIST=[a]");
  expect_collapse("2:LATEST=1:a 1:COUNTER=5", &none, "2:LATEST=1:a 1:COUNTER=5");
  expect_collapse("2:APPEND=[a] 1:LATEST_BASE=1:x", &at_bottom, "2:APPEND=[a] 1:LATEST_BASE=1:x");
  /* A damaged base is kept as it is: it keeps failing as damage. */
  expect_collapse("3:ADD=1 2:ADD=1 1:COUNTER=!7", &none, "3:ADD=2 1:COUNTER=!7");
  expect_collapse("2:APPEND=[a] 1:LIST=!2", &at_bottom, "2:APPEND=[a] 1:LIST=!2");
  expect_collapse("2:LATEST=1:a 1:LATEST_BASE=!5", &none, "2:LATEST=1:a 1:LATEST_BASE=!5");
  expect_collapse("1:COUNTER=!7", &at_bottom, "1:COUNTER=!7");
}

static void collapse_splits_long_lists(void **state) {
  (void)state;
  const char *ten =
      "11:APPEND=[j] 10:APPEND=[i] 9:APPEND=[h] 8:APPEND=[g] 7:APPEND=[f] 6:APPEND=[e] 5:APPEND=[d] 4:APPEND=[c] "
      "3:APPEND=[b] 2:APPEND=[a]";
  /* Two bytes an element; a fragment stays within 12 bytes (the check
   * keeps room for the 5-byte header a PUT base would take). */
  expect_stats(expect_collapse(ten, &(copts){.max_list_bytes = 12},
                               "11:APPEND=[h,i,j] 8:APPEND=[e,f,g] 5:APPEND=[b,c,d] 2:APPEND=[a]"),
               0, 6);
  expect_collapse(ten, &(copts){.max_list_bytes = 12, .bottom = 1},
                  "11:APPEND=[h,i,j] 8:APPEND=[e,f,g] 5:APPEND=[b,c,d] 2:LIST=[a]");
  /* A base that does not fit stays as it is under the full run. */
  mchain c = chain(ten);
  mc_add(&c, 1, ST_KIND_PUT, "z", 1);
  expect_collapse_chain(&c, &(copts){.max_list_bytes = 12},
                        "11:APPEND=[h,i,j] 8:APPEND=[e,f,g] 5:APPEND=[b,c,d] 2:LIST=[z,a]");
  expect_collapse_chain(&c, &(copts){.max_list_bytes = 9},
                        "11:APPEND=[i,j] 9:APPEND=[g,h] 7:APPEND=[e,f] 5:APPEND=[c,d] 3:APPEND=[a,b] 1:PUT=z");
  mc_free(&c);
  expect_collapse(ten, &(copts){.max_list_bytes = 1000}, "11:APPEND=[a,b,c,d,e,f,g,h,i,j]");
  /* An element longer than the bound stays alone. */
  expect_collapse("3:APPEND=[x] 2:APPEND=[0123456789abcdef] 1:APPEND=[y]", &(copts){.max_list_bytes = 8},
                  "3:APPEND=[x] 2:APPEND=[0123456789abcdef] 1:APPEND=[y]");
  /* With snapshots, within each stripe. */
  expect_collapse(ten, &(copts){.snaps = {6}, .nsnaps = 1, .max_list_bytes = 9},
                  "11:APPEND=[i,j] 9:APPEND=[g,h] 7:APPEND=[f] 6:APPEND=[d,e] 4:APPEND=[b,c] 2:APPEND=[a]");
}

static void collapse_trims_lists(void **state) {
  (void)state;
  const char *five = "5:APPEND=[e] 4:APPEND=[d] 3:APPEND=[c] 2:APPEND=[b] 1:APPEND=[a]";
  expect_collapse(five, &(copts){.list_max = 3, .bottom = 1}, "5:LIST=[c,d,e]");
  expect_collapse(five, &(copts){.list_max = 3}, "5:APPEND=[c,d,e]");
  expect_collapse(five, &(copts){.list_max = 1}, "5:APPEND=[e]");
  expect_collapse(five, &(copts){.list_max = 2, .snaps = {2}, .nsnaps = 1}, "5:APPEND=[d,e] 2:APPEND=[a,b]");
  expect_collapse("2:APPEND=[x] 1:LIST=[a,b,c,d]", &(copts){.list_max = 3}, "2:LIST=[c,d,x]");
  expect_collapse("2:APPEND=[x] 1:PUT=p", &(copts){.list_max = 1}, "2:LIST=[x]");
  expect_collapse("2:APPEND=[x,y,z] 1:APPEND=[a]", &(copts){.list_max = 2}, "2:APPEND=[y,z]");
  /* Full, the run still fails over a base of another kind. */
  expect_collapse("3:APPEND=[x] 2:APPEND=[y] 1:COUNTER=4", &(copts){.list_max = 1}, "3:APPEND=[x] 1:COUNTER=4");
  /* Alone, a long LIST is not rewritten (reads trim it). */
  expect_collapse("1:LIST=[a,b,c,d]", &(copts){.list_max = 3}, "1:LIST=[a,b,c,d]");
}

typedef struct failing_emit {
  int calls, fail_at;
} failing_emit;

static int emit_fails(void *arg, const char *ikey, size_t iklen, const char *val, size_t vlen) {
  (void)ikey, (void)iklen, (void)val, (void)vlen;
  failing_emit *f = arg;
  return ++f->calls == f->fail_at ? STRATA_EIO : STRATA_OK;
}

static void collapse_errors(void **state) {
  (void)state;
  mchain c = chain("5:ADD=1 3:ADD=2 1:ADD=3");
  uint64_t snaps[] = {2, 4};
  st_collapse_opts o = {snaps, 2, 0, 0, 0};
  for (int n = 1; n <= 3; n++) {
    failing_emit f = {0, n};
    assert_int_equal(st_merge_collapse(c.e, c.n, &o, emit_fails, &f, NULL), STRATA_EIO);
    assert_int_equal(f.calls, n);
  }
  failing_emit ok = {0, 0};
  assert_int_equal(st_merge_collapse(c.e, c.n, &o, emit_fails, &ok, NULL), STRATA_OK);
  assert_int_equal(ok.calls, 3);
  assert_int_equal(st_merge_collapse(c.e, 0, &o, emit_fails, &ok, NULL), STRATA_OK);
  assert_int_equal(ok.calls, 3);
  mc_free(&c);
  /* Damage where a run would read it, and unknown kinds anywhere (even
   * under a base, and in a stripe of their own). */
  static const char *bad[] = {
      "1:K2=x",           "2:ADD=1 1:K9=",        "1:ADD=!7", "2:APPEND=[a] 1:APPEND=!1", "2:LATEST=1:a 1:LATEST=!4",
      "3:PUT=a 2:K200=z", "3:PUT=a 2:DEL 1:K255="};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    mchain in = chain(bad[i]), out = {0};
    for (int bottom = 0; bottom < 2; bottom++) {
      uint64_t snap = 1;
      int rc = mc_collapse(&in, &(st_collapse_opts){&snap, (size_t)bottom, bottom, 0, 0}, &out, NULL);
      if (rc != STRATA_ECORRUPT) fail_msg("collapse of %s: %s", bad[i], strata_strerror(rc));
    }
    mc_free(&in);
    mc_free(&out);
  }
}

/* ---- random chains ------------------------------------------------------------- */

/* Random inputs for the fuzz target, which aborts on any difference. */
static void random_chains_read_the_same(void **state) {
  (void)state;
  uint64_t seed = (uint64_t)tu_env_long("STRATA_TEST_SEED", (long)time(NULL));
  long runs = tu_env_long("STRATA_MERGE_RUNS", 3000);
  printf("merge: seed %llu, %ld random chains\n", (unsigned long long)seed, runs);
  st_random r;
  st_random_seed(&r, seed);
  uint8_t buf[160];
  for (long i = 0; i < runs; i++) {
    size_t n = 3 + st_random_uniform(&r, sizeof buf - 3);
    for (size_t k = 0; k < n; k++) buf[k] = (uint8_t)st_random_next(&r);
    LLVMFuzzerTestOneInput(buf, n);
  }
}

/*
 * Values of zero bytes (an empty list, an empty PUT, a DELETE alone) once
 * met buffers never allocated: NULL + 0 and memcpy from NULL, undefined
 * behaviour that only the UBSan build caught. Every kind of empty value,
 * in the resolver and in a collapse.
 */
static void zero_length_values(void **state) {
  (void)state;
  st_merge m;
  st_merge_init(&m, 0);
  assert_int_equal(st_merge_feed(&m, ST_KIND_APPEND, "", 0), 0);
  assert_int_equal(st_merge_finish(&m, 1), STRATA_OK);
  expect_forms(&m, "", 0, "", 0);
  st_merge_destroy(&m);
  expect_read("1:LIST=[]", "LIST []");
  expect_read("2:APPEND=[] 1:APPEND=[a]", "LIST [a]");
  expect_collapse("2:DEL 1:ADD=1", &none, "2:DEL");
  expect_collapse("2:PUT=\"\" 1:APPEND=[a]", &none, "2:PUT=\"\"");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(zero_length_values),
      cmocka_unit_test(nothing_and_delete),
      cmocka_unit_test(put_alone),
      cmocka_unit_test(counters),
      cmocka_unit_test(counters_wrap),
      cmocka_unit_test(mixed_kinds),
      cmocka_unit_test(latest_wins),
      cmocka_unit_test(lists),
      cmocka_unit_test(list_max_keeps_the_newest),
      cmocka_unit_test(value_forms),
      cmocka_unit_test(reset_forgets_the_chain),
      cmocka_unit_test(malformed_values),
      cmocka_unit_test(unknown_kinds),
      cmocka_unit_test(parse_decimal),
      cmocka_unit_test(the_check_tells_chains_apart),
      cmocka_unit_test(collapse_runs_per_stripe),
      cmocka_unit_test(collapse_bases_are_typed),
      cmocka_unit_test(collapse_at_the_bottom),
      cmocka_unit_test(collapse_drops_under_a_base),
      cmocka_unit_test(collapse_keeps_large_values),
      cmocka_unit_test(collapse_keeps_what_does_not_resolve),
      cmocka_unit_test(collapse_splits_long_lists),
      cmocka_unit_test(collapse_trims_lists),
      cmocka_unit_test(collapse_errors),
      cmocka_unit_test(random_chains_read_the_same),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
