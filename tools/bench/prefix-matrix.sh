#!/usr/bin/env bash
# Every scenario of docs/benchmarks/ that the PREFIX_CACHE default is judged on (docs/benchmarks/goodput.md,
# "PREFILL_WORK becomes the PREFIX_CACHE default"): gie-reference against the prefix profiles, one run each, in virtual time.
#   tools/bench/prefix-matrix.sh [policies]    default policies: gie-reference,mesh-predicted,mesh-prefill-work
# Prints "== scenario :: arguments" and one row per policy: | policy | errors | TTFT mean | p90 | p99 | out tok/s |.
# Trace scenarios read ../shared/workloads (WORKLOADS=dir to change); without it they are skipped and say so.
set -euo pipefail
case "${1:-}" in -h|--help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
cd "$(dirname "$0")/../.."
P="${1:-gie-reference,mesh-predicted,mesh-prefill-work}"
W="${WORKLOADS:-../shared/workloads}"
dotnet build tools/bench -c Release -nologo -v:q >/dev/null
B=(dotnet tools/bench/bin/Release/net10.0/bench.dll)

run() {
  local name="$1"; shift
  echo "== $name :: $*"
  "${B[@]}" replay "$@" --no-series 2>&1 \
    | grep -E "│ +(gie|mesh|least|round|greedy|best)" | grep -vE "│ +(Critical|Standard|Sheddable) +│" \
    | awk -F'│' '{gsub(/ +/," "); print "|"$2"|"$4"|"$5"|"$7"|"$8"|"$13"|"}'
}
trace() {
  local name="$1" file="$2"; shift 2
  if [ -f "$W/$file" ]; then run "$name" --trace "$W/$file" "$@"; else echo "== $name :: skipped: $W/$file not found (public traces, not in this repository)"; fi
}

trace mooncake-conv-16l20 mooncake/conversation_trace.jsonl --max-model-len 131072 --servers 16 --profile l20 --policies "$P"
trace mooncake-synth-16l20 mooncake/synthetic_trace.jsonl --max-model-len 131072 --servers 16 --profile l20 --policies "$P"
trace mooncake-conv-3000-4a10 mooncake/conversation_trace.jsonl --requests 3000 --profile a10 --servers 4 --max-model-len 131072 \
  --policies "$P,mesh-predicted-overflow,mesh-prefill-work-overflow"
run multi-round-qa-4l20 --workload multi-round-qa --servers 4 --profile l20 --policies "$P"
run load-balancing-8l20 --workload load-balancing --servers 8 --profile l20 --policies "$P"
for s in 8 4 2; do run "load-balancing-${s}a10" --workload load-balancing --servers "$s" --profile a10 --policies "$P"; done
for ls in 1.0 1.3; do
  trace "azure-conv-6000-2l20-x$ls" azure/AzureLLMInferenceTrace_conv.csv --requests 6000 --servers 2 --profile l20 --load-scale "$ls" --policies "$P"
done
run hetero-a-mixed --workload load-balancing --fleet a10:4,l20:2,h100:2 --policies "$P"
trace hetero-b-azure-code-mixed azure/AzureLLMInferenceTrace_code.csv --load-scale 11 --fleet a10:4,l20:2,h100:2 --policies "$P"
run hetero-c-slow --workload load-balancing --profile l20 --servers 8 --slow 7:0.25 --policies "$P"
run hetero-stall --workload load-balancing --profile l20 --servers 8 --stall 7:2000:1000 --policies "$P"
trace hetero-azure-code-slow azure/AzureLLMInferenceTrace_code.csv --requests 3000 --load-scale 6 --profile l20 --servers 8 --slow 7:0.25 --policies "$P"
run seed-004 --workload seed-004 --profile qwq-32b-tp4-a10 --servers 5 --policies "$P"
for s in 3 2; do
  run "seed-priority-${s}a10" --workload seed-priority --profile a10 --servers "$s" --lora-adapters travel-helper-v1 --max-loras 2 --policies "$P"
done
run priority-2a10 --workload priority --servers 2 --profile a10 --policies "$P"
for seed in 1 2 3 4; do run "agentic-docqa-3a10-seed$seed" --workload agentic-docqa --profile a10 --servers 3 --seed "$seed" --policies "$P"; done
run eviction-chat-4a10 --workload eviction-chat --profile a10 --servers 4 --load-scale 0.6 --policies "$P,mesh-predicted-precise,mesh-prefill-work-precise"
run eviction-chat-4a10-resets-cap2750 --workload eviction-chat --profile a10 --servers 4 --load-scale 0.6 --approx-capacity 2750 \
  --cache-reset-every 60 --policies "$P,mesh-predicted-precise,mesh-prefill-work-precise"
