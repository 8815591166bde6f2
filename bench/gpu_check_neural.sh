#!/usr/bin/env bash
# The prepared GPU check for neural editing (issue 6): bench/neural_speed.py on CUDA in bf16 with
# SDPA attention, first eager, then with the DiT under torch.compile (CUDA graphs). A few minutes.
#
# It needs torch, the project and a few wheels. The GPU image has torch, transformers, tokenizers,
# safetensors, scipy and numpy; it lacks the pure-Python wheels below, and soundfile (with its cffi),
# which engine.audio_io imports (engine.ops.registry imports it, and the editor's windows need regions).
#
#   here, once (needs PyPI):   bash bench/gpu_check_neural.sh --wheels   # downloads them into .whl/
#                              echo /.whl/ >> .git/info/exclude          # so they travel only when carried
#   on the GPU machine:        bash bench/gpu_check_neural.sh            # carry .whl; figures land in $OUT
#
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

OUT="${OUT:-/tmp/neural-speed}"
gpu_setup "$OUT"
python3 -c "import torch, diffusers; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'diffusers', diffusers.__version__)"

status=0
timeout 200 python3 bench/neural_speed.py --device cuda --precision bf16 --json "$OUT/neural_speed_bf16.json" \
    2>&1 | tee "$OUT/neural_speed_bf16.txt" || status=$?
timeout 320 python3 bench/neural_speed.py --device cuda --precision bf16 --compile reduce-overhead \
    --json "$OUT/neural_speed_bf16_compiled.json" 2>&1 | tee "$OUT/neural_speed_bf16_compiled.txt" || status=$?
exit "$status"
