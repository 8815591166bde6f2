#!/usr/bin/env bash
# The prepared GPU check for training (issue 8): bench/train_throughput.py with the full-size
# architecture (random weights, synthetic cached latents of 10 s) at batch 16 in bf16 on one GPU:
# steps/s, samples/s and peak memory. A few minutes.
#
# It needs only torch, the project and pure-Python wheels. The GPU image has torch, lightning,
# transformers, tokenizers, safetensors and numpy; diffusers is the wheel it lacks.
#
#   here, once (needs PyPI):   bash bench/gpu_check_train.sh --wheels    # downloads it into .whl/
#   on the GPU machine:        bash bench/gpu_check_train.sh             # carry .whl; figures land in $OUT
#
# Then batch 16 in fp32 (for the mixed-precision gain) and batch 32 in bf16 (how it scales), each under
# its own time limit so that a slow run cannot eat the main figure.
set -euo pipefail
cd "$(dirname "$0")/.."

WHEELS=(diffusers==0.42.1)

source bench/gpu_common.sh
if [[ "${1:-}" == "--wheels" ]]; then
    fetch_pure_wheels "${WHEELS[@]}"
    exit 0
fi

OUT="${OUT:-/tmp/train-throughput}"
gpu_setup "$OUT"
python3 -c "import torch, diffusers, lightning; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'diffusers', diffusers.__version__, 'lightning', lightning.__version__)"

status=0
run() {  # NAME LIMIT_S ARGS...
    local name=$1 limit=$2
    shift 2
    timeout "$limit" python3 bench/train_throughput.py --device cuda --size full --steps 20 --warmup 5 \
        --json "$OUT/$name.json" "$@" 2>&1 | tee "$OUT/$name.txt" || status=$?
}
run train_bf16_b16 240 --batch-size 16 --precision bf16
run train_fp32_b16 150 --batch-size 16 --precision fp32
run train_bf16_b32 150 --batch-size 32 --precision bf16
exit "$status"
