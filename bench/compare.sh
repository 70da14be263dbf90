#!/usr/bin/env bash
# compare.sh - runs strata-bench for strata and its rivals (RocksDB, LevelDB,
# LMDB) on the same workloads, interleaving the engines round by round so a
# drift of the machine hits every engine alike, and prints the median ops/s
# of each engine and strata's ratio to each rival. Needs only bash and awk
# (gnuplot for --chart); installs the rival libraries when missing.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: bench/compare.sh [options]
  --num N          keys per workload (default 1000000)
  --rounds R       rounds of every workload on every engine, at least 3 (default 3)
  --engines LIST   comma-separated engines (default strata,rocksdb,leveldb,lmdb)
  --sets LIST      comma-separated workload sets (default all): core, mixed,
                   sync1, sync8, counter, latest, appendlist, feed, convchurn,
                   rangedel; typed = counter,latest,appendlist
  --quick          smoke run: small N, one round
  --out FILE       CSV of every row (default bench-results/compare-<date>.csv)
  --build-dir DIR  where to build strata-bench (default build-bench)
  --work-dir DIR   where the databases live while they run (in a subdirectory
                   removed at the end); use a disk, not a tmpfs, or fsyncs cost
                   nothing (default bench-results)
  --no-build       use the strata-bench already in --build-dir
  --no-install     do not install missing packages
  --settle         pass --settle to strata-bench: after each row, wait for the
                   engine's writes to stop and count them in the row's write
                   amplification (the compaction debt a row leaves counts)
  --chart          also run fillrandom,overwrite with --timeline on each engine
                   and draw ops/s per second with gnuplot
  --chart-only     only the chart
  --chart-num N    keys for the chart (default 5000000)
  --chart-out FILE the chart (default docs/perf/timeline.svg); its data is kept
                   beside it with the extension .csv
EOF
}

die() {
  echo "compare: $*" >&2
  exit 2
}
note() { echo "compare: $*" >&2; }

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

stamp=$(date +%Y%m%d-%H%M%S)
num=1000000
rounds=3
engines=strata,rocksdb,leveldb,lmdb
set_names=all
quick=0
out=""
build_dir=build-bench
work_dir=""
do_build=1
do_install=1
chart=0
settle=()
compare=1
chart_num=5000000
chart_out=docs/perf/timeline.svg
num_set=0
rounds_set=0
chart_num_set=0

while [ $# -gt 0 ]; do
  case "$1" in
    --num) num=${2:?--num needs a value}; num_set=1; shift 2 ;;
    --rounds) rounds=${2:?--rounds needs a value}; rounds_set=1; shift 2 ;;
    --engines) engines=${2:?--engines needs a value}; shift 2 ;;
    --sets) set_names=${2:?--sets needs a value}; shift 2 ;;
    --quick) quick=1; shift ;;
    --out) out=${2:?--out needs a value}; shift 2 ;;
    --build-dir) build_dir=${2:?--build-dir needs a value}; shift 2 ;;
    --work-dir) work_dir=${2:?--work-dir needs a value}; shift 2 ;;
    --no-build) do_build=0; shift ;;
    --no-install) do_install=0; shift ;;
    --settle) settle=(--settle); shift ;;
    --chart) chart=1; shift ;;
    --chart-only) chart=1; compare=0; shift ;;
    --chart-num) chart_num=${2:?--chart-num needs a value}; chart_num_set=1; shift 2 ;;
    --chart-out) chart_out=${2:?--chart-out needs a value}; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done

sync_num=20000
if [ "$quick" = 1 ]; then
  [ "$num_set" = 1 ] || num=20000
  [ "$rounds_set" = 1 ] || rounds=1
  [ "$chart_num_set" = 1 ] || chart_num=200000
  sync_num=1000
fi
for v in "$num" "$rounds" "$chart_num"; do
  [[ "$v" =~ ^[1-9][0-9]*$ ]] || die "not a positive number: $v"
done
# Fewer than 3 rounds gives a median that is just one noisy sample.
[ "$quick" = 1 ] || [ "$rounds" -ge 3 ] || die "--rounds must be at least 3 (or use --quick)"

read -r -a engine_list <<<"${engines//,/ }"
[ ${#engine_list[@]} -gt 0 ] || die "--engines is empty"

# One strata-bench invocation per set and engine; each set starts from an
# empty database. mixed needs the keys of a fill: fillrandom (4 threads
# too, its own row) builds the LSM shape random writes give.
all_sets=(core mixed sync1 sync8 counter latest appendlist feed convchurn rangedel)
set_args() {
  case "$1" in
    core) echo "--benchmarks fillseq,fillrandom,overwrite,readrandom,readmissing,seekrandom,readseq,readreverse,compact,readrandom,deletescan --num $num" ;;
    mixed) echo "--benchmarks fillrandom,mixed --threads 4 --num $num" ;;
    sync1) echo "--benchmarks fillsync --threads 1 --num $sync_num" ;;
    sync8) echo "--benchmarks fillsync --threads 8 --num $sync_num" ;;
    counter | latest | appendlist | feed | convchurn | rangedel) echo "--benchmarks $1 --num $num" ;;
    *) return 1 ;;
  esac
}
sets=()
for name in ${set_names//,/ }; do
  case "$name" in
    all) sets+=("${all_sets[@]}") ;;
    typed) sets+=(counter latest appendlist) ;;
    *) set_args "$name" >/dev/null || die "unknown set: $name (known: ${all_sets[*]}, typed, all)"; sets+=("$name") ;;
  esac
done
[ ${#sets[@]} -gt 0 ] || die "--sets is empty"

[ -n "$out" ] || out="bench-results/compare-$stamp.csv"
log="${out%.csv}.log"
if [ "$compare" = 1 ] && [ -e "$out" ]; then
  die "$out exists: rows would mix with an earlier run (choose another --out)"
fi

# ---- dependencies ------------------------------------------------------

have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

# Installs the packages not yet installed; a failure is only a warning (the
# engine is then missing from the build and skipped).
install_missing() {
  local need=() pkg sudo=""
  command -v dpkg-query >/dev/null 2>&1 || return 0
  for pkg in "$@"; do have_pkg "$pkg" || need+=("$pkg"); done
  [ ${#need[@]} -gt 0 ] || return 0
  if ! command -v apt-get >/dev/null 2>&1; then
    note "missing ${need[*]} and no apt-get: install them by hand"
    return 0
  fi
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo=sudo; else
      note "need root to install ${need[*]}"
      return 0
    fi
  fi
  note "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # A fresh machine has no package lists yet: refresh them once on failure.
  if ! $sudo apt-get install -y -qq "${need[@]}" >/dev/null; then
    if ! { $sudo apt-get update -qq && $sudo apt-get install -y -qq "${need[@]}" >/dev/null; }; then
      note "could not install ${need[*]}"
    fi
  fi
}

if [ "$do_install" = 1 ]; then
  pkgs=()
  for e in "${engine_list[@]}"; do
    case "$e" in
      rocksdb) pkgs+=(librocksdb-dev) ;;
      leveldb) pkgs+=(libleveldb-dev) ;;
      lmdb) pkgs+=(liblmdb-dev) ;;
    esac
  done
  [ "$chart" = 0 ] || pkgs+=(gnuplot-nox)
  [ ${#pkgs[@]} -eq 0 ] || install_missing "${pkgs[@]}"
fi

# ---- build -------------------------------------------------------------

if [ "$do_build" = 1 ]; then
  note "building strata-bench (Release) in $build_dir"
  cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DSTRATA_TESTS=OFF >/dev/null
  cmake --build "$build_dir" -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
fi
# The bench's CMake file puts the binary in the bench/ subdirectory.
bench=""
for b in "$build_dir/bench/strata-bench" "$build_dir/strata-bench"; do
  if [ -x "$b" ]; then bench=$b; break; fi
done
[ -n "$bench" ] || die "no strata-bench in $build_dir (build failed?)"

# Engines asked for but not compiled in (their -dev package was missing at
# configure time) are dropped with a warning.
built=" $("$bench" --list-engines | tr ',\n\t' '   ') "
run_engines=()
for e in "${engine_list[@]}"; do
  if [[ "$built" == *" $e "* ]]; then run_engines+=("$e"); else note "engine $e is not built in: skipped"; fi
done
[ ${#run_engines[@]} -gt 0 ] || die "no engine to run"

# Our own directory inside the work dir, so the cleanup never touches
# anything we did not create.
work_dir="${work_dir:-bench-results}/.compare-work-$$"
mkdir -p "$(dirname "$out")" "$work_dir"
trap 'rm -rf "$work_dir"' EXIT
: >"$log"

failures=0

# Runs one invocation of strata-bench on a fresh database directory; its
# output goes to the log. A failed run is counted and reported, the others
# go on.
run_bench() {
  local engine=$1 tag=$2
  shift 2
  local db="$work_dir/$engine-$tag" one="$work_dir/run.log" rc=0
  rm -rf "$db"
  "$bench" --engine "$engine" --db "$db" --no-progress "${settle[@]}" "$@" >"$one" 2>&1 || rc=$?
  {
    echo "### $engine $tag: $bench --engine $engine --db $db --no-progress ${settle[*]} $*"
    cat "$one"
  } >>"$log"
  if [ "$rc" -ne 0 ]; then
    failures=$((failures + 1))
    note "FAILED (exit $rc): $engine $tag; last lines, the rest in $log:"
    tail -n 5 "$one" | sed 's/^/    /' >&2
  fi
  rm -rf "$db"
}

# ---- comparison rounds -------------------------------------------------

if [ "$compare" = 1 ]; then
  note "engines ${run_engines[*]}, sets ${sets[*]}, num $num, $rounds round(s); rows to $out, output to $log"
  for ((r = 1; r <= rounds; r++)); do
    for ((s = 0; s < ${#sets[@]}; s++)); do
      args=$(set_args "${sets[$s]}")
      for e in "${run_engines[@]}"; do
        note "round $r/$rounds, set $((s + 1))/${#sets[@]} (${sets[$s]}): $e $args"
        # shellcheck disable=SC2086 # the set is a list of words
        run_bench "$e" "r$r-s$((s + 1))" $args --csv "$out"
      done
    done
  done
  [ -s "$out" ] || die "no rows were written to $out"

  summary="${out%.csv}-summary.txt"
  # Medians over rounds per (engine, benchmark label, threads); ratios are
  # of medians. An empty cell (n/a) is not a sample.
  awk -F, -v engines="${run_engines[*]}" '
    function median(list,   a, n, i, j, x) {
      n = split(list, a, " ")
      if (n == 0) return ""
      for (i = 2; i <= n; i++) {
        x = a[i] + 0
        for (j = i - 1; j >= 1 && a[j] + 0 > x; j--) a[j + 1] = a[j]
        a[j + 1] = x
      }
      return n % 2 ? a[(n + 1) / 2] + 0 : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    function cell(v, fmt) { return v == "" ? "-" : sprintf(fmt, v) }
    function ratio(a, b) { return (a == "" || b == "" || b + 0 == 0) ? "" : a / b }
    # Round by round, the ratios a[r] / b[r] of two lists of figures: "2.04 2.01 2.20".
    function round_ratios(la, lb,   a, b, n, i, out) {
      n = split(la, a, " ")
      if (split(lb, b, " ") != n) return "-"
      out = ""
      for (i = 1; i <= n; i++) out = out (i > 1 ? " " : "") cell(ratio(a[i], b[i]), "%.2f")
      return out
    }
    BEGIN { ne = split(engines, eng, " ") }
    $1 == "engine" { for (i = 1; i <= NF; i++) col[$i] = i; next }
    {
      e = $col["engine"]; b = $col["benchmark"]; t = $col["threads"]; k = b SUBSEP t
      if (!(k in seen)) { seen[k] = 1; nk++; keys[nk] = k; label[nk] = b; thr[nk] = t }
      v = $col["ops_per_sec"]; if (v != "") ops[e, k] = ops[e, k] " " v
      if (b ~ /^(rdscan_after|rdcompact)$/) { v = $col["space_amp"]; if (v != "") rdspace[e, b] = rdspace[e, b] " " v }
      if (b == "overwrite") {
        have_overwrite = 1
        v = $col["write_amp"]; if (v != "") wamp[e] = wamp[e] " " v
        v = $col["space_amp"]; if (v != "") samp[e] = samp[e] " " v
      }
    }
    END {
      has_strata = 0
      for (i = 1; i <= ne; i++) if (eng[i] == "strata") has_strata = 1
      printf "median ops/s over the rounds; strata/X = median strata / median X (above 1: strata is faster)\n\n"
      printf "%-28s %3s", "benchmark", "thr"
      for (i = 1; i <= ne; i++) printf " %12s", eng[i]
      if (has_strata) for (i = 1; i <= ne; i++) if (eng[i] != "strata") printf " %14s", "strata/" eng[i]
      printf "\n"
      for (n = 1; n <= nk; n++) {
        k = keys[n]
        printf "%-28s %3s", label[n], thr[n]
        for (i = 1; i <= ne; i++) { m[i] = median(ops[eng[i], k]); printf " %12s", cell(m[i], "%.0f") }
        if (has_strata) {
          s = median(ops["strata", k])
          for (i = 1; i <= ne; i++) if (eng[i] != "strata") printf " %14s", cell(ratio(s, m[i]), "%.2f")
        }
        printf "\n"
      }
      # deletescan: the cost per live entry is 1 / ops/s, so the cost ratio
      # after/before is ops/s before / ops/s after (1.00: tombstones are free).
      header = 0
      for (n = 1; n <= nk; n++) {
        if (label[n] !~ /^scan_before(\/|$)/) continue
        suffix = substr(label[n], length("scan_before") + 1)
        ka = "scan_after_delete" suffix SUBSEP thr[n]
        if (!(ka in seen)) continue
        if (!header) {
          printf "\ndeletescan: cost per live entry, scan_after_delete / scan_before (1.00 = deletes cost the scan nothing)\n"
          header = 1
        }
        printf "\n%s -> scan_after_delete%s\n", label[n], suffix
        printf "%-28s %12s %12s %12s   %s\n", "engine", "before ops/s", "after ops/s", "cost ratio", "each round"
        for (i = 1; i <= ne; i++) {
          bm = median(ops[eng[i], keys[n]]); am = median(ops[eng[i], ka])
          printf "%-28s %12s %12s %12s   %s\n", eng[i], cell(bm, "%.0f"), cell(am, "%.0f"), cell(ratio(bm, am), "%.2f"),
            round_ratios(ops[eng[i], keys[n]], ops[eng[i], ka])
        }
      }
      if (have_overwrite) {
        printf "\noverwrite: median write amplification and space amplification\n\n"
        printf "%-28s %12s %12s\n", "engine", "write_amp", "space_amp"
        for (i = 1; i <= ne; i++)
          printf "%-28s %12s %12s\n", eng[i], cell(median(wamp[eng[i]]), "%.2f"), cell(median(samp[eng[i]]), "%.2f")
      }
      # Issue 6 (typed merges): counter increments >= 2x RocksDB (its merge
      # operator) and >= 1.0x the best rival; reading every counter back
      # >= 1.0x LevelDB. Single-threaded rows.
      if (has_strata && (("counter" SUBSEP 1) in seen || ("readcounters" SUBSEP 1) in seen)) {
        printf "\nissue 6 targets (typed merges): strata median / rival median\n\n"
        printf "%-44s %10s %8s %6s  %s\n", "target", "rival", "ratio", "min", "result"
        target("counter", "rocksdb", 2.0, "counter increments vs RocksDB merge")
        target("counter", "best", 1.0, "counter increments vs the best rival")
        target("readcounters", "leveldb", 1.0, "reading every counter vs LevelDB")
      }
      # rangedel: the cost of a read is 1 / ops/s, so a cost ratio is the
      # inverse ratio of ops/s. Single-threaded rows.
      if (("rdread" SUBSEP 1) in seen && ("rdread_after" SUBSEP 1) in seen) {
        printf "\nrangedel: read cost after deleting every second partition / before (1.00 = the deletes cost reads\n"
        printf "nothing; point reads: half now miss; scans: the kept partitions), and space amplification before\n"
        printf "and after the full compaction that follows (LevelDB and LMDB delete key by key: no range delete)\n\n"
        printf "%-28s %12s %12s %14s %14s %14s\n", "engine", "point reads", "scans", "bounded scans", "space before", "space after"
        for (i = 1; i <= ne; i++) {
          e = eng[i]
          printf "%-28s %12s %12s %14s %14s %14s\n", e,
            cell(ratio(median(ops[e, "rdread" SUBSEP 1]), median(ops[e, "rdread_after" SUBSEP 1])), "%.2f"),
            cell(ratio(median(ops[e, "rdscan" SUBSEP 1]), median(ops[e, "rdscan_after" SUBSEP 1])), "%.2f"),
            cell(ratio(median(ops[e, "rdpscan" SUBSEP 1]), median(ops[e, "rdpscan_after" SUBSEP 1])), "%.2f"),
            cell(median(rdspace[e, "rdscan_after"]), "%.2f"), cell(median(rdspace[e, "rdcompact"]), "%.2f")
        }
        if (has_strata) {
          printf "\nrangedel targets: cost ratios of strata (lower is better)\n\n"
          printf "%-52s %8s %6s  %s\n", "target", "ratio", "max", "result"
          s = "strata"
          at_most("point reads after the deletes / before",
                  ratio(median(ops[s, "rdread" SUBSEP 1]), median(ops[s, "rdread_after" SUBSEP 1])), 1.0)
          at_most("bounded partition scans after the deletes / before",
                  ratio(median(ops[s, "rdpscan" SUBSEP 1]), median(ops[s, "rdpscan_after" SUBSEP 1])), 1.0)
          at_most("unbounded scans after the deletes / before (info)",
                  ratio(median(ops[s, "rdscan" SUBSEP 1]), median(ops[s, "rdscan_after" SUBSEP 1])), 1.0)
          at_most("point reads after the deletes vs RocksDB DeleteRange",
                  ratio(median(ops["rocksdb", "rdread_after" SUBSEP 1]), median(ops[s, "rdread_after" SUBSEP 1])), 1.0)
          at_most("partition scans after the deletes vs RocksDB",
                  ratio(median(ops["rocksdb", "rdscan_after" SUBSEP 1]), median(ops[s, "rdscan_after" SUBSEP 1])), 1.0)
          at_most("bounded partition scans after the deletes vs RocksDB",
                  ratio(median(ops["rocksdb", "rdpscan_after" SUBSEP 1]), median(ops[s, "rdpscan_after" SUBSEP 1])), 1.0)
          at_most("space amplification after strata_compact_range", median(rdspace[s, "rdcompact"]), 1.2)
        }
      }
    }
    # Prints one rangedel target row: value (empty: not run) at most max.
    function at_most(what, value, max) {
      if (value == "") { printf "%-52s %8s %6.2f  %s\n", what, "-", max, "n/a (not run)"; return }
      printf "%-52s %8.2f %6.2f  %s\n", what, value, max, value + 0 <= max ? "met" : "NOT met"
    }
    # Prints one target row: strata over rival ("best": the fastest rival)
    # on the single-threaded row lb.
    function target(lb, rival, min, what,   k, s, r, m, i, name, ok) {
      k = lb SUBSEP 1
      s = median(ops["strata", k]); r = ""; name = rival
      if (rival == "best") {
        name = "-"
        for (i = 1; i <= ne; i++) {
          if (eng[i] == "strata") continue
          m = median(ops[eng[i], k])
          if (m != "" && (r == "" || m + 0 > r + 0)) { r = m; name = eng[i] }
        }
      } else {
        r = median(ops[rival, k])
      }
      if (s == "" || r == "" || r + 0 == 0) { printf "%-44s %10s %8s %6.2f  %s\n", what, name, "-", min, "n/a (not run)"; return }
      ok = s / r >= min ? "met" : "NOT met"
      printf "%-44s %10s %8.2f %6.2f  %s\n", what, name, s / r, min, ok
    }' "$out" | tee "$summary"
  note "rows: $out; summary: $summary; bench output: $log"
fi

# ---- timeline chart ----------------------------------------------------

if [ "$chart" = 1 ]; then
  command -v gnuplot >/dev/null 2>&1 || die "gnuplot is missing (apt-get install gnuplot-nox)"
  chart_csv="${chart_out%.svg}.csv"
  mkdir -p "$(dirname "$chart_out")"
  echo "engine,benchmark,second,ops_per_sec" >"$chart_csv"
  for e in "${run_engines[@]}"; do
    note "chart: $e fillrandom,overwrite --num $chart_num"
    run_bench "$e" chart --benchmarks fillrandom,overwrite --num "$chart_num" --timeline "$work_dir/timeline-$e.csv"
    [ ! -s "$work_dir/timeline-$e.csv" ] || grep -v '^engine,' "$work_dir/timeline-$e.csv" >>"$chart_csv" || true
  done
  [ "$(wc -l <"$chart_csv")" -gt 1 ] || die "no timeline rows in $chart_csv"

  # One data file per engine and phase for gnuplot. Seconds count from the
  # start of each row (1 = the first second).
  series="$work_dir/series"
  mkdir -p "$series"
  awk -F, -v dir="$series" '
    $1 == "engine" || $4 == "" || ($2 != "fillrandom" && $2 != "overwrite") { next }
    { print $3, $4 > (dir "/" $1 "." $2) }
  ' "$chart_csv"

  plot_phase() {
    local phase=$1 sep="" e
    printf 'set title "%s"\nplot ' "$phase"
    for e in "${run_engines[@]}"; do
      [ -s "$series/$e.$phase" ] || continue
      printf '%s"%s" using 1:2 with linespoints lw 1.5 pt 7 ps 0.3 title "%s"' "$sep" "$series/$e.$phase" "$e"
      sep=", "
    done
    printf '\n'
  }
  {
    echo 'set terminal svg size 1000,800 dynamic enhanced font "sans,11" background rgb "white"'
    echo "set output \"$chart_out\""
    echo 'set datafile separator " "'
    echo 'set multiplot layout 2,1 title "ops/s in each second, '"$chart_num"' keys (strata-bench --timeline)"'
    echo 'set xlabel "seconds since the workload started"'
    echo 'set ylabel "ops/s"'
    echo 'set format y "%.0s%c"'
    echo 'set grid'
    echo 'set key outside right top'
    echo 'set xrange [0:*]'
    echo 'set yrange [0:*]'
    plot_phase fillrandom
    plot_phase overwrite
    echo 'unset multiplot'
  } >"$work_dir/timeline.gp"
  gnuplot "$work_dir/timeline.gp"
  note "chart: $chart_out (data: $chart_csv)"
fi

if [ "$failures" -gt 0 ]; then
  note "$failures run(s) failed; see $log"
  exit 1
fi
