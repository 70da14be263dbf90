/* test_table_props.c - a table's properties block (docs/FORMAT.md,
 * "Properties block"): what is encoded decodes the same, names it does
 * not know are skipped, and a block that is well framed but wrong
 * (a property missing, malformed or inconsistent with the others) is
 * STRATA_ECORRUPT naming the file, the offset and what was expected. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/coding.h"
#include "format/block.h"
#include "format/block_builder.h"
#include "format/ikey.h"
#include "sst/table_props.h"
#include "testutil.h"

static char smallest[16], largest[16]; /* internal keys "apple" and "pear" */

/* A consistent set: 10 entries, 2 of them tombstones. */
static void good_props(st_table_props *p) {
  memset(p, 0, sizeof *p);
  p->entries = 10;
  p->kind_counts[ST_KIND_PUT] = 8;
  p->kind_counts[ST_KIND_DELETE] = 1;
  p->kind_counts[ST_KIND_RANGE_DELETE] = 1;
  p->tombstones = 2;
  p->min_seq = 5;
  p->max_seq = 14;
  p->raw_key_bytes = 70;
  p->raw_value_bytes = 800;
  p->data_blocks = 2;
  p->data_bytes = 1000;
  p->file_bytes = 1300;
  p->compression = 0;
  st_ikey_pack(smallest, "apple", 5, st_trailer_pack(9, ST_KIND_PUT));
  st_ikey_pack(largest, "pear", 4, st_trailer_pack(14, ST_KIND_PUT));
  p->smallest = smallest;
  p->smallest_len = 13;
  p->largest = largest;
  p->largest_len = 12;
}

/* Decodes data[0, len) as the properties block at offset 4096 of "t.sst";
 * returns its code, the message in msg. */
static int decode(const char *data, size_t len, st_table_props *out, char *msg, size_t cap) {
  int rc = st_table_props_decode(data, len, "t.sst", 4096, out);
  snprintf(msg, cap, "%s", rc ? strata_errmsg() : "");
  return rc;
}

/* Encodes p, decodes it and expects STRATA_ECORRUPT saying want. */
static void expect_refused(const st_table_props *p, const char *want) {
  char *buf, msg[512];
  size_t len;
  assert_int_equal(st_table_props_encode(p, &buf, &len), STRATA_OK);
  st_table_props d;
  int rc = decode(buf, len, &d, msg, sizeof msg);
  free(buf);
  if (rc != STRATA_ECORRUPT || !strstr(msg, want) || !strstr(msg, "t.sst") || !strstr(msg, "offset 4096"))
    fail_msg("expected STRATA_ECORRUPT saying \"%s\", got %s: \"%s\"", want, strata_strerror(rc), msg);
  assert_null(d.smallest); /* nothing is left to free */
  assert_null(d.largest);
}

static void round_trip(void **state) {
  (void)state;
  st_table_props p, d;
  good_props(&p);
  char *buf, msg[512];
  size_t len;
  assert_int_equal(st_table_props_encode(&p, &buf, &len), STRATA_OK);
  assert_int_equal(decode(buf, len, &d, msg, sizeof msg), STRATA_OK);
  free(buf);
  assert_int_equal(d.entries, 10);
  assert_int_equal(d.kind_counts[ST_KIND_PUT], 8);
  assert_int_equal(d.kind_counts[ST_KIND_DELETE], 1);
  assert_int_equal(d.kind_counts[ST_KIND_RANGE_DELETE], 1);
  assert_int_equal(d.tombstones, 2);
  assert_int_equal(d.min_seq, 5);
  assert_int_equal(d.max_seq, 14);
  assert_int_equal(d.raw_key_bytes, 70);
  assert_int_equal(d.raw_value_bytes, 800);
  assert_int_equal(d.data_blocks, 2);
  assert_int_equal(d.data_bytes, 1000);
  assert_int_equal(d.file_bytes, 1300);
  assert_int_equal(d.compression, 0);
  assert_int_equal(d.smallest_len, 13);
  assert_memory_equal(d.smallest, smallest, 13);
  assert_int_equal(d.largest_len, 12);
  assert_memory_equal(d.largest, largest, 12);
  st_table_props copy;
  assert_int_equal(st_table_props_copy(&copy, &d), STRATA_OK);
  st_table_props_clear(&d);
  assert_memory_equal(copy.largest, largest, 12);
  st_table_props_clear(&copy);
  assert_null(copy.smallest);
  assert_int_equal(copy.entries, 0);

  /* An empty table (only possible as an encoding) has no keys. */
  memset(&p, 0, sizeof p);
  assert_int_equal(st_table_props_encode(&p, &buf, &len), STRATA_OK);
  assert_int_equal(decode(buf, len, &d, msg, sizeof msg), STRATA_OK);
  free(buf);
  assert_int_equal(d.smallest_len + d.largest_len, 0);
  st_table_props_clear(&d);
}

/* Each rule between the properties, broken alone. */
static void inconsistent_sets_are_refused(void **state) {
  (void)state;
  st_table_props p;
  good_props(&p);
  p.kind_counts[ST_KIND_PUT] = 7;
  expect_refused(&p, "kind counts adding up to entries 10, found 9");
  good_props(&p);
  p.tombstones = 1;
  expect_refused(&p, "tombstones = DELETE + RANGE_DELETE = 2, found 1");
  good_props(&p);
  p.compression = 300;
  expect_refused(&p, "a compression type below 256");
  good_props(&p);
  p.smallest_len = 7;
  expect_refused(&p, "smallest and largest keys of 8 bytes or more, found 7 and 12");
  good_props(&p);
  p.largest_len = 0;
  expect_refused(&p, "smallest and largest keys of 8 bytes or more, found 13 and 0");
  memset(&p, 0, sizeof p);
  p.largest = largest;
  p.largest_len = 12;
  expect_refused(&p, "no smallest and largest keys in an empty table, found 0 and 12 bytes");
  good_props(&p);
  p.min_seq = 15;
  expect_refused(&p, "seq.min <= seq.max, found 15 > 14");
  good_props(&p);
  p.data_blocks = 0;
  expect_refused(&p, "data blocks holding 10 entries, found none");
  good_props(&p);
  p.smallest = largest;
  p.smallest_len = 12;
  p.largest = smallest;
  p.largest_len = 13;
  expect_refused(&p, "smallest <= largest, found smallest > largest");

  /* A table of range deletes alone has no data block, and that is fine. */
  good_props(&p);
  p.entries = 1;
  p.kind_counts[ST_KIND_PUT] = p.kind_counts[ST_KIND_DELETE] = 0;
  p.tombstones = 1;
  p.data_blocks = 0;
  char *buf, msg[512];
  size_t len;
  st_table_props d;
  assert_int_equal(st_table_props_encode(&p, &buf, &len), STRATA_OK);
  assert_int_equal(decode(buf, len, &d, msg, sizeof msg), STRATA_OK);
  free(buf);
  st_table_props_clear(&d);
}

/* The (name, value) entries of a good block, to be rebuilt with one of
 * them replaced, removed or added. */
typedef struct entry {
  char name[32];
  char value[64];
  size_t vlen;
} entry;

static size_t good_entries(entry *e, size_t cap) {
  st_table_props p;
  good_props(&p);
  char *buf;
  size_t len, n = 0;
  assert_int_equal(st_table_props_encode(&p, &buf, &len), STRATA_OK);
  st_block_iter it;
  st_block_iter_init(&it, NULL, 0);
  assert_int_equal(st_block_iter_reset(&it, buf, len), STRATA_OK);
  for (st_block_iter_seek_first(&it); st_block_iter_valid(&it); st_block_iter_next(&it)) {
    assert_true(n < cap && it.key_len < sizeof e[n].name && it.val_len <= sizeof e[n].value);
    memcpy(e[n].name, it.key, it.key_len);
    e[n].name[it.key_len] = '\0';
    memcpy(e[n].value, it.val, it.val_len);
    e[n].vlen = it.val_len;
    n++;
  }
  st_block_iter_destroy(&it);
  free(buf);
  return n;
}

/* Builds a block of the good entries with name's value replaced by
 * value[0, vlen) (value NULL: name left out), names in bytewise order
 * (a new name goes where it sorts), decodes it and returns the code. */
static int decode_with(const char *name, const char *value, size_t vlen, char *msg, size_t cap) {
  entry e[32];
  size_t n = good_entries(e, 31), at = 0;
  while (at < n && strcmp(e[at].name, name) < 0) at++;
  if (at == n || strcmp(e[at].name, name) != 0) { /* a new name */
    memmove(&e[at + 1], &e[at], (n - at) * sizeof e[0]);
    n++;
    snprintf(e[at].name, sizeof e[at].name, "%s", name);
  }
  if (value) {
    memcpy(e[at].value, value, vlen);
    e[at].vlen = vlen;
  } else {
    memmove(&e[at], &e[at + 1], (n - at - 1) * sizeof e[0]);
    n--;
  }
  st_block_builder b;
  st_block_builder_init(&b, 1);
  for (size_t i = 0; i < n; i++)
    assert_int_equal(st_block_builder_add(&b, e[i].name, strlen(e[i].name), e[i].value, e[i].vlen), STRATA_OK);
  const char *data;
  size_t len;
  assert_int_equal(st_block_builder_finish(&b, &data, &len), STRATA_OK);
  st_table_props d;
  int rc = decode(data, len, &d, msg, cap);
  st_table_props_clear(&d);
  st_block_builder_destroy(&b);
  return rc;
}

static void expect_block_refused(const char *name, const char *value, size_t vlen, const char *want) {
  char msg[512];
  int rc = decode_with(name, value, vlen, msg, sizeof msg);
  if (rc != STRATA_ECORRUPT || !strstr(msg, want) || !strstr(msg, "t.sst"))
    fail_msg("%s: expected STRATA_ECORRUPT saying \"%s\", got %s: \"%s\"", name, want, strata_strerror(rc), msg);
}

static void malformed_blocks_are_refused(void **state) {
  (void)state;
  char msg[512];
  /* The good entries rebuilt as they are decode; so does a name from a
   * newer writer, which is skipped. */
  assert_int_equal(decode_with("entries", "\x0a", 1, msg, sizeof msg), STRATA_OK);
  assert_int_equal(decode_with("zz.newer", "\x01\x02", 2, msg, sizeof msg), STRATA_OK);

  static const char *const every[] = {"compression", "data.blocks", "data.bytes",      "entries", "file.bytes",
                                      "kind.counts", "largest",     "props.version",   "seq.max", "seq.min",
                                      "smallest",    "tombstones",  "raw.value.bytes", "raw.key.bytes"};
  char want[128];
  for (size_t i = 0; i < sizeof every / sizeof every[0]; i++) {
    snprintf(want, sizeof want, "expected property %s, found none", every[i]);
    expect_block_refused(every[i], NULL, 0, want);
  }
  expect_block_refused("props.version", "\x00", 1, "props.version >= 1, found 0");
  /* A varint cut short, or followed by more bytes. */
  expect_block_refused("entries", "\x8a", 1, "property entries: expected a well-formed value, found 1 bytes");
  expect_block_refused("seq.max", "\x0e\x00", 2, "property seq.max: expected a well-formed value, found 2 bytes");
  expect_block_refused("file.bytes", "1234567", 7, "property file.bytes: expected a well-formed value");
  /* kind.counts: a count of kinds and that many counts, nothing after. */
  expect_block_refused("kind.counts", "\x03\x01\x08", 3, "property kind.counts: expected a well-formed value");
  expect_block_refused("kind.counts", "\x01\x0a\x00", 3, "property kind.counts: expected a well-formed value");
  /* More kinds than this version knows: still counted into entries. */
  char kinds[16];
  size_t kn = 0;
  kinds[kn++] = ST_KIND_MAX + 2;
  for (int k = 0; k <= ST_KIND_MAX + 1; k++) kinds[kn++] = k == ST_KIND_PUT ? 7 : k <= ST_KIND_RANGE_DELETE;
  kinds[kn - 1] = 2; /* the unknown kind: 7 + 1 + 1 + 2 */
  assert_int_equal(decode_with("kind.counts", kinds, kn, msg, sizeof msg), STRATA_ECORRUPT);
  assert_non_null(strstr(msg, "kind counts adding up to entries 10, found 11"));
  kinds[kn - 1] = 1;
  assert_int_equal(decode_with("kind.counts", kinds, kn, msg, sizeof msg), STRATA_OK);

  /* A block whose framing is wrong. */
  st_table_props d;
  assert_int_equal(decode("\x01\x02\x03", 3, &d, msg, sizeof msg), STRATA_ECORRUPT);
  assert_non_null(strstr(msg, "t.sst: properties block at offset 4096: "));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(round_trip),
      cmocka_unit_test(inconsistent_sets_are_refused),
      cmocka_unit_test(malformed_blocks_are_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
