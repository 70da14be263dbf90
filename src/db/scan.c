/*
 * scan.c - strata_scan_prefix: the keys of a partition (all keys starting
 * with a prefix) passed to a callback in key order, at most a limit of
 * them. A thin client of the public iterator, bounded to [prefix,
 * strata_prefix_end(prefix)) so that it never looks past the partition.
 */
#include <stdlib.h>

#include "base/error.h"

/* Prefixes up to this long get their upper bound on the stack. */
#define SCAN_STACK_BOUND 256

long long strata_scan_prefix(strata_db *db, const strata_read_options *ro, const void *prefix, size_t plen,
                             size_t limit, strata_scan_fn fn, void *arg) {
  if (!db || !fn || (!prefix && plen))
    return st_error(STRATA_EINVAL, "strata_scan_prefix: NULL database or callback, or NULL prefix with a length");
  unsigned char stack_end[SCAN_STACK_BOUND];
  unsigned char *end = stack_end;
  strata_iter *it = NULL;
  long long count = 0;
  int rc = STRATA_OK;

  strata_read_options o;
  strata_read_options_init(&o);
  o.snapshot = ro ? ro->snapshot : NULL; /* ro's bounds are ignored: the prefix is the range */
  o.lower = prefix;
  o.lower_len = plen;
  if (plen > sizeof stack_end && !(end = malloc(plen))) {
    rc = st_error(STRATA_ENOMEM, "strata_scan_prefix: out of memory for a %zu-byte prefix", plen);
    goto done;
  }
  size_t elen;
  if (strata_prefix_end(prefix, plen, end, &elen) == 1) {
    o.upper = end;
    o.upper_len = elen;
  }
  /* The iterator copies its bounds, so end may go once it exists. */
  if ((rc = strata_iter_new(db, &o, &it)) != STRATA_OK) goto done;
  for (strata_iter_seek_first(it); strata_iter_valid(it) && (limit == 0 || (size_t)count < limit);
       strata_iter_next(it)) {
    /* Valid but failing: a key whose fragments do not combine. */
    if ((rc = strata_iter_status(it)) != STRATA_OK) goto done;
    size_t klen, vlen;
    const void *k = strata_iter_key(it, &klen), *v = strata_iter_value(it, &vlen);
    count++;
    if (fn(arg, k, klen, v, vlen) != 0) goto done;
  }
  /* Stopped by the limit, or the walk ended: cleanly or on a read error. */
  if (!strata_iter_valid(it)) rc = strata_iter_status(it);

done:
  strata_iter_free(it);
  if (end != stack_end) free(end);
  return rc != STRATA_OK ? rc : count;
}
