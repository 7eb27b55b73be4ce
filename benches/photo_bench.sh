#!/usr/bin/env bash
# What photos cost a build (issue 14): the digest as it is against the digest with one photo per
# report (examples/photo_site.rs: every report a page bundle with a generated JPEG, 3000 × 2000
# by default), built from scratch (every image encoded: timed once, it takes minutes) and
# rebuilt (every image from the output's cache). Whole processes, output on disk. Generated
# data under bench-work/photos/ (git-ignored).
#
#   benches/photo_bench.sh [runs] [width]
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
runs="${1:-5}"
width="${2:-3000}"
work="$repo/bench-work/photos"
target="${CARGO_TARGET_DIR:-$repo/target}"
mkdir -p "$work"
(cd "$repo" && cargo build --release --quiet --bin casebook --example photo_site)
"$target/release/examples/photo_site" "$repo" "$work/site" "$width"
bin="$target/release/casebook"
du -sh "$work/site/content/reports" | sed 's/^/source reports with photos: /'
rm -rf "$work/photo-out"
/usr/bin/time -f "from scratch, every photo encoded: %e s wall, %U s user, %S s system, %M KB peak" \
  "$bin" build --root "$work/site" --output "$work/photo-out"
hyperfine --runs "$runs" --warmup 1 \
  --prepare "rm -rf '$work/plain-out'" \
  --command-name "digest, no photos, from scratch" \
  "'$bin' build --quiet --root '$repo' --output '$work/plain-out'" \
  --prepare "true" \
  --command-name "digest + 1 photo/report, rebuild (cache)" \
  "'$bin' build --quiet --root '$work/site' --output '$work/photo-out'" \
  --export-markdown "$work/results.md"
"$bin" build --root "$work/site" --output "$work/photo-out" 2>&1 | tail -1
du -sh --exclude=.casebook-cache "$work/photo-out" | sed 's/^/output with photos (cache excluded): /'
du -sh "$work/photo-out/.casebook-cache" | sed 's/^/image cache: /'
