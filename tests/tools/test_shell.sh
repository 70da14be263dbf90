#!/usr/bin/env bash
# test_shell.sh - end-to-end checks of the strata shell (docs/SHELL.md): real
# runs of the binary, piped and one-shot, each in a fresh temporary directory.
# Usage: test_shell.sh PATH/TO/strata   (prints "shell: N passed, M failed")
set -u

if [ $# -ne 1 ] || [ ! -x "$1" ]; then
  echo "usage: $0 PATH/TO/strata" >&2
  exit 2
fi
STRATA=$1
TMP=$(mktemp -d "${TMPDIR:-/tmp}/strata-shell.XXXXXX") || exit 2
trap 'rm -rf "$TMP"' EXIT

passed=0
failed=0
n=0

# Results of the last run: its stdout, stderr and exit status.
OUT=
ERR=
RC=

# run ARGS... : runs strata with the caller's stdin, setting OUT, ERR and RC.
# Never call it in a pipeline (a subshell would lose the results).
run() {
  "$STRATA" "$@" >"$TMP/out" 2>"$TMP/err"
  RC=$?
  OUT=$(cat "$TMP/out")
  ERR=$(cat "$TMP/err")
}

# fresh: a new database directory path (not created) in $DB.
fresh() {
  n=$((n + 1))
  DB="$TMP/db$n"
}

check() { # check NAME CONDITION-STATUS
  if [ "$2" -eq 0 ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL: $1" >&2
    echo "  status: $RC" >&2
    echo "  stdout: $(printf '%s' "$OUT" | head -c 400)" >&2
    echo "  stderr: $(printf '%s' "$ERR" | head -c 400)" >&2
  fi
}

expect_eq() { # expect_eq NAME ACTUAL EXPECTED
  [ "$2" = "$3" ]
  check "$1 (expected [$3], got [$2])" $?
}

# --- put/get/del round trip through a pipe --------------------------------
fresh
run "$DB" <<'EOF'
put a 1
get a
del a
get a
EOF
expect_eq "pipe: round trip output" "$OUT" "$(printf 'OK\n1\nOK\n(not found)')"
expect_eq "pipe: clean script exits 0" "$RC" 0
expect_eq "pipe: no prompt, greeting or errors" "$ERR" ""

# --- one-shot mode ----------------------------------------------------------
fresh
run "$DB" put a b </dev/null
expect_eq "one-shot put prints OK" "$OUT" "OK"
expect_eq "one-shot put exits 0" "$RC" 0
run "$DB" get a </dev/null
expect_eq "one-shot get prints the value" "$OUT" "b"
expect_eq "one-shot get exits 0" "$RC" 0
run "$DB" GET a </dev/null
expect_eq "command names are case-insensitive" "$OUT" "b"

# --- values with spaces and binary bytes -----------------------------------
fresh
run "$DB" <<'EOF'
put k "a b\x00\xff"
get k
put s 'it is "x"'
get s
put p "a b"
get p
put e ""
get e
EOF
expect_eq "binary value printed escaped" "$(sed -n 2p "$TMP/out")" '"a b\x00\xff"'
expect_eq "quotes inside a value are escaped" "$(sed -n 4p "$TMP/out")" '"it is \"x\""'
expect_eq "inner space prints raw" "$(sed -n 6p "$TMP/out")" 'a b'
expect_eq "empty value prints as \"\"" "$(sed -n 8p "$TMP/out")" '""'
expect_eq "binary script exits 0" "$RC" 0
run "$DB" get k </dev/null
expect_eq "binary value read back in one-shot mode" "$OUT" '"a b\x00\xff"'

# --- persistence across invocations ----------------------------------------
fresh
printf 'put p1 v1\nput p2 v2\ndel p2\n' | "$STRATA" "$DB" >/dev/null 2>&1
run "$DB" <<<"$(printf 'get p1\nget p2')"
expect_eq "data persists across invocations" "$OUT" "$(printf 'v1\n(not found)')"
"$STRATA" "$DB" put p3 v3 >/dev/null 2>&1 </dev/null
run "$DB" get p3 </dev/null
expect_eq "one-shot write persists" "$OUT" "v3"

# --- (not found) is not an error --------------------------------------------
fresh
run "$DB" get missing </dev/null
expect_eq "missing key prints (not found)" "$OUT" "(not found)"
expect_eq "missing key exits 0 (one-shot)" "$RC" 0
run "$DB" <<<'get missing'
expect_eq "missing key exits 0 (piped)" "$RC" 0

# --- errors: unknown command, bad arguments, parse errors -------------------
fresh
run "$DB" <<'EOF'
put a 1
frobnicate x
get a
put onlykey
put q "unterminated
put e "\q"
get a
EOF
expect_eq "shell continues after errors" "$OUT" "$(printf 'OK\n1\n1')"
expect_eq "piped run with an error exits 1" "$RC" 1
case "$ERR" in *"error: unknown command 'frobnicate'"*) r=0 ;; *) r=1 ;; esac
check "unknown command reported on stderr" $r
case "$ERR" in *"error: put takes 2 arguments"*) r=0 ;; *) r=1 ;; esac
check "wrong argument count reported on stderr" $r
case "$ERR" in *"error: unterminated double quote"*) r=0 ;; *) r=1 ;; esac
check "unterminated quote reported on stderr" $r
case "$ERR" in *"error: bad escape"*) r=0 ;; *) r=1 ;; esac
check "bad escape reported on stderr" $r
expect_eq "one error line per bad line" "$(printf '%s\n' "$ERR" | grep -c '^error: ')" 4

# --- comments, blank lines, quit --------------------------------------------
fresh
run "$DB" <<'EOF'
# a comment

   	
put a 1
QUIT
put b 2
EOF
expect_eq "comments ignored, quit stops reading" "$OUT" "OK"
expect_eq "comment script exits 0" "$RC" 0

# --- a long line (1 MiB value) ----------------------------------------------
fresh
big=$(head -c 1048576 /dev/zero | tr '\0' 'x')
printf 'put big %s\nget big\n' "$big" >"$TMP/big.txt"
run "$DB" <"$TMP/big.txt"
expect_eq "long line round trip" "$(sed -n 2p "$TMP/out" | wc -c)" 1048577

# --- foreign directory, usage, version --------------------------------------
fresh
mkdir -p "$DB"
echo "not a database" >"$DB/notes.txt"
run "$DB" get a </dev/null
expect_eq "foreign directory exits 2" "$RC" 2
case "$ERR" in error:*) r=0 ;; *) r=1 ;; esac
check "foreign directory prints an error" $r
run "$DB" <<<'get a'
expect_eq "foreign directory exits 2 (piped)" "$RC" 2

fresh
run "$DB" nosuchcommand </dev/null
expect_eq "one-shot unknown command exits 2" "$RC" 2
run --version </dev/null
expect_eq "--version" "$OUT" "strata 0.1.0"
run --help </dev/null
expect_eq "--help exits 0" "$RC" 0
case "$OUT" in *"put KEY VALUE"*) r=0 ;; *) r=1 ;; esac
check "--help lists the commands" $r

# --- scan, count, flush, levels; --verify and --sst-dump -------------------
fresh
run "$DB" <<'EOF2'
put b 2
put a 1
put "c d" 3
del b
flush
put e 5
scan
count
count a c
scan b
levels
EOF2
expect_eq "scan/count script exits 0" "$RC" 0
expect_eq "flush prints OK" "$(sed -n 5p "$TMP/out")" "OK"
expect_eq "scan lists live keys in order" "$(sed -n 7,9p "$TMP/out" | tr '\n' '|')" 'a 1|"c d" 3|e 5|'
expect_eq "count counts live keys" "$(sed -n 10p "$TMP/out")" "3"
expect_eq "count FROM TO is [FROM, TO)" "$(sed -n 11p "$TMP/out")" "1"
expect_eq "scan FROM starts at FROM" "$(sed -n 12,13p "$TMP/out" | tr '\n' '|')" '"c d" 3|e 5|'
case "$OUT" in *"level.0: 1 files"*) r=0 ;; *) r=1 ;; esac
check "levels shows the flushed table" $r
run "$DB" scan a b c </dev/null
expect_eq "scan with three arguments is a usage error" "$RC" 2

run --verify "$DB" </dev/null
expect_eq "--verify of a healthy database exits 0" "$RC" 0
case "$OUT" in *"0 damaged"*) r=0 ;; *) r=1 ;; esac
check "--verify reports no damage" $r
sst=$(ls "$DB"/*.sst | head -n 1)
run --sst-dump "$sst" --entries </dev/null
expect_eq "--sst-dump exits 0" "$RC" 0
case "$OUT" in *"'a'"*DELETE*) r=0 ;; *) r=1 ;; esac
check "--sst-dump --entries lists entries with their kinds" $r
# One flipped byte in the middle of the table: verify finds it.
size=$(stat -c %s "$sst")
printf '\xff' | dd of="$sst" bs=1 seek=$((size / 3)) conv=notrunc 2>/dev/null
run --verify "$DB" </dev/null
expect_eq "--verify of a damaged table exits 1" "$RC" 1
run --sst-dump "$TMP/no-such.sst" </dev/null
expect_eq "--sst-dump of a missing file exits 1" "$RC" 1
run --verify </dev/null
expect_eq "--verify without a directory is a usage error" "$RC" 2

echo "shell: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
