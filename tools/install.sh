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
    # uv compiles bytecode as pip does (later runs start faster); if it fails (it reads no
    # pip configuration: a private index, say), pip tries the same.
    if [ -n "$uv" ]; then
        "$uv" pip install -q --compile-bytecode --python "$py" "$@" && return
        echo "tools/install.sh: uv failed; trying pip" >&2
    fi
    "$py" -m pip install -q "$@"
}

# The torch wheel pip would install, as a direct reference for uv ("" when it is already there).
torch_pip_picks() {
    "$py" -m pip install --dry-run --no-deps -q --report - "$TORCH" 2>/dev/null | "$py" -c '
import json, sys
try:
    picked = json.load(sys.stdin)["install"]
except ValueError:
    sys.exit("tools/install.sh: no torch wheel from pip --dry-run --report; pip installs torch instead")
print("torch @ " + picked[0]["download_info"]["url"] if picked else "")'
}

echo "installing sao ($what) into $venv with ${uv:-pip}" >&2
case $what in
    base)
        install -e . ;;
    dev)
        if [ -n "$uv" ] && torch=$(torch_pip_picks); then
            install ${torch:+"$torch"} -e ".[dev]"
        else  # no uv, or a pip without --report (before 22.2): pip installs torch, then the rest
            "$py" -m pip install -q "$TORCH"
            install -e ".[dev]"
        fi ;;
    *)
        echo "usage: $0 VENV base|dev" >&2
        exit 2 ;;
esac
