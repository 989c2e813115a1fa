#!/usr/bin/env bash
# Runs every Accord test. Tests that need ../shared/fixtures, node packages or
# Debian tools skip with a message saying what is missing.
set -euo pipefail
cd "$(dirname "$0")"
go test -count=1 -timeout 30m ./... "$@"
