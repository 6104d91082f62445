#!/usr/bin/env bash
# bench-process.sh: the whole-process figures of doc/performance.md, each
# beside its baseline, timed by tools/benchproc and printed as `go test
# -bench` lines (make bench feeds them to tools/benchtable with the rest).
#
#   tools/bench-process.sh            every figure
#   RUNS=3 tools/bench-process.sh     fewer runs of each
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs=${RUNS:-5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The binary is measured as installed (copied), not as the linker left it:
# the linker's output sits in the page cache in large pages, which count
# whole in a process's resident memory once touched (about 15-70 MB more
# peak RSS on this kernel, the same code).
go build -o "$tmp/build/phonecheck" ./cmd/phonecheck
cp "$tmp/build/phonecheck" "$tmp/phonecheck"
go build -o "$tmp/benchproc" ./tools/benchproc
go build -o "$tmp/nyarukaloop" ./tools/nyarukaloop
go run ./tools/gennumbers -n 200000 -seed 2 >"$tmp/200k.txt"
go run ./tools/gennumbers -n 1000000 >"$tmp/1m.txt"
echo "044 668 18 00" >"$tmp/1.txt"
pc=$tmp/phonecheck
bp() { "$tmp/benchproc" -n "$runs" "$@"; }

# Start-up: one line beside the command that does nothing (package
# initialization and exit alone).
bp -name validate-1-line -vs "$pc version" -vs-name version -- "$pc" validate -q --region CH -o "$tmp/1.csv" "$tmp/1.txt"
# 200k lines beside the plain nyaruka loop writing the same columns.
bp -name validate-200k-csv -vs "$tmp/nyarukaloop -region CH $tmp/200k.txt" -vs-name nyaruka-loop -- "$pc" validate -q --region CH -o "$tmp/200k.csv" "$tmp/200k.txt"
# 1M lines, each format (written atomically, fsync included).
for f in csv jsonl xlsx; do
	bp -name "validate-1M-$f" -- "$pc" validate -q --region CH -o "$tmp/1m.$f" "$tmp/1m.txt"
done
# Spreadsheet inputs: a 1M-row, 6-column contact export as CSV beside the
# plain one-number-per-line file of the same size, and the same rows as XLSX.
go run ./tools/gennumbers -n 1000000 -format csv >"$tmp/1m-contacts.csv"
go run ./tools/gennumbers -n 1000000 -format xlsx >"$tmp/1m-contacts.xlsx"
bp -name validate-1M-table-csv -vs "$pc validate -q --region CH -o $tmp/1m-plain.csv $tmp/1m.txt" -vs-name plain-text -- "$pc" validate -q --region CH -o "$tmp/1m-contacts.out.csv" "$tmp/1m-contacts.csv"
bp -name validate-1M-table-xlsx-in -- "$pc" validate -q --region CH -o "$tmp/1m-contacts.out2.csv" "$tmp/1m-contacts.xlsx"
