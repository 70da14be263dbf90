/*
 * block_cache.c - 16 shards, chosen by a hash of (file, offset), each an
 * LRU under its own mutex: a chained hash table, a list of entries that only
 * the cache references (eviction order, oldest first) and a list of entries
 * handed out. Only unreferenced entries are evicted; a referenced one is
 * freed by its last release.
 */
#include "sst/block_cache.h"

#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/hash.h"
#include "env/sync.h"

#define SHARD_BITS 4
#define SHARDS (1 << SHARD_BITS)

struct st_cache_handle {
  st_cache_handle *hnext;       /* hash chain */
  st_cache_handle *prev, *next; /* the lru or in_use list */
  uint64_t file, offset, hash;
  void *data;
  size_t charge;
  uint32_t refs; /* the cache's own (while in_cache) + one per handle given out */
  int in_cache;  /* in the table and one of the lists */
};

typedef struct shard {
  _Alignas(64) st_mutex mu;
  size_t capacity;
  size_t usage;                              /* mu: charges of entries in the cache */
  st_cache_handle lru;                       /* mu: dummy head; entries with refs == 1, oldest at lru.next */
  st_cache_handle in_use;                    /* mu: dummy head; entries referenced from outside */
  st_cache_handle **table;                   /* mu */
  size_t buckets, count;                     /* mu */
  uint64_t hits, misses, inserts, evictions; /* mu */
} shard;

struct st_block_cache {
  shard shards[SHARDS];
  size_t capacity;
};

static void list_init(st_cache_handle *head) { head->prev = head->next = head; }
static void list_remove(st_cache_handle *e) {
  e->prev->next = e->next;
  e->next->prev = e->prev;
}
/* Appends at the newest end. */
static void list_append(st_cache_handle *head, st_cache_handle *e) {
  e->next = head;
  e->prev = head->prev;
  e->prev->next = e;
  head->prev = e;
}

static uint64_t key_hash(uint64_t file, uint64_t offset) { return st_hash_mix64(st_hash_mix64(file) ^ offset); }

static shard *shard_of(st_block_cache *c, uint64_t hash) { return &c->shards[hash >> (64 - SHARD_BITS)]; }

int st_block_cache_new(size_t capacity, st_block_cache **c_out) {
  *c_out = NULL;
  st_block_cache *c = aligned_alloc(64, (sizeof *c + 63) / 64 * 64);
  if (!c) return st_error(STRATA_ENOMEM, "block cache: out of memory");
  memset(c, 0, sizeof *c);
  c->capacity = capacity;
  for (int i = 0; i < SHARDS; i++) {
    shard *s = &c->shards[i];
    s->capacity = (capacity + SHARDS - 1) / SHARDS;
    list_init(&s->lru);
    list_init(&s->in_use);
    s->buckets = 64;
    s->table = calloc(s->buckets, sizeof *s->table);
    if (!s->table) {
      for (int j = 0; j < i; j++) {
        free(c->shards[j].table);
        st_mutex_destroy(&c->shards[j].mu);
      }
      free(c);
      return st_error(STRATA_ENOMEM, "block cache: out of memory");
    }
    st_mutex_init(&s->mu);
  }
  *c_out = c;
  return STRATA_OK;
}

static void entry_free(st_cache_handle *e) {
  free(e->data);
  free(e);
}

void st_block_cache_free(st_block_cache *c) {
  if (!c) return;
  for (int i = 0; i < SHARDS; i++) {
    shard *s = &c->shards[i];
    /* Every handle must have been released; entries still in use are
     * freed too rather than leaked. */
    st_cache_handle *heads[2] = {&s->lru, &s->in_use};
    for (int h = 0; h < 2; h++) {
      for (st_cache_handle *e = heads[h]->next, *n; e != heads[h]; e = n) {
        n = e->next;
        entry_free(e);
      }
    }
    free(s->table);
    st_mutex_destroy(&s->mu);
  }
  free(c);
}

static st_cache_handle **find_slot(shard *s, uint64_t file, uint64_t offset, uint64_t hash) {
  st_cache_handle **p = &s->table[hash & (s->buckets - 1)];
  while (*p && ((*p)->file != file || (*p)->offset != offset)) p = &(*p)->hnext;
  return p;
}

/* Doubles the table when it is full; on ENOMEM chains just get longer. */
static void maybe_grow(shard *s) {
  if (s->count <= s->buckets) return;
  size_t nb = s->buckets * 2;
  st_cache_handle **t = calloc(nb, sizeof *t);
  if (!t) return;
  for (size_t i = 0; i < s->buckets; i++) {
    for (st_cache_handle *e = s->table[i], *n; e; e = n) {
      n = e->hnext;
      st_cache_handle **slot = &t[e->hash & (nb - 1)];
      e->hnext = *slot;
      *slot = e;
    }
  }
  free(s->table);
  s->table = t;
  s->buckets = nb;
}

/* Drops one reference (mu held); an entry that reaches 0 is pushed on
 * *dead, to be freed after the lock is released. */
static void unref(shard *s, st_cache_handle *e, st_cache_handle **dead) {
  if (--e->refs == 0) {
    e->hnext = *dead;
    *dead = e;
  } else if (e->in_cache && e->refs == 1) {
    list_remove(e);
    list_append(&s->lru, e);
  }
}

/* Takes e, already unlinked from the table, out of the cache (mu held). */
static void detach(shard *s, st_cache_handle *e, st_cache_handle **dead) {
  list_remove(e);
  e->in_cache = 0;
  s->usage -= e->charge;
  s->count--;
  unref(s, e, dead);
}

static void evict(shard *s, st_cache_handle **dead) {
  while (s->usage > s->capacity && s->lru.next != &s->lru) {
    st_cache_handle *old = s->lru.next;
    st_cache_handle **slot = find_slot(s, old->file, old->offset, old->hash);
    *slot = old->hnext;
    detach(s, old, dead);
    s->evictions++;
  }
}

static void free_dead(st_cache_handle *dead) {
  while (dead) {
    st_cache_handle *n = dead->hnext;
    entry_free(dead);
    dead = n;
  }
}

st_cache_handle *st_block_cache_lookup(st_block_cache *c, uint64_t file, uint64_t offset) {
  uint64_t h = key_hash(file, offset);
  shard *s = shard_of(c, h);
  st_mutex_lock(&s->mu);
  st_cache_handle *e = *find_slot(s, file, offset, h);
  if (e) {
    if (e->refs == 1) {
      list_remove(e);
      list_append(&s->in_use, e);
    }
    e->refs++;
    s->hits++;
  } else {
    s->misses++;
  }
  st_mutex_unlock(&s->mu);
  return e;
}

st_cache_handle *st_block_cache_insert(st_block_cache *c, uint64_t file, uint64_t offset, void *data, size_t charge) {
  st_cache_handle *e = malloc(sizeof *e);
  if (!e) {
    free(data);
    return NULL;
  }
  uint64_t h = key_hash(file, offset);
  shard *s = shard_of(c, h);
  e->file = file;
  e->offset = offset;
  e->hash = h;
  e->data = data;
  e->charge = charge;
  e->hnext = e->prev = e->next = NULL;
  st_cache_handle *dead = NULL;
  st_mutex_lock(&s->mu);
  s->inserts++;
  if (s->capacity == 0) {
    e->refs = 1; /* the caller's only: freed by its release */
    e->in_cache = 0;
  } else {
    e->refs = 2;
    e->in_cache = 1;
    list_append(&s->in_use, e);
    s->usage += charge;
    s->count++;
    st_cache_handle **slot = find_slot(s, file, offset, h);
    st_cache_handle *old = *slot;
    if (old) {
      *slot = old->hnext;
      detach(s, old, &dead);
    }
    e->hnext = *slot;
    *slot = e;
    maybe_grow(s);
    evict(s, &dead);
  }
  st_mutex_unlock(&s->mu);
  free_dead(dead);
  return e;
}

void *st_cache_handle_data(st_cache_handle *h) { return h->data; }

size_t st_cache_handle_size(st_cache_handle *h) { return h->charge; }

void st_block_cache_release(st_block_cache *c, st_cache_handle *h) {
  if (!h) return;
  shard *s = shard_of(c, h->hash);
  st_cache_handle *dead = NULL;
  st_mutex_lock(&s->mu);
  unref(s, h, &dead);
  evict(s, &dead);
  st_mutex_unlock(&s->mu);
  free_dead(dead);
}

void st_block_cache_erase_file(st_block_cache *c, uint64_t file) {
  for (int i = 0; i < SHARDS; i++) {
    shard *s = &c->shards[i];
    st_cache_handle *dead = NULL;
    st_mutex_lock(&s->mu);
    for (size_t b = 0; b < s->buckets; b++) {
      st_cache_handle **p = &s->table[b];
      while (*p) {
        st_cache_handle *e = *p;
        if (e->file == file) {
          *p = e->hnext;
          detach(s, e, &dead);
        } else {
          p = &e->hnext;
        }
      }
    }
    st_mutex_unlock(&s->mu);
    free_dead(dead);
  }
}

void st_block_cache_get_stats(st_block_cache *c, st_block_cache_stats *out) {
  memset(out, 0, sizeof *out);
  out->capacity = c->capacity;
  for (int i = 0; i < SHARDS; i++) {
    shard *s = &c->shards[i];
    st_mutex_lock(&s->mu);
    out->hits += s->hits;
    out->misses += s->misses;
    out->inserts += s->inserts;
    out->evictions += s->evictions;
    out->usage += s->usage;
    st_mutex_unlock(&s->mu);
  }
}
