#!/usr/bin/env bash
# Issue 4's second GPU round (after the first, bench/gpu_issue4.sh): fused AdamW, faster
# scoring, ResNet34 with a longer limit, batch 1024 at 56 px. Output appended to $OUT/log.
set -u
export PYTHONPATH="$PWD/src" PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1
OUT="${OUT:-/tmp/bench-out}"; mkdir -p "$OUT"
step() {
    local limit=$1; shift
    echo "=== $(date -u +%T) python3 $*" | tee -a "$OUT/log"
    timeout "$limit" python3 "$@" 2>&1 | tr '\r' '\n' | grep -E '^[a-z_]+ +|^\{|Error|error' | tee -a "$OUT/log"
}
nvidia-smi --query-gpu=name --format=csv,noheader | tee -a "$OUT/log"
step 45 bench/train.py --model legacy_seresnet50 --size 56 --batch-size 512 --events 32768 --steps 60 --precision bf16
step 45 bench/train.py --model legacy_seresnet50 --size 56 --batch-size 1024 --events 32768 --steps 30 --precision bf16
step 90 bench/train.py --model resnet34 --size 224 --batch-size 256 --events 4096 --steps 30 --precision bf16
step 130 bench/train_end_to_end.py --model legacy_seresnet50 --size 56 --batch-size 512 --score-events 50000
step 60 bench/train_end_to_end.py --model legacy_senet154 --size 224 --batch-size 64 --train-events 1024 --val-events 512 --frozen-epochs 0 --epochs 1 --score-events 32768
echo "=== $(date -u +%T) done" | tee -a "$OUT/log"
