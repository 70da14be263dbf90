/* test_version_edit.c - the version edit encoding (round trip, exact bytes,
 * every truncation and each kind of bad field) and the version builder
 * (level order, overlaps, deletions, duplicates, moves). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/coding.h"
#include "format/ikey.h"
#include "format/kind.h"
#include "testutil.h"
#include "version/version_edit.h"

/* A meta for user keys [lo, hi] with the given sequence numbers (its
 * smallest internal key is lo@lo_seq, its largest hi@hi_seq). */
static st_file_meta *meta(uint64_t number, const char *lo, uint64_t lo_seq, const char *hi, uint64_t hi_seq) {
  char s[256], l[256];
  size_t sl = strlen(lo), ll = strlen(hi);
  st_ikey_pack(s, lo, sl, st_trailer_pack(lo_seq, ST_KIND_PUT));
  st_ikey_pack(l, hi, ll, st_trailer_pack(hi_seq, ST_KIND_PUT));
  st_file_meta *f = st_file_meta_new(number, number * 1000, s, sl + 8, l, ll + 8);
  assert_non_null(f);
  f->min_seq = lo_seq < hi_seq ? lo_seq : hi_seq;
  f->max_seq = lo_seq < hi_seq ? hi_seq : lo_seq;
  f->entries = 10;
  f->tombstones = 3;
  return f;
}

/* Adds meta(...) to e at level and drops the local reference. */
static void add(st_version_edit *e, int level, uint64_t number, const char *lo, const char *hi) {
  st_file_meta *f = meta(number, lo, 5, hi, 5);
  assert_int_equal(st_version_edit_add_file(e, level, f), STRATA_OK);
  st_file_meta_unref(f);
}

static void encode(const st_version_edit *e, char **buf, size_t *len) {
  assert_int_equal(st_version_edit_encode(e, buf, len), STRATA_OK);
}

static int decode(const char *buf, size_t len) {
  st_version_edit e;
  st_version_edit_init(&e);
  int rc = st_version_edit_decode(&e, buf, len);
  st_version_edit_clear(&e);
  return rc;
}

static void assert_meta_equal(const st_file_meta *a, const st_file_meta *b) {
  assert_int_equal(a->number, b->number);
  assert_int_equal(a->size, b->size);
  assert_int_equal(a->smallest_len, b->smallest_len);
  assert_memory_equal(a->smallest, b->smallest, a->smallest_len);
  assert_int_equal(a->largest_len, b->largest_len);
  assert_memory_equal(a->largest, b->largest, a->largest_len);
  assert_int_equal(a->min_seq, b->min_seq);
  assert_int_equal(a->max_seq, b->max_seq);
  assert_int_equal(a->entries, b->entries);
  assert_int_equal(a->tombstones, b->tombstones);
}

/* An edit with every field, large values and binary keys. */
static void full_edit(st_version_edit *e) {
  st_version_edit_init(e);
  e->has_log_number = 1;
  e->log_number = 300;
  e->has_next_file = 1;
  e->next_file = UINT64_MAX;
  e->has_last_seq = 1;
  e->last_seq = ST_SEQ_MAX;
  assert_int_equal(st_version_edit_delete_file(e, 0, 7), STRATA_OK);
  assert_int_equal(st_version_edit_delete_file(e, ST_LEVELS - 1, UINT64_MAX), STRATA_OK);
  add(e, 0, 12, "", "zz");
  char bin[3] = {0, (char)0xff, 0x7f};
  char s[16], l[16];
  st_ikey_pack(s, bin, 3, st_trailer_pack(0, ST_KIND_DELETE));
  st_ikey_pack(l, "\xff\xff", 2, st_trailer_pack(ST_SEQ_MAX, ST_KIND_PUT));
  st_file_meta *f = st_file_meta_new(UINT64_MAX - 1, UINT64_MAX, s, 11, l, 10);
  assert_non_null(f);
  f->min_seq = 0;
  f->max_seq = ST_SEQ_MAX;
  f->entries = UINT64_MAX;
  f->tombstones = UINT64_MAX;
  assert_int_equal(st_version_edit_add_file(e, ST_LEVELS - 1, f), STRATA_OK);
  st_file_meta_unref(f);
}

static void round_trip_all_fields(void **state) {
  (void)state;
  st_version_edit e, d;
  full_edit(&e);
  char *buf;
  size_t len;
  encode(&e, &buf, &len);
  assert_true(len >= ST_VERSION_EDIT_HEADER);
  assert_memory_equal(buf, ST_VERSION_EDIT_MAGIC, 8);
  assert_int_equal(st_get_fixed32(buf + 8), 7);
  st_version_edit_init(&d);
  assert_int_equal(st_version_edit_decode(&d, buf, len), STRATA_OK);
  assert_true(d.has_log_number && d.has_next_file && d.has_last_seq);
  assert_int_equal(d.log_number, 300);
  assert_int_equal(d.next_file, UINT64_MAX);
  assert_int_equal(d.last_seq, ST_SEQ_MAX);
  assert_int_equal(d.ndeleted, 2);
  assert_int_equal(d.deleted[0].level, 0);
  assert_int_equal(d.deleted[0].number, 7);
  assert_int_equal(d.deleted[1].level, ST_LEVELS - 1);
  assert_int_equal(d.deleted[1].number, UINT64_MAX);
  assert_int_equal(d.nadded, 2);
  for (size_t i = 0; i < 2; i++) {
    assert_int_equal(d.added[i].level, e.added[i].level);
    assert_meta_equal(d.added[i].meta, e.added[i].meta);
    assert_int_equal(atomic_load(&d.added[i].meta->refs), 1);
  }
  /* Encoding is deterministic: the decoded edit encodes to the same bytes. */
  char *again;
  size_t again_len;
  encode(&d, &again, &again_len);
  assert_int_equal(again_len, len);
  assert_memory_equal(again, buf, len);
  free(again);
  free(buf);
  st_version_edit_clear(&d);
  st_version_edit_clear(&e);

  /* An empty edit is just the header, and decodes to nothing. */
  st_version_edit_init(&e);
  encode(&e, &buf, &len);
  assert_int_equal(len, ST_VERSION_EDIT_HEADER);
  st_version_edit_init(&d);
  assert_int_equal(st_version_edit_decode(&d, buf, len), STRATA_OK);
  assert_false(d.has_log_number || d.has_next_file || d.has_last_seq || d.nadded || d.ndeleted);
  free(buf);
}

/* The worked example of docs/FORMAT.md, byte for byte. */
static void exact_bytes(void **state) {
  (void)state;
  st_version_edit e;
  st_version_edit_init(&e);
  e.has_log_number = 1;
  e.log_number = 3;
  e.has_next_file = 1;
  e.next_file = 6;
  e.has_last_seq = 1;
  e.last_seq = 200;
  assert_int_equal(st_version_edit_delete_file(&e, 0, 4), STRATA_OK);
  char s[9], l[9];
  st_ikey_pack(s, "a", 1, st_trailer_pack(2, ST_KIND_PUT));
  st_ikey_pack(l, "b", 1, st_trailer_pack(1, ST_KIND_DELETE));
  st_file_meta *f = st_file_meta_new(5, 300, s, 9, l, 9);
  f->min_seq = 1;
  f->max_seq = 2;
  f->entries = 2;
  f->tombstones = 1;
  assert_int_equal(st_version_edit_add_file(&e, 1, f), STRATA_OK);
  st_file_meta_unref(f);
  static const unsigned char want[] = {
      'V', 'E', 'R', 'S', 'E', 'D', 'I', 'T', 0x05, 0x00, 0x00, 0x00, /* header: 5 fields */
      0x01, 0x03,                                                    /* log_number 3 */
      0x02, 0x06,                                                    /* next_file 6 */
      0x03, 0xc8, 0x01,                                              /* last_seq 200 */
      0x04, 0x00, 0x04,                                              /* deleted: level 0, file 4 */
      0x05, 0x01, 0x05, 0xac, 0x02,                                  /* added: level 1, file 5, 300 bytes */
      0x09, 'a', 0x01, 0x02, 0, 0, 0, 0, 0, 0,                       /* smallest "a" seq 2 PUT */
      0x09, 'b', 0x00, 0x01, 0, 0, 0, 0, 0, 0,                       /* largest "b" seq 1 DELETE */
      0x01, 0x02, 0x02, 0x01,                                        /* min_seq, max_seq, entries, tombstones */
  };
  char *buf;
  size_t len;
  encode(&e, &buf, &len);
  assert_int_equal(len, sizeof want);
  assert_memory_equal(buf, want, sizeof want);
  free(buf);
  st_version_edit_clear(&e);
}

static void every_truncation_is_corrupt(void **state) {
  (void)state;
  st_version_edit e;
  full_edit(&e);
  char *buf;
  size_t len;
  encode(&e, &buf, &len);
  st_version_edit_clear(&e);
  for (size_t n = 0; n < len; n++) {
    /* A copy of exactly n bytes, so ASan sees any read past it. */
    char *cut = malloc(n ? n : 1);
    memcpy(cut, buf, n);
    if (decode(cut, n) != STRATA_ECORRUPT) fail_msg("a %zu-byte prefix of %zu decoded", n, len);
    free(cut);
  }
  /* And a trailing byte is as bad as a missing one. */
  char *longer = malloc(len + 1);
  memcpy(longer, buf, len);
  longer[len] = 0x01;
  assert_int_equal(decode(longer, len + 1), STRATA_ECORRUPT);
  assert_non_null(strstr(strata_errmsg(), "follow the last"));
  free(longer);
  free(buf);
}

/* Header + the given field bytes, with the field count given. */
static int decode_fields(uint32_t nfields, const char *fields, size_t n) {
  char buf[256];
  memcpy(buf, ST_VERSION_EDIT_MAGIC, 8);
  st_put_fixed32(buf + 8, nfields);
  memcpy(buf + 12, fields, n);
  return decode(buf, 12 + n);
}

#define EXPECT_BAD(nfields, bytes, text)                                                   \
  do {                                                                                     \
    assert_int_equal(decode_fields(nfields, bytes, sizeof(bytes) - 1), STRATA_ECORRUPT); \
    if (!strstr(strata_errmsg(), text)) fail_msg("message \"%s\" lacks \"%s\"", strata_errmsg(), text); \
  } while (0)

static void bad_fields_are_corrupt(void **state) {
  (void)state;
  assert_int_equal(decode_fields(1, "\x01\x05", 2), STRATA_OK);
  EXPECT_BAD(1, "\x00\x05", "unknown tag 0");
  EXPECT_BAD(1, "\x06\x05", "unknown tag 6");
  EXPECT_BAD(1, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", "tag is not a complete varint");
  EXPECT_BAD(2, "\x01\x05\x01\x06", "second log_number");
  EXPECT_BAD(2, "\x03\x05\x03\x06", "second last_seq");
  EXPECT_BAD(1, "\x02\x00", "next_file 0");
  EXPECT_BAD(1, "\x03\x80\x80\x80\x80\x80\x80\x80\x80\x01", "last_seq is above");
  EXPECT_BAD(2, "\x01\x05", "ends before this field");
  EXPECT_BAD(0, "\x01\x05", "follow the last of 0 fields");
  EXPECT_BAD(1, "\x04\x07\x01", "level 7 is not in 0..6");
  EXPECT_BAD(1, "\x04\x01\x00", "file number 0");
  EXPECT_BAD(1, "\x04\x01", "file number is not a complete varint");
  /* added: level 1, number 5, size 1, then keys. */
  EXPECT_BAD(1, "\x05\x01\x05\x01\x07" "abcdefg", "shorter than an internal key");
  EXPECT_BAD(1, "\x05\x01\x05\x01\x09" "a\x01\0\0\0\0\0\0", "runs past the end");
  EXPECT_BAD(1, "\x05\x01\x05\x01\x09" "b\x01\0\0\0\0\0\0\0" "\x09" "a\x01\0\0\0\0\0\0\0" "\x00\x00\x00\x00",
             "sorts after the largest");
  EXPECT_BAD(1, "\x05\x01\x05\x01\x09" "a\x01\0\0\0\0\0\0\0" "\x09" "b\x01\0\0\0\0\0\0\0" "\x03\x02\x00\x00",
             "min_seq is above max_seq");
  EXPECT_BAD(1, "\x05\x01\x05\x01\x09" "a\x01\0\0\0\0\0\0\0" "\x09" "b\x01\0\0\0\0\0\0\0" "\x01\x02\x01\x02",
             "more tombstones than entries");
  EXPECT_BAD(1,
             "\x05\x01\x05\x01\x09" "a\x01\0\0\0\0\0\0\0" "\x09" "b\x01\0\0\0\0\0\0\0"
             "\x01\x80\x80\x80\x80\x80\x80\x80\x80\x01\x01\x00",
             "max_seq is above");
  static const char good_added[] =
      "\x05\x01\x05\x01\x09" "a\x01\0\0\0\0\0\0\0" "\x09" "b\x01\0\0\0\0\0\0\0" "\x01\x02\x02\x01";
  assert_int_equal(decode_fields(1, good_added, sizeof good_added - 1), STRATA_OK);

  /* The header itself. */
  assert_int_equal(decode("VERSEDI", 7), STRATA_ECORRUPT);
  assert_non_null(strstr(strata_errmsg(), "shorter than the 12-byte header"));
  assert_int_equal(decode("VERSEDIX\0\0\0\0", 12), STRATA_ECORRUPT);
  assert_non_null(strstr(strata_errmsg(), "does not start with"));
  assert_int_equal(decode("VERSEDIT\0\0\0\0", 12), STRATA_OK);
  /* A huge field count with nothing behind it fails fast. */
  assert_int_equal(decode("VERSEDIT\xff\xff\xff\xff", 12), STRATA_ECORRUPT);
}

static void failed_decode_clears_the_edit(void **state) {
  (void)state;
  st_version_edit e;
  full_edit(&e);
  /* A valid added file followed by an unknown tag: the added meta must
   * not leak and e must be empty. */
  const char rec[] = "VERSEDIT\x02\0\0\0"
                     "\x05\x01\x05\x01\x09" "a\x01\0\0\0\0\0\0\0" "\x09" "b\x01\0\0\0\0\0\0\0" "\x01\x02\x02\x01"
                     "\x09";
  assert_int_equal(st_version_edit_decode(&e, rec, sizeof rec - 1), STRATA_ECORRUPT);
  assert_int_equal(e.nadded, 0);
  assert_int_equal(e.ndeleted, 0);
  assert_false(e.has_log_number);
  st_version_edit_clear(&e);
}

static void add_refuses_bad_levels(void **state) {
  (void)state;
  st_version_edit e;
  st_version_edit_init(&e);
  st_file_meta *f = meta(1, "a", 1, "b", 1);
  assert_int_equal(st_version_edit_add_file(&e, ST_LEVELS, f), STRATA_EINVAL);
  assert_int_equal(st_version_edit_add_file(&e, -1, f), STRATA_EINVAL);
  assert_int_equal(st_version_edit_delete_file(&e, ST_LEVELS, 1), STRATA_EINVAL);
  assert_int_equal(e.nadded + e.ndeleted, 0);
  assert_int_equal(atomic_load(&f->refs), 1);
  assert_int_equal(st_version_edit_add_file(&e, 2, f), STRATA_OK);
  assert_int_equal(atomic_load(&f->refs), 2);
  st_version_edit_clear(&e);
  assert_int_equal(atomic_load(&f->refs), 1);
  st_file_meta_unref(f);
}

/* ---- the builder -------------------------------------------------------- */

static st_version *build(const st_version *base, const st_version_edit *e, int *rc_out) {
  st_version_builder b;
  st_version *v = NULL;
  assert_int_equal(st_version_builder_init(&b, base), STRATA_OK);
  *rc_out = st_version_builder_apply(&b, e, STRATA_ECORRUPT);
  if (*rc_out == STRATA_OK) assert_int_equal(st_version_builder_finish(&b, &v), STRATA_OK);
  st_version_builder_clear(&b);
  return v;
}

static void expect_numbers(const st_version *v, int level, const uint64_t *want, size_t n) {
  assert_int_equal(v->nfiles[level], n);
  for (size_t i = 0; i < n; i++) assert_int_equal(v->files[level][i]->number, want[i]);
}

static void level_order(void **state) {
  (void)state;
  st_version_edit e;
  st_version_edit_init(&e);
  /* Level 0: newest (highest number) first, whatever the keys. */
  add(&e, 0, 3, "a", "z");
  add(&e, 0, 9, "m", "n");
  add(&e, 0, 5, "a", "b");
  /* Level 1: by smallest key. */
  add(&e, 1, 20, "m", "p");
  add(&e, 1, 4, "a", "c");
  add(&e, 1, 30, "d", "f");
  int rc;
  st_version *v = build(NULL, &e, &rc);
  assert_int_equal(rc, STRATA_OK);
  st_version_edit_clear(&e);
  expect_numbers(v, 0, (uint64_t[]){9, 5, 3}, 3);
  expect_numbers(v, 1, (uint64_t[]){4, 30, 20}, 3);
  assert_int_equal(st_version_level_bytes(v, 0), 17000);
  assert_int_equal(st_version_level_bytes(v, 1), 54000);
  assert_int_equal(st_version_level_bytes(v, 2), 0);

  /* A later edit: delete, add in the middle, move 30 from level 1 to 2. */
  st_version_edit_init(&e);
  assert_int_equal(st_version_edit_delete_file(&e, 0, 5), STRATA_OK);
  assert_int_equal(st_version_edit_delete_file(&e, 1, 30), STRATA_OK);
  add(&e, 0, 7, "a", "a");
  add(&e, 1, 31, "g", "h");
  st_file_meta *moved = v->files[1][1];
  assert_int_equal(st_version_edit_add_file(&e, 2, moved), STRATA_OK);
  st_version *w = build(v, &e, &rc);
  assert_int_equal(rc, STRATA_OK);
  st_version_edit_clear(&e);
  expect_numbers(w, 0, (uint64_t[]){9, 7, 3}, 3);
  expect_numbers(w, 1, (uint64_t[]){4, 31, 20}, 3);
  expect_numbers(w, 2, (uint64_t[]){30}, 1);
  /* The old version is untouched and both share the unchanged metas. */
  expect_numbers(v, 0, (uint64_t[]){9, 5, 3}, 3);
  assert_ptr_equal(v->files[0][0], w->files[0][0]);
  assert_int_equal(atomic_load(&moved->refs), 2);
  st_version_unref(v);
  assert_int_equal(atomic_load(&moved->refs), 1);
  st_version_unref(w);
}

static void overlaps_are_refused(void **state) {
  (void)state;
  st_version_edit base_e, e;
  int rc;
  st_version_edit_init(&base_e);
  add(&base_e, 1, 1, "c", "e");
  add(&base_e, 1, 2, "m", "p");
  st_version *v = build(NULL, &base_e, &rc);
  assert_int_equal(rc, STRATA_OK);
  st_version_edit_clear(&base_e);

  struct {
    const char *lo, *hi;
    int ok;
  } cases[] = {
      {"a", "b", 1}, {"f", "l", 1}, {"q", "z", 1},   /* gaps */
      {"a", "c", 0}, {"e", "f", 0}, {"d", "d", 0},   /* touching or inside */
      {"a", "z", 0}, {"l", "m", 0}, {"p", "q", 0}, {"c", "e", 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    st_version_edit_init(&e);
    add(&e, 1, 50, cases[i].lo, cases[i].hi);
    st_version *w = build(v, &e, &rc);
    st_version_edit_clear(&e);
    if (cases[i].ok) {
      assert_int_equal(rc, STRATA_OK);
      st_version_unref(w);
    } else {
      assert_int_equal(rc, STRATA_ECORRUPT);
      assert_non_null(strstr(strata_errmsg(), "overlaps"));
    }
    /* Level 0 files may overlap anything. */
    st_version_edit_init(&e);
    add(&e, 0, 50, cases[i].lo, cases[i].hi);
    add(&e, 0, 51, cases[i].lo, cases[i].hi);
    w = build(v, &e, &rc);
    st_version_edit_clear(&e);
    assert_int_equal(rc, STRATA_OK);
    st_version_unref(w);
  }
  /* The same user key in two files of a level: fine when the internal keys
   * do not overlap (newer sequence first), refused when they do. */
  st_version_edit_init(&e);
  st_file_meta *newer = meta(60, "k", 9, "k", 8), *older = meta(61, "k", 7, "k", 6);
  assert_int_equal(st_version_edit_add_file(&e, 3, older), STRATA_OK);
  assert_int_equal(st_version_edit_add_file(&e, 3, newer), STRATA_OK);
  st_version *w = build(v, &e, &rc);
  assert_int_equal(rc, STRATA_OK);
  expect_numbers(w, 3, (uint64_t[]){60, 61}, 2);
  st_version_unref(w);
  st_version_edit_clear(&e);
  st_version_edit_init(&e);
  st_file_meta *same = meta(62, "k", 7, "k", 7);
  assert_int_equal(st_version_edit_add_file(&e, 3, older), STRATA_OK);
  assert_int_equal(st_version_edit_add_file(&e, 3, same), STRATA_OK);
  w = build(v, &e, &rc);
  assert_int_equal(rc, STRATA_ECORRUPT);
  st_version_edit_clear(&e);
  st_file_meta_unref(newer);
  st_file_meta_unref(older);
  st_file_meta_unref(same);
  st_version_unref(v);
}

static void bad_deletions_and_duplicates(void **state) {
  (void)state;
  st_version_edit e;
  int rc;
  st_version_edit_init(&e);
  add(&e, 0, 1, "a", "b");
  add(&e, 2, 2, "a", "b");
  st_version *v = build(NULL, &e, &rc);
  assert_int_equal(rc, STRATA_OK);
  st_version_edit_clear(&e);

  /* Absent file; present but at another level; deleted twice. */
  uint64_t del[][2] = {{0, 9}, {1, 2}, {0, 2}};
  for (size_t i = 0; i < 3; i++) {
    st_version_edit_init(&e);
    assert_int_equal(st_version_edit_delete_file(&e, (int)del[i][0], del[i][1]), STRATA_OK);
    assert_null(build(v, &e, &rc));
    assert_int_equal(rc, STRATA_ECORRUPT);
    assert_non_null(strstr(strata_errmsg(), "where it is not"));
    st_version_edit_clear(&e);
  }
  st_version_edit_init(&e);
  assert_int_equal(st_version_edit_delete_file(&e, 0, 1), STRATA_OK);
  assert_int_equal(st_version_edit_delete_file(&e, 0, 1), STRATA_OK);
  assert_null(build(v, &e, &rc));
  assert_int_equal(rc, STRATA_ECORRUPT);
  st_version_edit_clear(&e);

  /* A number already live, at the same or another level, or twice in one edit. */
  for (int level = 0; level < 3; level++) {
    st_version_edit_init(&e);
    add(&e, level, 2, "x", "y");
    assert_null(build(v, &e, &rc));
    assert_int_equal(rc, STRATA_ECORRUPT);
    assert_non_null(strstr(strata_errmsg(), "a file with that number is live"));
    st_version_edit_clear(&e);
  }
  st_version_edit_init(&e);
  add(&e, 0, 5, "x", "y");
  add(&e, 4, 5, "x", "y");
  assert_null(build(v, &e, &rc));
  st_version_edit_clear(&e);

  /* Metas an edit made in memory can carry that a decoded one cannot. */
  st_version_edit_init(&e);
  st_file_meta *f = st_file_meta_new(0, 1, "abcdefgh", 8, "abcdefgh", 8);
  assert_int_equal(st_version_edit_add_file(&e, 0, f), STRATA_OK);
  st_file_meta_unref(f);
  assert_null(build(v, &e, &rc));
  assert_non_null(strstr(strata_errmsg(), "numbered 0"));
  st_version_edit_clear(&e);
  st_version_edit_init(&e);
  f = st_file_meta_new(8, 1, "abc", 3, "abcdefgh", 8);
  assert_int_equal(st_version_edit_add_file(&e, 0, f), STRATA_OK);
  st_file_meta_unref(f);
  assert_null(build(v, &e, &rc));
  assert_non_null(strstr(strata_errmsg(), "shorter"));
  st_version_edit_clear(&e);
  st_version_edit_init(&e);
  f = meta(8, "z", 1, "a", 1);
  assert_int_equal(st_version_edit_add_file(&e, 0, f), STRATA_OK);
  st_file_meta_unref(f);
  assert_null(build(v, &e, &rc));
  assert_non_null(strstr(strata_errmsg(), "sorts after"));
  st_version_edit_clear(&e);
  st_version_edit_init(&e);
  f = meta(8, "a", 1, "b", 1);
  assert_int_equal(st_version_edit_add_file(&e, 0, f), STRATA_OK);
  e.added[0].level = ST_LEVELS;
  assert_null(build(v, &e, &rc));
  assert_non_null(strstr(strata_errmsg(), "not in 0..6"));
  e.added[0].level = 0;
  st_version_edit_clear(&e);
  st_file_meta_unref(f);

  /* Deleting and re-adding the same number in one edit is a move. */
  st_version_edit_init(&e);
  assert_int_equal(st_version_edit_delete_file(&e, 0, 1), STRATA_OK);
  add(&e, 1, 1, "a", "b");
  st_version *w = build(v, &e, &rc);
  assert_int_equal(rc, STRATA_OK);
  assert_int_equal(w->nfiles[0], 0);
  expect_numbers(w, 1, (uint64_t[]){1}, 1);
  st_version_unref(w);
  st_version_edit_clear(&e);
  st_version_unref(v);
}

static void big_levels(void **state) {
  (void)state;
  /* Many files added in random order end up sorted; then every other
   * file is deleted. */
  enum { N = 2000 };
  st_version_edit e;
  st_version_edit_init(&e);
  uint64_t x = 88172645463325252ull;
  int order[N];
  for (int i = 0; i < N; i++) order[i] = i;
  for (int i = N - 1; i > 0; i--) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    int j = (int)(x % (uint64_t)(i + 1)), t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  for (int i = 0; i < N; i++) {
    char lo[16], hi[16];
    snprintf(lo, sizeof lo, "k%06d", order[i] * 2);
    snprintf(hi, sizeof hi, "k%06d", order[i] * 2 + 1);
    add(&e, 1, (uint64_t)order[i] + 1, lo, hi);
    add(&e, 0, (uint64_t)order[i] + 1 + N, lo, hi);
  }
  int rc;
  st_version *v = build(NULL, &e, &rc);
  assert_int_equal(rc, STRATA_OK);
  st_version_edit_clear(&e);
  for (int i = 0; i < N; i++) {
    assert_int_equal(v->files[1][i]->number, (uint64_t)i + 1);
    assert_int_equal(v->files[0][i]->number, (uint64_t)(2 * N - i));
  }
  st_version_edit_init(&e);
  for (int i = 0; i < N; i += 2) {
    assert_int_equal(st_version_edit_delete_file(&e, 1, (uint64_t)i + 1), STRATA_OK);
    assert_int_equal(st_version_edit_delete_file(&e, 0, (uint64_t)i + 1 + N), STRATA_OK);
  }
  st_version *w = build(v, &e, &rc);
  assert_int_equal(rc, STRATA_OK);
  st_version_edit_clear(&e);
  assert_int_equal(w->nfiles[1], N / 2);
  for (int i = 0; i < N / 2; i++) assert_int_equal(w->files[1][i]->number, (uint64_t)(2 * i + 2));
  st_version_unref(v);
  st_version_unref(w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(round_trip_all_fields),
      cmocka_unit_test(exact_bytes),
      cmocka_unit_test(every_truncation_is_corrupt),
      cmocka_unit_test(bad_fields_are_corrupt),
      cmocka_unit_test(failed_decode_clears_the_edit),
      cmocka_unit_test(add_refuses_bad_levels),
      cmocka_unit_test(level_order),
      cmocka_unit_test(overlaps_are_refused),
      cmocka_unit_test(bad_deletions_and_duplicates),
      cmocka_unit_test(big_levels),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
