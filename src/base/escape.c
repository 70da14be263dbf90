/* escape.c - the quoted, \xHH-escaped form of a byte string. */
#include "base/escape.h"

void st_escape_write(FILE *out, const char *s, size_t n) {
  fputc('\'', out);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\')
      fputc(c, out);
    else
      fprintf(out, "\\x%02x", c);
  }
  fputc('\'', out);
}
