#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang under ASan + UBSan
# (in build-fuzz/, apart from the normal build) and runs each for a bounded
# time on a copy of its seed corpus.
#   scripts/fuzz.sh [SECONDS_PER_TARGET]     default 60
#   FUZZ_TARGETS="fuzz_expr fuzz_range" scripts/fuzz.sh 600    some targets
# Prints per target the executions, the coverage and the findings; exits 1
# on any crash, leak, timeout (an input that takes over FUZZ_TIMEOUT
# seconds, 2 by default: a hang is a finding), memory blow-up or sanitizer
# report. The inputs found are in build-fuzz/run/TARGET/ (crash-*, leak-*,
# timeout-*, oom-*); replay one with `build-fuzz/tests/fuzz/TARGET FILE`.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_TARGET=${1:-60}
case $SECONDS_PER_TARGET in
'' | *[!0-9]* | 0) echo "usage: $0 [SECONDS_PER_TARGET]" >&2; exit 2 ;;
esac
BUILD_DIR=${FUZZ_BUILD_DIR:-build-fuzz}
TIMEOUT=${FUZZ_TIMEOUT:-2}
RSS_MB=${FUZZ_RSS_MB:-2048}
ALL_TARGETS=(fuzz_yaml fuzz_expr fuzz_range fuzz_time fuzz_json_pointer fuzz_octets fuzz_inmail)
read -r -a TARGETS <<<"${FUZZ_TARGETS:-${ALL_TARGETS[*]}}"

# What the build needs, and clang with its libFuzzer runtime
# (libclang-rt-14-dev: clang only recommends it, through libclang-common-14-dev).
scripts/deps.sh clang libclang-rt-14-dev

cmake -S . -B "$BUILD_DIR" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DGPROBE_FUZZ=ON -DGPROBE_WERROR=ON >/dev/null
cmake --build "$BUILD_DIR" --target fuzz -j"$(nproc)"

# Leaks are findings; a UBSan report stops the run (the build does not
# recover from one) and prints its stack.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=0
summary=()
for t in "${TARGETS[@]}"; do
  bin=$BUILD_DIR/tests/fuzz/$t
  seeds=tests/fuzz/corpus/$t
  if [ ! -x "$bin" ] || [ ! -d "$seeds" ]; then
    echo "fuzz: no target '$t' (or no corpus $seeds)" >&2
    exit 2
  fi
  run=$BUILD_DIR/run/$t
  rm -rf "$run"
  mkdir -p "$run/corpus"
  cp -r "$seeds/." "$run/corpus/"
  args=(-max_total_time="$SECONDS_PER_TARGET" -timeout="$TIMEOUT" -rss_limit_mb="$RSS_MB"
        -print_final_stats=1 -artifact_prefix="$run/")
  [ -f "tests/fuzz/dict/$t.dict" ] && args+=(-dict="tests/fuzz/dict/$t.dict")
  echo "fuzz: $t for ${SECONDS_PER_TARGET}s"
  # libFuzzer stops itself after max_total_time (plus the input it is on);
  # the outer bound catches anything that keeps it from doing so.
  rc=0
  TIMEFORMAT='%U %S'
  { time timeout --kill-after=10 $((SECONDS_PER_TARGET + 60)) \
      "$bin" "${args[@]}" "$run/corpus" >"$run/log" 2>&1 || rc=$?; } 2>"$run/cpu"
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$run/log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$run/log" | tail -1 || true)
  cpu=$(awk '{printf "%.0f", $1 + $2}' "$run/cpu")
  found=$(find "$run" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' -o \
            -name 'timeout-*' -o -name 'oom-*' \) -printf '%f ' | sort)
  size=$(find "$run/corpus" -type f | wc -l)
  if [ "$rc" -ne 0 ] || [ -n "$found" ]; then
    failed=1
    result="FAILED (exit $rc) ${found:-}"
    echo "fuzz: $t: finding; from $run/log:" >&2
    grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz: |.*runtime error:|ALARM|==[0-9]+== ERROR: libFuzzer)' \
      "$run/log" | head -20 >&2 || true
  else
    result=ok
  fi
  summary+=("$(printf '%-18s execs %-10s %-22s corpus %-6s cpu %ss  %s' "$t" "${execs:-?}" \
    "${cov:-cov: ?}" "$size" "$cpu" "$result")")
done

echo
echo "fuzz: ${SECONDS_PER_TARGET}s per target, timeout ${TIMEOUT}s, rss limit ${RSS_MB} MB"
printf '%s\n' "${summary[@]}"
exit "$failed"
