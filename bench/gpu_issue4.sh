#!/usr/bin/env bash
# Issue 4's GPU measurements in one go (device machine: torch/timm/Lightning of its image,
# this checkout on PYTHONPATH). Each step has its own time limit so one slow step cannot eat
# the others; everything is appended to $OUT/log.
set -u
export PYTHONPATH="$PWD/src" PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1
OUT="${OUT:-/tmp/bench-out}"; mkdir -p "$OUT"
step() {
    local limit=$1; shift
    echo "=== $(date -u +%T) python3 $*" | tee -a "$OUT/log"
    timeout "$limit" python3 "$@" 2>&1 | tr '\r' '\n' | grep -v -E 'it/s\]|s/it\]|^\s*$' | tee -a "$OUT/log"
}
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee -a "$OUT/log"
python3 -c "import torch, timm, pytorch_lightning as pl, numpy, h5py; print('torch', torch.__version__, 'timm', timm.__version__, 'lightning', pl.__version__, 'numpy', numpy.__version__)" | tee -a "$OUT/log"
step 80 bench/train.py --model legacy_seresnet50 --size 56 --batch-size 512 --events 65536 --steps 100 --precision bf16
step 80 bench/train.py --model resnet34 --size 224 --batch-size 256 --events 16384 --steps 60 --precision bf16
step 110 bench/train.py --model legacy_senet154 --size 224 --batch-size 64 --events 4096 --steps 40 --precision bf16 --infer-batch-size 256
step 190 bench/train_end_to_end.py --model legacy_seresnet50 --size 56 --batch-size 512
step 100 bench/train_end_to_end.py --model legacy_senet154 --size 224 --batch-size 64 --train-events 4096 --val-events 1024 --frozen-epochs 0 --epochs 1 --score-events 32768
echo "=== $(date -u +%T) done" | tee -a "$OUT/log"
