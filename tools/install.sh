#!/bin/sh
# Install sao into the project's virtual environment (made by the Makefile):
#
#   tools/install.sh VENV base    # the DSP editor: no torch, diffusers or Lightning
#   tools/install.sh VENV dev     # every extra and the test tools, torch==2.13.0 first
#
# With uv (on PATH, or pip-installed into VENV here; SAO_USE_UV=0 turns it off)
# the install takes seconds; without it, pip does the same, more slowly.
# torch is chosen by pip either way: `pip install torch==2.13.0` honours pip's
# configuration (pip.conf, PIP_* variables: a local CPU wheel, a PyTorch index),
# which uv does not read, so pip resolves the wheel and uv installs that file.
set -eu
venv=$1
what=$2
py=$venv/bin/python
TORCH=torch==2.13.0

uv=""
if [ "${SAO_USE_UV:-1}" != 0 ]; then
    uv=$(command -v uv || true)
    if [ -z "$uv" ]; then
        [ -x "$venv/bin/uv" ] || "$py" -m pip install -q uv >/dev/null 2>&1 || true
        [ -x "$venv/bin/uv" ] && uv=$venv/bin/uv
    fi
fi

install() {
    if [ -n "$uv" ]; then
        "$uv" pip install -q --compile-bytecode --python "$py" "$@"  # compiled as pip does: later runs start faster
    else
        "$py" -m pip install -q "$@"
    fi
}

# The torch wheel pip would install, as a direct reference for uv ("" when it is already there).
torch_pip_picks() {
    "$py" -m pip install --dry-run --no-deps -q --report - "$TORCH" 2>/dev/null | "$py" -c '
import json, sys
try:
    picked = json.load(sys.stdin)["install"]
except ValueError:
    sys.exit("tools/install.sh: pip could not choose a torch wheel (offline?); try SAO_USE_UV=0")
print("torch @ " + picked[0]["download_info"]["url"] if picked else "")'
}

echo "installing sao ($what) into $venv with ${uv:-pip}" >&2
case $what in
    base)
        install -e . ;;
    dev)
        if [ -n "$uv" ]; then
            torch=$(torch_pip_picks)
            install ${torch:+"$torch"} -e ".[dev]"
        else
            install "$TORCH"
            install -e ".[dev]"
        fi ;;
    *)
        echo "usage: $0 VENV base|dev" >&2
        exit 2 ;;
esac
