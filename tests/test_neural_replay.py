"""Old sidecars still replay byte for byte: edits made before noise version 2 (issue 16).

tests/data/neural_v1/ holds sidecars written by sao before the noise and level
changes (its README says how they were made). They record no `noise` or
`loudness` setting, so replay must use the old Brownian-tree noise and the old
loudness matching, and give the very output each sidecar records (its sha256).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from cli_helpers import run
from models_helpers import one_thread, tiny_model  # noqa: F401  (fixtures)

pytestmark = pytest.mark.usefixtures("one_thread")

DATA = Path(__file__).parent / "data" / "neural_v1"


@pytest.mark.parametrize("name", ["whole", "region"])
def test_a_sidecar_from_before_noise_v2_replays_byte_for_byte(tiny_model, tmp_path, name):
    import json

    from engine.neural.folder import weights_sha256

    recorded = json.loads((DATA / f"{name}.wav.sao.json").read_text())
    if weights_sha256(tiny_model) != recorded["steps"][0]["model"]["sha256"]:
        pytest.skip("init_random's tiny model differs from the one the fixture was made with (another torch?)")
    out = tmp_path / f"{name}.wav"
    r = run("replay", DATA / f"{name}.wav.sao.json", "--input", DATA / "input.wav", "--model", tiny_model, "-o", out)
    assert r.exit_code == 0, r.stderr
    assert hashlib.sha256(out.read_bytes()).hexdigest() == recorded["output"]["sha256"]
    assert "identical to the recorded output" in r.stderr
