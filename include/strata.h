/*
 * strata.h - the whole public contract of libstrata, an embeddable LSM-tree
 * key-value store. Tools, benchmarks and the server use nothing else.
 *
 * Conventions that hold for every function below:
 *  - Fallible functions return STRATA_OK (0) or a negative STRATA_E* code;
 *    STRATA_NOTFOUND is a result, not an error. strata_errmsg() gives the
 *    calling thread's detailed message for the last failure.
 *  - Output parameters are last, named *_out, and are set on every path
 *    (to NULL / 0 when the call fails).
 *  - Memory returned to the caller (values, property text) is malloc'ed by
 *    the library and released with strata_free().
 *  - A strata_db is safe to use from many threads at once. A strata_batch
 *    belongs to one thread at a time.
 *  - Bad input (NULL handles, keys or values over the limits) returns
 *    STRATA_EINVAL and changes nothing.
 */
#ifndef STRATA_H
#define STRATA_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define STRATA_VERSION_MAJOR 0
#define STRATA_VERSION_MINOR 1
#define STRATA_VERSION_PATCH 0
#define STRATA_VERSION "0.1.0"

/* ---- Result codes ------------------------------------------------------ */

#define STRATA_OK 0
#define STRATA_NOTFOUND (-1)  /* the key has no value (a result)          */
#define STRATA_EINVAL (-2)    /* bad argument, option or directory        */
#define STRATA_ETYPE (-3)     /* fragments of a key do not combine        */
#define STRATA_ECORRUPT (-4)  /* bytes on disk fail their checks          */
#define STRATA_EIO (-5)       /* the OS reported an I/O error             */
#define STRATA_ENOSPC (-6)    /* the disk is full                         */
#define STRATA_ENOMEM (-7)    /* an allocation failed                     */
#define STRATA_EBUSY (-8)     /* locked by another handle, or still in use */
#define STRATA_EREADONLY (-9) /* writes refused until reopen (see below)  */

/* A static, never-NULL name for a result code ("STRATA_EIO: I/O error"). */
const char *strata_strerror(int code);

/*
 * The calling thread's last detailed error message (file, offset, what was
 * expected and what was found), or "" when none was recorded. Valid until
 * the calling thread's next call into the library. Also set by a failed
 * strata_open().
 */
const char *strata_errmsg(void);

/* Releases memory the library returned (values, property text). NULL ok. */
void strata_free(void *p);

/* ---- Options ----------------------------------------------------------- */

/* sync_mode: when the write-ahead log is forced to stable storage. */
#define STRATA_SYNC_NONE 0     /* leave it to the OS (survives a process crash, not a power loss) */
#define STRATA_SYNC_PERIODIC 1 /* a background thread fsyncs every sync_interval_ms */
#define STRATA_SYNC_ALWAYS 2   /* every write is fsynced before it returns */

/* wal_recovery: what strata_open does with a damaged write-ahead log. */
#define STRATA_RECOVER_STRICT 0       /* a torn tail of the newest log is dropped (and counted); any
                                         other damage fails the open with STRATA_ECORRUPT */
#define STRATA_RECOVER_SKIP_CORRUPT 1 /* keep the valid prefix: replay stops at the first damaged
                                         record, the damaged log is cut there, newer logs are
                                         removed, and what was dropped is counted in strata.stats */

/* compression: how data blocks of tables are stored. */
#define STRATA_COMPRESSION_NONE 0
#define STRATA_COMPRESSION_LZ4 1  /* available when built with liblz4-dev */
#define STRATA_COMPRESSION_ZSTD 2 /* available when built with libzstd-dev */

typedef struct strata_options {
  int create_if_missing;     /* create the directory and database if absent. Default 1 */
  int error_if_exists;       /* fail with STRATA_EINVAL if a database exists. Default 0 */
  size_t memtable_bytes;     /* memtable size at which it is sealed and flushed to a table;
                                each memtable also holds a key filter of 1/32 of it
                                and a key index of 1/8 of it, for point reads (each at
                                most 64 MiB, touched only as keys come; none when that
                                memory is not there).
                                Default 64 MiB; min 4096 */
  int sync_mode;             /* STRATA_SYNC_*. Default STRATA_SYNC_NONE */
  uint32_t sync_interval_ms; /* period of STRATA_SYNC_PERIODIC. Default 1000; min 1 */
  int wal_recovery;          /* STRATA_RECOVER_*. Default STRATA_RECOVER_STRICT */
  size_t max_key_bytes;      /* longest key accepted. Default 65536 (64 KiB) */
  size_t max_value_bytes;    /* longest value accepted. Default 67108864 (64 MiB) */
  size_t block_bytes;        /* target size of a table's data block before compression.
                                Default 4096; 256 .. 16 MiB */
  int bloom_bits_per_key;    /* bloom filter bits per key in each table; 0 = no filter.
                                Default 10; 0 .. 30 */
  size_t block_cache_bytes;  /* cache of uncompressed blocks shared by all tables; 0 = none.
                                Default 32 MiB */
  int max_open_files;        /* tables kept open at once (LRU). Default 1000; min 16 */
  int mmap_reads;            /* 1: open tables are mapped into memory and uncompressed blocks
                                read in place (no copy, no system call, no block cache entry;
                                each block's checksum is still checked on its first use).
                                The catch: a disk error while reading a mapped page kills the
                                process with SIGBUS instead of returning STRATA_EIO; set 0 to
                                read with pread through the block cache. Default 1 */
  int mmap_writes;           /* 1: the write-ahead log is written by copying each record into a
                                shared mapping of space reserved ahead (no system call per
                                write; durability as with write(): a copy outlives a crash of
                                the process, fsync makes it survive a power loss). The catch: a
                                disk error under a page being stored to kills the process with
                                SIGBUS. File systems that cannot reserve space (no fallocate,
                                copy-on-write ones) always get write(). 0: write(). Default 1 */
  int compression;           /* STRATA_COMPRESSION_*. Default STRATA_COMPRESSION_NONE;
                                a codec this build lacks is STRATA_EINVAL at open */
  int background_threads;    /* background threads: one flushes, the others compact.
                                Default 2; 2 .. 16 */
  int l0_compaction_trigger; /* level-0 tables that start a compaction into level 1.
                                Default 4; min 1 */
  int l0_slowdown_trigger;   /* level-0 tables at which each write group sleeps 1 ms.
                                Default 12; >= l0_compaction_trigger */
  int l0_stop_trigger;       /* level-0 tables at which writes needing a new memtable
                                wait for compaction.
                                Default 20; >= l0_slowdown_trigger */
  int max_immutable_memtables; /* sealed memtables waiting for flush before writes wait.
                                  Default 2; 1 .. 16 */
  uint64_t level_base_bytes; /* target size of level 1; level N+1's is 10x level N's.
                                Default 256 MiB; min 64 KiB */
  uint64_t target_file_bytes; /* compaction output tables are cut at about this size.
                                 Default 64 MiB; min 16 KiB */
  double tombstone_compaction_ratio; /* a table whose share of tombstones passes this is
                                        compacted even when its level is under target; so
                                        is one whose range deletes hide more older bytes
                                        than this share of what the compaction rewrites,
                                        and a memtable whose range deletes would make its
                                        table so is flushed before it fills.
                                        Default 0.3; 0 < x <= 1 */
  size_t list_max_elements;  /* lists (strata_append) keep only their newest this many
                                elements: reads show no more, and flushes and compactions
                                drop the older ones (no tombstones written). Lowering it
                                takes effect at once on reads; raising it does not bring
                                back elements already dropped. 0 = no bound. Default 0 */
} strata_options;

/* Fills *o with the defaults written above. Thread-safe; o must not be NULL. */
void strata_options_init(strata_options *o);

/* ---- Opening and closing ---------------------------------------------- */

typedef struct strata_db strata_db;

/*
 * Opens (or creates) the database in directory dir, replaying its
 * write-ahead logs. o may be NULL for the defaults. On success *db_out is a
 * handle to release with strata_close(); on failure it is NULL and
 * strata_errmsg() says why. A database of an earlier on-disk format that
 * this version reads is marked with the current one by the first open that
 * gets through recovery (even if a later step of that open fails), after
 * which earlier builds refuse it (docs/FORMAT.md section 3).
 * Errors: STRATA_EINVAL (NULL arguments, bad options, dir missing with
 * create_if_missing = 0, a database present with error_if_exists = 1, dir
 * holding files that are not a strata database, or a database of a format
 * this version does not read), STRATA_EBUSY (the directory
 * is open in this or another process), STRATA_ECORRUPT (a damaged log, see
 * wal_recovery), STRATA_EIO / STRATA_ENOSPC, STRATA_ENOMEM.
 */
int strata_open(const char *dir, const strata_options *o, strata_db **db_out);

/*
 * Syncs the log, stops background work and releases the handle and the
 * directory lock, after the flushes of sealed memtables end (a running
 * compaction is abandoned and redone later); what is in the active
 * memtable stays in the log and is replayed at the next open. Returns
 * STRATA_EBUSY, closing nothing, while iterators or snapshots are open.
 * NULL is STRATA_EINVAL. Returns the first error met while
 * syncing (the handle is released all the same), or STRATA_EREADONLY when
 * the database had become read-only: writes acknowledged without
 * STRATA_SYNC since the last good fsync may then not be durable. Must not
 * race with other calls on the same handle: every other call must have
 * returned.
 */
int strata_close(strata_db *db);

/* ---- Single writes and reads ------------------------------------------ */

/*
 * Keys and values are byte strings of any content. A key may be empty; a
 * NULL pointer is accepted only with length 0. Keys longer than
 * max_key_bytes or values longer than max_value_bytes are STRATA_EINVAL.
 * Each write is atomic and durable as sync_mode says.
 * Errors: STRATA_EIO / STRATA_ENOSPC when the log append fails: the write is
 * not applied and the database stays writable (unless the partial append
 * could not be cut off the log, which makes it read-only). A failed fsync
 * (STRATA_EIO / STRATA_ENOSPC) or an allocation failure while applying
 * (STRATA_ENOMEM) makes the database read-only; such a failed write may
 * reappear after reopen, as it reached the log. Once read-only, every
 * write fails with STRATA_EREADONLY until the database is reopened; reads
 * go on.
 */
int strata_put(strata_db *db, const void *key, size_t klen, const void *val, size_t vlen);
int strata_delete(strata_db *db, const void *key, size_t klen);

/*
 * Deletes every key in [begin, end) (bytewise order; end NULL with elen 0
 * means "to the last key"): one range tombstone that hides every older
 * fragment of every key in the range, whatever its kind, at the cost of one
 * small write however many keys the range holds. Writes after it are not
 * hidden. begin == end is a no-op that writes nothing; begin > end is
 * STRATA_EINVAL, as is a bound longer than max_key_bytes. Reads, scans and
 * seeks skip a deleted range without visiting the keys under it where they
 * can (docs/SEMANTICS.md); compaction drops the covered data and, once
 * nothing older can be below it, the tombstone. Range deletes that hide
 * much flushed data are flushed and compacted with it in the background
 * soon after, not when the memtable fills (tombstone_compaction_ratio).
 * Errors as strata_put.
 */
int strata_delete_range(strata_db *db, const void *begin, size_t blen, const void *end, size_t elen);

/*
 * Reads the value of key: its fragments combined (docs/SEMANTICS.md): a
 * plain value as written, a counter as decimal text, the winning
 * latest-wins value, a list in its encoding (strata_list_next).
 * STRATA_ETYPE when the fragments do not combine. On STRATA_OK *val_out is a malloc'ed copy
 * (release with strata_free; NUL-terminated for convenience, the
 * terminator not counted in *vlen_out). On STRATA_NOTFOUND or an error,
 * *val_out is NULL and *vlen_out 0. A key longer than max_key_bytes is
 * STRATA_EINVAL. Never waits for a log write or fsync (it takes the
 * database mutex only for a moment).
 */
int strata_get(strata_db *db, const void *key, size_t klen, void **val_out, size_t *vlen_out);

/* ---- Typed merges: counters, latest-wins values, lists ------------------ */

/*
 * Every write is a fragment; a read combines the fragments of a key newest
 * first down to its newest plain value or delete (the base), by the rules
 * of docs/SEMANTICS.md: the fragments above the base must all be of one
 * kind, else the read fails with STRATA_ETYPE. The writes below are blind:
 * they never read the key, so they cost what strata_put costs. Keys and
 * values follow the rules and limits of strata_put; errors as strata_put.
 */

/*
 * Adds delta to the counter at key (SUM). The counter starts from 0 (no
 * value, or a delete) or from a plain value holding a decimal integer
 * (optional '-', digits, within int64). Sums wrap around in 64-bit two's
 * complement (INT64_MAX + 1 reads as INT64_MIN).
 */
int strata_add(strata_db *db, const void *key, size_t klen, int64_t delta);

/*
 * Reads the counter at key into *out (0 on failure). A plain value that
 * is a decimal integer reads as that integer. STRATA_NOTFOUND when the key
 * has no value; STRATA_ETYPE when its value is anything else (a list, a
 * latest-wins value, text that is not a decimal integer, fragments that
 * do not combine). strata_get reads a counter as decimal text.
 */
int strata_get_int(strata_db *db, const void *key, size_t klen, int64_t *out);

/*
 * Writes a latest-wins value: of all such writes to key, reads show the
 * one with the greatest ts, and of equal ts the one written last, however
 * late each arrives. Any uint64 ts is accepted, 0 and UINT64_MAX
 * included. A plain value below them is ignored. val follows the value
 * limits (max_value_bytes counts val alone).
 */
int strata_put_latest(strata_db *db, const void *key, size_t klen, const void *val, size_t vlen, uint64_t ts);

/*
 * Reads the winning latest-wins value of key and its ts: *val_out as
 * strata_get gives it, *ts_out its ts (0 on failure). STRATA_NOTFOUND when
 * the key has no value, STRATA_ETYPE when its value is not a latest-wins
 * one (a plain value alone, a counter, a list). strata_get reads the same
 * value without the ts.
 */
int strata_get_latest(strata_db *db, const void *key, size_t klen, void **val_out, size_t *vlen_out,
                      uint64_t *ts_out);

/*
 * Appends one element (any bytes, the empty string included; at most
 * max_value_bytes) to the list at key. The list starts empty (no value, or
 * a delete) or with a plain value as its first element. strata_get reads
 * the whole list, oldest element first, in the encoding of docs/FORMAT.md
 * ("Lists"), walked with strata_list_next. A list may grow past
 * max_value_bytes: reads return it whole. With list_max_elements set,
 * only the newest that many elements are kept.
 */
int strata_append(strata_db *db, const void *key, size_t klen, const void *elem, size_t elen);

/*
 * Walks an encoded list (as strata_get or strata_iter_value returned it).
 * Start with *pos = 0; each call sets *elem_out / *elen_out to the next
 * element (pointing into list) and advances *pos. Returns 1 for an
 * element, 0 at the end of the list, STRATA_EINVAL for NULL arguments, a
 * *pos beyond len or bytes that are not a list (elem_out NULL, elen_out 0).
 * Pure: thread-safe, touches no database.
 */
int strata_list_next(const void *list, size_t len, size_t *pos, const void **elem_out, size_t *elen_out);

/* ---- Batches ----------------------------------------------------------- */

/*
 * A batch collects writes that strata_write applies all or nothing, also
 * across a crash, in the order they were added. The batch owns copies of
 * every key and value. Not thread-safe: one thread at a time.
 */
typedef struct strata_batch strata_batch;

#define STRATA_SYNC 1 /* strata_write flag: fsync the log before returning */

/* A new empty batch, or NULL when memory is exhausted. */
strata_batch *strata_batch_new(void);

/* Add one write to the batch. Errors: STRATA_EINVAL (NULL batch, NULL
 * pointer with a non-zero length, a batch that already holds 2^32 - 1
 * records), STRATA_ENOMEM (the batch is unchanged). */
int strata_batch_put(strata_batch *b, const void *key, size_t klen, const void *val, size_t vlen);
int strata_batch_delete(strata_batch *b, const void *key, size_t klen);
int strata_batch_add(strata_batch *b, const void *key, size_t klen, int64_t delta);
int strata_batch_put_latest(strata_batch *b, const void *key, size_t klen, const void *val, size_t vlen,
                            uint64_t ts);
int strata_batch_append(strata_batch *b, const void *key, size_t klen, const void *elem, size_t elen);
/* As strata_delete_range (end NULL with elen 0 = to the last key); begin >
 * end is STRATA_EINVAL here already, begin == end adds nothing. */
int strata_batch_delete_range(strata_batch *b, const void *begin, size_t blen, const void *end, size_t elen);

/* Empties the batch for reuse. NULL is ignored. */
void strata_batch_clear(strata_batch *b);

/* Releases the batch. NULL is ignored. */
void strata_batch_free(strata_batch *b);

/*
 * Applies every write of b atomically. flags: 0 or STRATA_SYNC (fsync the
 * log before returning, whatever sync_mode says). Concurrent writers share
 * one log append and one fsync (group commit). The limits of the open
 * database are checked on every key and value first; an empty batch is a
 * no-op. The batch is left as it was. Errors as strata_put.
 */
int strata_write(strata_db *db, strata_batch *b, int flags);

/* ---- Snapshots, reads at a snapshot, iterators --------------------------- */

/*
 * A snapshot pins the database as it is now: reads through it see every
 * write that returned before strata_snapshot_new and none after, whatever
 * flushes happen meanwhile. Release it with strata_snapshot_release on the
 * same database. Thread-safe; a snapshot may be used from any thread.
 * strata_snapshot_new returns NULL only when memory is exhausted (or db is
 * NULL).
 */
typedef struct strata_snapshot strata_snapshot;
const strata_snapshot *strata_snapshot_new(strata_db *db);
void strata_snapshot_release(strata_db *db, const strata_snapshot *snap); /* NULL snap is ignored */

/* Options of one read or iterator. Initialize with strata_read_options_init;
 * the pointers are borrowed for the duration of the call (strata_get_at) or
 * copied (strata_iter_new). */
typedef struct strata_read_options {
  const strata_snapshot *snapshot; /* NULL = the latest state. Default NULL */
  const void *lower;               /* iterators: first key >= lower; NULL = unbounded */
  size_t lower_len;
  const void *upper;               /* iterators: keys < upper (exclusive); NULL = unbounded */
  size_t upper_len;
} strata_read_options;

void strata_read_options_init(strata_read_options *ro);

/* strata_get at ro->snapshot (ro NULL = latest). Same results and
 * ownership as strata_get. */
int strata_get_at(strata_db *db, const strata_read_options *ro, const void *key, size_t klen, void **val_out,
                  size_t *vlen_out);

/*
 * An iterator walks the keys of ro->snapshot (or of the moment it was
 * created) in bytewise order, within [lower, upper), showing each key's
 * value as strata_get would read it and hiding deleted keys. It is
 * unaffected by later writes and flushes. It belongs to one thread at a
 * time. It starts unpositioned: call a seek first. strata_iter_key /
 * strata_iter_value return pointers valid until the next move or free
 * (NULL with *len_out 0 when not valid). strata_iter_status is STRATA_OK
 * or the error (e.g. STRATA_ECORRUPT) that stopped the walk, except at a
 * key whose fragments do not combine: there the iterator stays valid and
 * stands on the key, strata_iter_value is NULL with length 0 and
 * strata_iter_status is STRATA_ETYPE until the next move, and the walk
 * can go on. Every iterator must be freed before strata_close.
 * strata_iter_new errors: STRATA_EINVAL (NULL arguments), STRATA_ENOMEM, I/O.
 */
typedef struct strata_iter strata_iter;
int strata_iter_new(strata_db *db, const strata_read_options *ro, strata_iter **it_out);
void strata_iter_seek_first(strata_iter *it);
void strata_iter_seek_last(strata_iter *it);
void strata_iter_seek(strata_iter *it, const void *key, size_t klen);          /* first key >= key */
void strata_iter_seek_for_prev(strata_iter *it, const void *key, size_t klen); /* last key <= key */
void strata_iter_next(strata_iter *it);
void strata_iter_prev(strata_iter *it);
int strata_iter_valid(const strata_iter *it);
const void *strata_iter_key(const strata_iter *it, size_t *len_out);
const void *strata_iter_value(const strata_iter *it, size_t *len_out);
int strata_iter_status(const strata_iter *it);
void strata_iter_free(strata_iter *it); /* NULL is ignored */

/*
 * Feeds and partitions: calls fn for each key starting with prefix (a
 * partition: docs/SEMANTICS.md; NULL with plen 0 = every key), in key
 * order, at most limit of them (0 = no limit), with the key and its value
 * as strata_get would return them (not NUL-terminated); both are valid
 * only during the call. With a descending time in the key
 * (strata_tuple_add_u64_desc), the first keys are the newest: "the latest
 * N events of a user" is one call with limit N. ro as strata_iter_new
 * (NULL = the latest data; its bounds are ignored: the prefix is the
 * range). fn returns 0 to go on, anything else to stop after that key.
 * Returns the number of keys passed to fn (the one fn stopped at
 * included), or a negative error: STRATA_EINVAL (NULL db or fn, NULL
 * prefix with a length), STRATA_ETYPE (a key of the partition whose
 * fragments do not combine: the scan stops there, fn having seen the keys
 * before it), or an iterator's error (STRATA_ECORRUPT, STRATA_EIO,
 * STRATA_ENOMEM). Thread-safe; fn may call into the database, but the
 * scan holds an iterator, so strata_close fails with STRATA_EBUSY until it
 * returns.
 */
typedef int (*strata_scan_fn)(void *arg, const void *key, size_t klen, const void *val, size_t vlen);
long long strata_scan_prefix(strata_db *db, const strata_read_options *ro, const void *prefix, size_t plen,
                             size_t limit, strata_scan_fn fn, void *arg);

/* ---- Tuple keys --------------------------------------------------------- */

/*
 * Composite keys (a partition and a sort key, a user and a descending
 * time) built from elements so that the bytewise order of two keys is the
 * order of their elements, compared one by one: byte strings as memcmp
 * then length, unsigned and signed 64-bit integers by value, and each in a
 * descending variant that sorts in reverse. Elements of different types at
 * the same position sort by type (ascending bytes, descending bytes, u64,
 * descending u64, i64, descending i64). The key of a tuple is a byte
 * prefix of the key of every tuple that extends it, and only of those, so
 * a partition is exactly a prefix (strata_scan_prefix, strata_prefix_end).
 * The encoding is in docs/FORMAT.md
 * section 11, users' guide in docs/SEMANTICS.md section 16.
 *
 * A strata_tuple is a growable buffer owned by the caller: init, add
 * elements, use data/len as a key, clear or free. An add that fails leaves
 * the tuple unchanged and returns STRATA_EINVAL (NULL tuple, NULL bytes with
 * a length, a tuple that would pass max_len) or STRATA_ENOMEM, with
 * strata_errmsg() saying which. Not thread-safe: one thread at a time per
 * tuple. An integer takes 9 bytes, a string its length + 3 + 1 per 0x00
 * byte in it; the bytes of an add may lie
 * in t->data itself.
 */
typedef struct strata_tuple {
  unsigned char *data; /* the encoded key, len bytes (NULL while empty) */
  size_t len;
  size_t cap;     /* bytes allocated */
  size_t max_len; /* the limit an add may not pass: set it to the
                     database's max_key_bytes; init sets 65536 */
} strata_tuple;

void strata_tuple_init(strata_tuple *t); /* empty, no buffer, max_len 65536; NULL is ignored */
int strata_tuple_add_bytes(strata_tuple *t, const void *s, size_t n);
int strata_tuple_add_bytes_desc(strata_tuple *t, const void *s, size_t n);
int strata_tuple_add_u64(strata_tuple *t, uint64_t v);
int strata_tuple_add_u64_desc(strata_tuple *t, uint64_t v);
int strata_tuple_add_i64(strata_tuple *t, int64_t v);
int strata_tuple_add_i64_desc(strata_tuple *t, int64_t v);
void strata_tuple_clear(strata_tuple *t); /* len = 0, keeps the buffer; NULL is ignored */
void strata_tuple_free(strata_tuple *t);  /* releases the buffer (data NULL, len and cap 0, max_len kept):
                                             t can be reused or init'ed again; NULL is ignored */

#define STRATA_TUPLE_BYTES 1
#define STRATA_TUPLE_U64 2
#define STRATA_TUPLE_I64 3

/* One parsed element. For bytes, the decoded bytes are written to the
 * caller's buffer: buf of cap bytes (an element never decodes to more
 * bytes than the key holds, so cap = klen always suffices). */
typedef struct strata_tuple_elem {
  int type;   /* STRATA_TUPLE_BYTES, _U64 or _I64 */
  int desc;   /* 1 for a descending element */
  uint64_t u; /* _U64 */
  int64_t i;  /* _I64 */
  size_t len; /* _BYTES: bytes written to buf */
} strata_tuple_elem;

/*
 * Parses the element of key at *pos and moves *pos past it: 1 with *e
 * filled, 0 at the end of the key, STRATA_EINVAL when the bytes at *pos
 * are not a well-formed element (an unknown type byte, a cut-off integer
 * or string, a bad escape) or the bytes do not fit in cap; *pos is then
 * unchanged and strata_errmsg() names the problem and its offset. Also
 * STRATA_EINVAL: NULL pos or e, NULL key with a length, NULL buf with a
 * cap, *pos > klen. *e is zeroed unless an element is returned; buf may
 * be written to on failure. Any bytes parse safely: nothing is read
 * outside key[0,klen) or written outside buf[0,cap). Pure: thread-safe.
 */
int strata_tuple_next(const void *key, size_t klen, size_t *pos, strata_tuple_elem *e, void *buf, size_t cap);

/*
 * The end of the range of keys starting with prefix (the keys starting
 * with prefix are [prefix, end)): the shortest key greater than every key
 * with that prefix, i.e. prefix without its trailing 0xff bytes and with
 * its last byte incremented, written to end_out (plen bytes suffice;
 * end_out may be prefix itself) with its length in *elen_out. Returns 1,
 * or 0 with *elen_out 0 when no such key exists (the prefix is empty or
 * all 0xff bytes: the range goes to the last key; pass end NULL to
 * strata_delete_range or an iterator). STRATA_EINVAL for a NULL elen_out,
 * or a NULL prefix or end_out with plen > 0. Pure: thread-safe.
 */
int strata_prefix_end(const void *prefix, size_t plen, void *end_out, size_t *elen_out);

/* ---- Maintenance ------------------------------------------------------- */

/*
 * Writes the memtable to a table on disk and waits until it is installed
 * (the log it replaces is then removed). A no-op on an empty memtable.
 * Errors: STRATA_EIO / STRATA_ENOSPC when the memtable could not be sealed
 * (a new log could not be made: the database stays writable; or the fsync
 * of the old log failed: the database is then read-only);
 * STRATA_EREADONLY when the flush failed (retried first) or the database
 * was already read-only: strata.stats and strata_errmsg() say why.
 */
int strata_flush(strata_db *db);

/*
 * Compacts every table overlapping the user-key range [begin, end) (NULL =
 * unbounded on that side), after flushing the memtable, and waits: level
 * by level, each level's tables in the range are rewritten into the next,
 * down to and including the deepest level that holds any of the range (the
 * last level is rewritten in place; the deepest one is skipped when the
 * level above was just compacted into all of its tables), so that
 * superseded versions and tombstones no snapshot needs are gone from the
 * range afterwards.
 * Background workers start no new compaction while it runs, and it waits
 * for running ones that hold its tables. Thread-safe. Errors:
 * STRATA_EINVAL (NULL database, NULL bound with a length), the errors of
 * strata_flush, STRATA_EREADONLY, STRATA_ENOMEM, or the error of a
 * compaction (STRATA_EIO, STRATA_ENOSPC, STRATA_ECORRUPT: that compaction
 * installed nothing; those of levels above it stay installed).
 */
int strata_compact_range(strata_db *db, const void *begin, size_t blen, const void *end, size_t elen);

/* ---- Insight ----------------------------------------------------------- */

/*
 * Human-readable text about the open database, malloc'ed into *text_out
 * (release with strata_free); one "name: value" per line. Names:
 *   "strata.stats"     counters: writes, reads, bloom filter checks and
 *                      useful ones, block cache hits and misses, flushes
 *                      and bytes flushed, compactions (bytes read and
 *                      written, pending bytes, tombstones dropped), write
 *                      stalls, write and space amplification, tombstones
 *                      skipped by iterators, WAL bytes and syncs, recovery
 *                      (records replayed, bytes dropped).
 *   "strata.levels"    files and bytes per level.
 *   "strata.sstables"  every live table: level, number, size, key range,
 *                      sequence range, entries and tombstones; for a
 *                      table known to hold range deletes, the bytes of
 *                      older tables they hide, as estimated.
 * Errors: STRATA_EINVAL (unknown name, NULL argument), STRATA_ENOMEM.
 */
int strata_property(strata_db *db, const char *name, char **text_out);

/*
 * Checks every checksum of every table, log and manifest in dir (obsolete
 * ones that are still there included), writing one line per file and per
 * problem to report (NULL = silent); each log's records must decode and
 * their sequence numbers grow, as open requires. A torn tail at the end of
 * the newest log (damaged framing with no valid record after it) is
 * reported but is not damage (the next open drops it); a whole record that
 * does not decode is damage wherever it is, as at open. Reads only;
 * on a database open elsewhere, a file that a flush or compaction removes
 * meanwhile shows as an error. Returns STRATA_OK, STRATA_ECORRUPT when
 * anything is damaged, or the error that stopped the check.
 */
int strata_verify(const char *dir, FILE *report);

#define STRATA_DUMP_ENTRIES 1 /* strata_sst_dump flag: print every entry */

/* Prints the properties of the table at sst_path (and, with
 * STRATA_DUMP_ENTRIES, each entry) to out. STRATA_ECORRUPT on damage. */
int strata_sst_dump(const char *sst_path, FILE *out, int flags);

#ifdef __cplusplus
}
#endif

#endif /* STRATA_H */
