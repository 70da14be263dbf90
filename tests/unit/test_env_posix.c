/* test_env_posix.c - the POSIX env's own paths that a healthy file system
 * rarely takes: system calls interrupted (EINTR) or cut short, and calls
 * failing with an errno. The calls are wrapped at link time (-Wl,--wrap,
 * the way cmocka's documentation mocks functions): a wrapper shortens or
 * fails the next calls it is told to, and otherwise calls the real one.
 * The env is also driven through its ordinary results on a real directory. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "env/env.h"
#include "testutil.h"

/* What the next calls of one wrapped function do: the first `shorten`
 * calls do half of their work (at least a byte), then the next `fail`
 * calls fail with errno err. `calls` counts every call. readdir has no
 * half: its first `shorten` calls are whole, so that a listing fails
 * partway. */
typedef struct inject {
  int shorten, fail, err;
  int calls;
} inject;

static inject in_open, in_write, in_pread, in_fallocate, in_fstat, in_fdatasync, in_ftruncate, in_close, in_nanosleep,
    in_pthread_create, in_mmap, in_readdir;
static long fake_fs_type; /* fstatfs reports this file system type (0: the real one) */

static void reset(void) {
  inject none = {0, 0, 0, 0};
  in_open = in_write = in_pread = in_fallocate = in_fstat = in_fdatasync = in_ftruncate = in_close = in_nanosleep =
      in_pthread_create = in_mmap = in_readdir = none;
  fake_fs_type = 0;
}

/* 1 when this call is to fail: errno is set. */
static int fails(inject *i) {
  i->calls++;
  if (i->shorten > 0 || i->fail <= 0) return 0;
  i->fail--;
  errno = i->err;
  return 1;
}

/* The length this call works on: half of n while shortening. */
static size_t length(inject *i, size_t n) {
  if (i->shorten <= 0 || n < 2) return n;
  i->shorten--;
  return n / 2;
}

/* The real call (__real_name, which the linker points at the libc one)
 * and its wrapper (__wrap_name, which calls to name reach). */
#define WRAPPED(ret, name, params) \
  ret __real_##name params;        \
  ret __wrap_##name params;
WRAPPED(int, open, (const char *path, int flags, ...))
WRAPPED(ssize_t, write, (int fd, const void *buf, size_t n))
WRAPPED(ssize_t, pread, (int fd, void *buf, size_t n, off_t off))
WRAPPED(int, fallocate, (int fd, int mode, off_t off, off_t len))
WRAPPED(int, fstat, (int fd, struct stat *st))
WRAPPED(int, fstatfs, (int fd, struct statfs *st))
WRAPPED(int, fdatasync, (int fd))
WRAPPED(int, ftruncate, (int fd, off_t len))
WRAPPED(int, close, (int fd))
WRAPPED(int, nanosleep, (const struct timespec *req, struct timespec *rem))
WRAPPED(int, pthread_create, (pthread_t * t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg))
WRAPPED(void *, mmap, (void *addr, size_t len, int prot, int flags, int fd, off_t off))
WRAPPED(struct dirent *, readdir, (DIR * d))

int __wrap_open(const char *path, int flags, ...) {
  va_list ap;
  va_start(ap, flags);
  int mode = (flags & O_CREAT) ? va_arg(ap, int) : 0;
  va_end(ap);
  return fails(&in_open) ? -1 : __real_open(path, flags, mode);
}

ssize_t __wrap_write(int fd, const void *buf, size_t n) {
  return fails(&in_write) ? -1 : __real_write(fd, buf, length(&in_write, n));
}

ssize_t __wrap_pread(int fd, void *buf, size_t n, off_t off) {
  return fails(&in_pread) ? -1 : __real_pread(fd, buf, length(&in_pread, n), off);
}

int __wrap_fallocate(int fd, int mode, off_t off, off_t len) {
  return fails(&in_fallocate) ? -1 : __real_fallocate(fd, mode, off, len);
}

int __wrap_fstat(int fd, struct stat *st) { return fails(&in_fstat) ? -1 : __real_fstat(fd, st); }

int __wrap_fstatfs(int fd, struct statfs *st) {
  int r = __real_fstatfs(fd, st);
  if (r == 0 && fake_fs_type) st->f_type = fake_fs_type;
  return r;
}

int __wrap_fdatasync(int fd) { return fails(&in_fdatasync) ? -1 : __real_fdatasync(fd); }

int __wrap_ftruncate(int fd, off_t len) { return fails(&in_ftruncate) ? -1 : __real_ftruncate(fd, len); }

/* As on Linux, a close that reports a failure has closed the descriptor. */
int __wrap_close(int fd) {
  int r = __real_close(fd);
  return fails(&in_close) ? -1 : r;
}

/* Interrupted: as if a signal came at once, with all of the time left. */
int __wrap_nanosleep(const struct timespec *req, struct timespec *rem) {
  if (!fails(&in_nanosleep)) return __real_nanosleep(req, rem);
  if (rem) *rem = *req;
  return -1;
}

/* pthread_create reports its failure as its result, not in errno. */
int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg) {
  if (fails(&in_pthread_create)) return in_pthread_create.err;
  return __real_pthread_create(t, attr, fn, arg);
}

void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off) {
  return fails(&in_mmap) ? MAP_FAILED : __real_mmap(addr, len, prot, flags, fd, off);
}

struct dirent *__wrap_readdir(DIR *d) {
  if (in_readdir.shorten > 0) {
    in_readdir.shorten--;
    in_readdir.calls++;
    return __real_readdir(d);
  }
  return fails(&in_readdir) ? NULL : __real_readdir(d);
}

typedef struct fixture {
  char *dir;
  char path[512];
  st_env *env;
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  f->dir = tu_tmpdir();
  snprintf(f->path, sizeof f->path, "%s/file", f->dir);
  f->env = st_env_posix();
  reset();
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  reset();
  tu_rmdir(f->dir);
  free(f);
  return 0;
}

/* Asserts that the last error of this thread names op and path. */
static void expect_message(const char *op, const char *path) {
  const char *msg = strata_errmsg();
  if (!strstr(msg, op) || (path && !strstr(msg, path))) fail_msg("message \"%s\" lacks \"%s\" or the path", msg, op);
}

/* Reads the whole file at path through the env into buf. */
static size_t read_back(st_env *env, const char *path, char *buf, size_t cap) {
  st_file *file;
  assert_int_equal(env->open_file(env, path, ST_OPEN_READ, &file), STRATA_OK);
  size_t got = 0;
  assert_int_equal(env->pread(file, 0, buf, cap, &got), STRATA_OK);
  assert_int_equal(env->close(file), STRATA_OK);
  return got;
}

static void interrupted_calls_are_retried(void **state) {
  fixture *f = *state;
  st_env *env = f->env;
  st_file *file;
  in_open.fail = 2;
  in_open.err = EINTR;
  assert_int_equal(env->open_file(env, f->path, ST_OPEN_CREATE_EXCL, &file), STRATA_OK);
  assert_int_equal(in_open.calls, 3);

  char data[1000];
  for (size_t i = 0; i < sizeof data; i++) data[i] = (char)('a' + i % 26);
  in_write.fail = 1;
  in_write.err = EINTR;
  assert_int_equal(env->append(file, data, 10), STRATA_OK);
  assert_int_equal(in_write.calls, 2);
  in_write = (inject){3, 1, EINTR, 0}; /* cut short three times, then interrupted */
  assert_int_equal(env->append(file, data + 10, sizeof data - 10), STRATA_OK);
  assert_int_equal(in_write.calls, 5);
  in_close.fail = 1;
  in_close.err = EINTR; /* the descriptor is gone all the same: not an error */
  assert_int_equal(env->close(file), STRATA_OK);

  char back[sizeof data];
  in_pread = (inject){2, 1, EINTR, 0}; /* two short reads, one interrupted, the rest */
  assert_int_equal(read_back(env, f->path, back, sizeof back), sizeof data);
  assert_memory_equal(back, data, sizeof data);
  assert_int_equal(in_pread.calls, 4);

  uint64_t size = 0;
  assert_int_equal(env->open_file(env, f->path, ST_OPEN_APPEND, &file), STRATA_OK);
  fake_fs_type = 0xEF53; /* ext4, whatever the test directory is on */
  in_fallocate.fail = 1;
  in_fallocate.err = EINTR;
  assert_int_equal(env->allocate(file, 8192), STRATA_OK);
  assert_int_equal(in_fallocate.calls, 2);
  assert_int_equal(env->size(file, &size), STRATA_OK);
  assert_int_equal(size, 8192);
  assert_int_equal(env->close(file), STRATA_OK);

  in_nanosleep.fail = 2;
  in_nanosleep.err = EINTR;
  env->sleep_micros(env, 1000);
  assert_int_equal(in_nanosleep.calls, 3);
}

static void failed_calls_are_reported(void **state) {
  fixture *f = *state;
  st_env *env = f->env;
  st_file *file = NULL;

  in_open.fail = 1;
  in_open.err = EACCES;
  assert_int_equal(env->open_file(env, f->path, ST_OPEN_APPEND, &file), STRATA_EIO);
  assert_null(file);
  expect_message("open", f->path);
  assert_int_equal(env->open_file(env, f->path, 99, &file), STRATA_EINVAL);
  assert_int_equal(env->open_file(env, f->path, ST_OPEN_READ, &file), STRATA_NOTFOUND);

  assert_int_equal(env->open_file(env, f->path, ST_OPEN_CREATE_EXCL, &file), STRATA_OK);
  st_file *again = NULL;
  assert_int_equal(env->open_file(env, f->path, ST_OPEN_CREATE_EXCL, &again), STRATA_EINVAL);
  expect_message("exists", f->path);

  in_write.fail = 1;
  in_write.err = ENOSPC;
  assert_int_equal(env->append(file, "0123456789", 10), STRATA_ENOSPC);
  expect_message("write", f->path);
  in_write = (inject){1, 1, EIO, 0}; /* half written, then the failure */
  assert_int_equal(env->append(file, "0123456789", 10), STRATA_EIO);
  in_fdatasync.fail = 1;
  in_fdatasync.err = EIO;
  assert_int_equal(env->sync(file), STRATA_EIO);
  expect_message("fdatasync", f->path);
  assert_int_equal(env->sync(file), STRATA_OK);

  uint64_t size = 1;
  in_fstat.fail = 1;
  in_fstat.err = EIO;
  assert_int_equal(env->size(file, &size), STRATA_EIO);
  assert_int_equal(size, 0);
  expect_message("fstat", f->path);
  assert_int_equal(env->size(file, &size), STRATA_OK);
  assert_int_equal(size, 5); /* the half of the second append */

  in_ftruncate.fail = 1;
  in_ftruncate.err = EIO;
  assert_int_equal(env->truncate(file, 0), STRATA_EIO);
  expect_message("ftruncate", f->path);

  fake_fs_type = 0x9123683e; /* btrfs: a store into a mapping could fail for space */
  assert_int_equal(env->allocate(file, 4096), STRATA_EINVAL);
  expect_message("copy-on-write", f->path);
  fake_fs_type = 0xEF53;
  in_fallocate.fail = 1;
  in_fallocate.err = ENOSPC;
  assert_int_equal(env->allocate(file, 4096), STRATA_ENOSPC);
  expect_message("fallocate", f->path);

  const char *addr = NULL;
  assert_int_equal(env->map(file, 0, &addr), STRATA_EINVAL);
  in_mmap.fail = 1;
  in_mmap.err = ENOMEM;
  assert_int_equal(env->map(file, 5, &addr), STRATA_ENOMEM);
  assert_null(addr);
  expect_message("mmap", f->path);
  assert_int_equal(env->map(file, 5, &addr), STRATA_OK);
  assert_memory_equal(addr, "01234", 5);
  env->unmap(env, addr, 5);
  char *shared = NULL;
  in_mmap.fail = 1;
  in_mmap.err = ENOMEM;
  assert_int_equal(env->map_shared(file, 0, 4096, &shared), STRATA_ENOMEM);
  assert_null(shared);

  in_close.fail = 1;
  in_close.err = EIO;
  assert_int_equal(env->close(file), STRATA_EIO);
  expect_message("close", f->path);
  assert_int_equal(env->close(NULL), STRATA_OK);

  in_pread = (inject){1, 1, EIO, 0}; /* half read, then the failure */
  assert_int_equal(env->open_file(env, f->path, ST_OPEN_READ, &file), STRATA_OK);
  char buf[5];
  size_t got = 99;
  assert_int_equal(env->pread(file, 0, buf, sizeof buf, &got), STRATA_EIO);
  assert_int_equal(got, 2);
  expect_message("read", f->path);
  assert_int_equal(env->close(file), STRATA_OK);
}

static void count_name(void *arg, const char *name) {
  (void)name;
  ++*(int *)arg;
}

/* A directory of three files listed whole, then with readdir failing
 * after two entries: the error names the call and the directory, and the
 * names passed on before it are the ones read (at most two). */
static void listing_fails_partway(fixture *f, const char *dir) {
  st_env *env = f->env;
  for (int i = 0; i < 3; i++) {
    char path[700];
    snprintf(path, sizeof path, "%s/file%d", dir, i);
    st_file *file;
    assert_int_equal(env->open_file(env, path, ST_OPEN_CREATE_EXCL, &file), STRATA_OK);
    assert_int_equal(env->close(file), STRATA_OK);
  }
  int names = 0;
  assert_int_equal(env->list_dir(env, dir, count_name, &names), STRATA_OK);
  assert_int_equal(names, 3);
  assert_true(in_readdir.calls >= 6); /* ".", "..", three files and the end: the wrapper ran */
  names = 0;
  in_readdir = (inject){2, 1, EIO, 0};
  assert_int_equal(env->list_dir(env, dir, count_name, &names), STRATA_EIO);
  expect_message("readdir", dir);
  assert_int_equal(in_readdir.calls, 3);
  assert_true(names <= 2);
  for (int i = 0; i < 3; i++) {
    char path[700];
    snprintf(path, sizeof path, "%s/file%d", dir, i);
    assert_int_equal(env->unlink(env, path), STRATA_OK);
  }
}

static void names_and_directories(void **state) {
  fixture *f = *state;
  st_env *env = f->env;
  char sub[600], other[600];
  snprintf(sub, sizeof sub, "%s/sub", f->dir);
  snprintf(other, sizeof other, "%s/other", f->dir);
  int is_dir = -1;
  assert_int_equal(env->exists(env, sub, &is_dir), STRATA_NOTFOUND);
  assert_int_equal(is_dir, 0);
  assert_int_equal(env->mkdir(env, sub), STRATA_OK);
  assert_int_equal(env->mkdir(env, sub), STRATA_EINVAL);
  expect_message("exists", sub);
  assert_int_equal(env->exists(env, sub, &is_dir), STRATA_OK);
  assert_int_equal(is_dir, 1);
  assert_int_equal(env->sync_dir(env, sub), STRATA_OK);
  assert_int_equal(env->sync_dir(env, other), STRATA_NOTFOUND);
  expect_message("open directory", other);
  assert_int_equal(env->rename(env, other, f->path), STRATA_NOTFOUND);
  expect_message("rename", other);
  assert_int_equal(env->unlink(env, other), STRATA_NOTFOUND);
  expect_message("unlink", other);
  assert_int_equal(env->list_dir(env, other, NULL, NULL), STRATA_NOTFOUND);
  expect_message("opendir", other);
  listing_fails_partway(f, sub);

  st_file *lock, *second = NULL;
  char lockpath[700];
  snprintf(lockpath, sizeof lockpath, "%s/LOCK", sub);
  assert_int_equal(env->lock(env, lockpath, &lock), STRATA_OK);
  assert_int_equal(env->lock(env, lockpath, &second), STRATA_EBUSY);
  assert_null(second);
  assert_int_equal(env->unlock(lock), STRATA_OK);
  assert_int_equal(env->lock(env, lockpath, &lock), STRATA_OK);
  assert_int_equal(env->unlock(lock), STRATA_OK);
  assert_int_equal(env->unlock(NULL), STRATA_OK);
  in_open.fail = 1;
  in_open.err = EROFS;
  assert_int_equal(env->lock(env, lockpath, &lock), STRATA_EIO);
  assert_null(lock);
}

static void *set_flag(void *arg) {
  *(int *)arg = 1;
  return NULL;
}

static void threads_start_or_say_why(void **state) {
  fixture *f = *state;
  st_env *env = f->env;
  void *thread = (void *)1;
  int flag = 0;
  in_pthread_create.fail = 1;
  in_pthread_create.err = EAGAIN; /* out of threads: reported as memory */
  assert_int_equal(env->thread_start(env, set_flag, &flag, &thread), STRATA_ENOMEM);
  assert_null(thread);
  expect_message("pthread_create", NULL);
  in_pthread_create.fail = 1;
  in_pthread_create.err = EPERM;
  assert_int_equal(env->thread_start(env, set_flag, &flag, &thread), STRATA_EIO);
  assert_int_equal(flag, 0);
  assert_int_equal(env->thread_start(env, set_flag, &flag, &thread), STRATA_OK);
  env->thread_join(env, thread);
  assert_int_equal(flag, 1);
  env->thread_join(env, NULL);
  uint64_t t0 = env->now_micros(env);
  env->sleep_micros(env, 2000);
  assert_true(env->now_micros(env) - t0 >= 2000);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(interrupted_calls_are_retried, setup, teardown),
      cmocka_unit_test_setup_teardown(failed_calls_are_reported, setup, teardown),
      cmocka_unit_test_setup_teardown(names_and_directories, setup, teardown),
      cmocka_unit_test_setup_teardown(threads_start_or_say_why, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
