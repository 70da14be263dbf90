/* testutil.c - temporary directories and small assertions for the tests. */
#include "testutil.h"

#include "env/env.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *tu_tmpdir(void) {
  const char *base = getenv("TMPDIR");
  char tmpl[4096];
  snprintf(tmpl, sizeof tmpl, "%s/strata-test-XXXXXX", base && *base ? base : "/tmp");
  char *dir = mkdtemp(tmpl);
  assert_non_null(dir);
  return strdup(dir);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  chmod(path, 0755);
  return remove(path);
}

void tu_rmdir(char *path) {
  if (!path) return;
  chmod(path, 0755);
  nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
  free(path);
}

long tu_env_long(const char *name, long def) {
  const char *v = getenv(name);
  return v && *v ? strtol(v, NULL, 10) : def;
}

strata_db *tu_open(const char *dir, const strata_options *o) {
  strata_db *db;
  int rc = strata_open(dir, o, &db);
  if (rc) fail_msg("open %s: %s (%s)", dir, strata_strerror(rc), strata_errmsg());
  return db;
}

void tu_options_tiny_levels(strata_options *o) {
  o->l0_compaction_trigger = 2;
  o->level_base_bytes = 64 << 10;
  o->target_file_bytes = 16 << 10;
  o->background_threads = 3;
}

void tu_key_of(char *out, long i) { snprintf(out, 32, "key%09ld", i); }

void tu_value_of(char *out, long i) { snprintf(out, 64, "value-%ld-%0*d", i, (int)(i % 37), 0); }

void tu_expect_value(strata_db *db, const char *key, const char *val) {
  void *got = NULL;
  size_t len = 0;
  int rc = strata_get(db, key, strlen(key), &got, &len);
  if (rc != STRATA_OK) fail_msg("get %s: %s (%s)", key, strata_strerror(rc), strata_errmsg());
  assert_int_equal(len, strlen(val));
  assert_memory_equal(got, val, len);
  strata_free(got);
}

void tu_expect_missing(strata_db *db, const char *key) {
  void *got = (void *)1;
  size_t len = 1;
  assert_int_equal(strata_get(db, key, strlen(key), &got, &len), STRATA_NOTFOUND);
  assert_null(got);
  assert_int_equal(len, 0);
}

unsigned long long tu_stat(strata_db *db, const char *name) {
  char *text = NULL;
  assert_int_equal(strata_property(db, "strata.stats", &text), STRATA_OK);
  size_t n = strlen(name);
  unsigned long long v = 0;
  int found = 0;
  for (char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
    if (strncmp(line, name, n) == 0 && line[n] == ':') {
      v = strtoull(line + n + 1, NULL, 10);
      found = 1;
      break;
    }
  }
  strata_free(text);
  if (!found) fail_msg("no stat %s", name);
  return v;
}

void tu_write_file(const char *path, const void *data, size_t n) {
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, data, n), (ssize_t)n);
  close(fd);
}

int tu_nth_file(const char *dir, const char *suffix, int idx, char *out, size_t n) {
  struct dirent **names;
  int count = scandir(dir, &names, NULL, alphasort), found = 0;
  size_t sl = strlen(suffix);
  for (int i = 0; i < count; i++) {
    const char *nm = names[i]->d_name;
    size_t l = strlen(nm);
    if (l > sl && strcmp(nm + l - sl, suffix) == 0) {
      if (found == idx) snprintf(out, n, "%s/%s", dir, nm);
      found++;
    }
    free(names[i]);
  }
  free(names);
  return found;
}

static void unlink_entry(void *arg, const char *name) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", (const char *)arg, name);
  unlink(path);
}

void tu_dir_empty(const char *dir) { st_env_posix()->list_dir(st_env_posix(), dir, unlink_entry, (void *)dir); }

void tu_dir_put(const char *dir, const char *name, const void *p, size_t n) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  if (!f) abort();
  if (n && fwrite(p, 1, n, f) != n) abort();
  if (fclose(f) != 0) abort();
}

void tu_flip_byte(const char *path, long off, int mask) {
  FILE *f = fopen(path, "r+b");
  assert_non_null(f);
  fseek(f, off, SEEK_SET);
  int c = fgetc(f);
  fseek(f, off, SEEK_SET);
  fputc(c ^ mask, f);
  fclose(f);
}

long long tu_file_size(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

const char *tu_dir_text(const char *dir, const char *name) {
  static char text[256];
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "rb");
  size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
  if (f) fclose(f);
  text[n] = '\0';
  return text;
}

strata_db *tu_each_stage(strata_db *db, const char *dir, const strata_options *o, void (*check)(strata_db *db)) {
  check(db);
  assert_int_equal(strata_flush(db), STRATA_OK);
  check(db);
  assert_int_equal(strata_compact_range(db, NULL, 0, NULL, 0), STRATA_OK);
  check(db);
  assert_int_equal(strata_close(db), STRATA_OK);
  db = tu_open(dir, o);
  check(db);
  return db;
}
