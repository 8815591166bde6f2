#!/usr/bin/env bash
# Fetch stable-audio-tools 0.0.19's wheel (plus einops, the one import of its model
# code that sao does not install) and unpack both into .cache/sat-wheel/site, for
# the converter parity test (tests/test_models_parity.py). Nothing is installed.
# Idempotent: does nothing when the unpacked files are already there.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest=${SAO_SAT_WHEEL_DIR:-$root/.cache/sat-wheel}
site=$dest/site
if [ -f "$site/stable_audio_tools/models/dit.py" ] && [ -f "$site/einops/__init__.py" ]; then
    exit 0
fi
mkdir -p "$dest/wheels"
"${PYTHON:-python3}" -m pip download --quiet --no-deps --only-binary=:all: --dest "$dest/wheels" \
    stable-audio-tools==0.0.19 einops==0.8.2
rm -rf "$site.partial"
mkdir -p "$site.partial"
for wheel in "$dest"/wheels/stable_audio_tools-0.0.19-*.whl "$dest"/wheels/einops-0.8.2-*.whl; do
    "${PYTHON:-python3}" -m zipfile -e "$wheel" "$site.partial"
done
rm -rf "$site"
mv "$site.partial" "$site"
echo "stable-audio-tools 0.0.19 unpacked in $site"
