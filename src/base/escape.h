/*
 * escape.h - printing byte strings for people: in single quotes, printable
 * ASCII as is, every other byte (and ' and \) as \xHH. Used by the table
 * dump and the properties, whose output tools and users read.
 */
#ifndef STRATA_BASE_ESCAPE_H
#define STRATA_BASE_ESCAPE_H

#include <stddef.h>
#include <stdio.h>

void st_escape_write(FILE *out, const char *s, size_t n);

#endif
