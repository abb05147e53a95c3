#!/bin/bash
# A short, bounded fuzz run for `meson test --suite fuzz`: FUZZER SECONDS CORPUS ARTIFACTS [ARGS].
# New inputs go to a temporary directory, so the committed corpus (read only here) never
# changes; a crashing input is saved in ARTIFACTS, and any crash, leak or failed invariant
# fails the test.
set -euo pipefail
fuzzer=$1 seconds=$2 corpus=$3 artifacts=$4
shift 4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$artifacts"
"$fuzzer" -max_total_time="$seconds" -error_exitcode=1 -timeout=10 -rss_limit_mb=1024 \
	-print_final_stats=1 -artifact_prefix="$artifacts/" "$@" "$work" "$corpus"
