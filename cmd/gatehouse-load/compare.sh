#!/usr/bin/env bash
# compare.sh runs gatehouse-load against Gatehouse and moto_server, both on
# loopback, for GetUser and ListUsers (20 users) at several concurrency
# levels, RUNS times each, and prints the median of each cell as a Markdown
# table. Every run's JSON report is kept in $OUT/runs.jsonl. The target
# "floor" posts the same signed requests to Gatehouse's /_gatehouse/health,
# which answers without verifying or decoding anything: the cost of HTTP and
# signing alone on this machine, the ceiling for any handler. The target
# "gatehouse-noaudit" runs gatehouse serve --no-audit (no audit trail).
# Gatehouse runs as a user would start it: SQLite files in a data directory
# (under $OUT), the audit trail durable through its journal.
#
# Run it from the repository root:
#
#	cmd/gatehouse-load/compare.sh
#
# Environment (defaults in brackets): TARGETS [floor gatehouse
# gatehouse-noaudit moto], OPS [GetUser ListUsers], CONCURRENCY [8 32 64],
# RUNS [3], DURATION [10s], WARMUP [2s], USERS [20], OUT [a new temporary
# directory], GH_PORT [18080: the first of the Gatehouse targets' ports],
# MOTO_PORT [18090], GATEHOUSE [a gatehouse binary to use instead of building
# ./cmd/gatehouse], PIN [unset: server and load generator share both cores;
# set to 1 to pin the server to CPU 0 and the load generator to CPU 1].
set -euo pipefail

TARGETS=${TARGETS:-floor gatehouse gatehouse-noaudit moto}
OPS=${OPS:-GetUser ListUsers}
CONCURRENCY=${CONCURRENCY:-8 32 64}
RUNS=${RUNS:-3}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
USERS=${USERS:-20}
OUT=${OUT:-$(mktemp -d)}
GH_PORT=${GH_PORT:-18080}
MOTO_PORT=${MOTO_PORT:-18090}

server_cpu=() load_cpu=()
if [[ -n ${PIN:-} ]]; then
	server_cpu=(taskset -c 0) load_cpu=(taskset -c 1)
fi

mkdir -p "$OUT"
if [[ -n ${GATEHOUSE:-} ]]; then
	cp "$GATEHOUSE" "$OUT/gatehouse"
else
	go build -o "$OUT/gatehouse" ./cmd/gatehouse
fi
go build -o "$OUT/gatehouse-load" ./cmd/gatehouse-load

pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT

# wait_port waits until something listens on 127.0.0.1:$1.
wait_port() {
	for _ in $(seq 100); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
		sleep 0.1
	done
	echo "nothing listens on port $1" >&2
	return 1
}

# Every target's server starts first, each on a port of its own, and the
# runs are interleaved: round by round, each cell's run for every target
# back to back. Drifts in the machine's load then touch every target alike.
declare -A port path
next_port=$GH_PORT
for target in $TARGETS; do
	path[$target]=/
	case $target in
	gatehouse | gatehouse-noaudit | floor)
		flags=()
		if [[ $target == gatehouse-noaudit ]]; then flags=(--no-audit); fi
		if [[ $target == floor ]]; then path[$target]=/_gatehouse/health; fi
		port[$target]=$next_port
		next_port=$((next_port + 1))
		rm -rf "$OUT/data-$target"
		"${server_cpu[@]}" "$OUT/gatehouse" serve --data-dir "$OUT/data-$target" --addr "127.0.0.1:${port[$target]}" \
			--account-id 123456789012 --root-access-key-id test --root-secret-access-key test "${flags[@]}" >"$OUT/$target.log" 2>&1 & ;;
	moto)
		port[$target]=$MOTO_PORT
		"${server_cpu[@]}" moto_server -p "$MOTO_PORT" >"$OUT/moto.log" 2>&1 & ;;
	*) echo "unknown target $target" >&2; exit 2 ;;
	esac
	pids+=("$!")
	wait_port "${port[$target]}"
done

for run in $(seq "$RUNS"); do
	for op in $OPS; do
		for c in $CONCURRENCY; do
			for target in $TARGETS; do
				# The floor answers one thing; GetUser's signed requests measure it.
				if [[ $target == floor && $op != GetUser ]]; then continue; fi
				"${load_cpu[@]}" "$OUT/gatehouse-load" --endpoint "http://127.0.0.1:${port[$target]}${path[$target]}" \
					--access-key test --secret-key test --op "$op" --setup "$USERS" --concurrency "$c" \
					--duration "$DURATION" --warmup "$WARMUP" --json |
					jq -c --arg target "$target" --argjson run "$run" '. + {target: $target, run: $run}' |
					tee -a "$OUT/runs.jsonl" >&2
			done
		done
	done
done

echo "runs: $OUT/runs.jsonl"
echo
echo "| target | op | concurrency | req/s (median) | p50 ms | p90 ms | p99 ms | max ms | errors | runs (req/s) | load avg after |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
jq -rs '
	def median: sort | if length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end;
	def r1: . * 10 | round / 10;
	def r2: . * 100 | round / 100;
	group_by([.target, .op, .concurrency])[] |
	"| \(.[0].target) | \(.[0].op) | \(.[0].concurrency) | \(map(.requests_per_second) | median | round)" +
	" | \(map(.p50_ms) | median | r2) | \(map(.p90_ms) | median | r2) | \(map(.p99_ms) | median | r2)" +
	" | \(map(.max_ms) | median | r1) | \(map(.errors | to_entries | map(.value) | add // 0) | add)" +
	" | \(map(.requests_per_second | round | tostring) | join(", "))" +
	" | \(map(.load_average_after | split(" ")[0]) | join(", ")) |"
' "$OUT/runs.jsonl"
