/* test_version_set.c - the version set: edits that survive reopen, CURRENT
 * and manifest names, file numbers, reference-counted versions and live
 * files, invalid edits, and damaged manifests (flipped bytes, torn tails,
 * a missing or bad CURRENT). Power loss and I/O failure: test_version_fault.c. */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/coding.h"
#include "fault_env.h"
#include "format/ikey.h"
#include "format/kind.h"
#include "testutil.h"
#include "version/version_set.h"
#include "nosync_env.h"

/* ---- helpers ------------------------------------------------------------ */


static st_file_meta *meta(uint64_t number, const char *lo, const char *hi) {
  char s[128], l[128];
  size_t sl = strlen(lo), ll = strlen(hi);
  st_ikey_pack(s, lo, sl, st_trailer_pack(7, ST_KIND_PUT));
  st_ikey_pack(l, hi, ll, st_trailer_pack(7, ST_KIND_PUT));
  st_file_meta *f = st_file_meta_new(number, 100 + number, s, sl + 8, l, ll + 8);
  assert_non_null(f);
  f->min_seq = f->max_seq = 7;
  f->entries = 2;
  return f;
}

static void edit_add(st_version_edit *e, int level, uint64_t number, const char *lo, const char *hi) {
  st_file_meta *f = meta(number, lo, hi);
  assert_int_equal(st_version_edit_add_file(e, level, f), STRATA_OK);
  st_file_meta_unref(f);
}

/* Applies an edit adding one file; returns apply's code. */
static int apply_add(st_version_set *vs, int level, uint64_t number, const char *lo, const char *hi) {
  st_version_edit e;
  st_version_edit_init(&e);
  edit_add(&e, level, number, lo, hi);
  int rc = st_version_set_apply(vs, &e);
  st_version_edit_clear(&e);
  return rc;
}

static int apply_delete(st_version_set *vs, int level, uint64_t number) {
  st_version_edit e;
  st_version_edit_init(&e);
  assert_int_equal(st_version_edit_delete_file(&e, level, number), STRATA_OK);
  int rc = st_version_set_apply(vs, &e);
  st_version_edit_clear(&e);
  return rc;
}

static st_version_set *open_ok(st_env *env, const char *dir) {
  st_version_set *vs = NULL;
  int rc = st_version_set_open(env, dir, &vs);
  if (rc) fail_msg("open %s: %s (%s)", dir, strata_strerror(rc), strata_errmsg());
  return vs;
}

/* "L0:9,5 L1:4 log=3 seq=200": the files per level with their keys'
 * sizes, and the counters, for comparing states. */
static void state_of(st_version_set *vs, char *out, size_t n) {
  st_version *v = st_version_set_current(vs);
  size_t used = 0;
  for (int level = 0; level < ST_LEVELS; level++) {
    if (!v->nfiles[level]) continue;
    used += (size_t)snprintf(out + used, n - used, "L%d:", level);
    for (size_t i = 0; i < v->nfiles[level]; i++) {
      const st_file_meta *f = v->files[level][i];
      used += (size_t)snprintf(out + used, n - used, "%s%llu/%llu", i ? "," : "", (unsigned long long)f->number,
                               (unsigned long long)f->size);
    }
    used += (size_t)snprintf(out + used, n - used, " ");
  }
  snprintf(out + used, n - used, "log=%llu seq=%llu", (unsigned long long)st_version_set_log_number(vs),
           (unsigned long long)st_version_set_last_seq(vs));
  st_version_unref(v);
}

static void expect_state(st_version_set *vs, const char *want) {
  char got[16384];
  state_of(vs, got, sizeof got);
  if (strcmp(got, want) != 0) fail_msg("state \"%s\", expected \"%s\"", got, want);
}

static char *read_file(const char *dir, const char *name, size_t *len_out) {
  char path[4096], *data;
  snprintf(path, sizeof path, "%s/%s", dir, name);
  size_t len = 0;
  if (len_out) *len_out = 0;
  if (st_env_read_all(st_env_posix(), path, &data, &len)) fail_msg("cannot read %s", path);
  if (len_out) *len_out = len;
  return data;
}

static void write_file(const char *dir, const char *name, const void *data, size_t n) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  if (n) assert_int_equal(fwrite(data, 1, n, f), n);
  fclose(f);
}

static void remove_file(const char *dir, const char *name) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  unlink(path);
}

static int cmp_names(const void *a, const void *b) { return strcmp(a, b); }

/* Names in dir starting with prefix, sorted, joined by spaces. */
static void list_names(const char *dir, const char *prefix, char *out, size_t n) {
  char names[64][256];
  int count = 0;
  DIR *d = opendir(dir);
  assert_non_null(d);
  struct dirent *ent;
  while ((ent = readdir(d)) && count < 64)
    if (strcmp(ent->d_name, ".") && strcmp(ent->d_name, "..") && strncmp(ent->d_name, prefix, strlen(prefix)) == 0)
      snprintf(names[count++], 256, "%s", ent->d_name);
  closedir(d);
  qsort(names, (size_t)count, sizeof names[0], cmp_names);
  out[0] = '\0';
  for (int i = 0; i < count; i++) {
    strncat(out, i ? " " : "", n - strlen(out) - 1);
    strncat(out, names[i], n - strlen(out) - 1);
  }
}

static void collect_live(void *arg, uint64_t number) {
  uint64_t *set = arg; /* set[0] = count */
  for (uint64_t i = 1; i <= set[0]; i++)
    if (set[i] == number) return;
  set[++set[0]] = number;
}

static int is_live(st_version_set *vs, uint64_t number) {
  uint64_t set[256] = {0};
  st_version_set_live_files(vs, collect_live, set);
  for (uint64_t i = 1; i <= set[0]; i++)
    if (set[i] == number) return 1;
  return 0;
}

/* A database with four records in its manifest: the snapshot written by
 * open and three edits. Returns the state after each edit in states[]. */
static void make_history(const char *dir, char states[4][256]) {
  st_version_set *vs = open_ok(nosync_env(), dir);
  state_of(vs, states[0], 256);
  assert_int_equal(apply_add(vs, 0, 10, "a", "c"), STRATA_OK);
  state_of(vs, states[1], 256);
  assert_int_equal(apply_add(vs, 1, 11, "d", "f"), STRATA_OK);
  state_of(vs, states[2], 256);
  st_version_set_set_last_seq(vs, 500);
  assert_int_equal(apply_delete(vs, 0, 10), STRATA_OK);
  state_of(vs, states[3], 256);
  st_version_set_close(vs);
}

/* Offsets of the records of a manifest image. */
static int record_offsets(const char *data, size_t len, size_t *offs) {
  int n = 0;
  for (size_t off = 0; off + 8 <= len; off += 8 + st_get_fixed32(data + off + 4)) offs[n++] = off;
  offs[n] = len;
  return n;
}

/* ---- tests -------------------------------------------------------------- */

static void new_dir_starts_empty(void **state) {
  (void)state;
  char *dir = tu_tmpdir(), names[1024];
  st_version_set *vs = open_ok(st_env_posix(), dir);
  expect_state(vs, "log=0 seq=0");
  assert_int_equal(st_version_set_manifest_number(vs), 1);
  assert_int_equal(st_version_set_new_file_number(vs), 2);
  assert_int_equal(st_version_set_tail_dropped_bytes(vs), 0);
  char *current = read_file(dir, "CURRENT", NULL);
  assert_string_equal(current, "MANIFEST-000001\n");
  free(current);
  list_names(dir, "", names, sizeof names);
  assert_string_equal(names, "CURRENT MANIFEST-000001");
  char path[4096];
  st_version_set_manifest_path(dir, 1234567, path, sizeof path);
  assert_non_null(strstr(path, "/MANIFEST-1234567"));
  st_version *v = st_version_set_current(vs);
  for (int level = 0; level < ST_LEVELS; level++) assert_int_equal(v->nfiles[level], 0);
  st_version_unref(v);
  st_version_set_close(vs);
  st_version_set_close(NULL);
  tu_rmdir(dir);
}

static void edits_survive_reopen(void **state) {
  (void)state;
  char *dir = tu_tmpdir(), names[1024], want[256];
  st_version_set *vs = open_ok(st_env_posix(), dir);
  assert_int_equal(apply_add(vs, 0, 5, "a", "z"), STRATA_OK);
  assert_int_equal(apply_add(vs, 0, 6, "b", "c"), STRATA_OK);
  st_version_edit e;
  st_version_edit_init(&e);
  assert_int_equal(st_version_edit_delete_file(&e, 0, 5), STRATA_OK);
  assert_int_equal(st_version_edit_delete_file(&e, 0, 6), STRATA_OK);
  edit_add(&e, 1, 7, "a", "k");
  edit_add(&e, 1, 8, "l", "z");
  e.has_log_number = 1;
  e.log_number = 4;
  e.has_last_seq = 1;
  e.last_seq = 99;
  assert_int_equal(st_version_set_apply(vs, &e), STRATA_OK);
  /* apply filled in next_file. */
  assert_true(e.has_next_file);
  assert_int_equal(e.next_file, 9);
  st_version_edit_clear(&e);
  assert_int_equal(apply_add(vs, 3, 2, "x", "y"), STRATA_OK);
  state_of(vs, want, sizeof want);
  assert_string_equal(want, "L1:7/107,8/108 L3:2/102 log=4 seq=99");
  uint64_t first = st_version_set_manifest_number(vs);
  st_version_set_close(vs);

  for (int round = 0; round < 3; round++) {
    vs = open_ok(st_env_posix(), dir);
    expect_state(vs, want);
    assert_true(st_version_set_manifest_number(vs) > first);
    first = st_version_set_manifest_number(vs);
    char name[64], cur[64];
    snprintf(name, sizeof name, "MANIFEST-%06llu", (unsigned long long)first);
    snprintf(cur, sizeof cur, "%s\n", name);
    char *current = read_file(dir, "CURRENT", NULL);
    assert_string_equal(current, cur);
    free(current);
    /* The old manifest is gone: only the new one remains. */
    list_names(dir, "MANIFEST-", names, sizeof names);
    assert_string_equal(names, name);
    st_version_set_close(vs);
  }
  tu_rmdir(dir);
}

static void file_numbers_never_reused(void **state) {
  (void)state;
  char *dir = tu_tmpdir();
  uint64_t highest = 0;
  for (int round = 0; round < 4; round++) {
    st_version_set *vs = open_ok(st_env_posix(), dir);
    assert_true(st_version_set_manifest_number(vs) > highest);
    highest = st_version_set_manifest_number(vs);
    for (int i = 0; i < 3; i++) {
      uint64_t n = st_version_set_new_file_number(vs);
      assert_true(n > highest);
      highest = n;
    }
    /* A table number that reached an edit, and one that did not (its
     * file exists, as after a crash before the edit). */
    uint64_t t = st_version_set_new_file_number(vs);
    assert_int_equal(apply_add(vs, 0, t, "a", "b"), STRATA_OK);
    uint64_t stray = st_version_set_new_file_number(vs);
    char name[64];
    snprintf(name, sizeof name, "%06llu.sst", (unsigned long long)stray);
    write_file(dir, name, "x", 1);
    highest = stray;
    st_version_set_close(vs);
  }
  /* Numbers the db reports (logs) are never handed out either. */
  st_version_set *vs = open_ok(st_env_posix(), dir);
  st_version_set_mark_file_number_used(vs, highest + 50);
  assert_int_equal(st_version_set_new_file_number(vs), highest + 51);
  st_version_set_mark_file_number_used(vs, 3);
  assert_int_equal(st_version_set_new_file_number(vs), highest + 52);
  st_version_set_close(vs);
  tu_rmdir(dir);
}

/* A directory written by the previous version of strata: logs only. */
static void legacy_dir_opens_empty(void **state) {
  (void)state;
  char *dir = tu_tmpdir(), names[1024];
  write_file(dir, "STRATA", "strata database\nformat 1\n", 25);
  write_file(dir, "LOCK", "", 0);
  write_file(dir, "000003.log", "abc", 3);
  write_file(dir, "000017.log", "", 0);
  write_file(dir, "7.log", "", 0);
  st_version_set *vs = open_ok(st_env_posix(), dir);
  expect_state(vs, "log=0 seq=0");
  assert_int_equal(st_version_set_log_number(vs), 0);
  assert_int_equal(st_version_set_manifest_number(vs), 18);
  assert_int_equal(st_version_set_new_file_number(vs), 19);
  st_version_set_close(vs);
  list_names(dir, "", names, sizeof names);
  assert_string_equal(names, "000003.log 000017.log 7.log CURRENT LOCK MANIFEST-000018 STRATA");
  vs = open_ok(st_env_posix(), dir);
  expect_state(vs, "log=0 seq=0");
  st_version_set_close(vs);
  tu_rmdir(dir);
}

static void readers_keep_old_versions(void **state) {
  (void)state;
  char *dir = tu_tmpdir();
  st_version_set *vs = open_ok(st_env_posix(), dir);
  assert_int_equal(apply_add(vs, 0, 10, "a", "b"), STRATA_OK);
  assert_int_equal(apply_add(vs, 0, 11, "a", "b"), STRATA_OK);
  st_version *r1 = st_version_set_current(vs);
  assert_int_equal(r1->nfiles[0], 2);
  st_file_meta *f10 = r1->files[0][1];
  assert_int_equal(f10->number, 10);

  /* Compaction: 10 and 11 become 12. */
  st_version_edit e;
  st_version_edit_init(&e);
  assert_int_equal(st_version_edit_delete_file(&e, 0, 10), STRATA_OK);
  assert_int_equal(st_version_edit_delete_file(&e, 0, 11), STRATA_OK);
  edit_add(&e, 1, 12, "a", "b");
  assert_int_equal(st_version_set_apply(vs, &e), STRATA_OK);
  st_version_edit_clear(&e);
  st_version *r2 = st_version_set_current(vs);
  assert_int_equal(apply_delete(vs, 1, 12), STRATA_OK);

  /* r1 still sees its files, unchanged, and they count as live. */
  assert_int_equal(r1->nfiles[0], 2);
  assert_int_equal(f10->number, 10);
  assert_true(is_live(vs, 10) && is_live(vs, 11) && is_live(vs, 12));
  st_version_unref(r1);
  assert_false(is_live(vs, 10) || is_live(vs, 11));
  assert_true(is_live(vs, 12));
  /* Refs taken twice need releasing twice. */
  st_version_ref(r2);
  st_version_unref(r2);
  assert_true(is_live(vs, 12));
  st_version_unref(r2);
  assert_false(is_live(vs, 12));

  /* A version released after close is still freed (ASan checks). */
  assert_int_equal(apply_add(vs, 2, 13, "a", "b"), STRATA_OK);
  st_version *late = st_version_set_current(vs);
  assert_int_equal(apply_delete(vs, 2, 13), STRATA_OK);
  st_version *late2 = st_version_set_current(vs);
  st_version_set_close(vs);
  assert_int_equal(late->files[2][0]->number, 13);
  st_version_unref(late);
  st_version_unref(late2);
  tu_rmdir(dir);
}

static void invalid_edits_change_nothing(void **state) {
  (void)state;
  char *dir = tu_tmpdir(), before[256];
  st_version_set *vs = open_ok(st_env_posix(), dir);
  assert_int_equal(apply_add(vs, 1, 10, "c", "e"), STRATA_OK);
  st_version_edit e;
  st_version_edit_init(&e);
  e.has_log_number = 1;
  e.log_number = 5;
  assert_int_equal(st_version_set_apply(vs, &e), STRATA_OK);
  st_version_edit_clear(&e);
  state_of(vs, before, sizeof before);

  assert_int_equal(apply_delete(vs, 0, 10), STRATA_EINVAL);
  assert_non_null(strstr(strata_errmsg(), "where it is not"));
  assert_int_equal(apply_add(vs, 1, 11, "a", "d"), STRATA_EINVAL);
  assert_non_null(strstr(strata_errmsg(), "overlaps"));
  assert_int_equal(apply_add(vs, 0, 10, "x", "y"), STRATA_EINVAL);
  st_version_edit_init(&e);
  e.has_log_number = 1;
  e.log_number = 4;
  assert_int_equal(st_version_set_apply(vs, &e), STRATA_EINVAL);
  assert_non_null(strstr(strata_errmsg(), "below the current"));
  e.log_number = 1000;
  assert_int_equal(st_version_set_apply(vs, &e), STRATA_EINVAL);
  e.has_log_number = 0;
  e.has_last_seq = 1;
  e.last_seq = ST_SEQ_MAX + 1;
  assert_int_equal(st_version_set_apply(vs, &e), STRATA_EINVAL);
  st_version_edit_clear(&e);
  st_version_edit_init(&e);
  st_file_meta *f = meta(20, "x", "y");
  f->min_seq = 9;
  f->max_seq = 8;
  assert_int_equal(st_version_edit_add_file(&e, 0, f), STRATA_OK);
  assert_int_equal(st_version_set_apply(vs, &e), STRATA_EINVAL);
  assert_non_null(strstr(strata_errmsg(), "min_seq"));
  st_version_edit_clear(&e);
  st_file_meta_unref(f);
  expect_state(vs, before);

  /* The set is still usable and nothing invalid reached the manifest. */
  assert_int_equal(apply_add(vs, 1, 21, "f", "g"), STRATA_OK);
  state_of(vs, before, sizeof before);
  st_version_set_close(vs);
  vs = open_ok(st_env_posix(), dir);
  expect_state(vs, before);
  st_version_set_close(vs);
  tu_rmdir(dir);
}

static void counters_are_recorded(void **state) {
  (void)state;
  char *dir = tu_tmpdir();
  st_version_set *vs = open_ok(st_env_posix(), dir);
  st_version_set_set_last_seq(vs, 40);
  st_version_set_set_last_seq(vs, 30); /* never goes back */
  assert_int_equal(st_version_set_last_seq(vs), 40);
  st_version_edit e;
  st_version_edit_init(&e);
  assert_int_equal(st_version_set_apply(vs, &e), STRATA_OK);
  assert_int_equal(e.last_seq, 40);
  st_version_edit_clear(&e);
  /* A lower last_seq in an edit is raised to the set's. */
  st_version_edit_init(&e);
  e.has_last_seq = 1;
  e.last_seq = 10;
  assert_int_equal(st_version_set_apply(vs, &e), STRATA_OK);
  assert_int_equal(e.last_seq, 40);
  st_version_edit_clear(&e);
  st_version_set_set_last_seq(vs, 45); /* not in any edit: lost on reopen */
  st_version_set_close(vs);
  vs = open_ok(st_env_posix(), dir);
  assert_int_equal(st_version_set_last_seq(vs), 40);
  /* The snapshot at open carries it on. */
  st_version_set_close(vs);
  vs = open_ok(st_env_posix(), dir);
  assert_int_equal(st_version_set_last_seq(vs), 40);
  st_version_set_close(vs);
  tu_rmdir(dir);
}

static void expect_open_corrupt(const char *dir, const char *text) {
  st_version_set *vs = NULL;
  int rc = st_version_set_open(nosync_env(), dir, &vs);
  if (rc != STRATA_ECORRUPT) fail_msg("open gave %s (%s), expected ECORRUPT", strata_strerror(rc), strata_errmsg());
  assert_null(vs);
  if (!strstr(strata_errmsg(), text)) fail_msg("message \"%s\" lacks \"%s\"", strata_errmsg(), text);
}

static void bad_current(void **state) {
  (void)state;
  char *dir = tu_tmpdir();
  st_version_set *vs = open_ok(nosync_env(), dir);
  char good[64];
  snprintf(good, sizeof good, "MANIFEST-%06llu\n", (unsigned long long)st_version_set_manifest_number(vs));
  st_version_set_close(vs);
  const char *bad[] = {"", "\n", "MANIFEST-000001", "MANIFEST-1\n", "MANIFEST-0000001\n", "MANIFEST-000001\n\n",
                       "MANIFEST-000001 \n", "manifest-000001\n", "MANIFEST-\n", "MANIFEST-99999999999999999999\n",
                       "../MANIFEST-000001\n"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    write_file(dir, "CURRENT", bad[i], strlen(bad[i]));
    expect_open_corrupt(dir, "CURRENT: expected \"MANIFEST-<number>\\n\"");
  }
  write_file(dir, "CURRENT", "MANIFEST-000001\0\n", 17);
  expect_open_corrupt(dir, "found \"MANIFEST-000001\\x00\\x0a\"");
  /* Names a manifest that is not there. */
  write_file(dir, "CURRENT", "MANIFEST-000777\n", 16);
  expect_open_corrupt(dir, "names MANIFEST-000777, which does not exist");
  /* Nothing was changed by the failed opens. */
  write_file(dir, "CURRENT", good, strlen(good));
  vs = open_ok(nosync_env(), dir);
  st_version_set_close(vs);
  tu_rmdir(dir);
}

/* Restores dir to CURRENT + the manifest image (name, data). */
static void restore(const char *dir, const char *name, const char *data, size_t len) {
  char names[4096], *p, *save = NULL;
  list_names(dir, "", names, sizeof names);
  for (p = strtok_r(names, " ", &save); p; p = strtok_r(NULL, " ", &save)) remove_file(dir, p);
  char cur[64];
  snprintf(cur, sizeof cur, "%s\n", name);
  write_file(dir, "CURRENT", cur, strlen(cur));
  write_file(dir, name, data, len);
}

/* A history of four states (make_history) and its manifest as it is:
 * name (64 bytes), its bytes (returned, malloc'ed, *len_out of them) and
 * the offsets of its four records (offs[4] = the length). */
static char *history_image(const char *dir, char states[4][256], char *name, size_t *len_out, size_t offs[16]) {
  make_history(dir, states);
  char *cur = read_file(dir, "CURRENT", NULL);
  snprintf(name, 64, "%.*s", (int)strlen(cur) - 1, cur);
  free(cur);
  char *image = read_file(dir, name, len_out);
  int n = record_offsets(image, *len_out, offs);
  assert_int_equal(n, 4);
  assert_int_equal(offs[n], *len_out);
  return image;
}

static void flipped_bytes(void **state) {
  (void)state;
  char *dir = tu_tmpdir(), states[4][256], name[64];
  size_t len, offs[16];
  char *image = history_image(dir, states, name, &len, offs);
  int n = 4;

  /* Every byte of every record but the last: corruption, named with the
   * file and the damaged record's offset. */
  for (size_t at = 0; at < offs[n - 1]; at++) {
    int rec = 0;
    while (offs[rec + 1] <= at) rec++;
    for (int bit = 0; bit < 8; bit += 7) {
      image[at] ^= (char)(1 << bit);
      restore(dir, name, image, len);
      char where[128];
      snprintf(where, sizeof where, "%s: damaged record at offset %zu", name, offs[rec]);
      st_version_set *vs = NULL;
      int rc = st_version_set_open(nosync_env(), dir, &vs);
      if (rc != STRATA_ECORRUPT || !strstr(strata_errmsg(), where))
        fail_msg("flip at %zu (record %d): %s: %s", at, rec, strata_strerror(rc), strata_errmsg());
      image[at] ^= (char)(1 << bit);
    }
  }
  /* In the last record, a flip cannot be told from a torn write: the edit
   * was never acknowledged as far as the manifest can tell. */
  for (size_t at = offs[n - 1]; at < len; at++) {
    image[at] ^= 0x10;
    restore(dir, name, image, len);
    st_version_set *vs = open_ok(nosync_env(), dir);
    expect_state(vs, states[2]);
    assert_int_equal(st_version_set_tail_dropped_bytes(vs), len - offs[n - 1]);
    st_version_set_close(vs);
    image[at] ^= 0x10;
  }
  restore(dir, name, image, len);
  st_version_set *vs = open_ok(nosync_env(), dir);
  expect_state(vs, states[3]);
  st_version_set_close(vs);
  free(image);
  tu_rmdir(dir);
}

static void torn_tails(void **state) {
  (void)state;
  char *dir = tu_tmpdir(), states[4][256], name[64];
  size_t len, offs[16];
  char *image = history_image(dir, states, name, &len, offs);
  int n = 4;

  /* Every cut: the edits whose records are whole survive. */
  for (size_t cut = offs[1]; cut < len; cut++) {
    restore(dir, name, image, cut);
    st_version_set *vs = open_ok(nosync_env(), dir);
    int whole = 0;
    while (whole < n && offs[whole + 1] <= cut) whole++;
    expect_state(vs, states[whole - 1]);
    assert_int_equal(st_version_set_tail_dropped_bytes(vs), cut - offs[whole]);
    st_version_set_close(vs);
  }
  /* Zeros or garbage after the last record (a size that reached the disk
   * before the data did). */
  char *longer = malloc(len + 100);
  memcpy(longer, image, len);
  memset(longer + len, 0, 100);
  restore(dir, name, longer, len + 100);
  st_version_set *vs = open_ok(nosync_env(), dir);
  expect_state(vs, states[3]);
  assert_int_equal(st_version_set_tail_dropped_bytes(vs), 100);
  st_version_set_close(vs);
  for (int i = 0; i < 100; i++) longer[len + (size_t)i] = (char)(i * 37 + 1);
  restore(dir, name, longer, len + 100);
  vs = open_ok(nosync_env(), dir);
  expect_state(vs, states[3]);
  st_version_set_close(vs);
  /* A whole record appended twice is not a tail: a valid record follows
   * the garbage. */
  memcpy(longer + len, "garbage!", 8);
  memcpy(longer + len + 8, image + offs[3], len - offs[3]);
  restore(dir, name, longer, len + 8 + (len - offs[3]));
  expect_open_corrupt(dir, "valid records follow it");
  free(longer);

  /* The first record is never a tail: CURRENT names only a manifest whose
   * snapshot is durable. */
  for (size_t cut = 0; cut < offs[1]; cut++) {
    restore(dir, name, image, cut);
    expect_open_corrupt(dir, cut == 0 ? "is empty" : "damaged record at offset 0");
  }
  free(image);
  tu_rmdir(dir);
}

static void missing_current(void **state) {
  (void)state;
  char *dir = tu_tmpdir(), states[4][256], names[1024];
  make_history(dir, states);
  st_version_set *vs = open_ok(nosync_env(), dir); /* a snapshot-only manifest */
  uint64_t m = st_version_set_manifest_number(vs);
  st_version_set_close(vs);
  /* The rename of CURRENT did not reach the disk, so it is gone; newer
   * manifests exist whose creation never completed. */
  remove_file(dir, "CURRENT");
  char name[64];
  snprintf(name, sizeof name, "MANIFEST-%06llu", (unsigned long long)(m + 5));
  write_file(dir, name, "", 0);
  snprintf(name, sizeof name, "MANIFEST-%06llu", (unsigned long long)(m + 6));
  write_file(dir, name, "\x01\x02\x03\x04\x30\0\0\0VERSEDIT", 16);
  write_file(dir, "CURRENT.tmp", "MANIFEST-", 9);
  vs = open_ok(nosync_env(), dir);
  expect_state(vs, states[3]);
  assert_true(st_version_set_manifest_number(vs) > m + 6);
  st_version_set_close(vs);
  list_names(dir, "MANIFEST-", names, sizeof names);
  assert_null(strchr(names, ' ')); /* the others were removed */

  /* Without CURRENT, a manifest damaged after its first record is still
   * corruption. */
  vs = open_ok(nosync_env(), dir);
  assert_int_equal(apply_add(vs, 0, 90, "a", "b"), STRATA_OK);
  assert_int_equal(apply_add(vs, 0, 91, "a", "b"), STRATA_OK);
  snprintf(name, sizeof name, "MANIFEST-%06llu", (unsigned long long)st_version_set_manifest_number(vs));
  st_version_set_close(vs);
  size_t len, offs[16] = {0};
  char *image = read_file(dir, name, &len);
  assert_true(record_offsets(image, len, offs) >= 2);
  image[offs[1] + 12] ^= 1;
  write_file(dir, name, image, len);
  remove_file(dir, "CURRENT");
  expect_open_corrupt(dir, "valid records follow it");
  free(image);
  tu_rmdir(dir);
}

static void failed_apply_is_sticky(void **state) {
  (void)state;
  char *dir = tu_tmpdir(), before[256];
  st_env *env = fault_env_new();
  st_version_set *vs = open_ok(env, dir);
  assert_int_equal(apply_add(vs, 0, 10, "a", "b"), STRATA_OK);
  state_of(vs, before, sizeof before);
  fault_env_fail(env, FAULT_SYNC, 1, STRATA_EIO, 0);
  assert_int_equal(apply_add(vs, 0, 11, "a", "b"), STRATA_EIO);
  expect_state(vs, before);
  /* The failed edit may be on disk: its file must not be deleted. */
  assert_true(is_live(vs, 10) && is_live(vs, 11));
  assert_int_equal(apply_add(vs, 0, 12, "a", "b"), STRATA_EREADONLY);
  assert_non_null(strstr(strata_errmsg(), "reopen"));
  assert_false(is_live(vs, 12));
  st_version_set_close(vs);
  /* Reopened: the record reached the file (only its fsync failed). */
  vs = open_ok(env, dir);
  assert_true(is_live(vs, 11));
  assert_int_equal(apply_add(vs, 0, 12, "a", "b"), STRATA_OK);
  st_version_set_close(vs);
  fault_env_free(env);
  tu_rmdir(dir);
}

/* ---- threads ------------------------------------------------------------ */

typedef struct reader_arg {
  st_version_set *vs;
  atomic_int *stop;
  long checks;
} reader_arg;

static void count_live(void *arg, uint64_t number) {
  (void)number;
  (*(long *)arg)++;
}

static void *reader_main(void *p) {
  reader_arg *a = p;
  while (!atomic_load(a->stop)) {
    st_version *v = st_version_set_current(a->vs);
    /* A version never changes: its level 1 stays sorted and whole. */
    for (size_t i = 1; i < v->nfiles[1]; i++)
      if (st_ikey_compare(v->files[1][i - 1]->largest, v->files[1][i - 1]->largest_len, v->files[1][i]->smallest,
                          v->files[1][i]->smallest_len) >= 0)
        abort();
    for (size_t i = 1; i < v->nfiles[0]; i++)
      if (v->files[0][i - 1]->number <= v->files[0][i]->number) abort();
    long live = 0;
    st_version_set_live_files(a->vs, count_live, &live);
    if (live < (long)(v->nfiles[0] + v->nfiles[1])) abort();
    (void)st_version_set_new_file_number(a->vs);
    st_version_unref(v);
    a->checks++;
  }
  return NULL;
}

static void concurrent_readers(void **state) {
  (void)state;
  char *dir = tu_tmpdir();
  st_version_set *vs = open_ok(nosync_env(), dir);
  atomic_int stop = 0;
  pthread_t th[4];
  reader_arg args[4];
  for (int i = 0; i < 4; i++) {
    args[i] = (reader_arg){.vs = vs, .stop = &stop};
    assert_int_equal(pthread_create(&th[i], NULL, reader_main, &args[i]), 0);
  }
  /* Flushes to level 0 and compactions of them into level 1. */
  int next_key = 0;
  for (int round = 0; round < 150; round++) {
    uint64_t a = st_version_set_new_file_number(vs), b = st_version_set_new_file_number(vs);
    assert_int_equal(apply_add(vs, 0, a, "a", "z"), STRATA_OK);
    assert_int_equal(apply_add(vs, 0, b, "a", "z"), STRATA_OK);
    st_version_edit e;
    st_version_edit_init(&e);
    assert_int_equal(st_version_edit_delete_file(&e, 0, a), STRATA_OK);
    char lo[16], hi[16];
    snprintf(lo, sizeof lo, "k%05d", next_key++);
    snprintf(hi, sizeof hi, "k%05d", next_key++);
    edit_add(&e, 1, st_version_set_new_file_number(vs), lo, hi);
    assert_int_equal(st_version_set_apply(vs, &e), STRATA_OK);
    st_version_edit_clear(&e);
  }
  atomic_store(&stop, 1);
  for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
  st_version *v = st_version_set_current(vs);
  assert_int_equal(v->nfiles[0], 150);
  assert_int_equal(v->nfiles[1], 150);
  st_version_unref(v);
  char want[16384];
  state_of(vs, want, sizeof want);
  st_version_set_close(vs);
  vs = open_ok(nosync_env(), dir);
  expect_state(vs, want);
  st_version_set_close(vs);
  tu_rmdir(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(new_dir_starts_empty),
      cmocka_unit_test(edits_survive_reopen),
      cmocka_unit_test(file_numbers_never_reused),
      cmocka_unit_test(legacy_dir_opens_empty),
      cmocka_unit_test(readers_keep_old_versions),
      cmocka_unit_test(invalid_edits_change_nothing),
      cmocka_unit_test(counters_are_recorded),
      cmocka_unit_test(bad_current),
      cmocka_unit_test(flipped_bytes),
      cmocka_unit_test(torn_tails),
      cmocka_unit_test(missing_current),
      cmocka_unit_test(failed_apply_is_sticky),
      cmocka_unit_test(concurrent_readers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
