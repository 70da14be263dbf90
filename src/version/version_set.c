/*
 * version_set.c - the current version, the manifest (a log of version
 * edits framed as WAL records), CURRENT, and the list of live versions.
 * Open replays the manifest and always starts a fresh one; apply appends.
 */
#include "version/version_set.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/coding.h"
#include "base/crc32c.h"
#include "base/error.h"
#include "format/ikey.h"
#include "wal/wal_format.h"
#include "wal/wal_reader.h"
#include "wal/wal_writer.h"

#define CURRENT_NAME "CURRENT"
#define MANIFEST_PREFIX "MANIFEST-"

/* Lock order: apply_mu, then mu. Neither is held while calling out,
 * except mu around st_version_set_live_files's callback. */
struct st_version_set {
  st_env *env;
  char *dir;
  uint64_t manifest_number; /* set by open, then constant */
  uint64_t tail_dropped;    /* set by open, then constant */

  st_mutex apply_mu; /* serializes applies; held during their I/O */
  /* Guarded by apply_mu: */
  st_wal_writer *manifest;
  int broken;        /* first failed manifest write: later applies refused */
  st_version *limbo; /* the version a failed apply would have installed */

  st_mutex mu;
  /* Guarded by mu: */
  st_version *current; /* holds a reference of its own */
  st_version live;     /* sentinel of the circular list of live versions */
  uint64_t next_file, log_number, last_seq;
};

/* ---- file names -------------------------------------------------------- */

void st_version_set_manifest_path(const char *dir, uint64_t number, char *out, size_t n) {
  snprintf(out, n, "%s/" MANIFEST_PREFIX "%06llu", dir, (unsigned long long)number);
}

/* Parses a decimal number of at most 19 digits at p; returns the byte after. */
static const char *parse_number(const char *p, uint64_t *v_out) {
  uint64_t v = 0;
  const char *start = p;
  for (; *p >= '0' && *p <= '9' && p - start < 19; p++) v = v * 10 + (uint64_t)(*p - '0');
  if (p == start || (*p >= '0' && *p <= '9')) return NULL;
  *v_out = v;
  return p;
}

/* 1 and the number when name is exactly what st_version_set_manifest_path
 * builds (so a manifest can never be read under two names). */
static int parse_manifest_name(const char *name, size_t len, uint64_t *number_out) {
  size_t plen = strlen(MANIFEST_PREFIX);
  char copy[64], canon[64];
  uint64_t v;
  if (len <= plen || len >= sizeof copy || memcmp(name, MANIFEST_PREFIX, plen) != 0) return 0;
  memcpy(copy, name, len);
  copy[len] = '\0';
  const char *end = parse_number(copy + plen, &v);
  if (!end || *end) return 0;
  snprintf(canon, sizeof canon, MANIFEST_PREFIX "%06llu", (unsigned long long)v);
  if (strcmp(canon, copy) != 0) return 0;
  *number_out = v;
  return 1;
}

typedef struct dir_scan {
  uint64_t *manifests; /* numbers of the MANIFEST-* files */
  size_t n, cap;
  uint64_t max_number; /* largest number in any file name */
  int oom;
} dir_scan;

static void scan_entry(void *arg, const char *name) {
  dir_scan *s = arg;
  uint64_t v;
  const char *end = parse_number(name, &v);
  if (end && *end == '.') {
    /* Logs, tables and whatever else is numbered from the same counter. */
    if (v > s->max_number) s->max_number = v;
    return;
  }
  if (strncmp(name, MANIFEST_PREFIX, strlen(MANIFEST_PREFIX)) != 0) return;
  end = parse_number(name + strlen(MANIFEST_PREFIX), &v);
  if (end && v > s->max_number) s->max_number = v;
  if (!parse_manifest_name(name, strlen(name), &v)) return;
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 8;
    uint64_t *n = realloc(s->manifests, cap * sizeof *n);
    if (!n) {
      s->oom = 1;
      return;
    }
    s->manifests = n;
    s->cap = cap;
  }
  s->manifests[s->n++] = v;
}

static int cmp_u64_desc(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x > y ? -1 : x < y;
}

/* ---- reading a manifest ------------------------------------------------ */

/* What replaying the edits of a manifest sets besides the files. */
typedef struct replay_state {
  uint64_t log_number, next_file, last_seq;
  uint64_t tail_dropped;
} replay_state;

/* Why the record at off of the file image [buf, buf+size) is not valid. */
static const char *damage_reason(const char *buf, uint64_t size, uint64_t off) {
  if (size - off < ST_WAL_HEADER) return "its header is cut short";
  uint32_t len = st_get_fixed32(buf + off + 4);
  if (len < ST_VERSION_EDIT_HEADER) return "its length is below the 12-byte minimum";
  if (len > size - off - ST_WAL_HEADER) return "it runs past the end of the file";
  return "checksum mismatch";
}

/* 1 when a whole valid manifest record (framing, checksum and the edit
 * magic) starts at off. */
static int valid_record_at(const char *buf, uint64_t size, uint64_t off) {
  if (size - off < ST_WAL_HEADER + ST_VERSION_EDIT_HEADER) return 0;
  const char *p = buf + off;
  uint32_t len = st_get_fixed32(p + 4);
  if (len < ST_VERSION_EDIT_HEADER || len > size - off - ST_WAL_HEADER) return 0;
  if (memcmp(p + ST_WAL_HEADER, ST_VERSION_EDIT_MAGIC, 8) != 0) return 0;
  return st_crc32c(p + 4, 4 + (size_t)len) == st_crc32c_unmask(st_get_fixed32(p));
}

/*
 * The record at damage is bad. It is a torn tail (*torn_out = 1) when no
 * valid record starts anywhere after it: an append that a crash cut short
 * or left with garbage, whose apply never returned. Otherwise the damage is
 * in the middle, and edits after it would be lost: corruption. Records the
 * ECORRUPT message either way.
 */
static int classify_damage(st_env *env, const char *path, uint64_t damage, int *torn_out) {
  char *buf;
  size_t size;
  *torn_out = 0;
  int rc = st_env_read_all(env, path, &buf, &size);
  if (rc) return rc;
  const char *why = damage < size ? damage_reason(buf, size, damage) : "the file shrank while being read";
  int found = 0;
  for (uint64_t off = damage + 1; off < size && !found; off++) found = valid_record_at(buf, size, off);
  free(buf);
  *torn_out = !found;
  return st_error(STRATA_ECORRUPT, "manifest %s: damaged record at offset %llu of %zu: %s%s", path,
                  (unsigned long long)damage, size, why, found ? "; valid records follow it" : "");
}

/*
 * Replays manifest number into b and st. STRATA_ECORRUPT with file and
 * offset for damage; *unborn_out is then set when the manifest holds no
 * whole first record (empty, or the first record torn), i.e. its creation
 * never completed.
 */
static int replay(st_version_set *vs, uint64_t number, st_version_builder *b, replay_state *st, int *unborn_out) {
  char path[PATH_MAX];
  st_wal_reader *r = NULL;
  st_version_edit e;
  uint64_t records = 0;
  *unborn_out = 0;
  st_version_edit_init(&e);
  st_version_set_manifest_path(vs->dir, number, path, sizeof path);
  int rc = st_wal_reader_open(vs->env, path, ST_WAL_TYPE0_ONLY, &r);
  if (rc == STRATA_NOTFOUND)
    return st_error(STRATA_ECORRUPT, "%s/" CURRENT_NAME " names " MANIFEST_PREFIX "%06llu, which does not exist",
                    vs->dir, (unsigned long long)number);
  if (rc) return rc;
  for (;;) {
    const char *data;
    size_t len;
    rc = st_wal_read(r, &data, &len, NULL);
    if (rc == STRATA_NOTFOUND) {
      rc = STRATA_OK;
      if (records == 0) {
        *unborn_out = 1;
        rc = st_error(STRATA_ECORRUPT, "manifest %s is empty", path);
      }
      break;
    }
    if (rc == STRATA_ECORRUPT) {
      uint64_t damage = st_wal_reader_offset(r);
      int torn;
      rc = classify_damage(vs->env, path, damage, &torn);
      if (rc == STRATA_ECORRUPT && torn) {
        if (records == 0) {
          /* CURRENT is pointed at a manifest only after its first record
           * is durable: that record is never an unacknowledged tail. */
          *unborn_out = 1;
        } else {
          st->tail_dropped = st_wal_reader_size(r) - damage;
          rc = STRATA_OK;
        }
      }
      break;
    }
    if (rc) break;
    uint64_t at = st_wal_reader_offset(r) - ST_WAL_HEADER - len;
    rc = st_version_edit_decode(&e, data, len);
    if (!rc) rc = st_version_builder_apply(b, &e, STRATA_ECORRUPT);
    if (rc) {
      if (rc == STRATA_ECORRUPT) {
        st_errsave why;
        st_error_save(&why);
        st_error(rc, "manifest %s: record at offset %llu: %s", path, (unsigned long long)at, why.msg);
      }
      break;
    }
    if (e.has_log_number && e.log_number > st->log_number) st->log_number = e.log_number;
    if (e.has_next_file && e.next_file > st->next_file) st->next_file = e.next_file;
    if (e.has_last_seq && e.last_seq > st->last_seq) st->last_seq = e.last_seq;
    st_version_edit_clear(&e);
    records++;
  }
  st_version_edit_clear(&e);
  st_wal_reader_close(r);
  return rc;
}

/* ---- writing a manifest ------------------------------------------------ */

/* Appends e to the manifest as one record and fsyncs it. */
static int append_edit(st_wal_writer *w, const st_version_edit *e) {
  char *enc, *rec;
  size_t len;
  int rc = st_version_edit_encode(e, &enc, &len);
  if (rc) return rc;
  rec = malloc(ST_WAL_HEADER + len);
  if (!rec) {
    free(enc);
    return st_error(STRATA_ENOMEM, "manifest: out of memory for a %zu-byte edit", len);
  }
  memcpy(rec + ST_WAL_HEADER, enc, len);
  free(enc);
  rc = st_wal_append(w, rec, len, ST_WAL_TYPE0);
  free(rec);
  if (!rc) rc = st_wal_sync(w);
  return rc;
}

/* An edit that recreates v with the set's counters. */
static int snapshot_edit(st_version_set *vs, const st_version *v, st_version_edit *e) {
  e->has_log_number = e->has_next_file = e->has_last_seq = 1;
  e->log_number = vs->log_number;
  e->next_file = vs->next_file;
  e->last_seq = vs->last_seq;
  for (int level = 0; level < ST_LEVELS; level++)
    for (size_t i = 0; i < v->nfiles[level]; i++) {
      int rc = st_version_edit_add_file(e, level, v->files[level][i]);
      if (rc) return rc;
    }
  return STRATA_OK;
}

/*
 * Starts a new manifest holding the whole state, makes it durable (data,
 * then its directory entry), then points CURRENT at it. Single-threaded
 * (open). If CURRENT may have been replaced, the new manifest is kept
 * even on failure: CURRENT may name it.
 */
static int start_manifest(st_version_set *vs) {
  char path[PATH_MAX];
  char current[64];
  st_version_edit e;
  st_wal_writer *w = NULL;
  uint64_t number = vs->next_file++;
  st_version_edit_init(&e);
  st_version_set_manifest_path(vs->dir, number, path, sizeof path);
  int rc = st_wal_writer_create(vs->env, path, 0, &w);
  if (rc) return rc;
  if ((rc = snapshot_edit(vs, vs->current, &e)) || (rc = append_edit(w, &e)) ||
      (rc = vs->env->sync_dir(vs->env, vs->dir))) {
    st_errsave first;
    st_error_save(&first);
    st_version_edit_clear(&e);
    st_wal_writer_close(w);
    vs->env->unlink(vs->env, path);
    return st_error_restore(&first, rc);
  }
  st_version_edit_clear(&e);
  int n = snprintf(current, sizeof current, MANIFEST_PREFIX "%06llu\n", (unsigned long long)number);
  if ((rc = st_env_write_atomic(vs->env, vs->dir, CURRENT_NAME, current, (size_t)n))) {
    st_errsave first;
    st_error_save(&first);
    st_wal_writer_close(w);
    return st_error_restore(&first, rc);
  }
  vs->manifest = w;
  vs->manifest_number = number;
  return STRATA_OK;
}

/* ---- open and close ---------------------------------------------------- */

/* Parses CURRENT's content into the manifest number it names. */
static int parse_current(const char *dir, const char *text, size_t len, uint64_t *number_out) {
  if (len > 0 && text[len - 1] == '\n' && memchr(text, '\0', len) == NULL &&
      parse_manifest_name(text, len - 1, number_out))
    return STRATA_OK;
  char shown[80];
  size_t i, j = 0;
  for (i = 0; i < len && j + 5 < sizeof shown; i++) {
    unsigned char c = (unsigned char)text[i];
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
      shown[j++] = (char)c;
    else
      j += (size_t)snprintf(shown + j, sizeof shown - j, "\\x%02x", c);
  }
  shown[j] = '\0';
  return st_error(STRATA_ECORRUPT, "%s/" CURRENT_NAME ": expected \"" MANIFEST_PREFIX "<number>\\n\", found \"%s\"%s",
                  dir, shown, i < len ? "..." : "");
}

/* Without CURRENT: the newest manifest whose first record is whole (see
 * st_version_set_open), or none (*found_out 0). */
static int replay_newest(st_version_set *vs, dir_scan *scan, st_version_builder *b, replay_state *st,
                         uint64_t *number_out, int *found_out) {
  *found_out = 0;
  if (scan->n) qsort(scan->manifests, scan->n, sizeof *scan->manifests, cmp_u64_desc);
  for (size_t i = 0; i < scan->n; i++) {
    int unborn;
    replay_state s = {0};
    int rc = st_version_builder_init(b, NULL);
    if (rc) return rc;
    rc = replay(vs, scan->manifests[i], b, &s, &unborn);
    if (rc == STRATA_OK) {
      *st = s;
      *number_out = scan->manifests[i];
      *found_out = 1;
      return STRATA_OK;
    }
    st_version_builder_clear(b);
    if (!(rc == STRATA_ECORRUPT && unborn)) return rc;
  }
  return st_version_builder_init(b, NULL);
}

/* Reads the state named by CURRENT (or found without it) into b and st;
 * *old_out is the number of the manifest read, 0 if none. */
static int recover(st_version_set *vs, dir_scan *scan, st_version_builder *b, replay_state *st, uint64_t *old_out) {
  char path[PATH_MAX], *text = NULL;
  size_t len;
  int unborn, found;
  *old_out = 0;
  snprintf(path, sizeof path, "%s/" CURRENT_NAME, vs->dir);
  int rc = st_env_read_all(vs->env, path, &text, &len);
  if (rc == STRATA_NOTFOUND) {
    rc = replay_newest(vs, scan, b, st, old_out, &found);
    return rc;
  }
  if (rc) return rc;
  rc = parse_current(vs->dir, text, len, old_out);
  free(text);
  if (!rc) rc = st_version_builder_init(b, NULL);
  if (!rc) {
    rc = replay(vs, *old_out, b, st, &unborn);
    if (rc) st_version_builder_clear(b);
  }
  return rc;
}

/* Makes v (one reference, which becomes the set's) a member of the live
 * list; mu held or the set not yet shared. */
static void link_version(st_version_set *vs, st_version *v) {
  v->list_mu = &vs->mu;
  v->prev = vs->live.prev;
  v->next = &vs->live;
  vs->live.prev->next = v;
  vs->live.prev = v;
}

int st_version_set_open(st_env *env, const char *dir, st_version_set **vs_out) {
  dir_scan scan = {0};
  st_version_builder b;
  replay_state st = {0};
  uint64_t old = 0;
  st_version *v = NULL;
  *vs_out = NULL;
  memset(&b, 0, sizeof b);
  st_version_set *vs = calloc(1, sizeof *vs);
  if (!vs) return st_error(STRATA_ENOMEM, "version set %s: out of memory", dir);
  st_mutex_init(&vs->apply_mu);
  st_mutex_init(&vs->mu);
  vs->live.prev = vs->live.next = &vs->live;
  vs->env = env;
  int rc = STRATA_OK;
  if (!(vs->dir = strdup(dir))) rc = st_error(STRATA_ENOMEM, "version set %s: out of memory", dir);
  if (!rc) rc = env->list_dir(env, dir, scan_entry, &scan);
  if (!rc && scan.oom) rc = st_error(STRATA_ENOMEM, "version set %s: out of memory listing it", dir);
  if (!rc) rc = recover(vs, &scan, &b, &st, &old);
  if (rc) goto fail;
  /* Never hand out a number that is in use, recorded or not. */
  uint64_t next = st.next_file;
  if (next <= scan.max_number) next = scan.max_number + 1;
  if (next <= old) next = old + 1;
  if (b.nnumbers && next <= b.numbers[b.nnumbers - 1]) next = b.numbers[b.nnumbers - 1] + 1;
  if (next == 0) next = 1;
  if ((rc = st_version_builder_finish(&b, &v))) goto fail;
  vs->next_file = next;
  vs->log_number = st.log_number;
  vs->last_seq = st.last_seq;
  vs->tail_dropped = st.tail_dropped;
  link_version(vs, v);
  vs->current = v;
  if ((rc = start_manifest(vs))) goto fail;
  /* The old manifest (and any left by crashed opens) is history now; one
   * that stays behind is removed by the next open. */
  for (size_t i = 0; i < scan.n; i++) {
    char path[PATH_MAX];
    if (scan.manifests[i] == vs->manifest_number) continue;
    st_version_set_manifest_path(dir, scan.manifests[i], path, sizeof path);
    env->unlink(env, path);
  }
  st_error_clear();
  free(scan.manifests);
  *vs_out = vs;
  return STRATA_OK;
fail : {
  st_errsave first;
  st_error_save(&first);
  st_version_builder_clear(&b);
  free(scan.manifests);
  st_version_set_close(vs);
  return st_error_restore(&first, rc);
}
}

void st_version_set_close(st_version_set *vs) {
  if (!vs) return;
  st_wal_writer_close(vs->manifest);
  st_version_unref(vs->limbo);
  st_version_unref(vs->current);
  /* Versions readers still hold leave the list; they free themselves. */
  st_mutex_lock(&vs->mu);
  for (st_version *v = vs->live.next, *next; v != &vs->live; v = next) {
    next = v->next;
    v->list_mu = NULL;
    v->prev = v->next = NULL;
  }
  st_mutex_unlock(&vs->mu);
  st_mutex_destroy(&vs->mu);
  st_mutex_destroy(&vs->apply_mu);
  free(vs->dir);
  free(vs);
}

/* ---- edits ------------------------------------------------------------- */

/* Checks e against the set's counters and fills in what it lacks. */
static int prepare_edit(st_version_edit *e, uint64_t log_number, uint64_t next_file, uint64_t last_seq) {
  for (size_t i = 0; i < e->nadded; i++)
    if (e->added[i].meta->number >= next_file) next_file = e->added[i].meta->number + 1;
  if (e->has_next_file && e->next_file > next_file) next_file = e->next_file;
  if (e->has_log_number && e->log_number < log_number)
    return st_error(STRATA_EINVAL, "version edit: log_number %llu is below the current %llu",
                    (unsigned long long)e->log_number, (unsigned long long)log_number);
  if (e->has_log_number && e->log_number >= next_file)
    return st_error(STRATA_EINVAL, "version edit: log_number %llu was never handed out (next file %llu)",
                    (unsigned long long)e->log_number, (unsigned long long)next_file);
  if (e->has_last_seq && e->last_seq > ST_SEQ_MAX)
    return st_error(STRATA_EINVAL, "version edit: last_seq %llu is above 2^56 - 1", (unsigned long long)e->last_seq);
  if (!e->has_last_seq || e->last_seq < last_seq) e->last_seq = last_seq;
  e->has_last_seq = 1;
  e->next_file = next_file;
  e->has_next_file = 1;
  return STRATA_OK;
}

/* Refuses an edit whose encoding this version could not read back, which
 * would leave a manifest that does not open. */
static int check_readable(const st_version_edit *e) {
  char *enc;
  size_t len;
  st_version_edit back;
  int rc = st_version_edit_encode(e, &enc, &len);
  if (rc) return rc;
  st_version_edit_init(&back);
  rc = st_version_edit_decode(&back, enc, len);
  free(enc);
  st_version_edit_clear(&back);
  if (rc == STRATA_ECORRUPT) {
    st_errsave why;
    st_error_save(&why);
    rc = st_error(STRATA_EINVAL, "invalid %s", why.msg);
  }
  return rc;
}

int st_version_set_apply(st_version_set *vs, st_version_edit *e) {
  st_version_builder b;
  st_version *base, *v = NULL, *old;
  int rc;
  memset(&b, 0, sizeof b);
  st_mutex_lock(&vs->apply_mu);
  if (vs->broken) {
    st_mutex_unlock(&vs->apply_mu);
    return st_error(STRATA_EREADONLY, "manifest: an earlier edit failed (%s); reopen to write again",
                    strata_strerror(vs->broken));
  }
  st_mutex_lock(&vs->mu);
  base = vs->current;
  st_version_ref(base);
  uint64_t log_number = vs->log_number, next_file = vs->next_file, last_seq = vs->last_seq;
  st_mutex_unlock(&vs->mu);

  if ((rc = prepare_edit(e, log_number, next_file, last_seq)) || (rc = check_readable(e)) ||
      (rc = st_version_builder_init(&b, base)) || (rc = st_version_builder_apply(&b, e, STRATA_EINVAL)) ||
      (rc = st_version_builder_finish(&b, &v)))
    goto done;
  if ((rc = append_edit(vs->manifest, e))) {
    /* The record may be on disk, whole or torn: nothing more may be
     * appended after it, and the files it adds must not be deleted. */
    vs->broken = rc;
    st_mutex_lock(&vs->mu);
    link_version(vs, v);
    st_mutex_unlock(&vs->mu);
    vs->limbo = v;
    goto done;
  }
  st_mutex_lock(&vs->mu);
  link_version(vs, v);
  old = vs->current;
  vs->current = v;
  if (e->next_file > vs->next_file) vs->next_file = e->next_file;
  if (e->last_seq > vs->last_seq) vs->last_seq = e->last_seq;
  if (e->has_log_number) vs->log_number = e->log_number;
  st_mutex_unlock(&vs->mu);
  st_version_unref(old);
done:
  st_version_builder_clear(&b);
  st_mutex_unlock(&vs->apply_mu);
  st_version_unref(base);
  return rc;
}

/* ---- accessors --------------------------------------------------------- */

st_version *st_version_set_current(st_version_set *vs) {
  uint64_t unused;
  return st_version_set_current_and_log(vs, &unused);
}

st_version *st_version_set_current_and_log(st_version_set *vs, uint64_t *log_number_out) {
  st_mutex_lock(&vs->mu);
  st_version *v = vs->current;
  st_version_ref(v);
  *log_number_out = vs->log_number;
  st_mutex_unlock(&vs->mu);
  return v;
}

uint64_t st_version_set_new_file_number(st_version_set *vs) {
  st_mutex_lock(&vs->mu);
  uint64_t n = vs->next_file++;
  st_mutex_unlock(&vs->mu);
  return n;
}

void st_version_set_mark_file_number_used(st_version_set *vs, uint64_t n) {
  st_mutex_lock(&vs->mu);
  if (n >= vs->next_file) vs->next_file = n + 1;
  st_mutex_unlock(&vs->mu);
}

uint64_t st_version_set_log_number(st_version_set *vs) {
  st_mutex_lock(&vs->mu);
  uint64_t n = vs->log_number;
  st_mutex_unlock(&vs->mu);
  return n;
}

uint64_t st_version_set_last_seq(st_version_set *vs) {
  st_mutex_lock(&vs->mu);
  uint64_t s = vs->last_seq;
  st_mutex_unlock(&vs->mu);
  return s;
}

void st_version_set_set_last_seq(st_version_set *vs, uint64_t seq) {
  st_mutex_lock(&vs->mu);
  if (seq > vs->last_seq) vs->last_seq = seq;
  st_mutex_unlock(&vs->mu);
}

uint64_t st_version_set_manifest_number(st_version_set *vs) { return vs->manifest_number; }

uint64_t st_version_set_tail_dropped_bytes(st_version_set *vs) { return vs->tail_dropped; }

void st_version_set_live_files(st_version_set *vs, void (*fn)(void *arg, uint64_t number), void *arg) {
  st_mutex_lock(&vs->mu);
  for (st_version *v = vs->live.next; v != &vs->live; v = v->next)
    for (int level = 0; level < ST_LEVELS; level++)
      for (size_t i = 0; i < v->nfiles[level]; i++) fn(arg, v->files[level][i]->number);
  st_mutex_unlock(&vs->mu);
}
