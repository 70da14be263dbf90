/* test_version_fault.c - power loss and I/O failure at every step of the
 * version set's work: the manifest rewrite at open and a sequence of
 * applies. After each, the directory must reopen to the state before or
 * after the interrupted edit, never losing an acknowledged one. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault_env.h"
#include "format/ikey.h"
#include "format/kind.h"
#include "testutil.h"
#include "version/version_set.h"

/* ---- an env that stops the machine after the Nth operation --------------
 * It counts every I/O operation of any kind and, once the limit is passed,
 * freezes the fault env below it, so that the operation numbered limit + 1
 * and all later ones fail: a power cut between two steps. */

typedef struct cut_env {
  st_env base;
  st_env *inner;
  uint64_t ops, limit;
} cut_env;

typedef struct cut_file {
  st_file base;
  st_file *inner;
} cut_file;

static cut_env *ce(st_env *env) { return (cut_env *)env; }
static st_file *in(st_file *f) { return ((cut_file *)f)->inner; }

static st_env *step(st_env *env) {
  cut_env *c = ce(env);
  if (++c->ops > c->limit) fault_env_freeze(c->inner);
  return c->inner;
}

static int c_open_file(st_env *env, const char *path, int mode, st_file **file_out) {
  st_file *inner;
  *file_out = NULL;
  int rc = step(env)->open_file(ce(env)->inner, path, mode, &inner);
  if (rc) return rc;
  cut_file *f = calloc(1, sizeof *f);
  assert_non_null(f);
  f->base.env = env;
  f->inner = inner;
  *file_out = &f->base;
  return STRATA_OK;
}
static int c_append(st_file *f, const void *data, size_t n) { return step(f->env)->append(in(f), data, n); }
static int c_pread(st_file *f, uint64_t off, void *buf, size_t n, size_t *got_out) {
  return step(f->env)->pread(in(f), off, buf, n, got_out);
}
static int c_sync(st_file *f) { return step(f->env)->sync(in(f)); }
static int c_truncate(st_file *f, uint64_t size) { return step(f->env)->truncate(in(f), size); }
static int c_size(st_file *f, uint64_t *size_out) { return ce(f->env)->inner->size(in(f), size_out); }
static int c_close(st_file *f) {
  if (!f) return STRATA_OK;
  int rc = ce(f->env)->inner->close(in(f));
  free(f);
  return rc;
}
static int c_rename(st_env *env, const char *from, const char *to) {
  return step(env)->rename(ce(env)->inner, from, to);
}
static int c_unlink(st_env *env, const char *path) { return step(env)->unlink(ce(env)->inner, path); }
static int c_mkdir(st_env *env, const char *path) { return step(env)->mkdir(ce(env)->inner, path); }
static int c_sync_dir(st_env *env, const char *path) { return step(env)->sync_dir(ce(env)->inner, path); }
static int c_list_dir(st_env *env, const char *path, st_list_fn fn, void *arg) {
  return step(env)->list_dir(ce(env)->inner, path, fn, arg);
}
static int c_exists(st_env *env, const char *path, int *is_dir_out) {
  return ce(env)->inner->exists(ce(env)->inner, path, is_dir_out);
}

static st_env *cut_env_new(st_env *inner, uint64_t limit) {
  cut_env *c = calloc(1, sizeof *c);
  assert_non_null(c);
  c->base = *inner; /* locks, clock and threads pass straight through */
  c->base.open_file = c_open_file;
  c->base.append = c_append;
  c->base.pread = c_pread;
  c->base.sync = c_sync;
  c->base.truncate = c_truncate;
  c->base.size = c_size;
  c->base.close = c_close;
  c->base.rename = c_rename;
  c->base.unlink = c_unlink;
  c->base.mkdir = c_mkdir;
  c->base.sync_dir = c_sync_dir;
  c->base.list_dir = c_list_dir;
  c->base.exists = c_exists;
  c->inner = inner;
  c->limit = limit;
  return &c->base;
}

/* ---- the workload ------------------------------------------------------- */

#define EDITS 5

static void add(st_version_edit *e, int level, uint64_t number, const char *lo, const char *hi) {
  char s[64], l[64];
  st_ikey_pack(s, lo, strlen(lo), st_trailer_pack(3, ST_KIND_PUT));
  st_ikey_pack(l, hi, strlen(hi), st_trailer_pack(3, ST_KIND_PUT));
  st_file_meta *f = st_file_meta_new(number, number * 10, s, strlen(lo) + 8, l, strlen(hi) + 8);
  assert_non_null(f);
  assert_int_equal(st_version_edit_add_file(e, level, f), STRATA_OK);
  st_file_meta_unref(f);
}

/* Edit i (0-based) of the workload: flushes, a compaction, a move. */
static void make_edit(st_version_set *vs, int i, st_version_edit *e) {
  st_version_edit_init(e);
  switch (i) {
    case 0:
      add(e, 0, 100, "a", "c");
      break;
    case 1:
      add(e, 0, 101, "b", "d");
      e->has_log_number = 1;
      e->log_number = 50;
      break;
    case 2:
      assert_int_equal(st_version_edit_delete_file(e, 0, 100), STRATA_OK);
      assert_int_equal(st_version_edit_delete_file(e, 0, 101), STRATA_OK);
      add(e, 1, 102, "a", "b");
      add(e, 1, 103, "g", "h");
      e->has_last_seq = 1;
      e->last_seq = 77;
      break;
    case 3:
      st_version_set_set_last_seq(vs, 90);
      add(e, 0, 104, "x", "y");
      break;
    case 4:
      assert_int_equal(st_version_edit_delete_file(e, 1, 103), STRATA_OK);
      add(e, 2, 103, "g", "h");
      break;
  }
}

/* Existing database: a manifest with a snapshot and two edits. */
static void base_tables(const char *dir) {
  st_version_set *vs;
  assert_int_equal(st_version_set_open(st_env_posix(), dir, &vs), STRATA_OK);
  st_version_edit e;
  st_version_edit_init(&e);
  add(&e, 0, 20, "a", "c");
  assert_int_equal(st_version_set_apply(vs, &e), STRATA_OK);
  st_version_edit_clear(&e);
  st_version_edit_init(&e);
  add(&e, 1, 21, "d", "f");
  e.has_log_number = 1;
  e.log_number = 5;
  assert_int_equal(st_version_set_apply(vs, &e), STRATA_OK);
  st_version_edit_clear(&e);
  st_version_set_close(vs);
}

static void touch(const char *dir, const char *name) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  tu_write_file(path, "x", 1);
}

/* A new, empty directory. */
static void base_new(const char *dir) { (void)dir; }

/* A database of the previous version: logs only, no CURRENT. */
static void base_legacy(const char *dir) {
  touch(dir, "STRATA");
  touch(dir, "000003.log");
  touch(dir, "000009.log");
}

static void state_of(st_version_set *vs, char *out, size_t n) {
  st_version *v = st_version_set_current(vs);
  size_t used = 0;
  for (int level = 0; level < ST_LEVELS; level++)
    for (size_t i = 0; i < v->nfiles[level]; i++)
      used += (size_t)snprintf(out + used, n - used, "L%d:%llu ", level,
                               (unsigned long long)v->files[level][i]->number);
  snprintf(out + used, n - used, "log=%llu seq=%llu", (unsigned long long)st_version_set_log_number(vs),
           (unsigned long long)st_version_set_last_seq(vs));
  st_version_unref(v);
}

/* Runs open and the edits through env. Returns the number of edits
 * acknowledged, or -1 when open failed. Stops at the first failure. */
static int run(st_env *env, const char *dir, char states[EDITS + 1][256]) {
  st_version_set *vs = NULL;
  if (st_version_set_open(env, dir, &vs) != STRATA_OK) return -1;
  if (states) state_of(vs, states[0], 256);
  int acked = 0;
  for (int i = 0; i < EDITS; i++) {
    st_version_edit e;
    make_edit(vs, i, &e);
    int rc = st_version_set_apply(vs, &e);
    st_version_edit_clear(&e);
    if (rc) break;
    acked++;
    if (states) state_of(vs, states[acked], 256);
  }
  st_version_set_close(vs);
  return acked;
}

static void max_number(void *arg, const char *name) {
  uint64_t *max = arg, v = 0;
  const char *p = name;
  if (strncmp(p, "MANIFEST-", 9) == 0) p += 9;
  const char *digits = p;
  for (; *p >= '0' && *p <= '9'; p++) v = v * 10 + (uint64_t)(*p - '0');
  if (p > digits && (*p == '.' || (*p == '\0' && digits != name)) && v > *max) *max = v;
}

/*
 * After an interrupted run that acknowledged `acked` edits (-1: open
 * failed), the directory must open, hold the state before or after the
 * interrupted step, hand out only unused numbers, take a new edit, and
 * open again to the same state.
 */
static void check(const char *dir, int acked, char states[EDITS + 1][256], const char *what) {
  st_version_set *vs = NULL;
  int rc = st_version_set_open(st_env_posix(), dir, &vs);
  if (rc) fail_msg("%s: acked %d: reopen failed: %s (%s)", what, acked, strata_strerror(rc), strata_errmsg());
  char got[256];
  state_of(vs, got, sizeof got);
  int lo = acked < 0 ? 0 : acked, hi = acked < 0 ? 0 : (acked < EDITS ? acked + 1 : EDITS);
  int ok = 0;
  for (int i = lo; i <= hi; i++) ok |= strcmp(got, states[i]) == 0;
  if (!ok)
    fail_msg("%s: acked %d: state \"%s\", expected \"%s\"%s%s%s", what, acked, got, states[lo],
             hi > lo ? " or \"" : "", hi > lo ? states[hi] : "", hi > lo ? "\"" : "");
  uint64_t max = 0;
  assert_int_equal(st_env_posix()->list_dir(st_env_posix(), dir, max_number, &max), STRATA_OK);
  st_version *v = st_version_set_current(vs);
  for (int level = 0; level < ST_LEVELS; level++)
    for (size_t i = 0; i < v->nfiles[level]; i++)
      if (v->files[level][i]->number > max) max = v->files[level][i]->number;
  st_version_unref(v);
  uint64_t n = st_version_set_new_file_number(vs);
  if (n <= max) fail_msg("%s: new number %llu is not above %llu", what, (unsigned long long)n,
                                     (unsigned long long)max);
  st_version_edit e;
  st_version_edit_init(&e);
  add(&e, 6, n, "q", "r");
  assert_int_equal(st_version_set_apply(vs, &e), STRATA_OK);
  st_version_edit_clear(&e);
  state_of(vs, got, sizeof got);
  st_version_set_close(vs);
  assert_int_equal(st_version_set_open(st_env_posix(), dir, &vs), STRATA_OK);
  char again[256];
  state_of(vs, again, sizeof again);
  assert_string_equal(again, got);
  st_version_set_close(vs);
}

typedef void (*base_fn)(const char *dir);

/* The states after open and after each edit, from a run without faults. */
static void reference(base_fn base, char states[EDITS + 1][256]) {
  char *dir = tu_tmpdir();
  base(dir);
  assert_int_equal(run(st_env_posix(), dir, states), EDITS);
  tu_rmdir(dir);
}

/* ---- the loops ---------------------------------------------------------- */

/* Power cut after every operation: op limit + 1 and later ones fail. */
static void cut_everywhere(base_fn base, const char *name) {
  char states[EDITS + 1][256];
  reference(base, states);
  for (uint64_t limit = 0;; limit++) {
    char *dir = tu_tmpdir(), what[128];
    base(dir);
    st_env *fault = fault_env_new();
    st_env *env = cut_env_new(fault, limit);
    int acked = run(env, dir, NULL);
    int finished = ce(env)->ops <= limit;
    assert_int_equal(fault_env_power_loss(fault), STRATA_OK);
    snprintf(what, sizeof what, "%s: power cut after operation %llu", name, (unsigned long long)limit);
    check(dir, acked, states, what);
    free(env);
    fault_env_free(fault);
    tu_rmdir(dir);
    if (finished) {
      assert_int_equal(acked, EDITS);
      assert_true(limit > 10);
      break;
    }
  }
}

static const fault_op kinds[] = {FAULT_OPEN, FAULT_APPEND, FAULT_READ,     FAULT_SYNC,
                                 FAULT_TRUNCATE, FAULT_RENAME, FAULT_UNLINK, FAULT_SYNC_DIR, FAULT_LIST};

/*
 * The Nth operation of each kind fails: once (the process goes on, the
 * machine does not crash), or from then on followed by a power loss. The
 * short-write variant writes half of the Nth append.
 */
static void fail_everywhere(base_fn base, const char *name) {
  char states[EDITS + 1][256];
  reference(base, states);
  for (size_t k = 0; k <= sizeof kinds / sizeof kinds[0]; k++) {
    int short_write = k == sizeof kinds / sizeof kinds[0];
    fault_op op = short_write ? FAULT_APPEND : kinds[k];
    for (int mode = 0; mode < 2; mode++) {
      for (uint64_t n = 1;; n++) {
        char *dir = tu_tmpdir(), what[160];
        base(dir);
        st_env *env = fault_env_new();
        if (short_write)
          fault_env_short_write(env, n);
        else
          fault_env_fail(env, op, n, n % 2 ? STRATA_EIO : STRATA_ENOSPC, mode);
        int acked = run(env, dir, NULL);
        int triggered = fault_env_count(env, op) >= n;
        if (mode)
          assert_int_equal(fault_env_power_loss(env), STRATA_OK);
        else
          fault_env_heal(env);
        snprintf(what, sizeof what, "%s: %s of operation %llu of kind %d%s", name,
                 short_write ? "short write" : "failure", (unsigned long long)n, (int)op,
                 mode ? " then power loss" : "");
        check(dir, acked, states, what);
        fault_env_free(env);
        tu_rmdir(dir);
        if (!triggered) break;
      }
    }
  }
}

static void cut_with_tables(void **state) {
  (void)state;
  cut_everywhere(base_tables, "tables");
}

static void cut_legacy(void **state) {
  (void)state;
  cut_everywhere(base_legacy, "legacy");
}

static void cut_new(void **state) {
  (void)state;
  cut_everywhere(base_new, "new");
}

static void fail_with_tables(void **state) {
  (void)state;
  fail_everywhere(base_tables, "tables");
}

static void fail_legacy(void **state) {
  (void)state;
  fail_everywhere(base_legacy, "legacy");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(cut_with_tables), cmocka_unit_test(cut_legacy),  cmocka_unit_test(cut_new),
      cmocka_unit_test(fail_with_tables), cmocka_unit_test(fail_legacy),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
