#!/usr/bin/env bash
# Runs a libFuzzer binary for a bounded time over the checked-in corpus.
# New inputs go to a temporary directory, never into the repository.
# Usage: run_fuzz.sh FUZZER CORPUS_DIR SECONDS
set -euo pipefail
fuzzer=$1 corpus=$2 seconds=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$fuzzer" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$work/" "$work" "$corpus" 2>&1 | tail -n 5
