"""The operation registry: the catalog is complete, documented, and its parameters validated."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import FREEDESKTOP, SR, noise
from engine.errors import UsageError
from engine.ops import all_operations, get_operation

CATALOG = {
    "level": {"gain", "louder", "normalize", "loudness", "fade"},
    "time": {"trim", "keep", "pad", "strip_silence", "mute", "loop", "reverse", "split"},
    "pitch": {"speed", "time_stretch", "pitch_shift", "resample"},
    "filters": {"low_pass", "high_pass", "band_pass", "low_shelf", "high_shelf", "peak_eq", "notch"},
    "space": {"reverb", "echo"},
    "color": {"distortion", "bitcrush", "chorus", "phaser", "tremolo"},
    "dynamics": {"compressor", "limiter", "gate"},
    "repair": {"denoise", "declick", "declip"},
    "stereo": {"mono", "pan", "swap_channels", "width", "downmix"},
    "mix": {"add"},
}
CHANGES_LENGTH = {"trim", "keep", "pad", "strip_silence", "loop", "speed", "time_stretch", "resample", "add", "split"}
UNIT_SUFFIXES = ("_db", "_hz", "_s", "db", "hz", "lufs", "semitones", "ratio", "percent")
# Parameters without a physical unit: counts, fractions from 0 to 1, a filter's q, a position, a file.
UNITLESS = {"count", "channels", "bits", "harmonics", "q", "size", "wet", "mix", "feedback", "depth", "position", "path", "parts", "part"}
OPS = all_operations()


def test_the_catalog_is_registered_in_its_families():
    found: dict[str, set[str]] = {}
    for op in OPS:
        found.setdefault(op.category, set()).add(op.name)
    assert found == CATALOG
    assert {op.name for op in OPS if op.changes_length} == CHANGES_LENGTH
    assert [op.name for op in OPS if op.changes_rate] == ["resample"]


@pytest.mark.parametrize("op", OPS, ids=lambda o: o.name)
def test_every_operation_is_documented_with_typed_unit_named_params(op):
    assert len(op.summary) > 15 and op.doc.count("\n") >= 2, f"{op.name}: needs a summary line and a paragraph"
    for p in op.params:
        assert p.help, f"{op.name}.{p.name} has no help"
        numeric = p.type in (int, float)
        assert not numeric or p.name.endswith(UNIT_SUFFIXES) or p.name in UNITLESS, f"{op.name}.{p.name}: unit missing from the name"
        if p.default is not None:
            assert p.validate(op.name, p.default) == p.default
    if op.name != "add":  # add's path has no default
        assert set(op.validate({})) == {p.name for p in op.params}


@pytest.mark.parametrize(
    "op,param",
    [(op, p) for op in OPS for p in op.params if p.min is not None or p.choices],
    ids=lambda x: getattr(x, "name", ""),
)
def test_out_of_range_values_are_usage_errors(op, param):
    bad = ["nowhere"] if param.choices else [param.min - max(1, abs(param.min)), param.max + max(1, abs(param.max)), float("nan")]
    required = {"path": "clip.wav"} if op.name == "add" else {}
    for value in bad:
        with pytest.raises(UsageError, match=param.name):
            op.validate({**required, param.name: value})


def test_unknown_names_and_missing_values_are_usage_errors():
    with pytest.raises(UsageError, match="unknown operation"):
        get_operation("explode")
    with pytest.raises(UsageError, match="unknown parameter"):
        get_operation("gain").validate({"volume": 3})
    with pytest.raises(UsageError, match="path"):
        get_operation("add").validate({})
    with pytest.raises(UsageError, match="db"):
        get_operation("gain").validate({"db": "loud"})


def test_loading_every_operation_does_not_import_torch():
    code = "import sys; from engine.ops import all_operations; all_operations(); print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=Path(__file__).parents[1])
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize("op", OPS, ids=lambda o: o.name)
def test_every_operation_is_deterministic_and_takes_any_array_layout(op):
    """Regions hand operations strided views; pedalboard and scipy must see the same audio either way."""
    params = {"add": {"path": str(FREEDESKTOP / "bell.oga")}, "split": {"parts": 2, "part": 2}}.get(op.name, {})
    wide = noise(1.0, channels=4, seed=3)
    view = wide[::2, SR // 4 : 3 * SR // 4]  # two channels, 0.5 s, neither row- nor column-contiguous
    assert not view.flags.c_contiguous
    first = op.apply(view, SR, params)
    again = op.apply(np.ascontiguousarray(view), SR, params)
    assert first.dtype == np.float32 and np.isfinite(first).all()
    np.testing.assert_array_equal(first, again)
