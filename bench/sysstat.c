/*
 * sysstat.c - /proc/self/io, getrusage and a directory walk (see sysstat.h).
 */
#include "sysstat.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int64_t bench_io_settle(int quiet_ms, int max_ms) {
  enum { POLL_MS = 100 };
  int64_t first = bench_io_write_bytes(), last = first;
  if (first < 0) return 0;
  for (int waited = 0, quiet = 0; quiet < quiet_ms && waited < max_ms; waited += POLL_MS) {
    struct timespec ts = {0, POLL_MS * 1000000L};
    nanosleep(&ts, NULL);
    int64_t now = bench_io_write_bytes();
    if (now < 0) break; /* no count to watch: stop waiting */
    quiet = now == last ? quiet + POLL_MS : 0;
    last = now;
  }
  return last - first;
}

int64_t bench_io_write_bytes(void) {
  FILE *f = fopen("/proc/self/io", "r");
  if (!f) return -1;
  char line[128];
  int64_t v = -1;
  while (fgets(line, sizeof line, f)) {
    long long n;
    if (sscanf(line, "write_bytes: %lld", &n) == 1) {
      v = n;
      break;
    }
  }
  fclose(f);
  return v;
}

void bench_sync_dir(const char *dir) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)syncfs(fd);
  close(fd);
}

double bench_peak_rss_mb(void) {
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
  return (double)ru.ru_maxrss / 1024.0; /* Linux reports KiB */
}

/* nftw offers no user pointer: the sum lives here, one walk at a time
 * (only the main thread measures). */
static int64_t walk_sum;

static int add_file(const char *path, const struct stat *st, int type, struct FTW *ftw) {
  (void)path;
  (void)ftw;
  if (type == FTW_F) {
    int64_t allocated = (int64_t)st->st_blocks * 512;
    walk_sum += allocated < st->st_size ? allocated : st->st_size;
  }
  return 0;
}

int64_t bench_dir_bytes(const char *dir) {
  walk_sum = 0;
  /* Engines delete files while we walk (background compaction): a file
   * that vanished is simply not counted, which nftw does by itself. */
  if (nftw(dir, add_file, 16, FTW_PHYS) != 0) return -1;
  return walk_sum;
}
