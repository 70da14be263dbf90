/*
 * skiplist.c - lock-free reads over a single-writer skiplist. A node is
 * fully built before a release store links it in; readers follow links
 * with acquire loads, so they never see a half-built node.
 */
#include "mem/skiplist.h"

#include "strata.h"

struct st_skip_node {
  const char *entry;
  _Atomic(st_skip_node *) next[]; /* height links */
};

/* A node of height links followed by room for extra bytes. */
static st_skip_node *new_node(st_skiplist *l, const char *entry, int height, size_t extra) {
  size_t links = sizeof(st_skip_node) + sizeof(((st_skip_node *)0)->next[0]) * (size_t)height;
  st_skip_node *n = st_arena_alloc(l->arena, links + extra);
  if (!n) return NULL;
  n->entry = extra ? (const char *)n + links : entry;
  for (int i = 0; i < height; i++) atomic_init(&n->next[i], NULL);
  return n;
}

static inline st_skip_node *next_of(const st_skip_node *n, int level) {
  return atomic_load_explicit(&((st_skip_node *)n)->next[level], memory_order_acquire);
}

int st_skiplist_init(st_skiplist *l, st_arena *arena, st_skiplist_cmp cmp) {
  l->cmp = cmp;
  l->arena = arena;
  atomic_init(&l->height, 1);
  st_random_seed(&l->rnd, 0xdeadbeefcafef00dull);
  l->pending = NULL;
  l->head = new_node(l, NULL, ST_SKIPLIST_MAX_HEIGHT, 0);
  return l->head ? STRATA_OK : STRATA_ENOMEM;
}

static int random_height(st_skiplist *l) {
  int h = 1;
  while (h < ST_SKIPLIST_MAX_HEIGHT && st_random_uniform(&l->rnd, 4) == 0) h++;
  return h;
}

/* The first node >= target; fills prev[level] with the last node < target
 * on each level when prev is not NULL. */
static st_skip_node *find_ge(const st_skiplist *l, const char *target, st_skip_node **prev) {
  st_skip_node *x = l->head;
  int level = atomic_load_explicit(&l->height, memory_order_relaxed) - 1;
  for (;;) {
    st_skip_node *next = next_of(x, level);
    if (next && l->cmp(next->entry, target) < 0) {
      x = next;
      continue;
    }
    if (prev) prev[level] = x;
    if (level == 0) return next;
    level--;
  }
}

static st_skip_node *find_lt(const st_skiplist *l, const char *target) {
  st_skip_node *prev[ST_SKIPLIST_MAX_HEIGHT];
  find_ge(l, target, prev);
  return prev[0] == l->head ? NULL : prev[0];
}

char *st_skiplist_alloc_entry(st_skiplist *l, size_t n) {
  int h = random_height(l);
  l->pending = new_node(l, NULL, h, n ? n : 1);
  l->pending_height = h;
  return l->pending ? (char *)l->pending->entry : NULL;
}

int st_skiplist_insert(st_skiplist *l, const char *entry) {
  st_skip_node *prev[ST_SKIPLIST_MAX_HEIGHT];
  find_ge(l, entry, prev);
  st_skip_node *n = l->pending;
  int h = l->pending_height;
  l->pending = NULL;
  if (!n || n->entry != entry) {
    h = random_height(l);
    if (!(n = new_node(l, entry, h, 0))) return STRATA_ENOMEM;
  }
  int cur = atomic_load_explicit(&l->height, memory_order_relaxed);
  for (int i = cur; i < h; i++) prev[i] = l->head;
  /* A reader seeing the new height before the new links only finds NULL
   * at the top levels of head and steps down: harmless. */
  if (h > cur) atomic_store_explicit(&l->height, h, memory_order_relaxed);
  for (int i = 0; i < h; i++) {
    atomic_store_explicit(&n->next[i], next_of(prev[i], i), memory_order_relaxed);
    atomic_store_explicit(&prev[i]->next[i], n, memory_order_release);
  }
  return STRATA_OK;
}

void st_skiplist_iter_init(st_skiplist_iter *it, const st_skiplist *l) {
  it->list = l;
  it->node = NULL;
}

const char *st_skiplist_iter_entry(const st_skiplist_iter *it) { return it->node->entry; }

/* A scan of a cold memtable waits on one cache miss per node: fetching
 * the node after the one arrived at overlaps that wait with the caller's
 * work on this one. */
void st_skiplist_iter_next(st_skiplist_iter *it) {
  const st_skip_node *n = next_of(it->node, 0);
  it->node = n;
  if (n) __builtin_prefetch(next_of(n, 0));
}

void st_skiplist_iter_prev(st_skiplist_iter *it) { it->node = find_lt(it->list, it->node->entry); }

void st_skiplist_iter_seek(st_skiplist_iter *it, const char *target) { it->node = find_ge(it->list, target, NULL); }

void st_skiplist_iter_seek_first(st_skiplist_iter *it) { it->node = next_of(it->list->head, 0); }

void st_skiplist_iter_seek_last(st_skiplist_iter *it) {
  const st_skiplist *l = it->list;
  st_skip_node *x = l->head;
  int level = atomic_load_explicit(&l->height, memory_order_relaxed) - 1;
  for (;;) {
    st_skip_node *next = next_of(x, level);
    if (next) {
      x = next;
      continue;
    }
    if (level == 0) break;
    level--;
  }
  it->node = x == l->head ? NULL : x;
}
