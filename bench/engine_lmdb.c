/*
 * engine_lmdb.c - the LMDB rival behind bench_engine: one copy-on-write
 * B+tree in a memory map. Every write call is one write transaction (LMDB
 * lets one writer in at a time, by design); a get runs in a read-only
 * transaction that each thread keeps reset between calls; an iterator is a
 * read transaction plus a cursor. There is no memtable, block, filter,
 * cache (the OS page cache serves reads) nor compression to configure.
 * The typed writes (counters, latest-wins values, lists) read, change and
 * write in one write transaction, so they are atomic.
 */
#include <lmdb.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "listfmt.h"

/* The map only reserves address space: the file grows as pages are
 * written, so a large map costs nothing and never fills in a benchmark. */
#define LMDB_MAP_BYTES ((size_t)64 << 30)
/* Reader slots: one per thread that called get, plus one per open
 * iterator (with MDB_NOTLS a slot belongs to a transaction). */
#define LMDB_MAX_READERS 1024

struct lmdb_handle;

/* A thread's read transaction for get, reset while not in use. */
typedef struct lmdb_reader {
  MDB_txn *txn;
  int busy;                 /* a live thread owns it; guarded by lmdb_handle.mu */
  struct lmdb_reader *next; /* in lmdb_handle.readers; set once, under mu */
  struct lmdb_handle *h;
} lmdb_reader;

typedef struct lmdb_handle {
  MDB_env *env;
  MDB_dbi dbi;
  int sync;
  size_t list_max;   /* append keeps the newest this many elements; 0 = all */
  int opened;        /* mdb_env_open succeeded */
  pthread_key_t key; /* the calling thread's lmdb_reader */
  int have_key;
  pthread_mutex_t mu;
  lmdb_reader *readers; /* every reader made, busy or free; guarded by mu */
} lmdb_handle;

typedef struct lmdb_iter {
  MDB_txn *txn;
  MDB_cursor *cur;
  MDB_val k, v; /* point into the map; valid while txn lives */
  int valid;
  int rc; /* first error met, 0 if none */
} lmdb_iter;

static int lmdb_fail(const char *what, int rc) {
  bench_engine_error("lmdb %s: %s", what, mdb_strerror(rc));
  return -1;
}

static MDB_val lmdb_val(const char *p, size_t n) {
  MDB_val v = {n, (void *)p};
  return v;
}

/* ---- open / close ----------------------------------------------------- */

/* Runs at the exit of a thread that made a reader: the reader (and its
 * reader slot) goes back to the handle for the next new thread. Threads
 * must not exit while close runs. */
static void lmdb_reader_release(void *p) {
  lmdb_reader *r = p;
  pthread_mutex_lock(&r->h->mu);
  r->busy = 0;
  pthread_mutex_unlock(&r->h->mu);
}

static void lmdb_close(void *db) {
  lmdb_handle *h = db;
  if (!h) return;
  /* After the key is gone no destructor can run for it. */
  if (h->have_key) pthread_key_delete(h->key);
  for (lmdb_reader *r = h->readers, *next; r; r = next) {
    next = r->next;
    mdb_txn_abort(r->txn);
    free(r);
  }
  if (h->env) {
    /* MDB_NOSYNC left the last commits to the OS: make them durable. */
    if (h->opened && !h->sync) {
      int rc = mdb_env_sync(h->env, 1);
      if (rc) fprintf(stderr, "lmdb close: mdb_env_sync: %s\n", mdb_strerror(rc));
    }
    mdb_env_close(h->env);
  }
  pthread_mutex_destroy(&h->mu);
  free(h);
}

static int lmdb_open(const char *dir, const bench_config *cfg, void **db_out) {
  *db_out = NULL;
  lmdb_handle *h = calloc(1, sizeof *h);
  if (!h) {
    bench_engine_error("lmdb open: out of memory");
    return -1;
  }
  pthread_mutex_init(&h->mu, NULL);
  h->sync = cfg->sync ? 1 : 0;
  h->list_max = cfg->list_max_elements;
  MDB_txn *txn = NULL;
  const char *what = "mdb_env_create";
  int rc = mdb_env_create(&h->env);
  if (rc) goto fail;
  what = "mdb_env_set_mapsize";
  if ((rc = mdb_env_set_mapsize(h->env, LMDB_MAP_BYTES))) goto fail;
  what = "mdb_env_set_maxreaders";
  if ((rc = mdb_env_set_maxreaders(h->env, LMDB_MAX_READERS))) goto fail;
  /* MDB_NOTLS: read transactions are not tied to threads, so a reader can
   * pass to another thread; MDB_NORDAHEAD: random reads do not drag in
   * neighbouring pages. */
  unsigned flags = MDB_NOTLS | MDB_NORDAHEAD | (h->sync ? 0 : MDB_NOSYNC | MDB_NOMETASYNC);
  what = "mdb_env_open";
  if ((rc = mdb_env_open(h->env, dir, flags, 0644))) goto fail;
  h->opened = 1;
  what = "opening the main database";
  if ((rc = mdb_txn_begin(h->env, NULL, 0, &txn))) goto fail;
  if ((rc = mdb_dbi_open(txn, NULL, 0, &h->dbi))) goto fail;
  rc = mdb_txn_commit(txn);
  txn = NULL;
  if (rc) goto fail;
  if ((rc = pthread_key_create(&h->key, lmdb_reader_release))) {
    bench_engine_error("lmdb open: pthread_key_create: %s", strerror(rc));
    lmdb_close(h);
    return -1;
  }
  h->have_key = 1;
  *db_out = h;
  return 0;
fail:
  lmdb_fail(what, rc);
  if (txn) mdb_txn_abort(txn);
  lmdb_close(h);
  return -1;
}

static void lmdb_describe(const bench_config *cfg, char *out, size_t cap) {
  int major, minor, patch;
  mdb_version(&major, &minor, &patch);
  snprintf(out, cap,
           "lmdb %d.%d.%d: one B+tree, map %zu GiB (sparse), MDB_NOTLS|MDB_NORDAHEAD%s; one write txn per "
           "put/del/write and per typed write (LMDB admits one writer at a time), the typed ones read, change and "
           "put in it: merge_add = get+add+put (8-byte counter), put_latest = get+compare ts+put if not older, "
           "append = get+append+cut to the newest %zu (0 = all)+put; get = per-thread reset/renewed read txn, "
           "value copied out; delete_range (none in LMDB) = cursor deletes of each key of the range in one write "
           "txn; compact is a no-op; memtable/block/bloom/block cache/compression/max_open_files "
           "do not apply (the OS page cache does the caching)",
           major, minor, patch, LMDB_MAP_BYTES >> 30,
           cfg->sync ? " (every commit fsynced)" : "|MDB_NOSYNC|MDB_NOMETASYNC (synced at close)",
           cfg->list_max_elements);
}

/* ---- writes ----------------------------------------------------------- */

/* Applies ops in one write transaction: all or nothing. */
static int lmdb_apply(lmdb_handle *h, const bench_op *ops, int n) {
  MDB_txn *txn;
  int rc = mdb_txn_begin(h->env, NULL, 0, &txn);
  if (rc) return lmdb_fail("mdb_txn_begin", rc);
  const char *what = "mdb_put";
  for (int i = 0; i < n; i++) {
    MDB_val k = lmdb_val(ops[i].key, ops[i].klen);
    if (ops[i].del) {
      what = "mdb_del";
      rc = mdb_del(txn, h->dbi, &k, NULL);
      if (rc == MDB_NOTFOUND) rc = 0; /* deleting an absent key succeeds, as in the LSM engines */
    } else {
      what = "mdb_put";
      MDB_val v = lmdb_val(ops[i].val, ops[i].vlen);
      rc = mdb_put(txn, h->dbi, &k, &v, 0);
    }
    if (rc) {
      mdb_txn_abort(txn);
      return lmdb_fail(what, rc);
    }
  }
  rc = mdb_txn_commit(txn);
  return rc ? lmdb_fail("mdb_txn_commit", rc) : 0;
}

static int lmdb_put(void *db, const char *k, size_t klen, const char *v, size_t vlen) {
  bench_op op = {0, k, klen, v, vlen};
  return lmdb_apply(db, &op, 1);
}

static int lmdb_del(void *db, const char *k, size_t klen) {
  bench_op op = {1, k, klen, NULL, 0};
  return lmdb_apply(db, &op, 1);
}

static int lmdb_write(void *db, const bench_op *ops, int n) { return lmdb_apply(db, ops, n); }

/* LMDB has no range delete: a cursor walks [begin, end) in one write
 * transaction and deletes each key. After mdb_cursor_del the cursor
 * stands on the key that followed, which MDB_NEXT returns (not the one
 * after it); MDB_GET_CURRENT would fail once the tree is empty. */
static int lmdb_delete_range(void *db, const char *begin, size_t blen, const char *end, size_t elen) {
  lmdb_handle *h = db;
  MDB_txn *txn;
  MDB_cursor *cur = NULL;
  int rc = mdb_txn_begin(h->env, NULL, 0, &txn);
  if (rc) return lmdb_fail("mdb_txn_begin", rc);
  const char *what = "mdb_cursor_open";
  if ((rc = mdb_cursor_open(txn, h->dbi, &cur))) goto fail;
  MDB_val k = lmdb_val(begin, blen), v;
  /* LMDB refuses empty keys, and every key is >= the empty one. */
  what = "mdb_cursor_get";
  rc = mdb_cursor_get(cur, &k, &v, blen ? MDB_SET_RANGE : MDB_FIRST);
  while (rc == 0) {
    if (end) {
      int c = memcmp(k.mv_data, end, k.mv_size < elen ? k.mv_size : elen);
      if (c > 0 || (c == 0 && k.mv_size >= elen)) break;
    }
    what = "mdb_cursor_del";
    if ((rc = mdb_cursor_del(cur, 0))) goto fail;
    what = "mdb_cursor_get";
    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
  }
  if (rc && rc != MDB_NOTFOUND) goto fail;
  mdb_cursor_close(cur);
  rc = mdb_txn_commit(txn);
  return rc ? lmdb_fail("mdb_txn_commit", rc) : 0;
fail:
  if (cur) mdb_cursor_close(cur);
  mdb_txn_abort(txn);
  return lmdb_fail(what, rc);
}

/* Read, add and write in one write transaction, so it is atomic. A stored
 * counter that is not 8 bytes fails, as in the strata engine. */
static int lmdb_merge_add(void *db, const char *key, size_t klen, int64_t delta) {
  lmdb_handle *h = db;
  MDB_txn *txn;
  int rc = mdb_txn_begin(h->env, NULL, 0, &txn);
  if (rc) return lmdb_fail("mdb_txn_begin", rc);
  MDB_val k = lmdb_val(key, klen), v;
  uint64_t sum = (uint64_t)delta;
  rc = mdb_get(txn, h->dbi, &k, &v);
  if (rc == 0 && v.mv_size != 8) {
    mdb_txn_abort(txn);
    bench_engine_error("lmdb merge_add: the counter holds %zu bytes, not 8", v.mv_size);
    return -1;
  }
  if (rc == 0) {
    const unsigned char *p = v.mv_data;
    uint64_t old = 0;
    for (int i = 7; i >= 0; i--) old = (old << 8) | p[i];
    sum += old;
  } else if (rc && rc != MDB_NOTFOUND) {
    mdb_txn_abort(txn);
    return lmdb_fail("mdb_get", rc);
  }
  char enc[8];
  for (int i = 0; i < 8; i++) enc[i] = (char)(sum >> (8 * i));
  v = lmdb_val(enc, sizeof enc);
  rc = mdb_put(txn, h->dbi, &k, &v, 0);
  if (rc) {
    mdb_txn_abort(txn);
    return lmdb_fail("mdb_put", rc);
  }
  rc = mdb_txn_commit(txn);
  return rc ? lmdb_fail("mdb_txn_commit", rc) : 0;
}

static uint64_t lmdb_ts(const void *p) {
  const unsigned char *b = p;
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v = v << 8 | b[i];
  return v;
}

/* Puts v unless the stored ts is newer (of equal ts the later write wins),
 * read and written in one write transaction. */
static int lmdb_put_latest(void *db, const char *key, size_t klen, const char *val, size_t vlen, uint64_t ts) {
  lmdb_handle *h = db;
  MDB_txn *txn;
  int rc = mdb_txn_begin(h->env, NULL, 0, &txn);
  if (rc) return lmdb_fail("mdb_txn_begin", rc);
  MDB_val k = lmdb_val(key, klen), v;
  const char *what = "mdb_get";
  rc = mdb_get(txn, h->dbi, &k, &v);
  if (rc == 0 && v.mv_size >= 8 && lmdb_ts(v.mv_data) > ts) {
    mdb_txn_abort(txn); /* a newer value stays: nothing to write */
    return 0;
  }
  if (rc && rc != MDB_NOTFOUND) goto fail;
  what = "mdb_put";
  v = lmdb_val(val, vlen);
  if ((rc = mdb_put(txn, h->dbi, &k, &v, 0))) goto fail;
  rc = mdb_txn_commit(txn);
  return rc ? lmdb_fail("mdb_txn_commit", rc) : 0;
fail:
  mdb_txn_abort(txn);
  return lmdb_fail(what, rc);
}

/* Reads the list, appends the element, keeps the newest list_max and puts
 * it back, in one write transaction. The new list is built apart: a put
 * may reuse the page the old one lies in. */
static int lmdb_append(void *db, const char *key, size_t klen, const char *elem, size_t elen) {
  lmdb_handle *h = db;
  MDB_txn *txn;
  int rc = mdb_txn_begin(h->env, NULL, 0, &txn);
  if (rc) return lmdb_fail("mdb_txn_begin", rc);
  MDB_val k = lmdb_val(key, klen), v = {0, NULL};
  char *list = NULL;
  const char *what = "mdb_get";
  rc = mdb_get(txn, h->dbi, &k, &v);
  if (rc == MDB_NOTFOUND) {
    v.mv_size = 0;
  } else if (rc) {
    goto fail;
  }
  if (!(list = malloc(v.mv_size + BENCH_LIST_PREFIX_MAX + elen))) {
    mdb_txn_abort(txn);
    bench_engine_error("lmdb append: out of memory");
    return -1;
  }
  if (v.mv_size) memcpy(list, v.mv_data, v.mv_size);
  size_t len = v.mv_size + bench_list_put(list + v.mv_size, elem, elen);
  int64_t cut = bench_list_cut(list, len, h->list_max);
  if (cut < 0) {
    free(list);
    mdb_txn_abort(txn);
    bench_engine_error("lmdb append: the value at the key is not a list");
    return -1;
  }
  what = "mdb_put";
  v = lmdb_val(list + cut, len - (size_t)cut);
  rc = mdb_put(txn, h->dbi, &k, &v, 0);
  free(list);
  if (rc) goto fail;
  rc = mdb_txn_commit(txn);
  return rc ? lmdb_fail("mdb_txn_commit", rc) : 0;
fail:
  mdb_txn_abort(txn);
  return lmdb_fail(what, rc);
}

/* ---- reads ------------------------------------------------------------ */

/* The calling thread's reader: its own, a free one left by an exited
 * thread, or a new one. The transaction returned is reset. */
static lmdb_reader *lmdb_reader_for_thread(lmdb_handle *h) {
  lmdb_reader *r = pthread_getspecific(h->key);
  if (r) return r;
  pthread_mutex_lock(&h->mu);
  for (r = h->readers; r && r->busy; r = r->next) {
  }
  if (r) r->busy = 1;
  pthread_mutex_unlock(&h->mu);
  if (!r) {
    r = calloc(1, sizeof *r);
    if (!r) {
      bench_engine_error("lmdb get: out of memory");
      return NULL;
    }
    int rc = mdb_txn_begin(h->env, NULL, MDB_RDONLY, &r->txn);
    if (rc) {
      free(r);
      lmdb_fail("mdb_txn_begin (read)", rc);
      return NULL;
    }
    mdb_txn_reset(r->txn);
    r->h = h;
    r->busy = 1;
    pthread_mutex_lock(&h->mu);
    r->next = h->readers;
    h->readers = r;
    pthread_mutex_unlock(&h->mu);
  }
  if (pthread_setspecific(h->key, r)) {
    /* Left busy, so no other thread takes it; freed at close. */
    bench_engine_error("lmdb get: pthread_setspecific failed");
    return NULL;
  }
  return r;
}

static int lmdb_get(void *db, const char *key, size_t klen, bench_buf *out, int *found) {
  lmdb_handle *h = db;
  *found = 0;
  lmdb_reader *r = lmdb_reader_for_thread(h);
  if (!r) return -1;
  int rc = mdb_txn_renew(r->txn);
  if (rc) return lmdb_fail("mdb_txn_renew", rc);
  MDB_val k = lmdb_val(key, klen), v;
  rc = mdb_get(r->txn, h->dbi, &k, &v);
  int ret = 0;
  if (rc == 0) {
    if (bench_buf_reserve(out, v.mv_size)) {
      bench_engine_error("lmdb get: out of memory");
      ret = -1;
    } else {
      if (v.mv_size) memcpy(out->data, v.mv_data, v.mv_size);
      out->len = v.mv_size;
      *found = 1;
    }
  } else if (rc != MDB_NOTFOUND) {
    ret = lmdb_fail("mdb_get", rc);
  }
  /* Reset at once: a held snapshot would keep the writer from reusing
   * pages and make the file grow. */
  mdb_txn_reset(r->txn);
  return ret;
}

static int lmdb_get_counter(void *db, const char *key, size_t klen, int64_t *v_out, int *found) {
  lmdb_handle *h = db;
  *v_out = 0;
  *found = 0;
  lmdb_reader *r = lmdb_reader_for_thread(h);
  if (!r) return -1;
  int rc = mdb_txn_renew(r->txn);
  if (rc) return lmdb_fail("mdb_txn_renew", rc);
  MDB_val k = lmdb_val(key, klen), v;
  rc = mdb_get(r->txn, h->dbi, &k, &v);
  int ret = 0;
  if (rc == 0 && v.mv_size == 8) {
    const unsigned char *p = v.mv_data;
    uint64_t u = 0;
    for (int i = 7; i >= 0; i--) u = (u << 8) | p[i];
    *v_out = (int64_t)u;
    *found = 1;
  } else if (rc == 0) {
    bench_engine_error("lmdb get (counter): the counter holds %zu bytes, not 8", v.mv_size);
    ret = -1;
  } else if (rc != MDB_NOTFOUND) {
    ret = lmdb_fail("mdb_get", rc);
  }
  mdb_txn_reset(r->txn);
  return ret;
}

static int lmdb_get_latest(void *db, const char *key, size_t klen, bench_buf *out, uint64_t *ts_out, int *found) {
  *ts_out = 0;
  if (lmdb_get(db, key, klen, out, found)) return -1;
  if (!*found) return 0;
  if (out->len < 8) {
    *found = 0;
    bench_engine_error("lmdb get (latest): a value of %zu bytes cannot hold its ts", out->len);
    return -1;
  }
  *ts_out = lmdb_ts(out->data);
  return 0;
}

/* A B+tree updated in place has nothing to compact. */
static int lmdb_compact(void *db) {
  (void)db;
  return 0;
}

/* ---- iterators -------------------------------------------------------- */

static void *lmdb_iter_new(void *db) {
  lmdb_handle *h = db;
  lmdb_iter *it = calloc(1, sizeof *it);
  if (!it) {
    bench_engine_error("lmdb iterator: out of memory");
    return NULL;
  }
  int rc = mdb_txn_begin(h->env, NULL, MDB_RDONLY, &it->txn);
  if (rc) {
    free(it);
    lmdb_fail("mdb_txn_begin (iterator)", rc);
    return NULL;
  }
  rc = mdb_cursor_open(it->txn, h->dbi, &it->cur);
  if (rc) {
    mdb_txn_abort(it->txn);
    free(it);
    lmdb_fail("mdb_cursor_open", rc);
    return NULL;
  }
  return it;
}

/* Moves the cursor; the end of the data is not an error, anything else is
 * kept for iter_free to report. */
static void lmdb_iter_move(lmdb_iter *it, MDB_cursor_op op) {
  int rc = mdb_cursor_get(it->cur, &it->k, &it->v, op);
  it->valid = rc == 0;
  if (rc && rc != MDB_NOTFOUND && !it->rc) it->rc = rc;
}

static void lmdb_iter_seek_first(void *p) { lmdb_iter_move(p, MDB_FIRST); }
static void lmdb_iter_seek_last(void *p) { lmdb_iter_move(p, MDB_LAST); }

static void lmdb_iter_seek(void *p, const char *key, size_t klen) {
  lmdb_iter *it = p;
  /* LMDB refuses empty keys, and every key is >= the empty one. */
  if (klen == 0) {
    lmdb_iter_move(it, MDB_FIRST);
    return;
  }
  it->k = lmdb_val(key, klen);
  lmdb_iter_move(it, MDB_SET_RANGE);
}

/* On an invalid cursor LMDB's NEXT/PREV would restart from an end; an
 * ended iterator stays ended instead. */
static void lmdb_iter_next(void *p) {
  lmdb_iter *it = p;
  if (it->valid) lmdb_iter_move(it, MDB_NEXT);
}

static void lmdb_iter_prev(void *p) {
  lmdb_iter *it = p;
  if (it->valid) lmdb_iter_move(it, MDB_PREV);
}

static int lmdb_iter_valid(void *p) { return ((lmdb_iter *)p)->valid; }

static const char *lmdb_iter_key(void *p, size_t *len) {
  lmdb_iter *it = p;
  *len = it->k.mv_size;
  return it->k.mv_data;
}

static const char *lmdb_iter_value(void *p, size_t *len) {
  lmdb_iter *it = p;
  *len = it->v.mv_size;
  return it->v.mv_data;
}

static int lmdb_iter_free(void *p) {
  lmdb_iter *it = p;
  if (!it) return 0;
  int rc = it->rc;
  mdb_cursor_close(it->cur);
  mdb_txn_abort(it->txn);
  free(it);
  return rc ? lmdb_fail("iterator", rc) : 0;
}

const bench_engine bench_engine_lmdb = {
    .name = "lmdb",
    .open = lmdb_open,
    .close = lmdb_close,
    .describe = lmdb_describe,
    .put = lmdb_put,
    .del = lmdb_del,
    .write = lmdb_write,
    .get = lmdb_get,
    .merge_add = lmdb_merge_add,
    .get_counter = lmdb_get_counter,
    .put_latest = lmdb_put_latest,
    .get_latest = lmdb_get_latest,
    .append = lmdb_append,
    .list_next = bench_list_next,
    .delete_range = lmdb_delete_range,
    .native_delete_range = 0,
    .compact = lmdb_compact,
    .iter_new = lmdb_iter_new,
    .iter_seek = lmdb_iter_seek,
    .iter_seek_first = lmdb_iter_seek_first,
    .iter_seek_last = lmdb_iter_seek_last,
    .iter_next = lmdb_iter_next,
    .iter_prev = lmdb_iter_prev,
    .iter_valid = lmdb_iter_valid,
    .iter_key = lmdb_iter_key,
    .iter_value = lmdb_iter_value,
    .iter_free = lmdb_iter_free,
};
