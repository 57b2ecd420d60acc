#!/usr/bin/env bash
# Builds the shipped client script, assets/auto-logout.min.js, from the readable source
# assets/auto-logout.js with the minifier pinned in package-lock.json (`npm ci` installs it).
#
#   bash assets/build.sh          rebuild assets/auto-logout.min.js
#   bash assets/build.sh --check  rebuild into a temporary file and fail if it differs
#                                 from the committed build (for CI)
#
# The build's first line is a banner with the SHA-256 of the source bytes, so a Rust
# test (no Node needed) can tell when the committed build no longer matches the source.
set -euo pipefail
cd "$(dirname "$0")/.."

source_file=assets/auto-logout.js
build_file=assets/auto-logout.min.js
terser=node_modules/.bin/terser

if [ ! -x "$terser" ]; then
  echo "build.sh: $terser not found; run \`npm ci\` first" >&2
  exit 1
fi

build() {
  local hash
  hash=$(sha256sum "$source_file" | cut -d' ' -f1)
  printf '/*! auto-logout | source sha256:%s */\n' "$hash"
  # ecma 2017: no newer syntax than the source uses. ascii_only: the tag embeds the
  # build inline, byte for byte. The source's own comments are dropped; the banner
  # above is the only one.
  "$terser" "$source_file" \
    --ecma 2017 \
    --compress passes=2 \
    --mangle \
    --comments false \
    --format ascii_only=true,inline_script=true
}

case "${1:-}" in
  "")
    build >"$build_file.tmp"
    mv "$build_file.tmp" "$build_file"
    echo "wrote $build_file: $(wc -c <"$build_file") bytes, $(gzip -9c <"$build_file" | wc -c) bytes gzip -9"
    ;;
  --check)
    fresh=$(mktemp)
    trap 'rm -f "$fresh"' EXIT
    build >"$fresh"
    if ! diff -q "$build_file" "$fresh" >/dev/null; then
      echo "build.sh --check: $build_file is not the build of $source_file; run \`npm run build\` and commit the result" >&2
      diff "$build_file" "$fresh" | head -20 >&2 || true
      exit 1
    fi
    echo "build.sh --check: $build_file is up to date"
    ;;
  *)
    echo "usage: bash assets/build.sh [--check]" >&2
    exit 2
    ;;
esac
