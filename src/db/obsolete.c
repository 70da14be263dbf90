/*
 * obsolete.c - removing files nothing needs any more: logs older than the
 * manifest's log number, tables no live version references (also those a
 * crash left half-written), old manifests and temp files.
 * Runs at open and after each flush and compaction, one sweep at a time
 * (obsolete_mu). Tables being written are registered as pending first
 * (st_db_pending_new), so none can be mistaken for an orphan.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_impl.h"

typedef struct num_set {
  uint64_t *v;
  size_t n, cap;
  int oom; /* a number was lost: the set cannot be trusted */
} num_set;

static void num_add(void *arg, uint64_t number) {
  num_set *s = arg;
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 64;
    uint64_t *v = realloc(s->v, cap * sizeof *v);
    if (!v) {
      s->oom = 1;
      return;
    }
    s->v = v;
    s->cap = cap;
  }
  s->v[s->n++] = number;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* s must be sorted. */
static int num_has(const num_set *s, uint64_t number) {
  return s->n && bsearch(&number, s->v, s->n, sizeof *s->v, cmp_u64) != NULL;
}

typedef struct sweep {
  strata_db *db;
  num_set live;      /* tables of live versions, and pending ones */
  uint64_t log_number;
  uint64_t manifest;
  int live_complete; /* the live set is trustworthy */
  char **names;      /* the directory's entries */
  size_t nnames, cap_names;
  int names_lost;
} sweep;

/* Parses "<digits><suffix>" exactly; 1 with the number on success. */
static int parse_numbered(const char *name, const char *prefix, const char *suffix, uint64_t *out) {
  size_t pl = strlen(prefix);
  if (strncmp(name, prefix, pl) != 0) return 0;
  const char *p = name + pl;
  uint64_t v = 0;
  const char *start = p;
  for (; *p >= '0' && *p <= '9'; p++) {
    if (v > (UINT64_MAX - 9) / 10) return 0;
    v = v * 10 + (uint64_t)(*p - '0');
  }
  if (p == start || strcmp(p, suffix) != 0) return 0;
  /* Only names strata itself writes (6+ digits, no extra leading zero). */
  char canon[64];
  snprintf(canon, sizeof canon, "%s%06llu%s", prefix, (unsigned long long)v, suffix);
  if (strcmp(canon, name) != 0) return 0;
  *out = v;
  return 1;
}

/* Collects the directory's entries. */
static void list_name(void *arg, const char *name) {
  sweep *s = arg;
  if (s->nnames == s->cap_names) {
    size_t cap = s->cap_names ? s->cap_names * 2 : 64;
    char **v = realloc(s->names, cap * sizeof *v);
    if (!v) {
      s->names_lost = 1;
      return;
    }
    s->names = v;
    s->cap_names = cap;
  }
  char *copy = strdup(name);
  if (copy)
    s->names[s->nnames++] = copy;
  else
    s->names_lost = 1;
}

/* 1 when the file name is obsolete. */
static int doomed(const sweep *s, const char *name) {
  uint64_t n;
  if (st_db_parse_log_name(name, &n)) return n < s->log_number;
  if (parse_numbered(name, "", ".sst", &n)) return s->live_complete && !num_has(&s->live, n);
  if (parse_numbered(name, "MANIFEST-", "", &n)) return n != s->manifest;
  return strcmp(name, "CURRENT.tmp") == 0;
}

static int add_number(uint64_t **v, size_t *n, size_t *cap, uint64_t number) {
  if (*n == *cap) {
    size_t c = *cap ? *cap * 2 : 16;
    uint64_t *nv = realloc(*v, c * sizeof *nv);
    if (!nv) return STRATA_ENOMEM;
    *v = nv;
    *cap = c;
  }
  (*v)[(*n)++] = number;
  return STRATA_OK;
}

uint64_t st_db_pending_new(strata_db *db) {
  st_mutex_lock(&db->mu);
  uint64_t number = st_version_set_new_file_number(db->vs);
  /* Without room to record it, a sweep could take the table for an
   * orphan: sweeps check the counter below instead. */
  if (add_number(&db->pending, &db->npending, &db->cap_pending, number)) db->pending_lost = 1;
  st_mutex_unlock(&db->mu);
  return number;
}

void st_db_pending_done(strata_db *db, uint64_t number) {
  st_mutex_lock(&db->mu);
  for (size_t i = 0; i < db->npending; i++) {
    if (db->pending[i] == number) {
      db->pending[i] = db->pending[--db->npending];
      break;
    }
  }
  st_mutex_unlock(&db->mu);
}

void st_db_delete_obsolete_files(strata_db *db) {
  sweep s = {.db = db};
  st_mutex_lock(&db->obsolete_mu);
  /*
   * The order matters. A table goes from pending (being written) to live
   * (in a version) and never back; the directory is read first, then the
   * pending set, then the live set. A table listed here was then pending,
   * live or obsolete: if pending, it is still pending when the pending set
   * is read or live when the live set is read, so it is never taken for an
   * orphan. Tables created after the listing are not considered at all.
   * A listing that fails partway is swept as far as it got: the reasoning
   * holds for each name read, and the names not read wait for the next
   * sweep.
   */
  (void)db->env->list_dir(db->env, db->dir, list_name, &s);
  s.live_complete = !s.names_lost;
  st_mutex_lock(&db->mu);
  for (size_t i = 0; i < db->npending; i++) num_add(&s.live, db->pending[i]);
  if (db->pending_lost) s.live_complete = 0;
  st_mutex_unlock(&db->mu);
  st_version_set_live_files(db->vs, num_add, &s.live);
  /* A set that missed a number for lack of memory must delete no table. */
  if (s.live.oom) s.live_complete = 0;
  if (s.live.n) qsort(s.live.v, s.live.n, sizeof *s.live.v, cmp_u64);
  s.log_number = st_version_set_log_number(db->vs);
  s.manifest = st_version_set_manifest_number(db->vs);
  for (size_t i = 0; i < s.nnames; i++) {
    char path[PATH_MAX];
    uint64_t n;
    const char *name = s.names[i];
    if (doomed(&s, name)) {
      snprintf(path, sizeof path, "%s/%s", db->dir, name);
      if (parse_numbered(name, "", ".sst", &n)) {
        st_table_cache_evict(db->table_cache, n);
        if (db->block_cache) st_block_cache_erase_file(db->block_cache, n);
      }
      /* A file that cannot be removed now is tried again next time. */
      if (db->env->unlink(db->env, path) == STRATA_OK)
        atomic_fetch_add_explicit(&db->stats.obsolete_files_deleted, 1, memory_order_relaxed);
    }
    free(s.names[i]);
  }
  free(s.names);
  free(s.live.v);
  st_mutex_unlock(&db->obsolete_mu);
}
