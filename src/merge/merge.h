/*
 * merge.h - the typed merge rules of DESIGN.md section 1 (user-facing in
 * docs/SEMANTICS.md): resolving one key's chain of fragments, newest first,
 * into what a read returns, and collapsing a chain into fewer fragments
 * for flush and compaction without changing any read at any snapshot.
 *
 * Kinds (format/kind.h): bases are PUT, DELETE, COUNTER, LIST and
 * LATEST_BASE; operands are ADD, LATEST and APPEND. COUNTER, LIST and
 * LATEST_BASE stand for a whole resolved chain of ADD, APPEND and LATEST,
 * so for the one-kind rule they count as their operand kind.
 *
 * Thread-safety: an st_merge belongs to one thread. Errors: STRATA_ENOMEM,
 * STRATA_ECORRUPT (a fragment whose value does not match its kind, or a
 * kind this version does not know).
 */
#ifndef STRATA_MERGE_MERGE_H
#define STRATA_MERGE_MERGE_H

#include <stddef.h>
#include <stdint.h>

/* A growable byte buffer (NULL until first used). */
typedef struct st_merge_buf {
  char *p;
  size_t len, cap;
} st_merge_buf;

/* One fragment of a list chain kept while resolving: at buf[off, off+len). */
typedef struct st_merge_seg {
  size_t off, len;
  uint64_t elems;
} st_merge_seg;

/*
 * The resolver: feed it a key's visible fragments newest first with
 * st_merge_feed until it says the answer is decided (a base, or a type
 * error), then call st_merge_finish.
 */
typedef struct st_merge {
  size_t list_max;        /* 0 = lists unbounded */
  int done;               /* the answer is decided */
  int rc;                 /* after finish (or once done): STRATA_OK, STRATA_NOTFOUND, STRATA_ETYPE */
  unsigned op;            /* operand kind above the base so far (ADD, LATEST, APPEND), 0 = none */
  unsigned kind;          /* after finish with STRATA_OK: PUT, COUNTER, LATEST_BASE, LIST, or with
                             bottom = 0 the operand kinds ADD, LATEST, APPEND */
  int64_t sum;            /* ADD */
  int have_best;          /* LATEST: best holds ts | value of the winner so far */
  st_merge_buf best;      /* LATEST winner; PUT value */
  st_merge_buf segs_data; /* APPEND: the lists met, newest first */
  st_merge_seg *segs;
  size_t nsegs, cap_segs;
  uint64_t elems;   /* elements kept in segs */
  st_merge_buf out; /* LIST / APPEND result, oldest first */
  char counter[8];  /* COUNTER / ADD result as a fragment value */
  char text[24];    /* ... and as decimal text */
} st_merge;

void st_merge_init(st_merge *m, size_t list_max);
/* Forgets the chain, keeping the buffers for the next one. */
void st_merge_reset(st_merge *m);
void st_merge_destroy(st_merge *m);

/* Feeds the next older fragment. Returns 1 when the answer is decided
 * (later fragments change nothing: stop feeding), 0 to go on, or an error. */
int st_merge_feed(st_merge *m, unsigned kind, const char *val, size_t vlen);

/* 0 when more operands of the current kind cannot change the value (a
 * list already holding list_max elements): a reader may skip them, but
 * must still feed the base under them, whose kind can fail the read. */
int st_merge_wants_values(const st_merge *m);

/*
 * Ends the chain and sets m->rc and m->kind. bottom = 1: nothing older
 * exists, so a chain without a base resolves as if over a DELETE (a read).
 * bottom = 0: older fragments may exist; an operand chain without a base
 * stays an operand (a collapse). Returns m->rc, or an error.
 */
int st_merge_finish(st_merge *m, int bottom);

/* After finish with STRATA_OK: the result as a fragment value (the
 * encodings of format/typed_value.h; a PUT's value as is). Points into m,
 * valid until the next call on m. */
void st_merge_fragment(st_merge *m, const char **val_out, size_t *vlen_out);

/* After finish with STRATA_OK: what a read returns for it (a counter as
 * decimal text, a latest-wins value without its ts, a list's encoding).
 * st_merge_value points into m (valid until the next call on m);
 * st_merge_take_value hands it over malloc'ed and NUL-terminated (the
 * terminator not counted), STRATA_ENOMEM. */
void st_merge_value(st_merge *m, const char **val_out, size_t *vlen_out);
int st_merge_take_value(st_merge *m, char **val_out, size_t *vlen_out);

/* The ts of a LATEST / LATEST_BASE result. */
uint64_t st_merge_latest_ts(const st_merge *m);

/* Parses a counter's decimal base: optional '-', then 1.. digits, within
 * int64, nothing else. 1 and *out, or 0. */
int st_merge_parse_decimal(const char *p, size_t n, int64_t *out);

/* ---- Collapsing ---------------------------------------------------------- */

/* One internal entry of a key (its internal key and value). */
typedef struct st_merge_entry {
  const char *ikey;
  size_t iklen;
  const char *val;
  size_t vlen;
} st_merge_entry;

/* A growable array of one key's entries, newest first (pointers that the
 * caller keeps valid), as flush and compaction gather them. */
typedef struct st_merge_chain {
  st_merge_entry *e;
  size_t n, cap;
} st_merge_chain;

/* Adds an entry. STRATA_ENOMEM leaves c unchanged. */
int st_merge_chain_push(st_merge_chain *c, const char *ikey, size_t iklen, const char *val, size_t vlen);
void st_merge_chain_free(st_merge_chain *c);

typedef struct st_collapse_opts {
  const uint64_t *snapshots; /* live snapshots, ascending */
  size_t nsnapshots;
  int bottom;            /* nothing older of the key exists outside these entries */
  size_t list_max;       /* list_max_elements; 0 = unbounded */
  size_t max_list_bytes; /* a collapsed list fragment stays within this; longer lists
                            stay as several fragments */
} st_collapse_opts;

typedef struct st_collapse_stats {
  uint64_t tombstones_dropped; /* deletes no reader needs */
  uint64_t versions_dropped;   /* entries hidden from every reader, or merged into others */
} st_collapse_stats;

typedef int (*st_merge_emit_fn)(void *arg, const char *ikey, size_t iklen, const char *val, size_t vlen);

/*
 * Collapses the n entries of one user key (newest first, as internal keys
 * order them) and emits the survivors newest first. Within each snapshot
 * stripe (entries seen by the same snapshots): a run of operands of one
 * kind becomes one fragment at the run's newest sequence number; a run
 * over a base it resolves with becomes one typed base (COUNTER, LIST,
 * LATEST_BASE), never a PUT; entries under a base are dropped; a run that
 * does not resolve (mixed kinds, a bad base) is kept as runs and base, so
 * it fails the same way. With bottom, the oldest run resolves as over a
 * DELETE, and a DELETE that would be the key's oldest entry is dropped.
 * Stops at the first error of emit. stats may be NULL.
 */
int st_merge_collapse(const st_merge_entry *e, size_t n, const st_collapse_opts *o, st_merge_emit_fn emit, void *arg,
                      st_collapse_stats *stats);

#endif
