/* hello.c - the smallest embedding of libstrata: open, write, read, batch,
 * a counter, close. Build against an installed strata with
 *   cc hello.c $(pkg-config --cflags --libs strata) -o hello */
#include <stdio.h>
#include <string.h>
#include <strata.h>

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : "hello-data";
  strata_db *db;
  int rc = strata_open(dir, NULL, &db); /* NULL options: the defaults */
  if (rc != STRATA_OK) {
    fprintf(stderr, "open: %s (%s)\n", strata_strerror(rc), strata_errmsg());
    return 1;
  }

  strata_put(db, "song:42:title", 13, "Blue in Green", 13);

  /* A batch is atomic, also across a crash; STRATA_SYNC makes it durable
   * before strata_write returns. */
  strata_batch *b = strata_batch_new();
  strata_batch_delete(b, "conv:alice:0930", 15);
  strata_batch_put(b, "conv:alice:0942", 15, "bob: hey", 8);
  rc = strata_write(db, b, STRATA_SYNC);
  strata_batch_free(b);

  void *val;
  size_t len;
  if (rc == STRATA_OK && strata_get(db, "song:42:title", 13, &val, &len) == STRATA_OK) {
    printf("%.*s\n", (int)len, (char *)val);
    strata_free(val);
  }

  /* A counter: increments are blind writes; reads add them up. */
  strata_add(db, "song:42:plays", 13, 1);
  strata_add(db, "song:42:plays", 13, 1);
  int64_t plays;
  if (strata_get_int(db, "song:42:plays", 13, &plays) == STRATA_OK) printf("plays: %lld\n", (long long)plays);
  return strata_close(db) == STRATA_OK && rc == STRATA_OK ? 0 : 1;
}
