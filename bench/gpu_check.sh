#!/usr/bin/env bash
# Issue 14's device check, one call of at most 8 minutes (device machine: its own torch,
# timm, Lightning and numpy; this checkout on PYTHONPATH; nothing installed, no internet).
#
#   bash bench/gpu_check.sh              # on the GPU
#   bash bench/gpu_check.sh --cpu-smoke  # the same steps with tiny models, on a CPU (checks
#                                        # the script itself, ~2 minutes on 2 cores)
#
# Steps, in the order of what the issue needs most (REFERENCE.md / bench/RESULTS.md targets):
#   1-4  bench/train.py: project vs bare-loop training images/s and their ratio for
#        SE-ResNet50 @ 56 (batch 512, then 1024), ResNet34 @ 224, SENet154 @ 224;
#   5    bench/train_end_to_end.py: run 7's two-stage 4+4 epochs on 200k events (<= 120 s);
#   6    bench/score_full_size.py: SENet154 scoring of 550k events at 224 px (<= 4 min; it
#        prints its progress per chunk, so a run cut by the budget still gives a rate);
#   7    SE-ResNet50 @ 56 batch 512 with torch.compile mode reduce-overhead (CUDA graphs; the
#        option issue 14 adds, off by default until this measures it), with what is left.
# Each step has its own time limit (timeout), cut further to what is left of the overall
# budget, so one slow step cannot eat the others. Every step's output goes to
# $DIR/<step>.log, its result (the last JSON line) to $DIR/<step>.json, and $DIR/summary.md
# is rewritten after every step: partial results are on disk as they come. With $OUT set (the
# device machine's return folder) $DIR is copied there after every step too.
set -u
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD/src" PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1

MODE=gpu
if [[ "${1:-}" == "--cpu-smoke" || "${GPU_CHECK_CPU_SMOKE:-0}" == 1 ]]; then
    MODE=cpu-smoke
fi
PYTHON="${PYTHON:-python3}"
BUDGET="${GPU_CHECK_BUDGET:-470}"  # seconds for all steps; the call's limit is 480
DIR="${GPU_CHECK_DIR:-bench/results/gpu_check_${MODE}_$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$DIR"
START=$(date +%s)

summary() {
    "$PYTHON" bench/gpu_check_table.py "$DIR" > "$DIR/summary.md.tmp" && mv "$DIR/summary.md.tmp" "$DIR/summary.md"
    if [[ -n "${OUT:-}" ]]; then
        mkdir -p "$OUT/$(basename "$DIR")" && cp "$DIR"/* "$OUT/$(basename "$DIR")/"
    fi
}

# step NAME LIMIT SCRIPT ARGS...: run one benchmark under min(LIMIT, what is left).
step() {
    local name=$1 limit=$2
    shift 2
    local left=$((BUDGET - ($(date +%s) - START)))
    if ((left < 10)); then
        echo "{\"step\": \"$name\", \"status\": \"skipped: overall budget spent\"}" > "$DIR/$name.json"
        summary
        return
    fi
    ((limit > left)) && limit=$left
    echo "=== $(date -u +%T) $name (limit ${limit}s): $*" | tee -a "$DIR/run.log"
    local began=$(date +%s)
    timeout --kill-after=5 "$limit" "$PYTHON" "$@" > "$DIR/$name.log" 2>&1
    local rc=$? seconds=$(($(date +%s) - began))
    local status=ok
    ((rc == 124 || rc == 137)) && status="ran past its ${limit}s limit"
    ((rc != 0 && rc != 124 && rc != 137)) && status="failed (exit $rc)"
    # The result is the last JSON line; a step cut short keeps its last progress line.
    local line
    line=$(tr '\r' '\n' < "$DIR/$name.log" | grep -E '^\{' | tail -n 1)
    "$PYTHON" - "$name" "$status" "$seconds" "${line:-{\}}" > "$DIR/$name.json" <<'EOF'
import json, sys
name, status, seconds, line = sys.argv[1:]
result = json.loads(line)
print(json.dumps({"step": name, "status": status, "seconds": int(seconds), **result}, indent=1))
EOF
    echo "    $status in ${seconds}s: ${line:0:300}" | tee -a "$DIR/run.log"
    summary
}

{
    echo "mode $MODE, $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo "no nvidia-smi"
    "$PYTHON" -c "import torch, timm, pytorch_lightning as pl, numpy; print('torch', torch.__version__, 'timm', timm.__version__, 'lightning', pl.__version__, 'numpy', numpy.__version__)"
} | tee "$DIR/environment.txt"

if [[ $MODE == gpu ]]; then
    T=(--precision bf16 --no-inference)
    step 1_seresnet50_56_b512 45 bench/train.py --model legacy_seresnet50 --size 56 --batch-size 512 --events 24576 --steps 40 "${T[@]}"
    step 2_seresnet50_56_b1024 45 bench/train.py --model legacy_seresnet50 --size 56 --batch-size 1024 --events 26624 --steps 20 "${T[@]}"
    step 3_resnet34_224_b256 50 bench/train.py --model resnet34 --size 224 --batch-size 256 --events 6400 --steps 20 "${T[@]}"
    step 4_senet154_224_b64 60 bench/train.py --model legacy_senet154 --size 224 --batch-size 64 --events 1280 --steps 15 "${T[@]}"
    step 5_end_to_end_seresnet50_4+4_200k 165 bench/train_end_to_end.py --model legacy_seresnet50 --size 56 --batch-size 512 --score-events 20000
    step 6_score_senet154_550k 300 bench/score_full_size.py --model legacy_senet154 --size 224 --events 550000
    step 7_seresnet50_56_b512_cudagraphs 90 bench/train.py --model legacy_seresnet50 --size 56 --batch-size 512 --events 24576 --steps 40 --compile-mode reduce-overhead "${T[@]}"
else
    T=(--threads 1 --no-inference)
    step 1_seresnet50_56_b512 60 bench/train.py --model test_resnet --size 16 --batch-size 32 --events 1024 --steps 10 --warmup 2 "${T[@]}"
    step 2_seresnet50_56_b1024 60 bench/train.py --model test_resnet --size 16 --batch-size 64 --events 1024 --steps 5 --warmup 2 "${T[@]}"
    step 3_resnet34_224_b256 60 bench/train.py --model test_resnet --size 32 --batch-size 16 --events 256 --steps 5 --warmup 2 "${T[@]}"
    step 4_senet154_224_b64 60 bench/train.py --model test_resnet --size 32 --batch-size 8 --events 128 --steps 5 --warmup 2 "${T[@]}"
    step 5_end_to_end_seresnet50_4+4_200k 90 bench/train_end_to_end.py --model test_resnet --size 16 --batch-size 64 --train-events 2000 --val-events 500 --score-events 1000 --frozen-epochs 1 --epochs 1 --threads 1
    step 6_score_senet154_550k 60 bench/score_full_size.py --model test_resnet --size 32 --events 20000 --distinct 4 --threads 1
    step 7_seresnet50_56_b512_cudagraphs 5 bench/train.py --model test_resnet --size 16 --batch-size 32 --events 1024 --steps 10 --warmup 2 --compile-mode reduce-overhead "${T[@]}"
fi
echo "=== $(date -u +%T) done in $(($(date +%s) - START))s; results in $DIR" | tee -a "$DIR/run.log"
summary
