/*
 * compaction_job.c - running one compaction: the inputs merged in
 * internal-key order, the garbage rules applied key by key, the survivors
 * written to new tables cut at user-key boundaries, and a version edit.
 *
 * Range tombstones of the inputs are joined into one fragmented list.
 * An entry one of them hides from every reader is dropped; the tombstones
 * go to the outputs, each output taking the part of them between the
 * last key of the output before it and its own last key (the last output
 * takes the rest), so that outputs never overlap; a tombstone no reader
 * needs, with nothing below the output level it could hide, is dropped.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "compact/compaction.h"
#include "format/ikey.h"
#include "format/kind.h"
#include "format/range_del.h"
#include "iter/merging_iter.h"
#include "iter/table_ref_iter.h"
#include "merge/merge.h"

/* How often (in entries) the stop flag is looked at. */
#define STOP_CHECK_ENTRIES 4096

typedef struct bytes {
  char *p;
  size_t n, cap;
} bytes;

/* Room for n more bytes in b. */
static int bytes_reserve(bytes *b, size_t n) {
  if (b->cap - b->n >= n) return STRATA_OK;
  if (n > SIZE_MAX / 2 - b->n) return st_error(STRATA_ENOMEM, "compaction: out of memory");
  size_t cap = b->cap ? b->cap : 256;
  while (cap - b->n < n) cap *= 2;
  char *p = realloc(b->p, cap);
  if (!p) return st_error(STRATA_ENOMEM, "compaction: out of memory for %zu bytes", cap);
  b->p = p;
  b->cap = cap;
  return STRATA_OK;
}

/* An entry held back while the rest of its user key is read. */
typedef struct pending {
  size_t off, klen, vlen; /* key then value at pbuf.p + off */
} pending;

typedef struct job {
  st_compaction *c;
  const st_compaction_ctx *ctx;
  st_version_edit *edit;
  st_compaction_stats *stats;
  uint64_t smallest_snapshot;

  /* The output being written: its number, and key + value bytes added. */
  st_table_builder *b;
  uint64_t out_number;
  uint64_t out_bytes;
  uint64_t out_key_id; /* key_id of the last entry added to it */
  /* Outputs finished so far: removed again if the compaction fails. */
  uint64_t *done;
  size_t ndone, cap_done;

  /* The user key being walked (its id counts user keys from 1), the
   * trailer of its last entry, and the garbage rules' state. */
  bytes cur;
  uint64_t key_id;
  uint64_t prev_trailer;
  uint64_t last_seq_for_key;
  int key_typed; /* the key has a fragment other than PUT/DELETE */

  /* Per level below the output level: the first file whose largest user
   * key is not below the keys walked so far (keys only ascend). */
  size_t cursor[ST_LEVELS];

  /* Typed fragments in the inputs: each user key is read whole before any
   * of its entries is judged. */
  int hold;
  pending *pend;
  size_t npend, cap_pend;
  bytes pbuf;
  st_merge_chain chain; /* a typed key's held entries, for st_merge_collapse */

  /* Range tombstones: those of every input (NULL when none), the current
   * key's fragment, whether an entry of the key is hidden by it but seen
   * by a snapshot (the key is then written as it is), the first fragment
   * not yet wholly written, and the user keys bounding the outputs. */
  st_rtombs *rt;
  const st_rfrag *key_frag;
  int key_seen;
  size_t rt_next;
  uint64_t *seqbuf;
  bytes out_last; /* the last user key of the current output */
  bytes span_lo;  /* the current output's ranges start here (n == 0 and !span_lo_set: anywhere) */
  int span_lo_set;
} job;

static const char *ukey_small(const st_file_meta *f, size_t *n) {
  *n = f->smallest_len - ST_IKEY_TRAILER;
  return f->smallest;
}


/* 1 when no table of a level below the output level can hold ukey, so
 * that nothing older than the compaction's entries of ukey exists. A
 * table whose range covers ukey is asked its bloom filter: in the seeds'
 * sort-key churn every key is written once and deleted once, and ranges
 * alone would keep each tombstone until it reached the last level. */
static int is_base_level(job *j, const char *ukey, size_t ulen) {
  const st_version *v = j->c->version;
  for (int level = j->c->output_level + 1; level < ST_LEVELS; level++) {
    st_file_meta *const *f = v->files[level];
    size_t n = v->nfiles[level], *i = &j->cursor[level], kl;
    const char *k;
    while (*i < n && st_largest_ukey_compare(f[*i]->largest, f[*i]->largest_len, ukey, ulen) < 0) (*i)++;
    /* Neighbours may share a boundary user key: ask each table whose
     * range covers ukey. */
    for (size_t x = *i; x < n && (k = ukey_small(f[x], &kl), st_ukey_compare(k, kl, ukey, ulen) <= 0); x++)
      if (st_table_cache_may_contain(j->ctx->table_cache, f[x]->number, ukey, ulen)) return 0;
  }
  return 1;
}

/* 1 when no table below the output level overlaps [f->start, f->end). */
static int range_at_bottom(job *j, const st_rfrag *f) {
  const st_version *v = j->c->version;
  for (int level = j->c->output_level + 1; level < ST_LEVELS; level++) {
    size_t lo = 0, hi = v->nfiles[level];
    while (lo < hi) { /* the first table whose largest key is >= start */
      size_t mid = (lo + hi) / 2;
      const st_file_meta *m = v->files[level][mid];
      if (st_largest_ukey_compare(m->largest, m->largest_len, f->start, f->slen) < 0)
        lo = mid + 1;
      else
        hi = mid;
    }
    if (lo == v->nfiles[level]) continue;
    const st_file_meta *m = v->files[level][lo];
    if (f->open || st_ukey_compare(m->smallest, m->smallest_len - ST_IKEY_TRAILER, f->end, f->elen) < 0) return 0;
  }
  return 1;
}

/* Writes to the current output the part of the range tombstones between
 * span_lo and, unless last, just past out_last; the next output's part
 * starts there. */
static int add_ranges(job *j, int last) {
  if (!j->rt) return STRATA_OK;
  const char *hi = NULL;
  size_t hilen = 0;
  int rc;
  if (!last) { /* out_last + "\0": the least key after out_last */
    if ((rc = bytes_reserve(&j->out_last, 1))) return rc;
    j->out_last.p[j->out_last.n] = 0;
    hi = j->out_last.p;
    hilen = j->out_last.n + 1;
  }
  const char *lo = j->span_lo.p;
  size_t lolen = j->span_lo.n;
  for (size_t i = j->rt_next; i < j->rt->n; i++) {
    const st_rfrag *f = &j->rt->frags[i];
    if (hi && st_ukey_compare(f->start, f->slen, hi, hilen) >= 0) break;
    const char *start = f->start, *end = f->end;
    size_t slen = f->slen, elen = f->elen;
    int open = f->open, first = 1;
    if (j->span_lo_set && st_ukey_compare(start, slen, lo, lolen) < 0) {
      start = lo;
      slen = lolen;
      first = 0;
    }
    if (hi && (open || st_ukey_compare(end, elen, hi, hilen) > 0)) {
      end = hi;
      elen = hilen;
      open = 0;
    }
    if (!open && st_ukey_compare(start, slen, end, elen) >= 0) continue;
    size_t n = st_rfrag_live_seqs(f, j->ctx->snapshots, j->ctx->nsnapshots, j->seqbuf);
    if (n && j->seqbuf[0] <= j->smallest_snapshot && range_at_bottom(j, f)) n = 0;
    if (first) j->stats->tombstones_dropped += f->nseqs - n;
    for (size_t s = 0; s < n; s++)
      if ((rc = st_table_builder_add_range(j->b, start, slen, end, elen, open, j->seqbuf[s]))) return rc;
  }
  if (!last) {
    while (j->rt_next < j->rt->n && !j->rt->frags[j->rt_next].open &&
           st_ukey_compare(j->rt->frags[j->rt_next].end, j->rt->frags[j->rt_next].elen, hi, hilen) <= 0)
      j->rt_next++;
    j->span_lo.n = 0;
    if ((rc = bytes_reserve(&j->span_lo, hilen))) return rc;
    memcpy(j->span_lo.p, hi, hilen);
    j->span_lo.n = hilen;
    j->span_lo_set = 1;
  }
  return STRATA_OK;
}

static int open_output(job *j) {
  char path[PATH_MAX];
  if (j->ndone == j->cap_done) {
    size_t cap = j->cap_done ? 2 * j->cap_done : 8;
    uint64_t *p = realloc(j->done, cap * sizeof *p);
    if (!p) return st_error(STRATA_ENOMEM, "compaction: out of memory");
    j->done = p;
    j->cap_done = cap;
  }
  j->out_number = j->ctx->new_file(j->ctx->arg);
  j->out_bytes = 0;
  st_table_file_name(j->ctx->dir, j->out_number, path, sizeof path);
  return st_table_builder_new(j->ctx->env, path, j->ctx->table_opt, &j->b);
}

/* Finishes the current output (fsynced and closed by the builder), with
 * its part of the range tombstones, and records it in the edit; an output
 * left with nothing at all is removed. */
static int finish_output(job *j, int last) {
  st_table_props props;
  int rc = add_ranges(j, last);
  if (rc || st_table_builder_entries(j->b) == 0) {
    st_table_builder_abandon(j->b);
    j->b = NULL;
    return rc;
  }
  rc = st_table_builder_finish(j->b, &props);
  j->b = NULL;
  if (rc) return rc;                   /* the builder removed the file */
  j->done[j->ndone++] = j->out_number; /* room reserved by open_output */
  j->stats->bytes_written += props.file_bytes;
  j->stats->outputs++;
  st_file_meta *meta = st_file_meta_new(j->out_number, props.file_bytes, props.smallest, props.smallest_len,
                                        props.largest, props.largest_len);
  if (!meta) {
    rc = st_error(STRATA_ENOMEM, "compaction: out of memory");
  } else {
    meta->min_seq = props.min_seq;
    meta->max_seq = props.max_seq;
    meta->entries = props.entries;
    meta->tombstones = props.tombstones;
    atomic_store_explicit(&meta->range_dels, props.kind_counts[ST_KIND_RANGE_DELETE] > 0, memory_order_relaxed);
    rc = st_version_edit_add_file(j->edit, j->c->output_level, meta);
    st_file_meta_unref(meta);
  }
  st_table_props_clear(&props);
  return rc;
}

/* Writes one surviving entry, first starting a new output when the
 * current one is full and the entry begins a new user key. */
static int emit(job *j, const char *k, size_t kl, const char *v, size_t vl) {
  int rc;
  uint64_t target = j->ctx->target_file_bytes;
  if (j->b && target && j->out_bytes >= target && j->out_key_id != j->key_id && (rc = finish_output(j, 0))) return rc;
  if (!j->b && (rc = open_output(j))) return rc;
  if (j->rt && j->out_key_id != j->key_id) { /* the output's last user key, for its ranges */
    size_t ul = kl - ST_IKEY_TRAILER;
    j->out_last.n = 0;
    if ((rc = bytes_reserve(&j->out_last, ul + 1))) return rc;
    if (ul) memcpy(j->out_last.p, k, ul);
    j->out_last.n = ul;
  }
  rc = st_table_builder_add(j->b, k, kl, v, vl);
  if (rc == STRATA_EINVAL) { /* the builder refuses what no valid table holds */
    st_errsave why;
    st_error_save(&why);
    return st_error(STRATA_ECORRUPT, "an input entry cannot be written back: %s", why.msg);
  }
  if (rc) return rc;
  j->out_bytes += kl + vl;
  j->out_key_id = j->key_id;
  j->stats->entries_out++;
  return STRATA_OK;
}

/*
 * The garbage rules (LevelDB's), for entries of one user key in order,
 * newest first. An entry is dropped when a newer entry of its key is
 * visible to every reader (last_seq_for_key <= smallest_snapshot), or when
 * it is a DELETE visible to every reader and nothing older of its key can
 * exist below the output level. Keys holding a fragment other than PUT and
 * DELETE go to collapse_pending instead.
 */
static int judge(job *j, const char *k, size_t kl, const char *v, size_t vl) {
  uint64_t t = st_ikey_trailer(k, kl), seq = st_trailer_seq(t);
  unsigned kind = st_trailer_kind(t);
  if (st_kind_is_typed(kind)) j->key_typed = 1;
  if (!j->key_typed) {
    int drop = j->last_seq_for_key <= j->smallest_snapshot ||
               (kind == ST_KIND_DELETE && seq <= j->smallest_snapshot && is_base_level(j, k, kl - ST_IKEY_TRAILER));
    j->last_seq_for_key = seq;
    if (drop) {
      if (kind == ST_KIND_DELETE)
        j->stats->tombstones_dropped++;
      else
        j->stats->versions_dropped++;
      return STRATA_OK;
    }
  }
  return emit(j, k, kl, v, vl);
}

static int emit_collapsed(void *arg, const char *k, size_t kl, const char *v, size_t vl) {
  return emit(arg, k, kl, v, vl);
}

/* A typed key's entries: its chains collapsed by the merge rules, at the
 * bottom (nothing older below the output level) resolved into full values. */
static int collapse_pending(job *j) {
  int rc = STRATA_OK;
  j->chain.n = 0;
  for (size_t i = 0; i < j->npend && !rc; i++) {
    const pending *p = &j->pend[i];
    rc = st_merge_chain_push(&j->chain, j->pbuf.p + p->off, p->klen, j->pbuf.p + p->off + p->klen, p->vlen);
  }
  if (rc) return rc;
  st_collapse_opts o = {
      .snapshots = j->ctx->snapshots,
      .nsnapshots = j->ctx->nsnapshots,
      .bottom = is_base_level(j, j->cur.p, j->cur.n),
      .list_max = j->ctx->list_max,
      .max_list_bytes = j->ctx->max_list_bytes,
  };
  st_collapse_stats cs = {0};
  rc = st_merge_collapse(j->chain.e, j->chain.n, &o, emit_collapsed, j, &cs);
  j->stats->tombstones_dropped += cs.tombstones_dropped;
  j->stats->versions_dropped += cs.versions_dropped;
  return rc;
}

/* Judges the held-back entries of the current user key. */
static int release_pending(job *j) {
  int rc = STRATA_OK;
  if (j->key_typed && j->npend && !j->key_seen) {
    rc = collapse_pending(j);
  } else {
    for (size_t i = 0; i < j->npend && !rc; i++) {
      const pending *p = &j->pend[i];
      rc = judge(j, j->pbuf.p + p->off, p->klen, j->pbuf.p + p->off + p->klen, p->vlen);
    }
  }
  j->npend = 0;
  j->pbuf.n = 0;
  return rc;
}

static int hold_entry(job *j, const char *k, size_t kl, const char *v, size_t vl) {
  if (j->npend == j->cap_pend) {
    size_t cap = j->cap_pend ? 2 * j->cap_pend : 16;
    pending *p = realloc(j->pend, cap * sizeof *p);
    if (!p) return st_error(STRATA_ENOMEM, "compaction: out of memory");
    j->pend = p;
    j->cap_pend = cap;
  }
  if (vl > SIZE_MAX - kl) return st_error(STRATA_ENOMEM, "compaction: out of memory");
  int rc = bytes_reserve(&j->pbuf, kl + vl);
  if (rc) return rc;
  pending *p = &j->pend[j->npend++];
  p->off = j->pbuf.n;
  p->klen = kl;
  p->vlen = vl;
  memcpy(j->pbuf.p + j->pbuf.n, k, kl);
  if (vl) memcpy(j->pbuf.p + j->pbuf.n + kl, v, vl);
  j->pbuf.n += kl + vl;
  if (st_kind_is_typed(st_trailer_kind(st_ikey_trailer(k, kl)))) j->key_typed = 1;
  return STRATA_OK;
}

/* One entry of the merged inputs. */
static int step(job *j, const char *k, size_t kl, const char *v, size_t vl) {
  if (kl < ST_IKEY_TRAILER) return st_error(STRATA_ECORRUPT, "an input key of %zu bytes has no trailer", kl);
  size_t ul = kl - ST_IKEY_TRAILER;
  uint64_t t = st_ikey_trailer(k, kl);
  int c = j->key_id ? st_ukey_compare(k, ul, j->cur.p, j->cur.n) : 1;
  if (c < 0 || (c == 0 && t >= j->prev_trailer))
    return st_error(STRATA_ECORRUPT, "input entries out of order (a key of %zu bytes at seq %llu)", ul,
                    (unsigned long long)st_trailer_seq(t));
  if (c > 0) {
    int rc = j->hold ? release_pending(j) : STRATA_OK;
    if (!rc) {
      j->cur.n = 0;
      rc = bytes_reserve(&j->cur, ul ? ul : 1);
    }
    if (rc) return rc;
    if (ul) memcpy(j->cur.p, k, ul);
    j->cur.n = ul;
    j->key_id++;
    j->last_seq_for_key = UINT64_MAX;
    j->key_typed = 0;
    j->key_seen = 0;
    if (j->rt) {
      st_rlookup at;
      st_rtombs_lookup(j->rt, k, ul, UINT64_MAX, &at);
      j->key_frag = at.frag;
    }
  }
  j->prev_trailer = t;
  j->stats->entries_in++;
  if (j->key_frag) {
    int judged = st_rfrag_judge(j->key_frag, st_trailer_seq(t), j->ctx->snapshots, j->ctx->nsnapshots);
    if (judged == ST_RFRAG_HIDDEN) {
      if (st_trailer_kind(t) == ST_KIND_DELETE)
        j->stats->tombstones_dropped++;
      else
        j->stats->versions_dropped++;
      return STRATA_OK;
    }
    if (judged == ST_RFRAG_SEEN) j->key_seen = 1;
  }
  return j->hold ? hold_entry(j, k, kl, v, vl) : judge(j, k, kl, v, vl);
}

static int stopped(const st_compaction_ctx *ctx) {
  return ctx->stop && atomic_load_explicit(ctx->stop, memory_order_relaxed) != 0;
}

/* The merged iterator over every input; j->hold is set when some input
 * counts fragments other than PUT and DELETE in its properties. */
static int open_inputs(job *j, st_iter **it_out) {
  st_compaction *c = j->c;
  size_t n = c->ninputs[0] + c->ninputs[1], k = 0;
  *it_out = NULL;
  st_iter **kids = calloc(n ? n : 1, sizeof *kids);
  if (!kids) return st_error(STRATA_ENOMEM, "compaction: out of memory");
  int rc = STRATA_OK;
  st_rtomb *raw = NULL;
  size_t nraw = 0, capraw = 0;
  st_table **open = calloc(n ? n : 1, sizeof *open);
  if (!open) rc = st_error(STRATA_ENOMEM, "compaction: out of memory");
  for (int w = 0; w < 2 && !rc; w++)
    for (size_t i = 0; i < c->ninputs[w] && !rc; i++) {
      st_table *t;
      uint64_t number = c->inputs[w][i]->number;
      if ((rc = st_table_cache_get(j->ctx->table_cache, number, &t))) break;
      open[k] = t; /* held until the ranges are copied */
      const st_table_props *p = st_table_get_props(t);
      for (int kind = 0; kind <= ST_KIND_MAX; kind++)
        if (st_kind_is_typed((unsigned)kind) && p->kind_counts[kind]) j->hold = 1;
      const st_rtombs *rt = st_table_rtombs(t);
      for (size_t f = 0; rt && f < rt->n && !rc; f++)
        for (size_t s = 0; s < rt->frags[f].nseqs && !rc; s++) {
          if (nraw == capraw) {
            size_t cap = capraw ? 2 * capraw : 64;
            st_rtomb *nr = realloc(raw, cap * sizeof *nr);
            if (!nr) {
              rc = st_error(STRATA_ENOMEM, "compaction: out of memory");
              break;
            }
            raw = nr;
            capraw = cap;
          }
          const st_rfrag *fr = &rt->frags[f];
          raw[nraw++] = (st_rtomb){fr->start, fr->slen, fr->end, fr->elen, fr->open, fr->seqs[s]};
        }
      if (!rc && !(rc = st_table_ref_iter_new(j->ctx->table_cache, number, &kids[k]))) k++;
    }
  if (!rc && nraw) rc = st_rtombs_build(raw, nraw, &j->rt);
  if (!rc && j->rt && (j->seqbuf = malloc(nraw * sizeof *j->seqbuf)) == NULL)
    rc = st_error(STRATA_ENOMEM, "compaction: out of memory");
  for (size_t i = 0; open && i < n; i++)
    if (open[i]) st_table_cache_release(j->ctx->table_cache, open[i]);
  free(open);
  free(raw);
  if (rc) {
    for (size_t i = 0; i < k; i++) st_iter_free(kids[i]);
  } else {
    rc = st_merging_iter_new(kids, n, it_out);
  }
  free(kids);
  return rc;
}

static int run_trivial_move(st_compaction *c, st_version_edit *edit) {
  if (c->ninputs[0] != 1 || c->ninputs[1] != 0 || c->output_level == c->level)
    return st_error(STRATA_EINVAL, "a trivial move needs one input and nothing below it");
  st_file_meta *f = c->inputs[0][0];
  int rc = st_version_edit_delete_file(edit, c->level, f->number);
  return rc ? rc : st_version_edit_add_file(edit, c->output_level, f);
}

int st_compaction_run(st_compaction *c, const st_compaction_ctx *ctx, st_version_edit *edit,
                      st_compaction_stats *stats) {
  job j;
  st_iter *it = NULL;
  uint64_t seen = 0;
  int rc;
  memset(stats, 0, sizeof *stats);
  memset(&j, 0, sizeof j);
  j.c = c;
  j.ctx = ctx;
  j.edit = edit;
  j.stats = stats;
  j.smallest_snapshot = ctx->nsnapshots ? ctx->snapshots[0] : ctx->last_seq;
  if (stopped(ctx)) {
    rc = st_error(STRATA_EBUSY, "abandoned: the database is closing");
    goto done;
  }
  if (c->trivial_move) {
    rc = run_trivial_move(c, edit);
    goto done;
  }
  stats->bytes_read = st_compaction_input_bytes(c);
  if ((rc = open_inputs(&j, &it))) goto done;
  for (st_iter_seek_first(it); st_iter_valid(it); st_iter_next(it)) {
    if (++seen % STOP_CHECK_ENTRIES == 0 && stopped(ctx)) {
      rc = st_error(STRATA_EBUSY, "abandoned: the database is closing");
      goto done;
    }
    size_t kl, vl;
    const char *k = st_iter_key(it, &kl), *v = st_iter_value(it, &vl);
    if ((rc = step(&j, k, kl, v, vl))) goto done;
  }
  if ((rc = st_iter_status(it))) goto done;
  if (j.hold && (rc = release_pending(&j))) goto done;
  /* The last output takes the rest of the ranges; ranges may be all
   * there is. */
  if (!j.b && j.rt && j.rt->n && (rc = open_output(&j))) goto done;
  if (j.b && (rc = finish_output(&j, 1))) goto done;
  for (int w = 0; w < 2 && !rc; w++)
    for (size_t i = 0; i < c->ninputs[w] && !rc; i++)
      rc = st_version_edit_delete_file(edit, w ? c->output_level : c->level, c->inputs[w][i]->number);

done:;
  /* Cleanup must not replace the first error's message. */
  st_errsave first;
  if (rc) {
    st_error_save(&first);
    st_table_builder_abandon(j.b);
    for (size_t i = 0; i < j.ndone; i++) {
      char path[PATH_MAX];
      st_table_file_name(ctx->dir, j.done[i], path, sizeof path);
      ctx->env->unlink(ctx->env, path);
    }
    st_version_edit_clear(edit);
    st_version_edit_init(edit);
    memset(stats, 0, sizeof *stats);
  }
  st_iter_free(it);
  free(j.done);
  free(j.cur.p);
  free(j.pend);
  free(j.pbuf.p);
  st_merge_chain_free(&j.chain);
  st_rtombs_unref(j.rt);
  free(j.seqbuf);
  free(j.out_last.p);
  free(j.span_lo.p);
  if (rc)
    return st_error(rc, "compaction of level %d into %d (%zu + %zu tables): %s", c->level, c->output_level,
                    c->ninputs[0], c->ninputs[1], first.msg);
  return STRATA_OK;
}
