/* test_tuple.c - tuple keys, strata_prefix_end and strata_scan_prefix
 * through the public API (docs/SEMANTICS.md, "Tuple keys, partitions and
 * feeds"; docs/FORMAT.md section 11): the bytes of each element kind, order
 * preservation and round trips over random tuples checked against a model
 * (the seed is printed; STRATA_TEST_SEED replays a run, STRATA_TUPLE_PAIRS
 * sets the number of pairs), every malformed input, max_len, prefix ends,
 * and partitions and feeds stored in a database. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/random.h"
#include "testutil.h"

static int setup(void **state) {
  *state = tu_tmpdir();
  return 0;
}
static int teardown(void **state) {
  tu_rmdir(*state);
  return 0;
}

/* ---- the model: a tuple as a list of typed elements ---------------------- */

/* Element kinds in the order their tags sort (FORMAT.md section 11). */
enum { E_BYTES, E_BYTES_DESC, E_U64, E_U64_DESC, E_I64, E_I64_DESC, E_KINDS };

#define MAX_ELEMS 5
#define MAX_STR 8

typedef struct melem {
  int kind;
  uint64_t u;
  int64_t i;
  unsigned char s[MAX_STR];
  size_t n;
} melem;

typedef struct mtuple {
  melem e[MAX_ELEMS];
  int n;
} mtuple;

static int sign_of(int c) { return (c > 0) - (c < 0); }

static int cmp_elem(const melem *a, const melem *b) {
  if (a->kind != b->kind) return a->kind < b->kind ? -1 : 1;
  int c, desc = a->kind & 1;
  switch (a->kind) {
    case E_BYTES:
    case E_BYTES_DESC: {
      size_t m = a->n < b->n ? a->n : b->n;
      c = m ? sign_of(memcmp(a->s, b->s, m)) : 0;
      if (!c) c = (a->n > b->n) - (a->n < b->n);
      break;
    }
    case E_U64:
    case E_U64_DESC: c = (a->u > b->u) - (a->u < b->u); break;
    default: c = (a->i > b->i) - (a->i < b->i); break;
  }
  return desc ? -c : c;
}

/* Element by element; a tuple that is a prefix of the other sorts first. */
static int cmp_tuple(const mtuple *a, const mtuple *b) {
  for (int k = 0; k < a->n && k < b->n; k++) {
    int c = cmp_elem(&a->e[k], &b->e[k]);
    if (c) return c;
  }
  return (a->n > b->n) - (a->n < b->n);
}

/* memcmp, then length: the order of keys in the database. */
static int cmp_key(const void *a, size_t an, const void *b, size_t bn) {
  size_t m = an < bn ? an : bn;
  int c = m ? sign_of(memcmp(a, b, m)) : 0;
  return c ? c : (an > bn) - (an < bn);
}

static void add_elem(strata_tuple *t, const melem *e) {
  int rc = STRATA_EINVAL;
  switch (e->kind) {
    case E_BYTES: rc = strata_tuple_add_bytes(t, e->s, e->n); break;
    case E_BYTES_DESC: rc = strata_tuple_add_bytes_desc(t, e->s, e->n); break;
    case E_U64: rc = strata_tuple_add_u64(t, e->u); break;
    case E_U64_DESC: rc = strata_tuple_add_u64_desc(t, e->u); break;
    case E_I64: rc = strata_tuple_add_i64(t, e->i); break;
    case E_I64_DESC: rc = strata_tuple_add_i64_desc(t, e->i); break;
  }
  if (rc != STRATA_OK) fail_msg("add of kind %d: %s (%s)", e->kind, strata_strerror(rc), strata_errmsg());
}

static void encode(const mtuple *m, strata_tuple *t) {
  strata_tuple_clear(t);
  for (int k = 0; k < m->n; k++) add_elem(t, &m->e[k]);
}

static void describe(const mtuple *m, char *out, size_t cap) {
  size_t used = 0;
  out[0] = '\0';
  for (int k = 0; k < m->n && used < cap; k++) {
    const melem *e = &m->e[k];
    static const char *names[] = {"b", "b-desc", "u", "u-desc", "i", "i-desc"};
    used += (size_t)snprintf(out + used, cap - used, "%s%s:", k ? " " : "", names[e->kind]);
    if (used >= cap) break;
    if (e->kind <= E_BYTES_DESC)
      for (size_t j = 0; j < e->n && used < cap; j++) used += (size_t)snprintf(out + used, cap - used, "%02x", e->s[j]);
    else if (e->kind <= E_U64_DESC)
      used += (size_t)snprintf(out + used, cap - used, "%" PRIu64, e->u);
    else
      used += (size_t)snprintf(out + used, cap - used, "%" PRId64, e->i);
  }
}

/* ---- random tuples: values near the edges, strings with 00 and ff -------- */

#define BIT63 (UINT64_C(1) << 63)

static uint64_t rand_u64(st_random *r) {
  static const uint64_t edges[] = {0, 1, 2, 255, 256, UINT64_MAX, UINT64_MAX - 1, BIT63, BIT63 - 1, BIT63 + 1};
  switch (st_random_uniform(r, 3)) {
    case 0: return edges[st_random_uniform(r, sizeof edges / sizeof *edges)];
    case 1: return st_random_uniform(r, 5);
    default: return st_random_next(r);
  }
}

static int64_t rand_i64(st_random *r) {
  static const int64_t edges[] = {0, 1, -1, 2, -2, INT64_MIN, INT64_MIN + 1, INT64_MAX, INT64_MAX - 1, 255, -256};
  switch (st_random_uniform(r, 3)) {
    case 0: return edges[st_random_uniform(r, sizeof edges / sizeof *edges)];
    case 1: return (int64_t)st_random_uniform(r, 7) - 3;
    default: return (int64_t)st_random_next(r);
  }
}

static unsigned char rand_byte(st_random *r) {
  static const unsigned char bytes[] = {0x00, 0x00, 0xff, 0xff, 0x01, 0xfe, 'a', 'b'};
  return st_random_uniform(r, 4) ? bytes[st_random_uniform(r, sizeof bytes)] : (unsigned char)st_random_next(r);
}

static void rand_elem(st_random *r, melem *e) {
  memset(e, 0, sizeof *e);
  e->kind = (int)st_random_uniform(r, E_KINDS);
  e->u = rand_u64(r);
  e->i = rand_i64(r);
  e->n = (size_t)st_random_uniform(r, 5);
  for (size_t j = 0; j < e->n; j++) e->s[j] = rand_byte(r);
}

static void rand_tuple(st_random *r, mtuple *m) {
  m->n = (int)st_random_uniform(r, MAX_ELEMS + 1);
  for (int k = 0; k < m->n; k++) rand_elem(r, &m->e[k]);
}

/* A tuple close to a: a prefix of it, a longer one, or one element moved a
 * little (a string cut, grown or changed at a byte; an integer +-1; the
 * kind flipped between ascending and descending). */
static void near_tuple(st_random *r, const mtuple *a, mtuple *b) {
  *b = *a;
  switch (st_random_uniform(r, 4)) {
    case 0: b->n = (int)st_random_uniform(r, (uint64_t)a->n + 1); return;
    case 1:
      while (b->n < MAX_ELEMS && st_random_uniform(r, 2) == 0) rand_elem(r, &b->e[b->n++]);
      if (b->n < MAX_ELEMS) rand_elem(r, &b->e[b->n++]);
      return;
    default: break;
  }
  if (!b->n) return;
  int k = (int)st_random_uniform(r, (uint64_t)b->n);
  b->n = k + 1 + (int)st_random_uniform(r, (uint64_t)(b->n - k)); /* maybe drop the tail */
  melem *e = &b->e[k];
  switch (st_random_uniform(r, 6)) {
    case 0:
      if (e->n) e->n = (size_t)st_random_uniform(r, e->n);
      break;
    case 1:
      if (e->n < MAX_STR) e->s[e->n++] = rand_byte(r);
      break;
    case 2:
      if (e->n) e->s[st_random_uniform(r, e->n)] = rand_byte(r);
      break;
    case 3:
      e->u += st_random_uniform(r, 2) ? 1 : UINT64_MAX;
      e->i = e->i == INT64_MAX ? INT64_MIN : e->i + 1;
      break;
    case 4: e->kind ^= 1; break;
    default: rand_elem(r, e); break;
  }
}

static uint64_t test_seed(void) {
  static uint64_t seed;
  if (!seed) {
    seed = (uint64_t)tu_env_long("STRATA_TEST_SEED", (long)time(NULL));
    printf("test_tuple: seed %" PRIu64 " (STRATA_TEST_SEED replays it)\n", seed);
  }
  return seed;
}

/* Parses key and checks it against m, element by element. */
static void expect_parses_as(const void *key, size_t klen, const mtuple *m) {
  unsigned char buf[256];
  assert_true(klen <= sizeof buf);
  size_t pos = 0;
  strata_tuple_elem e;
  for (int k = 0; k < m->n; k++) {
    size_t before = pos;
    int rc = strata_tuple_next(key, klen, &pos, &e, buf, klen);
    if (rc != 1) fail_msg("element %d: rc %d (%s)", k, rc, strata_errmsg());
    assert_true(pos > before);
    const melem *x = &m->e[k];
    assert_int_equal(e.desc, x->kind & 1);
    switch (x->kind) {
      case E_BYTES:
      case E_BYTES_DESC:
        assert_int_equal(e.type, STRATA_TUPLE_BYTES);
        assert_int_equal(e.len, x->n);
        if (x->n) assert_memory_equal(buf, x->s, x->n);
        break;
      case E_U64:
      case E_U64_DESC:
        assert_int_equal(e.type, STRATA_TUPLE_U64);
        assert_true(e.u == x->u);
        break;
      default:
        assert_int_equal(e.type, STRATA_TUPLE_I64);
        assert_true(e.i == x->i);
        break;
    }
  }
  assert_int_equal(pos, klen);
  assert_int_equal(strata_tuple_next(key, klen, &pos, &e, buf, sizeof buf), 0);
  assert_int_equal(pos, klen);
}

/* ---- the bytes of each element ------------------------------------------- */

static void expect_bytes(const strata_tuple *t, const char *want, size_t n) {
  if (t->len != n || memcmp(t->data, want, n) != 0) {
    char got[256] = "";
    for (size_t i = 0; i < t->len && 3 * i + 3 < sizeof got; i++) sprintf(got + 3 * i, "%02x ", t->data[i]);
    fail_msg("encoding: got %zu bytes %s, want %zu", t->len, got, n);
  }
}
#define EXPECT_BYTES(t, lit) expect_bytes((t), (lit), sizeof(lit) - 1)

static void encodings(void **state) {
  (void)state;
  strata_tuple t;
  strata_tuple_init(&t);
  assert_null(t.data);
  assert_int_equal(t.len, 0);
  assert_int_equal(t.max_len, 65536);

  assert_int_equal(strata_tuple_add_bytes(&t, "a\0b", 3), STRATA_OK);
  EXPECT_BYTES(&t, "\x10\x61\x00\xff\x62\x00\x01");
  strata_tuple_clear(&t);
  assert_int_equal(strata_tuple_add_bytes(&t, NULL, 0), STRATA_OK);
  EXPECT_BYTES(&t, "\x10\x00\x01");
  strata_tuple_clear(&t);
  assert_int_equal(strata_tuple_add_bytes_desc(&t, "a\0\xff", 3), STRATA_OK);
  EXPECT_BYTES(&t, "\x11\x9e\xff\x00\x00\xff\xff");
  strata_tuple_clear(&t);
  assert_int_equal(strata_tuple_add_bytes_desc(&t, "", 0), STRATA_OK);
  EXPECT_BYTES(&t, "\x11\xff\xff");
  strata_tuple_clear(&t);
  assert_int_equal(strata_tuple_add_u64(&t, 0x0102030405060708u), STRATA_OK);
  EXPECT_BYTES(&t, "\x20\x01\x02\x03\x04\x05\x06\x07\x08");
  strata_tuple_clear(&t);
  assert_int_equal(strata_tuple_add_u64_desc(&t, 1), STRATA_OK);
  EXPECT_BYTES(&t, "\x21\xff\xff\xff\xff\xff\xff\xff\xfe");
  strata_tuple_clear(&t);
  assert_int_equal(strata_tuple_add_i64(&t, -1), STRATA_OK);
  EXPECT_BYTES(&t, "\x28\x7f\xff\xff\xff\xff\xff\xff\xff");
  strata_tuple_clear(&t);
  assert_int_equal(strata_tuple_add_i64(&t, 0), STRATA_OK);
  EXPECT_BYTES(&t, "\x28\x80\x00\x00\x00\x00\x00\x00\x00");
  strata_tuple_clear(&t);
  assert_int_equal(strata_tuple_add_i64(&t, INT64_MIN), STRATA_OK);
  EXPECT_BYTES(&t, "\x28\x00\x00\x00\x00\x00\x00\x00\x00");
  strata_tuple_clear(&t);
  assert_int_equal(strata_tuple_add_i64_desc(&t, 0), STRATA_OK);
  EXPECT_BYTES(&t, "\x29\x7f\xff\xff\xff\xff\xff\xff\xff");
  strata_tuple_clear(&t);
  /* A whole key: ("u1", newest-first time 5). */
  assert_int_equal(strata_tuple_add_bytes(&t, "u1", 2), STRATA_OK);
  assert_int_equal(strata_tuple_add_u64_desc(&t, 5), STRATA_OK);
  EXPECT_BYTES(&t, "\x10u1\x00\x01\x21\xff\xff\xff\xff\xff\xff\xff\xfa");

  /* clear keeps the buffer; free releases it and the tuple can be reused. */
  unsigned char *buf = t.data;
  size_t cap = t.cap;
  strata_tuple_clear(&t);
  assert_int_equal(t.len, 0);
  assert_ptr_equal(t.data, buf);
  assert_int_equal(t.cap, cap);
  strata_tuple_free(&t);
  assert_null(t.data);
  assert_int_equal(t.len, 0);
  assert_int_equal(t.cap, 0);
  assert_int_equal(strata_tuple_add_u64(&t, 7), STRATA_OK);
  assert_int_equal(t.len, 9);
  strata_tuple_free(&t);
  strata_tuple_free(&t); /* twice is harmless */
  /* NULL tuples: ignored by init, clear and free, refused by adds. */
  strata_tuple_init(NULL);
  strata_tuple_clear(NULL);
  strata_tuple_free(NULL);
  assert_int_equal(strata_tuple_add_bytes(NULL, "a", 1), STRATA_EINVAL);
  assert_int_equal(strata_tuple_add_bytes_desc(NULL, "a", 1), STRATA_EINVAL);
  assert_int_equal(strata_tuple_add_u64(NULL, 1), STRATA_EINVAL);
  assert_int_equal(strata_tuple_add_u64_desc(NULL, 1), STRATA_EINVAL);
  assert_int_equal(strata_tuple_add_i64(NULL, 1), STRATA_EINVAL);
  assert_int_equal(strata_tuple_add_i64_desc(NULL, 1), STRATA_EINVAL);
  strata_tuple_init(&t);
  assert_int_equal(strata_tuple_add_bytes(&t, NULL, 1), STRATA_EINVAL);
  assert_int_equal(strata_tuple_add_bytes_desc(&t, NULL, 1), STRATA_EINVAL);
  assert_int_equal(t.len, 0);
  strata_tuple_free(&t);
}

/* The bytes of an add may be the tuple's own, although the buffer moves
 * as it grows. */
static void add_own_bytes(void **state) {
  (void)state;
  strata_tuple t;
  strata_tuple_init(&t);
  for (uint64_t i = 0; i < 6; i++) assert_int_equal(strata_tuple_add_u64(&t, i), STRATA_OK);
  unsigned char was[54];
  assert_int_equal(t.len, sizeof was);
  memcpy(was, t.data, sizeof was);
  assert_int_equal(strata_tuple_add_bytes_desc(&t, t.data, t.len), STRATA_OK);
  assert_true(t.cap > 64);
  size_t pos = 0;
  strata_tuple_elem e;
  unsigned char buf[256];
  for (uint64_t i = 0; i < 6; i++) {
    assert_int_equal(strata_tuple_next(t.data, t.len, &pos, &e, buf, sizeof buf), 1);
    assert_true(e.type == STRATA_TUPLE_U64 && e.u == i);
  }
  assert_int_equal(strata_tuple_next(t.data, t.len, &pos, &e, buf, sizeof buf), 1);
  assert_int_equal(e.len, sizeof was);
  assert_memory_equal(buf, was, sizeof was);
  assert_int_equal(strata_tuple_next(t.data, t.len, &pos, &e, buf, sizeof buf), 0);
  strata_tuple_free(&t);
}

/* ---- order preservation and round trips over random tuples --------------- */

static void order_random(void **state) {
  (void)state;
  uint64_t seed = test_seed();
  st_random r;
  st_random_seed(&r, seed);
  long pairs = tu_env_long("STRATA_TUPLE_PAIRS", 200000);
  strata_tuple ta, tb;
  strata_tuple_init(&ta);
  strata_tuple_init(&tb);
  long prefixes = 0, by_order[3] = {0};
  for (long p = 0; p < pairs; p++) {
    mtuple a, b;
    rand_tuple(&r, &a);
    if (st_random_uniform(&r, 8))
      near_tuple(&r, &a, &b);
    else
      rand_tuple(&r, &b);
    encode(&a, &ta);
    encode(&b, &tb);
    int want = cmp_tuple(&a, &b), got = cmp_key(ta.data, ta.len, tb.data, tb.len);
    if (want != got) {
      char da[512], db[512];
      describe(&a, da, sizeof da);
      describe(&b, db, sizeof db);
      fail_msg("seed %" PRIu64 ", pair %ld: (%s) vs (%s): the elements compare %d, the keys %d", seed, p, da, db, want,
               got);
    }
    by_order[want + 1]++;
    /* A tuple prefix is a byte prefix (the converse has one exception:
     * SEMANTICS.md, a string going on with a 0x00 byte). */
    if (b.n <= a.n) {
      mtuple cut = a;
      cut.n = b.n;
      if (cmp_tuple(&cut, &b) == 0) {
        prefixes++;
        assert_true(tb.len <= ta.len);
        if (tb.len) assert_memory_equal(ta.data, tb.data, tb.len);
      }
    }
    if (p % 4 == 0) {
      expect_parses_as(ta.data, ta.len, &a);
      expect_parses_as(tb.data, tb.len, &b);
    }
  }
  /* The pairs cover every outcome and many prefixes, or the test proves
   * little. */
  assert_true(by_order[0] > pairs / 10 && by_order[2] > pairs / 10 && by_order[1] > pairs / 100);
  assert_true(prefixes > pairs / 20);
  strata_tuple_free(&ta);
  strata_tuple_free(&tb);
}

/* The cases the brief names, spelled out: a descending "a" sorts after
 * "a\0" and "ab", as the last element and before another. */
static void order_cases(void **state) {
  (void)state;
  static const struct {
    const char *lo;
    size_t lo_n;
    const char *hi;
    size_t hi_n;
  } asc[] = {{"", 0, "\0", 1},         {"a", 1, "a\0", 2},     {"a", 1, "ab", 2},
             {"a\0", 2, "a\x01", 2},   {"a\0", 2, "ab", 2},    {"a\xff", 2, "b", 1},
             {"\0\0", 2, "\0\x01", 2}, {"\xfe", 1, "\xff", 1}, {"\xff", 1, "\xff\0", 2}};
  strata_tuple lo, hi;
  strata_tuple_init(&lo);
  strata_tuple_init(&hi);
  for (size_t c = 0; c < sizeof asc / sizeof *asc; c++) {
    for (int tail = 0; tail < 3; tail++) { /* last element, before a u64, before a string */
      for (int desc = 0; desc < 2; desc++) {
        strata_tuple_clear(&lo);
        strata_tuple_clear(&hi);
        int (*add)(strata_tuple *, const void *, size_t) = desc ? strata_tuple_add_bytes_desc : strata_tuple_add_bytes;
        assert_int_equal(add(&lo, asc[c].lo, asc[c].lo_n), STRATA_OK);
        assert_int_equal(add(&hi, asc[c].hi, asc[c].hi_n), STRATA_OK);
        if (tail == 1) {
          assert_int_equal(strata_tuple_add_u64(&lo, UINT64_MAX), STRATA_OK);
          assert_int_equal(strata_tuple_add_u64(&hi, 0), STRATA_OK);
        } else if (tail == 2) {
          assert_int_equal(strata_tuple_add_bytes(&lo, "\xff\xff", 2), STRATA_OK);
          assert_int_equal(strata_tuple_add_bytes(&hi, "", 0), STRATA_OK);
        }
        int got = cmp_key(lo.data, lo.len, hi.data, hi.len);
        if (got != (desc ? 1 : -1)) fail_msg("case %zu, tail %d, desc %d: keys compare %d", c, tail, desc, got);
      }
    }
  }
  strata_tuple_free(&lo);
  strata_tuple_free(&hi);
}

/* ---- malformed input ------------------------------------------------------ */

static void expect_malformed(const char *key, size_t klen, size_t at, size_t cap, const char *msg_part) {
  unsigned char buf[64];
  strata_tuple_elem e;
  memset(&e, 0x5a, sizeof e);
  size_t pos = at;
  int rc = strata_tuple_next(key, klen, &pos, &e, buf, cap);
  if (rc != STRATA_EINVAL) fail_msg("%zu-byte key at %zu: rc %d, want STRATA_EINVAL", klen, at, rc);
  assert_int_equal(pos, at);
  assert_int_equal(e.type, 0);
  assert_int_equal(e.len, 0);
  if (!strstr(strata_errmsg(), msg_part)) fail_msg("message \"%s\" lacks \"%s\"", strata_errmsg(), msg_part);
}
#define MALFORMED(lit, at, part) expect_malformed((lit), sizeof(lit) - 1, (at), 64, (part))

static void malformed(void **state) {
  (void)state;
  /* Unknown tags. */
  MALFORMED("\x00", 0, "unknown element type 0x00 at offset 0");
  MALFORMED("\x12\x00", 0, "unknown element type 0x12");
  MALFORMED("\x22\x00\x00\x00\x00\x00\x00\x00\x00", 0, "type 0x22");
  MALFORMED("\x30", 0, "type 0x30");
  MALFORMED("\xff", 0, "type 0xff");
  /* Cut-off integers: every tag, every short length. */
  static const char int_tags[] = {0x20, 0x21, 0x28, 0x29};
  for (int t = 0; t < 4; t++) {
    char k[9] = {int_tags[t]};
    for (size_t n = 1; n < 9; n++) expect_malformed(k, n, 0, 64, "cut off");
    unsigned char buf[1];
    strata_tuple_elem e;
    size_t pos = 0;
    assert_int_equal(strata_tuple_next(k, 9, &pos, &e, buf, 0), 1); /* integers need no buf */
    assert_int_equal(pos, 9);
  }
  MALFORMED("\x20\x01\x02", 0, "u64 element at offset 0 is cut off: 2 of 8 bytes");
  MALFORMED("\x29\x01", 0, "i64 element at offset 0 is cut off: 1 of 8 bytes");
  /* Strings without a terminator. */
  MALFORMED("\x10", 0, "ascending byte string at offset 0 is cut off");
  MALFORMED("\x10\x61\x62", 0, "cut off");
  MALFORMED("\x10\x61\x00\xff", 0, "cut off"); /* an escaped 0x00, then the end */
  MALFORMED("\x10\x61\x00", 0, "cut off after 00 at offset 2");
  /* Bad escapes in ascending strings. */
  MALFORMED("\x10\x61\x00\x02", 0, "bad escape 00 02 at offset 2");
  MALFORMED("\x10\x00\x20", 0, "bad escape 00 20 at offset 1");
  MALFORMED("\x11", 0, "descending byte string at offset 0 is cut off");
  MALFORMED("\x11\x9e", 0, "cut off");
  MALFORMED("\x11\x9e\xff", 0, "cut off after 0xff at offset 2");
  MALFORMED("\x11\xff\x00", 0, "cut off");
  /* Bad escapes in descending strings. */
  MALFORMED("\x11\xff\x01\xff\xff", 0, "bad escape ff 01 at offset 1");
  MALFORMED("\x11\x9e\xff\xfe", 0, "bad escape ff fe at offset 2");
  /* A bad element after good ones: reported at its own offset; the good
   * ones parse. */
  const char two[] = "\x20\0\0\0\0\0\0\0\x01\x10z\x00\x01\x2a";
  size_t pos = 0;
  strata_tuple_elem e;
  unsigned char buf[16];
  assert_int_equal(strata_tuple_next(two, sizeof two - 1, &pos, &e, buf, sizeof buf), 1);
  assert_int_equal(pos, 9);
  assert_int_equal(strata_tuple_next(two, sizeof two - 1, &pos, &e, buf, sizeof buf), 1);
  assert_int_equal(pos, 13);
  expect_malformed(two, sizeof two - 1, 13, sizeof buf, "type 0x2a at offset 13");
  expect_malformed("\x10\x61\x62\x63\x00\x01", 6, 0, 2, "decodes to 3 bytes, buf holds 2");
  expect_malformed("\x11\x9e\xff\x00\xff\xff", 6, 0, 1, "decodes to 2 bytes, buf holds 1");
  pos = 0;
  assert_int_equal(strata_tuple_next("\x10\x61\x62\x63\x00\x01", 6, &pos, &e, buf, 3), 1); /* exactly enough */
  assert_int_equal(e.len, 3);
  /* Arguments. */
  pos = 0;
  assert_int_equal(strata_tuple_next(NULL, 1, &pos, &e, buf, sizeof buf), STRATA_EINVAL);
  assert_int_equal(strata_tuple_next("\x10\x00\x01", 3, NULL, &e, buf, sizeof buf), STRATA_EINVAL);
  assert_int_equal(strata_tuple_next("\x10\x00\x01", 3, &pos, NULL, buf, sizeof buf), STRATA_EINVAL);
  assert_int_equal(strata_tuple_next("\x10\x00\x01", 3, &pos, &e, NULL, 4), STRATA_EINVAL);
  pos = 4;
  assert_int_equal(strata_tuple_next("\x10\x00\x01", 3, &pos, &e, buf, sizeof buf), STRATA_EINVAL);
  assert_int_equal(pos, 4);
  pos = 0;
  assert_int_equal(strata_tuple_next(NULL, 0, &pos, &e, NULL, 0), 0);       /* the empty key: no element */
  assert_int_equal(strata_tuple_next("\x10\x00\x01", 3, &pos, &e, NULL, 0), 1); /* the empty string needs no buf */
  assert_int_equal(e.len, 0);
  assert_int_equal(pos, 3);
}

/* ---- max_len ---------------------------------------------------------------- */

static void expect_unchanged_after(int rc, const strata_tuple *t, const unsigned char *was, size_t was_len) {
  assert_int_equal(rc, STRATA_EINVAL);
  assert_int_equal(t->len, was_len);
  if (was_len) assert_memory_equal(t->data, was, was_len);
  assert_non_null(strstr(strata_errmsg(), "max_len"));
}

static void max_len(void **state) {
  (void)state;
  strata_tuple t;
  strata_tuple_init(&t);
  t.max_len = 21;
  assert_int_equal(strata_tuple_add_u64(&t, 1), STRATA_OK);
  assert_int_equal(strata_tuple_add_i64_desc(&t, 2), STRATA_OK); /* 18 bytes */
  unsigned char was[32];
  memcpy(was, t.data, t.len);
  expect_unchanged_after(strata_tuple_add_u64(&t, 3), &t, was, 18);
  assert_non_null(strstr(strata_errmsg(), "21"));
  expect_unchanged_after(strata_tuple_add_u64_desc(&t, 3), &t, was, 18);
  expect_unchanged_after(strata_tuple_add_i64(&t, 3), &t, was, 18);
  expect_unchanged_after(strata_tuple_add_i64_desc(&t, 3), &t, was, 18);
  expect_unchanged_after(strata_tuple_add_bytes(&t, "x", 1), &t, was, 18);     /* 4 bytes */
  expect_unchanged_after(strata_tuple_add_bytes_desc(&t, "x", 1), &t, was, 18); /* 4 bytes */
  assert_int_equal(strata_tuple_add_bytes(&t, "", 0), STRATA_OK);               /* 3 bytes: exactly 21 */
  assert_int_equal(t.len, 21);
  memcpy(was, t.data, t.len);
  expect_unchanged_after(strata_tuple_add_bytes(&t, "", 0), &t, was, 21);

  /* Escaped 0x00 bytes count. */
  strata_tuple_clear(&t);
  t.max_len = 6;
  expect_unchanged_after(strata_tuple_add_bytes(&t, "\0\0", 2), &t, was, 0); /* 7 bytes */
  strata_tuple_clear(&t);
  assert_int_equal(strata_tuple_add_bytes(&t, "\0", 1), STRATA_OK); /* 5 bytes */
  assert_int_equal(t.len, 5);
  strata_tuple_clear(&t);
  t.max_len = 4;
  expect_unchanged_after(strata_tuple_add_bytes_desc(&t, "\0", 1), &t, was, 0); /* 5 bytes */
  t.max_len = 5;
  assert_int_equal(strata_tuple_add_bytes_desc(&t, "\0", 1), STRATA_OK);
  assert_int_equal(t.len, 5);

  /* A max_len lowered under len refuses every add. */
  t.max_len = 2;
  memcpy(was, t.data, t.len);
  expect_unchanged_after(strata_tuple_add_bytes(&t, NULL, 0), &t, was, 5);

  /* The default: 65536 bytes, a string of 65533 fits, 65534 does not. */
  strata_tuple_free(&t);
  strata_tuple_init(&t);
  char *big = malloc(65535);
  assert_non_null(big);
  memset(big, 'x', 65535);
  assert_int_equal(strata_tuple_add_bytes(&t, big, 65533), STRATA_OK);
  assert_int_equal(t.len, 65536);
  strata_tuple_clear(&t);
  assert_int_equal(strata_tuple_add_bytes(&t, big, 65534), STRATA_EINVAL);
  assert_int_equal(t.len, 0);
  assert_non_null(strstr(strata_errmsg(), "65536"));
  free(big);
  strata_tuple_free(&t);
}

/* ---- strata_prefix_end ------------------------------------------------------ */

static void expect_end(const char *p, size_t n, int want_rc, const char *want, size_t want_n) {
  unsigned char end[16];
  size_t elen = 99;
  memset(end, 0xaa, sizeof end);
  int rc = strata_prefix_end(p, n, end, &elen);
  assert_int_equal(rc, want_rc);
  assert_int_equal(elen, want_n);
  if (want_n) assert_memory_equal(end, want, want_n);
  for (size_t i = want_n; i < sizeof end; i++) assert_int_equal(end[i], 0xaa); /* nothing written past it */
}

static void prefix_end(void **state) {
  (void)state;
  expect_end(NULL, 0, 0, NULL, 0);
  expect_end("", 0, 0, NULL, 0);
  expect_end("\xff", 1, 0, NULL, 0);
  expect_end("\xff\xff\xff", 3, 0, NULL, 0);
  expect_end("a", 1, 1, "b", 1);
  expect_end("ab", 2, 1, "ac", 2);
  expect_end("a\xff", 2, 1, "b", 1);
  expect_end("a\xff\xff", 3, 1, "b", 1);
  expect_end("a\xfe", 2, 1, "a\xff", 2);
  expect_end("\x00", 1, 1, "\x01", 1);
  expect_end("\xfe\xff", 2, 1, "\xff", 1);
  expect_end("\x10u1\x00\x01", 5, 1, "\x10u1\x00\x02", 5);
  /* In place. */
  char p[3] = {'x', 'y', (char)0xff};
  size_t elen;
  assert_int_equal(strata_prefix_end(p, 3, p, &elen), 1);
  assert_int_equal(elen, 2);
  assert_memory_equal(p, "xz", 2);
  /* Arguments. */
  assert_int_equal(strata_prefix_end("a", 1, p, NULL), STRATA_EINVAL);
  elen = 9;
  assert_int_equal(strata_prefix_end(NULL, 1, p, &elen), STRATA_EINVAL);
  assert_int_equal(elen, 0);
  elen = 9;
  assert_int_equal(strata_prefix_end("a", 1, NULL, &elen), STRATA_EINVAL);
  assert_int_equal(elen, 0);
  assert_int_equal(strata_prefix_end(NULL, 0, NULL, &elen), 0);

  /* Random prefixes: the end is greater than the prefix with any
   * extension, and every key below it that is not under the prefix is
   * below the prefix too. */
  st_random r;
  st_random_seed(&r, test_seed() + 1);
  for (int round = 0; round < 20000; round++) {
    unsigned char pre[6], end[6], key[12];
    size_t n = (size_t)st_random_uniform(&r, 7), kn;
    for (size_t i = 0; i < n; i++) pre[i] = rand_byte(&r);
    int rc = strata_prefix_end(pre, n, end, &elen);
    assert_true(rc == 0 || rc == 1);
    for (int k = 0; k < 8; k++) {
      kn = (size_t)st_random_uniform(&r, sizeof key + 1);
      for (size_t i = 0; i < kn; i++) key[i] = rand_byte(&r);
      if (k < 4 && kn >= n) memcpy(key, pre, n); /* an extension */
      int under = kn >= n && (n == 0 || memcmp(key, pre, n) == 0);
      if (rc == 0) {
        /* No end: every key at or after the prefix is under it. */
        assert_true(elen == 0);
        if (cmp_key(key, kn, pre, n) >= 0) assert_true(under);
        continue;
      }
      int below = cmp_key(key, kn, end, elen) < 0;
      if (under) assert_true(below);
      if (below && !under) assert_true(cmp_key(key, kn, pre, n) < 0);
    }
  }
}

/* ---- partitions and feeds in a database --------------------------------------- */

/* What a scan passed to its callback. */
typedef struct seen {
  int n;
  int stop_after; /* fn returns 1 on this call (1-based); 0 = never */
  char keys[64][320];
  size_t klens[64];
  char vals[64][64];
  size_t vlens[64];
} seen;

static int collect(void *arg, const void *key, size_t klen, const void *val, size_t vlen) {
  seen *s = arg;
  assert_true(s->n < 64 && klen <= sizeof s->keys[0] && vlen < sizeof s->vals[0]);
  memcpy(s->keys[s->n], key, klen);
  s->klens[s->n] = klen;
  if (vlen) memcpy(s->vals[s->n], val, vlen);
  s->vals[s->n][vlen] = '\0';
  s->vlens[s->n] = vlen;
  s->n++;
  return s->stop_after && s->n == s->stop_after;
}

static void user_key(strata_tuple *t, const char *user, size_t ulen) {
  strata_tuple_clear(t);
  assert_int_equal(strata_tuple_add_bytes(t, user, ulen), STRATA_OK);
}

/* The feed key (user, time descending, event id). */
static void event_key(strata_tuple *t, const char *user, uint64_t ts, int64_t id) {
  user_key(t, user, strlen(user));
  assert_int_equal(strata_tuple_add_u64_desc(t, ts), STRATA_OK);
  assert_int_equal(strata_tuple_add_i64(t, id), STRATA_OK);
}

static void put_event(strata_db *db, const char *user, uint64_t ts) {
  strata_tuple t;
  strata_tuple_init(&t);
  event_key(&t, user, ts, (int64_t)ts - 50);
  char v[64];
  int vn = snprintf(v, sizeof v, "%s@%" PRIu64, user, ts);
  assert_int_equal(strata_put(db, t.data, t.len, v, (size_t)vn), STRATA_OK);
  strata_tuple_free(&t);
}

/* Scans user's partition; checks the count returned and that the events
 * are the user's, newest first, starting from the newest one, first_ts. */
static long long scan_user(strata_db *db, const strata_read_options *ro, const char *user, size_t limit, seen *s,
                           uint64_t first_ts) {
  strata_tuple p;
  strata_tuple_init(&p);
  user_key(&p, user, strlen(user));
  int stop = s->stop_after;
  memset(s, 0, sizeof *s);
  s->stop_after = stop;
  long long n = strata_scan_prefix(db, ro, p.data, p.len, limit, collect, s);
  if (n < 0) {
    strata_tuple_free(&p);
    return n;
  }
  assert_int_equal(n, s->n);
  uint64_t want = first_ts;
  for (int i = 0; i < s->n; i++, want -= 2) {
    size_t pos = 0;
    strata_tuple_elem e;
    unsigned char buf[96];
    assert_int_equal(strata_tuple_next(s->keys[i], s->klens[i], &pos, &e, buf, sizeof buf), 1);
    assert_int_equal(e.len, strlen(user));
    assert_memory_equal(buf, user, e.len);
    assert_int_equal(strata_tuple_next(s->keys[i], s->klens[i], &pos, &e, buf, sizeof buf), 1);
    assert_true(e.type == STRATA_TUPLE_U64 && e.desc);
    if (e.u != want) fail_msg("%s: event %d has ts %" PRIu64 ", want %" PRIu64, user, i, e.u, want);
    assert_int_equal(strata_tuple_next(s->keys[i], s->klens[i], &pos, &e, buf, sizeof buf), 1);
    assert_true(e.type == STRATA_TUPLE_I64 && e.i == (int64_t)want - 50);
    assert_int_equal(strata_tuple_next(s->keys[i], s->klens[i], &pos, &e, buf, sizeof buf), 0);
    char v[64];
    snprintf(v, sizeof v, "%s@%" PRIu64, user, want);
    assert_string_equal(s->vals[i], v);
  }
  strata_tuple_free(&p);
  return n;
}

/* Users "al", "alice", "bob": "al" is a string prefix of "alice" but its
 * tuple is not a byte prefix of alice's keys. Events at even times 2..40
 * (alice), 2..10 (al, bob), written oldest first. */
static void write_feeds(strata_db *db) {
  for (uint64_t ts = 2; ts <= 40; ts += 2) {
    put_event(db, "alice", ts);
    if (ts <= 10) {
      put_event(db, "al", ts);
      put_event(db, "bob", ts);
    }
  }
}

static void check_feeds(strata_db *db) {
  seen *s = calloc(1, sizeof *s);
  assert_non_null(s);
  assert_int_equal(scan_user(db, NULL, "alice", 3, s, 40), 3);
  assert_int_equal(scan_user(db, NULL, "alice", 0, s, 40), 20); /* 0 = no limit */
  assert_int_equal(scan_user(db, NULL, "alice", 1000, s, 40), 20);
  assert_int_equal(scan_user(db, NULL, "al", 0, s, 10), 5);
  assert_int_equal(scan_user(db, NULL, "bob", 2, s, 10), 2);
  assert_int_equal(scan_user(db, NULL, "nobody", 5, s, 0), 0);
  s->stop_after = 2; /* fn stops the scan: the key it stopped at counts */
  assert_int_equal(scan_user(db, NULL, "alice", 10, s, 40), 2);
  s->stop_after = 0;
  free(s);
}

static void feeds(void **state) {
  strata_db *db = tu_open(*state, NULL);
  write_feeds(db);
  db = tu_each_stage(db, *state, NULL, check_feeds);

  /* A snapshot sees the feed as it was; the latest data sees the new
   * event first. */
  const strata_snapshot *snap = strata_snapshot_new(db);
  assert_non_null(snap);
  put_event(db, "alice", 42);
  strata_read_options ro;
  strata_read_options_init(&ro);
  ro.snapshot = snap;
  /* The bounds of ro are ignored: the prefix is the range. */
  ro.lower = "zzz";
  ro.lower_len = 3;
  ro.upper = "a";
  ro.upper_len = 1;
  seen *s = calloc(1, sizeof *s);
  assert_non_null(s);
  assert_int_equal(scan_user(db, &ro, "alice", 2, s, 40), 2);
  assert_int_equal(scan_user(db, NULL, "alice", 2, s, 42), 2);
  assert_int_equal(scan_user(db, &ro, "alice", 0, s, 40), 20);
  assert_int_equal(scan_user(db, NULL, "alice", 0, s, 42), 21);
  strata_snapshot_release(db, snap);

  /* The empty prefix is the whole database, in key order. */
  memset(s, 0, sizeof *s);
  assert_int_equal(strata_scan_prefix(db, NULL, NULL, 0, 0, collect, s), 5 + 21 + 5);
  for (int i = 1; i < s->n; i++) assert_true(cmp_key(s->keys[i - 1], s->klens[i - 1], s->keys[i], s->klens[i]) < 0);
  free(s);
  assert_int_equal(strata_close(db), STRATA_OK);
}

/* Typed values read as strata_get reads them; a key whose fragments do
 * not combine stops the scan with STRATA_ETYPE, after the keys before it. */
static void typed_and_failing(void **state) {
  strata_db *db = tu_open(*state, NULL);
  strata_tuple t;
  strata_tuple_init(&t);
  for (int stage = 0; stage < 3; stage++) {
    if (stage == 0) {
      event_key(&t, "carol", 30, 0);
      assert_int_equal(strata_add(db, t.data, t.len, 5), STRATA_OK);
      assert_int_equal(strata_add(db, t.data, t.len, 7), STRATA_OK);
      event_key(&t, "carol", 20, 0);
      assert_int_equal(strata_add(db, t.data, t.len, 1), STRATA_OK);
      assert_int_equal(strata_append(db, t.data, t.len, "x", 1), STRATA_OK); /* mixed kinds */
      event_key(&t, "carol", 10, 0);
      assert_int_equal(strata_put(db, t.data, t.len, "old", 3), STRATA_OK);
    } else if (stage == 1) {
      assert_int_equal(strata_flush(db), STRATA_OK);
    } else {
      assert_int_equal(strata_compact_range(db, NULL, 0, NULL, 0), STRATA_OK);
    }
    seen *s = calloc(1, sizeof *s);
    assert_non_null(s);
    user_key(&t, "carol", 5);
    assert_int_equal(strata_scan_prefix(db, NULL, t.data, t.len, 1, collect, s), 1);
    assert_string_equal(s->vals[0], "12"); /* the counter, as decimal text */
    memset(s, 0, sizeof *s);
    assert_int_equal(strata_scan_prefix(db, NULL, t.data, t.len, 0, collect, s), STRATA_ETYPE);
    assert_int_equal(s->n, 1); /* the key before the failing one was passed */
    memset(s, 0, sizeof *s);
    assert_int_equal(strata_scan_prefix(db, NULL, t.data, t.len, 2, collect, s), STRATA_ETYPE);
    assert_int_equal(s->n, 1);
    free(s);
  }
  strata_tuple_free(&t);
  assert_int_equal(strata_close(db), STRATA_OK);
}

static int never_called(void *arg, const void *key, size_t klen, const void *val, size_t vlen) {
  (void)arg, (void)key, (void)klen, (void)val, (void)vlen;
  fail_msg("fn called");
  return 1;
}

static void scan_arguments(void **state) {
  strata_db *db = tu_open(*state, NULL);
  assert_int_equal(strata_put(db, "k", 1, "v", 1), STRATA_OK);
  seen *s = calloc(1, sizeof *s);
  assert_non_null(s);
  assert_int_equal(strata_scan_prefix(NULL, NULL, "k", 1, 0, collect, s), STRATA_EINVAL);
  assert_int_equal(strata_scan_prefix(db, NULL, "k", 1, 0, NULL, s), STRATA_EINVAL);
  assert_int_equal(strata_scan_prefix(db, NULL, NULL, 1, 0, never_called, s), STRATA_EINVAL);
  assert_int_equal(s->n, 0);
  /* Raw prefixes: all-0xff ones have no end, long ones need no stack. */
  const char *raw[] = {"\xff", "\xff\xff", "\xff\xff\x01", "\xff\xfe", "\xff\xff\xff"};
  for (int i = 0; i < 5; i++) assert_int_equal(strata_put(db, raw[i], strlen(raw[i]), "r", 1), STRATA_OK);
  assert_int_equal(strata_scan_prefix(db, NULL, "\xff\xff", 2, 0, collect, s), 3);
  assert_int_equal(s->klens[0], 2);
  assert_int_equal(s->klens[2], 3);
  memset(s, 0, sizeof *s);
  assert_int_equal(strata_scan_prefix(db, NULL, "\xff", 1, 0, collect, s), 5);
  memset(s, 0, sizeof *s);
  char big[300];
  memset(big, 'q', sizeof big);
  assert_int_equal(strata_put(db, big, sizeof big, "b1", 2), STRATA_OK);
  assert_int_equal(strata_put(db, big, sizeof big - 1, "b0", 2), STRATA_OK); /* a shorter key: not under it */
  big[sizeof big - 1] = 'r';
  assert_int_equal(strata_put(db, big, sizeof big, "b2", 2), STRATA_OK); /* the end of the long prefix */
  big[sizeof big - 1] = 'q';
  char longer[301];
  memcpy(longer, big, sizeof big);
  longer[300] = 0;
  assert_int_equal(strata_put(db, longer, sizeof longer, "b3", 2), STRATA_OK);
  assert_int_equal(strata_scan_prefix(db, NULL, big, sizeof big, 0, collect, s), 2);
  assert_string_equal(s->vals[0], "b1");
  assert_string_equal(s->vals[1], "b3");
  free(s);
  assert_int_equal(strata_close(db), STRATA_OK);
}

/* Strings with 0x00 bytes: the partition of ("a") does not take in the
 * keys of ("a\0") though they sort right after it (the two-byte string
 * terminator, FORMAT.md 11.2), whether scanned or bounded by prefix + ff. */
static void zero_byte_partitions(void **state) {
  strata_db *db = tu_open(*state, NULL);
  put_event(db, "a", 4);
  put_event(db, "a", 2);
  strata_tuple t;
  strata_tuple_init(&t);
  user_key(&t, "a\0", 2);
  assert_int_equal(strata_tuple_add_u64_desc(&t, 9), STRATA_OK);
  assert_int_equal(strata_put(db, t.data, t.len, "a0@9", 4), STRATA_OK);
  user_key(&t, "a", 1);
  seen *s = calloc(1, sizeof *s);
  assert_non_null(s);
  assert_int_equal(strata_scan_prefix(db, NULL, t.data, t.len, 2, collect, s), 2);
  assert_string_equal(s->vals[0], "a@4");
  assert_string_equal(s->vals[1], "a@2");
  memset(s, 0, sizeof *s);
  assert_int_equal(strata_scan_prefix(db, NULL, t.data, t.len, 0, collect, s), 2);
  /* The exact partition of the tuple ("a"): [p, p ff). */
  unsigned char upper[8];
  memcpy(upper, t.data, t.len);
  upper[t.len] = 0xff;
  strata_read_options ro;
  strata_read_options_init(&ro);
  ro.lower = t.data;
  ro.lower_len = t.len;
  ro.upper = upper;
  ro.upper_len = t.len + 1;
  strata_iter *it;
  assert_int_equal(strata_iter_new(db, &ro, &it), STRATA_OK);
  int n = 0;
  for (strata_iter_seek_first(it); strata_iter_valid(it); strata_iter_next(it)) n++;
  assert_int_equal(strata_iter_status(it), STRATA_OK);
  assert_int_equal(n, 2);
  strata_iter_free(it);
  free(s);
  strata_tuple_free(&t);
  assert_int_equal(strata_close(db), STRATA_OK);
}

/* A tuple longer than the database's max_key_bytes is refused by the
 * write; with max_len set to it, by the add already. */
static void tuple_over_max_key_bytes(void **state) {
  strata_options o;
  strata_options_init(&o);
  o.max_key_bytes = 32;
  strata_db *db = tu_open(*state, &o);
  strata_tuple t;
  strata_tuple_init(&t);
  char user[40];
  memset(user, 'u', sizeof user);
  assert_int_equal(strata_tuple_add_bytes(&t, user, 20), STRATA_OK);
  assert_int_equal(strata_tuple_add_u64_desc(&t, 1), STRATA_OK); /* 23 + 9 = 32: fits */
  assert_int_equal(strata_put(db, t.data, t.len, "v", 1), STRATA_OK);
  assert_int_equal(strata_tuple_add_bytes(&t, "", 0), STRATA_OK); /* 35 */
  assert_int_equal(strata_put(db, t.data, t.len, "v", 1), STRATA_EINVAL);
  assert_int_equal(strata_add(db, t.data, t.len, 1), STRATA_EINVAL);
  strata_tuple_clear(&t);
  t.max_len = o.max_key_bytes;
  assert_int_equal(strata_tuple_add_bytes(&t, user, 20), STRATA_OK);
  assert_int_equal(strata_tuple_add_u64_desc(&t, 1), STRATA_OK);
  assert_int_equal(strata_tuple_add_bytes(&t, "", 0), STRATA_EINVAL);
  assert_int_equal(t.len, 32);
  strata_tuple_free(&t);
  seen *s = calloc(1, sizeof *s);
  assert_non_null(s);
  assert_int_equal(strata_scan_prefix(db, NULL, NULL, 0, 0, collect, s), 1);
  free(s);
  assert_int_equal(strata_close(db), STRATA_OK);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(encodings),
      cmocka_unit_test(add_own_bytes),
      cmocka_unit_test(order_random),
      cmocka_unit_test(order_cases),
      cmocka_unit_test(malformed),
      cmocka_unit_test(max_len),
      cmocka_unit_test(prefix_end),
      cmocka_unit_test_setup_teardown(feeds, setup, teardown),
      cmocka_unit_test_setup_teardown(typed_and_failing, setup, teardown),
      cmocka_unit_test_setup_teardown(scan_arguments, setup, teardown),
      cmocka_unit_test_setup_teardown(zero_byte_partitions, setup, teardown),
      cmocka_unit_test_setup_teardown(tuple_over_max_key_bytes, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
