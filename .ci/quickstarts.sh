#!/usr/bin/env bash
# The README's quick starts as a reader uses them: each one's Cargo.toml lines and main.rs,
# copied into a fresh crate outside the repository (auto-logout taken from this checkout by
# path, every other dependency as the README writes it), built, then started and asked
# for its pages with curl.
#
# Offline: the versions are resolved against this repository's Cargo.lock and the crates
# CI has already fetched, and a quick start that needs a crate the lock does not hold
# fails here. The target directory is this one, with the repository's profile settings,
# so dependencies built with the same features are reused.
set -euo pipefail
cd "$(dirname "$0")/.."
repository=$PWD
export LC_ALL=C # one sort order for comm
if ! command -v curl >/dev/null 2>&1; then
  echo "installing: curl"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq curl
fi
started=$SECONDS
work=$(mktemp -d)
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# The fenced block right after the line `<!-- quickstart:NAME FILE -->` in README.md.
block() {
  local mark="<!-- quickstart:$1 $2 -->"
  [ "$(grep -cxF -- "$mark" README.md)" = 1 ] || {
    echo "README.md: want exactly one line '$mark'" >&2
    return 1
  }
  awk -v mark="$mark" '
    state == 0 && $0 == mark { state = 1; next }
    state == 1 && /^```/ { state = 2; next }
    state == 1 && NF { exit 1 }          # something other than the block after the mark
    state == 2 && /^```/ { done = 1; exit }
    state == 2 { print }
    END { if (!done) exit 1 }
  ' README.md || {
    echo "README.md: no fenced block right after '$mark'" >&2
    return 1
  }
}

# "name version" of every package in a Cargo.lock.
locked() {
  awk '/^name = / { name = $3 } /^version = / { print name, $3 }' "$1" | tr -d '"' | sort -u
}

# The crate: [package], the README's lines with auto-logout by path, the repository's
# [profile.*] sections, and its own [workspace] so no directory above it is taken for one.
make_crate() {
  local name=$1 dir=$2 toml
  toml=$(block "$name" Cargo.toml)
  grep -qE '^auto-logout = \{ version = "[^"]+", ' <<<"$toml" || {
    echo "quickstart $name: no 'auto-logout = { version = \"...\", ...' line" >&2
    return 1
  }
  mkdir -p "$dir/src"
  {
    printf '[package]\nname = "quickstart-%s"\nversion = "0.1.0"\nedition = "2024"\npublish = false\n\n' "$name"
    sed -E "s|^auto-logout = \{ version = \"[^\"]+\", |auto-logout = { path = \"$repository\", |" <<<"$toml"
    echo
    awk '/^\[/ { keep = ($0 ~ /^\[profile\./) } keep' Cargo.toml
    printf '\n[workspace]\n'
  } >"$dir/Cargo.toml"
  block "$name" main.rs >"$dir/src/main.rs"
  cp Cargo.lock "$dir/Cargo.lock"
}

# Starts the built app on a port of the system's choosing, bounded in time, and sets
# $server and $url from the address it prints.
start() {
  local bin=$1 log=$2
  ADDR=127.0.0.1:0 timeout 120 "$bin" >"$log.out" 2>"$log.err" &
  server=$!
  url=""
  for _ in $(seq 100); do
    url=$(grep -oE 'http://[^ ]+/' "$log.out" | head -1 || true)
    [ -n "$url" ] && return 0
    kill -0 "$server" 2>/dev/null || break
    sleep 0.1
  done
  echo "the app printed no address; its output:" >&2
  cat "$log.out" "$log.err" >&2
  return 1
}

# One request: prints the status code, keeps the headers in $work/headers and the body
# in $work/body, and the cookies in the jar.
fetch() {
  curl -sS --max-time 10 -o "$work/body" -D "$work/headers" -b "$work/jar" -c "$work/jar" \
    -w '%{http_code}' "$@"
}

header() { grep -i "^$1:" "$work/headers" | head -1 | cut -d' ' -f2- | tr -d '\r'; }

fail() {
  echo "quickstart $name: $*" >&2
  echo "--- headers" >&2
  cat "$work/headers" >&2
  echo "--- body (first 600 bytes)" >&2
  head -c 600 "$work/body" >&2
  echo >&2
  exit 1
}

expect_redirect() { # status location, after fetch
  local status=$1 location=$2
  [ "$status" = 303 ] || fail "want 303, got $status"
  [ "$(header location)" = "$location" ] || fail "want Location $location"
}

expect_page() { # status, after fetch
  [ "$1" = 200 ] || fail "want 200, got $1"
  header content-type | grep -qi '^text/html' || fail "want Content-Type text/html"
}

repository_lock=$(locked Cargo.lock)
for name in axum actix; do
  step_started=$SECONDS
  dir=$work/quickstart-$name
  make_crate "$name" "$dir"
  echo "quickstart $name: building $(grep -c '' "$dir/src/main.rs") lines of main.rs"
  (cd "$dir" && CARGO_TARGET_DIR="$repository/target" timeout 900 cargo build --offline)
  # Every crate it resolved to is one the repository's lock holds: the README's versions
  # need nothing CI has not fetched.
  extra=$(comm -13 <(echo "$repository_lock") <(locked "$dir/Cargo.lock" | grep -v "^quickstart-$name "))
  [ -z "$extra" ] || {
    echo "quickstart $name: resolves to crates Cargo.lock does not hold:" >&2
    echo "$extra" >&2
    exit 1
  }

  start "$repository/target/debug/quickstart-$name" "$work/$name"
  # Same host as the address the app listens on: cookies are kept per host name.
  url=${url/localhost/127.0.0.1}
  rm -f "$work/jar"
  # Anonymous: the protected page sends to the sign-in page, which is a page.
  expect_redirect "$(fetch "$url")" /login
  expect_page "$(fetch "${url}login")"
  grep -q '<form method="post">' "$work/body" || fail "no sign-in form"
  # Signed in: the page is HTML and carries the script, as a tag, not escaped text.
  expect_redirect "$(fetch -d user=ada -d password=demo "${url}login")" /
  expect_page "$(fetch "$url")"
  grep -q 'Hello ada' "$work/body" || fail "not the signed-in page"
  grep -q '<script' "$work/body" || fail "no script tag"
  ! grep -q '&lt;script' "$work/body" || fail "the script tag is escaped"
  grep -qE '<link rel="stylesheet" href="[^"]+\.css">' "$work/body" || fail "no stylesheet link"
  # Signed out: the protected page sends to the sign-in page again.
  expect_redirect "$(fetch -X POST "${url}logout")" /login
  expect_redirect "$(fetch "$url")" /login
  kill "$server"
  wait "$server" 2>/dev/null || true
  server=""
  echo "quickstart $name: built and answered as expected in $((SECONDS - step_started)) s"
done
echo "quickstarts: $((SECONDS - started)) s"
