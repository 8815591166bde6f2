#!/usr/bin/env bash
# The prepared GPU check for gen-data's model pipelines (issue 9): bench/gendata_model_speed.py with the
# full-size architecture on CUDA in bf16. First the per-part timings and the extrapolation to the paper's
# settings (about a minute), then one real sample of each pipeline end to end (a few minutes).
#
# It needs only torch, the project and pure-Python wheels. The GPU image has torch, transformers,
# tokenizers, safetensors, scipy, numpy, jinja2/MarkupSafe, PyYAML and tqdm; the wheels below are what it lacks.
#
#   here, once (needs PyPI):   bash bench/gpu_check_gendata.sh --wheels   # downloads them into .whl/
#                              echo /.whl/ >> .git/info/exclude           # so they travel only when carried
#   on the GPU machine:        bash bench/gpu_check_gendata.sh            # carry .whl; figures land in $OUT
#
# Each bench run has its own time limit, so a slow end-to-end run cannot eat the extrapolated figures.
set -euo pipefail
cd "$(dirname "$0")/.."

WHEELS=(diffusers==0.42.1 torchsde==0.2.6 trampoline==0.1.2 pyloudnorm==0.2.0
        optuna==5.0.0 alembic==1.20.1 sqlalchemy==2.1.9 Mako==1.4.3 colorlog==6.12.0)

source bench/gpu_common.sh
if [[ "${1:-}" == "--wheels" ]]; then
    fetch_pure_wheels "${WHEELS[@]}"
    exit 0
fi

OUT="${OUT:-/tmp/gendata-speed}"
gpu_setup "$OUT"
export HF_HUB_OFFLINE=1
python3 -c "import torch, diffusers, optuna; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'diffusers', diffusers.__version__, 'optuna', optuna.__version__)"

status=0
timeout 200 python3 bench/gendata_model_speed.py --size full --device cuda --precision bf16 \
    --json "$OUT/gendata_speed_parts.json" 2>&1 | tee "$OUT/gendata_speed_parts.txt" || status=$?
timeout 330 python3 bench/gendata_model_speed.py --size full --device cuda --precision bf16 --repeat 2 --samples 1 \
    --json "$OUT/gendata_speed_measured.json" 2>&1 | tee "$OUT/gendata_speed_measured.txt" || status=$?
exit "$status"
