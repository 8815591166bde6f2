"""Audio I/O: formats, atomic writes, refusals, bad input, clipping and dither, measured."""

from __future__ import annotations

import os

import numpy as np
import pytest
import soundfile as sf

from conftest import SR, noise, real_sound, tone, write
from engine.audio_io import (
    Audio,
    check_output,
    clip_gain,
    default_output_path,
    output_subtype,
    prepare_for_write,
    read_audio,
    tpdf_noise,
    write_audio,
)
from engine.errors import BadAudio, OutputRefused, UsageError
from engine.measure import correlation, true_peak


@pytest.mark.parametrize(
    "ext,fmt,subtype",
    [(".wav", "WAV", "PCM_16"), (".wav", "WAV", "PCM_24"), (".wav", "WAV", "FLOAT"), (".flac", "FLAC", "PCM_24"),
     (".ogg", "OGG", "VORBIS"), (".aiff", "AIFF", "PCM_16"), (".mp3", "MP3", "MPEG_LAYER_III")],
)
def test_reads_every_format_with_its_properties(tmp_path, ext, fmt, subtype):
    x = tone(330.0, 1.0, channels=2)
    path = tmp_path / f"a{ext}"
    sf.write(str(path), x.T, SR, format=fmt, subtype=subtype)
    audio = read_audio(path)
    assert (audio.sample_rate, audio.channels, audio.format, audio.subtype) == (SR, 2, fmt, subtype)
    lossy = fmt in ("OGG", "MP3")
    n = min(audio.frames, x.shape[1])
    if lossy:  # codecs add delay: compare spectra-level similarity through correlation at the best lag
        lag = int(np.argmax(np.correlate(audio.samples[0, :4096], x[0, :2048], "valid")))
        assert correlation(audio.samples[0, lag : lag + 30000], x[0, : 30000]) > 0.95
    else:
        assert audio.frames == x.shape[1]
        assert np.max(np.abs(audio.samples[:, :n] - x[:, :n])) < 1e-3


def test_reads_a_real_recording():
    x, sr = real_sound("bell")
    assert x.shape[0] >= 1 and sr > 0 and np.isfinite(x).all()


def test_pcm16_round_trip_is_bit_exact(tmp_path):
    src = write(tmp_path / "in.wav", tone(440.0, 0.5))
    audio = read_audio(src)
    write_audio(tmp_path / "out.wav", audio.samples, audio.sample_rate, "PCM_16")
    a, _ = sf.read(str(src), dtype="int16")
    b, _ = sf.read(str(tmp_path / "out.wav"), dtype="int16")
    assert np.array_equal(a, b)


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    with pytest.raises(Exception):
        write_audio(tmp_path / "out.flac", tone(), SR, "FLOAT")  # FLAC cannot hold float
    assert list(tmp_path.iterdir()) == []


def test_output_refusals(tmp_path, wav):
    check_output(tmp_path / "new.wav", [str(wav)], force=False)
    with pytest.raises(OutputRefused, match="already exists"):
        check_output(wav.with_name("tone.wav"), ["other.wav"], force=False)
    with pytest.raises(OutputRefused, match="is the input"):
        check_output(wav, [str(wav)], force=False)
    check_output(wav, [str(wav)], force=True)
    with pytest.raises(OutputRefused, match="does not exist"):
        check_output(tmp_path / "nope" / "x.wav", [str(wav)], force=False)
    with pytest.raises(UsageError, match="cannot write"):
        check_output(tmp_path / "x.mp3", [str(wav)], force=False)


def test_default_output_path():
    assert str(default_output_path("a/take.flac")) == "a/take.edited.flac"
    assert str(default_output_path("a/song.mp3")) == "a/song.edited.wav"


def _nan_wav(path):
    x = tone(440.0, 0.2)
    x[0, 100] = np.nan
    sf.write(str(path), x.T, SR, subtype="FLOAT")


@pytest.mark.parametrize(
    "make,match",
    [
        (lambda p: p.write_bytes(b""), "empty"),
        (lambda p: p.write_text("hello, I am not audio\n" * 20), "not a readable audio file"),
        (lambda p: sf.write(str(p), np.zeros((0, 2)), SR), "zero length|no samples|not a readable"),
        (_nan_wav, "NaN"),
        (lambda p: p.write_bytes(open(write(p.with_name("full.wav"), tone()), "rb").read()[:30]), "not a readable"),
    ],
    ids=["empty", "text", "zero-length", "nan", "truncated"],
)
def test_bad_inputs_raise_bad_audio(tmp_path, make, match):
    path = tmp_path / "bad.wav"
    make(path)
    with pytest.raises(BadAudio, match=match):
        read_audio(path)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(BadAudio, match="no such file"):
        read_audio(tmp_path / "missing.wav")
    with pytest.raises(BadAudio, match="folder"):
        read_audio(tmp_path)


def test_clip_limit_brings_true_peak_to_ceiling():
    x = tone(997.0, 1.0, amp=1.6)
    y, warnings = prepare_for_write(x, SR, "PCM_16", 16, "limit")
    assert warnings and "clip" in warnings[0]
    assert true_peak(y, SR) <= -0.1 + 0.01
    assert correlation(x, y) > 0.999  # a level change, not distortion


def test_a_result_within_full_scale_is_written_as_it_is(tmp_path):
    """Samples at ±0.92 with inter-sample peaks at +2.3 dBTP: nothing would clip in the file, so nothing is lowered."""
    t = np.arange(SR)
    x = np.repeat((1.3 * np.sin(np.pi / 2 * t + np.pi / 4))[None], 2, axis=0).astype(np.float32)  # fs/4, between the peaks
    assert np.max(np.abs(x)) < 0.95 and true_peak(x, SR) > 2.0
    y, warnings = prepare_for_write(x, SR, "PCM_16", 16, "limit")
    assert not warnings
    write_audio(tmp_path / "o.wav", y, SR, "PCM_16")
    written, _ = sf.read(str(tmp_path / "o.wav"), dtype="int16", always_2d=True)
    np.testing.assert_array_equal(written.T, np.rint(x.astype(np.float64) * 32768))  # bit-exact: rounded, not lowered


def test_the_true_peak_is_measured_only_for_a_result_that_clips():
    def oversample() -> float:
        raise AssertionError("true peak measured for a result within full scale")

    assert clip_gain(0.999, oversample, "limit") == (None, [])
    gain, warnings = clip_gain(1.2, lambda: 1.9, "limit")
    assert 20 * np.log10(gain) == pytest.approx(-2.0, abs=1e-5) and "lowered by 2.0 dB" in warnings[0]


def test_clip_error_and_allow():
    x = tone(997.0, 0.5, amp=1.6)
    with pytest.raises(OutputRefused):
        prepare_for_write(x, SR, "PCM_16", 16, "error")
    y, warnings = prepare_for_write(x, SR, "PCM_16", 16, "allow")
    assert not warnings and np.max(np.abs(y)) >= 0.999  # clipped hard at full scale, as asked
    z, warnings = prepare_for_write(x, SR, "FLOAT", 32, "limit")  # float keeps overs
    assert not warnings and np.max(np.abs(z)) > 1.5


def test_reducing_bit_depth_dithers(tmp_path):
    lsb = 2.0 ** -15
    x = np.full((1, SR), 0.3 * lsb, np.float32)  # below one 16-bit step
    plain, _ = prepare_for_write(x, SR, "PCM_16", 16, "limit")  # same depth: no dither
    dithered, _ = prepare_for_write(x, SR, "PCM_16", 24, "limit")
    write_audio(tmp_path / "p.wav", plain, SR, "PCM_16")
    write_audio(tmp_path / "d.wav", dithered, SR, "PCM_16")
    p, _ = sf.read(str(tmp_path / "p.wav"))
    d, _ = sf.read(str(tmp_path / "d.wav"))
    assert np.all(p == 0)  # undithered quantisation loses the signal
    assert abs(np.mean(d) - 0.3 * lsb) < 0.05 * lsb  # TPDF keeps it on average
    assert 0.3 * lsb < np.std(d) < 1.2 * lsb


def test_dither_noise_made_in_pieces_is_the_whole_files_noise():
    """Streamed files get their dither a block at a time; it must be the very noise a whole file gets,
    which is the noise sao has always used: two uniform float32 draws of the result's shape, seed 0."""
    channels, frames = 2, 1001  # odd sizes: a piece can start in the middle of a 64-bit draw
    whole = tpdf_noise(channels, frames, 0, frames, 16)
    pieces = np.concatenate([tpdf_noise(channels, frames, a, b, 16) for a, b in [(0, 3), (3, 500), (500, 1001)]], axis=1)
    np.testing.assert_array_equal(pieces, whole)
    rng = np.random.default_rng(0)
    np.testing.assert_array_equal(whole, (rng.random((2, 1001), dtype=np.float32) - rng.random((2, 1001), dtype=np.float32)) * np.float32(2.0**-15))
    assert np.max(np.abs(whole)) < 2.0**-15 and np.std(whole) == pytest.approx(2.0**-15 / np.sqrt(6), rel=0.1)  # triangular, ±1 LSB


@pytest.mark.parametrize("subtype,bits", [("PCM_U8", 8), ("PCM_16", 16), ("PCM_24", 24)])
def test_integer_writes_are_the_samples_rounded_in_float64(tmp_path, subtype, bits):
    """sao quantises in float32 and hands soundfile integers; the bytes match rounding in float64 and letting
    libsndfile store floats that already sit on the grid (how sao wrote them before)."""
    step = 2.0 ** -(bits - 1)
    edges = np.array([-1.0, -1 + step / 3, 1 - step / 3, 1.0, 1.3, -1.3, step / 2, 1.5 * step, -step / 2, -2.5 * step, 1e-9], np.float32)
    x = np.concatenate([noise(0.1, channels=1, amp=0.4)[0], edges])[None].repeat(2, axis=0)
    write_audio(tmp_path / "new.wav", x, SR, subtype)
    grid = np.clip(np.round(x.astype(np.float64) / step), -1 / step, 1 / step - 1) * step  # ties to even, like np.rint
    sf.write(str(tmp_path / "old.wav"), grid.T, SR, subtype=subtype)
    assert (tmp_path / "new.wav").read_bytes() == (tmp_path / "old.wav").read_bytes()


def test_output_subtype_rules():
    assert output_subtype("WAV", "PCM_24", None) == "PCM_24"
    assert output_subtype("FLAC", "FLOAT", None) == "PCM_24"
    assert output_subtype("WAV", "MPEG_LAYER_III", None) == "PCM_16"
    assert output_subtype("OGG", "PCM_16", 24) == "VORBIS"
    assert output_subtype("WAV", "PCM_16", 24) == "PCM_24"
    with pytest.raises(UsageError):
        output_subtype("WAV", "PCM_16", 12)


def test_audio_properties():
    a = Audio(tone(seconds=1.5, channels=3), SR)
    assert (a.channels, a.frames, a.duration_s) == (3, int(1.5 * SR), 1.5)
    assert os.environ["HF_HUB_OFFLINE"] == "1"


def test_float_files_have_no_timestamped_peak_chunk_and_honour_the_umask(tmp_path):
    """Determinism: libsndfile's PEAK chunk carries the time of writing; modes follow the umask, not mkstemp's 0600."""
    old = os.umask(0o022)
    try:
        for name in ("f.wav", "f.aiff"):
            write_audio(tmp_path / name, tone(440.0, 0.2), SR, "FLOAT")
            data = (tmp_path / name).read_bytes()
            assert b"PEAK" not in data
            assert sf.info(str(tmp_path / name)).subtype == "FLOAT"
            assert (tmp_path / name).stat().st_mode & 0o777 == 0o644
    finally:
        os.umask(old)
