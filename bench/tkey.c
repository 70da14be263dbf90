/*
 * tkey.c - making, parsing and bounding the workloads' tuple keys through
 * strata's public tuple functions (see tkey.h).
 */
#include "tkey.h"

#include "engine.h"

int bench_tkey_make(strata_tuple *t, int n, const uint64_t *v, unsigned desc) {
  strata_tuple_clear(t);
  for (int i = 0; i < n; i++) {
    int rc = (desc >> i) & 1u ? strata_tuple_add_u64_desc(t, v[i]) : strata_tuple_add_u64(t, v[i]);
    if (rc != STRATA_OK) {
      strata_tuple_clear(t);
      bench_engine_error("making a tuple key (element %d of %d): %s", i + 1, n, strata_strerror(rc));
      return -1;
    }
  }
  return 0;
}

int bench_tkey_parse(const char *key, size_t klen, int n, uint64_t *v_out, unsigned desc) {
  size_t pos = 0;
  /* Integer elements decode no bytes; the buffer only satisfies the
   * contract of strata_tuple_next for a byte-string element. */
  char scratch[BENCH_KEY_MAX + 1];
  if (n > BENCH_TKEY_MAX_ELEMS || klen > sizeof scratch) return -1;
  for (int i = 0; i < n; i++) {
    strata_tuple_elem e;
    if (strata_tuple_next(key, klen, &pos, &e, scratch, sizeof scratch) != 1) return -1;
    if (e.type != STRATA_TUPLE_U64 || e.desc != (int)((desc >> i) & 1u)) return -1;
    v_out[i] = e.u;
  }
  return pos == klen ? 0 : -1;
}

int bench_tkey_partition_end(const strata_tuple *prefix, bench_bound *end_out) {
  end_out->len = 0;
  end_out->open = 0;
  if (prefix->len > sizeof end_out->key) {
    bench_engine_error("a partition prefix of %zu bytes is longer than the bench's keys", prefix->len);
    return -1;
  }
  int rc = strata_prefix_end(prefix->data, prefix->len, end_out->key, &end_out->len);
  if (rc < 0) {
    bench_engine_error("strata_prefix_end: %s", strata_strerror(rc));
    return -1;
  }
  end_out->open = rc == 0;
  return 0;
}
