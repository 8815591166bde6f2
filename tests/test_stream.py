"""Streamed edits (engine.stream): the same file as in memory, bounded memory, same sidecars and safety."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from cli_helpers import run
from conftest import SR, noise, tone, write
from engine import stream
from engine.audio_io import BLOCK_FRAMES, file_sha256
from engine.errors import BadAudio, OutputRefused
from engine.measure import peak_db, true_peak
from engine.ops import all_operations
from engine.ops.registry import run_blocks
from engine.pipeline import EditRequest, OutputSpec, run_edit
from engine.plan import EditPlan, Region, Step

REPO = Path(__file__).resolve().parents[1]
SECONDS = 3.5  # two blocks of BLOCK_FRAMES and a short one
CHAIN = [Step("gain", {"db": 3.0}), Step("high_pass", {"cutoff_hz": 80.0}), Step("reverb", {"preset": "small_room"}), Step("normalize", {"peak_db": -1.0})]
# Parameters that make each streamable operation do something audible.
PARAMS = {"gain": {"db": -4.0}, "louder": {"db": 2.0}, "downmix": {"channels": 1}, "fade": {"in_s": 0.7, "out_s": 1.2, "curve": "exp"}, "normalize": {"peak_db": -3.0},
          "notch": {"harmonics": 3}, "compressor": {"makeup_db": 4.0}, "bitcrush": {"bits": 6.0}, "pan": {"position": 0.4}}


@pytest.fixture
def streaming(monkeypatch):
    """Files of a second or more stream (the threshold is lowered); `streaming(False)` turns it off."""

    def switch(on: bool) -> None:
        monkeypatch.setattr(stream, "MIN_STREAM_S", 1.0 if on else float("inf"))

    switch(True)
    return switch


def music(seconds: float = SECONDS, channels: int = 2) -> np.ndarray:
    """Chords over noise, with a level swell: filters, dynamics and reverb all have work to do."""
    t = np.arange(int(seconds * SR)) / SR
    swell = (0.5 + 0.5 * np.sin(2 * np.pi * 0.7 * t)).astype(np.float32)
    return (tone(220.0, seconds, channels=channels) + tone(331.0, seconds, channels=channels) + noise(seconds, channels=channels, amp=0.05)) * swell


def edit(src: Path, out: Path, steps: list[Step], **spec) -> object:
    return run_edit(EditRequest(str(src), [EditPlan("test", steps)], OutputSpec(str(out), **spec), force=True, sidecar=f"{out}.sao.json"))


def both_ways(tmp_path: Path, streaming, src: Path, steps: list[Step], ext: str = ".wav", **spec) -> tuple[Path, Path, object, object]:
    streamed = edit(src, tmp_path / f"streamed{ext}", steps, **spec)
    streaming(False)
    in_memory = edit(src, tmp_path / f"memory{ext}", steps, **spec)
    assert streamed.streamed and not in_memory.streamed
    return tmp_path / f"streamed{ext}", tmp_path / f"memory{ext}", streamed, in_memory


@pytest.mark.parametrize("op", [op for op in all_operations() if op.stream], ids=lambda o: o.name)
def test_every_streaming_operation_gives_the_whole_file_result_exactly(op):
    """Blocks of an awkward size, so state must carry across every boundary (pedalboard too: bit-exact)."""
    x = music(2.0)
    params = PARAMS.get(op.name, {})
    whole = op.apply(x, SR, params)
    peak = float(np.max(np.abs(x))) if op.needs_input_peak else None
    process = op.processor(SR, x.shape[0], x.shape[1], params, peak)
    assert process is not None
    streamed = run_blocks(process, x, block=10_000) if whole.shape == x.shape else np.concatenate(
        [process(x[:, i : i + 10_000]) for i in range(0, x.shape[1], 10_000)], axis=1)
    assert whole.shape != x.shape or not np.array_equal(whole, x)  # the op did something
    np.testing.assert_array_equal(streamed, whole)


@pytest.mark.parametrize(
    "name,steps,ext,spec",
    [
        ("chain", CHAIN, ".wav", {}),
        ("chain-flac", CHAIN, ".flac", {}),
        ("24-to-16-dithered", [Step("gain", {"db": -6.0}), Step("fade", {"out_s": 1.0})], ".wav", {"bits": 16}),
        ("8-bit", [Step("chorus"), Step("normalize")], ".wav", {"bits": 8}),
        ("normalize-twice-mono", [Step("normalize", {"peak_db": -6.0}), Step("mono"), Step("echo"), Step("normalize", {"peak_db": -2.0})], ".aiff", {}),
        ("channels", [Step("compressor", {"makeup_db": 6.0}), Step("peak_eq")], ".wav", {"channels": 1}),
        ("float", [Step("gain", {"db": 12.0})], ".wav", {"bits": 32}),
    ],
)
def test_streamed_file_is_byte_identical_to_in_memory(tmp_path, streaming, name, steps, ext, spec):
    src = write(tmp_path / "in.wav", music(), subtype="PCM_24" if "dithered" in name else "PCM_16")
    a, b, streamed, in_memory = both_ways(tmp_path, streaming, src, steps, ext, **spec)
    if spec.get("bits") == 32:  # float WAV carries a PEAK chunk with a timestamp: compare the samples
        np.testing.assert_array_equal(sf.read(str(a), dtype="float32")[0], sf.read(str(b), dtype="float32")[0])
    else:
        assert a.read_bytes() == b.read_bytes()
        assert streamed.output_sha256 == in_memory.output_sha256 == file_sha256(a)
    assert streamed.samples.shape == in_memory.samples.shape and streamed.sample_rate == in_memory.sample_rate
    assert streamed.warnings == in_memory.warnings
    sidecars = [json.loads(Path(f"{p}.sao.json").read_text()) for p in (a, b)]
    for s in sidecars:
        s["output"]["path"] = ""
        if spec.get("bits") == 32:
            s["output"]["sha256"] = ""  # the PEAK chunk's timestamp may tick between the two writes
    assert sidecars[0] == sidecars[1]


def test_a_hot_streamed_result_is_limited_like_in_memory(tmp_path, streaming):
    """Normalising to 0 dBFS clips a 16-bit file: the last pass runs again into a spool, measured for its true peak."""
    src = write(tmp_path / "in.wav", music())
    a, b, streamed, in_memory = both_ways(tmp_path, streaming, src, [Step("reverb"), Step("normalize", {"peak_db": 0.0})])
    assert a.read_bytes() == b.read_bytes()
    assert streamed.warnings and "clip" in streamed.warnings[0] and streamed.warnings == in_memory.warnings
    y = sf.read(str(a), dtype="float32", always_2d=True)[0].T
    assert true_peak(y, SR) == pytest.approx(-0.1, abs=0.02)


def test_refusing_to_clip_leaves_nothing(tmp_path, streaming):
    src = write(tmp_path / "in.wav", music())
    with pytest.raises(OutputRefused, match="clip"):
        edit(src, tmp_path / "out.wav", [Step("gain", {"db": 12.0})], clip="error")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.wav"]


def test_bad_samples_deep_in_a_long_file_leave_nothing(tmp_path, streaming):
    x = music()
    x[1, 2 * BLOCK_FRAMES + 5] = np.inf  # in the last block: the output is half written when it is found
    src = tmp_path / "in.wav"
    sf.write(str(src), x.T, SR, subtype="FLOAT")
    with pytest.raises(BadAudio, match="infinite"):
        edit(src, tmp_path / "out.wav", CHAIN)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.wav"]


@pytest.mark.parametrize(
    "steps,how",
    [
        ([Step("gain", {"db": 2.0}, region=Region(0.5, 1.0))], "a region"),
        ([Step("pitch_shift", {"semitones": 2.0})], "whole-file Rubber Band"),
        ([Step("trim", {"start_s": 0.0, "end_s": 1.0})], "a length change"),
        ([Step("mono"), Step("width")], "width on mono (a delay across blocks)"),
        ([Step("distortion")], "RMS matched over the whole file"),
    ],
)
def test_steps_that_need_the_whole_file_run_in_memory(tmp_path, streaming, steps, how):
    src = write(tmp_path / "in.wav", music())
    outcome = edit(src, tmp_path / "out.wav", steps)
    assert not outcome.streamed, how
    written, _ = sf.read(str(tmp_path / "out.wav"), dtype="float32", always_2d=True)
    np.testing.assert_allclose(written.T, outcome.samples, atol=2.0**-15)  # real samples, not a stand-in


def test_short_files_and_resampling_run_in_memory(tmp_path, streaming):
    src = write(tmp_path / "in.wav", music())
    assert not edit(src, tmp_path / "a.wav", [Step("gain")], sample_rate=22050).streamed
    short = write(tmp_path / "short.wav", music(0.5))  # under MIN_STREAM_S (1 s here)
    assert not edit(short, tmp_path / "b.wav", [Step("gain")]).streamed


def test_streamed_cli_edit_replays_identically(tmp_path, streaming):
    src = write(tmp_path / "in.wav", music())
    out = tmp_path / "out.flac"
    r = run("edit", src, "gain +3 dB, high-pass at 80 Hz, add a small room reverb, then normalize to -1 dBFS", "-o", out)
    assert r.exit_code == 0, r.stderr
    side = json.loads((tmp_path / "out.flac.sao.json").read_text())
    assert side["output"]["sha256"] == file_sha256(out)
    assert (side["input"]["frames"], side["input"]["channels"], side["input"]["sha256"]) == (int(SECONDS * SR), 2, file_sha256(src))
    assert peak_db(sf.read(str(out), dtype="float32")[0]) == pytest.approx(-1.0, abs=0.01)
    r = run("replay", tmp_path / "out.flac.sao.json", "--force")
    assert r.exit_code == 0 and "identical" in r.stderr


# VmHWM is this process's own peak; ru_maxrss would also count the parent's memory at the spawn.
MEMORY_PROBE = """
import re, sys
sys.path.insert(0, {repo!r})
from engine import stream
from engine.pipeline import EditRequest, OutputSpec, run_edit
from engine.plan import EditPlan, Step
stream.MIN_STREAM_S = {threshold}
plan = EditPlan("chain", [Step("gain", {{"db": 3.0}}), Step("high_pass", {{"cutoff_hz": 80.0}}),
                          Step("reverb", {{"preset": "small_room"}}), Step("normalize", {{"peak_db": -1.0}})])
run_edit(EditRequest({warm!r}, [plan], OutputSpec({warm_out!r}), force=True))  # imports and first-use allocations
def peak_kb():
    return int(re.search(r"VmHWM:\\s+(\\d+) kB", open("/proc/self/status").read()).group(1))
before = peak_kb()
outcome = run_edit(EditRequest({src!r}, [plan], OutputSpec({out!r}), force=True))
print(outcome.streamed, (peak_kb() - before) / 1024)
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmHWM from /proc")
def test_peak_memory_stays_far_below_the_files_samples(tmp_path):
    """A 2-minute file: streamed, the peak grows by a fraction of its float32 size; in memory, by more than all of it."""
    minutes = 2.0
    x = music(60.0)
    src = tmp_path / "long.wav"
    with sf.SoundFile(str(src), "w", SR, 2, "PCM_16") as f:
        for _ in range(int(minutes)):
            f.write(x.T)
    warm = write(tmp_path / "warm.wav", music(1.5))
    float_mb = minutes * 60 * SR * 2 * 4 / 2**20
    growth = {}
    for mode, threshold in (("streamed", 1.0), ("memory", 1e9)):
        code = MEMORY_PROBE.format(repo=str(REPO), threshold=threshold, warm=str(warm), warm_out=str(tmp_path / "w.wav"),
                                   src=str(src), out=str(tmp_path / f"{mode}.wav"))
        p = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=300)
        assert p.returncode == 0, p.stderr
        streamed, mb = p.stdout.split()
        assert streamed == str(mode == "streamed")
        growth[mode] = float(mb)
    assert growth["streamed"] < 0.4 * float_mb, (growth, float_mb)
    assert growth["memory"] > float_mb, (growth, float_mb)
    assert (tmp_path / "streamed.wav").read_bytes() == (tmp_path / "memory.wav").read_bytes()
