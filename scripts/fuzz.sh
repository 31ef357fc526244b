#!/usr/bin/env bash
# Fuzzes the dataplane's Jazzer targets (@FuzzTest methods), one after the other, for SECONDS each:
#   scripts/fuzz.sh [SECONDS] [Class#method ...]        (default: 30 s, every target)
# A target that finds a crash or a broken invariant fails, and Jazzer saves the input under
# dataplane/src/test/resources/dev/vnet/dataplane/fuzz/<Class>Inputs/<method>/, where the normal test run
# (regression mode) replays it from then on: commit it with the fix. The growing corpus stays in
# dataplane/.cifuzz-corpus/ (not committed). Prints each target's executions at the end.
# A target that did not fuzz (a misspelt or renamed target, no "Done N runs" from libFuzzer) fails too: a fuzz run
# that fuzzed nothing must not pass. The log of a failed target is kept and named.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
seconds="${1:-30}"
[ $# -gt 0 ] && shift
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(PipelineFuzzTest#frames WireFuzzTest#headers WireFuzzTest#softwareOffload WireFuzzTest#pcapng
    VxlanFuzzTest#groBatch)
fi
summary=()
for t in "${targets[@]}"; do
  log="$(mktemp)"
  echo "fuzzing $t for ${seconds} s ..."
  # Jazzer's JUnit integration fuzzes one target per JVM; its libFuzzer arguments come in as
  # jazzer.internal.arg.N configuration parameters (arg.0 stands for argv[0]).
  # No -Dsurefire.failIfNoSpecifiedTests=false: a target that does not exist must fail, not run nothing.
  if ! JAZZER_FUZZ=1 mvn -B -ntp -pl dataplane test -Dtest="$t" \
      -Djazzer.internal.arg.0=fuzz -Djazzer.internal.arg.1=-max_total_time="$seconds" >"$log" 2>&1; then
    grep -E '== Java Exception|FuzzTest|Caused by|Assertion|crash-|Tests run|No tests' "$log" | head -40 >&2 || true
    echo "fuzz.sh: $t failed (full log: $log)" >&2
    exit 1
  fi
  done_line="$(grep -E '^Done [0-9]+ runs' "$log" | tail -1 || true)"
  if [ -z "$done_line" ]; then
    grep -E 'Tests run|No tests|FuzzTest' "$log" | head -20 >&2 || true
    echo "fuzz.sh: $t did not fuzz: libFuzzer never said 'Done N runs' (full log: $log)" >&2
    exit 1
  fi
  cov="$(grep -E '^#[0-9]+.*DONE' "$log" | tail -1 | grep -oE 'cov: [0-9]+' || true)"
  summary+=("$t: $done_line ${cov:+($cov)}")
  rm -f "$log"
done
printf 'fuzz.sh: %s\n' "${summary[@]}"
