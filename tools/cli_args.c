/*
 * cli_args.c - the shell's quoting syntax: a command line split into
 * byte-string arguments (double quotes with escapes, single quotes, and
 * backslashes outside quotes; tuple keys kept whole), bytes written back in
 * that syntax, and decimal numbers.
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

/* Writes the formatted reason to err (when errlen > 0); returns -1. */
static int vset_error(char *err, size_t errlen, const char *fmt, va_list ap) {
  if (errlen > 0) vsnprintf(err, errlen, fmt, ap);
  return -1;
}

static int set_error(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int set_error(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vset_error(err, errlen, fmt, ap);
  va_end(ap);
  return -1;
}

/* Records why the line was refused; the arguments parsed so far are dropped. */
static int parse_fail(cli_args *a, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int parse_fail(cli_args *a, char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;
  a->n = 0;
  va_start(ap, fmt);
  vset_error(err, errlen, fmt, ap);
  va_end(ap);
  return -1;
}

static int push_arg(cli_args *a, const char *data, size_t len, int tuple) {
  if (a->n == a->cap) {
    size_t cap = a->cap ? a->cap * 2 : 8;
    cli_arg *v = realloc(a->v, cap * sizeof *v);
    if (!v) return -1;
    a->v = v;
    a->cap = cap;
  }
  a->v[a->n].data = data;
  a->v[a->n].len = len;
  a->v[a->n].tuple = tuple;
  a->n++;
  return 0;
}

int cli_decode_escape(const char *s, size_t len, size_t *i, char *byte, char *err, size_t errlen) {
  size_t at = *i;
  char e = s[at + 1]; /* the caller has checked that a byte follows */
  switch (e) {
    case '"': *byte = '"'; break;
    case '\\': *byte = '\\'; break;
    case 'n': *byte = '\n'; break;
    case 'r': *byte = '\r'; break;
    case 't': *byte = '\t'; break;
    case '0': *byte = '\0'; break;
    case 'x': {
      int hi = at + 2 < len ? hex_value(s[at + 2]) : -1;
      int lo = at + 3 < len ? hex_value(s[at + 3]) : -1;
      if (hi < 0 || lo < 0)
        return set_error(err, errlen, "\\x at column %zu needs two hex digits (as in \\x0a)", at + 1);
      *byte = (char)(hi * 16 + lo);
      *i = at + 4;
      return 0;
    }
    default:
      if (e > ' ' && e < 0x7f)
        return set_error(err, errlen, "bad escape '\\%c' at column %zu (known: \\\" \\\\ \\n \\r \\t \\0 \\xHH)", e,
                         at + 1);
      return set_error(err, errlen, "bad escape at column %zu (known: \\\" \\\\ \\n \\r \\t \\0 \\xHH)", at + 1);
  }
  *i = at + 2;
  return 0;
}

/*
 * Finds the end of the tuple whose '(' is at line[open]: the first ')'
 * outside quotes (a backslash escapes the next byte outside single quotes).
 * Sets *close_out to its index and returns 0, or -1 with the reason in err.
 * The tuple's own syntax is checked later, by cli_tuple_parse.
 */
static int find_tuple_end(const char *line, size_t len, size_t open, size_t *close_out, char *err, size_t errlen) {
  char quote = 0;
  *close_out = 0;
  for (size_t i = open + 1; i < len; i++) {
    char c = line[i];
    if (quote == '\'') {
      if (c == '\'') quote = 0;
    } else if (c == '\\') {
      i++; /* the escaped byte, whatever it is; past the end is unterminated */
    } else if (quote == '"') {
      if (c == '"') quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == ')') {
      if (i + 1 < len && !is_blank(line[i + 1]))
        return set_error(err, errlen, "text after the tuple's ')' at column %zu (a tuple is one argument)", i + 2);
      *close_out = i;
      return 0;
    }
  }
  if (quote)
    return set_error(err, errlen, "unterminated %s quote inside the tuple opened at column %zu",
                     quote == '"' ? "double" : "single", open + 1);
  return set_error(err, errlen, "unterminated tuple: no ')' for the '(' at column %zu", open + 1);
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
    if (line[i] == '(') {
      /* A tuple key: kept as typed, for cli_tuple_parse to read. */
      size_t close;
      if (find_tuple_end(line, len, i, &close, err, errlen) != 0) {
        a->n = 0;
        return -1;
      }
      memcpy(buf + out, line + i, close + 1 - i);
      out += close + 1 - i;
      i = close + 1;
      buf[out++] = '\0';
      if (push_arg(a, buf + start, out - 1 - start, 1) != 0) return parse_fail(a, err, errlen, "out of memory");
      continue;
    }
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
          } else if (cli_decode_escape(line, len, &i, &buf[out++], err, errlen) != 0) {
            a->n = 0;
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
    if (push_arg(a, buf + start, out - 1 - start, 0) != 0) return parse_fail(a, err, errlen, "out of memory");
  }
  return 0;
}

int cli_parse_decimal(const char *s, size_t n, int signed_ok, uint64_t max, uint64_t *mag_out, int *neg_out) {
  size_t i = 0;
  uint64_t v = 0;
  int neg = 0;
  *mag_out = 0;
  *neg_out = 0;
  if (signed_ok && n > 0 && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    i = 1;
  }
  if (i == n) return -1;
  for (; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return -1;
    unsigned d = (unsigned)(s[i] - '0');
    if (v > (max - d) / 10) return -1;
    v = v * 10 + d;
  }
  *mag_out = v;
  *neg_out = neg;
  return 0;
}

int cli_parse_i64(const char *s, size_t n, int64_t *v_out) {
  uint64_t mag;
  int neg;
  *v_out = 0;
  /* Up to 2^63 so that -9223372036854775808 parses; a positive 2^63 is out. */
  if (cli_parse_decimal(s, n, 1, (uint64_t)INT64_MAX + 1, &mag, &neg) != 0 || (!neg && mag > (uint64_t)INT64_MAX))
    return -1;
  /* mag - 1 fits int64 when mag is 2^63, so -2^63 comes out without overflow. */
  *v_out = neg && mag > 0 ? -(int64_t)(mag - 1) - 1 : (int64_t)mag;
  return 0;
}

int cli_bytes_are_plain(const void *p, size_t n) {
  const unsigned char *s = p;
  if (n == 0) return 0;      /* an empty value prints as "" so it can be seen */
  if (s[0] == '(') return 0; /* a leading '(' would read back as a tuple key */
  for (size_t i = 0; i < n; i++) {
    unsigned char c = s[i];
    if (c == ' ' && i > 0 && i + 1 < n) continue;
    if (c < 0x21 || c > 0x7e || c == '"' || c == '\\') return 0;
  }
  return 1;
}

void cli_write_bytes(FILE *f, const void *p, size_t n) {
  if (cli_bytes_are_plain(p, n))
    fwrite(p, 1, n, f);
  else
    cli_write_quoted(f, p, n);
}

void cli_write_token(FILE *f, const void *p, size_t n) {
  if (cli_bytes_are_plain(p, n) && !memchr(p, ' ', n))
    fwrite(p, 1, n, f);
  else
    cli_write_quoted(f, p, n);
}

void cli_write_quoted(FILE *f, const void *p, size_t n) {
  const unsigned char *s = p;
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
