/*
 * skiplist.c - lock-free reads over a single-writer skiplist. A node is
 * fully built before a release store links it in; readers follow links
 * with acquire loads, so they never see a half-built node.
 */
#include "mem/skiplist.h"

#include <stdlib.h>
#include <string.h>

#include "strata.h"

/* A node of height links followed by room for extra bytes. */
static st_skip_node *new_node(st_skiplist *l, const char *entry, int height, size_t extra) {
  size_t links = sizeof(st_skip_node) + sizeof(((st_skip_node *)0)->next[0]) * (size_t)height;
  st_skip_node *n = st_arena_alloc(l->arena, links + extra);
  if (!n) return NULL;
  n->entry = extra ? (const char *)n + links : entry;
  n->height = height;
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

int st_skiplist_insert(st_skiplist *l, const char *entry) { return st_skiplist_insert_with(l, entry, NULL, NULL); }

int st_skiplist_insert_with(st_skiplist *l, const char *entry, st_skiplist_place_fn place, void *arg) {
  st_skip_node *prev[ST_SKIPLIST_MAX_HEIGHT];
  st_skip_node *after = find_ge(l, entry, prev);
  st_skip_node *n = l->pending;
  int h = l->pending_height;
  l->pending = NULL;
  if (!n || n->entry != entry) {
    h = random_height(l);
    if (!(n = new_node(l, entry, h, 0))) return STRATA_ENOMEM;
  }
  if (place) place(arg, n, after);
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
  it->run = it->ahead_pos = it->ahead_n = 0;
  it->back_n = it->back_run = 0;
  it->fill_runs = 2;
  it->scan = 0;
  it->fetch = NULL;
  it->ahead = NULL;
}

void st_skiplist_iter_init_scan(st_skiplist_iter *it, const st_skiplist *l) {
  st_skiplist_iter_init(it, l);
  it->scan = 1;
}

static void pipeline_stop(st_skiplist_iter *it);

/* Every positioning call forgets what was fetched ahead. */
static void reposition(st_skiplist_iter *it, const st_skip_node *n) {
  it->node = n;
  it->run = it->ahead_pos = it->ahead_n = 0;
  it->back_n = it->back_run = 0;
  it->fill_runs = 2;
  pipeline_stop(it);
}

/*
 * Fetching ahead. A scan over a memtable filled in random order waits on
 * one cache miss per node (about 160 ns here), one after the other, since
 * each node's address is in the node before it. A skiplist has more than
 * one chain, though: the nodes of height > ANCHOR_LEVEL (one in
 * 4^ANCHOR_LEVEL) cut level 0 into runs that can be walked at the same
 * time, each from its anchor to the next, so WALKERS misses are in flight
 * at once instead of one. The runs found are laid end to end in
 * fetch->ahead, in key order.
 *
 * A run that is done waits for the runs before it to be done too before
 * its nodes can be handed over in order; it waits in a window of WINDOW
 * runs, so that a long run does not hold up the walking of the shorter
 * ones after it (with WINDOW = WALKERS, two thirds of the rounds had
 * every slot taken and a quarter of the walkers idle).
 *
 * Entries inserted while the scan runs may be missed by the runs already
 * fetched; a reader only looks for entries at or below a sequence number
 * published before it began, and those were linked before it began.
 */
#define ANCHOR_LEVEL 2
#define WALKERS 16 /* runs walked at once */
#define WINDOW 64  /* runs fetched and not handed over yet */
#define RUN_MAX 64 /* nodes a run holds before it pauses (4x its mean length) */

/* The first node after x of height > ANCHOR_LEVEL, or NULL: from a node of
 * height h, link h - 1 leads to the next node at least as high. */
static const st_skip_node *next_anchor(const st_skip_node *x) {
  do x = next_of(x, x->height - 1);
  while (x && x->height <= ANCHOR_LEVEL);
  return x;
}

/* One run in flight: the nodes after its start, up to and including its
 * end (the next run's start; NULL: the end of the list). A run starts only
 * when the chase knows its start, and the chase finds its end in the same
 * round, before the run takes a step. A run longer than RUN_MAX (one in
 * 60) pauses with a full buffer until it is the oldest, hands over what
 * it holds, and walks on: the runs after it keep walking meanwhile. */
typedef struct run {
  const st_skip_node *pos, *end;
  int done, full, len;
  const st_skip_node *buf[RUN_MAX];
} run;

/* The pipeline, kept from one fill to the next while the scan goes on:
 * runs [oldest, started) in flight (walking of them not done yet), and the
 * anchor chase, which found next_start (the start of run `started`) when
 * next_known. */
struct st_skiplist_fetch {
  int live; /* 0: start afresh from the iterator's node */
  unsigned oldest, started;
  int walking;               /* runs being walked: their numbers are walkers[0, walking) */
  unsigned walkers[WALKERS]; /* so that a round steps them without looking at the rest of the window */
  const st_skip_node *next_start, *chase;
  int next_known, chase_done;
  int chase_first; /* the chase is at run 0's start, which may not be an anchor */
  run runs[WINDOW];
  const st_skip_node *ahead[ST_SKIPLIST_AHEAD];
};

static void pipeline_stop(st_skiplist_iter *it) {
  if (it->fetch) it->fetch->live = 0;
}

/* The room for fetching, allocated on first use; 0 without the memory
 * (the iterator then steps a node at a time). */
static int have_fetch(st_skiplist_iter *it) {
  if (!it->fetch && (it->fetch = malloc(sizeof *it->fetch)) != NULL) {
    it->fetch->live = 0;
    it->ahead = it->fetch->ahead;
  }
  return it->fetch != NULL;
}

void st_skiplist_iter_release(st_skiplist_iter *it) {
  free(it->fetch);
  it->fetch = NULL;
  it->ahead = NULL;
  it->ahead_pos = it->ahead_n = 0;
  it->back_n = 0;
}

/*
 * Runs go through the window as a pipeline: each round moves every run
 * being walked one node on (their misses overlap), the anchor chase one
 * anchor on, and hands the oldest runs that are done to fetch->ahead, in
 * order, freeing their slots for the next runs. A fill ends once it has
 * handed over enough nodes for now (more each time, like a file's
 * readahead: a scan that stops soon wastes little), when the buffer cannot
 * take the next run's nodes, or at the end of the list; the runs in flight
 * and the chase go on in the next fill, so a long scan keeps its pipeline
 * full instead of filling and draining it each time. (Stopping it at each
 * run longer than RUN_MAX, as it once did, threw away the walking of the
 * runs after it: with runs of 16 nodes on average, 1.6% of runs are that
 * long, and nearly half of all runs started were walked for nothing.)
 */
static void fill_ahead(st_skiplist_iter *it) {
  st_skiplist_fetch *f = it->fetch;
  run *runs = f->runs;
  if (!f->live) {
    f->live = 1;
    f->oldest = f->started = 0;
    f->walking = 0;
    f->next_start = f->chase = it->node; /* run 0 starts at the current node */
    f->next_known = 1;
    f->chase_done = 0;
    f->chase_first = 1;
  }
  unsigned ahead_runs = (unsigned)(it->fill_runs < WINDOW ? it->fill_runs : WINDOW);
  int want = it->fill_runs * 8 < ST_SKIPLIST_AHEAD - RUN_MAX ? it->fill_runs * 8 : ST_SKIPLIST_AHEAD - RUN_MAX;
  int n = 0;
  for (;;) {
    /* Start runs into free slots. */
    while (f->started - f->oldest < ahead_runs && f->walking < WALKERS && f->next_known && f->next_start) {
      run *r = &runs[f->started % WINDOW];
      r->pos = f->next_start;
      r->end = NULL;
      r->done = r->full = r->len = 0;
      f->walkers[f->walking++] = f->started++;
      f->next_known = 0;
    }
    /* The anchor chase: one step. */
    if (!f->chase_done && !f->next_known) {
      const st_skip_node *c = f->chase;
      c = f->chase_first && c->height <= ANCHOR_LEVEL ? next_anchor(c) : next_of(c, ANCHOR_LEVEL);
      f->chase_first = 0;
      f->chase = c;
      if (c)
        __builtin_prefetch(c);
      else
        f->chase_done = 1;
      /* The run just started ends there (at the end of the list if none). */
      runs[(f->started - 1) % WINDOW].end = c;
      f->next_start = c;
      f->next_known = 1;
    }
    /* Every run being walked: one node on. One that stops walking leaves
     * walkers[] (the last takes its place, and its step, this round). */
    for (int w = 0; w < f->walking;) {
      run *r = &runs[f->walkers[w] % WINDOW];
      const st_skip_node *x = next_of(r->pos, 0);
      if (!x) {
        r->done = 1; /* the end of the list */
        f->walkers[w] = f->walkers[--f->walking];
        continue;
      }
      /* The node and the line after it: the entry a scan reads next
       * starts right after the node's links (st_skiplist_alloc_entry). */
      __builtin_prefetch(x);
      __builtin_prefetch((const char *)x + 64);
      r->buf[r->len++] = x;
      r->pos = x;
      if (x == r->end)
        r->done = 1;
      else if (r->len == RUN_MAX)
        r->full = 1;
      else {
        w++;
        continue;
      }
      f->walkers[w] = f->walkers[--f->walking];
    }
    /* Hand over the oldest runs that are done; the oldest that paused
     * full hands over what it holds and walks on. */
    while (f->oldest != f->started && (runs[f->oldest % WINDOW].done || runs[f->oldest % WINDOW].full)) {
      run *r = &runs[f->oldest % WINDOW];
      if (r->len > ST_SKIPLIST_AHEAD - n) goto out; /* the next fill takes it */
      for (int i = 0; i < r->len; i++) f->ahead[n++] = r->buf[i];
      if (r->full) {
        r->full = r->len = 0;
        f->walkers[f->walking++] = f->oldest;
        break;
      }
      f->oldest++;
    }
    if (n >= want) break;
    if (f->oldest == f->started && f->next_known && !f->next_start) break; /* the end of the list */
  }
out:
  it->ahead_pos = 0;
  it->ahead_n = n;
  if (it->fill_runs < ST_SKIPLIST_AHEAD / 16) it->fill_runs *= 2;
}

void st_skiplist_iter_next_slow(st_skiplist_iter *it) {
  it->back_n = it->back_run = 0;     /* the buffer's nodes are behind: forget them */
  if (it->scan && ++it->run >= 16) { /* a long scan: fetch many nodes at once */
    if (have_fetch(it)) {
      fill_ahead(it);
      if (it->ahead_n) {
        it->node = it->fetch->ahead[it->ahead_pos++];
        return;
      }
    }
  }
  const st_skip_node *n = next_of(it->node, 0);
  it->node = n;
  if (n) __builtin_prefetch(next_of(n, 0));
}

/*
 * Stepping back. Links lead forward only, so a step back is a search from
 * the top of the list: in a big memtable, several cache misses one after
 * the other for every entry of a reverse scan. A scanning iterator's steps
 * back instead share a search, which finds the last node of height >
 * BACK_LEVEL before the current one (about 64 nodes back) and the last
 * node before it on every level below. The stretch between is then opened
 * up a level at a time, each level's stretches walked together so that
 * their misses overlap: level 2 from the start to the search's level-2
 * node, level 1 between those, level 0 between those. The nodes of level
 * 0, in order, serve the steps back that follow. Nodes inserted meanwhile
 * may be missed, as by fetching ahead.
 */
#define BACK_LEVEL 3

/* Fills fetch->ahead[0, back_n) with the nodes before it->node, from the
 * last one of height > BACK_LEVEL on. 0 when the stretch outgrew its room
 * (the caller steps back by a search alone). */
static int fill_back(st_skiplist_iter *it) {
  st_skiplist_fetch *f = it->fetch;
  const st_skiplist *l = it->list;
  st_skip_node *last[ST_SKIPLIST_MAX_HEIGHT];                         /* on each level, the last node before it->node */
  for (int i = 0; i < ST_SKIPLIST_MAX_HEIGHT; i++) last[i] = l->head; /* levels above the search's */
  find_ge(l, it->node->entry, last);
  const st_skip_node *start[WINDOW];
  int ns = 1;
  start[0] = last[BACK_LEVEL];
  run *runs = f->runs;
  for (int lev = BACK_LEVEL - 1; lev >= 0; lev--) {
    /* Stretch j: from start[j] along level lev up to start[j + 1]; the
     * last one up to last[lev], included. */
    int walking = 0;
    for (int j = 0; j < ns; j++) {
      run *r = &runs[j];
      r->pos = r->buf[0] = start[j];
      r->len = 1;
      r->done = j == ns - 1 && start[j] == last[lev];
      walking += !r->done;
    }
    while (walking > 0) {
      for (int j = 0; j < ns; j++) {
        run *r = &runs[j];
        if (r->done) continue;
        const st_skip_node *y = next_of(r->pos, lev);
        if (j + 1 < ns && y == start[j + 1]) {
          r->done = 1;
          walking--;
          continue;
        }
        if (!y || r->len == RUN_MAX) return 0;
        __builtin_prefetch(y);
        if (lev == 0) __builtin_prefetch((const char *)y + 64); /* the entry's key, for the reader */
        r->buf[r->len++] = y;
        r->pos = y;
        if (j + 1 == ns && y == last[lev]) {
          r->done = 1;
          walking--;
        }
      }
    }
    /* The nodes found start the next level's stretches, or are the answer. */
    const st_skip_node **out = lev ? start : f->ahead;
    int cap = lev ? WINDOW : ST_SKIPLIST_AHEAD, n = 0;
    for (int j = 0; j < ns; j++)
      for (int k = 0; k < runs[j].len; k++) {
        if (n == cap) return 0;
        out[n++] = runs[j].buf[k];
      }
    ns = n;
  }
  /* The head is no node of the answer; it can only be first. */
  int skip = f->ahead[0] == l->head;
  if (skip) memmove(f->ahead, f->ahead + 1, (size_t)(ns - 1) * sizeof f->ahead[0]);
  it->back_n = ns - skip;
  return 1;
}

void st_skiplist_iter_prev(st_skiplist_iter *it) {
  if (it->back_n > 0) {
    it->node = it->fetch->ahead[--it->back_n];
    return;
  }
  /* The buffer serves one direction at a time: a turn forward starts
   * fetching ahead afresh, as after a seek. */
  it->run = it->ahead_pos = it->ahead_n = 0;
  it->fill_runs = 2;
  pipeline_stop(it);
  if (it->scan && ++it->back_run >= 2) { /* a reverse scan, not one step back */
    if (have_fetch(it) && fill_back(it)) {
      it->node = it->back_n ? it->fetch->ahead[--it->back_n] : NULL;
      return;
    }
  }
  it->node = find_lt(it->list, it->node->entry);
}

void st_skiplist_iter_seek(st_skiplist_iter *it, const char *target) {
  reposition(it, find_ge(it->list, target, NULL));
}

void st_skiplist_iter_seek_after(st_skiplist_iter *it, const st_skip_node *n) { reposition(it, next_of(n, 0)); }

void st_skiplist_iter_at(st_skiplist_iter *it, const st_skip_node *n) { reposition(it, n); }

const char *st_skiplist_node_entry(const st_skip_node *n) { return n->entry; }

void st_skiplist_iter_seek_first(st_skiplist_iter *it) { reposition(it, next_of(it->list->head, 0)); }

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
  reposition(it, x == l->head ? NULL : x);
}
