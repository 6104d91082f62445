#!/usr/bin/env bash
# bench-up.sh: the README's main command under load. Starts `phonecheck up`
# in a temp directory, drops number files into its inbox and prints the wall
# time from the drop to the last summary.json, the CPU time up spent in it,
# and up's peak RSS.
#
#   tools/bench-up.sh 1000000        one file of 1M lines
#   tools/bench-up.sh 100 1000       1,000 files of 100 lines
#
# It prints first how long up took from launch to ready, and its CPU then.
# UP_FLAGS adds flags to up (say --log-level info). HISTORY=1 prints the
# runs' history events and timed-out workflow tasks (tools/histcount), and
# PHONECHECK_CPUPROFILE=FILE has up write a CPU profile there as it stops.
# KEEP=DIR keeps the
# results and up's logs there, for a look at each file's summary.json (its
# start, finish and stage times).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
lines=${1:-1000000}
files=${2:-1}
bin=$(mktemp -d)/phonecheck
# Measured as installed (copied): the linker's output sits in the page cache
# in large pages, which count whole in the peak RSS once touched.
go build -o "$bin.linked" ./cmd/phonecheck
cp "$bin.linked" "$bin"
go build -o "$(dirname "$bin")/gennumbers" ./tools/gennumbers
demo=$(mktemp -d)
trap 'kill "${pid:-}" 2>/dev/null && wait "${pid:-}" 2>/dev/null; rm -rf "$demo" "$(dirname "$bin")"' EXIT

# The files are written next to the inbox first, then moved in: a drop of
# files finished earlier (their time a minute back), which the watcher takes
# at once. A file written into the inbox itself waits the settle window (2 s)
# after its last write; SETTLED=0 drops files written just now.
mkdir -p "$demo/staging"
for i in $(seq 1 "$files"); do
	"$(dirname "$bin")/gennumbers" -n "$lines" -seed "$i" >"$demo/staging/n$i.txt"
done
if [ "${SETTLED:-1}" = 1 ]; then
	touch -d '1 minute ago' "$demo"/staging/*.txt
fi
launched=$(date +%s.%N)
(cd "$demo" && exec "$bin" up --region CH --data-dir state --inbox inbox --out results --temporal-listen "127.0.0.1:${TEMPORAL_PORT:-17433}" --api-listen "127.0.0.1:${API_PORT:-18480}" --no-ui ${UP_FLAGS:-} >up.log 2>up.err) &
pid=$!
for _ in $(seq 1 3000); do grep -q "phonecheck is up" "$demo/up.log" 2>/dev/null && break; sleep 0.02; done
grep -q "phonecheck is up" "$demo/up.log" || { cat "$demo/up.err"; exit 1; }
ready=$(date +%s.%N)

cputime() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$pid/stat"; }
printf 'up from launch to ready: %.2f s wall, %.2f s CPU\n' "$(echo "$ready - $launched" | bc)" "$(cputime)"
cpu0=$(cputime)
start=$(date +%s.%N)
# mv of several files stats each one after moving it, and the watcher may
# have claimed it by then ("cannot stat"): what counts is that every file
# left staging/.
mv "$demo"/staging/*.txt "$demo/inbox/" 2>"$demo/mv.err" || true
if compgen -G "$demo/staging/*.txt" >/dev/null; then
	echo "files could not be moved into the inbox:" >&2
	cat "$demo/mv.err" >&2
	exit 1
fi
while [ "$(find "$demo/results" -name summary.json 2>/dev/null | wc -l)" -lt "$files" ]; do
	if ! kill -0 "$pid" 2>/dev/null; then
		echo "phonecheck up exited" >&2
		tail -20 "$demo/up.err" >&2
		exit 1
	fi
	if [ -n "$(ls "$demo/failed/inbox" 2>/dev/null)" ]; then
		echo "a file failed:" >&2
		cat "$demo"/failed/inbox/*.reason >&2
		exit 1
	fi
	sleep 0.1
done
end=$(date +%s.%N)
cpu1=$(cputime)
peak=$(awk '/VmHWM/ {print int($2/1024)}' "/proc/$pid/status")
cores=$(nproc)
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
if [ "${HISTORY:-}" = 1 ]; then
	go run ./tools/histcount -address "127.0.0.1:${TEMPORAL_PORT:-17433}"
fi
if [ -n "${KEEP:-}" ]; then
	mkdir -p "$KEEP" && cp -r "$demo/results" "$demo/up.log" "$demo/up.err" "$KEEP/"
fi
printf '%d file(s) of %d lines through up: %.1f s wall, %.1f s CPU, peak RSS %d MB (%d cores, %s)\n' \
	"$files" "$lines" "$(echo "$end - $start" | bc)" "$(echo "$cpu1 - $cpu0" | bc)" "$peak" "$cores" "$cpu"
if [ "$files" -eq 1 ]; then
	sum=$(ls "$demo"/results/*/summary.json)
	started=$(date -d "$(sed -n 's/.*"started_at": "\(.*\)".*/\1/p' "$sum")" +%s.%N)
	printf 'drop to workflow start %.2f s (settle window and claim)\n' "$(echo "$started - $start" | bc)"
	sed -n '/stage_seconds/,/}/p' "$sum"
fi
