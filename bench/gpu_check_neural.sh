#!/usr/bin/env bash
# The prepared GPU check for neural editing (issues 6 and 16), a few minutes on one GPU:
#   1. bench/neural_speed.py on CUDA in bf16 with SDPA attention, eager, then with the DiT under
#      torch.compile (CUDA graphs): seconds per 10 s clip at 8-100 steps, clips/s at batch 8;
#   2. bench/neural_speed.py --overhead: a sampling step's host time outside the networks, per noise
#      version, at batch 1 and 8, 216 and 1024 frames (target: under 0.5 ms at batch 8 x 1024);
#   3. bench/t5_precision_check.py: T5's fp16 embeddings against fp32 (finite, cosine >= 0.999).
#
# It needs torch, the project and a few wheels. The GPU image has torch, transformers, tokenizers,
# safetensors, scipy and numpy; it lacks the pure-Python wheels below, and soundfile (with its cffi),
# which engine.audio_io imports (engine.ops.registry imports it, and the editor's windows need regions).
#
#   here, once (needs PyPI):   bash bench/gpu_check_neural.sh --wheels   # downloads them into .whl/
#                              echo /.whl/ >> .git/info/exclude          # so they travel only when carried
#   on the GPU machine:        bash bench/gpu_check_neural.sh            # carry .whl; figures land in $OUT
#   here, without a GPU:       bash bench/gpu_check_neural.sh --cpu-smoke
#
# --cpu-smoke runs every step above on the CPU with the tiny model, short clips and few steps (a few
# minutes), so the script is known to work before a GPU is lent; tests/test_neural_settings.py runs it.
# Each bench run has its own time limit, so a slow compile cannot eat the eager figures.
set -euo pipefail
cd "$(dirname "$0")/.."

PURE=(diffusers==0.42.1 torchsde==0.2.6 trampoline==0.1.2 pyloudnorm==0.2.0 pycparser==3.0)
BINARY=(soundfile==0.13.1 cffi==2.0.0)  # small manylinux wheels (soundfile carries its own libsndfile)

source bench/gpu_common.sh
if [[ "${1:-}" == "--wheels" ]]; then
    fetch_pure_wheels "${PURE[@]}"
    python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 -d .whl --implementation cp \
        --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 "${BINARY[@]}"
    exit 0
fi

if [[ "${1:-}" == "--cpu-smoke" ]]; then
    OUT="${OUT:-/tmp/neural-smoke}"
    mkdir -p "$OUT"
    DEVICE=cpu PRECISION=fp32 SPEED=(--size tiny --seconds 2 --repeat 1 --whole)
    OVERHEAD=(--overhead-steps 10 --v1-steps 2) T5=(--size tiny) COMPILE=default
else
    OUT="${OUT:-/tmp/neural-speed}"
    gpu_setup "$OUT"
    DEVICE=cuda PRECISION=bf16 SPEED=() OVERHEAD=() T5=(--size full) COMPILE=reduce-overhead
fi
python3 -c "import torch, diffusers; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'diffusers', diffusers.__version__)"

status=0
step() {  # step SECONDS NAME COMMAND...: run with a time limit, tee into $OUT/NAME.txt, remember a failure
    local limit=$1 name=$2
    shift 2
    timeout "$limit" "$@" 2>&1 | tee "$OUT/$name.txt" || status=$?
}
step 300 neural_speed_eager python3 bench/neural_speed.py --device "$DEVICE" \
    --precision "$PRECISION" "${SPEED[@]}" --json "$OUT/neural_speed_eager.json"
step 320 neural_speed_compiled python3 bench/neural_speed.py --device "$DEVICE" --precision "$PRECISION" \
    --compile "$COMPILE" "${SPEED[@]}" --json "$OUT/neural_speed_compiled.json"
step 300 sampler_overhead python3 bench/neural_speed.py --overhead --device "$DEVICE" "${OVERHEAD[@]}" \
    --json "$OUT/sampler_overhead.json"
step 120 t5_precision python3 bench/t5_precision_check.py --device "$DEVICE" "${T5[@]}" --json "$OUT/t5_precision.json"
exit "$status"
