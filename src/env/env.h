/*
 * env.h - the one table through which every OS call of the library goes:
 * files, directories, locks, the clock and threads. env_posix.c is the real
 * one; tests substitute a fault-injecting one (tests/support/fault_env.c).
 *
 * Every function returns STRATA_OK or a STRATA_* code and records a detailed
 * message (operation, path, OS error) with st_error(). A missing file is
 * STRATA_NOTFOUND. All functions are thread-safe; a st_file is used by one
 * thread at a time unless stated otherwise.
 */
#ifndef STRATA_ENV_ENV_H
#define STRATA_ENV_ENV_H

#include <stddef.h>
#include <stdint.h>

typedef struct st_env st_env;
typedef struct st_file st_file;

/* An open file. Each env embeds this as the first member of its own file
 * struct; the file's functions reach their env through it. */
struct st_file {
  st_env *env;
};

/* Open modes for open_file. */
enum {
  ST_OPEN_READ = 0,         /* read an existing file */
  ST_OPEN_APPEND = 1,       /* append to a file, creating it if absent */
  ST_OPEN_CREATE_EXCL = 2,  /* create a new file for appending; exists -> STRATA_EINVAL */
  ST_OPEN_TRUNCATE = 3,     /* create or empty a file for appending */
};

/* Callback of list_dir: called once per entry name (not "." or ".."). */
typedef void (*st_list_fn)(void *arg, const char *name);

struct st_env {
  int (*open_file)(st_env *env, const char *path, int mode, st_file **file_out);
  /* Appends all n bytes or fails; a failure may leave a prefix written. */
  int (*append)(st_file *f, const void *data, size_t n);
  /* Reads up to n bytes at off; *got_out < n only at end of file.
   * May be called from many threads at once on one file. */
  int (*pread)(st_file *f, uint64_t off, void *buf, size_t n, size_t *got_out);
  /* Forces the file's data (and size) to stable storage. */
  int (*sync)(st_file *f);
  /* Cuts the file to size bytes. */
  int (*truncate)(st_file *f, uint64_t size);
  int (*size)(st_file *f, uint64_t *size_out);
  /* Closes and frees f; returns the close error, if any. NULL is ok. */
  int (*close)(st_file *f);
  /* Optional (NULL when the env cannot): maps the first size bytes of f
   * read-only, so that reads need no copy and no system call. *addr_out
   * stays valid until unmap, also after f is closed. The file must not
   * shrink while mapped: tables never do. A page the disk cannot deliver
   * raises SIGBUS instead of returning STRATA_EIO (see ARCHITECTURE.md). */
  int (*map)(st_file *f, uint64_t size, const char **addr_out);
  void (*unmap)(st_env *env, const char *addr, uint64_t size);
  /* Optional (NULL when the env cannot), both or neither: allocate extends
   * f (opened for writing) to size bytes with its blocks reserved, so that
   * stores into a mapping of them cannot fail for lack of space.
   * map_shared maps [off, off + len) of f read-write and shared (off a
   * multiple of 64 KiB; the file at least off + len bytes long): a store
   * reaches the OS page cache at once, so it outlives the process as a
   * written byte does, and sync forces it to storage. Unmap with unmap. */
  int (*allocate)(st_file *f, uint64_t size);
  int (*map_shared)(st_file *f, uint64_t off, uint64_t len, char **addr_out);

  int (*rename)(st_env *env, const char *from, const char *to);
  int (*unlink)(st_env *env, const char *path);
  int (*mkdir)(st_env *env, const char *path);
  /* Forces a directory's entries (creations, renames, removals) to disk. */
  int (*sync_dir)(st_env *env, const char *path);
  int (*list_dir)(st_env *env, const char *path, st_list_fn fn, void *arg);
  /* STRATA_OK if path exists, STRATA_NOTFOUND if not. *is_dir_out may be NULL. */
  int (*exists)(st_env *env, const char *path, int *is_dir_out);

  /* Takes an exclusive lock on path (created if needed) held until
   * unlock. Held by this process or another: STRATA_EBUSY. */
  int (*lock)(st_env *env, const char *path, st_file **lock_out);
  int (*unlock)(st_file *lock);

  uint64_t (*now_micros)(st_env *env);
  void (*sleep_micros)(st_env *env, uint64_t us);

  /* Starts fn(arg) on a new thread; join waits for it and frees the handle. */
  int (*thread_start)(st_env *env, void *(*fn)(void *), void *arg, void **thread_out);
  void (*thread_join)(st_env *env, void *thread);
};

/* The process-wide POSIX env. Never freed. */
st_env *st_env_posix(void);

/* Reads the whole file at path into a malloc'ed buffer (NUL-terminated,
 * terminator not counted). */
int st_env_read_all(st_env *env, const char *path, char **data_out, size_t *len_out);

/* The size of the file at path, or 0 when it cannot be opened or sized
 * (for choices that treat an unreadable file like an empty one; the read
 * that follows reports the error). */
uint64_t st_env_file_size_or_zero(st_env *env, const char *path);

/* Writes data to path atomically and durably: path.tmp, fsync, rename,
 * fsync of dir. */
int st_env_write_atomic(st_env *env, const char *dir, const char *name, const void *data, size_t n);

#endif
