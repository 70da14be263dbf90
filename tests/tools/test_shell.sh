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
case "$OUT" in *"level.1: 1 files"*) r=0 ;; *) r=1 ;; esac
check "levels shows the flushed table (level 1: nothing above or in it overlaps)" $r
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

# --- typed merges: counters ------------------------------------------------
fresh
run "$DB" <<'EOF'
add c1 5
add c1 -2
getint c1
get c1
getint nothere
put c 5
add c 3
getint c
get c
add w 9223372036854775807
add w 1
getint w
add m -9223372036854775808
add m +7
getint m
put d 007
getint d
put z -0
getint z
EOF
expect_eq "counters: script exits 0" "$RC" 0
expect_eq "counters: no errors" "$ERR" ""
expect_eq "add sums deltas; get reads decimal text" "$(sed -n 3,4p "$TMP/out" | tr '\n' '|')" '3|3|'
expect_eq "getint of an absent key" "$(sed -n 5p "$TMP/out")" "(not found)"
expect_eq "add over a decimal put" "$(sed -n 8,9p "$TMP/out" | tr '\n' '|')" '8|8|'
expect_eq "counters wrap around" "$(sed -n 12p "$TMP/out")" "-9223372036854775808"
expect_eq "add takes INT64_MIN and +N" "$(sed -n 15p "$TMP/out")" "-9223372036854775801"
expect_eq "getint of a put of 007" "$(sed -n 17p "$TMP/out")" "7"
expect_eq "getint of a put of -0" "$(sed -n 19p "$TMP/out")" "0"

# Bad numbers and missing arguments are usage errors that write nothing.
fresh
run "$DB" <<'EOF'
add bad x
add bad 1.5
add bad ""
add bad " 5"
add bad -
add bad 9223372036854775808
add bad -9223372036854775809
add bad "1\x005"
add bad
getint bad
EOF
expect_eq "bad N: nothing written" "$OUT" "(not found)"
expect_eq "bad N: piped run exits 1" "$RC" 1
expect_eq "bad N: one error line each" "$(printf '%s\n' "$ERR" | grep -c '^error: ')" 9
case "$ERR" in *"error: add: N must be a decimal integer from -9223372036854775808 to 9223372036854775807, not 'x': add KEY N"*) r=0 ;; *) r=1 ;; esac
check "bad N names the range and the usage" $r
case "$ERR" in *"error: add takes 2 arguments: add KEY N"*) r=0 ;; *) r=1 ;; esac
check "add without N is an argument-count error" $r
run "$DB" add bad abc </dev/null
expect_eq "one-shot bad N exits 2" "$RC" 2
run "$DB" add neg -5 </dev/null
expect_eq "one-shot add of a negative N" "$OUT" "OK"
run "$DB" getint neg </dev/null
expect_eq "one-shot getint" "$OUT" "-5"

# Fragments that do not combine: the reads fail, the shell goes on.
fresh
run "$DB" <<'EOF'
put k abc
add k 1
getint k
get k
put t abc
getint t
EOF
expect_eq "add over text: the writes succeed" "$OUT" "$(printf 'OK\nOK\nOK')"
expect_eq "add over text: piped run exits 1" "$RC" 1
expect_eq "add over text: getint, get and getint of text fail" \
  "$(printf '%s\n' "$ERR" | grep -c '^error: STRATA_ETYPE')" 3
run "$DB" getint k </dev/null
expect_eq "one-shot getint of a bad counter exits 1" "$RC" 1

# --- typed merges: latest-wins values ---------------------------------------
fresh
run "$DB" <<'EOF'
latest p 10 a
latest p 5 b
getlatest p
get p
latest p 10 c
getlatest p
latest z 0 zero
getlatest z
latest z 18446744073709551615 max
latest z 18446744073709551614 late
getlatest z
latest s 1 "x y"
getlatest s
latest e 2 ""
getlatest e
put q base
latest q 3 v
getlatest q
getlatest nothere
EOF
expect_eq "latest: script exits 0" "$RC" 0
expect_eq "latest: an older TS arriving later loses" "$(sed -n 3,4p "$TMP/out" | tr '\n' '|')" '10 a|a|'
expect_eq "latest: a tie goes to the later write" "$(sed -n 6p "$TMP/out")" "10 c"
expect_eq "latest: TS 0" "$(sed -n 8p "$TMP/out")" "0 zero"
expect_eq "latest: TS UINT64_MAX" "$(sed -n 11p "$TMP/out")" "18446744073709551615 max"
expect_eq "latest: value printed as get prints it" "$(sed -n 13,15p "$TMP/out" | tr '\n' '|')" '1 x y|OK|2 ""|'
expect_eq "latest: a put below is ignored" "$(sed -n 18p "$TMP/out")" "3 v"
expect_eq "getlatest of an absent key" "$(sed -n 19p "$TMP/out")" "(not found)"

fresh
run "$DB" <<'EOF'
latest p -1 v
latest p 18446744073709551616 v
latest p +1 v
latest p x v
latest p 5
getlatest p
put plain v
getlatest plain
add n 1
getlatest n
EOF
expect_eq "bad TS: nothing written" "$OUT" "$(printf '(not found)\nOK\nOK')"
case "$ERR" in *"error: latest: TS must be a decimal integer from 0 to 18446744073709551615, not '-1'"*) r=0 ;; *) r=1 ;; esac
check "negative TS refused" $r
case "$ERR" in *"not '18446744073709551616'"*) r=0 ;; *) r=1 ;; esac
check "TS over UINT64_MAX refused" $r
case "$ERR" in *"not '+1'"*) r=0 ;; *) r=1 ;; esac
check "TS with a sign refused" $r
case "$ERR" in *"error: latest takes 3 arguments"*) r=0 ;; *) r=1 ;; esac
check "latest without VALUE is an argument-count error" $r
expect_eq "getlatest of a plain put or a counter fails" "$(printf '%s\n' "$ERR" | grep -c '^error: STRATA_ETYPE')" 2
run "$DB" latest p -1 v </dev/null
expect_eq "one-shot bad TS exits 2" "$RC" 2

# --- typed merges: lists ----------------------------------------------------
fresh
run "$DB" <<'EOF'
append l a
append l "b c"
append l ""
append l "\x00\n"
list l
put b first
append b second
list b
append d x
del d
append d y
list d
put empty ""
list empty
list nothere
EOF
expect_eq "lists: script exits 0" "$RC" 0
expect_eq "list: oldest first, elements printed as values" "$(sed -n 5,8p "$TMP/out" | tr '\n' '|')" 'a|b c|""|"\x00\n"|'
expect_eq "list: a put below is the first element" "$(sed -n 11,12p "$TMP/out" | tr '\n' '|')" 'first|second|'
expect_eq "list: a delete starts it afresh" "$(sed -n 16p "$TMP/out")" "y"
expect_eq "list: no elements" "$(sed -n 18p "$TMP/out")" "(empty list)"
expect_eq "list of an absent key" "$(sed -n 19p "$TMP/out")" "(not found)"
run "$DB" list l </dev/null
expect_eq "one-shot list" "$OUT" "$(printf '%s\n' a 'b c' '""' '"\x00\n"')"

fresh
run "$DB" <<'EOF'
add k 1
append k x
get k
list k
getint k
put k reset
get k
put pl abc
list pl
append
EOF
expect_eq "add then append: reads fail until a put" "$OUT" "$(printf 'OK\nOK\nOK\nreset\nOK')"
expect_eq "add then append: get, list, getint fail" "$(printf '%s\n' "$ERR" | grep -c '^error: STRATA_ETYPE')" 3
case "$ERR" in *"error: STRATA_EINVAL: invalid argument: the value is not a list"*) r=0 ;; *) r=1 ;; esac
check "list of a plain value that is not a list" $r
case "$ERR" in *"error: append takes 2 arguments"*) r=0 ;; *) r=1 ;; esac
check "append without arguments is an argument-count error" $r

# --- typed keys in scans, through flush, compaction and reopen --------------
fresh
run "$DB" <<'EOF'
add a 2
add b 1
append b x
append c "y z"
latest d 7 v
put e plain
scan
count
EOF
etype='STRATA_ETYPE: fragments of different kinds do not combine'
want=$(printf '%s\n' 'a 2' "b (error) $etype" 'c "\x03y z"' 'd v' 'e plain')
expect_eq "scan marks a key that does not combine and goes on" "$(sed -n 7,11p "$TMP/out")" "$want"
expect_eq "count counts it" "$(sed -n 12p "$TMP/out")" "5"
expect_eq "scan with an unreadable key exits 1" "$RC" 1
case "$ERR" in *"error: scan: 1 key could not be read"*) r=0 ;; *) r=1 ;; esac
check "scan reports the unreadable key on stderr" $r
run "$DB" <<'EOF'
add a 3
append c w
latest d 3 old
flush
add a 4
append c v
compact
EOF
expect_eq "flush and compact of typed keys" "$RC" 0
run "$DB" <<'EOF'
getint a
list c
getlatest d
get b
EOF
expect_eq "typed reads after flush, compaction and reopen" "$OUT" "$(printf '%s\n' 9 'y z' w v '7 v')"
case "$ERR" in "error: STRATA_ETYPE"*) r=0 ;; *) r=1 ;; esac
check "a key that does not combine still fails after compaction" $r
run "$DB" scan </dev/null
want=$(printf '%s\n' 'a 9' "b (error) $etype" 'c "\x03y z\x01w\x01v"' 'd v' 'e plain')
expect_eq "scan after compaction and reopen" "$OUT" "$want"
run "$DB" help </dev/null
for c in "add KEY N" "getint KEY" "latest KEY TS VALUE" "getlatest KEY" "append KEY ELEMENT" "list KEY"; do
  case "$OUT" in *"$c"*) r=0 ;; *) r=1 ;; esac
  check "help lists $c" $r
done

# --- tuple keys ---------------------------------------------------------------
fresh
run "$DB" <<'EOF'
put (s:alice, u-:1700000000, i:-5) first
put (s:alice,u-:1700000100,i:7) second
put ( s:alice , u-:1700000050 , i:0 ) mid
put (s:bob, u-:1) bobby
put (s:alice_b, u-:9) other
put (s:"a b,c)", s-:zed, u:0, i-:-9223372036854775808) odd
put "(literal)" text
get (s:alice, u-:1700000000, i:-5)
get (s:alice, u-:1700000000)
scan
tuple (s:alice,u-:1700000000,i:-5)
tuple ()
get "(literal)"
EOF
expect_eq "tuples: script exits 0" "$RC" 0
expect_eq "tuples: no errors" "$ERR" ""
expect_eq "tuples: get by tuple key" "$(sed -n 8,9p "$TMP/out" | tr '\n' '|')" 'first|(not found)|'
# "(literal)" is text: its first byte, 0x28, sorts after the tag of a string.
want=$(printf '%s\n' '(s:"a b,c)", s-:zed, u:0, i-:-9223372036854775808) odd' \
  '(s:alice, u-:1700000100, i:7) second' '(s:alice, u-:1700000050, i:0) mid' \
  '(s:alice, u-:1700000000, i:-5) first' '(s:alice_b, u-:9) other' '(s:bob, u-:1) bobby' '"(literal)" text')
expect_eq "tuples: scan prints tuples, descending times newest first" "$(sed -n 10,16p "$TMP/out")" "$want"
expect_eq "tuple KEY decodes; blanks are optional" "$(sed -n 17p "$TMP/out")" '(s:alice, u-:1700000000, i:-5)'
expect_eq "tuple of the empty key" "$(sed -n 18p "$TMP/out")" '()'
expect_eq "a quoted (...) is the text itself" "$(sed -n 19p "$TMP/out")" 'text'

# The printed forms read back as the same keys, piped and one-shot.
run "$DB" <<'EOF'
get (s:"a b,c)", s-:zed, u:0, i-:-9223372036854775808)
count (s:alice) (s:alice_b)
count (s:alice, u-:1700000100) (s:alice, u-:1700000000)
feed (s:alice) 2
feed (s:alice) 0
feed (s:nobody) 5
feed () 1
EOF
expect_eq "tuples: the printed form reads back" "$(sed -n 1p "$TMP/out")" 'odd'
expect_eq "count over tuple bounds" "$(sed -n 2,3p "$TMP/out" | tr '\n' '|')" '3|2|'
want=$(printf '%s\n' '(s:alice, u-:1700000100, i:7) second' '(s:alice, u-:1700000050, i:0) mid')
expect_eq "feed PREFIX N: the first N of the partition" "$(sed -n 4,5p "$TMP/out")" "$want"
want=$(printf '%s\n' '(s:alice, u-:1700000100, i:7) second' '(s:alice, u-:1700000050, i:0) mid' \
  '(s:alice, u-:1700000000, i:-5) first')
expect_eq "feed PREFIX 0: the whole partition, without alice_b" "$(sed -n 6,8p "$TMP/out")" "$want"
expect_eq "feed of an empty partition prints nothing; () is every key" "$(sed -n 9,10p "$TMP/out")" \
  '(s:"a b,c)", s-:zed, u:0, i-:-9223372036854775808) odd'
expect_eq "feed script exits 0" "$RC" 0
run "$DB" get '(s:alice, u-:1700000050, i:0)' </dev/null
expect_eq "one-shot: a key argument starting with ( is a tuple" "$OUT" "mid"
run "$DB" feed '(s:bob)' 1 </dev/null
expect_eq "one-shot feed" "$OUT" '(s:bob, u-:1) bobby'
run "$DB" put plain '(s:not a key)' </dev/null
expect_eq "one-shot: a value starting with ( is taken literally" "$RC" 0
run "$DB" get plain </dev/null
expect_eq "a value starting with ( prints quoted" "$OUT" '"(s:not a key)"'

# Malformed tuples: one clear error each, nothing written, no crash.
fresh
run "$DB" <<'EOF'
put (x:1) v
put (s:a v
put (s:a)b v
put (s:) v
put (u:-1) v
put (u:18446744073709551616) v
put (i:9223372036854775808) v
put (i:1.5) v
put (s:a,) v
put (s:a u:1) v
put (s:a, (s:b) v
put (S:a) v
put (s:"a) v
put (s:"\q") v
put (s) v
put k (s:a)
tuple plain
count
EOF
expect_eq "malformed tuples: nothing written" "$OUT" "0"
expect_eq "malformed tuples: piped run exits 1" "$RC" 1
expect_eq "malformed tuples: one error line each" "$(printf '%s\n' "$ERR" | grep -c '^error: ')" 17
for want in "unknown element type 'x' at column 2" "unterminated tuple: no ')' for the '(' at column 5" \
  "text after the tuple's ')' at column 10" "the string at column 4 has no value (write s:\"\" for the empty string)" \
  "u: at column 4 needs a decimal integer from 0 to 18446744073709551615, not '-1'" \
  "not '18446744073709551616'" "not '9223372036854775808'" "not '1.5'" \
  "expected an element TYPE:VALUE at column 6" "expected ',' or ')' at column 6 of the tuple" \
  "tuples do not nest" "unknown element type 'S'" "unterminated double quote" "bad escape '\\q'" \
  "the element 's' at column 2 has no ':'" \
  "put: VALUE cannot be a tuple, only keys can" "tuple: plain: not a tuple"; do
  case "$ERR" in *"$want"*) r=0 ;; *) r=1 ;; esac
  check "malformed tuple reported: $want" $r
done
case "$ERR" in *"error: put: KEY: bad tuple (x:1): "*) r=0 ;; *) r=1 ;; esac
check "a bad tuple names the command, the argument and the tuple" $r
run "$DB" get '(s:a' </dev/null
expect_eq "one-shot malformed tuple exits 2" "$RC" 2
run "$DB" tuple plain </dev/null
expect_eq "one-shot tuple of a key that is not one exits 1" "$RC" 1

# A tuple over max_key_bytes (65536 by default) is refused before the library.
long=$(head -c 65600 /dev/zero | tr '\0' 'k')
printf 'put (s:%s) v\nput (s:%s) v\ncount\n' "$long" "${long:0:65000}" >"$TMP/long.txt"
run "$DB" <"$TMP/long.txt"
expect_eq "a tuple under the limit is written, one over it is not" "$(sed -n 2p "$TMP/out")" "1"
case "$ERR" in *"the key would be longer than max_key_bytes (65536 bytes)"*) r=0 ;; *) r=1 ;; esac
check "a tuple over max_key_bytes is reported" $r
expect_eq "the long tuple is cut short in the message" "$(printf '%s' "$ERR" | wc -c | tr -d ' ')" \
  "$(printf '%s' "$ERR" | head -c 400 | wc -c | tr -d ' ')"
run "$DB" get "(s:$long)" </dev/null
expect_eq "one-shot: a tuple over max_key_bytes exits 2" "$RC" 2

# --- delrange and delprefix --------------------------------------------------
fresh
run "$DB" <<'EOF'
put a 1
put b 2
put c 3
put d 4
put e 5
flush
delrange b d
scan
delrange d
scan
put z 26
delrange a a
count
EOF
expect_eq "delrange: script exits 0" "$RC" 0
expect_eq "delrange BEGIN END deletes [BEGIN, END)" "$(sed -n 7,10p "$TMP/out" | tr '\n' '|')" 'OK|a 1|d 4|e 5|'
expect_eq "delrange BEGIN deletes to the last key" "$(sed -n 11,12p "$TMP/out" | tr '\n' '|')" 'OK|a 1|'
expect_eq "an empty delrange; writes after a range delete are seen" "$(sed -n 14,15p "$TMP/out" | tr '\n' '|')" 'OK|2|'

run "$DB" <<'EOF'
delrange z a
delrange
count
EOF
expect_eq "reversed delrange bounds: nothing deleted" "$OUT" "2"
expect_eq "reversed delrange bounds: piped run exits 1" "$RC" 1
case "$ERR" in *"error: STRATA_EINVAL"*) r=0 ;; *) r=1 ;; esac
check "reversed delrange bounds are reported" $r
case "$ERR" in *"error: delrange takes 1 to 2 arguments: delrange BEGIN [END]"*) r=0 ;; *) r=1 ;; esac
check "delrange without arguments is an argument-count error" $r
run "$DB" delrange z a </dev/null
expect_eq "one-shot reversed delrange exits 1" "$RC" 1

fresh
run "$DB" <<'EOF'
put (s:alice, u-:1) a1
put (s:alice, u-:2) a2
put (s:alice_b, u-:1) b1
put (s:bob, u-:1) c1
add (s:alice, s:plays) 3
flush
delprefix (s:alice)
feed (s:alice) 0
count
delrange (s:alice_b) (s:bob)
scan
compact
EOF
expect_eq "delprefix: script exits 0" "$RC" 0
expect_eq "delprefix removes the partition only" "$(sed -n 7,8p "$TMP/out" | tr '\n' '|')" 'OK|2|'
expect_eq "delrange with tuple bounds" "$(sed -n 9,10p "$TMP/out" | tr '\n' '|')" 'OK|(s:bob, u-:1) c1|'
run "$DB" scan </dev/null
expect_eq "range deletes hold after compaction and reopen" "$OUT" '(s:bob, u-:1) c1'

run "$DB" feed '(s:bob)' x </dev/null
expect_eq "feed with a bad N is a usage error" "$RC" 2
case "$ERR" in *"error: feed: N must be a decimal integer from 0 (every key) to "*) r=0 ;; *) r=1 ;; esac
check "feed names the range of N" $r
run "$DB" help </dev/null
for c in "delrange BEGIN [END]" "delprefix PREFIX" "feed PREFIX N" "tuple KEY" "(s:alice, u-:1700000000, i:-5)"; do
  case "$OUT" in *"$c"*) r=0 ;; *) r=1 ;; esac
  check "help lists $c" $r
done

echo "shell: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
