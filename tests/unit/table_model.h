/*
 * table_model.h - shared by the table tests: a sorted in-memory list of
 * internal-key entries (random-ish user keys, several versions each, all
 * kinds) and helpers that write it as a table and compare iteration with it.
 */
#ifndef STRATA_TESTS_TABLE_MODEL_H
#define STRATA_TESTS_TABLE_MODEL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"
#include "format/ikey.h"
#include "format/kind.h"
#include "sst/table.h"
#include "sst/table_builder.h"
#include "testutil.h"

typedef struct tm_entry {
  char *k; /* internal key */
  size_t kl;
  char *v;
  size_t vl;
} tm_entry;

typedef struct tm_model {
  tm_entry *e;
  size_t n;
  char **ukeys; /* distinct user keys, sorted */
  size_t nkeys;
} tm_model;

static inline int tm_cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* About `entries` entries: keys of 10..40 bytes, 1..3 versions each with
 * descending sequence numbers, every 7th version a DELETE, some of every
 * other kind; values of 0..200 bytes. Deterministic. */
static inline void tm_make(tm_model *m, size_t entries) {
  size_t nkeys = entries / 2 + 1;
  m->ukeys = malloc(nkeys * sizeof *m->ukeys);
  for (size_t i = 0; i < nkeys; i++) {
    char buf[64];
    uint64_t h = st_hash_mix64(i + 1);
    int len = sprintf(buf, "%016llx", (unsigned long long)h);
    len += sprintf(buf + len, ":%.*s", (int)(h % 25), "abcdefghijklmnopqrstuvwxy");
    m->ukeys[i] = strdup(buf);
  }
  qsort(m->ukeys, nkeys, sizeof *m->ukeys, tm_cmp_str);
  m->nkeys = nkeys;
  m->e = malloc((3 * nkeys + 1) * sizeof *m->e);
  m->n = 0;
  for (size_t i = 0; i < nkeys && m->n < entries; i++) {
    uint64_t h = st_hash_mix64(i + 7777);
    int versions = 1 + (int)(h % 3);
    uint64_t seq = 1000 + h % 1000000;
    for (int j = 0; j < versions && m->n < entries; j++, seq -= 1 + (h >> 40) % 50) {
      size_t ul = strlen(m->ukeys[i]);
      unsigned kind = ST_KIND_PUT;
      if ((m->n % 7) == 3)
        kind = ST_KIND_DELETE;
      else if ((m->n % 101) == 5)
        kind = (unsigned)(3 + (m->n / 101) % 6); /* 3..8: range tombstones have their own block */
      tm_entry *e = &m->e[m->n++];
      e->kl = ul + 8;
      e->k = malloc(e->kl);
      st_ikey_pack(e->k, m->ukeys[i], ul, st_trailer_pack(seq, kind));
      char v[256];
      size_t vl = kind == ST_KIND_DELETE ? 0
                                         : (size_t)sprintf(v, "v:%s:%llu:%.*s", m->ukeys[i], (unsigned long long)seq,
                                                           (int)((h >> 8) % 160),
                                                           "0123456789012345678901234567890123456789"
                                                           "0123456789012345678901234567890123456789"
                                                           "0123456789012345678901234567890123456789"
                                                           "0123456789012345678901234567890123456789");
      e->vl = vl;
      e->v = malloc(vl ? vl : 1);
      memcpy(e->v, v, vl);
    }
  }
}

static inline void tm_free(tm_model *m) {
  for (size_t i = 0; i < m->n; i++) {
    free(m->e[i].k);
    free(m->e[i].v);
  }
  for (size_t i = 0; i < m->nkeys; i++) free(m->ukeys[i]);
  free(m->e);
  free(m->ukeys);
  memset(m, 0, sizeof *m);
}

/* Writes entries [0, n) of m to dir/name. */
static inline char *tm_write(const char *dir, const char *name, const tm_model *m, size_t n, const st_table_options *o,
                             st_table_props *props_out) {
  char *path = malloc(4096);
  snprintf(path, 4096, "%s/%s", dir, name);
  st_table_builder *b;
  int rc = st_table_builder_new(st_env_posix(), path, o, &b);
  if (rc) fail_msg("builder_new %s: %s", path, strata_errmsg());
  for (size_t i = 0; i < n; i++) {
    rc = st_table_builder_add(b, m->e[i].k, m->e[i].kl, m->e[i].v, m->e[i].vl);
    if (rc) fail_msg("add %zu: %s", i, strata_errmsg());
  }
  st_table_props p;
  rc = st_table_builder_finish(b, &p);
  if (rc) fail_msg("finish: %s", strata_errmsg());
  if (props_out)
    *props_out = p;
  else
    st_table_props_clear(&p);
  return path;
}

static inline int tm_equal(const st_iter *it, const tm_entry *e) {
  size_t kl, vl;
  const char *k = st_iter_key(it, &kl), *v = st_iter_value(it, &vl);
  return kl == e->kl && memcmp(k, e->k, kl) == 0 && vl == e->vl && (vl == 0 || memcmp(v, e->v, vl) == 0);
}

/* st_table_get's callback for tm_get: copies where the entry found is. */
typedef struct tm_found {
  const tm_entry *want;
  int same; /* 1: the entry found is want */
} tm_found;

static inline int tm_found_fn(void *arg, const char *ik, size_t iklen, const char *val, size_t vlen) {
  tm_found *f = arg;
  const tm_entry *e = f->want;
  f->same =
      iklen == e->kl && memcmp(ik, e->k, iklen) == 0 && vlen == e->vl && (vlen == 0 || memcmp(val, e->v, vlen) == 0);
  return STRATA_OK;
}

/* Point-reads entry i (its exact internal key) with st_table_get: returns
 * the status; on STRATA_OK the entry found must be the entry itself. */
static inline int tm_get(st_table *t, const tm_model *m, size_t i) {
  tm_found f = {&m->e[i], 0};
  int rc = st_table_get(t, m->e[i].k, m->e[i].kl, tm_found_fn, &f);
  if (rc == STRATA_OK && !f.same) fail_msg("point read of entry %zu found another entry", i);
  return rc;
}

#endif
