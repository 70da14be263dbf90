/*
 * error.h - result codes and the per-thread detailed error message.
 * Every layer reports failure as a STRATA_* code and, where it knows more
 * (file, offset, expected vs found), records it with st_error().
 */
#ifndef STRATA_BASE_ERROR_H
#define STRATA_BASE_ERROR_H

#include "strata.h"

#if defined(__GNUC__)
#define ST_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define ST_PRINTF(f, a)
#endif

/* Records a formatted message as the calling thread's strata_errmsg() and
 * returns code, so that callers can write `return st_error(...)`. */
int st_error(int code, const char *fmt, ...) ST_PRINTF(2, 3);

/* A copy of the calling thread's message, so that cleanup which may fail
 * in turn cannot replace the message of the error that came first. */
typedef struct st_errsave {
  char msg[512];
} st_errsave;
void st_error_save(st_errsave *s);
/* Makes s the calling thread's message again and returns code. */
int st_error_restore(const st_errsave *s, int code);

/* Clears the calling thread's message. */
void st_error_clear(void);

/* Maps an errno value to a STRATA_* code (ENOSPC/EDQUOT -> ENOSPC,
 * ENOMEM -> ENOMEM, everything else -> EIO). */
int st_error_from_errno(int err);

#endif
