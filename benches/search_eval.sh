#!/usr/bin/env bash
# Search quality and size, casebook against Pagefind (issue 3, "Budgets"), in one run.
#
# Installs what a fresh Debian machine lacks (Chromium, Node, npm; pagefind and playwright-core
# pinned, into the git-ignored bench-work/), builds the release binary (skipped when
# CASEBOOK_BIN names one), then runs benches/search_eval.mjs, which copies the digest to a temp
# dir, builds it, runs Pagefind over the same site, builds 100x and 1000x copies, and prints the table
# (also written to bench-work/search_eval.md). Takes about an hour on 2 cores with the 1000x site
# (119,000 reports, several GB while it runs; removed after).
#
#   benches/search_eval.sh                  # everything: 1x, 100x (copies, mixed bodies), 1000x
#   benches/search_eval.sh --scale 100      # 1x and 100x only
#   benches/search_eval.sh --scale 0        # the digest only
#   benches/search_eval.sh --no-pagefind    # casebook only
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
work="${BENCH_WORK:-$repo/bench-work}"

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
  echo "search_eval: installing ${need[*]}"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${need[@]}"
fi

# npm packages, pinned; skipped when already there at these versions.
pagefind_v=1.6.0
playwright_v=1.65.1
opencc_v=1.4.2 # traditional query sets (MIT; its OpenCC data Apache-2.0)
mkdir -p "$work"
[ -f "$work/package.json" ] || echo '{ "name": "casebook-bench-work", "private": true }' >"$work/package.json"
version_of() { node -p "require('$work/node_modules/$1/package.json').version" 2>/dev/null || true; }
if [ "$(version_of pagefind)" != "$pagefind_v" ] || [ "$(version_of playwright-core)" != "$playwright_v" ] \
  || [ "$(version_of opencc-js)" != "$opencc_v" ]; then
  (cd "$work" && npm install --no-audit --no-fund "pagefind@$pagefind_v" "playwright-core@$playwright_v" "opencc-js@$opencc_v")
fi

# The binary under test: the release build of this checkout, unless CASEBOOK_BIN is given.
if [ -z "${CASEBOOK_BIN:-}" ]; then
  (cd "$repo" && cargo build --release --bin casebook)
  target="${CARGO_TARGET_DIR:-$repo/target}"
  case "$target" in /*) ;; *) target="$repo/$target" ;; esac
  export CASEBOOK_BIN="$target/release/casebook"
fi

exec node "$here/search_eval.mjs" --work "$work" "$@"
