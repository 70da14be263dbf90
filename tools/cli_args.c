/*
 * cli_args.c - the shell's quoting syntax: a command line split into
 * byte-string arguments (double quotes with escapes, single quotes, and
 * backslashes outside quotes), and bytes written back in that syntax.
 */
#include "cli_args.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void cli_args_init(cli_args *a) { memset(a, 0, sizeof *a); }

void cli_args_free(cli_args *a) {
  if (!a) return;
  free(a->v);
  free(a->buf);
  cli_args_init(a);
}

static int is_blank(char c) { return c == ' ' || c == '\t'; }

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Records why the line was refused; the arguments parsed so far are dropped. */
static int parse_fail(cli_args *a, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int parse_fail(cli_args *a, char *err, size_t errlen, const char *fmt, ...) {
  a->n = 0;
  if (errlen > 0) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
  }
  return -1;
}

static int push_arg(cli_args *a, const char *data, size_t len) {
  if (a->n == a->cap) {
    size_t cap = a->cap ? a->cap * 2 : 8;
    cli_arg *v = realloc(a->v, cap * sizeof *v);
    if (!v) return -1;
    a->v = v;
    a->cap = cap;
  }
  a->v[a->n].data = data;
  a->v[a->n].len = len;
  a->n++;
  return 0;
}

/*
 * Decodes the escape whose backslash is at line[*i] inside double quotes into
 * *byte and moves *i past it. Returns 0, or -1 with the reason in err.
 */
static int decode_escape(cli_args *a, const char *line, size_t len, size_t *i, char *byte, char *err, size_t errlen) {
  size_t at = *i;
  char e = line[at + 1]; /* the caller has checked that a byte follows */
  switch (e) {
    case '"': *byte = '"'; break;
    case '\\': *byte = '\\'; break;
    case 'n': *byte = '\n'; break;
    case 'r': *byte = '\r'; break;
    case 't': *byte = '\t'; break;
    case '0': *byte = '\0'; break;
    case 'x': {
      int hi = at + 2 < len ? hex_value(line[at + 2]) : -1;
      int lo = at + 3 < len ? hex_value(line[at + 3]) : -1;
      if (hi < 0 || lo < 0)
        return parse_fail(a, err, errlen, "\\x at column %zu needs two hex digits (as in \\x0a)", at + 1);
      *byte = (char)(hi * 16 + lo);
      *i = at + 4;
      return 0;
    }
    default:
      if (e > ' ' && e < 0x7f)
        return parse_fail(a, err, errlen, "bad escape '\\%c' at column %zu (known: \\\" \\\\ \\n \\r \\t \\0 \\xHH)", e,
                          at + 1);
      return parse_fail(a, err, errlen, "bad escape at column %zu (known: \\\" \\\\ \\n \\r \\t \\0 \\xHH)", at + 1);
  }
  *i = at + 2;
  return 0;
}

int cli_args_parse(cli_args *a, const char *line, size_t len, char *err, size_t errlen) {
  if (errlen > 0) err[0] = '\0';
  a->n = 0;
  /* Decoding never lengthens an argument, and every argument but the last is
   * followed by a blank that is not copied, so len + 1 bytes hold all the
   * arguments with their NUL terminators. */
  char *buf = realloc(a->buf, len + 1);
  if (!buf) return parse_fail(a, err, errlen, "out of memory (line of %zu bytes)", len);
  a->buf = buf;
  size_t out = 0;
  size_t i = 0;
  for (;;) {
    while (i < len && is_blank(line[i])) i++;
    if (i == len) break;
    size_t start = out;
    while (i < len && !is_blank(line[i])) {
      char c = line[i];
      if (c == '\'') {
        size_t open = i++;
        while (i < len && line[i] != '\'') buf[out++] = line[i++];
        if (i == len) return parse_fail(a, err, errlen, "unterminated single quote (opened at column %zu)", open + 1);
        i++;
      } else if (c == '"') {
        size_t open = i++;
        for (;;) {
          if (i == len || (line[i] == '\\' && i + 1 == len))
            return parse_fail(a, err, errlen, "unterminated double quote (opened at column %zu)", open + 1);
          if (line[i] == '"') {
            i++;
            break;
          }
          if (line[i] != '\\') {
            buf[out++] = line[i++];
          } else if (decode_escape(a, line, len, &i, &buf[out++], err, errlen) != 0) {
            return -1;
          }
        }
      } else if (c == '\\') {
        if (i + 1 == len) return parse_fail(a, err, errlen, "backslash at end of line (column %zu)", i + 1);
        buf[out++] = line[i + 1];
        i += 2;
      } else {
        buf[out++] = c;
        i++;
      }
    }
    buf[out++] = '\0';
    if (push_arg(a, buf + start, out - 1 - start) != 0) return parse_fail(a, err, errlen, "out of memory");
  }
  return 0;
}

int cli_bytes_are_plain(const void *p, size_t n) {
  const unsigned char *s = p;
  if (n == 0) return 0; /* an empty value prints as "" so it can be seen */
  for (size_t i = 0; i < n; i++) {
    unsigned char c = s[i];
    if (c == ' ' && i > 0 && i + 1 < n) continue;
    if (c < 0x21 || c > 0x7e || c == '"' || c == '\\') return 0;
  }
  return 1;
}

static void write_quoted(FILE *f, const unsigned char *s, size_t n);

void cli_write_bytes(FILE *f, const void *p, size_t n) {
  if (cli_bytes_are_plain(p, n))
    fwrite(p, 1, n, f);
  else
    write_quoted(f, p, n);
}

void cli_write_token(FILE *f, const void *p, size_t n) {
  if (cli_bytes_are_plain(p, n) && !memchr(p, ' ', n))
    fwrite(p, 1, n, f);
  else
    write_quoted(f, p, n);
}

static void write_quoted(FILE *f, const unsigned char *s, size_t n) {
  putc('"', f);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = s[i];
    switch (c) {
      case '"': fputs("\\\"", f); break;
      case '\\': fputs("\\\\", f); break;
      case '\n': fputs("\\n", f); break;
      case '\r': fputs("\\r", f); break;
      case '\t': fputs("\\t", f); break;
      default:
        if (c >= 0x20 && c <= 0x7e)
          putc(c, f);
        else
          fprintf(f, "\\x%02x", c);
    }
  }
  putc('"', f);
}
