# Sourced by bench/gpu_check_*.sh: what every prepared GPU check does before its own runs.
#
#   fetch_pure_wheels NAME==VERSION...   here (needs PyPI): pure-Python wheels for the GPU image into .whl/
#   gpu_setup OUT_DIR                    on the GPU machine: install the carried .whl/ into /tmp/site, make
#                                        OUT_DIR, and print the GPU and driver

fetch_pure_wheels() {
    python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation py -d .whl "$@"
}

gpu_setup() {
    mkdir -p "$1"
    if [[ -d .whl ]]; then
        python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
        export PYTHONPATH="/tmp/site${PYTHONPATH:+:$PYTHONPATH}"
    fi
    export PYTHONUNBUFFERED=1
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
}
