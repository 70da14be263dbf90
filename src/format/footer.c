/* footer.c - encoding and strict decoding of the table footer. */
#include "format/footer.h"

#include <string.h>

#include "base/coding.h"
#include "base/crc32c.h"
#include "base/error.h"

#define CRC_AT 80
#define VERSION_AT 84
#define MAGIC_AT 88

/* CRC of every footer byte except the CRC field itself. */
static uint32_t footer_crc(const char *f) {
  uint32_t crc = st_crc32c_extend(0, f, CRC_AT);
  return st_crc32c_mask(st_crc32c_extend(crc, f + VERSION_AT, ST_FOOTER_SIZE - VERSION_AT));
}

void st_footer_encode(const st_footer *f, char *out) {
  memset(out, 0, ST_FOOTER_SIZE);
  char *p = out;
  p += st_block_handle_put(p, &f->index);
  p += st_block_handle_put(p, &f->filter);
  p += st_block_handle_put(p, &f->range_del);
  st_block_handle_put(p, &f->props);
  st_put_fixed32(out + VERSION_AT, ST_TABLE_FORMAT_VERSION);
  st_put_fixed64(out + MAGIC_AT, ST_TABLE_MAGIC);
  st_put_fixed32(out + CRC_AT, footer_crc(out));
}

int st_footer_decode(const char *in, const char *file, uint64_t offset, st_footer *f_out) {
  memset(f_out, 0, sizeof *f_out);
  unsigned long long off = (unsigned long long)offset;
  uint64_t magic = st_get_fixed64(in + MAGIC_AT);
  if (magic != ST_TABLE_MAGIC)
    return st_error(STRATA_ECORRUPT, "%s: footer magic at offset %llu: expected %016llx, found %016llx", file,
                    off + MAGIC_AT, (unsigned long long)ST_TABLE_MAGIC, (unsigned long long)magic);
  uint32_t want = footer_crc(in), got = st_get_fixed32(in + CRC_AT);
  if (want != got)
    return st_error(STRATA_ECORRUPT, "%s: footer at offset %llu: expected checksum %08x, found %08x", file, off, want,
                    got);
  uint32_t version = st_get_fixed32(in + VERSION_AT);
  if (version != ST_TABLE_FORMAT_VERSION)
    return st_error(STRATA_ECORRUPT, "%s: footer format version at offset %llu: expected %d, found %u", file,
                    off + VERSION_AT, ST_TABLE_FORMAT_VERSION, version);
  const char *p = in, *limit = in + ST_FOOTER_HANDLES;
  st_block_handle *hs[4] = {&f_out->index, &f_out->filter, &f_out->range_del, &f_out->props};
  for (int i = 0; i < 4; i++) {
    p = st_block_handle_get(p, limit, hs[i]);
    if (!p) {
      memset(f_out, 0, sizeof *f_out);
      return st_error(STRATA_ECORRUPT, "%s: footer at offset %llu: expected 4 block handles in %d bytes, found %d",
                      file, off, ST_FOOTER_HANDLES, i);
    }
  }
  for (; p < limit; p++) {
    if (*p) {
      memset(f_out, 0, sizeof *f_out);
      return st_error(STRATA_ECORRUPT, "%s: footer padding at offset %llu: expected 00, found %02x", file,
                      off + (unsigned long long)(p - in), (unsigned char)*p);
    }
  }
  f_out->version = version;
  return STRATA_OK;
}

int st_footer_check_layout(const st_footer *f, uint64_t file_size, const char *file, uint64_t *data_end_out) {
  *data_end_out = 0;
  if (file_size < ST_FOOTER_SIZE)
    return st_error(STRATA_ECORRUPT, "%s: file size: expected at least %d bytes (a footer), found %llu", file,
                    ST_FOOTER_SIZE, (unsigned long long)file_size);
  uint64_t foot = file_size - ST_FOOTER_SIZE, end = foot, next;
  if (!f->filter.size && f->filter.offset)
    return st_error(STRATA_ECORRUPT, "%s: footer at offset %llu: expected filter offset 0 with size 0, found %llu",
                    file, (unsigned long long)foot, (unsigned long long)f->filter.offset);
  const st_block_handle *order[4] = {&f->props, &f->index, &f->range_del, &f->filter};
  const char *names[4] = {"properties block", "index block", "range-tombstone block", "filter block"};
  int n = f->filter.size ? 4 : 3;
  for (int i = 0; i < n; i++) {
    if (!st_block_handle_within(order[i], end, &next) || next != end)
      return st_error(STRATA_ECORRUPT,
                      "%s: footer at offset %llu: expected the %s (offset %llu, %llu bytes) to end at offset %llu",
                      file, (unsigned long long)foot, names[i], (unsigned long long)order[i]->offset,
                      (unsigned long long)order[i]->size, (unsigned long long)end);
    end = order[i]->offset;
  }
  *data_end_out = end;
  return STRATA_OK;
}
