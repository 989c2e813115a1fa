#!/usr/bin/env bash
# Runs every Accord test. Tests that need ../shared/fixtures, node packages or
# Debian tools skip with a message saying what is missing; the end of the
# output lists every skipped test with its reason. The exit status is go test's.
set -uo pipefail
cd "$(dirname "$0")"
report=internal/testreport
# Build the reporter first, so that a broken reporter cannot hide test output.
bin=$(mktemp -d)/testreport
trap 'rm -rf "$(dirname "$bin")"' EXIT
if ! go build -o "$bin" "./$report"; then
  echo "test.sh: cannot build $report; running go test without the skip summary"
  exec go test -count=1 -timeout 30m ./... "$@"
fi
go test -count=1 -timeout 30m -json ./... "$@" | "$bin"
status=("${PIPESTATUS[@]}")
if [ "${status[1]}" != 0 ]; then
  echo "test.sh: the skip summary failed (status ${status[1]})"
fi
exit "${status[0]}"
