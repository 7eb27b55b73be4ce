#!/usr/bin/env bash
# Runs every test of the project: Rust unit and integration tests, the search client's Node tests,
# and the browser tests (which install Chromium, fonts and npm packages on first run).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo test"
cargo test --release --all-targets

if [ -d tests/js ] && ls tests/js/*.test.mjs >/dev/null 2>&1; then
  echo "== node tests (search client)"
  node --test tests/js/
fi

if [ -x tests/browser/run.sh ]; then
  echo "== browser tests"
  tests/browser/run.sh
fi
