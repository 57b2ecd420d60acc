#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for a bounded time: FUZZ_SECONDS each
# (default 60), on the stable toolchain (`-s none`: no sanitizer, so no
# nightly), with debug assertions and overflow checks on (`-a`).
#
# Each run starts from the seed corpus kept in fuzz/corpus/<target>/ and writes
# the inputs it discovers to a scratch directory, so the kept corpus stays
# small. Every target runs even when an earlier one crashed; the script fails
# when any did, and the crashing input is left in fuzz/artifacts/<target>/
# (reproduce with `cargo fuzz run -s none -a <target> <that file>` in fuzz/).
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

seconds="${FUZZ_SECONDS:-60}"
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

started=$SECONDS
cargo fuzz build -s none -a
mapfile -t targets < <(cargo fuzz list)

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
failed=()
summary=()
for target in "${targets[@]}"; do
  mkdir -p "$scratch/$target" "corpus/$target"
  log="$scratch/$target.log"
  echo "fuzz $target: ${seconds}s"
  t0=$SECONDS
  if cargo fuzz run -s none -a "$target" "$scratch/$target" "corpus/$target" -- \
    -max_total_time="$seconds" -timeout=30 -print_final_stats=1 >"$log" 2>&1; then
    status=ok
  else
    status=CRASHED
    failed+=("$target")
    # The panic (cut: an assertion may quote a whole tag), then cargo-fuzz's
    # summary: the input, its Debug form and the command that reproduces it.
    grep -a -m 1 -A 1 -E 'panicked at|ERROR: libFuzzer|==ERROR' "$log" | cut -c 1-300 || true
    grep -a -m 2 -E '^ *(left|right):' "$log" | cut -c 1-2000 || true
    sed -n '/^Failing input/,$p' "$log"
  fi
  elapsed=$((SECONDS - t0))
  # libFuzzer's own count: `stat::number_of_executed_units: N`, else the last `#N` line.
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
  if [ -z "$runs" ]; then
    runs="$(grep -aoE '^#[0-9]+' "$log" | tail -n 1 | tr -d '#')"
  fi
  # libFuzzer's own rate leaves out the build check and the start-up.
  rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)"
  line="$target: $status, ${runs:-0} runs in ${elapsed}s"
  if [ -n "$rate" ] && [ "$status" = ok ]; then
    line="$line ($rate runs/s)"
  fi
  echo "fuzz $line"
  summary+=("$line")
done

echo "fuzz summary (${FUZZ_SECONDS:-60}s per target, $((SECONDS - started))s in all, build included):"
printf '  %s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: crashed: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
  exit 1
fi
