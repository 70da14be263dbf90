/*
 * cli_tuple.h - tuple keys in the shell, both ways: the text
 * "(s:alice, u-:1700000000, i:-5)" built into a key with strata_tuple_*, and
 * a key that is a tuple written back in that form (strata_tuple_next).
 * docs/SHELL.md ("Tuple keys") states the syntax.
 */
#ifndef STRATA_TOOLS_CLI_TUPLE_H
#define STRATA_TOOLS_CLI_TUPLE_H

#include <stddef.h>
#include <stdio.h>

#include "strata.h"

/*
 * Reads the len bytes of text, a tuple as typed ("(" elements ")", as
 * cli_args_parse keeps it), into t, which the caller has init'ed and whose
 * max_len it has set; t is cleared first. Returns 0, or -1 with a one-line
 * reason in err (always NUL-terminated when errlen > 0): a malformed tuple
 * (the reason names the column in text), a key that would pass t->max_len,
 * or out of memory. t then holds a prefix of the key: clear it before use.
 */
int cli_tuple_parse(const char *text, size_t len, strata_tuple *t, char *err, size_t errlen);

/*
 * Writes the klen bytes of key to f in tuple form, with no newline, when
 * they are a tuple: every byte belongs to a well-formed element and the
 * elements encode back to exactly these bytes, so that cli_tuple_parse
 * reads the output as the same key. Returns 0 when written, or -1 having
 * written nothing, with the reason in err (the byte where decoding failed).
 */
int cli_tuple_write(FILE *f, const void *key, size_t klen, char *err, size_t errlen);

#endif /* STRATA_TOOLS_CLI_TUPLE_H */
