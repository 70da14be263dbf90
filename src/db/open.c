/*
 * open.c - strata_open and strata_close: the directory, its lock, the
 * STRATA marker that tells a database from a foreign directory, recovery,
 * a fresh log, and the background sync thread.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "db/db_impl.h"

/* Files that may be present in a directory that is not yet a database:
 * the lock and a marker whose creation a crash interrupted. */
typedef struct dir_scan {
  int foreign;
  char example[256];
} dir_scan;

static void scan_entry(void *arg, const char *name) {
  dir_scan *s = arg;
  if (strcmp(name, ST_LOCK_NAME) == 0 || strcmp(name, ST_MARKER_NAME ".tmp") == 0) return;
  if (!s->foreign) snprintf(s->example, sizeof s->example, "%s", name);
  s->foreign = 1;
}

/* Makes sure dir exists (creating it when allowed). */
static int ensure_dir(st_env *env, const char *dir, const strata_options *o) {
  int is_dir;
  int rc = env->exists(env, dir, &is_dir);
  if (rc == STRATA_OK) {
    if (!is_dir) return st_error(STRATA_EINVAL, "open %s: not a directory", dir);
    return STRATA_OK;
  }
  if (rc != STRATA_NOTFOUND) return rc;
  if (!o->create_if_missing) return st_error(STRATA_EINVAL, "open %s: no such directory (create_if_missing is 0)", dir);
  rc = env->mkdir(env, dir);
  if (rc == STRATA_NOTFOUND)
    return st_error(STRATA_EINVAL, "open %s: cannot create it: its parent directory does not exist", dir);
  if (rc) return rc;
  /* The new directory's own entry must survive a power loss too. */
  char parent[PATH_MAX];
  snprintf(parent, sizeof parent, "%s", dir);
  char *slash = strrchr(parent, '/');
  if (slash == parent)
    slash[1] = '\0';
  else if (slash)
    *slash = '\0';
  else
    snprintf(parent, sizeof parent, ".");
  return env->sync_dir(env, parent);
}

static int text_is(const char *text, size_t len, const char *want) {
  return len == strlen(want) && memcmp(text, want, len) == 0;
}

/* Checks the marker without changing anything: sets *exists_out to 0 when
 * the directory holds no database, else to the marker's format (1 or 2);
 * refuses a foreign directory or another format, and applies
 * create_if_missing / error_if_exists. Runs before the lock is taken so
 * that a refused directory is left exactly as it was. */
static int check_marker(strata_db *db, int *exists_out) {
  char path[PATH_MAX], *text = NULL;
  size_t len;
  *exists_out = 0;
  snprintf(path, sizeof path, "%s/%s", db->dir, ST_MARKER_NAME);
  int rc = st_env_read_all(db->env, path, &text, &len);
  if (rc == STRATA_OK) {
    int format = text_is(text, len, ST_MARKER_TEXT) ? 2 : text_is(text, len, ST_MARKER_TEXT_V1) ? 1 : 0;
    free(text);
    if (!format)
      return st_error(STRATA_EINVAL, "open %s: %s is not a format this version reads (expected \"%s\")", db->dir,
                      ST_MARKER_NAME, "strata database / format 1 or 2");
    if (db->opt.error_if_exists)
      return st_error(STRATA_EINVAL, "open %s: a database exists (error_if_exists is 1)", db->dir);
    *exists_out = format;
    return STRATA_OK;
  }
  if (rc != STRATA_NOTFOUND) return rc;

  dir_scan scan = {0};
  rc = db->env->list_dir(db->env, db->dir, scan_entry, &scan);
  if (rc) return rc;
  if (scan.foreign)
    return st_error(STRATA_EINVAL, "open %s: the directory holds files (such as \"%s\") but is not a strata database",
                    db->dir, scan.example);
  if (!db->opt.create_if_missing)
    return st_error(STRATA_EINVAL, "open %s: no database here (create_if_missing is 0)", db->dir);
  return STRATA_OK;
}

/* Under the lock: creates the marker of a new database. Another process
 * may have created it since check_marker looked; then it is checked again,
 * and *exists_out says which format it found. */
static int create_marker(strata_db *db, int *exists_out) {
  int rc = check_marker(db, exists_out);
  if (rc || *exists_out) return rc;
  return st_env_write_atomic(db->env, db->dir, ST_MARKER_NAME, ST_MARKER_TEXT, strlen(ST_MARKER_TEXT));
}

/* Frees everything open() may have set up; db->mu is initialized. */
static void destroy(strata_db *db) {
  if (db->wal) st_wal_writer_close(db->wal);
  if (db->mem) st_memtable_unref(db->mem);
  for (int i = 0; i < db->nimm; i++) st_memtable_unref(db->imm[i]);
  free(db->busy);
  free(db->running);
  free(db->pending);
  if (db->table_cache) st_table_cache_free(db->table_cache);
  if (db->block_cache) st_block_cache_free(db->block_cache);
  if (db->vs) st_version_set_close(db->vs);
  if (db->lock) db->env->unlock(db->lock);
  st_batch_destroy(&db->group);
  st_cond_destroy(&db->sync_cv);
  st_cond_destroy(&db->flush_cv);
  st_cond_destroy(&db->flushed_cv);
  st_cond_destroy(&db->work_cv);
  st_cond_destroy(&db->compacted_cv);
  st_mutex_destroy(&db->obsolete_mu);
  st_mutex_destroy(&db->mu);
  free(db->dir);
  free(db);
}

static void table_options_from(st_table_options *t, const strata_options *o) {
  st_table_options_init(t);
  t->block_bytes = o->block_bytes;
  t->bloom_bits_per_key = o->bloom_bits_per_key;
  t->compression = o->compression;
}

int st_db_open(const char *dir, const strata_options *o, st_env *env, strata_db **db_out) {
  strata_options defaults;
  char path[PATH_MAX];
  st_error_clear();
  if (db_out) *db_out = NULL;
  if (!dir || !db_out || !*dir) return st_error(STRATA_EINVAL, "strata_open: NULL or empty directory, or NULL db_out");
  if (strlen(dir) > PATH_MAX - 64) return st_error(STRATA_EINVAL, "strata_open: directory path is too long");
  if (!o) {
    strata_options_init(&defaults);
    o = &defaults;
  }
  int rc = st_options_check(o);
  if (rc) return rc;

  strata_db *db = calloc(1, sizeof *db);
  if (!db) return st_error(STRATA_ENOMEM, "strata_open: out of memory");
  st_mutex_init(&db->mu);
  st_cond_init(&db->sync_cv);
  st_cond_init(&db->flush_cv);
  st_cond_init(&db->flushed_cv);
  st_cond_init(&db->work_cv);
  st_cond_init(&db->compacted_cv);
  st_mutex_init(&db->obsolete_mu);
  atomic_init(&db->stop_compacting, 0);
  db->snapshots.next = db->snapshots.prev = &db->snapshots;
  db->env = env;
  db->opt = *o;
  table_options_from(&db->table_opt, o);
  st_compaction_options_init(&db->copt);
  db->copt.l0_trigger = o->l0_compaction_trigger;
  db->copt.level_base_bytes = o->level_base_bytes;
  db->copt.target_file_bytes = o->target_file_bytes;
  db->copt.tombstone_ratio = o->tombstone_compaction_ratio;
  db->dir = strdup(dir);
  if (!db->dir || st_batch_init(&db->group)) {
    db->group.buf = NULL;
    rc = st_error(STRATA_ENOMEM, "strata_open: out of memory");
    goto fail;
  }
  /* Trailing slashes would double up in every path we build. */
  for (size_t n = strlen(db->dir); n > 1 && db->dir[n - 1] == '/'; n--) db->dir[n - 1] = '\0';

  int exists;
  path[0] = '\0';
  if ((rc = ensure_dir(env, db->dir, o))) goto fail;
  if ((rc = check_marker(db, &exists))) goto fail;
  snprintf(path, sizeof path, "%s/%s", db->dir, ST_LOCK_NAME);
  if ((rc = env->lock(env, path, &db->lock))) goto fail;
  if (!exists && (rc = create_marker(db, &exists))) goto fail;
  if (o->block_cache_bytes && (rc = st_block_cache_new(o->block_cache_bytes, &db->block_cache))) goto fail;
  if ((rc = st_table_cache_new(env, db->dir, (size_t)o->max_open_files, db->block_cache,
                               o->mmap_reads ? ST_TABLE_MAP : 0, &db->table_cache)))
    goto fail;
  if ((rc = st_version_set_open(env, db->dir, &db->vs))) goto fail;
  if ((rc = st_memtable_new(o->memtable_bytes, &db->mem))) goto fail;
  if ((rc = st_db_recover(db))) goto fail;
  /* A format-1 database becomes format 2 before its first type-1 record
   * (the new log's first write): from then on, the builds that would
   * misread that record refuse the directory. The rename is atomic, so a
   * crash leaves one marker or the other, and either is read. */
  if (exists == 1 && (rc = st_env_write_atomic(env, db->dir, ST_MARKER_NAME, ST_MARKER_TEXT, strlen(ST_MARKER_TEXT))))
    goto fail;

  /* New writes go to a new log, so that a log is never appended to
   * across opens: its tail was checked once, at the open that ended it. */
  db->wal_number = st_version_set_new_file_number(db->vs);
  st_db_log_path(db, db->wal_number, path, sizeof path);
  if ((rc = st_wal_writer_create(env, path, o->mmap_writes ? ST_WAL_MAP : 0, &db->wal))) goto fail;
  if ((rc = env->sync_dir(env, db->dir))) goto fail;
  st_db_delete_obsolete_files(db);
  if ((rc = st_db_flush_thread_start(db))) goto fail;
  if ((rc = st_db_compaction_threads_start(db))) goto fail;
  if (o->sync_mode == STRATA_SYNC_PERIODIC && (rc = st_db_sync_thread_start(db))) goto fail;
  *db_out = db;
  return STRATA_OK;
fail : {
  st_errsave first;
  st_error_save(&first);
  st_db_compaction_threads_stop(db);
  st_db_flush_thread_stop(db);
  if (db->wal) {
    /* Remove the new, empty log so that a failed open changes nothing. */
    st_wal_writer_close(db->wal);
    db->wal = NULL;
    env->unlink(env, path);
  }
  destroy(db);
  return st_error_restore(&first, rc);
}
}

int strata_open(const char *dir, const strata_options *o, strata_db **db_out) {
  return st_db_open(dir, o, st_env_posix(), db_out);
}

int strata_close(strata_db *db) {
  if (!db) return st_error(STRATA_EINVAL, "strata_close: NULL database");
  st_mutex_lock(&db->mu);
  int iters = db->niters, snaps = db->nsnapshots;
  st_mutex_unlock(&db->mu);
  if (iters || snaps)
    return st_error(STRATA_EBUSY, "close: %d iterator(s) and %d snapshot(s) are still open", iters, snaps);
  st_db_sync_thread_stop(db);
  st_db_compaction_threads_stop(db);
  st_db_flush_thread_stop(db);
  int rc = STRATA_OK;
  st_mutex_lock(&db->mu);
  int readonly = db->bg_error;
  st_mutex_unlock(&db->mu);
  /* Leave nothing in the OS's buffers that a clean close could have made
   * durable; after a failed fsync, a retry proves nothing, and the caller
   * must hear that writes it was told succeeded may not be durable. */
  if (readonly) {
    rc = st_error(STRATA_EREADONLY,
                  "close: the database was read-only after %s; writes acknowledged without "
                  "STRATA_SYNC since the last good fsync may not be durable",
                  strata_strerror(readonly));
  } else {
    int cut = st_wal_finish(db->wal); /* synced even if the cut failed: the records matter more */
    rc = st_wal_sync(db->wal);
    if (!rc) rc = cut;
  }
  int crc = st_wal_writer_close(db->wal);
  if (!rc) rc = crc;
  db->wal = NULL;
  destroy(db);
  return rc;
}
