#!/usr/bin/env bash
# Fails unless every scenario test class (control's *ScenarioTest.java: real namespaces, TAPs and tools) ran in the
# last `mvn verify` with at least one test and none skipped, read from surefire's reports. CI runs it after
# ./run-tests, so a scenario suite that was skipped, not found or not run at all cannot pass unseen.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
reports=control/target/surefire-reports
problems=()
count=0
while IFS= read -r src; do
  class="$(sed -e 's|^control/src/test/java/||' -e 's|\.java$||' -e 's|/|.|g' <<<"$src")"
  count=$((count + 1))
  xml="$reports/TEST-$class.xml"
  if [ ! -f "$xml" ]; then
    problems+=("$class: no report (it did not run)")
    continue
  fi
  head="$(grep -m1 -o '<testsuite [^>]*>' "$xml")"
  attr() { grep -o " $1=\"[0-9]*\"" <<<"$head" | grep -o '[0-9]*' || echo 0; }
  tests="$(attr tests)"; skipped="$(attr skipped)"
  if [ "$tests" -eq 0 ] || [ "$skipped" -ne 0 ]; then
    problems+=("$class: $tests tests, $skipped skipped")
  fi
done < <(find control/src/test/java -name '*ScenarioTest.java' | sort)
if [ "$count" -eq 0 ]; then
  problems+=("no *ScenarioTest.java found")
fi
if [ ${#problems[@]} -gt 0 ]; then
  printf 'check-scenarios-ran: %s\n' "${problems[@]}" >&2
  exit 1
fi
echo "check-scenarios-ran: all $count scenario test classes ran, none skipped"
