#!/usr/bin/env bash
# Proves a refactor changed no output: builds content/ with the binary of a base revision and
# with the working tree's, and compares every output file by SHA-256. tantivy's segment files
# have random names and are left out (the browser index, built from the same postings, is in), and
# so is the build's own cache (.casebook-cache: its table of what it made holds file stamps).
#
#   scripts/same-output.sh [BASE_REV] [ROOT]    # BASE_REV defaults to HEAD, ROOT to the repo
#
# The base binary builds the working tree's content with the base revision's site.yaml, so a
# change that adds a setting (and sets it in site.yaml) is compared fairly.
# Exit status 0 when the outputs are byte-identical; otherwise the differing paths are listed.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
base="${1:-HEAD}"
root="${2:-$repo}"
work="$(mktemp -d "${TMPDIR:-/tmp}/casebook-same.XXXXXX")"
trap 'git -C "$repo" worktree remove --force "$work/base" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

git -C "$repo" worktree add --detach "$work/base" "$base" >/dev/null 2>&1
# A target folder of its own, kept between runs, so only casebook itself recompiles.
(cd "$work/base" && CARGO_TARGET_DIR="$repo/target/same-output" cargo build --release --quiet --bin casebook)
(cd "$repo" && cargo build --release --quiet --bin casebook)

# The base binary reads the base revision's site.yaml (a new setting would be unknown to it).
base_root="$root"
if [ "$root" = "$repo" ]; then
  mkdir -p "$work/base-root"
  cp -r "$repo/content" "$work/base-root/"
  git -C "$repo" show "$base:site.yaml" >"$work/base-root/site.yaml"
  # themes/ here is also the embedded theme's source: the base binary gets the base's copy.
  git -C "$repo" archive "$base" themes | tar -x -C "$work/base-root"
  base_root="$work/base-root"
fi
"$repo/target/same-output/release/casebook" build --root "$base_root" --output "$work/a" >"$work/log" 2>&1 || { cat "$work/log"; exit 2; }
"$repo/target/release/casebook" build --root "$root" --output "$work/b" >"$work/log" 2>&1 || { cat "$work/log"; exit 2; }

hashes() { (cd "$1" && find . -type f ! -path './.casebook-cache/*' -print0 | sort -z | xargs -0 sha256sum); }
if diff <(hashes "$work/a") <(hashes "$work/b") >"$work/diff"; then
  echo "same output: $(hashes "$work/a" | wc -l) files identical ($base vs working tree)"
else
  echo "output differs ($base vs working tree):"
  grep '^[<>]' "$work/diff" | awk '{print $1, $3}' | sort -k2 | uniq
  exit 1
fi
