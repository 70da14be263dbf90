/*
 * fault_env.c - the fault-injecting env: forwards to the POSIX env, counts
 * operations per kind, fails the ones a test asked for, and remembers per
 * path how much is synced and whether its directory entry is durable.
 */
#include "fault_env.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"

typedef struct tracked {
  char *path;
  uint64_t synced;  /* bytes that survive a power loss */
  int durable;      /* the directory entry survives a power loss */
  /* A rename or unlink replaced or removed a file that a power loss would
   * have kept: until the directory is synced, a power loss puts these
   * bytes back under the name. */
  char *prior;
  size_t prior_len;
  int has_prior;
  int absent; /* no file has the name now; the record only holds prior */
  struct tracked *next;
} tracked;

typedef struct fault_env {
  st_env base;
  st_env *real;
  pthread_mutex_t mu;
  uint64_t count[FAULT_OPS];
  uint64_t fail_at[FAULT_OPS]; /* 0: none */
  int fail_code[FAULT_OPS];
  int fail_sticky[FAULT_OPS];
  char fail_path[FAULT_OPS][64]; /* "": every path counts */
  uint64_t path_count[FAULT_OPS]; /* operations on matching paths */
  uint64_t short_at; /* append number to cut short, 0: none */
  uint64_t total;    /* operations of every kind */
  uint64_t freeze_at; /* freeze once total passes this, 0: never */
  int frozen;
  tracked *files;
} fault_env;

typedef struct fault_file {
  st_file base;
  st_file *inner;
  char *path;
} fault_file;

static const char *op_names[FAULT_OPS] = {"open", "append", "read", "sync", "truncate", "rename",
                                          "unlink", "mkdir", "sync_dir", "list", "lock"};

static fault_env *fe(st_env *env) { return (fault_env *)env; }

/* Counts an operation and decides whether it fails. Returns 0 or a code. */
static int tick(fault_env *e, fault_op op, const char *path) {
  pthread_mutex_lock(&e->mu);
  uint64_t n = ++e->count[op];
  if (e->fail_path[op][0]) {
    /* Only operations on matching paths count toward the failure. */
    n = path && strstr(path, e->fail_path[op]) ? ++e->path_count[op] : 0;
  }
  int code = 0;
  e->total++;
  if (e->freeze_at && e->total > e->freeze_at) e->frozen = 1;
  if (e->frozen) {
    code = STRATA_EIO;
  } else if (n && e->fail_at[op] && (n == e->fail_at[op] || (e->fail_sticky[op] && n > e->fail_at[op]))) {
    code = e->fail_code[op];
  }
  pthread_mutex_unlock(&e->mu);
  if (code)
    return st_error(code, "%s %s: injected failure (%s)", op_names[op], path ? path : "", strata_strerror(code));
  return 0;
}

/* The record for path; created (not durable, nothing synced) if absent. */
static tracked *track(fault_env *e, const char *path, int create) {
  for (tracked *t = e->files; t; t = t->next)
    if (strcmp(t->path, path) == 0) return t;
  if (!create) return NULL;
  tracked *t = calloc(1, sizeof *t);
  if (!t) abort();
  t->path = strdup(path);
  t->next = e->files;
  e->files = t;
  return t;
}

static void free_tracked(tracked *t) {
  free(t->path);
  free(t->prior);
  free(t);
}

static void untrack(fault_env *e, const char *path) {
  for (tracked **p = &e->files; *p; p = &(*p)->next) {
    if (strcmp((*p)->path, path) == 0) {
      tracked *t = *p;
      *p = t->next;
      free_tracked(t);
      return;
    }
  }
}

static int f_open_file(st_env *env, const char *path, int mode, st_file **file_out) {
  fault_env *e = fe(env);
  *file_out = NULL;
  int rc = tick(e, FAULT_OPEN, path);
  if (rc) return rc;
  int existed = e->real->exists(e->real, path, NULL) == STRATA_OK;
  st_file *inner;
  rc = e->real->open_file(e->real, path, mode, &inner);
  if (rc) return rc;
  fault_file *f = calloc(1, sizeof *f);
  if (!f) abort();
  f->base.env = env;
  f->inner = inner;
  f->path = strdup(path);
  pthread_mutex_lock(&e->mu);
  if (!existed && mode != ST_OPEN_READ) {
    tracked *t = track(e, path, 1); /* new, or where a file was removed: its prior stays */
    t->absent = 0;
    t->synced = 0;
  }
  if (existed && mode != ST_OPEN_READ && !track(e, path, 0)) {
    /* A file from before this env: all of it is durable so far. */
    uint64_t size = 0;
    e->real->size(inner, &size);
    tracked *t = track(e, path, 1);
    t->durable = 1;
    t->synced = mode == ST_OPEN_TRUNCATE ? 0 : size;
  }
  pthread_mutex_unlock(&e->mu);
  *file_out = &f->base;
  return STRATA_OK;
}

static int f_append(st_file *file, const void *data, size_t n) {
  fault_file *f = (fault_file *)file;
  fault_env *e = fe(file->env);
  pthread_mutex_lock(&e->mu);
  int cut = e->short_at && e->count[FAULT_APPEND] + 1 == e->short_at;
  pthread_mutex_unlock(&e->mu);
  int rc = tick(e, FAULT_APPEND, f->path);
  if (rc) return rc;
  if (cut) {
    e->real->append(f->inner, data, n / 2);
    return st_error(STRATA_EIO, "append %s: injected short write (%zu of %zu bytes)", f->path, n / 2, n);
  }
  return e->real->append(f->inner, data, n);
}

static int f_pread(st_file *file, uint64_t off, void *buf, size_t n, size_t *got_out) {
  fault_file *f = (fault_file *)file;
  *got_out = 0;
  int rc = tick(fe(file->env), FAULT_READ, f->path);
  if (rc) return rc;
  return fe(file->env)->real->pread(f->inner, off, buf, n, got_out);
}

static int f_sync(st_file *file) {
  fault_file *f = (fault_file *)file;
  fault_env *e = fe(file->env);
  int rc = tick(e, FAULT_SYNC, f->path);
  if (rc) return rc;
  rc = e->real->sync(f->inner);
  if (rc) return rc;
  uint64_t size = 0;
  e->real->size(f->inner, &size);
  pthread_mutex_lock(&e->mu);
  tracked *t = track(e, f->path, 0);
  if (t) t->synced = size;
  pthread_mutex_unlock(&e->mu);
  return STRATA_OK;
}

static int f_truncate(st_file *file, uint64_t size) {
  fault_file *f = (fault_file *)file;
  fault_env *e = fe(file->env);
  int rc = tick(e, FAULT_TRUNCATE, f->path);
  if (rc) return rc;
  rc = e->real->truncate(f->inner, size);
  pthread_mutex_lock(&e->mu);
  tracked *t = track(e, f->path, 0);
  if (t && t->synced > size) t->synced = size;
  pthread_mutex_unlock(&e->mu);
  return rc;
}

static int f_size(st_file *file, uint64_t *size_out) {
  fault_file *f = (fault_file *)file;
  return fe(file->env)->real->size(f->inner, size_out);
}

static int f_close(st_file *file) {
  if (!file) return STRATA_OK;
  fault_file *f = (fault_file *)file;
  int rc = fe(file->env)->real->close(f->inner);
  free(f->path);
  free(f);
  return rc;
}

/* What a power loss would leave under a name: bytes (owned) when has. */
typedef struct survivor {
  char *bytes;
  size_t len;
  int has;
} survivor;

/* What a power loss would leave under path now, copied for a record that
 * replaces the name's: the file's synced bytes when its entry is durable
 * (a file from before this env counts as durable and wholly synced), else
 * what the name held before, if anything. mu held. */
static survivor survivor_of(fault_env *e, const char *path) {
  survivor s = {NULL, 0, 0};
  tracked *t = track(e, path, 0);
  if (t && (t->absent || !t->durable)) {
    if (t->has_prior) {
      s.bytes = malloc(t->prior_len ? t->prior_len : 1);
      if (!s.bytes) abort();
      if (t->prior_len) memcpy(s.bytes, t->prior, t->prior_len);
      s.len = t->prior_len;
      s.has = 1;
    }
    return s;
  }
  if (!t && e->real->exists(e->real, path, NULL) != STRATA_OK) return s;
  if (st_env_read_all(e->real, path, &s.bytes, &s.len) != STRATA_OK) abort();
  if (t && t->synced < s.len) s.len = t->synced;
  s.has = 1;
  return s;
}

/* After path lost its file (renamed away or unlinked): a record that puts
 * back what a power loss would have kept, if anything. mu held. */
static void leave_placeholder(fault_env *e, const char *path, survivor s) {
  untrack(e, path);
  if (!s.has) return;
  tracked *t = track(e, path, 1);
  t->absent = 1;
  t->prior = s.bytes;
  t->prior_len = s.len;
  t->has_prior = 1;
}

static int f_rename(st_env *env, const char *from, const char *to) {
  fault_env *e = fe(env);
  int rc = tick(e, FAULT_RENAME, from);
  if (rc) return rc;
  pthread_mutex_lock(&e->mu);
  /* Until the directory is synced, a power loss undoes the rename: each
   * name gets back what it would have kept without it. */
  survivor at_to = survivor_of(e, to), at_from = survivor_of(e, from);
  rc = e->real->rename(e->real, from, to);
  if (rc) {
    free(at_to.bytes);
    free(at_from.bytes);
    pthread_mutex_unlock(&e->mu);
    return rc;
  }
  tracked *src = track(e, from, 0);
  uint64_t synced = src && !src->absent ? src->synced : UINT64_MAX;
  leave_placeholder(e, from, at_from);
  untrack(e, to);
  tracked *t = track(e, to, 1);
  t->synced = synced;
  t->durable = 0;
  t->prior = at_to.bytes;
  t->prior_len = at_to.len;
  t->has_prior = at_to.has;
  pthread_mutex_unlock(&e->mu);
  return STRATA_OK;
}

static int f_unlink(st_env *env, const char *path) {
  fault_env *e = fe(env);
  int rc = tick(e, FAULT_UNLINK, path);
  if (rc) return rc;
  pthread_mutex_lock(&e->mu);
  survivor s = survivor_of(e, path);
  rc = e->real->unlink(e->real, path);
  if (rc)
    free(s.bytes);
  else
    leave_placeholder(e, path, s);
  pthread_mutex_unlock(&e->mu);
  return rc;
}

static int f_mkdir(st_env *env, const char *path) {
  int rc = tick(fe(env), FAULT_MKDIR, path);
  return rc ? rc : fe(env)->real->mkdir(fe(env)->real, path);
}

static int f_sync_dir(st_env *env, const char *path) {
  fault_env *e = fe(env);
  int rc = tick(e, FAULT_SYNC_DIR, path);
  if (rc) return rc;
  rc = e->real->sync_dir(e->real, path);
  if (rc) return rc;
  size_t n = strlen(path);
  pthread_mutex_lock(&e->mu);
  for (tracked **p = &e->files; *p;) {
    tracked *t = *p;
    if (strncmp(t->path, path, n) != 0 || t->path[n] != '/' || strchr(t->path + n + 1, '/')) {
      p = &t->next;
      continue;
    }
    if (t->absent) { /* the removal is durable now */
      *p = t->next;
      free_tracked(t);
      continue;
    }
    t->durable = 1;
    free(t->prior);
    t->prior = NULL;
    t->has_prior = 0;
    p = &t->next;
  }
  pthread_mutex_unlock(&e->mu);
  return STRATA_OK;
}

static int f_list_dir(st_env *env, const char *path, st_list_fn fn, void *arg) {
  int rc = tick(fe(env), FAULT_LIST, path);
  return rc ? rc : fe(env)->real->list_dir(fe(env)->real, path, fn, arg);
}

static int f_exists(st_env *env, const char *path, int *is_dir_out) {
  return fe(env)->real->exists(fe(env)->real, path, is_dir_out);
}

static int f_lock(st_env *env, const char *path, st_file **lock_out) {
  *lock_out = NULL;
  int rc = tick(fe(env), FAULT_LOCK, path);
  return rc ? rc : fe(env)->real->lock(fe(env)->real, path, lock_out);
}

static int f_unlock(st_file *lock) {
  /* Locks are real files of the real env. */
  return lock ? lock->env->unlock(lock) : STRATA_OK;
}

static uint64_t f_now(st_env *env) { return fe(env)->real->now_micros(fe(env)->real); }
static void f_sleep(st_env *env, uint64_t us) { fe(env)->real->sleep_micros(fe(env)->real, us); }
static int f_thread_start(st_env *env, void *(*fn)(void *), void *arg, void **t_out) {
  return fe(env)->real->thread_start(fe(env)->real, fn, arg, t_out);
}
static void f_thread_join(st_env *env, void *t) { fe(env)->real->thread_join(fe(env)->real, t); }

st_env *fault_env_new(void) {
  fault_env *e = calloc(1, sizeof *e);
  if (!e) abort();
  e->real = st_env_posix();
  pthread_mutex_init(&e->mu, NULL);
  e->base = (st_env){
      .open_file = f_open_file,
      .append = f_append,
      .pread = f_pread,
      .sync = f_sync,
      .truncate = f_truncate,
      .size = f_size,
      .close = f_close,
      .rename = f_rename,
      .unlink = f_unlink,
      .mkdir = f_mkdir,
      .sync_dir = f_sync_dir,
      .list_dir = f_list_dir,
      .exists = f_exists,
      .lock = f_lock,
      .unlock = f_unlock,
      .now_micros = f_now,
      .sleep_micros = f_sleep,
      .thread_start = f_thread_start,
      .thread_join = f_thread_join,
  };
  return &e->base;
}

void fault_env_free(st_env *env) {
  fault_env *e = fe(env);
  while (e->files) untrack(e, e->files->path);
  pthread_mutex_destroy(&e->mu);
  free(e);
}

void fault_env_fail_on(st_env *env, fault_op op, const char *substring, uint64_t nth, int code, int sticky) {
  fault_env *e = fe(env);
  pthread_mutex_lock(&e->mu);
  snprintf(e->fail_path[op], sizeof e->fail_path[op], "%s", substring);
  e->path_count[op] = 0;
  e->fail_at[op] = nth;
  e->fail_code[op] = code;
  e->fail_sticky[op] = sticky;
  pthread_mutex_unlock(&e->mu);
}

void fault_env_fail(st_env *env, fault_op op, uint64_t nth, int code, int sticky) {
  fault_env *e = fe(env);
  pthread_mutex_lock(&e->mu);
  e->fail_path[op][0] = '\0';
  e->fail_at[op] = e->count[op] + nth;
  e->fail_code[op] = code;
  e->fail_sticky[op] = sticky;
  pthread_mutex_unlock(&e->mu);
}

void fault_env_short_write(st_env *env, uint64_t nth) {
  fault_env *e = fe(env);
  pthread_mutex_lock(&e->mu);
  e->short_at = e->count[FAULT_APPEND] + nth;
  pthread_mutex_unlock(&e->mu);
}

void fault_env_heal(st_env *env) {
  fault_env *e = fe(env);
  pthread_mutex_lock(&e->mu);
  memset(e->fail_at, 0, sizeof e->fail_at);
  memset(e->fail_path, 0, sizeof e->fail_path);
  e->short_at = 0;
  e->frozen = 0;
  e->freeze_at = 0;
  pthread_mutex_unlock(&e->mu);
}

uint64_t fault_env_count(st_env *env, fault_op op) {
  fault_env *e = fe(env);
  pthread_mutex_lock(&e->mu);
  uint64_t n = e->count[op];
  pthread_mutex_unlock(&e->mu);
  return n;
}

void fault_env_freeze_after(st_env *env, uint64_t n) {
  fault_env *e = fe(env);
  pthread_mutex_lock(&e->mu);
  e->freeze_at = e->total + n;
  pthread_mutex_unlock(&e->mu);
}

uint64_t fault_env_total(st_env *env) {
  fault_env *e = fe(env);
  pthread_mutex_lock(&e->mu);
  uint64_t n = e->total;
  pthread_mutex_unlock(&e->mu);
  return n;
}

void fault_env_freeze(st_env *env) {
  fault_env *e = fe(env);
  pthread_mutex_lock(&e->mu);
  e->frozen = 1;
  pthread_mutex_unlock(&e->mu);
}

/* Puts a name's prior bytes back (a power loss undoing a rename or unlink). */
static int restore(fault_env *e, const tracked *t) {
  st_file *f;
  int rc = e->real->open_file(e->real, t->path, ST_OPEN_TRUNCATE, &f);
  if (rc) return rc;
  if (t->prior_len) rc = e->real->append(f, t->prior, t->prior_len);
  int crc = e->real->close(f);
  return rc ? rc : crc;
}

int fault_env_power_loss(st_env *env) {
  fault_env *e = fe(env);
  int rc = STRATA_OK;
  pthread_mutex_lock(&e->mu);
  for (tracked *t = e->files; t; t = t->next) {
    if (t->absent || !t->durable) {
      if (!t->absent) e->real->unlink(e->real, t->path);
      if (t->has_prior && restore(e, t)) rc = STRATA_EIO;
      continue;
    }
    if (t->synced == UINT64_MAX) continue;
    st_file *f;
    if (e->real->open_file(e->real, t->path, ST_OPEN_APPEND, &f) == STRATA_OK) {
      if (e->real->truncate(f, t->synced)) rc = STRATA_EIO;
      e->real->close(f);
    }
  }
  while (e->files) untrack(e, e->files->path);
  memset(e->fail_at, 0, sizeof e->fail_at);
  e->short_at = 0;
  e->frozen = 0;
  e->freeze_at = 0;
  pthread_mutex_unlock(&e->mu);
  return rc;
}
