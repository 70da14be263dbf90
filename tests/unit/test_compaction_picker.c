/* test_compaction_picker.c - choosing compactions over versions made of
 * file metadata only (no table files): options and level targets, scores,
 * the level-0 trigger, size-based picks, busy files, trivial moves,
 * tombstone-dense tables, range tombstones weighed by the bytes they
 * hide, tables reads made due, manual ranges, and the
 * level of a flushed table. Running compactions:
 * test_compaction_run.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compact/compaction.h"
#include "format/ikey.h"
#include "format/kind.h"
#include "testutil.h"
#include "version/version_edit.h"

#define KIB (UINT64_C(1) << 10)
#define MIB (UINT64_C(1) << 20)

/* ---- helpers ------------------------------------------------------------ */

/* A file of size bytes holding user keys lo (at lo_seq) .. hi (at hi_seq). */
static st_file_meta *mk(uint64_t number, uint64_t size, const char *lo, uint64_t lo_seq, const char *hi,
                        uint64_t hi_seq) {
  char s[128], l[128];
  size_t sl = strlen(lo), ll = strlen(hi);
  st_ikey_pack(s, lo, sl, st_trailer_pack(lo_seq, ST_KIND_PUT));
  st_ikey_pack(l, hi, ll, st_trailer_pack(hi_seq, ST_KIND_PUT));
  st_file_meta *f = st_file_meta_new(number, size, s, sl + 8, l, ll + 8);
  assert_non_null(f);
  f->min_seq = lo_seq < hi_seq ? lo_seq : hi_seq;
  f->max_seq = lo_seq < hi_seq ? hi_seq : lo_seq;
  f->entries = 1000;
  return f;
}

/* A version under construction: files are added by an edit and the
 * version builder (which orders levels and refuses overlaps). */
typedef struct vb {
  st_version_edit e;
} vb;

static void vb_init(vb *b) { st_version_edit_init(&b->e); }

static st_file_meta *vb_add(vb *b, int level, st_file_meta *f) {
  assert_int_equal(st_version_edit_add_file(&b->e, level, f), STRATA_OK);
  st_file_meta_unref(f); /* the edit holds it (and the version will) */
  return f;
}

/* Shorthand: a file of level with keys lo..hi (seq 10 and 5). */
static st_file_meta *vb_file(vb *b, int level, uint64_t number, uint64_t size, const char *lo, const char *hi) {
  return vb_add(b, level, mk(number, size, lo, 10, hi, 5));
}

static st_version *vb_finish(vb *b) {
  st_version_builder bld;
  st_version *v = NULL;
  assert_int_equal(st_version_builder_init(&bld, NULL), STRATA_OK);
  int rc = st_version_builder_apply(&bld, &b->e, STRATA_EINVAL);
  if (rc) fail_msg("apply: %s", strata_errmsg());
  assert_int_equal(st_version_builder_finish(&bld, &v), STRATA_OK);
  st_version_builder_clear(&bld);
  st_version_edit_clear(&b->e);
  return v;
}

/* Small options so that sizes stay readable: level 1 target 10 KiB. */
static void small_options(st_compaction_options *o) {
  st_compaction_options_init(o);
  o->level_base_bytes = 10 * KIB;
  o->target_file_bytes = 1 * KIB;
}

static int has_input(const st_compaction *c, int which, uint64_t number) {
  for (size_t i = 0; i < c->ninputs[which]; i++)
    if (c->inputs[which][i]->number == number) return 1;
  return 0;
}

/* "0:3,2 1:7" - the numbers of the inputs, for compact assertions. */
static void inputs_str(const st_compaction *c, char *out, size_t n) {
  size_t used = (size_t)snprintf(out, n, "%d:", c->level);
  for (size_t i = 0; i < c->ninputs[0]; i++)
    used += (size_t)snprintf(out + used, n - used, "%s%llu", i ? "," : "", (unsigned long long)c->inputs[0][i]->number);
  used += (size_t)snprintf(out + used, n - used, " %d:", c->output_level);
  for (size_t i = 0; i < c->ninputs[1]; i++)
    used += (size_t)snprintf(out + used, n - used, "%s%llu", i ? "," : "", (unsigned long long)c->inputs[1][i]->number);
}

static void expect_inputs(const st_compaction *c, const char *want) {
  char got[256];
  assert_non_null(c);
  inputs_str(c, got, sizeof got);
  if (strcmp(got, want) != 0) fail_msg("inputs: got \"%s\", want \"%s\"", got, want);
}

/* ---- options, targets, scores ------------------------------------------ */

static void options_and_targets(void **state) {
  (void)state;
  st_compaction_options o;
  st_compaction_options_init(&o);
  assert_int_equal(o.l0_trigger, 4);
  assert_int_equal(o.level_base_bytes, 256 * MIB);
  assert_int_equal(o.level_multiplier, 10);
  assert_int_equal(o.target_file_bytes, 64 * MIB);
  assert_true(o.tombstone_ratio > 0.29 && o.tombstone_ratio < 0.31);
  assert_int_equal(st_compaction_options_check(&o), STRATA_OK);

  assert_int_equal(st_compaction_level_target(&o, 1), 256 * MIB);
  assert_int_equal(st_compaction_level_target(&o, 2), 2560 * MIB);
  assert_int_equal(st_compaction_level_target(&o, 6), 256 * MIB * 100000);
  o.level_base_bytes = UINT64_MAX / 4;
  assert_int_equal(st_compaction_level_target(&o, 3), UINT64_MAX); /* saturates */

  st_compaction_options bad;
  st_compaction_options_init(&bad);
  bad.l0_trigger = 0;
  assert_int_equal(st_compaction_options_check(&bad), STRATA_EINVAL);
  st_compaction_options_init(&bad);
  bad.level_multiplier = 1;
  assert_int_equal(st_compaction_options_check(&bad), STRATA_EINVAL);
  st_compaction_options_init(&bad);
  bad.level_base_bytes = 0;
  assert_int_equal(st_compaction_options_check(&bad), STRATA_EINVAL);
  st_compaction_options_init(&bad);
  bad.target_file_bytes = 0;
  assert_int_equal(st_compaction_options_check(&bad), STRATA_EINVAL);
  st_compaction_options_init(&bad);
  bad.tombstone_ratio = -0.5;
  assert_int_equal(st_compaction_options_check(&bad), STRATA_EINVAL);
}

static void scores(void **state) {
  (void)state;
  st_compaction_options o;
  small_options(&o);
  vb b;
  vb_init(&b);
  vb_file(&b, 0, 1, 100, "a", "z");
  vb_file(&b, 0, 2, 100, "a", "z");
  vb_file(&b, 1, 3, 5 * KIB, "a", "f");
  vb_file(&b, 1, 4, 10 * KIB, "g", "m");
  vb_file(&b, 2, 5, 50 * KIB, "a", "z");
  vb_file(&b, 6, 6, 500 * MIB, "a", "z"); /* huge, but the last level is never due */
  st_version *v = vb_finish(&b);
  double s[ST_LEVELS];
  st_compaction_scores(v, &o, s);
  assert_true(s[0] == 0.5);
  assert_true(s[1] == 1.5);
  assert_true(s[2] == 0.5);
  for (int level = 3; level < ST_LEVELS; level++) assert_true(s[level] == 0);
  st_version_unref(v);

  /* An empty version: nothing due, nothing picked. */
  v = st_version_new();
  st_compaction_scores(v, &o, s);
  for (int level = 0; level < ST_LEVELS; level++) assert_true(s[level] == 0);
  assert_null(st_compaction_pick(v, &o, NULL));
  st_version_unref(v);
}

/* ---- level 0 -------------------------------------------------------------- */

static void level0_trigger(void **state) {
  (void)state;
  st_compaction_options o;
  small_options(&o);
  vb b;
  vb_init(&b);
  vb_file(&b, 0, 10, 100, "c", "e");
  vb_file(&b, 0, 11, 100, "d", "f");
  vb_file(&b, 0, 12, 100, "b", "d");
  vb_file(&b, 1, 1, 100, "a", "a");   /* below the range */
  vb_file(&b, 1, 2, 100, "a0", "c");  /* overlaps at its end */
  vb_file(&b, 1, 3, 100, "e", "e1");  /* inside */
  vb_file(&b, 1, 4, 100, "f", "g");   /* overlaps at its start */
  vb_file(&b, 1, 5, 100, "g1", "z");  /* after */
  st_version *v = vb_finish(&b);
  /* Three level-0 files: below the trigger of 4. */
  assert_null(st_compaction_pick(v, &o, NULL));
  st_version_unref(v);

  vb_init(&b);
  vb_file(&b, 0, 10, 100, "c", "e");
  vb_file(&b, 0, 11, 100, "d", "f");
  vb_file(&b, 0, 12, 100, "b", "d");
  vb_file(&b, 0, 13, 100, "e", "e"); /* a fourth file: due */
  vb_file(&b, 1, 1, 100, "a", "a");
  vb_file(&b, 1, 2, 100, "a0", "c");
  vb_file(&b, 1, 3, 100, "e", "e1");
  vb_file(&b, 1, 4, 100, "f", "g");
  vb_file(&b, 1, 5, 100, "g1", "z");
  v = vb_finish(&b);
  st_compaction *c = st_compaction_pick(v, &o, NULL);
  /* Every level-0 file, newest first, and the level-1 files their user
   * keys [b, f] overlap. */
  expect_inputs(c, "0:13,12,11,10 1:2,3,4");
  assert_int_equal(c->reason, ST_COMPACT_LEVEL0);
  assert_false(c->trivial_move);
  assert_ptr_equal(c->version, v);
  assert_int_equal(st_compaction_input_bytes(c), 700);
  st_compaction_free(c);

  /* Busy: any level-0 file, or an overlapping level-1 file, blocks it
   * (one level-0 compaction at a time); a level-1 file outside does not. */
  uint64_t busy_l0[] = {11};
  st_busy_files busy = {busy_l0, 1};
  assert_null(st_compaction_pick(v, &o, &busy));
  uint64_t busy_l1[] = {99, 4};
  busy.numbers = busy_l1;
  busy.n = 2;
  assert_null(st_compaction_pick(v, &o, &busy));
  uint64_t busy_out[] = {5, 1};
  busy.numbers = busy_out;
  c = st_compaction_pick(v, &o, &busy);
  expect_inputs(c, "0:13,12,11,10 1:2,3,4");
  assert_false(st_compaction_is_busy(c, &busy));
  busy.numbers = busy_l1;
  assert_true(st_compaction_is_busy(c, &busy));
  assert_false(st_compaction_is_busy(c, NULL));
  st_compaction_free(c);
  st_version_unref(v);
}

static void level0_trivial_move(void **state) {
  (void)state;
  st_compaction_options o;
  small_options(&o);
  o.l0_trigger = 1;
  vb b;
  vb_init(&b);
  vb_file(&b, 0, 10, 100, "m", "p");
  vb_file(&b, 1, 1, 100, "a", "c");
  vb_file(&b, 1, 2, 100, "x", "z");
  st_version *v = vb_finish(&b);
  st_compaction *c = st_compaction_pick(v, &o, NULL);
  expect_inputs(c, "0:10 1:");
  assert_true(c->trivial_move);
  st_compaction_free(c);
  st_version_unref(v);

  /* Overlapping level 1: a real compaction. */
  vb_init(&b);
  vb_file(&b, 0, 10, 100, "m", "p");
  vb_file(&b, 1, 1, 100, "a", "m");
  v = vb_finish(&b);
  c = st_compaction_pick(v, &o, NULL);
  expect_inputs(c, "0:10 1:1");
  assert_false(c->trivial_move);
  st_compaction_free(c);
  st_version_unref(v);

  /* Two level-0 files: never a trivial move, even when they are disjoint
   * (level 0 compacts all its files). */
  vb_init(&b);
  vb_file(&b, 0, 10, 100, "m", "p");
  vb_file(&b, 0, 11, 100, "q", "r");
  v = vb_finish(&b);
  c = st_compaction_pick(v, &o, NULL);
  expect_inputs(c, "0:11,10 1:");
  assert_false(c->trivial_move);
  st_compaction_free(c);
  st_version_unref(v);

  /* Nothing below, but a lot two levels down: rewritten, not moved. */
  vb_init(&b);
  vb_file(&b, 0, 10, 100, "m", "p");
  vb_file(&b, 2, 1, 6 * KIB, "a", "n");
  vb_file(&b, 2, 2, 6 * KIB, "o", "z");
  v = vb_finish(&b);
  c = st_compaction_pick(v, &o, NULL);
  expect_inputs(c, "0:10 1:");
  assert_false(c->trivial_move); /* 12 KiB > 10 x 1 KiB */
  st_compaction_free(c);
  o.target_file_bytes = 2 * KIB;
  c = st_compaction_pick(v, &o, NULL);
  assert_true(c->trivial_move); /* 12 KiB <= 10 x 2 KiB */
  st_compaction_free(c);
  st_version_unref(v);
}

/* ---- levels >= 1 -------------------------------------------------------- */

static void size_based(void **state) {
  (void)state;
  st_compaction_options o;
  small_options(&o);
  vb b;
  vb_init(&b);
  /* Level 1 is 12 KiB over a 10 KiB target. */
  vb_file(&b, 1, 1, 4 * KIB, "a", "c");
  vb_file(&b, 1, 2, 4 * KIB, "d", "f");
  vb_file(&b, 1, 3, 4 * KIB, "g", "i");
  vb_file(&b, 2, 11, 8 * KIB, "a", "b");   /* under file 1: 8 KiB per 4 */
  vb_file(&b, 2, 12, 1 * KIB, "e", "e");   /* under file 2 */
  vb_file(&b, 2, 13, 1 * KIB, "f", "g0");  /* under files 2 and 3 */
  vb_file(&b, 2, 14, 4 * KIB, "h", "h");   /* under file 3: 5 KiB per 4 */
  st_version *v = vb_finish(&b);
  st_compaction *c = st_compaction_pick(v, &o, NULL);
  /* The cheapest file to push down: file 2 (2 KiB below per 4 KiB). */
  expect_inputs(c, "1:2 2:12,13");
  assert_int_equal(c->reason, ST_COMPACT_SIZE);
  assert_false(c->trivial_move);
  st_compaction_free(c);

  /* File 2 busy: the next cheapest, file 3 (5 KiB below). */
  uint64_t b2[] = {2};
  st_busy_files busy = {b2, 1};
  c = st_compaction_pick(v, &o, &busy);
  expect_inputs(c, "1:3 2:13,14");
  st_compaction_free(c);
  /* A file below busy blocks every compaction that needs it. */
  uint64_t b13[] = {13};
  busy.numbers = b13;
  c = st_compaction_pick(v, &o, &busy);
  expect_inputs(c, "1:1 2:11");
  st_compaction_free(c);
  /* Everything busy: nothing. */
  uint64_t all[] = {1, 2, 3};
  busy.numbers = all;
  busy.n = 3;
  assert_null(st_compaction_pick(v, &o, &busy));
  st_version_unref(v);
}

static void size_trivial_move(void **state) {
  (void)state;
  st_compaction_options o;
  small_options(&o);
  vb b;
  vb_init(&b);
  vb_file(&b, 2, 1, 60 * KIB, "a", "c");
  vb_file(&b, 2, 2, 60 * KIB, "m", "p"); /* nothing under it at level 3 */
  vb_file(&b, 3, 11, 1 * KIB, "b", "b");
  vb_file(&b, 4, 21, 5 * KIB, "m", "m");
  st_version *v = vb_finish(&b);
  st_compaction *c = st_compaction_pick(v, &o, NULL);
  expect_inputs(c, "2:2 3:");
  assert_int_equal(c->reason, ST_COMPACT_SIZE);
  assert_true(c->trivial_move);
  st_compaction_free(c);
  st_version_unref(v);
}

static void highest_score_wins(void **state) {
  (void)state;
  st_compaction_options o;
  small_options(&o);
  vb b;
  vb_init(&b);
  for (uint64_t n = 1; n <= 4; n++) vb_file(&b, 0, 100 + n, 100, "a", "z"); /* score 1 */
  vb_file(&b, 2, 1, 300 * KIB, "a", "c");                                   /* score 3 */
  vb_file(&b, 3, 2, 2000 * KIB, "a", "z");                                  /* score 2 */
  st_version *v = vb_finish(&b);
  st_compaction *c = st_compaction_pick(v, &o, NULL);
  expect_inputs(c, "2:1 3:2");
  st_compaction_free(c);
  /* Its file busy: the next level by score (3), then level 0. */
  uint64_t b1[] = {1};
  st_busy_files busy = {b1, 1};
  c = st_compaction_pick(v, &o, &busy);
  assert_non_null(c);
  assert_int_equal(c->level, 3);
  st_compaction_free(c);
  uint64_t b12[] = {1, 2};
  busy.numbers = b12;
  busy.n = 2;
  c = st_compaction_pick(v, &o, &busy);
  expect_inputs(c, "0:104,103,102,101 1:");
  st_compaction_free(c);
  st_version_unref(v);
}

/* Files of a level sharing a boundary user key (possible through foreign
 * edits: internal keys do not overlap) are taken together. */
static void boundary_keys_taken_together(void **state) {
  (void)state;
  st_compaction_options o;
  small_options(&o);
  vb b;
  vb_init(&b);
  vb_add(&b, 1, mk(1, 6 * KIB, "a", 9, "c", 8));
  vb_add(&b, 1, mk(2, 6 * KIB, "c", 7, "e", 7)); /* c@7 sorts after c@8 */
  vb_add(&b, 1, mk(3, 6 * KIB, "f", 7, "g", 7));
  st_version *v = vb_finish(&b);
  st_compaction *c = st_compaction_pick(v, &o, NULL);
  expect_inputs(c, "1:1,2 2:");
  assert_false(c->trivial_move); /* two inputs */
  st_compaction_free(c);
  c = st_compaction_range(v, 1, "d", 1, "e", 1, 0);
  expect_inputs(c, "1:1,2 2:");
  st_compaction_free(c);
  st_version_unref(v);
}

/* ---- tombstones ------------------------------------------------------------ */

static st_file_meta *dense(uint64_t number, const char *lo, const char *hi, uint64_t entries, uint64_t tombstones) {
  st_file_meta *f = mk(number, 100, lo, 10, hi, 5);
  f->entries = entries;
  f->tombstones = tombstones;
  return f;
}

static void tombstone_dense(void **state) {
  (void)state;
  st_compaction_options o;
  small_options(&o);
  vb b;
  vb_init(&b);
  vb_add(&b, 1, dense(1, "a", "b", 100, 30));   /* exactly 0.3: not over */
  vb_add(&b, 2, dense(2, "c", "d", 100, 50));   /* 0.5 */
  vb_add(&b, 3, dense(3, "e", "f", 100, 80));   /* 0.8, the densest */
  vb_add(&b, 4, dense(4, "e", "e", 100, 0));    /* under file 3 */
  vb_add(&b, 2, dense(5, "g", "h", 63, 63));    /* too small to matter */
  vb_add(&b, 6, dense(6, "x", "y", 1000, 900)); /* last level: never */
  st_version *v = vb_finish(&b);
  double s[ST_LEVELS];
  st_compaction_scores(v, &o, s);
  for (int level = 0; level < ST_LEVELS; level++) assert_true(s[level] < 1);
  st_compaction *c = st_compaction_pick(v, &o, NULL);
  expect_inputs(c, "3:3 4:4");
  assert_int_equal(c->reason, ST_COMPACT_TOMBSTONES);
  st_compaction_free(c);
  /* Busy: the next densest; nothing below it, yet not a trivial move:
   * the point is to rewrite it. */
  uint64_t b3[] = {3};
  st_busy_files busy = {b3, 1};
  c = st_compaction_pick(v, &o, &busy);
  expect_inputs(c, "2:2 3:");
  assert_int_equal(c->reason, ST_COMPACT_TOMBSTONES);
  assert_false(c->trivial_move);
  st_compaction_free(c);
  uint64_t b23[] = {3, 2};
  busy.numbers = b23;
  busy.n = 2;
  assert_null(st_compaction_pick(v, &o, &busy));
  /* A ratio of 1 or more turns it off. */
  o.tombstone_ratio = 1;
  assert_null(st_compaction_pick(v, &o, NULL));
  st_version_unref(v);

  /* A dense level-0 table takes all of level 0 with it. */
  small_options(&o);
  vb_init(&b);
  vb_add(&b, 0, dense(7, "a", "c", 100, 10));
  vb_add(&b, 0, dense(8, "b", "d", 100, 60));
  vb_add(&b, 1, dense(9, "c", "c", 100, 0));
  v = vb_finish(&b);
  c = st_compaction_pick(v, &o, NULL);
  expect_inputs(c, "0:8,7 1:9");
  assert_int_equal(c->reason, ST_COMPACT_TOMBSTONES);
  st_compaction_free(c);
  st_version_unref(v);

  /* ... also a lone one with nothing below: rewritten, not moved. */
  vb_init(&b);
  vb_add(&b, 0, dense(8, "b", "d", 100, 60));
  v = vb_finish(&b);
  c = st_compaction_pick(v, &o, NULL);
  expect_inputs(c, "0:8 1:");
  assert_int_equal(c->reason, ST_COMPACT_TOMBSTONES);
  assert_false(c->trivial_move);
  st_compaction_free(c);
  st_version_unref(v);

  /* A level due comes first. */
  vb_init(&b);
  vb_add(&b, 2, dense(2, "c", "d", 100, 90));
  for (uint64_t n = 1; n <= 4; n++) vb_file(&b, 0, 100 + n, 100, "a", "z");
  v = vb_finish(&b);
  c = st_compaction_pick(v, &o, NULL);
  assert_int_equal(c->reason, ST_COMPACT_LEVEL0);
  st_compaction_free(c);
  /* ... and while it is busy, nothing: tombstones wait for a quiet tree. */
  uint64_t b101[] = {101};
  busy.numbers = b101;
  busy.n = 1;
  assert_null(st_compaction_pick(v, &o, &busy));
  st_version_unref(v);
}

/* A table of level with keys lo..hi whose range tombstones hide covered
 * bytes of older tables (-1: not estimated yet); few tombstones by count. */
static st_file_meta *deleting(uint64_t number, uint64_t size, const char *lo, const char *hi, int64_t covered) {
  st_file_meta *f = mk(number, size, lo, 10, hi, 5);
  f->tombstones = 5;
  atomic_store(&f->range_dels, 1);
  atomic_store(&f->covered_bytes, covered);
  return f;
}

/* A version of a range-deleting table 1 at level 1 over a table of below
 * bytes at level 2, and a tombstone-dense table 3 elsewhere. */
static st_version *deleting_over(int64_t covered, uint64_t below, int range_dels) {
  vb b;
  vb_init(&b);
  st_file_meta *f = vb_add(&b, 1, deleting(1, 2 * KIB, "c", "d", covered));
  atomic_store(&f->range_dels, range_dels);
  if (below) vb_file(&b, 2, 2, below, "c", "d");
  vb_add(&b, 3, dense(3, "x", "y", 100, 80));
  return vb_finish(&b);
}

/* Range tombstones are weighed by the bytes they hide: a table whose
 * weight passes tombstone_ratio x what its compaction rewrites (and
 * ST_COMPACT_COVERED_MIN_BYTES) goes first, ahead of the tombstone-dense
 * ones, and may move trivially; one not estimated, without range
 * tombstones, hiding too little or over too much does not. */
static void range_deletes_weighed(void **state) {
  (void)state;
  st_compaction_options o;
  small_options(&o);
  o.level_base_bytes = 10 * MIB; /* no level is due */
  struct {
    int64_t covered;
    uint64_t below;
    int range_dels;
    const char *want;
  } cases[] = {
      {200 * KIB, 100 * KIB, 1, "1:1 2:2"}, /* 200 > 0.3 x 102 */
      {200 * KIB, 600 * KIB, 1, "1:1 2:2"}, /* 200 > 0.3 x 602 */
      {200 * KIB, 900 * KIB, 1, "3:3 4:"},  /* 200 < 0.3 x 902: the dense table instead */
      {60 * KIB, 10 * KIB, 1, "3:3 4:"},    /* under ST_COMPACT_COVERED_MIN_BYTES */
      {-1, 10 * KIB, 1, "3:3 4:"},          /* not estimated yet */
      {200 * KIB, 10 * KIB, 0, "3:3 4:"},   /* known to hold no range tombstones */
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    st_version *v = deleting_over(cases[k].covered, cases[k].below, cases[k].range_dels);
    st_compaction *c = st_compaction_pick(v, &o, NULL);
    expect_inputs(c, cases[k].want);
    assert_int_equal(c->reason, cases[k].want[0] == '1' ? ST_COMPACT_RANGE_DELETES : ST_COMPACT_TOMBSTONES);
    assert_false(c->trivial_move);
    st_compaction_free(c);
    st_version_unref(v);
  }

  /* Nothing below it at the next level: a trivial move, on its way down
   * to the data. At the last level it is never due. */
  st_version *v = deleting_over(200 * KIB, 0, 1);
  st_compaction *c = st_compaction_pick(v, &o, NULL);
  expect_inputs(c, "1:1 2:");
  assert_int_equal(c->reason, ST_COMPACT_RANGE_DELETES);
  assert_true(c->trivial_move);
  st_compaction_free(c);
  st_version_unref(v);
  vb b;
  vb_init(&b); /* ... unless it is tombstone-dense too: its deletes are to be dropped on the way */
  vb_add(&b, 1, deleting(1, 2 * KIB, "c", "d", 200 * KIB))->tombstones = 900;
  v = vb_finish(&b);
  c = st_compaction_pick(v, &o, NULL);
  expect_inputs(c, "1:1 2:");
  assert_int_equal(c->reason, ST_COMPACT_RANGE_DELETES);
  assert_false(c->trivial_move);
  st_compaction_free(c);
  st_version_unref(v);
  vb_init(&b);
  vb_add(&b, 6, deleting(1, 2 * KIB, "c", "d", 200 * KIB));
  v = vb_finish(&b);
  assert_null(st_compaction_pick(v, &o, NULL));
  st_version_unref(v);

  /* At level 0 it takes the whole level, as level 0 always does. */
  vb_init(&b);
  vb_add(&b, 0, deleting(5, 2 * KIB, "c", "d", 200 * KIB));
  vb_file(&b, 0, 4, 1 * KIB, "a", "b");
  vb_file(&b, 1, 6, 10 * KIB, "a", "d");
  v = vb_finish(&b);
  c = st_compaction_pick(v, &o, NULL);
  expect_inputs(c, "0:5,4 1:6");
  assert_int_equal(c->reason, ST_COMPACT_RANGE_DELETES);
  st_compaction_free(c);
  st_version_unref(v);
}

/* ---- manual ranges ------------------------------------------------------------ */

static void manual_range(void **state) {
  (void)state;
  vb b;
  vb_init(&b);
  vb_file(&b, 1, 1, 100, "a", "c");
  vb_file(&b, 1, 2, 100, "d", "f");
  vb_file(&b, 1, 3, 100, "g", "i");
  vb_file(&b, 1, 4, 100, "j", "l");
  vb_file(&b, 2, 11, 100, "b", "d");
  vb_file(&b, 2, 12, 100, "k", "k");
  vb_file(&b, 6, 21, 100, "a", "z");
  st_version *v = vb_finish(&b);

  /* [d, j): end is exclusive, so file 4 (from j) stays. */
  st_compaction *c = st_compaction_range(v, 1, "d", 1, "j", 1, 0);
  expect_inputs(c, "1:2,3 2:11");
  assert_int_equal(c->reason, ST_COMPACT_MANUAL);
  assert_false(c->trivial_move);
  st_compaction_free(c);
  /* [c0, j0): from file 1's end to file 4's start. */
  c = st_compaction_range(v, 1, "c0", 2, "j0", 2, 0);
  expect_inputs(c, "1:2,3,4 2:11,12");
  st_compaction_free(c);
  /* Unbounded. */
  c = st_compaction_range(v, 1, NULL, 0, NULL, 0, 0);
  expect_inputs(c, "1:1,2,3,4 2:11,12");
  st_compaction_free(c);
  c = st_compaction_range(v, 1, NULL, 0, "b", 1, 0);
  expect_inputs(c, "1:1 2:11");
  st_compaction_free(c);
  c = st_compaction_range(v, 1, "l", 1, NULL, 0, 0);
  expect_inputs(c, "1:4 2:12");
  st_compaction_free(c);
  /* Nothing there. */
  assert_null(st_compaction_range(v, 1, "m", 1, NULL, 0, 0));
  assert_null(st_compaction_range(v, 1, "c0", 2, "c1", 2, 0));
  assert_null(st_compaction_range(v, 3, NULL, 0, NULL, 0, 1));
  assert_null(st_compaction_range(v, 1, "d", 1, "d", 1, 0)); /* empty range */
  assert_null(st_compaction_range(v, ST_LEVELS, NULL, 0, NULL, 0, 0));
  assert_null(st_compaction_range(v, -1, NULL, 0, NULL, 0, 0));

  /* A lone file with nothing below moves, unless a rewrite is forced. */
  c = st_compaction_range(v, 1, "g", 1, "h", 1, 0);
  expect_inputs(c, "1:3 2:");
  assert_true(c->trivial_move);
  st_compaction_free(c);
  c = st_compaction_range(v, 1, "g", 1, "h", 1, 1);
  expect_inputs(c, "1:3 2:");
  assert_false(c->trivial_move);
  st_compaction_free(c);

  /* The last level is rewritten in place. */
  c = st_compaction_range(v, ST_LEVELS - 1, NULL, 0, NULL, 0, 0);
  expect_inputs(c, "6:21 6:");
  assert_int_equal(c->output_level, ST_LEVELS - 1);
  assert_false(c->trivial_move);
  st_compaction_free(c);
  st_version_unref(v);

  /* Level 0: the files in the range, then every level-0 file sharing
   * keys with what was taken (here 13 through 12), not 14. */
  vb_init(&b);
  vb_file(&b, 0, 11, 100, "a", "b");
  vb_file(&b, 0, 12, 100, "c", "e");
  vb_file(&b, 0, 13, 100, "a", "c");
  vb_file(&b, 0, 14, 100, "x", "y");
  vb_file(&b, 1, 1, 100, "d", "d");
  v = vb_finish(&b);
  c = st_compaction_range(v, 0, "e", 1, "f", 1, 0);
  expect_inputs(c, "0:13,12,11 1:1");
  st_compaction_free(c);
  c = st_compaction_range(v, 0, "x", 1, NULL, 0, 0);
  expect_inputs(c, "0:14 1:");
  assert_true(c->trivial_move);
  st_compaction_free(c);
  c = st_compaction_range(v, 0, NULL, 0, NULL, 0, 1);
  expect_inputs(c, "0:14,13,12,11 1:1");
  assert_true(has_input(c, 0, 14) && has_input(c, 1, 1) && !has_input(c, 1, 14));
  st_compaction_free(c);
  st_version_unref(v);
}

/* ---- tables reads made due ---------------------------------------------- */

static void spend(st_file_meta *f) { atomic_store(&f->allowed_seeks, 0); }

static void read_due(void **state) {
  (void)state;
  st_compaction_options o;
  small_options(&o);
  vb b;
  vb_init(&b);
  st_file_meta *l0 = vb_file(&b, 0, 10, 100, "c", "f");
  vb_file(&b, 0, 11, 100, "x", "y");
  st_file_meta *l1 = vb_file(&b, 1, 1, 100, "a", "b");
  vb_file(&b, 1, 2, 100, "c", "d");
  vb_file(&b, 2, 3, 100, "a", "a");
  st_file_meta *l6 = vb_file(&b, 6, 4, 100, "a", "z");
  st_version *v = vb_finish(&b);
  /* A version adds each table with its allowance: size / 16 KiB, at
   * least 100. */
  assert_int_equal(atomic_load(&l0->allowed_seeks), ST_FILE_MIN_SEEKS);
  assert_int_equal(st_file_allowed_seeks(100 * MIB), 100 * MIB / ST_FILE_SEEK_BYTES);
  assert_null(st_compaction_pick(v, &o, NULL)); /* nothing due */
  spend(l6);
  assert_null(st_compaction_pick(v, &o, NULL)); /* the last level: nowhere to go */
  spend(l1);
  st_compaction *c = st_compaction_pick(v, &o, NULL);
  expect_inputs(c, "1:1 2:3");
  assert_int_equal(c->reason, ST_COMPACT_READS);
  st_compaction_free(c);
  /* At level 0, the whole level goes, as always there; it comes first. */
  spend(l0);
  c = st_compaction_pick(v, &o, NULL);
  expect_inputs(c, "0:11,10 1:2");
  assert_int_equal(c->reason, ST_COMPACT_READS);
  st_compaction_free(c);
  /* Busy: the next one due. */
  uint64_t b10[] = {10};
  st_busy_files busy = {b10, 1};
  c = st_compaction_pick(v, &o, &busy);
  expect_inputs(c, "1:1 2:3");
  st_compaction_free(c);
  /* A level that is due comes before. */
  o.l0_trigger = 2;
  c = st_compaction_pick(v, &o, NULL);
  assert_int_equal(c->reason, ST_COMPACT_LEVEL0);
  st_compaction_free(c);
  st_version_unref(v);

  /* A table a version adds again (a trivial move) starts afresh. */
  vb_init(&b);
  st_file_meta *moved = mk(20, 32 * MIB, "m", 10, "n", 5);
  atomic_store(&moved->allowed_seeks, -5);
  st_file_meta_ref(moved);
  vb_add(&b, 2, moved);
  v = vb_finish(&b);
  assert_int_equal(atomic_load(&moved->allowed_seeks), 32 * MIB / ST_FILE_SEEK_BYTES);
  st_file_meta_unref(moved);
  st_version_unref(v);
}

/* ---- where a flushed table goes --------------------------------------- */

static int flush_level(st_version *v, const st_compaction_options *o, const char *lo, const char *hi,
                       st_compaction *const *running, size_t nrunning) {
  st_file_meta *f = mk(99, 100, lo, 50, hi, 60);
  int level = st_compaction_flush_level(v, o, f, running, nrunning);
  st_file_meta_unref(f);
  return level;
}

static void flushed_table_level(void **state) {
  (void)state;
  st_compaction_options o;
  small_options(&o);
  vb b;
  vb_init(&b);
  st_version *v = vb_finish(&b);
  assert_int_equal(flush_level(v, &o, "a", "z", NULL, 0), 1); /* empty: as deep as allowed */
  st_version_unref(v);

  vb_init(&b);
  vb_file(&b, 0, 10, 100, "m", "p");
  vb_file(&b, 1, 1, 100, "a", "c");
  vb_file(&b, 1, 2, 100, "x", "z");
  vb_file(&b, 2, 3, 6 * KIB, "d0", "k");
  vb_file(&b, 2, 4, 6 * KIB, "l", "l");
  v = vb_finish(&b);
  assert_int_equal(flush_level(v, &o, "o", "q", NULL, 0), 0); /* a level-0 table shares "o".."p" */
  assert_int_equal(flush_level(v, &o, "p", "p", NULL, 0), 0); /* ... its last key */
  assert_int_equal(flush_level(v, &o, "c", "d", NULL, 0), 0); /* level 1 holds "c" */
  assert_int_equal(flush_level(v, &o, "q", "r", NULL, 0), 1); /* in a gap of both */
  assert_int_equal(flush_level(v, &o, "d", "f", NULL, 0), 1); /* 6 KiB below: within 10 x 1 KiB */
  assert_int_equal(flush_level(v, &o, "d", "l", NULL, 0), 0); /* 12 KiB below: too much */
  o.target_file_bytes = 2 * KIB;
  assert_int_equal(flush_level(v, &o, "d", "l", NULL, 0), 1); /* within 10 x 2 KiB */
  small_options(&o);

  st_version_unref(v);

  /* Running compactions write anywhere between their inputs' keys, gaps
   * included: level 0's "a".."b" and "x".."y" compacting into level 1 may
   * write a table from "b" to "x" there, so "m".."n", which overlaps no
   * table, must stay at level 0 while it runs. */
  vb_init(&b);
  vb_file(&b, 0, 10, 100, "a", "b");
  vb_file(&b, 0, 11, 100, "x", "y");
  v = vb_finish(&b);
  st_compaction *c = st_compaction_range(v, 0, NULL, 0, NULL, 0, 1);
  expect_inputs(c, "0:11,10 1:");
  assert_int_equal(flush_level(v, &o, "m", "n", NULL, 0), 1);
  assert_int_equal(flush_level(v, &o, "m", "n", &c, 1), 0);
  assert_int_equal(flush_level(v, &o, "z", "z", &c, 1), 1); /* past its last key */
  st_compaction_free(c);
  st_version_unref(v);

  /* One writing level 2 only leaves level 1 free: what it writes is older
   * than the flushed table, and lies below it. */
  vb_init(&b);
  vb_file(&b, 1, 10, 100, "a", "b");
  vb_file(&b, 1, 11, 100, "x", "y");
  v = vb_finish(&b);
  c = st_compaction_range(v, 1, NULL, 0, NULL, 0, 1);
  expect_inputs(c, "1:10,11 2:");
  assert_int_equal(flush_level(v, &o, "m", "n", &c, 1), 1);
  st_compaction_free(c);
  st_version_unref(v);
}

/* ---- a memtable's range deletes ------------------------------------- */

/* What a flushed table of range deletes would rewrite on its way down:
 * with level 0 not empty, all of it and what it and the deletes overlap in
 * level 1; else what the deletes overlap in the first level they overlap.
 * The deletes' end is taken as inclusive, and NULL reaches past the last
 * key. Then the rule that makes it due. */
static void flush_cost(void **state) {
  (void)state;
  vb b;
  vb_init(&b);
  st_version *v = vb_finish(&b);
  assert_int_equal(st_compaction_flush_cost(v, "a", 1, "z", 1, 7), 7); /* nothing below */
  st_version_unref(v);

  vb_init(&b);
  vb_file(&b, 1, 1, 1 * KIB, "a", "c");
  vb_file(&b, 1, 2, 2 * KIB, "d", "f");
  vb_file(&b, 1, 3, 4 * KIB, "g", "i");
  vb_file(&b, 2, 4, 8 * KIB, "a", "z");
  v = vb_finish(&b);
  assert_int_equal(st_compaction_flush_cost(v, "e", 1, "h", 1, 100), 100 + 6 * KIB);
  assert_int_equal(st_compaction_flush_cost(v, "f", 1, "g", 1, 0), 6 * KIB); /* an end is a key it reaches */
  assert_int_equal(st_compaction_flush_cost(v, "b", 1, NULL, 0, 0), 7 * KIB);
  assert_int_equal(st_compaction_flush_cost(v, "j", 1, "k", 1, 0), 8 * KIB); /* level 1 has a gap there */
  assert_int_equal(st_compaction_flush_cost(v, "0", 1, "1", 1, 0), 0);
  st_version_unref(v);

  vb_init(&b);
  vb_file(&b, 0, 10, 512, "x", "y"); /* widens the span to "y" */
  vb_file(&b, 0, 11, 256, "e", "e");
  vb_file(&b, 1, 1, 1 * KIB, "a", "c");
  vb_file(&b, 1, 2, 2 * KIB, "d", "f");
  vb_file(&b, 1, 3, 4 * KIB, "w", "w");
  vb_file(&b, 2, 4, 8 * KIB, "a", "z");
  v = vb_finish(&b);
  assert_int_equal(st_compaction_flush_cost(v, "b", 1, "c", 1, 100), 100 + 768 + 7 * KIB); /* "b".."y" */
  assert_int_equal(st_compaction_flush_cost(v, "0", 1, "1", 1, 100), 100 + 768 + 7 * KIB); /* "0".."y" */
  st_version_unref(v);

  st_compaction_options o;
  small_options(&o);
  assert_false(st_compaction_covered_due(&o, ST_COMPACT_COVERED_MIN_BYTES - 1, 0));
  assert_true(st_compaction_covered_due(&o, ST_COMPACT_COVERED_MIN_BYTES, 0));
  assert_true(st_compaction_covered_due(&o, 301 * KIB, 1000 * KIB));
  assert_false(st_compaction_covered_due(&o, 300 * KIB, 1000 * KIB));
  o.tombstone_ratio = 1;
  assert_false(st_compaction_covered_due(&o, 1000 * KIB, 1000 * KIB));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(options_and_targets),
      cmocka_unit_test(scores),
      cmocka_unit_test(level0_trigger),
      cmocka_unit_test(level0_trivial_move),
      cmocka_unit_test(size_based),
      cmocka_unit_test(size_trivial_move),
      cmocka_unit_test(highest_score_wins),
      cmocka_unit_test(boundary_keys_taken_together),
      cmocka_unit_test(tombstone_dense),
      cmocka_unit_test(range_deletes_weighed),
      cmocka_unit_test(manual_range),
      cmocka_unit_test(flushed_table_level),
      cmocka_unit_test(flush_cost),
      cmocka_unit_test(read_due),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
