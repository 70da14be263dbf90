/* test_compaction_run.c - running compactions over real tables and reading
 * the outputs back: the garbage rules (hidden versions, snapshots,
 * tombstones at and above the base level, typed chains collapsed),
 * outputs cut between user keys, trivial moves, level 0, the last level
 * rewritten in place, tombstone compactions that end, damaged and missing
 * inputs, the stop flag, and I/O failure at every step. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compact/compaction.h"
#include "fault_env.h"
#include "format/ikey.h"
#include "format/kind.h"
#include "format/typed_value.h"
#include "sst/table.h"
#include "testutil.h"
#include "version/version_edit.h"

#define MAX_SEQ 1000000

/* ---- entry lists ------------------------------------------------------------ */

typedef struct ent {
  char *k; /* internal key */
  size_t kl;
  char *v;
  size_t vl;
} ent;

typedef struct elist {
  ent *e;
  size_t n, cap;
} elist;

static void el_addn(elist *l, const char *uk, size_t ul, uint64_t seq, unsigned kind, const char *v, size_t vl) {
  if (l->n == l->cap) {
    l->cap = l->cap ? 2 * l->cap : 64;
    l->e = realloc(l->e, l->cap * sizeof *l->e);
    assert_non_null(l->e);
  }
  ent *e = &l->e[l->n++];
  e->kl = ul + 8;
  e->k = malloc(e->kl);
  st_ikey_pack(e->k, uk, ul, st_trailer_pack(seq, kind));
  e->vl = vl;
  e->v = malloc(vl + 1);
  if (vl) memcpy(e->v, v, vl);
}

/* A PUT (or another kind) of value v; a DELETE has no value. */
static void el_add(elist *l, const char *uk, uint64_t seq, unsigned kind, const char *v) {
  el_addn(l, uk, strlen(uk), seq, kind, v, kind == ST_KIND_DELETE || !v ? 0 : strlen(v));
}

/* Typed fragments: a counter (ADD, COUNTER), a latest-wins value (LATEST,
 * LATEST_BASE: ts then v) or a one-element list (APPEND, LIST). */
static void el_add_int(elist *l, const char *uk, uint64_t seq, unsigned kind, int64_t n) {
  char v[8];
  st_counter_encode(v, n);
  el_addn(l, uk, strlen(uk), seq, kind, v, 8);
}
static void el_add_latest(elist *l, const char *uk, uint64_t seq, unsigned kind, uint64_t ts, const char *val) {
  char v[64];
  st_put_fixed64(v, ts);
  memcpy(v + 8, val, strlen(val));
  el_addn(l, uk, strlen(uk), seq, kind, v, 8 + strlen(val));
}
static void el_add_elem(elist *l, const char *uk, uint64_t seq, unsigned kind, const char *elem) {
  char v[64];
  size_t h = st_list_put_header(v, strlen(elem));
  memcpy(v + h, elem, strlen(elem));
  el_addn(l, uk, strlen(uk), seq, kind, v, h + strlen(elem));
}

static void el_free(elist *l) {
  for (size_t i = 0; i < l->n; i++) {
    free(l->e[i].k);
    free(l->e[i].v);
  }
  free(l->e);
  memset(l, 0, sizeof *l);
}

static int ent_cmp(const void *a, const void *b) {
  const ent *x = a, *y = b;
  return st_ikey_compare(x->k, x->kl, y->k, y->kl);
}

/* "a@10P=v b@3D c@7K3=x": entries as text, for readable assertions. */
static char *el_str(const elist *l) {
  size_t cap = 64, used = 0;
  char *s = malloc(cap);
  s[0] = '\0';
  for (size_t i = 0; i < l->n; i++) {
    const ent *e = &l->e[i];
    uint64_t t = st_ikey_trailer(e->k, e->kl);
    unsigned kind = st_trailer_kind(t);
    char kc[8];
    if (kind == ST_KIND_PUT)
      strcpy(kc, "P");
    else if (kind == ST_KIND_DELETE)
      strcpy(kc, "D");
    else
      snprintf(kc, sizeof kc, "K%u", kind);
    size_t need = e->kl + e->vl + 48;
    if (used + need >= cap) {
      while (used + need >= cap) cap *= 2;
      s = realloc(s, cap);
    }
    used += (size_t)snprintf(s + used, cap - used, "%s%.*s@%llu%s", i ? " " : "", (int)(e->kl - 8), e->k,
                             (unsigned long long)st_trailer_seq(t), kc);
    if (kind == ST_KIND_ADD || kind == ST_KIND_COUNTER) {
      used += (size_t)snprintf(s + used, cap - used, "=%lld", (long long)st_counter_decode(e->v));
    } else if (kind == ST_KIND_LATEST || kind == ST_KIND_LATEST_BASE) {
      used += (size_t)snprintf(s + used, cap - used, "=%llu:%.*s", (unsigned long long)st_get_fixed64(e->v),
                               (int)(e->vl - 8), e->v + 8);
    } else if (kind == ST_KIND_APPEND || kind == ST_KIND_LIST) {
      size_t pos = 0, el;
      const char *x;
      used += (size_t)snprintf(s + used, cap - used, "=[");
      for (int first = 1; st_list_next(e->v, e->vl, &pos, &x, &el) == 1; first = 0)
        used += (size_t)snprintf(s + used, cap - used, "%s%.*s", first ? "" : ",", (int)el, x);
      used += (size_t)snprintf(s + used, cap - used, "]");
    } else if (kind != ST_KIND_DELETE) {
      used += (size_t)snprintf(s + used, cap - used, "=%.*s", (int)e->vl, e->v);
    }
  }
  return s;
}

static void expect_entries(const elist *got, const char *want) {
  char *s = el_str(got);
  if (strcmp(s, want) != 0) fail_msg("entries:\n got \"%s\"\nwant \"%s\"", s, want);
  free(s);
}

/* ---- the fixture ---------------------------------------------------------- */

typedef struct fx {
  char *dir;
  st_env *env; /* what the compaction uses */
  st_table_cache *tc;
  st_table_options topt;
  uint64_t target;
  uint64_t next_number; /* of outputs */
  int new_file_calls, stop_after;
  uint64_t snaps[4];
  size_t nsnaps;
  uint64_t last_seq;
  atomic_int stop;
  st_version_edit vedit; /* the files of the version being made */
} fx;

static void fx_init(fx *f, st_env *env) {
  memset(f, 0, sizeof *f);
  f->dir = tu_tmpdir();
  f->env = env ? env : st_env_posix();
  assert_int_equal(st_table_cache_new(f->env, f->dir, 100, NULL, 0, &f->tc), STRATA_OK);
  st_table_options_init(&f->topt);
  f->topt.block_bytes = 512;
  f->target = 64 << 20;
  f->next_number = 1000;
  f->last_seq = MAX_SEQ;
  atomic_init(&f->stop, 0);
  st_version_edit_init(&f->vedit);
}

static void fx_done(fx *f) {
  st_table_cache_free(f->tc);
  st_version_edit_clear(&f->vedit);
  tu_rmdir(f->dir);
}

/* Writes a table numbered number holding l's entries (sorted here), with
 * the POSIX env, and adds it at level to the version being made. */
static void fx_table(fx *f, int level, uint64_t number, elist *l) {
  char path[4096];
  st_table_builder *b;
  st_table_props p;
  qsort(l->e, l->n, sizeof *l->e, ent_cmp);
  st_table_file_name(f->dir, number, path, sizeof path);
  assert_int_equal(st_table_builder_new(st_env_posix(), path, &f->topt, &b), STRATA_OK);
  for (size_t i = 0; i < l->n; i++)
    assert_int_equal(st_table_builder_add(b, l->e[i].k, l->e[i].kl, l->e[i].v, l->e[i].vl), STRATA_OK);
  assert_int_equal(st_table_builder_finish(b, &p), STRATA_OK);
  st_file_meta *m = st_file_meta_new(number, p.file_bytes, p.smallest, p.smallest_len, p.largest, p.largest_len);
  assert_non_null(m);
  m->min_seq = p.min_seq;
  m->max_seq = p.max_seq;
  m->entries = p.entries;
  m->tombstones = p.tombstones;
  assert_int_equal(st_version_edit_add_file(&f->vedit, level, m), STRATA_OK);
  st_file_meta_unref(m);
  st_table_props_clear(&p);
  el_free(l);
}

/* v with edit e applied (checked as the version set would: no overlaps at
 * levels >= 1, no duplicate numbers). Consumes v. */
static st_version *apply(st_version *v, const st_version_edit *e) {
  st_version_builder b;
  st_version *nv = NULL;
  assert_int_equal(st_version_builder_init(&b, v), STRATA_OK);
  int rc = st_version_builder_apply(&b, e, STRATA_EINVAL);
  if (rc) fail_msg("apply: %s", strata_errmsg());
  assert_int_equal(st_version_builder_finish(&b, &nv), STRATA_OK);
  st_version_builder_clear(&b);
  st_version_unref(v);
  return nv;
}

/* The version of every table written so far. */
static st_version *fx_version(fx *f) {
  st_version *v = st_version_new();
  assert_non_null(v);
  v = apply(v, &f->vedit);
  st_version_edit_clear(&f->vedit);
  st_version_edit_init(&f->vedit);
  return v;
}

static uint64_t new_file(void *arg) {
  fx *f = arg;
  if (++f->new_file_calls == f->stop_after) atomic_store(&f->stop, 1);
  return f->next_number++;
}

static int fx_run(fx *f, st_compaction *c, st_version_edit *e, st_compaction_stats *s) {
  st_compaction_ctx ctx = {f->env,   f->dir,    f->tc,       &f->topt, f->target, new_file, f,
                           f->snaps, f->nsnaps, f->last_seq, &f->stop, 0,         0};
  st_version_edit_init(e);
  return st_compaction_run(c, &ctx, e, s);
}

static void fx_snaps(fx *f, size_t n, uint64_t a, uint64_t b) {
  f->nsnaps = n;
  f->snaps[0] = a;
  f->snaps[1] = b;
}

/* Every entry of the tables e adds, in edit order (outputs are added in
 * key order), after checking their metadata against the files. */
static void read_outputs(const fx *f, const st_version_edit *e, int level, elist *out) {
  for (size_t i = 0; i < e->nadded; i++) {
    const st_file_meta *m = e->added[i].meta;
    char path[4096];
    st_table *t;
    st_iter *it;
    assert_int_equal(e->added[i].level, level);
    st_table_file_name(f->dir, m->number, path, sizeof path);
    assert_int_equal(st_table_open(st_env_posix(), path, m->number, NULL, 0, &t), STRATA_OK);
    const st_table_props *p = st_table_get_props(t);
    assert_int_equal(m->size, p->file_bytes);
    assert_int_equal(m->size, tu_file_size(path));
    assert_int_equal(m->entries, p->entries);
    assert_int_equal(m->tombstones, p->tombstones);
    assert_int_equal(m->min_seq, p->min_seq);
    assert_int_equal(m->max_seq, p->max_seq);
    assert_int_equal(m->smallest_len, p->smallest_len);
    assert_memory_equal(m->smallest, p->smallest, p->smallest_len);
    assert_int_equal(m->largest_len, p->largest_len);
    assert_memory_equal(m->largest, p->largest, p->largest_len);
    assert_int_equal(st_table_iter_new(t, &it), STRATA_OK);
    for (st_iter_seek_first(it); st_iter_valid(it); st_iter_next(it)) {
      size_t kl, vl;
      const char *k = st_iter_key(it, &kl), *v = st_iter_value(it, &vl);
      uint64_t tr = st_ikey_trailer(k, kl);
      el_addn(out, k, kl - 8, st_trailer_seq(tr), st_trailer_kind(tr), v, vl);
    }
    assert_int_equal(st_iter_status(it), STRATA_OK);
    st_iter_free(it);
    st_table_close(t);
  }
}

/* Runs c and expects success with outputs at c->output_level holding
 * exactly want; the edit also deletes every input. */
static void run_expect(fx *f, st_compaction *c, const char *want, st_compaction_stats *s) {
  st_version_edit e;
  int rc = fx_run(f, c, &e, s);
  if (rc) fail_msg("run: %s (%s)", strata_strerror(rc), strata_errmsg());
  elist got = {0};
  read_outputs(f, &e, c->output_level, &got);
  expect_entries(&got, want);
  assert_int_equal(e.ndeleted, c->ninputs[0] + c->ninputs[1]);
  for (int w = 0; w < 2; w++)
    for (size_t i = 0; i < c->ninputs[w]; i++) {
      int found = 0;
      for (size_t d = 0; d < e.ndeleted; d++)
        found |=
            e.deleted[d].number == c->inputs[w][i]->number && e.deleted[d].level == (w ? c->output_level : c->level);
      assert_true(found);
    }
  assert_int_equal(s->entries_in, s->entries_out + s->tombstones_dropped + s->versions_dropped);
  assert_int_equal(s->entries_out, got.n);
  assert_int_equal(s->outputs, e.nadded);
  assert_int_equal(s->bytes_read, st_compaction_input_bytes(c));
  uint64_t written = 0;
  for (size_t i = 0; i < e.nadded; i++) written += e.added[i].meta->size;
  assert_int_equal(s->bytes_written, written);
  /* The edit applies to the compaction's version. */
  st_version_ref(c->version);
  st_version_unref(apply(c->version, &e));
  el_free(&got);
  st_version_edit_clear(&e);
}

/* Table numbers in the directory (ascending), and other entries. */
static size_t list_tables(const char *dir, uint64_t *nums, size_t max) {
  DIR *d = opendir(dir);
  struct dirent *de;
  size_t n = 0;
  assert_non_null(d);
  while ((de = readdir(d)) != NULL) {
    if (de->d_name[0] == '.') continue;
    unsigned long long x;
    char tail[8];
    if (sscanf(de->d_name, "%llu.%7s", &x, tail) == 2 && strcmp(tail, "sst") == 0) {
      if (n < max) nums[n] = x;
      n++;
    } else {
      fail_msg("unexpected file %s", de->d_name);
    }
  }
  closedir(d);
  for (size_t i = 1; i < n && i < max; i++)
    for (size_t j = i; j > 0 && nums[j - 1] > nums[j]; j--) {
      uint64_t t = nums[j];
      nums[j] = nums[j - 1];
      nums[j - 1] = t;
    }
  return n;
}

static void expect_only_inputs(const fx *f, const st_compaction *c, const uint64_t *sizes) {
  uint64_t nums[64];
  size_t n = list_tables(f->dir, nums, 64);
  assert_int_equal(n, c->ninputs[0] + c->ninputs[1]);
  size_t k = 0;
  for (int w = 0; w < 2; w++)
    for (size_t i = 0; i < c->ninputs[w]; i++, k++) {
      char path[4096];
      st_table_file_name(f->dir, c->inputs[w][i]->number, path, sizeof path);
      assert_int_equal(tu_file_size(path), sizes[k]);
    }
}

/* ---- the garbage rules ---------------------------------------------------------- */

static void newest_kept_older_dropped(void **state) {
  (void)state;
  fx f;
  fx_init(&f, NULL);
  elist l = {0};
  el_add(&l, "a", 10, ST_KIND_PUT, "a10");
  el_add(&l, "a", 5, ST_KIND_PUT, "a5");
  el_add(&l, "a", 3, ST_KIND_DELETE, NULL);
  el_add(&l, "c", 4, ST_KIND_PUT, "c4");
  fx_table(&f, 1, 1, &l);
  el_add(&l, "a", 1, ST_KIND_PUT, "a1");
  el_add(&l, "b", 2, ST_KIND_PUT, "b2");
  fx_table(&f, 2, 2, &l);
  st_version *v = fx_version(&f);
  st_compaction *c = st_compaction_range(v, 1, NULL, 0, NULL, 0, 1);
  assert_non_null(c);
  assert_int_equal(c->ninputs[1], 1);
  st_compaction_stats s;
  run_expect(&f, c, "a@10P=a10 b@2P=b2 c@4P=c4", &s);
  assert_int_equal(s.entries_in, 6);
  assert_int_equal(s.versions_dropped, 2);
  assert_int_equal(s.tombstones_dropped, 1);
  assert_int_equal(s.outputs, 1);
  assert_true(s.bytes_written > 0);
  st_compaction_free(c);
  st_version_unref(v);
  fx_done(&f);
}

static void snapshots_keep_versions(void **state) {
  (void)state;
  fx f;
  fx_init(&f, NULL);
  elist l = {0};
  el_add(&l, "k", 10, ST_KIND_PUT, "10");
  el_add(&l, "k", 5, ST_KIND_PUT, "5");
  el_add(&l, "k", 2, ST_KIND_PUT, "2");
  el_add(&l, "m", 9, ST_KIND_DELETE, NULL);
  el_add(&l, "m", 6, ST_KIND_PUT, "6");
  el_add(&l, "z", 1, ST_KIND_PUT, "1");
  fx_table(&f, 1, 1, &l);
  st_version *v = fx_version(&f);
  st_compaction *c = st_compaction_range(v, 1, NULL, 0, NULL, 0, 1);
  st_compaction_stats s;
  /* No snapshot: the newest of each key; the DELETE of m (nothing below)
   * takes the PUT it hides with it. */
  run_expect(&f, c, "k@10P=10 z@1P=1", &s);
  /* A snapshot at 7 reads k@5 and m@6: kept; k@2 is hidden from every
   * reader by k@5. The DELETE at 9 is newer than the snapshot: kept. */
  fx_snaps(&f, 1, 7, 0);
  run_expect(&f, c, "k@10P=10 k@5P=5 m@9D m@6P=6 z@1P=1", &s);
  /* Snapshots 3 and 7: only the smallest counts (LevelDB's rule), so k@2
   * is kept too. */
  fx_snaps(&f, 2, 3, 7);
  run_expect(&f, c, "k@10P=10 k@5P=5 k@2P=2 m@9D m@6P=6 z@1P=1", &s);
  /* A snapshot above everything is as good as none. */
  fx_snaps(&f, 1, 12, 0);
  run_expect(&f, c, "k@10P=10 z@1P=1", &s);
  /* Without snapshots last_seq bounds what is visible to every reader. */
  fx_snaps(&f, 0, 0, 0);
  f.last_seq = 8;
  run_expect(&f, c, "k@10P=10 k@5P=5 m@9D m@6P=6 z@1P=1", &s);
  st_compaction_free(c);
  st_version_unref(v);
  fx_done(&f);
}

static void tombstones_and_the_base_level(void **state) {
  (void)state;
  fx f;
  fx_init(&f, NULL);
  elist l = {0};
  const char *keys[] = {"a", "c", "e", "g", "i", "k"};
  for (int i = 0; i < 6; i++) el_add(&l, keys[i], 10, ST_KIND_DELETE, NULL);
  fx_table(&f, 1, 1, &l);
  el_add(&l, "b", 1, ST_KIND_PUT, "b");
  fx_table(&f, 3, 2, &l); /* b..b: no deleted key in range */
  el_add(&l, "e", 1, ST_KIND_PUT, "e");
  el_add(&l, "f", 1, ST_KIND_PUT, "f");
  fx_table(&f, 3, 3, &l); /* holds e */
  el_add(&l, "h", 1, ST_KIND_PUT, "h");
  el_add(&l, "j", 1, ST_KIND_PUT, "j");
  fx_table(&f, 4, 4, &l); /* range h..j covers i, which it does not hold */
  el_add(&l, "k", 1, ST_KIND_PUT, "k");
  fx_table(&f, 6, 5, &l); /* the last level holds k */
  st_version *v = fx_version(&f);
  st_compaction *c = st_compaction_range(v, 1, NULL, 0, NULL, 0, 1);
  assert_int_equal(c->output_level, 2);
  assert_int_equal(c->ninputs[1], 0);
  st_compaction_stats s;
  /* Kept where something below holds the key: e (held), k (the last
   * level). i lies in the range of a table that does not hold it: that
   * table's bloom filter proves it, so the tombstone goes. */
  run_expect(&f, c, "e@10D k@10D", &s);
  assert_int_equal(s.tombstones_dropped, 4);
  /* A snapshot older than the tombstones keeps them all. */
  fx_snaps(&f, 1, 9, 0);
  run_expect(&f, c, "a@10D c@10D e@10D g@10D i@10D k@10D", &s);
  assert_int_equal(s.tombstones_dropped, 0);
  st_compaction_free(c);
  st_version_unref(v);
  fx_done(&f);
}

static void delete_meets_put_at_the_bottom(void **state) {
  (void)state;
  fx f;
  fx_init(&f, NULL);
  elist l = {0};
  el_add(&l, "k", 10, ST_KIND_DELETE, NULL);
  el_add(&l, "x", 11, ST_KIND_DELETE, NULL);
  fx_table(&f, 5, 1, &l);
  el_add(&l, "k", 5, ST_KIND_PUT, "old");
  el_add(&l, "k", 4, ST_KIND_DELETE, NULL);
  el_add(&l, "k", 3, ST_KIND_PUT, "older");
  el_add(&l, "x", 2, ST_KIND_PUT, "x");
  fx_table(&f, 6, 2, &l);
  st_version *v = fx_version(&f);
  st_compaction *c = st_compaction_range(v, 5, NULL, 0, NULL, 0, 1);
  assert_int_equal(c->output_level, 6);
  st_compaction_stats s;
  /* Nothing survives: no output at all, the edit only deletes. */
  run_expect(&f, c, "", &s);
  assert_int_equal(s.outputs, 0);
  assert_int_equal(s.tombstones_dropped, 3);
  assert_int_equal(s.versions_dropped, 3);
  uint64_t nums[8];
  assert_int_equal(list_tables(f.dir, nums, 8), 2);
  /* With a snapshot between the DELETE and the PUT both stay. */
  fx_snaps(&f, 1, 7, 0);
  run_expect(&f, c, "k@10D k@5P=old x@11D x@2P=x", &s);
  st_compaction_free(c);
  st_version_unref(v);
  fx_done(&f);
}

/* Typed chains collapse within snapshot stripes; at the bottom they
 * resolve into full values (K6 COUNTER, K7 LIST, K8 LATEST_BASE), and a
 * chain that does not resolve keeps failing the same way. */
static void typed_chains_collapse(void **state) {
  (void)state;
  fx f;
  fx_init(&f, NULL);
  fx_snaps(&f, 1, 6, 0);
  elist l = {0};
  el_add_int(&l, "a", 9, ST_KIND_ADD, 2);
  el_add_int(&l, "a", 8, ST_KIND_ADD, 3);
  el_add_int(&l, "a", 5, ST_KIND_ADD, 4); /* seen by the snapshot at 6 */
  el_add(&l, "a", 4, ST_KIND_PUT, "10");
  el_add(&l, "a", 3, ST_KIND_PUT, "hidden");
  el_add_elem(&l, "b", 9, ST_KIND_APPEND, "y");
  fx_table(&f, 1, 1, &l);
  el_add_elem(&l, "b", 7, ST_KIND_APPEND, "x");
  el_add_int(&l, "b", 2, ST_KIND_ADD, 1); /* APPEND over ADD: never resolves */
  el_add_latest(&l, "c", 9, ST_KIND_LATEST, 5, "old");
  el_add_latest(&l, "c", 8, ST_KIND_LATEST, 7, "win");
  el_add_latest(&l, "c", 7, ST_KIND_LATEST, 7, "tie");
  el_add(&l, "c", 2, ST_KIND_PUT, "ignored");
  el_add(&l, "d", 9, ST_KIND_PUT, "abc");
  el_add_int(&l, "e", 9, ST_KIND_ADD, 1);
  el_add(&l, "e", 2, ST_KIND_PUT, "abc"); /* a counter over text: kept as it is */
  fx_table(&f, 2, 2, &l);
  st_version *v = fx_version(&f);
  st_compaction *c = st_compaction_range(v, 1, NULL, 0, NULL, 0, 1);
  st_compaction_stats s;
  run_expect(&f, c, "a@9K3=5 a@5K6=14 b@9K5=[x,y] b@2K6=1 c@9K4=7:win c@2P=ignored d@9P=abc e@9K3=1 e@2P=abc", &s);
  assert_int_equal(s.versions_dropped, 6);
  assert_int_equal(s.tombstones_dropped, 0);
  st_compaction_free(c);
  st_version_unref(v);
  fx_done(&f);
}

/* ---- outputs ------------------------------------------------------------------ */

static void cut_between_user_keys(void **state) {
  (void)state;
  fx f;
  fx_init(&f, NULL);
  f.target = 4096;
  elist l1 = {0}, l2 = {0}, all = {0};
  char key[32], val[128];
  memset(val, 'v', sizeof val);
  uint64_t seq = 100000;
  for (int i = 0; i < 300; i++) {
    int versions = i == 50 ? 400 : 1 + i % 5;
    snprintf(key, sizeof key, "key%05d", i);
    for (int j = 0; j < versions; j++, seq--) {
      unsigned kind = (i + j) % 7 == 3 ? ST_KIND_DELETE : ST_KIND_PUT;
      size_t vl = kind == ST_KIND_DELETE ? 0 : (size_t)(20 + (i * 7 + j) % 100);
      elist *dst = j % 2 ? &l2 : &l1; /* older versions partly below */
      if (i % 3 == 0) dst = &l1;
      el_addn(dst, key, strlen(key), seq, kind, val, vl);
      el_addn(&all, key, strlen(key), seq, kind, val, vl);
    }
  }
  /* Versions of a key alternate between the levels, so the internal-key
   * ranges of one level's inputs are interleaved with the other's only
   * across levels. */
  fx_table(&f, 1, 1, &l1);
  fx_table(&f, 2, 2, &l2);
  st_version *v = fx_version(&f);
  st_compaction *c = st_compaction_range(v, 1, NULL, 0, NULL, 0, 1);
  assert_int_equal(c->ninputs[1], 1);
  fx_snaps(&f, 1, 1, 0); /* every entry is needed by the snapshot */
  st_version_edit e;
  st_compaction_stats s;
  assert_int_equal(fx_run(&f, c, &e, &s), STRATA_OK);
  assert_true(e.nadded > 10);
  assert_int_equal(s.entries_out, all.n);
  elist got = {0};
  read_outputs(&f, &e, 2, &got);
  qsort(all.e, all.n, sizeof *all.e, ent_cmp);
  char *a = el_str(&all), *g = el_str(&got);
  assert_string_equal(a, g);
  free(a);
  free(g);
  /* Consecutive outputs never share a user key, and each but the last
   * reached the target (counting key and value bytes). */
  for (size_t i = 0; i + 1 < e.nadded; i++) {
    const st_file_meta *x = e.added[i].meta, *y = e.added[i + 1].meta;
    assert_true(st_ukey_compare(x->largest, x->largest_len - 8, y->smallest, y->smallest_len - 8) < 0);
  }
  size_t k = 0;
  for (size_t i = 0; i < e.nadded; i++) {
    uint64_t bytes = 0;
    for (uint64_t n = 0; n < e.added[i].meta->entries; n++, k++) bytes += got.e[k].kl + got.e[k].vl;
    if (i + 1 < e.nadded) assert_true(bytes >= f.target);
  }
  assert_int_equal(k, got.n);
  /* key00050's 400 versions (over 20 KiB) sit in one table. */
  int holders = 0;
  for (size_t i = 0; i < e.nadded; i++) {
    const st_file_meta *x = e.added[i].meta;
    holders += st_ukey_compare(x->smallest, x->smallest_len - 8, "key00050", 8) <= 0 &&
               st_ukey_compare(x->largest, x->largest_len - 8, "key00050", 8) >= 0;
  }
  assert_int_equal(holders, 1);
  st_version_ref(c->version);
  st_version_unref(apply(c->version, &e));
  el_free(&got);
  el_free(&all);
  st_version_edit_clear(&e);
  st_compaction_free(c);
  st_version_unref(v);
  fx_done(&f);
}

static void trivial_move_and_level0(void **state) {
  (void)state;
  fx f;
  fx_init(&f, NULL);
  elist l = {0};
  el_add(&l, "m", 5, ST_KIND_PUT, "m");
  fx_table(&f, 1, 1, &l);
  st_version *v = fx_version(&f);
  st_compaction *c = st_compaction_range(v, 1, NULL, 0, NULL, 0, 0);
  assert_true(c->trivial_move);
  st_version_edit e;
  st_compaction_stats s;
  assert_int_equal(fx_run(&f, c, &e, &s), STRATA_OK);
  assert_int_equal(e.ndeleted, 1);
  assert_int_equal(e.deleted[0].level, 1);
  assert_int_equal(e.deleted[0].number, 1);
  assert_int_equal(e.nadded, 1);
  assert_int_equal(e.added[0].level, 2);
  assert_ptr_equal(e.added[0].meta, c->inputs[0][0]);
  assert_int_equal(s.bytes_read + s.bytes_written + s.entries_in + s.outputs, 0);
  assert_int_equal(f.new_file_calls, 0);
  v = apply(v, &e);
  assert_int_equal(v->nfiles[1], 0);
  assert_int_equal(v->nfiles[2], 1);
  st_version_edit_clear(&e);
  st_compaction_free(c);
  st_version_unref(v);
  fx_done(&f);

  /* Level 0: overlapping tables, newest first, merged with level 1. */
  fx_init(&f, NULL);
  el_add(&l, "a", 10, ST_KIND_PUT, "a10");
  el_add(&l, "c", 11, ST_KIND_PUT, "c11");
  fx_table(&f, 0, 1, &l);
  el_add(&l, "a", 20, ST_KIND_PUT, "a20");
  el_add(&l, "b", 21, ST_KIND_PUT, "b21");
  fx_table(&f, 0, 2, &l);
  el_add(&l, "a", 30, ST_KIND_PUT, "a30");
  el_add(&l, "c", 31, ST_KIND_DELETE, NULL);
  fx_table(&f, 0, 3, &l);
  el_add(&l, "b", 1, ST_KIND_PUT, "b1");
  el_add(&l, "d", 2, ST_KIND_PUT, "d2");
  fx_table(&f, 1, 4, &l);
  el_add(&l, "z", 2, ST_KIND_PUT, "z2");
  fx_table(&f, 1, 5, &l);
  v = fx_version(&f);
  st_compaction_options o;
  st_compaction_options_init(&o);
  o.l0_trigger = 3;
  c = st_compaction_pick(v, &o, NULL);
  assert_non_null(c);
  assert_int_equal(c->ninputs[0], 3);
  assert_int_equal(c->ninputs[1], 1);
  run_expect(&f, c, "a@30P=a30 b@21P=b21 d@2P=d2", &s);
  assert_int_equal(s.versions_dropped, 4);
  assert_int_equal(s.tombstones_dropped, 1);
  st_compaction_free(c);
  st_version_unref(v);
  fx_done(&f);
}

/* The last level, rewritten in place once the snapshot that pinned its
 * garbage is gone. */
static void last_level_in_place(void **state) {
  (void)state;
  fx f;
  fx_init(&f, NULL);
  elist l = {0};
  el_add(&l, "k", 10, ST_KIND_DELETE, NULL);
  el_add(&l, "k", 5, ST_KIND_PUT, "k5");
  el_add(&l, "m", 3, ST_KIND_PUT, "m3");
  fx_table(&f, ST_LEVELS - 1, 1, &l);
  el_add(&l, "x", 3, ST_KIND_PUT, "x3");
  fx_table(&f, ST_LEVELS - 1, 2, &l);
  st_version *v = fx_version(&f);
  st_compaction *c = st_compaction_range(v, ST_LEVELS - 1, NULL, 0, "n", 1, 0);
  assert_int_equal(c->ninputs[0], 1);
  assert_int_equal(c->output_level, ST_LEVELS - 1);
  st_compaction_stats s;
  run_expect(&f, c, "m@3P=m3", &s);
  st_compaction_free(c);
  st_version_unref(v);
  fx_done(&f);
}

/* Tombstone compactions end: each moves data one level down, and the last
 * level is never picked for tombstones, so even tombstones that a
 * snapshot pins are not rewritten again and again. */
static void tombstone_compactions_end(void **state) {
  (void)state;
  for (int pinned = 0; pinned < 2; pinned++) {
    fx f;
    fx_init(&f, NULL);
    elist l = {0};
    char key[16];
    for (int i = 0; i < 100; i++) {
      snprintf(key, sizeof key, "k%03d", i);
      el_add(&l, key, 200 + (uint64_t)i, i < 80 ? ST_KIND_DELETE : ST_KIND_PUT, "new");
    }
    fx_table(&f, 1, 1, &l);
    for (int i = 0; i < 100; i++) {
      snprintf(key, sizeof key, "k%03d", i);
      el_add(&l, key, 1 + (uint64_t)i, ST_KIND_PUT, "old");
    }
    fx_table(&f, 3, 2, &l);
    st_version *v = fx_version(&f);
    if (pinned) fx_snaps(&f, 1, 100, 0); /* between the old and the new */
    st_compaction_options o;
    st_compaction_options_init(&o);
    int steps = 0;
    st_compaction *c;
    while ((c = st_compaction_pick(v, &o, NULL)) != NULL) {
      assert_int_equal(c->reason, ST_COMPACT_TOMBSTONES);
      assert_false(c->trivial_move);
      assert_true(++steps <= ST_LEVELS);
      st_version_edit e;
      st_compaction_stats s;
      assert_int_equal(fx_run(&f, c, &e, &s), STRATA_OK);
      v = apply(v, &e);
      st_version_edit_clear(&e);
      st_compaction_free(c);
    }
    uint64_t total = 0, tomb = 0;
    for (int level = 0; level < ST_LEVELS; level++)
      for (size_t i = 0; i < v->nfiles[level]; i++) {
        total += v->files[level][i]->entries;
        tomb += v->files[level][i]->tombstones;
      }
    if (pinned) {
      /* Down to the last level, where the snapshot still needs it all. */
      assert_int_equal(steps, 5);
      assert_int_equal(v->nfiles[ST_LEVELS - 1], 1);
      assert_int_equal(total, 200);
      assert_int_equal(tomb, 80);
    } else {
      /* Level 1 to 2 (the old data at level 3 keeps the tombstones),
       * then 2 to 3 where they meet it and go. */
      assert_int_equal(steps, 2);
      assert_int_equal(v->nfiles[3], 1);
      assert_int_equal(total, 20);
      assert_int_equal(tomb, 0);
    }
    st_version_unref(v);
    fx_done(&f);
  }
}

/* ---- failures ---------------------------------------------------------------- */

/* Two inputs of 3000 entries with values, for runs with several outputs. */
static st_version *big_inputs(fx *f, uint64_t *sizes) {
  elist l = {0};
  char key[32], val[64];
  for (int w = 0; w < 2; w++) {
    for (int i = 0; i < 3000; i++) {
      snprintf(key, sizeof key, "key%06d", i * 2 + w);
      snprintf(val, sizeof val, "value-%d-%d-padding-padding", i, w);
      el_add(&l, key, 10 + (uint64_t)i, ST_KIND_PUT, val);
    }
    fx_table(f, 1 + w, 1 + (uint64_t)w, &l);
  }
  st_version *v = fx_version(f);
  for (int w = 0; w < 2; w++) sizes[w] = v->files[1 + w][0]->size;
  return v;
}

static void expect_failed_cleanly(fx *f, st_compaction *c, const uint64_t *sizes, int rc, const st_version_edit *e,
                                  const st_compaction_stats *s) {
  assert_int_not_equal(rc, STRATA_OK);
  assert_int_equal(e->nadded, 0);
  assert_int_equal(e->ndeleted, 0);
  assert_int_equal(s->entries_in + s->outputs + s->bytes_written, 0);
  assert_non_null(strstr(strata_errmsg(), "compaction of level"));
  expect_only_inputs(f, c, sizes);
}

static void damaged_and_missing_inputs(void **state) {
  (void)state;
  fx f;
  fx_init(&f, NULL);
  uint64_t sizes[2];
  st_version *v = big_inputs(&f, sizes);
  st_compaction *c = st_compaction_range(v, 1, NULL, 0, NULL, 0, 1);
  f.target = 8192;
  /* A flipped byte in the middle of the second input's data blocks. */
  char path[4096];
  st_table_file_name(f.dir, 2, path, sizeof path);
  FILE *fp = fopen(path, "r+b");
  assert_non_null(fp);
  fseek(fp, (long)(sizes[1] / 3), SEEK_SET);
  int ch = fgetc(fp);
  fseek(fp, (long)(sizes[1] / 3), SEEK_SET);
  fputc(ch ^ 0x40, fp);
  fclose(fp);
  st_version_edit e;
  st_compaction_stats s;
  int rc = fx_run(&f, c, &e, &s);
  assert_int_equal(rc, STRATA_ECORRUPT);
  assert_true(f.new_file_calls > 0); /* outputs were written, then removed */
  expect_failed_cleanly(&f, c, sizes, rc, &e, &s);
  /* A missing input (a fresh cache: the old one holds the file open). */
  unlink(path);
  st_table_cache_free(f.tc);
  assert_int_equal(st_table_cache_new(f.env, f.dir, 100, NULL, 0, &f.tc), STRATA_OK);
  rc = fx_run(&f, c, &e, &s);
  assert_int_equal(rc, STRATA_ECORRUPT);
  assert_non_null(strstr(strata_errmsg(), "missing"));
  assert_int_equal(e.nadded + e.ndeleted, 0);
  st_compaction_free(c);
  st_version_unref(v);
  fx_done(&f);
}

/* The same internal key in two inputs (no valid database has that): damage,
 * found even where both copies would be dropped. */
static void duplicate_entries(void **state) {
  (void)state;
  fx f;
  fx_init(&f, NULL);
  elist l = {0};
  el_add(&l, "a", 10, ST_KIND_PUT, "a10");
  el_add(&l, "a", 5, ST_KIND_PUT, "a5");
  fx_table(&f, 1, 1, &l);
  el_add(&l, "a", 5, ST_KIND_PUT, "a5");
  fx_table(&f, 2, 2, &l);
  st_version *v = fx_version(&f);
  st_compaction *c = st_compaction_range(v, 1, NULL, 0, NULL, 0, 1);
  uint64_t sizes[2] = {c->inputs[0][0]->size, c->inputs[1][0]->size};
  st_version_edit e;
  st_compaction_stats s;
  for (int pinned = 0; pinned < 2; pinned++) {
    fx_snaps(&f, (size_t)pinned, 1, 0);
    int rc = fx_run(&f, c, &e, &s);
    assert_int_equal(rc, STRATA_ECORRUPT);
    assert_non_null(strstr(strata_errmsg(), "out of order"));
    expect_failed_cleanly(&f, c, sizes, rc, &e, &s);
  }
  st_compaction_free(c);
  st_version_unref(v);
  fx_done(&f);
}

static void stop_flag(void **state) {
  (void)state;
  fx f;
  fx_init(&f, NULL);
  uint64_t sizes[2];
  st_version *v = big_inputs(&f, sizes);
  st_compaction *c = st_compaction_range(v, 1, NULL, 0, NULL, 0, 1);
  f.target = 8192;
  st_version_edit e;
  st_compaction_stats s;
  atomic_store(&f.stop, 1);
  int rc = fx_run(&f, c, &e, &s);
  assert_int_equal(rc, STRATA_EBUSY);
  assert_int_equal(f.new_file_calls, 0);
  expect_failed_cleanly(&f, c, sizes, rc, &e, &s);
  /* Set while the second output is being written. */
  atomic_store(&f.stop, 0);
  f.stop_after = 2;
  rc = fx_run(&f, c, &e, &s);
  assert_int_equal(rc, STRATA_EBUSY);
  assert_true(f.new_file_calls >= 2);
  expect_failed_cleanly(&f, c, sizes, rc, &e, &s);
  /* A trivial move is abandoned too. */
  st_compaction *m = st_compaction_range(v, 2, NULL, 0, NULL, 0, 0);
  assert_true(m->trivial_move);
  assert_int_equal(fx_run(&f, m, &e, &s), STRATA_EBUSY);
  assert_int_equal(e.nadded + e.ndeleted, 0);
  st_compaction_free(m);
  st_compaction_free(c);
  st_version_unref(v);
  fx_done(&f);
}

/* Fails the nth operation of each kind for n = 1, 2, ... until a run gets
 * through: each failed run returns the error, leaves only the inputs, and
 * an empty edit; the one that succeeds is complete. */
static void io_failures(void **state) {
  (void)state;
  const fault_op ops[] = {FAULT_OPEN, FAULT_APPEND, FAULT_SYNC, FAULT_READ, FAULT_APPEND};
  for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++) {
    int short_write = o == 4;
    st_env *env = fault_env_new();
    fx f;
    fx_init(&f, env);
    uint64_t sizes[2];
    st_version *v = big_inputs(&f, sizes);
    st_compaction *c = st_compaction_range(v, 1, NULL, 0, NULL, 0, 1);
    f.target = 16384;
    int done = 0;
    /* Reads are many (one per data block): every read early on, then
     * a sample. */
    for (uint64_t n = 1; !done; n += ops[o] == FAULT_READ && n > 20 ? 1 + n / 8 : 1) {
      /* A fresh cache, so that opening the inputs is part of each run. */
      st_table_cache_free(f.tc);
      assert_int_equal(st_table_cache_new(env, f.dir, 100, NULL, 0, &f.tc), STRATA_OK);
      fault_op op = ops[o];
      uint64_t before = fault_env_count(env, op);
      if (short_write)
        fault_env_short_write(env, n);
      else
        fault_env_fail(env, op, n, n % 2 ? STRATA_EIO : STRATA_ENOSPC, 0);
      st_version_edit e;
      st_compaction_stats s;
      int rc = fx_run(&f, c, &e, &s);
      uint64_t seen = fault_env_count(env, op) - before;
      fault_env_heal(env);
      if (seen < n) {
        if (rc) fail_msg("op %zu, n %llu: %s", o, (unsigned long long)n, strata_errmsg());
        assert_true(e.nadded > 3);
        elist got = {0};
        read_outputs(&f, &e, 2, &got);
        assert_int_equal(got.n, 6000);
        el_free(&got);
        st_version_edit_clear(&e);
        done = 1;
      } else {
        if (short_write)
          assert_int_equal(rc, STRATA_EIO);
        else
          assert_int_equal(rc, n % 2 ? STRATA_EIO : STRATA_ENOSPC);
        expect_failed_cleanly(&f, c, sizes, rc, &e, &s);
      }
      assert_true(n < 10000);
    }
    st_compaction_free(c);
    st_version_unref(v);
    fx_done(&f);
    fault_env_free(env);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(newest_kept_older_dropped),
      cmocka_unit_test(snapshots_keep_versions),
      cmocka_unit_test(tombstones_and_the_base_level),
      cmocka_unit_test(delete_meets_put_at_the_bottom),
      cmocka_unit_test(typed_chains_collapse),
      cmocka_unit_test(cut_between_user_keys),
      cmocka_unit_test(trivial_move_and_level0),
      cmocka_unit_test(last_level_in_place),
      cmocka_unit_test(tombstone_compactions_end),
      cmocka_unit_test(damaged_and_missing_inputs),
      cmocka_unit_test(duplicate_entries),
      cmocka_unit_test(stop_flag),
      cmocka_unit_test(io_failures),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
