/*
 * inspect.c - strata_verify and strata_sst_dump: checks and listings that
 * need the library's internals, so that the tools stay thin clients of
 * strata.h. Both only read.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "db/db_impl.h"
#include "sst/table.h"
#include "version/version_edit.h"
#include "wal/wal_format.h"
#include "wal/wal_reader.h"

typedef struct names {
  char **v;
  size_t n, cap;
} names;

static void add_name(void *arg, const char *name) {
  names *s = arg;
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 32;
    char **v = realloc(s->v, cap * sizeof *v);
    if (!v) return;
    s->v = v;
    s->cap = cap;
  }
  char *c = strdup(name);
  if (c) s->v[s->n++] = c;
}

static int cmp_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Walks a framed log (a WAL or the manifest): every record's checksum,
 * and each payload through decode (a WAL's sequence numbers too). The
 * newest WAL may end in the torn tail of a crash, which the next open
 * drops: that is reported, not counted as damage; so may it end in the
 * zeros its mapped writer had reserved (the end of the log, FORMAT.md
 * section 6). As at open (recovery.c), only damaged framing can be a torn
 * tail: a whole record that does not decode is damage wherever it is. */
static int verify_log(st_env *env, const char *path, int manifest, int newest, FILE *report,
                      uint64_t *records_out) {
  st_wal_reader *r;
  *records_out = 0;
  int rc = st_wal_reader_open(env, path, manifest ? ST_WAL_TYPE0_ONLY : newest ? ST_WAL_ZERO_TAIL_ENDS : 0, &r);
  if (rc) return rc;
  const char *data;
  size_t len;
  int format; /* a WAL record's type is its batch's header format (recovery.c) */
  uint64_t last_seq = 0; /* sequence numbers grow from record to record, as recovery checks */
  int whole = 0;         /* the failure is a whole record's payload */
  while ((rc = st_wal_read(r, &data, &len, &format)) == STRATA_OK) {
    if (manifest) {
      st_version_edit e;
      st_version_edit_init(&e);
      rc = st_version_edit_decode(&e, data, len);
      st_version_edit_clear(&e);
    } else {
      rc = st_db_log_record_check(data, len, format, st_wal_reader_offset(r) - len - ST_WAL_HEADER, &last_seq);
      whole = rc == STRATA_ECORRUPT;
    }
    if (rc) break;
    (*records_out)++;
  }
  if (rc == STRATA_NOTFOUND) rc = STRATA_OK;
  int found = 1;
  if (rc == STRATA_ECORRUPT && !whole && !manifest && newest &&
      st_wal_reader_valid_after(r, last_seq, &found) == STRATA_OK && !found) {
    if (report)
      fprintf(report, "%s: torn tail of %llu bytes at offset %llu (a crash; the next open drops it)\n", path,
              (unsigned long long)(st_wal_reader_content_end(r) - st_wal_reader_offset(r)),
              (unsigned long long)st_wal_reader_offset(r));
    rc = STRATA_OK;
  } else if (rc && report) {
    fprintf(report, "%s: %s\n", path, strata_errmsg());
  }
  st_wal_reader_close(r);
  return rc;
}

int strata_verify(const char *dir, FILE *report) {
  if (!dir) return st_error(STRATA_EINVAL, "strata_verify: NULL directory");
  st_env *env = st_env_posix();
  names files = {0};
  int rc = env->list_dir(env, dir, add_name, &files);
  if (rc) return rc;
  if (files.n) qsort(files.v, files.n, sizeof *files.v, cmp_names);
  /* The newest log is the highest-numbered one that is not empty, as at
   * open (recovery.c): a crash between creating a log and writing to it
   * leaves the previous one newest, torn tail or zero tail and all. */
  uint64_t newest_log = 0, n;
  for (size_t i = 0; i < files.n; i++) {
    if (!st_db_parse_log_name(files.v[i], &n) || n <= newest_log) continue;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, files.v[i]);
    if (st_env_file_size_or_zero(env, path) > 0) newest_log = n;
  }
  int first = STRATA_OK, checked = 0, bad = 0;
  for (size_t i = 0; i < files.n; i++) {
    char path[PATH_MAX];
    const char *name = files.v[i];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    uint64_t records = 0;
    if (ends_with(name, ".sst")) {
      st_table *t;
      rc = st_table_open(env, path, 0, NULL, 0, &t);
      if (rc == STRATA_OK) {
        rc = st_table_verify(t, report);
        if (rc == STRATA_OK && report)
          fprintf(report, "%s: ok (%llu entries)\n", path, (unsigned long long)st_table_get_props(t)->entries);
        st_table_close(t);
      } else if (report) {
        fprintf(report, "%s: %s\n", path, strata_errmsg());
      }
    } else if (st_db_parse_log_name(name, &n) || strncmp(name, "MANIFEST-", 9) == 0) {
      int manifest = name[0] == 'M';
      rc = verify_log(env, path, manifest, !manifest && n >= newest_log, report, &records);
      if (rc == STRATA_OK && report) fprintf(report, "%s: ok (%llu records)\n", path, (unsigned long long)records);
    } else {
      continue;
    }
    checked++;
    if (rc) {
      bad++;
      if (!first) first = rc;
    }
  }
  for (size_t i = 0; i < files.n; i++) free(files.v[i]);
  free(files.v);
  if (report) fprintf(report, "verify: %d files checked, %d damaged\n", checked, bad);
  return first;
}

int strata_sst_dump(const char *sst_path, FILE *out, int flags) {
  if (!sst_path || !out) return st_error(STRATA_EINVAL, "strata_sst_dump: NULL path or output");
  st_table *t;
  int rc = st_table_open(st_env_posix(), sst_path, 0, NULL, 0, &t);
  if (rc) return rc;
  rc = st_table_dump(t, out, (flags & STRATA_DUMP_ENTRIES) != 0);
  st_table_close(t);
  return rc;
}
