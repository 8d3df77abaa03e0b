#!/usr/bin/env bash
# Runs every fuzz target in the module for FUZZTIME (default 10s): a smoke run in `make test`, a deeper one
# with `FUZZTIME=10m hack/fuzz.sh`. Go runs one fuzz target per invocation, hence the loop.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-10s}
found=0
while IFS= read -r file; do
  pkg=./$(dirname "$file")
  for target in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$file" | sed 's/^func //'); do
    found=1
    echo "fuzz $pkg $target ($fuzztime)"
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg"
  done
done < <(git ls-files --cached --others --exclude-standard '*_test.go' | xargs grep -l '^func Fuzz' | sort)
if [ "$found" = 0 ]; then echo "no fuzz targets found" >&2; exit 1; fi
