#!/usr/bin/env bash
# test_bench.sh - smoke test of strata-bench (docs/BENCH.md): every workload
# with a tiny --num on every engine the binary was built with, the CSV, JSON
# and timeline outputs, the database directory cleanup, and refusals of bad
# input. Sizes are small on purpose: this checks the tool, it measures nothing.
# Usage: test_bench.sh PATH/TO/strata-bench   (prints "bench: N passed, M failed")
set -u

if [ $# -ne 1 ] || [ ! -x "$1" ]; then
  echo "usage: $0 PATH/TO/strata-bench" >&2
  exit 2
fi
BENCH=$1
TMP=$(mktemp -d "${TMPDIR:-/tmp}/strata-bench-test.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT
# Default database directories go under $TMPDIR: here, so leftovers show.
export TMPDIR=$TMP/tmp
mkdir -p "$TMPDIR"

passed=0
failed=0
OUT=
ERR=
RC=

# run ARGS... : runs strata-bench, setting OUT, ERR and RC.
run() {
  "$BENCH" "$@" >"$TMP/out" 2>"$TMP/err"
  RC=$?
  OUT=$(cat "$TMP/out")
  ERR=$(cat "$TMP/err")
}

check() { # check NAME CONDITION-STATUS
  if [ "$2" -eq 0 ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL: $1" >&2
    echo "  status: $RC" >&2
    echo "  stdout: $(printf '%s' "$OUT" | tail -c 1500)" >&2
    echo "  stderr: $(printf '%s' "$ERR" | tail -c 600)" >&2
  fi
}

# refused NAME PATTERN ARGS... : strata-bench must exit non-zero and say PATTERN on stderr.
refused() {
  local name=$1 pattern=$2
  shift 2
  run "$@"
  [ "$RC" -ne 0 ] && printf '%s' "$ERR" | grep -q -- "$pattern"
  check "$name: refused with \"$pattern\"" $?
}

# Every workload, in an order where each finds what it needs; compact in
# the middle so the "/compacted" labels are exercised. fillsync (an fsync per
# write) runs apart with fewer keys. The small memtable makes the typed
# values (counter, latest, appendlist) span the memtable and several tables,
# and the hottest of the 50 lists gets more events than the 100 it keeps.
WORKLOADS=fillseq,fillrandom,overwrite,readrandom,readmissing,seekrandom,readseq,readreverse,mixed,compact,readrandom,deletescan,counter,latest,appendlist,feed,convchurn,rangedel
ROWS="fillseq fillrandom overwrite readrandom readmissing seekrandom readseq readreverse mixed compact
readrandom/compacted scan_before/compacted deleterandom/compacted scan_after_delete/compacted
counter readcounters latest readlatest appendlist readlists feed feedread convload convchurn convscan
rdload rdread rdscan rdpscan rdelete rdread_after rdscan_after rdpscan_after rdcompact rdread_after/compacted rdscan_after/compacted rdpscan_after/compacted fillsync"
ROWS=$(echo $ROWS)
SMALL=(--num 2000 --reads 2000 --zipf-keys 500 --users 50 --memtable-bytes 65536 --no-progress)

run --list-engines
ENGINES=$(printf '%s' "$OUT" | tr ',' ' ')
printf '%s' " $ENGINES " | grep -q " strata "
check "--list-engines names strata" $?

CSV=$TMP/rows.csv
JSON=$TMP/rows.json
TIMELINE=$TMP/timeline.csv
for engine in $ENGINES; do
  run --engine "$engine" --benchmarks "$WORKLOADS" --threads 2 "${SMALL[@]}" \
    --csv "$CSV" --json "$JSON" --timeline "$TIMELINE"
  [ "$RC" -eq 0 ]
  check "$engine: every workload runs and reads what it wrote" $?
  printf '%s' "$OUT" | grep -q "^engine: $engine"
  check "$engine: the engine's settings line is printed" $?
  run --engine "$engine" --benchmarks fillsync --threads 2 --num 200 --no-progress \
    --csv "$CSV" --json "$JSON" --timeline "$TIMELINE"
  [ "$RC" -eq 0 ]
  check "$engine: fillsync runs" $?
  # Lists that keep every element, and lists of one element, read back whole.
  run --engine "$engine" --benchmarks appendlist,appendlist --list-max 0 --num 1500 --users 20 \
    --memtable-bytes 65536 --no-progress
  [ "$RC" -eq 0 ] && printf '%s' "$OUT" | grep -q "lists cut at 0 elements (never)"
  check "$engine: appendlist with unbounded lists" $?
  run --engine "$engine" --benchmarks appendlist --list-max 1 --num 1500 --users 20 --memtable-bytes 65536 \
    --no-progress
  [ "$RC" -eq 0 ] && printf '%s' "$OUT" | grep -q "readlists: [0-9]* events in [0-9]* lists (1.0 per list)"
  check "$engine: appendlist with lists of one element" $?
  # One hot counter, read back (RocksDB merges every operand per get: few reads).
  run --engine "$engine" --benchmarks hotkey --num 3000 --reads 50 --no-progress
  [ "$RC" -eq 0 ] && printf '%s' "$OUT" | grep -q "^$engine *hotget" && printf '%s' "$OUT" | grep -q "^$engine *plainget"
  check "$engine: hotkey reads its hot counter" $?
  # Range deletes over tables and memtable, a last partition shorter than
  # the others, partitions of one key; the notes give the read-cost ratios
  # and the disk bytes around the compaction.
  run --engine "$engine" --benchmarks rangedel --num 1000 --reads 400 --partition-keys 7 --threads 3 \
    --memtable-bytes 65536 --no-progress
  [ "$RC" -eq 0 ] && printf '%s' "$OUT" | grep -q "read cost after the deletes / before: point reads [0-9.]* x" &&
    printf '%s' "$OUT" | grep -q "note: disk: [0-9.]* MiB before the compaction"
  check "$engine: rangedel with a short last partition" $?
  if [ "$engine" = strata ] || [ "$engine" = rocksdb ]; then
    printf '%s' "$OUT" | grep -q "71 partitions deleted, one range delete each"
  else
    printf '%s' "$OUT" | grep -q "71 partitions deleted; $engine has no range delete"
  fi
  check "$engine: rangedel says how the partitions were deleted" $?
  run --engine "$engine" --benchmarks rangedel --num 10 --reads 10 --partition-keys 1 --no-progress
  [ "$RC" -eq 0 ] && printf '%s' "$OUT" | grep -q "5 partitions deleted"
  check "$engine: rangedel with partitions of one key" $?
  # The twin measure: both databases loaded and checked, the twin removed.
  run --engine "$engine" --benchmarks rdtwin --num 1000 --reads 400 --partition-keys 7 --memtable-bytes 65536 \
    --db "$TMP/twin-$engine" --no-progress
  [ "$RC" -eq 0 ] && printf '%s' "$OUT" | grep -Eq "^$engine +rdelete_twin " &&
    printf '%s' "$OUT" | grep -Eq "on a twin database without the deletes: [0-9.]+ x \(40 alternated blocks" &&
    [ ! -e "$TMP/twin-$engine-twin" ]
  check "$engine: rdtwin measures bounded scans against a twin and removes it" $?
done

# --settle waits after each row until the process writes nothing for a
# second: two rows take at least two seconds, and still report amplification.
start=$(date +%s%N)
run --engine strata --benchmarks fillrandom,overwrite --num 3000 --memtable-bytes 65536 --settle --no-progress
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
[ "$RC" -eq 0 ] && [ "$elapsed_ms" -ge 2000 ] && printf '%s' "$OUT" | grep -Eq "^strata +overwrite .* [0-9]+\.[0-9]+ +[0-9]+\.[0-9]+ +[0-9.]+$"
check "--settle waits for quiet after each row (${elapsed_ms} ms for two rows)" $?

# ---- CSV: the header once, then one sane row per benchmark row -------------
header=$(head -n 1 "$CSV")
expected_header=engine,benchmark,threads,num,ops,seconds,ops_per_sec,us_per_op,p50_us,p99_us,p999_us,write_amp,space_amp,peak_rss_mb
[ "$header" = "$expected_header" ]
check "CSV header (got [$header])" $?
[ "$(grep -c '^engine,' "$CSV")" -eq 1 ]
check "CSV header written once" $?
for engine in $ENGINES; do
  got=$(awk -F, -v e="$engine" '$1 == e { printf "%s ", $2 }' "$CSV")
  [ "$got" = "$ROWS " ]
  check "$engine: CSV rows in order (got [$got])" $?
  # ops > 0, seconds >= 0, ops/s > 0, latencies ordered, amplifications empty or positive, rss > 0.
  bad=$(awk -F, -v e="$engine" '$1 == e && !($5 > 0 && $6 >= 0 && $7 > 0 && $9 <= $10 + 0.001 && $10 <= $11 + 0.001 &&
        ($12 == "" || $12 >= 0) && ($13 == "" || $13 > 0) && $14 > 0 && NF == 14) { print $2 }' "$CSV")
  [ -z "$bad" ]
  check "$engine: CSV values sane (bad rows: $bad)" $?
  wa=$(awk -F, -v e="$engine" '$1 == e && $2 == "fillseq" { print $12 }' "$CSV")
  ra=$(awk -F, -v e="$engine" '$1 == e && $2 == "readrandom" { print $12 }' "$CSV")
  [ -n "$wa" ] && [ -z "$ra" ]
  check "$engine: write amplification for writes only (fillseq [$wa], readrandom [$ra])" $?
done

# ---- JSON: an array with the same rows and the config ---------------------
if command -v python3 >/dev/null 2>&1; then
  python3 - "$JSON" "$ROWS" $ENGINES <<'EOF'
import json, sys
path, rows, engines = sys.argv[1], sys.argv[2].split(), sys.argv[3:]
data = json.load(open(path))
for e in engines:
    got = [r["benchmark"] for r in data if r["engine"] == e]
    assert got == rows, (e, got)
for r in data:
    assert r["ops"] > 0 and r["ops_per_sec"] > 0 and r["seconds"] >= 0, r
    assert r["config"]["key_size"] == 16 and "describe" in r["config"], r
    for f in ("threads", "num", "us_per_op", "p50_us", "p99_us", "p999_us", "write_amp", "space_amp", "peak_rss_mb"):
        assert f in r, (f, r)
EOF
  check "JSON array with a sane object per row" $?
else
  [ "$(head -c 1 "$JSON")" = "[" ] && [ "$(tail -n 1 "$JSON")" = "]" ]
  check "JSON array (python3 missing: shape only)" $?
fi

# ---- timeline: rows for the rows ------------------------------------------
[ "$(head -n 1 "$TIMELINE")" = "engine,benchmark,second,ops_per_sec" ]
check "timeline header" $?
for engine in $ENGINES; do
  n=$(awk -F, -v e="$engine" '$1 == e && $3 >= 1 && $4 >= 0' "$TIMELINE" | wc -l)
  [ "$n" -ge 24 ]
  check "$engine: timeline rows (got $n)" $?
done

# ---- the default database directory is gone afterwards -------------------
left=$(ls -A "$TMPDIR")
[ -z "$left" ]
check "no database directory left behind (found [$left])" $?

# ---- --db, --keep, --fresh --------------------------------------------------
DB=$TMP/db
run --benchmarks fillseq --num 100 --db "$DB" --keep --no-progress
[ "$RC" -eq 0 ] && [ -n "$(ls -A "$DB")" ]
check "--keep leaves the database" $?
refused "non-empty --db" "not empty" --benchmarks fillseq --num 100 --db "$DB"
run --benchmarks fillseq --num 100 --db "$DB" --fresh --no-progress
[ "$RC" -eq 0 ] && [ -z "$(ls -A "$DB")" ]
check "--fresh reuses a previous run's directory (and cleans it at the end)" $?
mkdir -p "$TMP/notdb" && echo keep >"$TMP/notdb/notes.txt"
refused "--fresh on a directory no engine wrote" "not deleting" --benchmarks fillseq --num 100 --db "$TMP/notdb" --fresh
[ -f "$TMP/notdb/notes.txt" ]
check "--fresh left a foreign directory alone" $?

# ---- bad input -----------------------------------------------------------
refused "unknown engine" "unknown engine" --engine nosuch --benchmarks fillseq --num 10
refused "unknown benchmark" "unknown benchmark" --benchmarks fillseq,nosuch --num 10
refused "--num 0" "--num must be" --benchmarks fillseq --num 0
refused "missing value" "needs a value" --benchmarks fillseq --num
refused "value taken for an option" "needs a value" --benchmarks fillseq --db --keep
refused "no --benchmarks" "benchmarks is required" --num 10
refused "unknown option" "unknown option" --benchmarks fillseq --nosuch 1
refused "bad compression" "none, lz4 or zstd" --benchmarks fillseq --compression snappy
refused "reads without a fill" "fill" --benchmarks readrandom --num 10 --no-progress
refused "list keys too short" "cannot hold" --benchmarks appendlist --users 1000 --key-size 3 --num 10
refused "more threads than lists" "--threads must be" --benchmarks appendlist --users 2 --threads 3 --num 10
refused "bad --list-max" "--list-max must be" --benchmarks appendlist --list-max -1 --num 10
refused "rangedel with one partition" "fewer than 2 partitions" --benchmarks rangedel --num 40 --partition-keys 32
refused "bad --partition-keys" "--partition-keys must be" --benchmarks rangedel --partition-keys 0 --num 10
run --help
[ "$RC" -eq 0 ] && printf '%s' "$OUT" | grep -q -- "--benchmarks"
check "--help" $?

echo "bench: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
