/*
 * error.c - result code names and the thread-local detailed message behind
 * strata_errmsg().
 */
#include "base/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

static _Thread_local char errmsg_buf[512];

const char *strata_strerror(int code) {
  switch (code) {
  case STRATA_OK: return "STRATA_OK: success";
  case STRATA_NOTFOUND: return "STRATA_NOTFOUND: not found";
  case STRATA_EINVAL: return "STRATA_EINVAL: invalid argument";
  case STRATA_ETYPE: return "STRATA_ETYPE: fragments of different kinds do not combine";
  case STRATA_ECORRUPT: return "STRATA_ECORRUPT: data is corrupt";
  case STRATA_EIO: return "STRATA_EIO: I/O error";
  case STRATA_ENOSPC: return "STRATA_ENOSPC: no space left on device";
  case STRATA_ENOMEM: return "STRATA_ENOMEM: out of memory";
  case STRATA_EBUSY: return "STRATA_EBUSY: resource busy";
  case STRATA_EREADONLY: return "STRATA_EREADONLY: database is read-only until reopened";
  default: return "STRATA_?: unknown result code";
  }
}

const char *strata_errmsg(void) { return errmsg_buf; }

int st_error(int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(errmsg_buf, sizeof errmsg_buf, fmt, ap);
  va_end(ap);
  return code;
}

void st_error_clear(void) { errmsg_buf[0] = '\0'; }

void st_error_save(st_errsave *s) { snprintf(s->msg, sizeof s->msg, "%s", errmsg_buf); }

int st_error_restore(const st_errsave *s, int code) {
  snprintf(errmsg_buf, sizeof errmsg_buf, "%s", s->msg);
  return code;
}

int st_error_from_errno(int err) {
  switch (err) {
  case ENOSPC:
#ifdef EDQUOT
  case EDQUOT:
#endif
    return STRATA_ENOSPC;
  case ENOMEM: return STRATA_ENOMEM;
  default: return STRATA_EIO;
  }
}
