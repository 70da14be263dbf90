/*
 * cli_tuple.c - tuple keys in the shell: a small reader of
 * "(TYPE:VALUE, ...)" onto strata_tuple_add_*, and a writer of keys that
 * decode as tuples (strata_tuple_next) in that same form.
 */
#include "cli_tuple.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli_args.h"

/* The element types as typed: a letter for the kind, '-' for descending. */
static const struct {
  const char *name;
  int type;
  int desc;
} elem_types[] = {
    {"s", STRATA_TUPLE_BYTES, 0}, {"s-", STRATA_TUPLE_BYTES, 1}, {"u", STRATA_TUPLE_U64, 0},
    {"u-", STRATA_TUPLE_U64, 1},  {"i", STRATA_TUPLE_I64, 0},    {"i-", STRATA_TUPLE_I64, 1},
};

#define N_ELEM_TYPES (sizeof elem_types / sizeof elem_types[0])
#define TYPE_HELP "types: s s- u u- i i- (string, unsigned, signed; '-' sorts descending)"

/* Where a parse stands in the tuple's text, and where its error goes. */
typedef struct reader {
  const char *s;
  size_t len;
  size_t i; /* the next byte to read */
  char *err;
  size_t errlen;
} reader;

static int fail(reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(reader *r, const char *fmt, ...) {
  if (r->errlen > 0) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, r->errlen, fmt, ap);
    va_end(ap);
  }
  return -1;
}

static int is_blank(char c) { return c == ' ' || c == '\t'; }

/* The bytes that end a bare value: a blank, the ',' before the next
 * element, or the ')' that closes the tuple. */
static int ends_value(char c) { return is_blank(c) || c == ',' || c == ')'; }

static void skip_blanks(reader *r) {
  while (r->i < r->len && is_blank(r->s[r->i])) r->i++;
}

/* Reads "TYPE:" into *type and *desc. */
static int read_type(reader *r, int *type, int *desc) {
  size_t start = r->i;
  *type = 0;
  *desc = 0;
  if (start < r->len && r->s[start] == '(')
    return fail(r, "unexpected '(' at column %zu (tuples do not nest)", start + 1);
  while (r->i < r->len && r->s[r->i] != ':' && !ends_value(r->s[r->i])) r->i++;
  size_t n = r->i - start;
  if (r->i == r->len || r->s[r->i] != ':') {
    if (n == 0) return fail(r, "expected an element TYPE:VALUE at column %zu (%s)", start + 1, TYPE_HELP);
    return fail(r, "the element '%.*s' at column %zu has no ':' (write TYPE:VALUE; %s)", (int)(n > 40 ? 40 : n),
                r->s + start, start + 1, TYPE_HELP);
  }
  for (size_t k = 0; k < N_ELEM_TYPES; k++) {
    if (strlen(elem_types[k].name) == n && memcmp(elem_types[k].name, r->s + start, n) == 0) {
      *type = elem_types[k].type;
      *desc = elem_types[k].desc;
      r->i++; /* the ':' */
      return 0;
    }
  }
  return fail(r, "unknown element type '%.*s' at column %zu (%s)", (int)(n > 40 ? 40 : n), r->s + start, start + 1,
              TYPE_HELP);
}

/*
 * Reads a string value into buf (which has room for the rest of the text):
 * bare bytes, "..." with the shell's escapes, '...' literally, and \X for
 * the byte X, joined as in the shell. Sets *n_out to the bytes decoded.
 */
static int read_string(reader *r, char *buf, size_t *n_out) {
  size_t n = 0, start = r->i;
  while (r->i < r->len && !ends_value(r->s[r->i])) {
    char c = r->s[r->i];
    if (c == '"') {
      size_t open = r->i++;
      for (;;) {
        if (r->i == r->len || (r->s[r->i] == '\\' && r->i + 1 == r->len))
          return fail(r, "unterminated double quote (opened at column %zu of the tuple)", open + 1);
        if (r->s[r->i] == '"') {
          r->i++;
          break;
        }
        if (r->s[r->i] != '\\') {
          buf[n++] = r->s[r->i++];
        } else if (cli_decode_escape(r->s, r->len, &r->i, &buf[n++], r->err, r->errlen) != 0) {
          return -1;
        }
      }
    } else if (c == '\'') {
      size_t open = r->i++;
      while (r->i < r->len && r->s[r->i] != '\'') buf[n++] = r->s[r->i++];
      if (r->i == r->len) return fail(r, "unterminated single quote (opened at column %zu of the tuple)", open + 1);
      r->i++;
    } else if (c == '\\') {
      if (r->i + 1 == r->len) return fail(r, "backslash at the end of the tuple");
      buf[n++] = r->s[r->i + 1];
      r->i += 2;
    } else if (c == '(') {
      return fail(r, "unexpected '(' at column %zu (tuples do not nest; in a string, quote it: s:\"(\")", r->i + 1);
    } else {
      buf[n++] = c;
      r->i++;
    }
  }
  if (r->i == start)
    return fail(r, "the string at column %zu has no value (write s:\"\" for the empty string)", start + 1);
  *n_out = n;
  return 0;
}

/* Reads a bare decimal value of an integer element into *u (unsigned) or
 * *v (signed). */
static int read_number(reader *r, int type, uint64_t *u, int64_t *v) {
  size_t start = r->i;
  while (r->i < r->len && !ends_value(r->s[r->i])) r->i++;
  const char *tok = r->s + start;
  size_t n = r->i - start;
  int neg;
  if (type == STRATA_TUPLE_U64) {
    if (cli_parse_decimal(tok, n, 0, UINT64_MAX, u, &neg) == 0) return 0;
    return fail(r, "u: at column %zu needs a decimal integer from 0 to 18446744073709551615, not '%.*s'", start + 1,
                (int)(n > 40 ? 40 : n), tok);
  }
  if (cli_parse_i64(tok, n, v) == 0) return 0;
  return fail(r,
              "i: at column %zu needs a decimal integer from -9223372036854775808 to 9223372036854775807, not '%.*s'",
              start + 1, (int)(n > 40 ? 40 : n), tok);
}

/* Adds one element to t; the reason of a failure names the column. */
static int add_element(reader *r, strata_tuple *t, int type, int desc, const char *buf, size_t n, uint64_t u, int64_t v,
                       size_t column) {
  int rc;
  if (type == STRATA_TUPLE_BYTES)
    rc = desc ? strata_tuple_add_bytes_desc(t, buf, n) : strata_tuple_add_bytes(t, buf, n);
  else if (type == STRATA_TUPLE_U64)
    rc = desc ? strata_tuple_add_u64_desc(t, u) : strata_tuple_add_u64(t, u);
  else
    rc = desc ? strata_tuple_add_i64_desc(t, v) : strata_tuple_add_i64(t, v);
  if (rc == STRATA_OK) return 0;
  if (rc == STRATA_ENOMEM) return fail(r, "out of memory building the tuple");
  return fail(r, "the key would be longer than max_key_bytes (%zu bytes) with the element at column %zu", t->max_len,
              column);
}

int cli_tuple_parse(const char *text, size_t len, strata_tuple *t, char *err, size_t errlen) {
  reader r = {text, len, 0, err, errlen};
  if (errlen > 0) err[0] = '\0';
  strata_tuple_clear(t);
  if (len == 0 || text[0] != '(') return fail(&r, "a tuple starts with '('");
  /* A string decodes to no more bytes than its text. */
  char *buf = malloc(len);
  if (!buf) return fail(&r, "out of memory (tuple of %zu bytes)", len);
  int rc = -1;
  r.i = 1;
  skip_blanks(&r);
  if (r.i < len && text[r.i] == ')') {
    r.i++; /* () is the empty key */
  } else {
    for (;;) {
      size_t column = r.i + 1;
      int type, desc;
      size_t n = 0;
      uint64_t u = 0;
      int64_t v = 0;
      if (read_type(&r, &type, &desc) != 0) goto done;
      if (type == STRATA_TUPLE_BYTES ? read_string(&r, buf, &n) : read_number(&r, type, &u, &v)) goto done;
      if (add_element(&r, t, type, desc, buf, n, u, v, column) != 0) goto done;
      skip_blanks(&r);
      if (r.i == len) {
        fail(&r, "missing ')' at the end of the tuple");
        goto done;
      }
      if (text[r.i] == ')') {
        r.i++;
        break;
      }
      if (text[r.i] != ',') {
        fail(&r, "expected ',' or ')' at column %zu of the tuple", r.i + 1);
        goto done;
      }
      r.i++;
      skip_blanks(&r);
    }
  }
  if (r.i != len) {
    fail(&r, "text after the tuple's ')' at column %zu", r.i + 1);
    goto done;
  }
  rc = 0;
done:
  free(buf);
  return rc;
}

/* 1 when a string element prints bare: not empty, printable ASCII, none of
 * the bytes that end or quote a value. */
static int string_is_bare(const unsigned char *s, size_t n) {
  if (n == 0) return 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < 0x21 || s[i] > 0x7e || strchr(",()\"'\\", s[i])) return 0;
  }
  return 1;
}

static void write_element(FILE *f, const strata_tuple_elem *e, const unsigned char *buf) {
  const char *desc = e->desc ? "-" : "";
  switch (e->type) {
    case STRATA_TUPLE_BYTES:
      fprintf(f, "s%s:", desc);
      if (string_is_bare(buf, e->len))
        fwrite(buf, 1, e->len, f);
      else
        cli_write_quoted(f, buf, e->len);
      break;
    case STRATA_TUPLE_U64: fprintf(f, "u%s:%" PRIu64, desc, e->u); break;
    default: fprintf(f, "i%s:%" PRId64, desc, e->i); break;
  }
}

/* Re-encodes e onto t, to compare the result with the key. */
static int encode_element(strata_tuple *t, const strata_tuple_elem *e, const unsigned char *buf) {
  switch (e->type) {
    case STRATA_TUPLE_BYTES:
      return e->desc ? strata_tuple_add_bytes_desc(t, buf, e->len) : strata_tuple_add_bytes(t, buf, e->len);
    case STRATA_TUPLE_U64: return e->desc ? strata_tuple_add_u64_desc(t, e->u) : strata_tuple_add_u64(t, e->u);
    case STRATA_TUPLE_I64: return e->desc ? strata_tuple_add_i64_desc(t, e->i) : strata_tuple_add_i64(t, e->i);
    default: return STRATA_EINVAL;
  }
}

int cli_tuple_write(FILE *f, const void *key, size_t klen, char *err, size_t errlen) {
  reader r = {key, klen, 0, err, errlen};
  if (errlen > 0) err[0] = '\0';
  unsigned char *buf = malloc(klen ? klen : 1);
  if (!buf) return fail(&r, "out of memory (key of %zu bytes)", klen);
  strata_tuple t;
  strata_tuple_init(&t);
  t.max_len = SIZE_MAX;
  strata_tuple_elem e;
  size_t pos = 0, count = 0;
  int rc = -1, more;
  /* First the whole key is checked, so that nothing is written for a key
   * that is not a tuple. */
  while ((more = strata_tuple_next(key, klen, &pos, &e, buf, klen)) == 1) {
    int erc = encode_element(&t, &e, buf);
    if (erc != STRATA_OK) {
      if (erc == STRATA_ENOMEM)
        fail(&r, "out of memory decoding the key");
      else
        fail(&r, "not a tuple: element %zu has an unknown type (%d)", count + 1, e.type);
      goto done;
    }
    count++;
  }
  if (more != 0) {
    fail(&r, "not a tuple: no well-formed element at byte %zu of %zu", pos, klen);
    goto done;
  }
  if (t.len != klen || (klen > 0 && memcmp(t.data, key, klen) != 0)) {
    fail(&r, "not a tuple: its %zu elements decode, but do not encode back to the same bytes", count);
    goto done;
  }
  putc('(', f);
  pos = 0;
  for (size_t k = 0; strata_tuple_next(key, klen, &pos, &e, buf, klen) == 1; k++) {
    if (k > 0) fputs(", ", f);
    write_element(f, &e, buf);
  }
  putc(')', f);
  rc = 0;
done:
  strata_tuple_free(&t);
  free(buf);
  return rc;
}
