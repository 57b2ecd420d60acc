#!/usr/bin/env bash
# Load against a model of the truth, optimised build: each demo stack (axum,
# actix-web) on each store (in memory, a real redis-server through the framework's
# own Redis store and through the crate's RedisStore), one run at a time.
# Fails on any 5xx, any logout earlier than SPEC §3 allows, any late one.
#
#   .ci/load.sh                                   # CI's short run (2,000 sessions, 12 simulated minutes)
#   AUTO_LOGOUT_LOAD_SESSIONS=5000 AUTO_LOGOUT_LOAD_MINUTES=30 .ci/load.sh   # BENCHMARKS.md's run
#
# `cargo test --workspace` also runs these tests, unoptimised and smaller
# (1,000 sessions, 6 simulated minutes).
set -euo pipefail
cd "$(dirname "$0")/.."

export AUTO_LOGOUT_REQUIRE_E2E="${AUTO_LOGOUT_REQUIRE_E2E:-1}"
cargo test --release --all-features --test load --no-run

for test in \
  axum_load::axum_memory_store_under_load_agrees_with_the_model \
  axum_load::axum_redis_store_under_load_agrees_with_the_model \
  axum_load::axum_crate_redis_store_under_load_agrees_with_the_model \
  actix_load::actix_memory_store_under_load_agrees_with_the_model \
  actix_load::actix_redis_store_under_load_agrees_with_the_model \
  actix_load::actix_crate_redis_store_under_load_agrees_with_the_model; do
  started=$(date +%s.%N)
  # One process per run, so each peak memory figure is the run's own.
  cargo test -q --release --all-features --test load -- --exact "$test" --nocapture
  echo "$test: $(echo "$(date +%s.%N) - $started" | bc) s including start-up"
done
