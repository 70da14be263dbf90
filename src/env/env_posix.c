/*
 * env_posix.c - the env on POSIX: file descriptors, pread, fdatasync,
 * rename, flock-based directory locks, CLOCK_MONOTONIC and pthreads.
 */
#include "env/env.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"

typedef struct posix_file {
  st_file base;
  int fd;
  char path[]; /* for error messages */
} posix_file;

static int os_error(const char *op, const char *path, int err) {
  int code = err == ENOENT ? STRATA_NOTFOUND : st_error_from_errno(err);
  return st_error(code, "%s %s: %s", op, path, strerror(err));
}

static int p_open_file(st_env *env, const char *path, int mode, st_file **file_out) {
  *file_out = NULL;
  int flags = O_CLOEXEC;
  switch (mode) {
  case ST_OPEN_READ: flags |= O_RDONLY; break;
  /* Read-write rather than write-only: a shared writable mapping needs it. */
  case ST_OPEN_APPEND: flags |= O_RDWR | O_CREAT | O_APPEND; break;
  case ST_OPEN_CREATE_EXCL: flags |= O_RDWR | O_CREAT | O_EXCL | O_APPEND; break;
  case ST_OPEN_TRUNCATE: flags |= O_RDWR | O_CREAT | O_TRUNC | O_APPEND; break;
  default: return st_error(STRATA_EINVAL, "open %s: bad mode %d", path, mode);
  }
  size_t plen = strlen(path);
  posix_file *f = malloc(sizeof *f + plen + 1);
  if (!f) return st_error(STRATA_ENOMEM, "open %s: out of memory", path);
  int fd;
  do fd = open(path, flags, 0644);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    int err = errno;
    free(f);
    if (err == EEXIST) return st_error(STRATA_EINVAL, "create %s: file exists", path);
    return os_error("open", path, err);
  }
  f->base.env = env;
  f->fd = fd;
  memcpy(f->path, path, plen + 1);
  *file_out = &f->base;
  return STRATA_OK;
}

static int p_append(st_file *file, const void *data, size_t n) {
  posix_file *f = (posix_file *)file;
  const char *p = data;
  while (n > 0) {
    ssize_t w = write(f->fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return os_error("write", f->path, errno);
    }
    p += w;
    n -= (size_t)w;
  }
  return STRATA_OK;
}

static int p_map(st_file *file, uint64_t size, const char **addr_out) {
  posix_file *f = (posix_file *)file;
  *addr_out = NULL;
  if (size == 0 || size > SIZE_MAX)
    return st_error(STRATA_EINVAL, "mmap %s: cannot map %llu bytes", f->path, (unsigned long long)size);
  void *p = mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, f->fd, 0);
  if (p == MAP_FAILED) return os_error("mmap", f->path, errno);
  *addr_out = p;
  return STRATA_OK;
}

/* File systems where a store into a mapping can still fail for lack of
 * space after fallocate (copy-on-write: every store allocates), which the
 * process would get as SIGBUS: the mapped log is not used there. */
static int copy_on_write_fs(int fd) {
  struct statfs st;
  if (fstatfs(fd, &st) != 0) return 0;
  unsigned long type = (unsigned long)st.f_type;
  return type == 0x9123683eUL /* btrfs */ || type == 0x2fc12fc1UL /* zfs */ || type == 0xca451a4eUL /* bcachefs */;
}

static int p_allocate(st_file *file, uint64_t size) {
  posix_file *f = (posix_file *)file;
  if (copy_on_write_fs(f->fd))
    return st_error(STRATA_EINVAL, "fallocate %s: a copy-on-write file system cannot reserve space", f->path);
  /* fallocate(2) itself, not posix_fallocate: where the file system
   * cannot, glibc's emulation writes a byte per block, which is slow and
   * fails on a file opened for appending; the caller writes instead. */
  int r;
  do r = fallocate(f->fd, 0, 0, (off_t)size);
  while (r != 0 && errno == EINTR);
  return r ? os_error("fallocate", f->path, errno) : STRATA_OK;
}

static int p_map_shared(st_file *file, uint64_t off, uint64_t len, char **addr_out) {
  posix_file *f = (posix_file *)file;
  *addr_out = NULL;
  /* Populated now, in one call, rather than by a page fault per page. */
  void *p = mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, f->fd, (off_t)off);
  if (p == MAP_FAILED) return os_error("mmap", f->path, errno);
  *addr_out = p;
  return STRATA_OK;
}

static void p_unmap(st_env *env, const char *addr, uint64_t size) {
  (void)env;
  if (addr) munmap((void *)addr, (size_t)size);
}

static int p_pread(st_file *file, uint64_t off, void *buf, size_t n, size_t *got_out) {
  posix_file *f = (posix_file *)file;
  size_t got = 0;
  while (got < n) {
    ssize_t r = pread(f->fd, (char *)buf + got, n - got, (off_t)(off + got));
    if (r < 0) {
      if (errno == EINTR) continue;
      *got_out = got;
      return os_error("read", f->path, errno);
    }
    if (r == 0) break;
    got += (size_t)r;
  }
  *got_out = got;
  return STRATA_OK;
}

static int p_sync(st_file *file) {
  posix_file *f = (posix_file *)file;
  if (fdatasync(f->fd) != 0) return os_error("fdatasync", f->path, errno);
  return STRATA_OK;
}

static int p_truncate(st_file *file, uint64_t size) {
  posix_file *f = (posix_file *)file;
  if (ftruncate(f->fd, (off_t)size) != 0) return os_error("ftruncate", f->path, errno);
  return STRATA_OK;
}

static int p_size(st_file *file, uint64_t *size_out) {
  posix_file *f = (posix_file *)file;
  struct stat st;
  if (fstat(f->fd, &st) != 0) {
    *size_out = 0;
    return os_error("fstat", f->path, errno);
  }
  *size_out = (uint64_t)st.st_size;
  return STRATA_OK;
}

static int p_close(st_file *file) {
  if (!file) return STRATA_OK;
  posix_file *f = (posix_file *)file;
  int rc = STRATA_OK;
  if (close(f->fd) != 0 && errno != EINTR) rc = os_error("close", f->path, errno);
  free(f);
  return rc;
}

static int p_rename(st_env *env, const char *from, const char *to) {
  (void)env;
  if (rename(from, to) != 0) return os_error("rename", from, errno);
  return STRATA_OK;
}

static int p_unlink(st_env *env, const char *path) {
  (void)env;
  if (unlink(path) != 0) return os_error("unlink", path, errno);
  return STRATA_OK;
}

static int p_mkdir(st_env *env, const char *path) {
  (void)env;
  if (mkdir(path, 0755) != 0) {
    if (errno == EEXIST) return st_error(STRATA_EINVAL, "mkdir %s: exists", path);
    return os_error("mkdir", path, errno);
  }
  return STRATA_OK;
}

static int p_sync_dir(st_env *env, const char *path) {
  (void)env;
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return os_error("open directory", path, errno);
  int rc = STRATA_OK;
  if (fsync(fd) != 0) rc = os_error("fsync directory", path, errno);
  close(fd);
  return rc;
}

static int p_list_dir(st_env *env, const char *path, st_list_fn fn, void *arg) {
  (void)env;
  DIR *d = opendir(path);
  if (!d) return os_error("opendir", path, errno);
  struct dirent *e;
  errno = 0;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) fn(arg, e->d_name);
    errno = 0;
  }
  int err = errno;
  closedir(d);
  if (err) return os_error("readdir", path, err);
  return STRATA_OK;
}

static int p_exists(st_env *env, const char *path, int *is_dir_out) {
  (void)env;
  struct stat st;
  if (is_dir_out) *is_dir_out = 0;
  if (stat(path, &st) != 0) {
    if (errno == ENOENT) return STRATA_NOTFOUND;
    return os_error("stat", path, errno);
  }
  if (is_dir_out) *is_dir_out = S_ISDIR(st.st_mode);
  return STRATA_OK;
}

/* flock() locks belong to the open file description, so a second open of
 * the same database conflicts within one process as well as across
 * processes (fcntl locks would not). */
static int p_lock(st_env *env, const char *path, st_file **lock_out) {
  st_file *f;
  *lock_out = NULL;
  int rc = p_open_file(env, path, ST_OPEN_APPEND, &f);
  if (rc) return rc;
  if (flock(((posix_file *)f)->fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    p_close(f);
    if (err == EWOULDBLOCK)
      return st_error(STRATA_EBUSY, "lock %s: the database is open in this or another process", path);
    return os_error("flock", path, err);
  }
  *lock_out = f;
  return STRATA_OK;
}

static int p_unlock(st_file *lock) {
  if (!lock) return STRATA_OK;
  flock(((posix_file *)lock)->fd, LOCK_UN);
  return p_close(lock);
}

static uint64_t p_now_micros(st_env *env) {
  (void)env;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void p_sleep_micros(st_env *env, uint64_t us) {
  (void)env;
  struct timespec ts = {.tv_sec = (time_t)(us / 1000000u), .tv_nsec = (long)(us % 1000000u) * 1000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

static int p_thread_start(st_env *env, void *(*fn)(void *), void *arg, void **thread_out) {
  (void)env;
  pthread_t *t = malloc(sizeof *t);
  *thread_out = NULL;
  if (!t) return st_error(STRATA_ENOMEM, "thread: out of memory");
  int err = pthread_create(t, NULL, fn, arg);
  if (err) {
    free(t);
    return st_error(err == EAGAIN ? STRATA_ENOMEM : STRATA_EIO, "pthread_create: %s", strerror(err));
  }
  *thread_out = t;
  return STRATA_OK;
}

static void p_thread_join(st_env *env, void *thread) {
  (void)env;
  if (!thread) return;
  pthread_join(*(pthread_t *)thread, NULL);
  free(thread);
}

static st_env posix_env = {
    .open_file = p_open_file,
    .append = p_append,
    .pread = p_pread,
    .sync = p_sync,
    .truncate = p_truncate,
    .size = p_size,
    .close = p_close,
    .map = p_map,
    .unmap = p_unmap,
    .allocate = p_allocate,
    .map_shared = p_map_shared,
    .rename = p_rename,
    .unlink = p_unlink,
    .mkdir = p_mkdir,
    .sync_dir = p_sync_dir,
    .list_dir = p_list_dir,
    .exists = p_exists,
    .lock = p_lock,
    .unlock = p_unlock,
    .now_micros = p_now_micros,
    .sleep_micros = p_sleep_micros,
    .thread_start = p_thread_start,
    .thread_join = p_thread_join,
};

st_env *st_env_posix(void) { return &posix_env; }
