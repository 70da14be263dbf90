/*
 * cli_args.h - the shell's quoting syntax, both ways: splitting a command
 * line into byte-string arguments, and writing bytes back in a form that the
 * splitter reads as the same bytes. docs/SHELL.md states the rules.
 */
#ifndef STRATA_TOOLS_CLI_ARGS_H
#define STRATA_TOOLS_CLI_ARGS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* One argument: len bytes at data (which may hold NULs), followed by a NUL
 * that is not counted, so plain arguments can also be used as C strings.
 * tuple is 1 when the argument was written as a tuple key, "(...)": data
 * then holds its text as typed, parentheses included, for cli_tuple_parse;
 * otherwise 0 and data holds the decoded bytes. */
typedef struct cli_arg {
  const char *data;
  size_t len;
  int tuple;
} cli_arg;

/* The arguments of one line. v and the bytes they point at are owned by the
 * list and live until cli_args_free() or the next cli_args_parse(). */
typedef struct cli_args {
  cli_arg *v;
  size_t n;
  size_t cap; /* slots allocated in v */
  char *buf;  /* the decoded bytes of every argument, back to back */
} cli_args;

/* Makes a an empty list. a must not be NULL. */
void cli_args_init(cli_args *a);

/* Releases what a holds and leaves it empty and reusable. NULL is ignored. */
void cli_args_free(cli_args *a);

/*
 * Splits len bytes of line (no newline; NULs are ordinary bytes) into a,
 * replacing what a held. An argument that starts with an unquoted '(' runs
 * to the first ')' outside quotes, blanks included, and is kept undecoded
 * with tuple = 1. Returns 0 with a->n arguments (0 for a blank line),
 * or -1 with a->n = 0 and a one-line reason in err (unterminated quote or
 * tuple, bad escape, text right after a tuple's ')', out of memory; always
 * NUL-terminated when errlen > 0).
 */
int cli_args_parse(cli_args *a, const char *line, size_t len, char *err, size_t errlen);

/*
 * Decodes the escape whose backslash is at s[*i] inside double quotes (a
 * byte must follow it: the caller checks) into *byte and moves *i past it.
 * Returns 0, or -1 with the reason (naming column *i + 1) in err.
 */
int cli_decode_escape(const char *s, size_t len, size_t *i, char *byte, char *err, size_t errlen);

/*
 * Reads the n bytes at s as a decimal number: digits only (at least one, no
 * blanks), after an optional '-' or '+' when signed_ok. Sets *mag_out to its
 * magnitude and *neg_out to 1 for '-'. Returns 0, or -1 (both outputs 0)
 * when it is not such a number or its magnitude is over max.
 */
int cli_parse_decimal(const char *s, size_t n, int signed_ok, uint64_t max, uint64_t *mag_out, int *neg_out);

/* cli_parse_decimal for the range of int64_t: 0 with *v_out, or -1 (0). */
int cli_parse_i64(const char *s, size_t n, int64_t *v_out);

/* 1 if n bytes at p print as they are: n > 0, the first byte is not '('
 * (which starts a tuple key), and every byte is in 0x21..0x7e other than '"'
 * and '\\', or a space that is neither first nor last. */
int cli_bytes_are_plain(const void *p, size_t n);

/*
 * Writes n bytes at p to f, with no newline: as they are when
 * cli_bytes_are_plain() holds, otherwise in double quotes with \" \\ \n \r
 * \t and \xHH escapes, a form that cli_args_parse() reads back as one
 * argument holding the same bytes.
 */
void cli_write_bytes(FILE *f, const void *p, size_t n);

/* Writes n bytes at p to f always in double quotes with escapes, the quoted
 * form of cli_write_bytes. */
void cli_write_quoted(FILE *f, const void *p, size_t n);

/* As cli_write_bytes, but quotes inner spaces too, so that the output is
 * always one argument: for lines that hold several (scan's KEY VALUE). */
void cli_write_token(FILE *f, const void *p, size_t n);

#endif /* STRATA_TOOLS_CLI_ARGS_H */
