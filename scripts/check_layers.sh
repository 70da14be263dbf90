#!/usr/bin/env bash
# Checks the one-way layer rule of src/ (DESIGN.md section 2): a layer may include headers only from its own
# layer or layers below it, and every folder of src/ must be a known layer. Also checks that tools/ and bench/
# include only "strata.h" and their own local headers, since they are clients of the public API.
set -euo pipefail

usage() {
	echo "usage: $0 [SRC_DIR]   (default: the src/ next to this script's folder)" >&2
	exit 2
}

[ "$#" -le 1 ] || usage
script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src_dir=${1:-"$script_dir/../src"}
[ -d "$src_dir" ] || { echo "check_layers: '$src_dir' is not a directory" >&2; exit 2; }
src_dir=$(cd "$src_dir" && pwd)
root_dir=$(dirname "$src_dir")

# Bottom to top. Adding a folder to src/ means adding it here, at its place.
layers=(base env format merge wal mem sst version iter compact db)

declare -A rank=()
for i in "${!layers[@]}"; do
	rank[${layers[$i]}]=$i
done

violations=0
files=0

report() {
	echo "$1"
	violations=$((violations + 1))
}

# Prints "LINE<TAB>PATH" for each quoted #include in file $1 (tolerates spaces around '#').
quoted_includes() {
	grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[^"]*"' "$1" |
		sed -E 's/^([0-9]+):[[:space:]]*#[[:space:]]*include[[:space:]]*"([^"]*)".*$/\1\t\2/' || true
}

# ---- src/: every top-level entry must be a layer folder ---------------------
while IFS= read -r -d '' entry; do
	name=$(basename "$entry")
	if [ ! -d "$entry" ]; then
		report "$entry: file outside any layer folder of src/"
	elif [ -z "${rank[$name]+x}" ]; then
		report "$entry/: folder '$name' is not a layer (add it to the list in $(basename "$0") at its place)"
	fi
done < <(find "$src_dir" -mindepth 1 -maxdepth 1 -print0 | sort -z)

# ---- src/<layer>/: includes go to the same layer or below -------------------
while IFS= read -r -d '' file; do
	files=$((files + 1))
	rel=${file#"$src_dir"/}
	layer=${rel%%/*}
	[ -n "${rank[$layer]+x}" ] || continue # already reported as a bad folder
	while IFS=$'\t' read -r line inc; do
		[ -n "$line" ] || continue
		[ "$inc" != "strata.h" ] || continue
		if [[ "$inc" != */* ]]; then
			report "$file:$line: layer '$layer' includes '$inc' without a layer folder (write '<layer>/$inc')"
			continue
		fi
		target=${inc%%/*}
		if [ -z "${rank[$target]+x}" ]; then
			report "$file:$line: layer '$layer' includes '$inc': '$target' is not a layer"
		elif [ "${rank[$target]}" -gt "${rank[$layer]}" ]; then
			report "$file:$line: layer '$layer' includes '$target/...' from a higher layer"
		fi
	done < <(quoted_includes "$file")
done < <(find "$src_dir" -type f \( -name '*.c' -o -name '*.h' -o -name '*.inc' \) -print0 | sort -z)

# ---- tools/, bench/: clients of strata.h only -------------------------------
for client in tools bench; do
	dir="$root_dir/$client"
	[ -d "$dir" ] || continue
	while IFS= read -r -d '' file; do
		files=$((files + 1))
		here=$(dirname "$file")
		while IFS=$'\t' read -r line inc; do
			[ -n "$line" ] || continue
			[ "$inc" != "strata.h" ] || continue
			if [[ "$inc" == */* ]] || [ ! -f "$here/$inc" ]; then
				report "$file:$line: $client includes '$inc': only \"strata.h\" and headers of its own folder are allowed"
			fi
		done < <(quoted_includes "$file")
	done < <(find "$dir" -type f \( -name '*.c' -o -name '*.h' -o -name '*.inc' \) -print0 | sort -z)
done

if [ "$violations" -ne 0 ]; then
	echo "layers: $files files checked, $violations violations" >&2
	exit 1
fi
echo "layers: $files files checked, 0 violations"
