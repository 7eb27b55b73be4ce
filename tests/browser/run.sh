#!/usr/bin/env bash
# Browser tests of the default theme on the real digest: installs what a fresh Debian machine lacks
# (Chromium, CJK fonts, poppler-utils, the npm packages), builds the site with the release binary
# into a temp folder, and runs the node:test files here against it (served on 127.0.0.1 by the
# tests themselves, and opened from disk).
#
# Screenshots and PDF pages land in tests/browser/shots/ (git-ignored), to be looked at.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

# System packages, only when something is missing: apt is slow and needs root.
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
dpkg-query -W -f='${Status}' fonts-noto-cjk 2>/dev/null | grep -q 'ok installed' || need+=(fonts-noto-cjk)
command -v pdfinfo >/dev/null 2>&1 || need+=(poppler-utils)
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
  echo "browser tests: installing ${need[*]}"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${need[@]}"
fi

# npm packages exactly as locked; skipped when node_modules already matches the lock file.
if ! cmp -s "$here/package-lock.json" "$here/node_modules/.package-lock.json.ci" 2>/dev/null; then
  (cd "$here" && npm ci --no-audit --no-fund)
  cp "$here/package-lock.json" "$here/node_modules/.package-lock.json.ci"
fi

# The release binary builds the real digest into a temp folder (never the repo's output/).
(cd "$repo" && cargo build --release --bin casebook)
target="${CARGO_TARGET_DIR:-$repo/target}"
case "$target" in /*) ;; *) target="$repo/$target" ;; esac
out="$(mktemp -d "${TMPDIR:-/tmp}/casebook-browser.XXXXXX")"
trap 'rm -rf "$out"' EXIT
"$target/release/casebook" build --root "$repo" --output "$out/site"
export CASEBOOK_BIN="$target/release/casebook"

export CASEBOOK_SITE="$out/site"
export CASEBOOK_SHOTS="${CASEBOOK_SHOTS:-$here/shots}"
mkdir -p "$CASEBOOK_SHOTS"
cd "$here"
node --test ./*.test.mjs
