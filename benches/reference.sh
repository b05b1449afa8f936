#!/usr/bin/env bash
# Reference speeds for the README's headline table, on this machine:
#   1. faultline's kernel benchmarks (criterion): M/M/1, the hand-written BinaryHeap loop, and
#      the sensor pipeline at x1, x10 and x100 (benches/kernel.rs);
#   2. the same M/M/1 in SimPy, lean and idiomatic (benches/simpy_mm1.py), in a virtual
#      environment under target/ so nothing is installed system-wide.
# Usage: bash benches/reference.sh [criterion filter]   (about 3 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/bench-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "simpy==4.1.2"
fi
"$venv/bin/python" benches/simpy_mm1.py
cargo bench --bench kernel -- "${1:-baseline|faultline/mm1|scale}" 2>&1 |
  grep -E "^(baseline|faultline|scale|engine)/[^ ]+ *(time|:)|thrpt:" || true
