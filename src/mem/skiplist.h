/*
 * skiplist.h - an ordered set of entries allocated in an arena.
 * Thread-safety: one writer inserts (callers serialize inserts) while any
 * number of readers search and iterate without locks; a reader sees every
 * entry whose insert completed before its search began. Entries are never
 * removed; the arena frees them all at once.
 */
#ifndef STRATA_MEM_SKIPLIST_H
#define STRATA_MEM_SKIPLIST_H

#include <stdatomic.h>
#include <stddef.h>

#include "base/arena.h"
#include "base/random.h"

#define ST_SKIPLIST_MAX_HEIGHT 12

/* Orders two entries (as stored by the caller); <0, 0, >0. */
typedef int (*st_skiplist_cmp)(const char *a, const char *b);

typedef struct st_skip_node st_skip_node;

/* A node: declared here so that a scan's step and its read of the entry
 * inline (st_skiplist_iter_next, st_skiplist_iter_entry); only skiplist.c
 * makes and links nodes. */
struct st_skip_node {
  const char *entry;
  int height;                     /* set before the node is linked */
  _Atomic(st_skip_node *) next[]; /* height links */
};

typedef struct st_skiplist {
  st_skiplist_cmp cmp;
  st_arena *arena;
  st_skip_node *head;
  atomic_int height;     /* relaxed: a stale value only costs a few steps */
  st_random rnd;         /* writer only */
  st_skip_node *pending; /* writer only: made by st_skiplist_alloc_entry, not yet linked */
  int pending_height;
} st_skiplist;

/* Fails only with STRATA_ENOMEM. */
int st_skiplist_init(st_skiplist *l, st_arena *arena, st_skiplist_cmp cmp);

/* Inserts entry (a pointer the caller keeps alive as long as the list,
 * normally arena memory). No equal entry may be present. Writer only.
 * STRATA_ENOMEM leaves the list unchanged. An entry made by
 * st_skiplist_alloc_entry is linked in place, with no new allocation. */
int st_skiplist_insert(st_skiplist *l, const char *entry);

/* Called by st_skiplist_insert_with once the entry's place is found and
 * before it is linked, so that readers never see it unfinished: self is
 * its node, next the node that will follow it (NULL: the end). */
typedef void (*st_skiplist_place_fn)(void *arg, const st_skip_node *self, const st_skip_node *next);

/* st_skiplist_insert, calling place (when not NULL) as said above. */
int st_skiplist_insert_with(st_skiplist *l, const char *entry, st_skiplist_place_fn place, void *arg);

/* The entry of a node. */
const char *st_skiplist_node_entry(const st_skip_node *n);

/* Allocates a node with room for an n-byte entry right after its links,
 * and returns that room for the caller to fill and then insert. One
 * allocation per entry, so a search or a scan touches one place per node,
 * not two (half the cache misses of a cold memtable). NULL: out of memory.
 * Writer only; each call forgets an earlier room not inserted. */
char *st_skiplist_alloc_entry(st_skiplist *l, size_t n);

/* Nodes a long forward scan fetches ahead at once (skiplist.c). */
#define ST_SKIPLIST_AHEAD 1024

/* The room of a scan's fetching ahead (skiplist.c), allocated on its
 * first use. */
typedef struct st_skiplist_fetch st_skiplist_fetch;

typedef struct st_skiplist_iter {
  const st_skiplist *list;
  const st_skip_node *node; /* NULL: not valid */
  int run;                  /* next() calls since the last positioning */
  int fill_runs;            /* runs the next fetch-ahead may walk: doubles from 2 */
  int ahead_pos, ahead_n;   /* fetch->ahead[ahead_pos, ahead_n): the nodes after node, in order */
  int back_n;               /* fetch->ahead[0, back_n): the nodes just before node, in order */
  int back_run;             /* prev() calls since the last positioning or forward step */
  int scan;                 /* fetching ahead allowed (st_skiplist_iter_init_scan) */
  st_skiplist_fetch *fetch; /* NULL until a long scan needs it */
  const st_skip_node **ahead; /* fetch's buffer of nodes (NULL while fetch is) */
} st_skiplist_iter;

/* An iterator for short walks (a key's entries, a seek): it never
 * allocates, and needs no release. */
void st_skiplist_iter_init(st_skiplist_iter *it, const st_skiplist *l);
/* An iterator for scans: after some steps forward it fetches many nodes
 * ahead at once, and after a few steps back it finds the nodes before the
 * current one a stretch at a time (about 40 KiB, allocated then; without
 * the memory it steps one node at a time). Release it with
 * st_skiplist_iter_release. */
void st_skiplist_iter_init_scan(st_skiplist_iter *it, const st_skiplist *l);
void st_skiplist_iter_release(st_skiplist_iter *it);
static inline int st_skiplist_iter_valid(const st_skiplist_iter *it) { return it->node != NULL; }
static inline const char *st_skiplist_iter_entry(const st_skiplist_iter *it) { return it->node->entry; }

/* Taking node i from the buffer prefetches node i + ST_SKIPLIST_TAKE_AHEAD
 * again: the walk fetched it long before (up to a buffer ago), and L1 may
 * have let it go since (a scan of a memtable: 46.4 to 43.3 ns an entry). */
#define ST_SKIPLIST_TAKE_AHEAD 16

/* st_skiplist_iter_next past the nodes fetched ahead (skiplist.c). */
void st_skiplist_iter_next_slow(st_skiplist_iter *it);

/* Inline: a scan takes most steps from the nodes fetched ahead. A step
 * back empties them (prev), so a step forward after steps back never takes
 * them: it goes to the slow path, which forgets the nodes kept for steps
 * back. */
static inline void st_skiplist_iter_next(st_skiplist_iter *it) {
  if (it->ahead_pos < it->ahead_n) {
    it->node = it->ahead[it->ahead_pos++];
    if (it->ahead_pos + ST_SKIPLIST_TAKE_AHEAD < it->ahead_n) {
      const char *n = (const char *)it->ahead[it->ahead_pos + ST_SKIPLIST_TAKE_AHEAD];
      __builtin_prefetch(n);
      __builtin_prefetch(n + 64);
    }
    return;
  }
  st_skiplist_iter_next_slow(it);
}

/* Moves to the last entry before the current one (a search, O(log n);
 * a scanning iterator's steps back share one search per stretch). */
void st_skiplist_iter_prev(st_skiplist_iter *it);
/* Moves to the first entry >= target (target in entry form). */
void st_skiplist_iter_seek(st_skiplist_iter *it, const char *target);
void st_skiplist_iter_seek_first(st_skiplist_iter *it);
/* Moves to the entry after node n, a node of the list. */
void st_skiplist_iter_seek_after(st_skiplist_iter *it, const st_skip_node *n);
/* Positions on node n itself (a linked node of this list). */
void st_skiplist_iter_at(st_skiplist_iter *it, const st_skip_node *n);
void st_skiplist_iter_seek_last(st_skiplist_iter *it);

#endif
