/* typed_value.c - walking the list encoding of APPEND and LIST values. */
#include "format/typed_value.h"

int st_list_next(const char *list, size_t len, size_t *pos, const char **elem_out, size_t *elen_out) {
  *elem_out = NULL;
  *elen_out = 0;
  if (*pos >= len) return *pos == len ? 0 : -1;
  const char *p = list + *pos, *end = list + len;
  uint64_t n;
  const char *q = st_get_varint64(p, end - p > ST_LIST_ELEMENT_HEADER_MAX ? p + ST_LIST_ELEMENT_HEADER_MAX : end, &n);
  if (!q || n > UINT32_MAX || n > (uint64_t)(end - q)) return -1;
  *elem_out = q;
  *elen_out = (size_t)n;
  *pos = (size_t)(q - list) + (size_t)n;
  return 1;
}

int st_list_count(const char *list, size_t len, uint64_t *n_out) {
  size_t pos = 0, elen;
  const char *e;
  uint64_t n = 0;
  int r;
  while ((r = st_list_next(list, len, &pos, &e, &elen)) == 1) n++;
  *n_out = n;
  return r;
}
