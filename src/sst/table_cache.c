/*
 * table_cache.c - open tables by file number: a chained hash table, an LRU
 * list of tables nobody is using (closed oldest first when over capacity),
 * a list of tables in use, and a list of evicted tables still in use (each
 * closed by its last release). One mutex; tables are opened and closed
 * outside it.
 */
#include "sst/table_cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/hash.h"
#include "env/sync.h"

typedef struct tc_entry {
  struct tc_entry *hnext;       /* hash chain; the close list once dead */
  struct tc_entry *prev, *next; /* lru, in_use or gone */
  uint64_t number;
  st_table *table;
  uint32_t refs; /* the cache's own (while in_cache) + one per get */
  int in_cache;
} tc_entry;

struct st_table_cache {
  st_env *env;
  char *dir;
  size_t capacity;
  st_block_cache *block_cache;
  int table_flags; /* for st_table_open */
  st_mutex mu;
  tc_entry lru;          /* mu: dummy head; refs == 1, oldest first */
  tc_entry in_use;       /* mu: dummy head; in the cache and referenced */
  tc_entry gone;         /* mu: dummy head; evicted but still referenced */
  tc_entry **table;      /* mu */
  size_t buckets, count; /* mu */
};

static void list_init(tc_entry *h) { h->prev = h->next = h; }
static void list_remove(tc_entry *e) {
  e->prev->next = e->next;
  e->next->prev = e->prev;
}
static void list_append(tc_entry *h, tc_entry *e) {
  e->next = h;
  e->prev = h->prev;
  e->prev->next = e;
  h->prev = e;
}

void st_table_file_name(const char *dir, uint64_t number, char *out, size_t n) {
  snprintf(out, n, "%s/%06llu.sst", dir, (unsigned long long)number);
}

int st_table_cache_new(st_env *env, const char *dir, size_t capacity, st_block_cache *block_cache, int table_flags,
                       st_table_cache **tc_out) {
  *tc_out = NULL;
  st_table_cache *tc = calloc(1, sizeof *tc);
  if (!tc) return st_error(STRATA_ENOMEM, "table cache: out of memory");
  tc->buckets = 64;
  while (tc->buckets < capacity && tc->buckets < ((size_t)1 << 20)) tc->buckets *= 2;
  tc->table = calloc(tc->buckets, sizeof *tc->table);
  tc->dir = strdup(dir);
  if (!tc->table || !tc->dir) {
    free(tc->table);
    free(tc->dir);
    free(tc);
    return st_error(STRATA_ENOMEM, "table cache: out of memory");
  }
  tc->env = env;
  tc->capacity = capacity;
  tc->block_cache = block_cache;
  tc->table_flags = table_flags;
  st_mutex_init(&tc->mu);
  list_init(&tc->lru);
  list_init(&tc->in_use);
  list_init(&tc->gone);
  *tc_out = tc;
  return STRATA_OK;
}

void st_table_cache_free(st_table_cache *tc) {
  if (!tc) return;
  /* Every table should have been released; close them all regardless. */
  tc_entry *heads[3] = {&tc->lru, &tc->in_use, &tc->gone};
  for (int i = 0; i < 3; i++) {
    for (tc_entry *e = heads[i]->next, *n; e != heads[i]; e = n) {
      n = e->next;
      st_table_close(e->table);
      free(e);
    }
  }
  st_mutex_destroy(&tc->mu);
  free(tc->table);
  free(tc->dir);
  free(tc);
}

static tc_entry **find_slot(st_table_cache *tc, uint64_t number) {
  tc_entry **p = &tc->table[st_hash_mix64(number) & (tc->buckets - 1)];
  while (*p && (*p)->number != number) p = &(*p)->hnext;
  return p;
}

/* mu held. */
static void ref(st_table_cache *tc, tc_entry *e) {
  if (e->in_cache && e->refs == 1) {
    list_remove(e);
    list_append(&tc->in_use, e);
  }
  e->refs++;
}

/* mu held; a dead entry is pushed on *dead, closed after unlocking. */
static void unref(st_table_cache *tc, tc_entry *e, tc_entry **dead) {
  if (--e->refs == 0) {
    list_remove(e);
    e->hnext = *dead;
    *dead = e;
  } else if (e->in_cache && e->refs == 1) {
    list_remove(e);
    list_append(&tc->lru, e);
  }
}

/* Takes e (in the cache) out of the table (mu held). */
static void drop(st_table_cache *tc, tc_entry *e, tc_entry **dead) {
  tc_entry **slot = find_slot(tc, e->number);
  *slot = e->hnext;
  tc->count--;
  e->in_cache = 0;
  list_remove(e);
  list_append(&tc->gone, e);
  unref(tc, e, dead);
}

static void evict_over_capacity(st_table_cache *tc, tc_entry **dead) {
  while (tc->count > tc->capacity && tc->lru.next != &tc->lru) drop(tc, tc->lru.next, dead);
}

static void close_dead(tc_entry *dead) {
  while (dead) {
    tc_entry *n = dead->hnext;
    st_table_close(dead->table);
    free(dead);
    dead = n;
  }
}

static void maybe_grow(st_table_cache *tc) {
  if (tc->count <= tc->buckets) return;
  size_t nb = tc->buckets * 2;
  tc_entry **t = calloc(nb, sizeof *t);
  if (!t) return;
  for (size_t i = 0; i < tc->buckets; i++) {
    for (tc_entry *e = tc->table[i], *n; e; e = n) {
      n = e->hnext;
      tc_entry **slot = &t[st_hash_mix64(e->number) & (nb - 1)];
      e->hnext = *slot;
      *slot = e;
    }
  }
  free(tc->table);
  tc->table = t;
  tc->buckets = nb;
}

int st_table_cache_get(st_table_cache *tc, uint64_t number, st_table **t_out) {
  *t_out = NULL;
  st_mutex_lock(&tc->mu);
  tc_entry *e = *find_slot(tc, number);
  if (e) {
    ref(tc, e);
    st_mutex_unlock(&tc->mu);
    *t_out = e->table;
    return STRATA_OK;
  }
  st_mutex_unlock(&tc->mu);

  /* Open without the lock; another thread may open the same table
   * meanwhile, and then one of the two copies is closed. */
  char path[4096];
  st_table_file_name(tc->dir, number, path, sizeof path);
  st_table *t;
  int rc = st_table_open(tc->env, path, number, tc->block_cache, tc->table_flags, &t);
  /* Every table asked for is named by a live version: its absence is
   * damage to the database, not a missing key. */
  if (rc == STRATA_NOTFOUND) return st_error(STRATA_ECORRUPT, "%s: a live table is missing", path);
  if (rc) return rc;
  tc_entry *ne = calloc(1, sizeof *ne);
  if (!ne) {
    st_table_close(t);
    return st_error(STRATA_ENOMEM, "table cache: out of memory");
  }
  ne->number = number;
  ne->table = t;
  tc_entry *dead = NULL;
  st_mutex_lock(&tc->mu);
  tc_entry **slot = find_slot(tc, number);
  if (*slot) {
    e = *slot;
    ref(tc, e);
  } else {
    e = ne;
    ne = NULL;
    e->refs = 2;
    e->in_cache = 1;
    e->hnext = NULL;
    *slot = e;
    list_append(&tc->in_use, e);
    tc->count++;
    maybe_grow(tc);
    evict_over_capacity(tc, &dead);
  }
  st_mutex_unlock(&tc->mu);
  close_dead(dead);
  if (ne) {
    st_table_close(ne->table);
    free(ne);
  }
  *t_out = e->table;
  return STRATA_OK;
}

void st_table_cache_release(st_table_cache *tc, st_table *t) {
  if (!t) return;
  tc_entry *dead = NULL;
  st_mutex_lock(&tc->mu);
  tc_entry *e = *find_slot(tc, st_table_file_number(t));
  if (!e || e->table != t) {
    /* Evicted since it was handed out. */
    for (e = tc->gone.next; e != &tc->gone && e->table != t; e = e->next) {
    }
  }
  if (e != &tc->gone) {
    unref(tc, e, &dead);
    evict_over_capacity(tc, &dead);
  }
  st_mutex_unlock(&tc->mu);
  close_dead(dead);
}

void st_table_cache_evict(st_table_cache *tc, uint64_t number) {
  tc_entry *dead = NULL;
  st_mutex_lock(&tc->mu);
  tc_entry *e = *find_slot(tc, number);
  if (e) drop(tc, e, &dead);
  st_mutex_unlock(&tc->mu);
  close_dead(dead);
  if (tc->block_cache) st_block_cache_erase_file(tc->block_cache, number);
}

int st_table_cache_may_contain(st_table_cache *tc, uint64_t file_number, const char *ukey, size_t ulen) {
  st_table *t;
  if (st_table_cache_get(tc, file_number, &t) != STRATA_OK) return 1;
  int may = st_table_may_contain(t, ukey, ulen);
  st_table_cache_release(tc, t);
  return may;
}
