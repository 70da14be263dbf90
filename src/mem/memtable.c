/*
 * memtable.c - entries are stored as
 *   varint ikey_len | user_key | fixed64 trailer | varint val_len | val
 * in one arena allocation; the skiplist orders them by internal key.
 */
#include "mem/memtable.h"

#include <stdlib.h>
#include <string.h>

#include "base/coding.h"
#include "base/error.h"
#include "format/ikey.h"

static const char *ikey_of(const char *entry, size_t *len_out) {
  uint64_t n;
  const char *p = st_get_varint64(entry, entry + ST_VARINT64_MAX, &n);
  *len_out = (size_t)n;
  return p;
}

static int entry_cmp(const char *a, const char *b) {
  size_t alen, blen;
  const char *ak = ikey_of(a, &alen), *bk = ikey_of(b, &blen);
  return st_ikey_compare(ak, alen, bk, blen);
}

void st_memtable_entry_decode(const char *entry, const char **ikey_out, size_t *ikey_len_out, const char **val_out,
                              size_t *vlen_out) {
  size_t klen;
  uint64_t vlen;
  const char *k = ikey_of(entry, &klen);
  const char *v = st_get_varint64(k + klen, k + klen + ST_VARINT64_MAX, &vlen);
  *ikey_out = k;
  *ikey_len_out = klen;
  *val_out = v;
  *vlen_out = (size_t)vlen;
}

int st_memtable_new(st_memtable **m_out) {
  *m_out = NULL;
  st_memtable *m = calloc(1, sizeof *m);
  if (!m) return st_error(STRATA_ENOMEM, "memtable: out of memory");
  st_arena_init(&m->arena);
  if (st_skiplist_init(&m->list, &m->arena, entry_cmp)) {
    st_arena_destroy(&m->arena);
    free(m);
    return st_error(STRATA_ENOMEM, "memtable: out of memory");
  }
  atomic_init(&m->usage, st_arena_used(&m->arena));
  atomic_init(&m->entries, 0);
  atomic_init(&m->refs, 1);
  *m_out = m;
  return STRATA_OK;
}

void st_memtable_ref(st_memtable *m) { atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed); }

void st_memtable_unref(st_memtable *m) {
  if (atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) == 1) {
    st_arena_destroy(&m->arena);
    free(m);
  }
}

int st_memtable_add(st_memtable *m, uint64_t seq, unsigned kind, const void *key, size_t klen, const void *val,
                    size_t vlen) {
  size_t iklen = klen + ST_IKEY_TRAILER;
  size_t len = st_varint64_len(iklen) + iklen + st_varint64_len(vlen) + vlen;
  char *e = st_skiplist_alloc_entry(&m->list, len);
  if (!e) return st_error(STRATA_ENOMEM, "memtable: out of memory for a %zu-byte entry", len);
  char *p = e + st_put_varint64(e, iklen);
  st_ikey_pack(p, key, klen, st_trailer_pack(seq, kind));
  p += iklen;
  p += st_put_varint64(p, vlen);
  if (vlen) memcpy(p, val, vlen);
  if (st_skiplist_insert(&m->list, e)) return st_error(STRATA_ENOMEM, "memtable: out of memory");
  atomic_store_explicit(&m->usage, st_arena_used(&m->arena), memory_order_relaxed);
  atomic_fetch_add_explicit(&m->entries, 1, memory_order_relaxed);
  return STRATA_OK;
}

int st_memtable_get(st_memtable *m, const void *key, size_t klen, uint64_t snapshot, unsigned *kind_out,
                    const char **val_out, size_t *vlen_out) {
  char small[256];
  size_t iklen = klen + ST_IKEY_TRAILER;
  size_t tlen = st_varint64_len(iklen) + iklen;
  char *target = tlen <= sizeof small ? small : malloc(tlen);
  int found = 0;
  *kind_out = 0;
  *val_out = NULL;
  *vlen_out = 0;
  if (!target) return st_error(STRATA_ENOMEM, "memtable: out of memory");
  st_ikey_pack(target + st_put_varint64(target, iklen), key, klen, st_trailer_seek(snapshot));

  st_skiplist_iter it;
  st_skiplist_iter_init(&it, &m->list);
  st_skiplist_iter_seek(&it, target);
  if (st_skiplist_iter_valid(&it)) {
    const char *ik, *v;
    size_t iklen2, vlen;
    st_memtable_entry_decode(st_skiplist_iter_entry(&it), &ik, &iklen2, &v, &vlen);
    if (st_ukey_compare(ik, iklen2 - 8, key, klen) == 0) {
      *kind_out = st_trailer_kind(st_ikey_trailer(ik, iklen2));
      *val_out = v;
      *vlen_out = vlen;
      found = 1;
    }
  }
  if (target != small) free(target);
  return found;
}
