#!/usr/bin/env bash
# Checks the library's symbols with nm: every global symbol of the static library starts with strata_ or st_
# (no unprefixed names leak into a user's link), and the shared library exports only strata_* (the st_*
# internals stay hidden) and at least one of them, so a broken or empty build cannot pass. NM overrides nm.
set -euo pipefail

nm_cmd=${NM:-nm}

if [ "$#" -ne 2 ]; then
	echo "usage: $0 LIBSTRATA_A LIBSTRATA_SO   (env NM: the nm to use, default nm)" >&2
	exit 2
fi
lib_a=$1
lib_so=$2

for f in "$lib_a" "$lib_so"; do
	[ -f "$f" ] || { echo "check_symbols: '$f' is not a file" >&2; exit 2; }
done
magic() { od -An -tx1 -N8 "$1" | tr -d ' \n'; }
[ "$(magic "$lib_a")" = 213c617263683e0a ] || { echo "check_symbols: '$lib_a' is not an ar archive" >&2; exit 2; }
[[ "$(magic "$lib_so")" == 7f454c46* ]] || { echo "check_symbols: '$lib_so' is not an ELF file" >&2; exit 2; }

# Symbols the linker may define in a shared object's dynamic table on its own; never ours.
linker_symbols=" _init _fini _edata _end __bss_start "

violations=0
report() {
	echo "$1"
	violations=$((violations + 1))
}

# ---- (a) static library: global defined symbols are strata_* or st_* ---------
# nm -P -g --defined-only prints "archive[member]:" headers, then "name type value [size]" per global
# (external) defined symbol, whatever its type letter (T, D, B, R, C, W, V, u, i...).
if ! static_out=$("$nm_cmd" -P -g --defined-only "$lib_a"); then
	echo "check_symbols: $nm_cmd failed on '$lib_a'" >&2
	exit 2
fi
static_total=0
internal=0
public_a=0
while read -r member name type; do
	static_total=$((static_total + 1))
	case $name in
	strata_*) public_a=$((public_a + 1)) ;;
	st_*) internal=$((internal + 1)) ;;
	*) report "$lib_a($member): global symbol '$name' (type $type) lacks the strata_ or st_ prefix" ;;
	esac
done < <(printf '%s\n' "$static_out" | awk '
	/^[^ ]*\]:$/ { member = $0; sub(/^.*\[/, "", member); sub(/\]:$/, "", member); next }
	NF >= 2 { print (member == "" ? "-" : member), $1, $2 }')
if [ "$static_total" -eq 0 ]; then
	report "$lib_a: defines no global symbols"
fi

# ---- (b) shared library: dynamic exports are strata_* only --------------------
if ! dynamic_out=$("$nm_cmd" -P -D --defined-only "$lib_so"); then
	echo "check_symbols: $nm_cmd -D failed on '$lib_so'" >&2
	exit 2
fi
# nm prints versioned exports as name@VER or name@@VER, and each version node VER of a version script as
# an absolute (A) symbol of its own: that one is skipped only when some export does carry @VER.
versions=" $(printf '%s\n' "$dynamic_out" | awk '$1 ~ /@/ { v = $1; sub(/^[^@]*@+/, "", v); print v }' |
	sort -u | tr '\n' ' ')"
exported=0
while read -r name type; do
	if [ "$type" = A ] && [[ "$name" != *@* ]]; then
		case $versions in *" $name "*) continue ;; esac
	fi
	name=${name%%@*}
	case $linker_symbols in *" $name "*) continue ;; esac
	case $name in
	strata_*) exported=$((exported + 1)) ;;
	st_*) report "$lib_so: internal symbol '$name' (type $type) is exported; st_* must be hidden" ;;
	*) report "$lib_so: symbol '$name' (type $type) is exported; only strata_* may be" ;;
	esac
done < <(printf '%s\n' "$dynamic_out" | awk 'NF >= 2 && $0 !~ /:$/ { print $1, $2 }')

# ---- (c) shared library: exports something -----------------------------------
if [ "$exported" -eq 0 ]; then
	report "$lib_so: exports no strata_* symbol"
fi

summary="symbols: $exported exported, $internal internal, $violations violations"
if [ "$violations" -ne 0 ]; then
	echo "$summary" >&2
	exit 1
fi
echo "$summary"
